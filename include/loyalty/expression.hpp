// The expression language: small, typed, exact expressions inside rule files.
//
//   order.total >= 50 and customer.tier in ['gold', 'platinum']
//   floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else 1.5)
//
// An expression is compiled once against a schema (the fields an event and a customer carry, and
// their types); every problem is a diagnostic pointing at the offending token. Evaluation reads
// the field values the host put in an `expression_input`, allocates nothing and hashes no strings.
//
//   loyalty::schema s;
//   s.add_enum("tier", {"bronze", "silver", "gold", "platinum"});
//   s.add_field("order.total", loyalty::field_type::decimal(2));
//   s.add_field("customer.tier", loyalty::field_type::enumeration("tier"));
//
//   auto compiled = loyalty::compile_expression("order.total >= 50", s, "rule.when");
//   loyalty::expression_input in(s);
//   in.set(s.find_field("order.total")->slot, loyalty::decimal::parse("60.00").value_or_throw());
//   loyalty::value v;
//   compiled.expression->evaluate(in, v);   // v.as_bool() == true
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/diagnostic.hpp"
#include "loyalty/time.hpp"

namespace loyalty {

namespace internal::expr {
struct impl_access;  // the library's own view of a compiled expression (src/expr)
}  // namespace internal::expr

/// The kinds of values an expression computes with.
enum class value_kind : std::uint8_t {
  null,
  boolean,
  integer,
  decimal,
  string,
  enumeration,
  list,       ///< rows of a record type, e.g. order lines
  date,       ///< a calendar date (civil_date)
  timestamp,  ///< an instant (timestamp, microseconds since 1970 UTC)
  duration,   ///< a length of time (duration, microseconds)
};

/// "decimal", "text", ...: for messages.
std::string_view to_string(value_kind kind) noexcept;

/// The declared type of a field: a kind plus its parameters, and whether it may be missing.
struct field_type {
  value_kind kind = value_kind::null;
  std::int8_t scale = 0;         ///< decimal: the fractional digits values are kept at
  std::uint16_t enum_index = 0;  ///< enumeration: index into schema::enums(); list: records()
  bool optional = false;         ///< may be null (missing) at evaluation
  std::string type_name;         ///< enumeration or list: the enum's or record's name

  static field_type boolean() { return {value_kind::boolean, 0, 0, false, {}}; }
  static field_type integer() { return {value_kind::integer, 0, 0, false, {}}; }
  static field_type decimal(int scale) {
    return {value_kind::decimal, static_cast<std::int8_t>(scale), 0, false, {}};
  }
  static field_type string() { return {value_kind::string, 0, 0, false, {}}; }
  static field_type date() { return {value_kind::date, 0, 0, false, {}}; }
  static field_type timestamp() { return {value_kind::timestamp, 0, 0, false, {}}; }
  static field_type duration() { return {value_kind::duration, 0, 0, false, {}}; }
  static field_type enumeration(std::string_view name) {
    return {value_kind::enumeration, 0, 0, false, std::string(name)};
  }
  /// Rows of the record type `record_name` (declared with schema::add_record).
  static field_type list(std::string_view record_name) {
    return {value_kind::list, 0, 0, false, std::string(record_name)};
  }
  /// The same type, allowed to be missing.
  field_type or_null() const {
    field_type t = *this;
    t.optional = true;
    return t;
  }
};

/// A declared set of names, e.g. tier = {bronze, silver, gold, platinum}.
struct enum_type {
  std::string name;
  std::vector<std::string> values;  ///< in declaration order; the index is the value's code
};

/// A row type for lists, e.g. line = {sku: text, price: decimal(2), qty: integer}. A row is
/// `fields.size()` consecutive values in this order.
struct record_type {
  std::string name;
  std::vector<std::pair<std::string, field_type>> fields;
};

/// A field an expression may read, e.g. "order.total"; resolved to `slot` at compile time.
struct field_decl {
  std::string path;
  field_type type;
  std::uint32_t slot = 0;
};

/// The fields and enums expressions are checked against. Built once, at load time.
class schema {
 public:
  /// Declares an enum; returns false (and changes nothing) when the name exists or a value repeats.
  bool add_enum(std::string_view name, std::vector<std::string> values);
  /// Declares a record type for lists; its fields are scalars (no nested lists). Returns false
  /// when the name exists, a field name repeats or is not an id, or a type is invalid.
  bool add_record(std::string_view name, std::vector<std::pair<std::string, field_type>> fields);
  /// Declares a field ("order.total"); returns false when the path exists, is not dotted
  /// identifiers, or names an unknown enum or record.
  bool add_field(std::string_view path, field_type type);

