// Lowering of a checked expression to a column program (columns.hpp), and its executor.
#include "expr/columns.hpp"

#include <algorithm>
#include <compare>
#include <optional>
#include <type_traits>

#include "decimal_internal.hpp"
#include "expr/program.hpp"

namespace loyalty::internal::expr {

namespace {

struct ctype {
  value_kind kind = value_kind::null;
  std::int8_t scale = 0;
};

struct operand {
  std::uint16_t col = 0;
  ctype type;
};

/// 10^e for 0 <= e <= 18, else 0.
std::int64_t power_of_ten(int e) {
  if (e < 0 || e > decimal::max_scale) return 0;
  std::int64_t r = 1;
  for (int i = 0; i < e; ++i) r *= 10;
  return r;
}

/// How decimal::div computes x@sa / y@sb at `digits` in 64 bits: units = x * mul / den, rounded.
/// False when it needs the wide path (the event then goes to the register machine), or y is 0.
bool narrow_division(int sa, std::int64_t y, int sb, int digits, std::int64_t& mul,
                     std::int64_t& den) {
  if (y == 0) return false;
  const int exponent = digits + sb - sa;
  if (exponent >= 0) {
    mul = power_of_ten(exponent);
    den = y;
    return mul != 0;
  }
  const std::int64_t p = power_of_ten(-exponent);
  mul = 1;
  return p != 0 && !__builtin_mul_overflow(y, p, &den);
}

/// The same, with a positive divisor (the signs of both move to the multiplier: the quotient and
/// its rounding are unchanged) and its invariant_divisor.
bool positive_division(int sa, std::int64_t y, int sb, int digits, cinsn& i) {
  if (!narrow_division(sa, y, sb, digits, i.imm2, i.imm)) return false;
  if (i.imm < 0) {
    i.imm = -i.imm;  // neither is INT64_MIN: units never are, nor a multiple of ten
    i.imm2 = -i.imm2;
  }
  i.divisor = invariant_divisor::of(static_cast<std::uint64_t>(i.imm));
  return true;
}

/// Columns at or above this number are the program's constants and variables (kept for the whole
/// batch); they are renumbered after the temporaries once lowering is done.
constexpr std::uint16_t kept_base = 0x8000;

/// Lowers the node tree to straight-line column code. Temporaries are a stack, as in the register
/// lowering; every node's operands are all computed (there are no jumps).
class column_lowering {
 public:
  explicit column_lowering(const compiled_expression::impl& p)
      : p_(p), variables_(p.nodes.size(), std::nullopt) {}

  column_program run() {
    column_program out;
    std::optional<operand> r = lower(p_.root);
    if (!r || failed_ || code_.empty()) return out;
    const std::uint32_t total = high_ + kept_;
    if (total > max_columns) return out;
    const auto remap = [&](std::uint16_t& c) {
      if (c >= kept_base) c = static_cast<std::uint16_t>(high_ + (c - kept_base));
    };
    for (cinsn& i : code_) {
      remap(i.dst);
      remap(i.a);
      remap(i.b);
      remap(i.c);
    }
    for (column_program::constant& k : constants_) remap(k.column);
    remap(r->col);
    out.constants = std::move(constants_);
    out.code = std::move(code_);
    out.result = r->col;
    out.result_kind = static_cast<std::uint8_t>(r->type.kind);
    out.result_scale = r->type.scale;
    out.columns = total;
    return out;
  }

 private:
  std::uint16_t alloc() {
    if (next_ >= max_columns) {
      failed_ = true;
      return 0;
    }
    const auto c = static_cast<std::uint16_t>(next_++);
    high_ = std::max(high_, next_);
    return c;
  }

  std::uint16_t keep() { return static_cast<std::uint16_t>(kept_base + kept_++); }

  static bool is_temp(std::uint16_t c) { return c < kept_base; }

  /// The result column of an instruction over operands that are no longer needed: the stack
  /// goes back to `mark` first (a loop may write the column it reads, element by element).
  std::uint16_t result(std::uint32_t mark) {
    next_ = mark;
    return alloc();
  }

