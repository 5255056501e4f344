// Evaluation: a recursive walk over the flat node array. No allocation, no string hashing, no
// exceptions; every failure is an eval_status.
#include <algorithm>
#include <cstring>

#include "expr/program.hpp"

// The dispatcher eval() stays small (tiny frame, few saved registers) and calls the bigger
// handlers out of line: inlining them all made every recursive call pay for the largest one.
#if defined(__GNUC__) || defined(__clang__)
#define LOYALTY_NOINLINE __attribute__((noinline))
#else
#define LOYALTY_NOINLINE
#endif

namespace loyalty {

using internal::expr::arith;
using internal::expr::compare;
using internal::expr::from_errc;
using internal::expr::node;
using internal::expr::op;

namespace {

/// Per-evaluation scratch memory for text produced by lower()/upper(), on the caller's stack.
struct frame {
  static constexpr std::size_t scratch_bytes = 1024;
  char scratch[scratch_bytes];
  std::size_t used = 0;
  const value* row[internal::expr::max_lambda_depth] = {};  // current row per lambda depth
  std::uint32_t iterations = 0;
  std::uint64_t variables_ready = 0;  // bit i: variables[i] holds variable i's value
  // Left uninitialized (a value would zero itself): only slots marked ready are read.
  union cached {
    cached() noexcept {}
    value v;
  };
  cached variables[max_variables];
};

bool compare_result(compare c, int order) noexcept {
  return internal::expr::compare_bits(c, order, 0);
}

int order_of(std::strong_ordering o) noexcept {
  return o < 0 ? -1 : (o > 0 ? 1 : 0);
}

int compare_numbers(const value& a, const value& b) noexcept {
  if (a.kind() == value_kind::integer && b.kind() == value_kind::integer) {
    return (a.as_int() > b.as_int()) - (a.as_int() < b.as_int());
  }
  return order_of(a.as_decimal() <=> b.as_decimal());
}

int compare_text(std::string_view a, std::string_view b) noexcept {
  const int c = a.compare(b);
  return (c > 0) - (c < 0);
}

/// Orders two non-null values of the same static family (aux of in_list).
int compare_family(std::uint8_t family, const value& a, const value& b) noexcept {
  switch (family) {
    case 0:
      return compare_numbers(a, b);
    case 1:
      return compare_text(a.as_string(), b.as_string());
    default:
      return (a.as_int() > b.as_int()) - (a.as_int() < b.as_int());
  }
}

// Integers share the decimals' symmetric range: -2^63 is an overflow too, so that negation, abs
// and every later decimal operation on the result are defined.
bool checked_int(arith kind, std::int64_t x, std::int64_t y, std::int64_t& out) noexcept {
  switch (kind) {
    case arith::add:
      return !__builtin_add_overflow(x, y, &out) && out != INT64_MIN;
    case arith::sub:
      return !__builtin_sub_overflow(x, y, &out) && out != INT64_MIN;
    case arith::mul:
      return !__builtin_mul_overflow(x, y, &out) && out != INT64_MIN;
    case arith::rem:
      if (y == -1) {
        out = 0;
        return true;
      }
      out = x % y;
      return true;
    case arith::div:
      return false;  // integer division always goes through decimals
  }
  return false;
}

/// `Input` is an expression_input or one row of an expression_batch.
template <typename Input>
class tree_evaluator {
 public:
  tree_evaluator(const compiled_expression::impl& p, const Input& in, frame& f)
      : p_(p), in_(in), f_(f) {}

