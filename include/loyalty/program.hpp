// A loyalty program: loaded from YAML once, checked, then immutable and shared by all threads.
//
//   auto result = loyalty::load_program(yaml_text, "shop.yaml");
//   if (!result.ok()) {
//     fmt::print(stderr, "{}", loyalty::render(result.diagnostics));
//     return 1;
//   }
//   const loyalty::program& program = *result.program;
//   const loyalty::point_type* points = program.find_point_type("points");
//   loyalty::ledger book(loyalty::wallet_policies(program));  // wallet i is point type i
//
// The loader reads no files: the host passes the text and a name used in diagnostics. The only
// outside data consulted is the IANA time zone database, once, when the program is loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/currency.hpp"
#include "loyalty/decimal.hpp"
#include "loyalty/diagnostic.hpp"
#include "loyalty/expiry.hpp"
#include "loyalty/expression.hpp"
#include "loyalty/ledger.hpp"
#include "loyalty/rules.hpp"
#include "loyalty/time.hpp"

namespace loyalty {

/// A kind of balance a customer holds: points, cashback money, bonus money, free-bet credit.
struct point_type {
  std::string id;    ///< identifier used by rules, e.g. "points"
  std::string name;  ///< display name; defaults to the id
  int scale = 0;     ///< fractional digits kept for amounts of this type
  rounding_mode rounding = rounding_mode::floor;  ///< how earned amounts are rounded to scale
  const currency* money = nullptr;  ///< the currency for money wallets; nullptr for points
  /// What one unit of this type is worth in the program's default currency (`value`): for
  /// liability and cost reports. A money type in the default currency is worth 1 unless set;
  /// otherwise nullopt (unknown) unless set.
  std::optional<decimal> value;

  // The wallet keys (docs/reference.md#wallet-keys); wallet_policies() hands them to the ledger.
  // Their defaults are those of loyalty::wallet_policy.

  /// When credits of this type expire (`expiry`): never by default.
  expiry_policy expiry;
  /// With an `inactivity` expiry: the operations that reset the clock (`expiry: reset_on`).
  op_kind_set reset_on{op_kind::earn, op_kind::redeem};
  /// With an `inactivity` expiry: the event types (indices into program::event_types()) that
  /// reset the clock when the engine processes one (`expiry: reset_on` lists them by name).
  std::vector<std::uint16_t> reset_on_events;
  consumption_order order = consumption_order::soonest_expiring_first;  ///< `consumption_order`
  return_policy returns = return_policy::within_balance;                ///< `return_policy`
  duration refund_min_validity = duration::days(30);                    ///< `refund_min_validity`
  held_expiry held_at_expiry = held_expiry::expire;                     ///< `held_at_expiry`

  bool is_money() const noexcept { return money != nullptr; }
};

/// Limits the loader enforces; exceeding one is a diagnostic, never a crash.
struct load_limits {
  std::size_t max_source_bytes = 4u << 20;  ///< whole file
  std::uint32_t max_depth = 64;             ///< nesting of mappings and sequences
  std::size_t max_nodes = 200'000;          ///< YAML nodes, counting each alias expansion
  std::size_t max_string_bytes = 4096;      ///< one scalar
  std::size_t max_point_types = 64;
  std::size_t max_currencies = 64;
  std::size_t max_enums = 64;
  std::size_t max_fields = 1024;
  std::size_t max_variables = 1024;
  std::size_t max_event_types = 256;
  std::size_t max_rules = 4096;
  std::size_t max_clauses = 32;  ///< in one rule's `when` or `where`
  std::size_t max_caps = 8;      ///< on one rule
  std::size_t max_budgets = 256;
  std::size_t max_groups = 256;
};

struct load_options {
  load_limits limits;
};

/// An immutable, checked program. Thread-safe to share once loaded.
class program {
 public:
  const std::string& name() const noexcept { return name_; }
  const std::string& version() const noexcept { return version_; }
  /// IANA time zone name, e.g. "Europe/Berlin".
  const std::string& time_zone() const noexcept { return time_zone_; }
  /// The located time zone of time_zone(): calendar days, weeks and months of expiry policies
  /// are counted on its clocks.
  loyalty::time_zone zone() const noexcept { return zone_; }
  /// Currencies the program accepts; the first is its default currency.
  std::span<const currency* const> currencies() const noexcept { return currencies_; }
  std::span<const point_type> point_types() const noexcept { return point_types_; }
  /// The point type with this id, or nullptr.
  const point_type* find_point_type(std::string_view id) const noexcept;
  /// The enums and fields that the program's expressions may use (its `schema:` section).
  const loyalty::schema& schema() const noexcept { return schema_; }
  /// The program's named expressions (its `variables:` section), in order; rules compile their
  /// expressions with these in scope.
  std::span<const variable_def> variables() const noexcept { return variables_; }

  /// The event types (`events:`), then the anniversary types the engine raises itself.
  std::span<const event_type> event_types() const noexcept { return event_types_; }
  /// The index of event type `id` in event_types(), or no_index.
  std::uint16_t find_event_type(std::string_view id) const noexcept;
  /// The earning rules (`rules:`), in file order: the order the engine evaluates them.
  std::span<const earning_rule> rules() const noexcept { return rules_; }
  /// The index of rule `id` in rules(), or nullopt.
  std::optional<std::uint32_t> find_rule(std::string_view id) const noexcept;
  std::span<const rule_group> groups() const noexcept { return groups_; }
  /// Campaign budgets (`budgets:`); process_options::budgets follows this order.
  std::span<const budget> budgets() const noexcept { return budgets_; }

  /// A `customer.*` field of the schema: what a member's profile holds.
  struct profile_field {
    std::string path;        ///< "customer.birthday"
    std::uint32_t slot = 0;  ///< in the schema (and in every event type's schema)
    field_type type;
  };
  std::span<const profile_field> profile_fields() const noexcept { return profile_fields_; }
  /// How many customer cap counters and rounding carries a member keeps.
  std::uint32_t counter_count() const noexcept { return counters_; }
  std::uint32_t carry_count() const noexcept { return carries_; }

 private:
  friend class program_builder;
  friend class rules_builder;
  std::string name_;
  std::string version_;
  std::string time_zone_;
  loyalty::time_zone zone_ = loyalty::time_zone::utc();
  std::vector<const currency*> currencies_;
  std::vector<point_type> point_types_;
  loyalty::schema schema_;
  std::vector<variable_def> variables_;
  std::vector<event_type> event_types_;
  std::vector<earning_rule> rules_;
  std::vector<rule_group> groups_;
  std::vector<budget> budgets_;
  std::vector<profile_field> profile_fields_;
  std::uint32_t counters_ = 0;
  std::uint32_t carries_ = 0;
};

/// The ledger's wallets for `program`: one per point type, in the order of point_types() (so
/// wallet i is point type i), each with the type's scale, expiry policy, reset_on,
/// consumption order, return policy and refund_min_validity, and the program's time zone.
std::vector<wallet_policy> wallet_policies(const program& program);

/// The outcome of loading: a program when there was no error, and every diagnostic found
/// (warnings may accompany a program).
struct load_result {
  std::shared_ptr<const loyalty::program> program;
  std::vector<diagnostic> diagnostics;

  bool ok() const noexcept { return program != nullptr; }
};

/// Loads, checks and compiles a program from YAML text. Never throws on bad input (only
/// std::bad_alloc can escape); every problem becomes a diagnostic naming `source_name`.
load_result load_program(std::string_view yaml_text, std::string_view source_name,
                         const load_options& options = {});

}  // namespace loyalty
