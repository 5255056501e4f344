// The compiled form of an expression: a flat array of typed nodes, evaluated without allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "expr/columns.hpp"
#include "expr/vm.hpp"
#include "loyalty/expression.hpp"

namespace loyalty::internal::expr {

/// What a compiled node does. Types are resolved at compile time, so each op works on one kind.
enum class op : std::uint8_t {
  constant,
  field,
  negate_int,
  negate_dec,
  logical_not,
  logical_and,
  logical_or,
  coalesce,
  arith_int,    // aux: arith kind; both operands integers
  arith_dec,    // aux: arith kind; digits: result scale for division
  round_dec,    // x rounded to `digits` with mode `aux`; a divide child is fused (exact)
  compare_num,  // aux: comparison
  compare_str,
  compare_enum,
  compare_bool,
  is_null,  // aux: 0 == null, 1 != null
  in_mask,  // enum in a constant set: bit per code
  in_list,  // a in [items...]: args; aux: comparison family (0 num, 1 str, 2 enum, 3 bool)
  conditional,
  abs_num,
  min_num,  // args
  max_num,  // args
  clamp_num,
  lower,
  upper,
  starts_with,
  ends_with,
  contains,
  // Fused forms made by the compiler's peephole pass (see fuse() in compile.cpp); each replaces a
  // field, a constant and the operator joining them.
  compare_slot,    // field <cmp> constant, compared as raw bits (units at the field's scale, code)
  in_mask_slot,    // enum field in a constant set
  div_slot_const,  // round(field / constant, digits, mode)
  // Lists.
  row_field,  // field `slot` of the current row of the lambda at depth `aux`
  list_fn,    // aux: list_kind; a: list; b: filter predicate (flag 1); c: body (flag 2);
              // digits: lambda depth
  variable,   // named variable `slot`, computed by subtree `a` once per evaluation
  // Time.
  now,         // the instant the host passed in
  today,       // now's date in the schema's time zone
  time_arith,  // aux: time_op; a, b
  time_fn,     // aux: time_fn_kind; a, b (optional); digits: calendar_unit or feb29_rule
};

enum class time_op : std::uint8_t {
  ts_plus_dur,
  ts_minus_dur,
  ts_minus_ts,
  date_plus_dur,
  date_minus_dur,
  date_minus_date,
  dur_plus_dur,
  dur_minus_dur,
  dur_times_int,
  int_times_dur,
};

enum class time_fn_kind : std::uint8_t {
  date_of,  // timestamp -> local date
  days_between,
  months_between,
  years_between,
  day_of_week,
  day_of_month,
  month,
  year,
  quarter,
  start_of,  // digits: calendar_unit; date -> date, timestamp -> timestamp
  end_of,
  add_months,      // date, integer -> date
  is_anniversary,  // digits: feb29_rule
  completed_years,
  next_anniversary,
};

enum class list_kind : std::uint8_t { any, all, none, count, sum, min, max };

/// Deepest nesting of list functions (each needs a current row).
inline constexpr int max_lambda_depth = 4;

/// Kinds whose present values are one 64-bit integer: a decimal's units at its static scale, an
/// enum's code, a date's day number, a timestamp's or duration's microseconds, a bool, an integer.
/// The register machine, the column evaluator and slot tests hold exactly these.
constexpr bool one_int64(value_kind k) noexcept {
  switch (k) {
    case value_kind::boolean:
    case value_kind::integer:
    case value_kind::decimal:
    case value_kind::enumeration:
    case value_kind::date:
    case value_kind::timestamp:
    case value_kind::duration:
      return true;
    default:
      return false;
  }
}

enum class arith : std::uint8_t { add, sub, mul, div, rem };
enum class compare : std::uint8_t { eq, ne, lt, le, gt, ge };

struct node {
  op code = op::constant;
  std::uint8_t aux = 0;
  std::int8_t digits = 0;
  bool result_int = false;             // numeric result is an integer (min/max/abs/conditional)
  value_kind kind = value_kind::null;  // static result type (decimal: at `scale` digits)
  std::int8_t scale = 0;
  std::uint32_t a = 0, b = 0, c = 0;
  std::uint32_t args_begin = 0, args_count = 0;
  value constant;          // constant value; field: unused
  std::uint32_t slot = 0;  // field
  std::uint64_t mask = 0;  // in_mask
};

}  // namespace loyalty::internal::expr

namespace loyalty {

struct compiled_expression::impl {
  std::vector<internal::expr::node> nodes;
  std::vector<std::uint32_t> args;
  std::vector<std::unique_ptr<std::string>> strings;  // text constants (stable addresses)
  std::vector<field_type> slot_types;                 // declared type per slot, for checks
  std::uint32_t root = 0;
  std::uint32_t max_iterations = 0;
  time_zone zone = time_zone::utc();
  field_type result;
  internal::expr::register_program vm;     // empty: the tree evaluator runs `nodes`
  internal::expr::column_program columns;  // empty: batches run `vm` event by event
};

namespace internal::expr {

/// `x <c> y` on raw bits (integers, units at one scale, enum codes, instants); both evaluators
/// compare through this one table.
inline bool compare_bits(compare c, std::int64_t x, std::int64_t y) noexcept {
  switch (c) {
    case compare::eq:
      return x == y;
    case compare::ne:
      return x != y;
    case compare::lt:
      return x < y;
    case compare::le:
      return x <= y;
    case compare::gt:
      return x > y;
    case compare::ge:
      return x >= y;
  }
  return false;
}

/// Enum code `x` is in the set of codes `mask` (false for a negative or missing code).
inline bool in_set(std::int64_t x, std::uint64_t mask) noexcept {
  return x >= 0 && x < 64 && ((mask >> x) & 1U) != 0;
}

/// The evaluation status for a failed decimal operation.
inline eval_status from_errc(decimal_errc e) noexcept {
  return e == decimal_errc::division_by_zero ? eval_status::division_by_zero
                                             : eval_status::overflow;
}

/// One event of a batch, read like an expression_input.
struct batch_row {
  const expression_batch& batch;
  std::size_t row;
  const value& get(std::uint32_t slot) const noexcept { return batch.get(row, slot); }
  const value& now() const noexcept { return batch.now(); }
};

/// The register program for `p`'s nodes, or an empty one when some node needs the tree evaluator.
register_program lower_to_registers(const compiled_expression::impl& p);

/// Runs `p.vm` (not empty) against `in`.
eval_status run_registers(const compiled_expression::impl& p, const expression_input& in,
                          value& out) noexcept;

/// Runs `p.vm` (not empty) against the first `rows` events of `in`.
void run_registers(const compiled_expression::impl& p, const expression_batch& in, std::size_t rows,
                   value* out, eval_status* status) noexcept;

/// Runs `p.vm` (not empty) against event `row` of `in`.
eval_status run_registers_row(const compiled_expression::impl& p, const expression_batch& in,
                              std::size_t row, value& out) noexcept;

/// The column program for `p` (whose `vm` is not empty), or an empty one (columns.cpp).
column_program lower_to_columns(const compiled_expression::impl& p);

/// Runs `p.columns` (not empty) against the first `rows` events of `in`.
void run_columns(const compiled_expression::impl& p, const expression_batch& in, std::size_t rows,
                 value* out, eval_status* status) noexcept;

}  // namespace internal::expr

}  // namespace loyalty
