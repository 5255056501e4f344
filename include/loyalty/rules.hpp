// The compiled form of a program's events, earning rules, groups and budgets (docs/rules.md).
//
// The loader builds these from the program file; loyalty::engine (loyalty/engine.hpp) runs them.
// Everything here is immutable once loaded and shared read-only by every thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/expiry.hpp"
#include "loyalty/expression.hpp"
#include "loyalty/time.hpp"

namespace loyalty {

/// "No such index": an unset event type, group or budget reference.
inline constexpr std::uint16_t no_index = 0xFFFF;

/// An event type the program declares (`events:`), or one the engine makes itself (an
/// anniversary of a customer date, for `on: {anniversary_of: ...}` rules).
struct event_type {
  std::string id;  ///< "order.completed"
  /// What expressions of rules on this event read: the program's schema, plus `event.<field>`
  /// for each declared field, `event.at`, `previous.<event type>` for every event type, and
  /// `line.<field>` of the line record when the type has lines (read only by `per: line` rules).
  loyalty::schema schema;
  std::uint32_t at_slot = 0;  ///< event.at
  /// The `lines:` field (a list) and its record; no_slot when the type has none.
  static constexpr std::uint32_t no_slot = 0xFFFFFFFF;
  std::uint32_t lines_slot = no_slot;
  const record_type* line_record = nullptr;  ///< points into schema
  std::uint32_t first_line_slot = no_slot;   ///< slot of line.<first field>; the others follow
  /// Index of the line record's quantity field (`quantity:`), or -1: every line counts as 1.
  int quantity_field = -1;
  /// How lines weigh when an order-level award is split over them (`line_value:`); null: by
  /// quantity.
  std::unique_ptr<compiled_expression> line_value;
  /// `returns: <type>`: this event returns lines of an event of that type.
  std::uint16_t returns = no_index;
  /// `refers_to: <type>` (implied by `returns`): the event names an earlier event of that type.
  std::uint16_t refers_to = no_index;
  /// `profile:` customer fields this event sets: (slot of event.<field>, profile index).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> profile_updates;
  /// Slot of `previous.<type>` for each event type, by type index (counting earlier events).
  std::vector<std::uint32_t> previous_slots;
  /// For anniversary event types: event.years and event.date.
  std::uint32_t years_slot = no_slot;
  std::uint32_t date_slot = no_slot;
  /// The profile field whose anniversaries raise this event (anniversary types only).
  std::uint32_t anniversary_of = no_slot;
  /// The rules `on` this type, in file order.
  std::vector<std::uint32_t> rules;
  bool synthetic = false;  ///< made by the engine (anniversaries), not declared
};

/// How a `per: line` or per-order award is rounded to its point type's scale.
enum class rounding_basis : std::uint8_t {
  order,  ///< the exact award of the whole event, rounded once
  line,   ///< each line's award rounded, then summed (per-line rules only)
};

/// The period of a customer cap, in the program's time zone.
enum class cap_period : std::uint8_t { day, week, month, quarter, year, lifetime };
/// Whether a cap counts amounts or awards.
enum class cap_measure : std::uint8_t { amount, count };
/// Who a cap is counted for.
enum class cap_scope : std::uint8_t { event, customer };
/// What happens to an award that does not fit.
enum class cap_overflow : std::uint8_t {
  reduce,  ///< the award is cut to what fits
  reject,  ///< the award is dropped whole
};
/// How the rules of one group combine.
enum class stacking_mode : std::uint8_t {
  all,    ///< every rule that fires awards (the default, and every rule outside a group)
  first,  ///< the first rule in file order that awards something; the later ones do not fire
  best,   ///< the rule with the largest award, after its caps (ties: the earlier rule)
};
/// What a return of the event's lines does to a rule's award.
enum class return_action : std::uint8_t {
  reverse,  ///< the returned lines' share of the award is reversed (the default)
  keep,     ///< the award stays
};
/// When an award becomes spendable.
enum class pending_kind : std::uint8_t {
  immediate,   ///< at once
  period,      ///< a calendar period after the event is processed
  until_event  ///< when an event of `until` referring to the awarding event arrives
};

std::string_view to_string(rounding_basis b) noexcept;
std::string_view to_string(cap_period p) noexcept;
std::string_view to_string(cap_measure m) noexcept;
std::string_view to_string(cap_scope s) noexcept;
std::string_view to_string(cap_overflow o) noexcept;
std::string_view to_string(stacking_mode m) noexcept;
std::string_view to_string(return_action a) noexcept;
std::string_view to_string(pending_kind k) noexcept;

struct cap {
  cap_scope scope = cap_scope::customer;
  cap_period period = cap_period::lifetime;  ///< customer caps
  cap_measure measure = cap_measure::amount;
  std::int64_t limit = 0;  ///< units at the point type's scale (amount), or awards (count)
  cap_overflow overflow = cap_overflow::reduce;
  std::uint32_t counter = 0;  ///< customer caps: index of the counter in member::counters
};

/// A campaign window in the program's time zone (`active:`). Every part is optional.
struct time_window {
  timestamp from = timestamp::min();   ///< inclusive
  timestamp until = timestamp::max();  ///< exclusive
  std::uint8_t days = 0x7F;            ///< bit d set: day_of_week d (0 = Monday) allowed
  /// Local time of day, [hours_from, hours_until); hours_until < hours_from wraps past midnight.
  std::optional<duration> hours_from;
  std::optional<duration> hours_until;
  bool always() const noexcept {
    return from == timestamp::min() && until == timestamp::max() && days == 0x7F && !hours_from;
  }
};

struct pending_policy {
  pending_kind kind = pending_kind::immediate;
  calendar_period period;          ///< kind period
  std::uint16_t until = no_index;  ///< kind until_event: the event type
};

/// One clause of a rule's `when` (or `where`), with its source text for explanations.
struct clause {
  std::string text;
  std::unique_ptr<compiled_expression> expression;
};

struct earning_rule {
  std::string id;
  std::uint64_t key = 0;        ///< a stable 64-bit hash of the id, mixed into operation ids
  std::uint16_t on = no_index;  ///< event type index
  std::vector<clause> when;     ///< event-level conditions, all must hold
  bool per_line = false;        ///< `per: line`
  std::vector<clause> where;    ///< per_line: line conditions, all must hold
  std::unique_ptr<compiled_expression> award;       ///< null: the rule only sends its message
  std::unique_ptr<compiled_expression> multiplier;  ///< null: 1
  std::uint16_t point_type = no_index;
  rounding_mode rounding = rounding_mode::floor;
  rounding_basis basis = rounding_basis::order;
  bool carry = false;  ///< keep the rounded-off remainder for the customer's next award
  pending_policy pending;
  std::optional<expiry_policy> expiry;  ///< overrides the point type's
  time_window window;
  std::vector<cap> caps;
  std::uint16_t budget = no_index;
  std::uint16_t group = no_index;
  return_action on_return = return_action::reverse;
  std::string message;           ///< sent to the host when the rule fires
  std::uint32_t carry_slot = 0;  ///< carry: index in member::carries
};

struct rule_group {
  std::string id;
  stacking_mode mode = stacking_mode::all;
  std::vector<std::uint32_t> rules;  ///< in file order
};

/// A campaign budget: global, so the host owns its counter and reserves what a decision uses.
struct budget {
  std::string id;
  std::uint16_t point_type = no_index;
  std::int64_t limit = 0;  ///< units at the point type's scale
  cap_overflow overflow = cap_overflow::reduce;
};

}  // namespace loyalty