  eval_status eval(std::uint32_t i, value& out) const noexcept {
    const node& n = p_.nodes[i];
    switch (n.code) {
      case op::constant:
        out = n.constant;
        return eval_status::ok;
      case op::field:
        return field(n, out);
      case op::negate_int:
      case op::negate_dec:
        return negate(n, out);
      case op::logical_not: {
        const eval_status s = eval(n.a, out);
        if (s == eval_status::ok) out = value::of_bool(!out.as_bool());
        return s;
      }
      case op::logical_and:
      case op::logical_or:
        return logical(n, out);
      case op::coalesce: {
        eval_status s = eval(n.a, out);
        if (s == eval_status::ok && out.is_null()) s = eval(n.b, out);
        return s == eval_status::ok ? to_static(n, out) : s;
      }
      case op::arith_int:
      case op::arith_dec:
        return arithmetic(n, out);
      case op::round_dec:
        return round(n, out);
      case op::compare_num:
      case op::compare_str:
      case op::compare_enum:
      case op::compare_bool:
        return comparison(n, out);
      case op::is_null: {
        const eval_status s = eval(n.a, out);
        if (s == eval_status::ok) out = value::of_bool(out.is_null() == (n.aux == 0));
        return s;
      }
      case op::in_mask:
        return in_mask(n, out);
      case op::in_list:
        return in_list(n, out);
      case op::conditional: {
        eval_status s = eval(n.a, out);
        if (s != eval_status::ok) return s;
        s = eval(out.as_bool() ? n.b : n.c, out);
        return s == eval_status::ok ? to_static(n, out) : s;
      }
      case op::abs_num:
      case op::min_num:
      case op::max_num:
      case op::clamp_num:
        return numeric_function(n, out);
      case op::lower:
      case op::upper:
        return change_case(n, out);
      case op::starts_with:
      case op::ends_with:
      case op::contains:
        return text_test(n, out);
      case op::compare_slot:
        return compare_slot(n, out);
      case op::in_mask_slot:
        return in_mask_slot(n, out);
      case op::div_slot_const:
        return div_slot_const(n, out);
      case op::row_field:
        // Row values may have fewer digits than declared (the boundary checks, not converts,
        // rows in the host's memory): bring them to the static type.
        out = f_.row[n.aux][n.slot];
        return to_static(n, out);
      case op::list_fn:
        return list_function(n, out);
      case op::variable:
        return variable(n, out);
      case op::now:
        out = in_.now();
        return out.is_null() ? eval_status::missing_field : eval_status::ok;
      case op::today:
        out = in_.now();
        if (out.is_null()) return eval_status::missing_field;
        out = value::of_date(local_date(out.as_timestamp(), p_.zone));
        return eval_status::ok;
      case op::time_arith:
        return time_arith(n, out);
      case op::time_fn:
        return time_function(n, out);
    }
    return eval_status::type_mismatch;
  }

 private:
  // min, max, clamp, if and ?? keep a number at the node's static type: a decimal result has the
  // largest scale of the operands, whichever operand was chosen (`if c then 2 else 1.5` gives 2.0
  // or 1.5). Exact: the static scale is never below the value's.
  static eval_status to_static(const node& n, value& v) noexcept {
    if (n.kind != value_kind::decimal || v.is_null() ||
        (v.kind() == value_kind::decimal && v.scale() == n.scale)) {
      return eval_status::ok;
    }
    const decimal_result r = v.as_decimal().rescale(n.scale, rounding_mode::down);
    if (!r) return eval_status::overflow;
    v = value::of_decimal(r.value);
    return eval_status::ok;
  }