  void emit(cinsn i) { code_.push_back(i); }

  static cinsn make(cop o, std::uint16_t dst, std::uint16_t a = 0, std::uint16_t b = 0,
                    std::uint16_t c = 0) {
    cinsn i;
    i.op = o;
    i.dst = dst;
    i.a = a;
    i.b = b;
    i.c = c;
    return i;
  }

  operand constant_column(std::int64_t bits, ctype t) {
    const std::uint16_t c = keep();
    constants_.push_back({c, bits});
    return {c, t};
  }

  /// Constant node `index` at type `t`, as the register lowering converts it.
  std::optional<std::int64_t> constant_at(std::uint32_t index, ctype t) const {
    const node& n = p_.nodes[index];
    if (n.code != op::constant || !one_int64(n.constant.kind())) return std::nullopt;
    const bool number =
        n.constant.kind() == value_kind::integer || n.constant.kind() == value_kind::decimal;
    if (t.kind != value_kind::decimal || !number) return n.constant.as_int();
    const decimal_result v = n.constant.as_decimal().rescale(t.scale, rounding_mode::down);
    if (!v || v.value != n.constant.as_decimal()) return std::nullopt;
    return v.value.units();
  }

  /// `o` brought to `to` (a decimal at a larger scale), in a column that may be written.
  operand convert(operand o, ctype to) {
    if (to.kind != value_kind::decimal || o.type.scale >= to.scale) return o;
    const std::uint16_t dst = is_temp(o.col) ? o.col : alloc();
    cinsn i = make(cop::scale_up, dst, o.col);
    i.imm = power_of_ten(to.scale - o.type.scale);
    if (i.imm == 0) failed_ = true;
    emit(i);
    return {dst, to};
  }

  std::optional<operand> lower_to(std::uint32_t index, ctype t) {
    if (const std::optional<std::int64_t> bits = constant_at(index, t)) {
      return constant_column(*bits, t);
    }
    const std::optional<operand> r = lower(index);
    if (!r) return std::nullopt;
    return convert(*r, t);
  }

  std::optional<operand> lower(std::uint32_t index) {
    if (failed_ || code_.size() >= max_instructions) {
      failed_ = true;
      return std::nullopt;
    }
    return lower_node(p_.nodes[index]);
  }