  const field_decl* find_field(std::string_view path) const noexcept;
  const enum_type* find_enum(std::string_view name) const noexcept;
  const record_type* find_record(std::string_view name) const noexcept;
  std::span<const record_type> records() const noexcept { return records_; }
  std::span<const field_decl> fields() const noexcept { return fields_; }
  std::span<const enum_type> enums() const noexcept { return enums_; }
  /// The code of `value` in enum `enum_index`, or -1.
  int enum_code(std::uint16_t enum_index, std::string_view value) const noexcept;
  /// The code of `value` in the enum named `enum_name`, or -1: enum_code("tier", "gold"). Look
  /// codes up once, at start-up, not per event.
  int enum_code(std::string_view enum_name, std::string_view value) const noexcept;

  /// The zone in which dates are read from instants (`today`, day_of_week(now), start_of(...)).
  /// UTC unless set; a program sets its `time_zone`.
  void set_time_zone(time_zone zone) noexcept { zone_ = zone; }
  time_zone zone() const noexcept { return zone_; }

 private:
  bool valid_type(field_type& type) const;

  std::vector<field_decl> fields_;
  std::vector<enum_type> enums_;
  std::vector<record_type> records_;
  time_zone zone_ = time_zone::utc();
};

/// One value during evaluation: 16 bytes, trivially copyable. Text and list values point into
/// the host's memory or the compiled expression's constants; they are never copied, so a text
/// result is valid only while the compiled expression and the inputs it read are alive.
class value {
 public:
  constexpr value() noexcept = default;
  static value of_bool(bool b) noexcept { return value(value_kind::boolean, b ? 1 : 0, 0, 0); }
  static value of_int(std::int64_t i) noexcept { return value(value_kind::integer, i, 0, 0); }
  static value of_decimal(decimal d) noexcept {
    return value(value_kind::decimal, d.units(), static_cast<std::uint8_t>(d.scale()), 0);
  }
  static value of_enum(int code) noexcept { return value(value_kind::enumeration, code, 0, 0); }
  static value of_date(civil_date d) noexcept { return value(value_kind::date, d.days, 0, 0); }
  static value of_timestamp(timestamp t) noexcept {
    return value(value_kind::timestamp, t.micros, 0, 0);
  }
  static value of_duration(duration d) noexcept {
    return value(value_kind::duration, d.micros, 0, 0);
  }
  /// Text; `text` must outlive every evaluation that reads it.
  static value of_string(std::string_view text) noexcept;
  /// `count` rows of `width` values each (the record's fields in order), stored contiguously in
  /// `rows`; the memory must outlive every evaluation that reads it.
  static value of_list(const value* rows, std::uint32_t count, std::uint8_t width) noexcept;

  value_kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == value_kind::null; }
  bool as_bool() const noexcept { return bits_ != 0; }
  std::int64_t as_int() const noexcept { return bits_; }
  /// The number as a decimal (an integer has scale 0).
  decimal as_decimal() const noexcept {
    return decimal(bits_, kind_ == value_kind::decimal ? scale_ : std::uint8_t{0});
  }
  /// Decimal scale (0 for integers).
  int scale() const noexcept { return scale_; }
  int as_enum() const noexcept { return static_cast<int>(bits_); }
  civil_date as_date() const noexcept { return {static_cast<std::int32_t>(bits_)}; }
  timestamp as_timestamp() const noexcept { return {bits_}; }
  duration as_duration() const noexcept { return {bits_}; }
  std::string_view as_string() const noexcept;
  /// List rows (count() rows of width() values).
  const value* rows() const noexcept;
  std::uint32_t count() const noexcept { return length_; }
  std::uint8_t width() const noexcept { return scale_; }

 private:
  constexpr value(value_kind kind, std::int64_t bits, std::uint8_t scale,
                  std::uint32_t length) noexcept
      : bits_(bits), length_(length), kind_(kind), scale_(scale) {}

  std::int64_t bits_ = 0;     // bool, integer, decimal units, enum code, or text pointer
  std::uint32_t length_ = 0;  // text length
  value_kind kind_ = value_kind::null;
  std::uint8_t scale_ = 0;  // decimal scale, or a list's row width
  // Explicit, so that a copy is two aligned 8-byte moves rather than overlapping ones (which
  // stall a later read of the value through failed store-to-load forwarding).
  [[maybe_unused]] std::uint16_t reserved_ = 0;
};

