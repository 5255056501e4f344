// The engine: what a host calls for every event (an order, a return, a review) and once a day.
//
//   auto loaded = loyalty::load_program(yaml, "shop.yaml");
//   loyalty::engine eng(loaded.program);                 // immutable; share it across threads
//   loyalty::member alice = eng.open(loyalty::id128{0, 42});
//
//   loyalty::event order(*loaded.program, "order.completed");
//   order.reset(loyalty::event_id("INV-1001"), placed_at);
//   (void)order.set("event.net", loyalty::decimal::parse("59.90").value);
//   loyalty::engine_decision d;                          // reuse it: it keeps its memory
//   eng.process(alice, order, now, {}, d);
//   // d.awards: what each rule credited; d.entries: the journal entries to persist with alice
//
// process() and advance() work on the host's copy of a member: they change it and say what to
// persist. The host stores the entries and the member atomically if the stored version is still
// d.read_version, and otherwise discards its copy, reloads and processes the event again (a
// retried event is recognised and never awards twice). docs/rules.md has the whole protocol.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/ledger.hpp"
#include "loyalty/program.hpp"

namespace loyalty {

namespace internal {
struct engine_tables;
}  // namespace internal

/// The id of an event the host names with text (an invoice number, a bet id): a 128-bit hash.
/// Derive it once, where the event enters the host; the engine itself hashes no strings.
id128 event_id(std::string_view text) noexcept;

/// A set of 128-bit ids: open addressing over a flat table, for the events a member has seen.
class id_set {
 public:
  bool contains(id128 id) const noexcept;
  /// False when `id` was there already.
  bool insert(id128 id);
  std::size_t size() const noexcept { return size_; }
  /// Every id, in no particular order (for storage).
  std::vector<id128> ids() const;

 private:
  std::vector<id128> slots_;  // {0,0}: empty
  std::size_t size_ = 0;
};

/// What the engine remembers of an event with lines (an order), so that a return can reverse
/// exactly what was awarded for the returned lines, and a later event can activate its points.
/// The numbers live in the member's flat arrays (order_values, order_awards), so remembering an
/// order allocates nothing once those have grown.
struct order_record {
  id128 event;
  std::uint16_t type = 0;
  timestamp at;
  std::uint32_t lines = 0;
  /// quantity of line i: member::order_values[first_value + i]; returned so far:
  /// order_values[first_value + lines + i].
  std::uint32_t first_value = 0;
  std::uint32_t first_award = 0;  ///< awards: member::order_awards[first_award, +awards)
  std::uint32_t awards = 0;
};

/// One rule's award on a remembered order.
struct order_award {
  std::uint32_t rule = 0;      ///< index in the program that made it
  std::uint64_t rule_key = 0;  ///< the rule's key (earning_rule::key): found again by it
  std::uint16_t wallet = 0;
  id128 op;  ///< the earn that credited it (its lot); rules of one event may share a lot
  /// Units awarded for line i: member::order_values[first_unit + i] (one value for an order
  /// without lines).
  std::uint32_t first_unit = 0;
  std::int64_t reversed = 0;  ///< units asked back so far by returns
  bool pending_until_event = false;
};

/// A cap's usage for one customer in the cap's current period.
struct cap_counter {
  std::int64_t period = 0;  ///< which period the usage belongs to (a period number)
  std::int64_t units = 0;
  std::int64_t count = 0;
};

/// Everything the engine keeps about one customer: the ledger state and the engine's own.
/// The host loads and stores it whole; `version` counts the decisions applied to it.
struct member {
  id128 customer;
  std::uint64_t version = 0;
  customer_state ledger;
  /// Values of the program's `customer.*` fields, by profile index (program::profile_fields()).
  std::vector<value> profile;
  std::vector<std::string> profile_text;   ///< text values live here; profile holds none
  id_set events;                           ///< every event processed, by id
  std::vector<std::int64_t> event_counts;  ///< events processed, per event type
  std::vector<cap_counter> counters;       ///< per customer cap (cap::counter)
  std::vector<decimal> carries;            ///< rounding remainders kept (earning_rule::carry)
  std::vector<order_record> orders;        ///< events with lines, oldest first
  std::vector<order_award> order_awards;   ///< their awards
  std::vector<std::int64_t> order_values;  ///< their quantities and units per line
  std::optional<civil_date> advanced_to;   ///< the last local date advance() covered

  /// Sets a `customer.*` field ("customer.birthday"); false when the program has no such
  /// field or `v` is not of its type. Text is copied.
  bool set_profile(const program& p, std::string_view field, value v);
  /// The value of a `customer.*` field (null when unset or unknown).
  value profile_value(const program& p, std::string_view field) const;