  std::optional<operand> lower_node(const node& n) {
    const std::uint32_t mark = next_;
    switch (n.code) {
      case op::constant:
        if (!one_int64(n.constant.kind())) return std::nullopt;  // null, text, lists
        return constant_column(n.constant.as_int(),
                               {n.constant.kind(), static_cast<std::int8_t>(n.constant.scale())});
      case op::field: {
        const field_type& ft = p_.slot_types[n.slot];
        if (!one_int64(ft.kind)) return std::nullopt;
        cinsn i = make(cop::load, result(mark));
        i.slot = n.slot;
        emit(i);
        return operand{i.dst,
                       {ft.kind, ft.kind == value_kind::decimal ? ft.scale : std::int8_t{0}}};
      }
      case op::now:
        emit(make(cop::now, result(mark)));
        return operand{static_cast<std::uint16_t>(mark), {value_kind::timestamp, 0}};
      case op::negate_int:
      case op::negate_dec:
      case op::abs_num:
        return unary(n.a, n.code == op::abs_num ? cop::abs : cop::neg, mark);
      case op::logical_not:
        return unary(n.a, cop::logical_not, mark);
      case op::is_null: {
        // The operand is still computed: a missing value marks the event, and the register
        // machine answers for it. Every event left is one where the operand is present.
        if (!lower(n.a)) return std::nullopt;
        next_ = mark;
        return constant_column(n.aux != 0 ? 1 : 0, {value_kind::boolean, 0});
      }
      case op::logical_and:
      case op::logical_or:
        return binary(n.a, n.b, n.code == op::logical_and ? cop::logical_and : cop::logical_or,
                      mark, {value_kind::boolean, 0});
      case op::conditional: {
        const ctype t{n.kind, n.scale};
        const std::optional<operand> c = lower(n.a);
        if (!c) return std::nullopt;
        const std::optional<operand> yes = lower_to(n.b, t);
        if (!yes) return std::nullopt;
        const std::optional<operand> no = lower_to(n.c, t);
        if (!no) return std::nullopt;
        emit(make(cop::select, result(mark), c->col, yes->col, no->col));
        return operand{static_cast<std::uint16_t>(mark), t};
      }
      case op::coalesce:
        // Where the left side is missing the event is marked, so the right side is never used.
        return lower_to(n.a, {n.kind, n.scale});
      case op::arith_int:
      case op::arith_dec:
        return arithmetic(n, mark);
      case op::round_dec:
        return rounding(n, mark);
      case op::compare_num:
      case op::compare_enum:
      case op::compare_bool:
        return comparison(n.a, n.b, n.aux, n.code == op::compare_num, mark);
      case op::in_mask: {
        const std::optional<operand> x = lower(n.a);
        if (!x) return std::nullopt;
        cinsn i = make(cop::in_mask, result(mark), x->col);
        i.imm = static_cast<std::int64_t>(n.mask);
        i.digits = n.digits;
        emit(i);
        return operand{i.dst, {value_kind::boolean, 0}};
      }
      case op::in_list:
        return membership(n, mark);
      case op::min_num:
      case op::max_num:
        return min_max(n, mark);
      case op::clamp_num: {
        const ctype t{n.kind, n.scale};
        std::optional<operand> x = lower(n.a);
        if (!x) return std::nullopt;
        x = convert(*x, t);
        std::optional<operand> lo = lower(n.b);
        if (!lo) return std::nullopt;
        lo = convert(*lo, t);
        std::optional<operand> hi = lower(n.c);
        if (!hi) return std::nullopt;
        hi = convert(*hi, t);
        emit(make(cop::clamp, result(mark), x->col, lo->col, hi->col));
        return operand{static_cast<std::uint16_t>(mark), t};
      }
      case op::compare_slot:
      case op::in_mask_slot: {
        const bool cmp = n.code == op::compare_slot;
        cinsn i = make(cmp ? cop::compare_slot : cop::in_mask_slot, result(mark));
        i.slot = n.slot;
        i.aux = n.aux;
        i.digits = n.digits;
        i.imm = cmp ? n.constant.as_int() : static_cast<std::int64_t>(n.mask);
        emit(i);
        return operand{i.dst, {value_kind::boolean, 0}};
      }
      case op::div_slot_const: {
        const field_type& ft = p_.slot_types[n.slot];
        const int sa = ft.kind == value_kind::decimal ? ft.scale : 0;
        cinsn i = make(cop::div_slot, result(mark));
        if (!positive_division(sa, n.constant.as_int(), n.constant.scale(), n.digits, i)) {
          return std::nullopt;
        }
        i.slot = n.slot;
        i.aux = n.aux;
        emit(i);
        return operand{i.dst, {value_kind::decimal, n.digits}};
      }
      case op::variable:
        return variable(n, mark);
      default:
        return std::nullopt;
    }
  }

  std::optional<operand> unary(std::uint32_t a, cop o, std::uint32_t mark) {
    const std::optional<operand> x = lower(a);
    if (!x) return std::nullopt;
    emit(make(o, result(mark), x->col));
    const ctype t = o == cop::logical_not ? ctype{value_kind::boolean, 0} : x->type;
    return operand{static_cast<std::uint16_t>(mark), t};
  }

  std::optional<operand> binary(std::uint32_t a, std::uint32_t b, cop o, std::uint32_t mark,
                                ctype t) {
    const std::optional<operand> x = lower(a);
    if (!x) return std::nullopt;
    const std::optional<operand> y = lower(b);
    if (!y) return std::nullopt;
    emit(make(o, result(mark), x->col, y->col));
    return operand{static_cast<std::uint16_t>(mark), t};
  }