namespace detail {
/// A slot's declared type, as the input boundary checks it.
struct input_slot {
  value_kind kind;
  std::int8_t scale;
  bool optional;
  const record_type* record;  // lists
};
std::vector<input_slot> input_slots(const schema& s);
/// `v` as slot type `t` stores it (a decimal at exactly the declared scale); false when `v` does
/// not fit. A null `v` fits.
bool accept_input(const input_slot& t, value& v) noexcept;
/// The fast test of expression_input::set: `v` is already stored as `t` wants it.
inline bool stored_as_is(const input_slot& t, const value& v) noexcept {
  return v.kind() == t.kind && t.kind != value_kind::list && v.as_int() != INT64_MIN &&
         (t.kind != value_kind::decimal || v.scale() == t.scale);
}
}  // namespace detail

/// The field values of one evaluation, by slot. Reused across events: set what changed.
///
/// This is the boundary where inputs are checked: set() accepts a value only if it has the
/// field's declared kind, and stores decimals at exactly the field's declared scale (so 19.9 for
/// a decimal(2) field is kept as 19.90). A value that does not fit is refused and the slot is left
/// missing, so a wrong input can never become a silently wrong result.
class expression_input {
 public:
  explicit expression_input(const schema& s);
  /// Stores `v` in `slot`; false (slot left missing) when the kind is wrong, a decimal has more
  /// fractional digits than the field keeps, or rescaling overflows. A null `v` clears the slot.
  [[nodiscard]] bool set(std::uint32_t slot, value v) noexcept {
    // Fast path: already the declared kind and scale.
    if (detail::stored_as_is(types_[slot], v)) {
      values_[slot] = v;
      return true;
    }
    return set_converted(slot, v);
  }
  [[nodiscard]] bool set(std::uint32_t slot, decimal d) noexcept {
    return set(slot, value::of_decimal(d));
  }
  void clear(std::uint32_t slot) noexcept { values_[slot] = value(); }
  /// The instant `now` and `today` refer to; the host passes the time in (the library has no
  /// clock). Unset, an expression that reads it fails with eval_status::missing_field.
  void set_now(timestamp t) noexcept { now_ = value::of_timestamp(t); }
  const value& now() const noexcept { return now_; }
  const value& get(std::uint32_t slot) const noexcept { return values_[slot]; }
  std::size_t size() const noexcept { return values_.size(); }

 private:
  // Out of line, so that the inline fast path never takes v's address (a value assembled in
  // memory field by field and then copied whole stalls the copy: failed store forwarding).
  bool set_converted(std::uint32_t slot, value v) noexcept;

  std::vector<value> values_;
  std::vector<detail::input_slot> types_;
  value now_;
};

/// The field values of a batch of events, stored field by field (one column per slot): the batch
/// form of expression_input, for hosts that evaluate a rule over many events at once. set()
/// checks each value exactly as expression_input::set() does.
///
///   loyalty::expression_batch batch(s, 4096);
///   for (std::size_t row = 0; row < n; ++row) {
///     (void)batch.set(row, total_slot, orders[row].total);
///     ...
///   }
///   compiled.expression->evaluate(batch, results, statuses);
class expression_batch {
 public:
  /// Room for `rows` events, every field missing.
  expression_batch(const schema& s, std::size_t rows);
  std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] bool set(std::size_t row, std::uint32_t slot, value v) noexcept {
    if (detail::stored_as_is(types_[slot], v)) {
      values_[slot * rows_ + row] = v;
      return true;
    }
    return set_converted(row, slot, v);
  }
  [[nodiscard]] bool set(std::size_t row, std::uint32_t slot, decimal d) noexcept {
    return set(row, slot, value::of_decimal(d));
  }
  void clear(std::size_t row, std::uint32_t slot) noexcept {
    values_[slot * rows_ + row] = value();
  }
  /// The instant `now` means for every event of the batch.
  void set_now(timestamp t) noexcept { now_ = value::of_timestamp(t); }
  const value& now() const noexcept { return now_; }
  const value& get(std::size_t row, std::uint32_t slot) const noexcept {
    return values_[slot * rows_ + row];
  }

 private:
  bool set_converted(std::size_t row, std::uint32_t slot, value v) noexcept;

  std::size_t rows_;
  std::vector<value> values_;  // slot-major: the column of slot k starts at k * rows_
  std::vector<detail::input_slot> types_;
  value now_;
};

/// Why an evaluation produced no value. Returned, never thrown.
enum class eval_status : std::uint8_t {
  ok,
  overflow,  ///< a decimal result does not fit
  division_by_zero,
  missing_field,  ///< a required field was not set (the host broke the schema's contract)
  type_mismatch,  ///< an input value of the wrong kind (the host broke the schema's contract)
  iteration_limit,
};

std::string_view to_string(eval_status status) noexcept;