  /// A remembered order's quantities per line, what was returned of each, its awards, and the
  /// units one of its awards gave each line (one value for an order without lines).
  std::span<const std::int64_t> quantities(const order_record& o) const noexcept {
    return {order_values.data() + o.first_value, o.lines};
  }
  std::span<const std::int64_t> returned(const order_record& o) const noexcept {
    return {order_values.data() + o.first_value + o.lines, o.lines};
  }
  std::span<const order_award> awards(const order_record& o) const noexcept {
    return {order_awards.data() + o.first_award, o.awards};
  }
  std::span<const std::int64_t> units(const order_record& o, const order_award& a) const noexcept {
    return {order_values.data() + a.first_unit, o.lines == 0 ? 1U : o.lines};
  }
};

/// One event to process: its type, id, time and fields. Reuse one per thread: reset() it for
/// each event and set what the event carries.
class event {
 public:
  /// An event of `type`; throws std::invalid_argument for a type the program does not declare.
  event(const program& p, std::string_view type);
  event(const program& p, std::uint16_t type);

  /// Starts a new event: every field missing, no lines returned.
  void reset(id128 id, timestamp at);
  /// Sets field `path` ("event.net", "customer.tier"); false when there is no such field or
  /// `v` does not fit its type (the field is then missing). Looks the name up: outside hot
  /// loops prefer slot().
  [[nodiscard]] bool set(std::string_view path, value v);
  [[nodiscard]] bool set(std::string_view path, decimal d) {
    return set(path, value::of_decimal(d));
  }
  [[nodiscard]] bool set(std::uint32_t slot, value v) noexcept { return input_.set(slot, v); }
  [[nodiscard]] bool set(std::uint32_t slot, decimal d) noexcept {
    return input_.set(slot, value::of_decimal(d));
  }
  /// The slot of `path` in this event type's schema, or nullopt.
  std::optional<std::uint32_t> slot(std::string_view path) const;
  /// refers_to / returns: the earlier event this one names.
  void set_original(id128 original) noexcept { original_ = original; }
  /// returns: a returned line (0-based index into the original's lines) and how many of it.
  /// No returned lines at all means the whole remainder of the original is returned.
  void add_returned_line(std::uint32_t line, std::int64_t quantity);

  id128 id() const noexcept { return id_; }
  timestamp at() const noexcept { return at_; }
  id128 original() const noexcept { return original_; }
  std::uint16_t type() const noexcept { return type_; }
  const event_type& type_info() const noexcept { return *info_; }
  const expression_input& input() const noexcept { return input_; }
  struct returned_line {
    std::uint32_t line;
    std::int64_t quantity;
  };
  std::span<const returned_line> returned_lines() const noexcept { return returned_; }

 private:
  [[maybe_unused]] const program* program_;  // the program it was made for
  std::uint16_t type_;
  const event_type* info_;
  expression_input input_;
  id128 id_;
  timestamp at_;
  id128 original_;
  std::vector<returned_line> returned_;
};

/// The overall result of process() and advance().
enum class process_result : std::uint8_t {
  ok,
  duplicate,         ///< the event was processed before: nothing changes, awards as recorded
  invalid_event,     ///< an invalid id, or a required field missing (see engine_decision::detail)
  unknown_original,  ///< refers_to/returns: the original event is not in the member's history
  over_return,       ///< returns: more of a line than was bought (or is left), or no such line
  missing_budgets,   ///< a budgeted rule may fire and process_options::budgets is too short
  wrong_program,     ///< the event or member belongs to another program's layout
};

std::string_view to_string(process_result r) noexcept;

/// Why a rule did or did not award, in an explanation.
enum class rule_outcome : std::uint8_t {
  awarded,
  message_only,      ///< fired; it has no award, only a message
  outside_window,    ///< `active:` excludes the event's time
  condition_false,   ///< a `when` clause is false (or null)
  no_line_matched,   ///< per line: no line passed `where`
  zero_award,        ///< fired, but the award came to 0 after rounding
  capped,            ///< fired, but a cap or the budget left nothing
  lost_in_group,     ///< another rule of its group won (first or best)
  evaluation_error,  ///< an expression failed (see rule_trace::status)
  ledger_refused,    ///< the ledger refused the earn (see award::ledger)
};

std::string_view to_string(rule_outcome o) noexcept;

/// One clause's value, in an explanation.
struct clause_trace {
  std::uint16_t clause = 0;  ///< index into the rule's `when`
  eval_status status = eval_status::ok;
  value result;  ///< true, false or null
};

/// What one rule did with one event (explanations only).
struct rule_trace {
  std::uint32_t rule = 0;
  rule_outcome outcome = rule_outcome::condition_false;
  std::vector<clause_trace>
      clauses;                      ///< the `when` clauses evaluated (they stop at the first false)
  std::uint32_t lines_matched = 0;  ///< per line: lines that passed `where`
  eval_status status = eval_status::ok;
  decimal uncapped;  ///< the award after rounding, before caps and budget
  decimal awarded;   ///< after caps and budget
  /// The cap (index into the rule's caps) that cut the award, or -1; -2: the budget.
  int limited_by = -1;
};

/// A credit a rule made. The awards of one event into one wallet with the same activation and
/// expiry are credited as one lot (one earn), so an order makes one or two lots, not one per rule.
struct award {
  std::uint32_t rule = 0;
  std::uint16_t wallet = 0;
  id128 op;          ///< the earn (and lot) that credited it: derived from the event's id
  decimal amount;    ///< credited, at the point type's scale
  decimal uncapped;  ///< what the rule computed before caps and budget
  bool pending = false;
  ledger_result ledger = ledger_result::ok;
};

/// What a return took back from one award.
struct reversal {
  std::uint32_t rule = 0;
  std::uint16_t wallet = 0;
  id128 op;           ///< the reverse_earn's id
  id128 earn;         ///< the award it reverses
  decimal requested;  ///< the returned lines' share of the award
  decimal reversed;   ///< what the return policy let the ledger take
  ledger_result ledger = ledger_result::ok;
};

/// Budget units a decision consumes; the host reserves them atomically before committing.
struct budget_use {
  std::uint16_t budget = 0;
  std::int64_t units = 0;
};

/// A message for the host ("send_welcome_offer") from a rule that fired.
struct engine_message {
  std::uint32_t rule = 0;
  std::string_view text;  ///< points into the program
};

struct process_options {
  /// Units left in each budget, in program::budgets() order, as the host's counters say now.
  std::span<const std::int64_t> budgets;
  /// Fill engine_decision::trace: why each rule did or did not fire.
  bool explain = false;
};

/// The outcome of process() or advance(). Reuse one per thread: clear() keeps its memory.
struct engine_decision {
  process_result result = process_result::ok;
  std::string detail;                  ///< for invalid_event and over_return: what is wrong
  std::uint64_t read_version = 0;      ///< the member's version before the decision
  std::vector<journal_entry> entries;  ///< ledger entries to persist, in order
  std::vector<award> awards;
  std::vector<reversal> reversals;
  std::vector<budget_use> budgets;
  std::vector<engine_message> messages;
  std::vector<rule_trace> trace;  ///< with process_options::explain