  std::optional<operand> arithmetic(const node& n, std::uint32_t mark) {
    const auto kind = static_cast<arith>(n.aux);
    const std::optional<operand> x = lower(n.a);
    if (!x) return std::nullopt;
    if (n.code == op::arith_dec && kind == arith::div) {
      const node& d = p_.nodes[n.b];
      if (d.code == op::constant &&
          (d.constant.kind() == value_kind::decimal || d.constant.kind() == value_kind::integer)) {
        return divide(*x, d, n.digits, rounding_mode::half_even, mark);
      }
    }
    const std::optional<operand> y = lower(n.b);
    if (!y) return std::nullopt;
    cinsn i = make(cop::add, result(mark), x->col, y->col);
    i.sa = x->type.scale;
    i.sb = y->type.scale;
    i.digits = n.digits;
    if (n.code == op::arith_int) {
      i.op = kind == arith::add   ? cop::add
             : kind == arith::sub ? cop::sub
             : kind == arith::mul ? cop::mul
                                  : cop::rem_int;
      emit(i);
      return operand{i.dst, {value_kind::integer, 0}};
    }
    const bool same_scale = x->type.scale == y->type.scale;
    switch (kind) {
      case arith::add:
      case arith::sub:
        if (same_scale) {
          i.op = kind == arith::add ? cop::add : cop::sub;
        } else {
          i.op = cop::decimal_op;
          i.aux2 = static_cast<std::uint8_t>(kind);
        }
        break;
      case arith::mul:
        i.op = cop::mul;
        break;
      case arith::div:
      case arith::rem:
        i.op = cop::decimal_op;
        i.aux2 = static_cast<std::uint8_t>(kind);
        i.aux = static_cast<std::uint8_t>(rounding_mode::half_even);
        break;
    }
    emit(i);
    return operand{i.dst, {value_kind::decimal, n.digits}};
  }

  /// x / constant `d` at `digits`, rounded with `mode`: one multiplication and one division.
  std::optional<operand> divide(operand x, const node& d, int digits, rounding_mode mode,
                                std::uint32_t mark) {
    cinsn i = make(cop::div_const, result(mark), x.col);
    if (!positive_division(x.type.scale, d.constant.as_int(), d.constant.scale(), digits, i)) {
      return std::nullopt;
    }
    i.aux = static_cast<std::uint8_t>(mode);
    emit(i);
    return operand{i.dst, {value_kind::decimal, static_cast<std::int8_t>(digits)}};
  }

  std::optional<operand> rounding(const node& n, std::uint32_t mark) {
    const node& child = p_.nodes[n.a];
    const auto mode = static_cast<rounding_mode>(n.aux);
    if (child.code == op::arith_dec && static_cast<arith>(child.aux) == arith::div) {
      // round(a / b, digits, mode): one exact division, rounded once.
      const std::optional<operand> x = lower(child.a);
      if (!x) return std::nullopt;
      const node& d = p_.nodes[child.b];
      if (d.code == op::constant &&
          (d.constant.kind() == value_kind::decimal || d.constant.kind() == value_kind::integer)) {
        return divide(*x, d, n.digits, mode, mark);
      }
      const std::optional<operand> y = lower(child.b);
      if (!y) return std::nullopt;
      cinsn i = make(cop::decimal_op, result(mark), x->col, y->col);
      i.aux = n.aux;
      i.aux2 = static_cast<std::uint8_t>(arith::div);
      i.sa = x->type.scale;
      i.sb = y->type.scale;
      i.digits = n.digits;
      emit(i);
      return operand{i.dst, {value_kind::decimal, n.digits}};
    }
    const std::optional<operand> x = lower(n.a);
    if (!x) return std::nullopt;
    const ctype t{value_kind::decimal, n.digits};
    if (n.digits >= x->type.scale) {
      operand up = convert(*x, t);  // exact
      up.type = t;
      return up;
    }
    cinsn i = make(cop::div_const, result(mark), x->col);
    i.imm2 = 1;
    i.imm = power_of_ten(x->type.scale - n.digits);
    i.divisor = invariant_divisor::of(static_cast<std::uint64_t>(i.imm));
    i.aux = static_cast<std::uint8_t>(mode);
    emit(i);
    return operand{i.dst, t};
  }