  // expression_input::set() already checked the kind and the scale.
  eval_status field(const node& n, value& out) const noexcept {
    out = in_.get(n.slot);
    if (out.is_null() && !p_.slot_types[n.slot].optional) return eval_status::missing_field;
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status negate(const node& n, value& out) const noexcept {
    const eval_status s = eval(n.a, out);
    if (s != eval_status::ok || out.is_null()) return s;
    if (out.kind() == value_kind::integer) {
      out = value::of_int(-out.as_int());
    } else if (out.kind() == value_kind::duration) {
      out = value::of_duration(-out.as_duration());
    } else {
      out = value::of_decimal(decimal::neg(out.as_decimal()));
    }
    return eval_status::ok;
  }

  // Results must stay within the supported calendar range (years 1 to 9999).
  static eval_status checked_time(value v, value& out) noexcept {
    const bool ok = v.kind() == value_kind::timestamp ? v.as_timestamp() >= timestamp::min() &&
                                                            v.as_timestamp() <= timestamp::max()
                    : v.kind() == value_kind::date
                        ? v.as_date() >= civil_date::min() && v.as_date() <= civil_date::max()
                        : true;
    if (!ok) return eval_status::overflow;
    out = v;
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status time_arith(const node& n, value& out) const noexcept {
    using internal::expr::time_op;
    value x;
    value y;
    if (const eval_status s = operands(n.a, n.b, x, y); s != eval_status::ok) return s;
    if (x.is_null() || y.is_null()) {
      out = value();
      return eval_status::ok;
    }
    std::int64_t r = 0;
    const std::int64_t day = duration::micros_per_day;
    switch (static_cast<time_op>(n.aux)) {
      case time_op::ts_plus_dur:
      case time_op::dur_plus_dur:
        if (__builtin_add_overflow(x.as_int(), y.as_int(), &r)) return eval_status::overflow;
        break;
      case time_op::ts_minus_dur:
      case time_op::ts_minus_ts:
      case time_op::dur_minus_dur:
        if (__builtin_sub_overflow(x.as_int(), y.as_int(), &r)) return eval_status::overflow;
        break;
      case time_op::date_plus_dur:
      case time_op::date_minus_dur:
        // Dates move by whole days only: 30d, not 36h.
        if (y.as_int() % day != 0) return eval_status::type_mismatch;
        r = x.as_int() + (n.aux == static_cast<std::uint8_t>(time_op::date_plus_dur) ? 1 : -1) *
                             (y.as_int() / day);
        break;
      case time_op::date_minus_date:
        r = (x.as_int() - y.as_int()) * day;
        break;
      case time_op::dur_times_int:
      case time_op::int_times_dur:
        if (__builtin_mul_overflow(x.as_int(), y.as_int(), &r) || r == INT64_MIN) {
          return eval_status::overflow;
        }
        break;
    }
    const auto kind = static_cast<value_kind>(n.digits);  // the result's kind
    if (kind == value_kind::date)
      return checked_time(value::of_date({static_cast<std::int32_t>(r)}), out);
    if (kind == value_kind::timestamp) return checked_time(value::of_timestamp({r}), out);
    out = value::of_duration({r});
    return eval_status::ok;
  }

  civil_date as_local_date(const value& v) const noexcept {
    return v.kind() == value_kind::timestamp ? local_date(v.as_timestamp(), p_.zone) : v.as_date();
  }

  // The calendar functions whose result is a whole number.
  static std::int64_t calendar_number(internal::expr::time_fn_kind kind, civil_date d,
                                      civil_date other) noexcept {
    using internal::expr::time_fn_kind;
    switch (kind) {
      case time_fn_kind::days_between:
        return days_between(d, other);
      case time_fn_kind::months_between:
        return months_between(d, other);
      case time_fn_kind::years_between:
        return years_between(d, other);
      case time_fn_kind::day_of_week:
        return day_of_week(d);
      case time_fn_kind::day_of_month:
        return day_of_month(d);
      case time_fn_kind::month:
        return month(d);
      case time_fn_kind::year:
        return year(d);
      default:
        return quarter(d);
    }
  }

  LOYALTY_NOINLINE eval_status time_function(const node& n, value& out) const noexcept {
    using internal::expr::time_fn_kind;
    value x;
    value y;
    eval_status s = eval(n.a, x);
    if (s != eval_status::ok) return s;
    const auto kind = static_cast<time_fn_kind>(n.aux);
    const bool binary =
        kind == time_fn_kind::days_between || kind == time_fn_kind::months_between ||
        kind == time_fn_kind::years_between || kind == time_fn_kind::add_months ||
        kind == time_fn_kind::is_anniversary || kind == time_fn_kind::completed_years ||
        kind == time_fn_kind::next_anniversary;
    if (binary && (s = eval(n.b, y)) != eval_status::ok) return s;
    if (x.is_null() || (binary && y.is_null())) {
      out = kind == time_fn_kind::is_anniversary ? value::of_bool(false) : value();
      return eval_status::ok;
    }
    const civil_date d = as_local_date(x);
    const auto unit = static_cast<calendar_unit>(n.digits);
    const auto rule = static_cast<feb29_rule>(n.digits);
    switch (kind) {
      case time_fn_kind::date_of:
        out = value::of_date(d);
        return eval_status::ok;
      case time_fn_kind::days_between:
      case time_fn_kind::months_between:
      case time_fn_kind::years_between:
      case time_fn_kind::day_of_week:
      case time_fn_kind::day_of_month:
      case time_fn_kind::month:
      case time_fn_kind::year:
      case time_fn_kind::quarter:
        out = value::of_int(calendar_number(kind, d, binary ? as_local_date(y) : d));
        return eval_status::ok;
      case time_fn_kind::start_of:
      case time_fn_kind::end_of: {
        const bool start = kind == time_fn_kind::start_of;
        if (x.kind() == value_kind::timestamp) {
          out = value::of_timestamp(start ? loyalty::start_of(unit, x.as_timestamp(), p_.zone)
                                          : loyalty::end_of(unit, x.as_timestamp(), p_.zone));
        } else {
          out = value::of_date(start ? loyalty::start_of(unit, d) : loyalty::end_of(unit, d));
        }
        return eval_status::ok;
      }
      case time_fn_kind::add_months: {
        const std::optional<civil_date> r = loyalty::add_months(d, y.as_int());
        if (!r) return eval_status::overflow;
        out = value::of_date(*r);
        return eval_status::ok;
      }
      case time_fn_kind::is_anniversary:
        out = value::of_bool(is_anniversary(d, as_local_date(y), rule));
        return eval_status::ok;
      case time_fn_kind::completed_years:
        out = value::of_int(completed_years(d, as_local_date(y), rule));
        return eval_status::ok;
      case time_fn_kind::next_anniversary:
        return checked_time(value::of_date(next_anniversary(d, as_local_date(y), rule)), out);
    }
    return eval_status::type_mismatch;
  }

  eval_status logical(const node& n, value& out) const noexcept {
    const eval_status s = eval(n.a, out);
    if (s != eval_status::ok) return s;
    const bool short_circuit = n.code == op::logical_and ? !out.as_bool() : out.as_bool();
    if (short_circuit) return eval_status::ok;
    return eval(n.b, out);
  }

  LOYALTY_NOINLINE eval_status arithmetic(const node& n, value& out) const noexcept {
    value x;
    value y;
    if (const eval_status s = operands(n.a, n.b, x, y); s != eval_status::ok) return s;
    if (x.is_null() || y.is_null()) {
      out = value();
      return eval_status::ok;
    }
    const auto kind = static_cast<arith>(n.aux);
    if (n.code == op::arith_int) {
      if (kind == arith::rem && y.as_int() == 0) return eval_status::division_by_zero;
      std::int64_t r = 0;
      if (!checked_int(kind, x.as_int(), y.as_int(), r)) return eval_status::overflow;
      out = value::of_int(r);
      return eval_status::ok;
    }
    decimal_result r;
    switch (kind) {
      case arith::add:
        r = decimal::add(x.as_decimal(), y.as_decimal());
        break;
      case arith::sub:
        r = decimal::sub(x.as_decimal(), y.as_decimal());
        break;
      case arith::mul:
        r = decimal::mul(x.as_decimal(), y.as_decimal());
        break;
      case arith::div:
        r = decimal::div(x.as_decimal(), y.as_decimal(), n.digits, rounding_mode::half_even);
        break;
      case arith::rem:
        r = decimal::rem(x.as_decimal(), y.as_decimal());
        break;
    }
    if (!r) return from_errc(r.error);
    out = value::of_decimal(r.value);
    return eval_status::ok;
  }

  // round(x, digits, mode); when x is a division it is done exactly, with this one rounding.
  LOYALTY_NOINLINE eval_status round(const node& n, value& out) const noexcept {
    const auto mode = static_cast<rounding_mode>(n.aux);
    const node& child = p_.nodes[n.a];
    decimal_result r;
    if (child.code == op::arith_dec && static_cast<arith>(child.aux) == arith::div) {
      value x;
      value y;
      if (const eval_status s = operands(child.a, child.b, x, y); s != eval_status::ok) return s;
      if (x.is_null() || y.is_null()) {
        out = value();
        return eval_status::ok;
      }
      r = decimal::div(x.as_decimal(), y.as_decimal(), n.digits, mode);
    } else {
      const eval_status s = eval(n.a, out);
      if (s != eval_status::ok || out.is_null()) return s;
      r = out.as_decimal().rescale(n.digits, mode);
    }
    if (!r) return from_errc(r.error);
    out = value::of_decimal(r.value);
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status comparison(const node& n, value& out) const noexcept {
    value x;
    value y;
    if (const eval_status s = operands(n.a, n.b, x, y); s != eval_status::ok) return s;
    const auto c = static_cast<compare>(n.aux);
    if (x.is_null() || y.is_null()) {
      // Missing values are equal only to each other; ordering with a missing value is false.
      const bool both = x.is_null() && y.is_null();
      out = value::of_bool(c == compare::eq ? both : (c == compare::ne ? !both : false));
      return eval_status::ok;
    }
    int order = 0;
    switch (n.code) {
      case op::compare_num:
        order = compare_numbers(x, y);
        break;
      case op::compare_str:
        order = compare_text(x.as_string(), y.as_string());
        break;
      default:  // enum codes (declaration order) and booleans
        order = (x.as_int() > y.as_int()) - (x.as_int() < y.as_int());
        break;
    }
    out = value::of_bool(compare_result(c, order));
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status in_mask(const node& n, value& out) const noexcept {
    const eval_status s = eval(n.a, out);
    if (s != eval_status::ok) return s;
    const bool found = !out.is_null() && internal::expr::in_set(out.as_int(), n.mask);
    out = value::of_bool(found != (n.code == op::in_mask && n.digits != 0));
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status in_list(const node& n, value& out) const noexcept {
    value x;
    eval_status s = eval(n.a, x);
    if (s != eval_status::ok) return s;
    bool found = false;
    for (std::uint32_t k = 0; k < n.args_count && !found; ++k) {
      value item;
      if (s = eval(p_.args[n.args_begin + k], item); s != eval_status::ok) return s;
      found = !x.is_null() && !item.is_null() && compare_family(n.aux, x, item) == 0;
    }
    out = value::of_bool(found != (n.digits != 0));
    return eval_status::ok;
  }

  // abs, clamp, min, max. Every argument is evaluated, so an error in any of them is reported
  // whatever the others hold (as for + and *); only then does a missing argument make the result
  // missing.
  LOYALTY_NOINLINE eval_status numeric_function(const node& n, value& out) const noexcept {
    if (n.code == op::abs_num) {
      const eval_status s = eval(n.a, out);
      if (s != eval_status::ok || out.is_null()) return s;
      if (out.kind() == value_kind::integer) {
        out = value::of_int(out.as_int() < 0 ? -out.as_int() : out.as_int());
      } else {
        out = value::of_decimal(decimal::abs(out.as_decimal()));
      }
      return eval_status::ok;
    }
    if (n.code == op::clamp_num) {
      value lo;
      value hi;
      eval_status s = eval(n.a, out);
      if (s == eval_status::ok) s = to_static(n, out);
      if (s != eval_status::ok) return s;
      if (s = eval(n.b, lo); s == eval_status::ok) s = to_static(n, lo);
      if (s != eval_status::ok) return s;
      if (s = eval(n.c, hi); s == eval_status::ok) s = to_static(n, hi);
      if (s != eval_status::ok) return s;
      if (out.is_null() || lo.is_null() || hi.is_null()) {
        out = value();
        return eval_status::ok;
      }
      if (compare_numbers(out, lo) < 0) out = lo;
      if (compare_numbers(out, hi) > 0) out = hi;
      return eval_status::ok;
    }
    const bool want_max = n.code == op::max_num;
    bool missing = false;
    value best;
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      value item;
      eval_status s = eval(p_.args[n.args_begin + k], item);
      if (s == eval_status::ok) s = to_static(n, item);
      if (s != eval_status::ok) return s;
      if (item.is_null()) {
        missing = true;
      } else if (best.is_null()) {
        best = item;  // the first present argument; ties keep the earliest
      } else if (const int order = compare_numbers(item, best); want_max ? order > 0 : order < 0) {
        best = item;
      }
    }
    out = missing ? value() : best;
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status change_case(const node& n, value& out) const noexcept {
    const eval_status s = eval(n.a, out);
    if (s != eval_status::ok || out.is_null()) return s;
    const std::string_view text = out.as_string();
    if (text.size() > frame::scratch_bytes - f_.used) return eval_status::overflow;
    char* dst = f_.scratch + f_.used;
    // ASCII case mapping only: deterministic and locale-independent.
    for (std::size_t k = 0; k < text.size(); ++k) {
      const char c = text[k];
      if (n.code == op::lower) {
        dst[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      } else {
        dst[k] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      }
    }
    f_.used += text.size();
    out = value::of_string(std::string_view(dst, text.size()));
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status text_test(const node& n, value& out) const noexcept {
    value x;
    value y;
    if (const eval_status s = operands(n.a, n.b, x, y); s != eval_status::ok) return s;
    if (x.is_null() || y.is_null()) {
      out = value::of_bool(false);
      return eval_status::ok;
    }
    const std::string_view a = x.as_string();
    const std::string_view b = y.as_string();
    bool r = false;
    if (n.code == op::starts_with) r = a.starts_with(b);
    if (n.code == op::ends_with) r = a.ends_with(b);
    if (n.code == op::contains) r = a.find(b) != std::string_view::npos;
    out = value::of_bool(r);
    return eval_status::ok;
  }

  // A field read for a fused op: false (with `status`) when it is missing and required.
  bool read_slot(std::uint32_t slot, value& v, eval_status& status) const noexcept {
    v = in_.get(slot);
    status =
        v.is_null() && !p_.slot_types[slot].optional ? eval_status::missing_field : eval_status::ok;
    return status == eval_status::ok;
  }

  eval_status compare_slot(const node& n, value& out) const noexcept {
    value x;
    eval_status s;
    if (!read_slot(n.slot, x, s)) return s;
    const auto c = static_cast<compare>(n.aux);
    if (x.is_null()) {
      out = value::of_bool(c == compare::ne);
      return eval_status::ok;
    }
    // Same kind and, for decimals, the same scale (the input boundary guarantees the field's).
    const std::int64_t a = x.as_int();
    const std::int64_t b = n.constant.as_int();
    out = value::of_bool(compare_result(c, (a > b) - (a < b)));
    return eval_status::ok;
  }

  eval_status in_mask_slot(const node& n, value& out) const noexcept {
    value x;
    eval_status s;
    if (!read_slot(n.slot, x, s)) return s;
    const bool found = !x.is_null() && internal::expr::in_set(x.as_int(), n.mask);
    out = value::of_bool(found != (n.digits != 0));
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status div_slot_const(const node& n, value& out) const noexcept {
    eval_status s;
    if (!read_slot(n.slot, out, s) || out.is_null()) return s;
    const decimal_result r = decimal::div(out.as_decimal(), n.constant.as_decimal(), n.digits,
                                          static_cast<rounding_mode>(n.aux));
    if (!r) return from_errc(r.error);
    out = value::of_decimal(r.value);
    return eval_status::ok;
  }

  LOYALTY_NOINLINE eval_status variable(const node& n, value& out) const noexcept {
    const std::uint64_t bit = std::uint64_t{1} << n.slot;
    if ((f_.variables_ready & bit) != 0) {
      out = f_.variables[n.slot].v;
      return eval_status::ok;
    }
    const eval_status s = eval(n.a, out);
    if (s == eval_status::ok) {
      f_.variables[n.slot].v = out;
      f_.variables_ready |= bit;
    }
    return s;
  }

  // any/all/none/count/sum/min/max over the rows of a list, optionally filtered. Missing values
  // of the body are skipped (as SQL aggregates do); a missing list has no rows.
  LOYALTY_NOINLINE eval_status list_function(const node& n, value& out) const noexcept {
    value list;
    eval_status s = eval(n.a, list);
    if (s != eval_status::ok) return s;
    const auto kind = static_cast<internal::expr::list_kind>(n.aux);
    using internal::expr::list_kind;
    std::int64_t matches =
        0;  // rows whose body is true (or, without a body, that passed the filter)
    std::int64_t visited = 0;  // rows that passed the filter
    value acc;                 // sum, min, max
    if (kind == list_kind::sum)
      acc = n.result_int ? value::of_int(0)
                         : value::of_decimal(decimal::from_units(0, n.scale).value);
    const std::uint32_t rows = list.is_null() ? 0 : list.count();
    for (std::uint32_t r = 0; r < rows; ++r) {
      if (++f_.iterations > p_.max_iterations) return eval_status::iteration_limit;
      f_.row[n.digits] = list.rows() + static_cast<std::size_t>(r) * list.width();
      value v;
      if ((n.mask & 1U) != 0) {
        if (s = eval(n.b, v); s != eval_status::ok) return s;
        if (!v.as_bool()) continue;
      }
      ++visited;
      if ((n.mask & 2U) == 0) {  // count(list) or count(filter(...))
        ++matches;
        continue;
      }
      if (s = eval(n.c, v); s != eval_status::ok) return s;
      if (kind == list_kind::any || kind == list_kind::all || kind == list_kind::none ||
          kind == list_kind::count) {
        if (v.as_bool()) ++matches;
        // The answer is known at the first true (any, none) or the first false (all).
        if (kind != list_kind::count && (v.as_bool() != (kind == list_kind::all))) break;
        continue;
      }
      if (v.is_null()) continue;
      if (s = accumulate(kind, n.result_int, acc, v); s != eval_status::ok) return s;
    }
    s = finish_list(kind, matches, visited, acc, out);
    return s == eval_status::ok ? to_static(n, out) : s;
  }

  static eval_status accumulate(internal::expr::list_kind kind, bool integers, value& acc,
                                const value& v) noexcept {
    using internal::expr::list_kind;
    if (kind == list_kind::sum) {
      if (integers) {
        std::int64_t r = 0;
        if (!checked_int(arith::add, acc.as_int(), v.as_int(), r)) return eval_status::overflow;
        acc = value::of_int(r);
        return eval_status::ok;
      }
      const decimal_result r = decimal::add(acc.as_decimal(), v.as_decimal());
      if (!r) return eval_status::overflow;
      acc = value::of_decimal(r.value);
      return eval_status::ok;
    }
    const int order = acc.is_null() ? 0 : compare_numbers(v, acc);
    if (acc.is_null() || (kind == list_kind::min ? order < 0 : order > 0)) acc = v;
    return eval_status::ok;
  }

  static eval_status finish_list(internal::expr::list_kind kind, std::int64_t matches,
                                 std::int64_t visited, const value& acc, value& out) noexcept {
    using internal::expr::list_kind;
    switch (kind) {
      case list_kind::any:
        out = value::of_bool(matches > 0);
        break;
      case list_kind::all:
        out = value::of_bool(matches == visited);
        break;
      case list_kind::none:
        out = value::of_bool(matches == 0);
        break;
      case list_kind::count:
        out = value::of_int(matches);
        break;
      default:
        out = acc;
        break;
    }
    return eval_status::ok;
  }

  // Both operands of a binary node, left first; the first failure wins.
  eval_status operands(std::uint32_t a, std::uint32_t b, value& x, value& y) const noexcept {
    const eval_status s = eval(a, x);
    return s != eval_status::ok ? s : eval(b, y);
  }

  const compiled_expression::impl& p_;
  const Input& in_;
  frame& f_;
};

/// The tree evaluator over one input.
template <typename Input>
eval_status evaluate_tree(const compiled_expression::impl& p, const Input& input,
                          value& out) noexcept {
  frame f;
  const tree_evaluator<Input> e(p, input, f);
  const eval_status s = e.eval(p.root, out);
  // A result that points into the scratch memory would dangle once this frame is gone.
  if (s == eval_status::ok && out.kind() == value_kind::string &&
      out.as_string().data() >= f.scratch &&
      out.as_string().data() < f.scratch + sizeof f.scratch) {
    out = value();
    return eval_status::type_mismatch;
  }
  return s;
}

}  // namespace

void compiled_expression::evaluate(std::span<const expression_input> inputs, std::span<value> out,
                                   std::span<eval_status> status) const noexcept {
  const std::size_t n = std::min({inputs.size(), out.size(), status.size()});
  for (std::size_t i = 0; i < n; ++i) status[i] = evaluate(inputs[i], out[i]);
}

void compiled_expression::evaluate(const expression_batch& batch, std::span<value> out,
                                   std::span<eval_status> status) const noexcept {
  const std::size_t n = std::min({batch.rows(), out.size(), status.size()});
  if (!impl_->columns.empty()) {
    internal::expr::run_columns(*impl_, batch, n, out.data(), status.data());
    return;
  }
  if (!impl_->vm.empty()) {
    internal::expr::run_registers(*impl_, batch, n, out.data(), status.data());
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    status[i] = evaluate_tree(*impl_, internal::expr::batch_row{batch, i}, out[i]);
  }
}

bool compiled_expression::batch_in_columns() const noexcept {
  return !impl_->columns.empty();
}

eval_status compiled_expression::evaluate(const expression_input& input,
                                          value& out) const noexcept {
  if (!impl_->vm.empty()) return internal::expr::run_registers(*impl_, input, out);
  return evaluate_tree(*impl_, input, out);
}

}  // namespace loyalty