/// Limits on what an expression may be; exceeding one is a diagnostic.
struct expression_limits {
  std::size_t max_length = 4096;  ///< characters of source text
  std::uint32_t max_depth = 64;   ///< nesting of operators and calls
  std::size_t max_list_literal = 256;
  /// Rows visited by list functions in one evaluation, nested calls included; past it the
  /// evaluation stops with eval_status::iteration_limit.
  std::uint32_t max_iterations = 10'000;
};

/// Which of the two evaluators runs a compiled expression; both give the same results.
enum class expression_evaluator : std::uint8_t {
  /// A register machine over 64-bit values at static types: expressions over numbers,
  /// booleans, enums, dates, timestamps and durations with arithmetic on numbers, comparisons,
  /// and/or/not, in, if, ??, min/max/abs/clamp, round/floor/ceil, now and variables.
  registers,
  /// A walk over the checked tree: everything else (text, lists, `today`, calendar functions,
  /// arithmetic on dates and durations).
  tree,
};

/// A checked, compiled expression. Immutable; evaluate() may run in many threads at once.
class compiled_expression {
 public:
  ~compiled_expression();
  compiled_expression(const compiled_expression&) = delete;
  compiled_expression& operator=(const compiled_expression&) = delete;

  /// The static type of the result.
  field_type result_type() const noexcept;
  /// Which evaluator runs this expression (docs/performance.md has the speed of each).
  expression_evaluator evaluator() const noexcept;
  /// Whether evaluate(batch) runs this expression as loops over columns of 64 events (expressions
  /// on the register machine, except those needing more than 48 columns or a wide division); the
  /// others run event by event. The results are the same either way (docs/performance.md).
  bool batch_in_columns() const noexcept;
  /// Evaluates against `input`. Allocates nothing.
  eval_status evaluate(const expression_input& input, value& out) const noexcept;
  /// Evaluates against each of `inputs` in turn: out[i] and status[i] for inputs[i] (all three
  /// the same size). One call for a whole batch of events; allocates nothing.
  void evaluate(std::span<const expression_input> inputs, std::span<value> out,
                std::span<eval_status> status) const noexcept;
  /// Evaluates the first min(batch.rows(), out.size(), status.size()) events of `batch`, 64 at a
  /// time as column loops where batch_in_columns() (docs/performance.md); allocates nothing.
  void evaluate(const expression_batch& batch, std::span<value> out,
                std::span<eval_status> status) const noexcept;

  struct impl;
  explicit compiled_expression(std::unique_ptr<impl> p);

 private:
  friend struct internal::expr::impl_access;
  std::unique_ptr<impl> impl_;
};

/// Where the expression's text sits in a source file, so that diagnostics point inside it.
struct expression_origin {
  expression_origin() = default;
  expression_origin(std::string source_name, std::uint32_t first_line, std::uint32_t first_column,
                    std::string first_line_text = {})
      : source(std::move(source_name)),
        line(first_line),
        column(first_column),
        line_text(std::move(first_line_text)) {}

  std::string source;        ///< file name for diagnostics
  std::uint32_t line = 1;    ///< 1-based line of the expression's first character
  std::uint32_t column = 1;  ///< 1-based byte column of the expression's first character
  std::string line_text;     ///< that source line, for the caret (optional)
  /// Column at which the expression's second and later lines start (a YAML block scalar's
  /// indentation plus one).
  std::uint32_t continuation_column = 1;
  /// The whole source, when the expression sits in a file: diagnostics then echo the real source
  /// line for every line of the expression. Must outlive compile_expression().
  std::string_view source_text;
};

struct compile_result {
  std::unique_ptr<compiled_expression> expression;  ///< null when there was an error
  std::vector<diagnostic> diagnostics;
};

/// A named value an expression may use by name, e.g. net_total = order.total - order.shipping.
/// However often an expression uses it, it is computed at most once per evaluation. A variable
/// may use the variables listed before it (never itself or later ones, so there are no cycles).
struct variable_def {
  std::string name;  ///< an id, e.g. "net_total"
  std::string text;  ///< its expression
  expression_origin origin;
};

/// At most this many variables used by one expression (directly or through other variables).
inline constexpr std::uint32_t max_variables = 64;

/// Parses, checks and compiles `text` against `s`, with `variables` in scope. Never throws on bad
/// input. Only the variables the expression uses are compiled (and diagnosed).
compile_result compile_expression(std::string_view text, const schema& s,
                                  const expression_origin& origin = {},
                                  const expression_limits& limits = {},
                                  std::span<const variable_def> variables = {});

}  // namespace loyalty