  std::optional<operand> comparison(std::uint32_t a, std::uint32_t b, std::uint8_t c, bool numeric,
                                    std::uint32_t mark) {
    const std::optional<operand> x = lower(a);
    if (!x) return std::nullopt;
    const std::optional<operand> y = lower(b);
    if (!y) return std::nullopt;
    cinsn i = make(cop::compare, result(mark), x->col, y->col);
    i.aux = c;
    if (numeric && x->type.scale != y->type.scale) {
      i.op = cop::compare_dec;
      i.sa = x->type.scale;
      i.sb = y->type.scale;
    }
    emit(i);
    return operand{i.dst, {value_kind::boolean, 0}};
  }

  // x in [items]: every item compared; the results or-ed together.
  std::optional<operand> membership(const node& n, std::uint32_t mark) {
    if (n.aux == 1) return std::nullopt;  // text
    const std::optional<operand> x = lower(n.a);
    if (!x) return std::nullopt;
    std::optional<operand> found;
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      const std::uint32_t before = next_;
      const std::optional<operand> item = lower(p_.args[n.args_begin + k]);
      if (!item) return std::nullopt;
      cinsn eq = make(cop::compare, result(before), x->col, item->col);
      eq.aux = static_cast<std::uint8_t>(compare::eq);
      if (x->type.scale != item->type.scale) {
        eq.op = cop::compare_dec;
        eq.sa = x->type.scale;
        eq.sb = item->type.scale;
      }
      emit(eq);
      if (!found) {
        found = operand{eq.dst, {value_kind::boolean, 0}};
        continue;
      }
      emit(make(cop::logical_or, found->col, found->col, eq.dst));
      next_ = before;
    }
    if (!found) found = constant_column(0, {value_kind::boolean, 0});
    cinsn i = make(n.digits != 0 ? cop::logical_not : cop::logical_or, result(mark), found->col,
                   found->col);
    emit(i);
    return operand{i.dst, {value_kind::boolean, 0}};
  }

  std::optional<operand> min_max(const node& n, std::uint32_t mark) {
    const ctype t{n.kind, n.scale};
    std::optional<operand> acc;
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      std::optional<operand> y = lower(p_.args[n.args_begin + k]);
      if (!y) return std::nullopt;
      y = convert(*y, t);
      if (!acc) {
        acc = y;
        continue;
      }
      // acc is at `mark` (or kept), y above it: the result goes to `mark`
      emit(make(n.code == op::min_num ? cop::min : cop::max, result(mark), acc->col, y->col));
      acc = operand{static_cast<std::uint16_t>(mark), t};
    }
    return acc;
  }

  // A named variable: computed where it is first used (everything runs, so that dominates every
  // later use), then read from its own column.
  std::optional<operand> variable(const node& n, std::uint32_t mark) {
    if (variables_[n.slot]) return variables_[n.slot];
    const std::optional<operand> r = lower(n.a);
    if (!r) return std::nullopt;
    operand kept = *r;
    if (is_temp(r->col)) {
      // Retarget the instruction that wrote the value to the variable's own column.
      if (code_.empty() || code_.back().dst != r->col) return std::nullopt;
      kept.col = keep();
      code_.back().dst = kept.col;
    }
    next_ = mark;
    variables_[n.slot] = kept;
    return kept;
  }

  const compiled_expression::impl& p_;
  std::vector<std::optional<operand>> variables_;
  std::vector<cinsn> code_;
  std::vector<column_program::constant> constants_;
  std::uint32_t next_ = 0;
  std::uint32_t high_ = 0;
  std::uint32_t kept_ = 0;
  bool failed_ = false;
};

// --- the executor -----------------------------------------------------------------------------

using column = std::int64_t[column_rows];