  engine_decision();
  ~engine_decision();
  engine_decision(engine_decision&&) noexcept;
  engine_decision& operator=(engine_decision&&) noexcept;
  void clear() noexcept;

  struct scratch;
  std::unique_ptr<scratch> work;  ///< the engine's working memory, kept between calls
};

/// A compiled program with its ledger: immutable, shared by every thread. State is per member.
class engine {
 public:
  explicit engine(std::shared_ptr<const loyalty::program> p);

  const loyalty::program& program() const noexcept { return *program_; }
  const loyalty::ledger& ledger() const noexcept { return ledger_; }

  /// A new member with empty wallets and no history.
  member open(id128 customer) const;

  /// Processes `e` for `m` at `now`: evaluates the rules on its type in file order, credits
  /// what they award, reverses returned lines, activates points waiting for it. Changes `m` (the
  /// host's copy) and fills `out`. On any result but ok, `m` is unchanged.
  void process(member& m, const event& e, timestamp now, const process_options& options,
               engine_decision& out) const;
  engine_decision process(member& m, const event& e, timestamp now,
                          const process_options& options = {}) const;

  /// The end-of-day work at `now`, in this order: the ledger's advance (lapses, hold timeouts,
  /// pending lots whose time has come, expiry); then anniversaries of customer dates for each
  /// local day since the last advance; caps need no reset (they count per period number).
  void advance(member& m, timestamp now, const process_options& options,
               engine_decision& out) const;
  engine_decision advance(member& m, timestamp now, const process_options& options = {}) const;

  /// Balances of point type `point_type` ("points").
  balances balance(const member& m, std::string_view point_type) const;

 private:
  void prepare(member& m) const;
  std::shared_ptr<const loyalty::program> program_;
  loyalty::ledger ledger_;
  // What the engine derives from the program once (src/engine.cpp).
  std::shared_ptr<const internal::engine_tables> tables_;
};

/// Where a host keeps its members: load one, and store it with the journal entries of a decision
/// atomically, only if nobody stored a newer version in between (optimistic concurrency).
class member_store {
 public:
  virtual ~member_store() = default;
  /// The stored member, or nullopt for an unknown customer.
  virtual std::optional<member> load(id128 customer) = 0;
  /// Appends `entries` to the customer's journal and replaces the member, only if the stored
  /// version is still `expected_version` (0 for a new customer; pass the decision's
  /// read_version). False, changing nothing, otherwise: reload and process the event again.
  virtual bool commit(const member& m, std::span<const journal_entry> entries,
                      std::uint64_t expected_version) = 0;
};

/// A member_store in memory, for tests, examples and the command-line tool.
class memory_member_store final : public member_store {
 public:
  std::optional<member> load(id128 customer) override;
  bool commit(const member& m, std::span<const journal_entry> entries,
              std::uint64_t expected_version) override;
  /// The journal of one customer, in order.
  std::span<const journal_entry> journal(id128 customer) const noexcept;
  std::size_t size() const noexcept { return records_.size(); }

 private:
  struct record {
    member state;
    std::vector<journal_entry> journal;
  };
  std::vector<record> records_;  // sorted by customer id
};

}  // namespace loyalty