/// Marks an event for the register machine when `bad`.
inline void note(std::uint8_t& mark, bool bad) noexcept {
  mark = static_cast<std::uint8_t>(mark | static_cast<std::uint8_t>(bad));
}

template <typename F>
inline void with_compare(std::uint8_t c, F&& f) {
  switch (static_cast<compare>(c)) {
    case compare::eq:
      f([](std::int64_t x, std::int64_t y) { return x == y; });
      return;
    case compare::ne:
      f([](std::int64_t x, std::int64_t y) { return x != y; });
      return;
    case compare::lt:
      f([](std::int64_t x, std::int64_t y) { return x < y; });
      return;
    case compare::le:
      f([](std::int64_t x, std::int64_t y) { return x <= y; });
      return;
    case compare::gt:
      f([](std::int64_t x, std::int64_t y) { return x > y; });
      return;
    case compare::ge:
      f([](std::int64_t x, std::int64_t y) { return x >= y; });
      return;
  }
}

template <typename F>
inline void with_mode(std::uint8_t m, F&& f) {
  using rm = rounding_mode;
  switch (static_cast<rm>(m)) {
    case rm::half_even:
      f(std::integral_constant<rm, rm::half_even>{});
      return;
    case rm::half_up:
      f(std::integral_constant<rm, rm::half_up>{});
      return;
    case rm::half_down:
      f(std::integral_constant<rm, rm::half_down>{});
      return;
    case rm::down:
      f(std::integral_constant<rm, rm::down>{});
      return;
    case rm::up:
      f(std::integral_constant<rm, rm::up>{});
      return;
    case rm::floor:
      f(std::integral_constant<rm, rm::floor>{});
      return;
    case rm::ceiling:
      f(std::integral_constant<rm, rm::ceiling>{});
      return;
  }
}

/// x * mul / div rounded with M, as decimal::div's 64-bit path computes it; `bad` when the
/// product overflows (the register machine then reports it).
template <rounding_mode M>
inline std::int64_t scaled_quotient(std::int64_t x, std::int64_t mul, const invariant_divisor& div,
                                    bool& bad) noexcept {
  std::int64_t num = 0;
  bad = __builtin_mul_overflow(x, mul, &num);
  if (bad) num = 0;
  // num is never INT64_MIN (x is not, and a power of ten has the factor 5), so |num| fits.
  const bool negative = num < 0;
  const std::uint64_t magnitude = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(num)
                                           : static_cast<std::uint64_t>(num);
  const std::uint64_t q = div.divide(magnitude);
  const std::uint64_t rem = magnitude - q * div.d;
  const bool away = rem != 0 && decimal_rounding::round_away<std::uint64_t>(
                                    rem, div.d, (q & 1U) != 0, negative, M);
  const auto truncated = static_cast<std::int64_t>(q);
  // |result| <= |num| / 2 + 1 when a step is taken (d >= 2), so it never reaches INT64_MIN
  return (negative ? -truncated : truncated) + (away ? (negative ? -1 : 1) : 0);
}

struct chunk {
  column* col;
  std::uint8_t* mark;
  const expression_batch& in;
  std::size_t base;
  std::size_t n;

  const value* field(std::uint32_t slot) const noexcept { return &in.get(base, slot); }
};

void exec(const cinsn& i, const chunk& c) noexcept {
  std::int64_t* const d = c.col[i.dst];
  const std::int64_t* const a = c.col[i.a];
  const std::int64_t* const b = c.col[i.b];
  std::uint8_t* const mark = c.mark;
  const std::size_t n = c.n;
  switch (i.op) {
    case cop::load: {
      const value* v = c.field(i.slot);
      for (std::size_t k = 0; k < n; ++k) {
        d[k] = v[k].as_int();
        note(mark[k], v[k].is_null());
      }
      return;
    }
    case cop::compare_slot: {
      const value* v = c.field(i.slot);
      const std::int64_t y = i.imm;
      with_compare(i.aux, [&](auto cmp) {
        for (std::size_t k = 0; k < n; ++k) {
          d[k] = cmp(v[k].as_int(), y) ? 1 : 0;
          note(mark[k], v[k].is_null());
        }
      });
      return;
    }
    case cop::in_mask_slot:
    case cop::in_mask: {
      const value* v = i.op == cop::in_mask_slot ? c.field(i.slot) : nullptr;
      const auto set = static_cast<std::uint64_t>(i.imm);
      const std::int64_t negate = i.digits != 0 ? 1 : 0;
      for (std::size_t k = 0; k < n; ++k) {
        const std::int64_t x = v != nullptr ? v[k].as_int() : a[k];
        // codes are 0..63 when present; anything else is not in the set
        const auto bit = static_cast<std::uint64_t>(x) < 64
                             ? (set >> static_cast<std::uint64_t>(x)) & 1U
                             : std::uint64_t{0};
        d[k] = static_cast<std::int64_t>(bit) ^ negate;
        if (v != nullptr) note(mark[k], v[k].is_null());
      }
      return;
    }
    case cop::div_slot:
    case cop::div_const: {
      const value* v = i.op == cop::div_slot ? c.field(i.slot) : nullptr;
      const std::int64_t mul = i.imm2;
      const invariant_divisor div = i.divisor;
      with_mode(i.aux, [&](auto m) {
        for (std::size_t k = 0; k < n; ++k) {
          bool bad = false;
          const std::int64_t q = scaled_quotient<decltype(m)::value>(
              v != nullptr ? v[k].as_int() : a[k], mul, div, bad);
          bad = bad || (v != nullptr && v[k].is_null());
          d[k] = bad ? 0 : q;
          note(mark[k], bad);
        }
      });
      return;
    }
    case cop::now: {
      const value& now = c.in.now();
      for (std::size_t k = 0; k < n; ++k) {
        d[k] = now.as_int();
        note(mark[k], now.is_null());
      }
      return;
    }
    case cop::scale_up: {
      for (std::size_t k = 0; k < n; ++k) {
        std::int64_t v = 0;
        const bool bad = __builtin_mul_overflow(a[k], i.imm, &v) || v == missing_bits;
        d[k] = bad ? 0 : v;
        note(mark[k], bad);
      }
      return;
    }
    case cop::add:
    case cop::sub:
    case cop::mul: {
      const cop o = i.op;
      for (std::size_t k = 0; k < n; ++k) {
        std::int64_t v = 0;
        const bool over = o == cop::add   ? __builtin_add_overflow(a[k], b[k], &v)
                          : o == cop::sub ? __builtin_sub_overflow(a[k], b[k], &v)
                                          : __builtin_mul_overflow(a[k], b[k], &v);
        const bool bad = over || v == missing_bits;
        d[k] = bad ? 0 : v;
        note(mark[k], bad);
      }
      return;
    }
    case cop::decimal_op: {
      const auto kind = static_cast<arith>(i.aux2);
      for (std::size_t k = 0; k < n; ++k) {
        const decimal x = decimal_internal::make(a[k], i.sa);
        const decimal y = decimal_internal::make(b[k], i.sb);
        const decimal_result v =
            kind == arith::add   ? decimal::add(x, y)
            : kind == arith::sub ? decimal::sub(x, y)
            : kind == arith::div ? decimal::div(x, y, i.digits, static_cast<rounding_mode>(i.aux))
                                 : decimal::rem(x, y);
        d[k] = v ? v.value.units() : 0;
        note(mark[k], !v);
      }
      return;
    }
    case cop::rem_int: {
      for (std::size_t k = 0; k < n; ++k) {
        const std::int64_t y = b[k];
        const bool trivial = y == 0 || y == -1;  // x % -1 is 0; x % 0 is an error
        d[k] = a[k] % (trivial ? 1 : y);
        note(mark[k], y == 0);
      }
      return;
    }
    case cop::neg:
      for (std::size_t k = 0; k < n; ++k) d[k] = -a[k];  // present values are symmetric
      return;
    case cop::abs:
      for (std::size_t k = 0; k < n; ++k) d[k] = a[k] < 0 ? -a[k] : a[k];
      return;
    case cop::logical_not:
      for (std::size_t k = 0; k < n; ++k) d[k] = a[k] == 0 ? 1 : 0;
      return;
    case cop::logical_and:
      for (std::size_t k = 0; k < n; ++k) d[k] = a[k] & b[k];
      return;
    case cop::logical_or:
      for (std::size_t k = 0; k < n; ++k) d[k] = a[k] | b[k];
      return;
    case cop::compare:
      with_compare(i.aux, [&](auto cmp) {
        for (std::size_t k = 0; k < n; ++k) d[k] = cmp(a[k], b[k]) ? 1 : 0;
      });
      return;
    case cop::compare_dec:
      with_compare(i.aux, [&](auto cmp) {
        for (std::size_t k = 0; k < n; ++k) {
          const std::strong_ordering o =
              decimal_internal::make(a[k], i.sa) <=> decimal_internal::make(b[k], i.sb);
          d[k] = cmp(o < 0 ? -1 : (o > 0 ? 1 : 0), 0) ? 1 : 0;
        }
      });
      return;
    case cop::select: {
      const std::int64_t* const e = c.col[i.c];
      // With masks, not a branch: the condition is data and would mispredict.
      for (std::size_t k = 0; k < n; ++k) {
        const std::int64_t take = -static_cast<std::int64_t>(a[k] != 0);
        d[k] = e[k] ^ ((b[k] ^ e[k]) & take);
      }
      return;
    }
    case cop::min:
      for (std::size_t k = 0; k < n; ++k) d[k] = std::min(a[k], b[k]);
      return;
    case cop::max:
      for (std::size_t k = 0; k < n; ++k) d[k] = std::max(a[k], b[k]);
      return;
    case cop::clamp: {
      const std::int64_t* const hi = c.col[i.c];
      for (std::size_t k = 0; k < n; ++k) d[k] = std::min(std::max(a[k], b[k]), hi[k]);
      return;
    }
  }
}

value column_value(std::int64_t bits, value_kind kind, int scale) noexcept {
  switch (kind) {
    case value_kind::boolean:
      return value::of_bool(bits != 0);
    case value_kind::integer:
      return value::of_int(bits);
    case value_kind::decimal:
      return value::of_decimal(decimal_internal::make(bits, scale));
    case value_kind::enumeration:
      return value::of_enum(static_cast<int>(bits));
    case value_kind::date:
      return value::of_date({static_cast<std::int32_t>(bits)});
    case value_kind::timestamp:
      return value::of_timestamp({bits});
    case value_kind::duration:
      return value::of_duration({bits});
    default:
      return value();
  }
}

}  // namespace

column_program lower_to_columns(const compiled_expression::impl& p) {
  return column_lowering(p).run();
}

void run_columns(const compiled_expression::impl& p, const expression_batch& in, std::size_t rows,
                 value* out, eval_status* status) noexcept {
  const column_program& cp = p.columns;
  alignas(64) column cols[max_columns];
  for (const column_program::constant& k : cp.constants) {
    std::fill(std::begin(cols[k.column]), std::end(cols[k.column]), k.bits);
  }
  const auto kind = static_cast<value_kind>(cp.result_kind);
  for (std::size_t base = 0; base < rows; base += column_rows) {
    const std::size_t n = std::min(column_rows, rows - base);
    alignas(64) std::uint8_t mark[column_rows] = {};
    const chunk c{cols, mark, in, base, n};
    for (const cinsn& i : cp.code) exec(i, c);
    const std::int64_t* const r = cols[cp.result];
    for (std::size_t k = 0; k < n; ++k) {
      if (mark[k] != 0) {
        status[base + k] = run_registers_row(p, in, base + k, out[base + k]);
      } else {
        out[base + k] = column_value(r[k], kind, cp.result_scale);
        status[base + k] = eval_status::ok;
      }
    }
  }
}

}  // namespace loyalty::internal::expr
