// Lowering of a checked expression to the register machine (vm.hpp), and the machine itself.
#include "expr/vm.hpp"

#include <algorithm>
#include <optional>

#include "decimal_internal.hpp"
#include "expr/program.hpp"

namespace loyalty::internal::expr {

namespace {

/// The static type of a register.
struct reg_type {
  value_kind kind = value_kind::null;
  std::int8_t scale = 0;
};

/// A null constant is a register holding "missing"; otherwise a register holds one 64-bit value.
bool in_registers(value_kind k) {
  return k == value_kind::null || one_int64(k);
}

std::int64_t pow10(int exponent) {
  std::int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= 10;
  return r;
}

/// Lowers the node tree depth first. Registers are a stack: a node's result goes to the register
/// it is given, its operands to the registers above it. Any node the machine cannot run makes the
/// whole lowering fail, and the expression keeps the tree evaluator.
class lowering {
 public:
  explicit lowering(const compiled_expression::impl& p) : p_(p) {
    for (const node& n : p.nodes) {
      if (n.code == op::variable && n.slot + 1 > variables_) variables_ = n.slot + 1;
    }
    next_ = variables_;  // variables' values live in the first registers
  }

  register_program run() {
    register_program out;
    const std::optional<std::uint16_t> dst = alloc();
    if (!dst) return out;
    const std::optional<reg_type> t = lower(p_.root, *dst);
    if (!t || failed_ || code_.size() >= max_instructions) return out;
    insn r;
    r.op = vop::ret;
    r.a = *dst;
    r.aux = static_cast<std::uint8_t>(t->kind);
    r.digits = t->scale;
    code_.push_back(r);
    thread_jumps();
    fuse_tests();
    out.code = std::move(code_);
    out.registers = high_;
    return out;
  }

 private:
  std::optional<std::uint16_t> alloc() {
    if (next_ >= max_registers) return std::nullopt;
    const auto r = static_cast<std::uint16_t>(next_++);
    if (next_ > high_) high_ = next_;
    return r;
  }

  std::uint32_t emit(insn i) {
    if (code_.size() >= max_instructions) {
      failed_ = true;
      return 0;
    }
    code_.push_back(i);
    return static_cast<std::uint32_t>(code_.size() - 1);
  }

  std::uint32_t here() const { return static_cast<std::uint32_t>(code_.size()); }

  static bool is_jump(vop o) {
    return o == vop::jump || o == vop::jump_if_false || o == vop::jump_if_true ||
           o == vop::jump_if_present || o == vop::var_ready || o == vop::match;
  }

  // --- peephole passes over the finished code -------------------------------------------------

  // A jump to a jump goes straight to where that one leads: `a and b and c` as the condition of
  // an `if` jumps from the first false operand directly to `else`. A test of the same register
  // that already failed (or passed) is known to fail (pass) again. A jump to `ret` returns.
  void thread_jumps() {
    for (insn& i : code_) {
      if (!is_jump(i.op) || i.op == vop::var_ready || i.op == vop::match) continue;
      for (int hops = 0; hops < 64 && i.target < code_.size(); ++hops) {
        const insn& t = code_[i.target];
        const bool same_test = t.a == i.a && i.op != vop::jump;
        if (t.op == vop::jump) {
          i.target = t.target;
        } else if (same_test && t.op == i.op) {
          i.target = t.target;  // the same test on the same, unchanged value
        } else if (same_test && ((i.op == vop::jump_if_false && t.op == vop::jump_if_true) ||
                                 (i.op == vop::jump_if_true && t.op == vop::jump_if_false))) {
          i.target = i.target + 1;  // the opposite test: it falls through
        } else {
          break;
        }
      }
      if (i.op == vop::jump && i.target < code_.size() && code_[i.target].op == vop::ret) {
        i = code_[i.target];
      }
    }
  }

  // compare_slot / in_mask_slot and the jump_if_false on their result become one instruction
  // when nothing jumps to that jump_if_false.
  void fuse_tests() {
    std::vector<bool> targeted(code_.size() + 1, false);
    for (const insn& i : code_) {
      if (is_jump(i.op)) targeted[i.target] = true;
    }
    std::vector<bool> removed(code_.size(), false);
    for (std::size_t k = 0; k + 1 < code_.size(); ++k) {
      insn& i = code_[k];
      const insn& next = code_[k + 1];
      if ((i.op != vop::compare_slot && i.op != vop::in_mask_slot) ||
          next.op != vop::jump_if_false || next.a != i.dst || targeted[k + 1]) {
        continue;
      }
      i.op = i.op == vop::compare_slot ? vop::compare_slot_jump_if_false
                                       : vop::in_mask_slot_jump_if_false;
      i.b = static_cast<std::uint16_t>(next.target);
      removed[k + 1] = true;
    }
    // Renumber: every target moves down by the instructions removed before it.
    std::vector<std::uint32_t> new_index(code_.size() + 1, 0);
    std::uint32_t n = 0;
    for (std::size_t k = 0; k < code_.size(); ++k) {
      new_index[k] = n;
      if (!removed[k]) ++n;
    }
    new_index[code_.size()] = n;
    std::vector<insn> out;
    out.reserve(n);
    for (std::size_t k = 0; k < code_.size(); ++k) {
      if (removed[k]) continue;
      insn i = code_[k];
      if (is_jump(i.op)) i.target = new_index[i.target];
      if (i.op == vop::compare_slot_jump_if_false || i.op == vop::in_mask_slot_jump_if_false) {
        i.b = static_cast<std::uint16_t>(new_index[i.b]);
      }
      out.push_back(i);
    }
    code_ = std::move(out);
  }

  void patch(std::uint32_t at) {
    if (at < code_.size()) code_[at].target = here();
  }

  static insn make(vop o, std::uint16_t dst, std::uint16_t a = 0, std::uint16_t b = 0) {
    insn i;
    i.op = o;
    i.dst = dst;
    i.a = a;
    i.b = b;
    return i;
  }

  /// Brings register `r` from type `from` to `to` (a decimal at a larger scale), as the tree
  /// evaluator's to_static() does for the operators that choose an operand.
  void convert(std::uint16_t r, reg_type from, reg_type to) {
    if (to.kind != value_kind::decimal || from.kind == value_kind::null || from.scale >= to.scale) {
      return;
    }
    insn i = make(vop::scale_up, r, r);
    i.imm = pow10(to.scale - from.scale);
    emit(i);
  }

  bool required(std::uint32_t slot) const { return !p_.slot_types[slot].optional; }

  /// The register bits of constant node `index` converted to `t`, or nullopt when it is not a
  /// constant the machine holds (or does not fit at `t`, which the conversion at run time reports).
  std::optional<std::int64_t> constant_at(std::uint32_t index, reg_type t) const {
    const node& n = p_.nodes[index];
    if (n.code != op::constant || !in_registers(n.constant.kind())) return std::nullopt;
    if (n.constant.is_null()) return missing_bits;
    const bool number =
        n.constant.kind() == value_kind::integer || n.constant.kind() == value_kind::decimal;
    if (t.kind != value_kind::decimal || !number) return n.constant.as_int();
    const decimal_result v = n.constant.as_decimal().rescale(t.scale, rounding_mode::down);
    if (!v || v.value != n.constant.as_decimal()) return std::nullopt;
    return v.value.units();
  }

  /// A node's result into `dst`, converted to `t`. A constant is written at `t` directly.
  std::optional<reg_type> lower_to(std::uint32_t index, std::uint16_t dst, reg_type t) {
    if (const std::optional<std::int64_t> bits = constant_at(index, t)) {
      insn i = make(vop::constant, dst);
      i.imm = *bits;
      emit(i);
      return t;
    }
    const std::optional<reg_type> r = lower(index, dst);
    if (r) convert(dst, *r, t);
    return r;
  }

  bool is_slot_test(std::uint32_t index) const {
    const op o = p_.nodes[index].code;
    return o == op::compare_slot || o == op::in_mask_slot;
  }

  /// A fused field test into `dst`; `and_dst`: dst = dst and the test.
  void slot_test(const node& n, std::uint16_t dst, bool and_dst) {
    const bool cmp = n.code == op::compare_slot;
    insn i = make(and_dst ? (cmp ? vop::compare_slot_and : vop::in_mask_slot_and)
                          : (cmp ? vop::compare_slot : vop::in_mask_slot),
                  dst);
    i.target = n.slot;
    i.flags = required(n.slot) ? 1 : 0;
    i.aux = n.aux;
    i.digits = n.digits;
    i.imm = cmp ? n.constant.as_int() : static_cast<std::int64_t>(n.mask);
    emit(i);
  }

  /// A node's result into `dst`; its static type, or nullopt when the machine cannot run it.
  std::optional<reg_type> lower(std::uint32_t index, std::uint16_t dst) {
    if (failed_) return std::nullopt;  // past max_instructions: stop (variables inline)
    const std::uint32_t mark = next_;
    std::optional<reg_type> t = lower_node(p_.nodes[index], dst);
    next_ = mark;  // operands' registers are free again
    return t;
  }

  /// An operand into a fresh register.
  std::optional<std::pair<std::uint16_t, reg_type>> operand(std::uint32_t index) {
    const std::optional<std::uint16_t> r = alloc();
    if (!r) return std::nullopt;
    const std::optional<reg_type> t = lower(index, *r);
    if (!t) return std::nullopt;
    return std::pair{*r, *t};
  }

  std::optional<reg_type> lower_node(const node& n, std::uint16_t dst) {
    switch (n.code) {
      case op::constant: {
        if (!in_registers(n.constant.kind())) return std::nullopt;
        insn i = make(vop::constant, dst);
        i.imm = n.constant.is_null() ? missing_bits : n.constant.as_int();
        emit(i);
        return reg_type{n.constant.kind(), static_cast<std::int8_t>(n.constant.scale())};
      }
      case op::field: {
        const field_type& ft = p_.slot_types[n.slot];
        if (!in_registers(ft.kind)) return std::nullopt;
        insn i = make(vop::load, dst);
        i.target = n.slot;
        i.flags = required(n.slot) ? 1 : 0;
        emit(i);
        return reg_type{ft.kind, ft.kind == value_kind::decimal ? ft.scale : std::int8_t{0}};
      }
      case op::now:
        emit(make(vop::now, dst));
        return reg_type{value_kind::timestamp, 0};
      case op::negate_int:
      case op::negate_dec:
      case op::abs_num: {
        const std::optional<reg_type> t = lower(n.a, dst);
        if (t) emit(make(n.code == op::abs_num ? vop::abs : vop::neg, dst, dst));
        return t;
      }
      case op::logical_not: {
        if (!lower(n.a, dst)) return std::nullopt;
        emit(make(vop::logical_not, dst, dst));
        return reg_type{value_kind::boolean, 0};
      }
      case op::is_null: {
        if (!lower(n.a, dst)) return std::nullopt;
        insn i = make(vop::is_null, dst, dst);
        i.aux = n.aux;
        emit(i);
        return reg_type{value_kind::boolean, 0};
      }
      case op::logical_and:
        if (is_slot_test(n.b)) {
          // dst and <field test>: no jump (a data-dependent jump is the costliest instruction).
          if (!lower(n.a, dst)) return std::nullopt;
          slot_test(p_.nodes[n.b], dst, true);
          return reg_type{value_kind::boolean, 0};
        }
        [[fallthrough]];
      case op::logical_or: {
        if (!lower(n.a, dst)) return std::nullopt;
        const std::uint32_t skip =
            emit(make(n.code == op::logical_and ? vop::jump_if_false : vop::jump_if_true, 0, dst));
        if (!lower(n.b, dst)) return std::nullopt;
        patch(skip);
        return reg_type{value_kind::boolean, 0};
      }
      case op::conditional: {
        const reg_type t{n.kind, n.scale};
        const std::optional<std::int64_t> yes = constant_at(n.b, t);
        const std::optional<std::int64_t> no = constant_at(n.c, t);
        if (yes && no) {
          // if c then 2 else 1.5: a select, no jump.
          if (!lower(n.a, dst)) return std::nullopt;
          insn i = make(vop::select, dst, dst);
          i.imm = *yes;
          i.imm2 = *no;
          emit(i);
          return t;
        }
        if (!lower(n.a, dst)) return std::nullopt;
        const std::uint32_t to_else = emit(make(vop::jump_if_false, 0, dst));
        if (!lower_to(n.b, dst, t)) return std::nullopt;
        const std::uint32_t to_end = emit(make(vop::jump, 0));
        patch(to_else);
        if (!lower_to(n.c, dst, t)) return std::nullopt;
        patch(to_end);
        return t;
      }
      case op::coalesce: {
        const reg_type t{n.kind, n.scale};
        if (!lower_to(n.a, dst, t)) return std::nullopt;
        const std::uint32_t to_end = emit(make(vop::jump_if_present, 0, dst));
        if (!lower_to(n.b, dst, t)) return std::nullopt;
        patch(to_end);
        return t;
      }
      case op::arith_int:
      case op::arith_dec:
        return arithmetic(n, dst);
      case op::round_dec:
        return rounding(n, dst);
      case op::compare_num:
      case op::compare_enum:
      case op::compare_bool:
        return comparison(n, dst);
      case op::in_mask: {
        if (!lower(n.a, dst)) return std::nullopt;
        insn i = make(vop::in_mask, dst, dst);
        i.imm = static_cast<std::int64_t>(n.mask);
        i.digits = n.digits;
        emit(i);
        return reg_type{value_kind::boolean, 0};
      }
      case op::in_list:
        return membership(n, dst);
      case op::min_num:
      case op::max_num:
        return min_max(n, dst);
      case op::clamp_num:
        return clamp(n, dst);
      case op::compare_slot:
      case op::in_mask_slot:
        slot_test(n, dst, false);
        return reg_type{value_kind::boolean, 0};
      case op::div_slot_const: {
        const field_type& ft = p_.slot_types[n.slot];
        insn i = make(vop::div_slot, dst);
        i.target = n.slot;
        i.flags = required(n.slot) ? 1 : 0;
        i.sa = ft.kind == value_kind::decimal ? ft.scale : std::int8_t{0};
        i.sb = static_cast<std::int8_t>(n.constant.scale());
        i.imm = n.constant.as_int();
        i.digits = n.digits;
        i.aux = n.aux;
        emit(i);
        return reg_type{value_kind::decimal, n.digits};
      }
      case op::variable:
        return variable(n, dst);
      default:
        return std::nullopt;  // text, lists, today, calendar functions: the tree evaluator
    }
  }

  std::optional<reg_type> arithmetic(const node& n, std::uint16_t dst) {
    const std::optional<reg_type> x = lower(n.a, dst);
    if (!x) return std::nullopt;
    const auto y = operand(n.b);
    if (!y) return std::nullopt;
    const auto kind = static_cast<arith>(n.aux);
    insn i = make(vop::add, dst, dst, y->first);
    i.sa = x->scale;
    i.sb = y->second.scale;
    i.digits = n.digits;
    if (n.code == op::arith_int) {
      i.op = kind == arith::add   ? vop::add
             : kind == arith::sub ? vop::sub
             : kind == arith::mul ? vop::mul
                                  : vop::rem_int;
      emit(i);
      return reg_type{value_kind::integer, 0};
    }
    const bool same_scale = x->scale == y->second.scale;
    switch (kind) {
      case arith::add:
        i.op = same_scale ? vop::add : vop::add_dec;
        break;
      case arith::sub:
        i.op = same_scale ? vop::sub : vop::sub_dec;
        break;
      case arith::mul:
        i.op = vop::mul;
        break;
      case arith::div:
        i.op = vop::div;
        i.aux = static_cast<std::uint8_t>(rounding_mode::half_even);
        break;
      case arith::rem:
        i.op = vop::rem_dec;
        break;
    }
    emit(i);
    return reg_type{value_kind::decimal, n.digits};
  }

  std::optional<reg_type> rounding(const node& n, std::uint16_t dst) {
    const node& child = p_.nodes[n.a];
    insn i;
    i.aux = n.aux;
    i.digits = n.digits;
    i.dst = dst;
    i.a = dst;
    if (child.code == op::arith_dec && static_cast<arith>(child.aux) == arith::div) {
      // round(a / b, digits, mode): one exact division, rounded once.
      const std::optional<reg_type> x = lower(child.a, dst);
      if (!x) return std::nullopt;
      const auto y = operand(child.b);
      if (!y) return std::nullopt;
      i.op = vop::div;
      i.b = y->first;
      i.sa = x->scale;
      i.sb = y->second.scale;
    } else {
      const std::optional<reg_type> x = lower(n.a, dst);
      if (!x) return std::nullopt;
      i.op = vop::round;
      i.sa = x->scale;
    }
    emit(i);
    return reg_type{value_kind::decimal, n.digits};
  }

  std::optional<reg_type> comparison(const node& n, std::uint16_t dst) {
    const std::optional<reg_type> x = lower(n.a, dst);
    if (!x) return std::nullopt;
    const auto y = operand(n.b);
    if (!y) return std::nullopt;
    insn i = make(vop::compare, dst, dst, y->first);
    i.aux = n.aux;
    if (n.code == op::compare_num && x->scale != y->second.scale) {
      i.op = vop::compare_dec;
      i.sa = x->scale;
      i.sb = y->second.scale;
    }
    emit(i);
    return reg_type{value_kind::boolean, 0};
  }

  // x in [items]: items in order until one equals x (the later ones are not evaluated).
  std::optional<reg_type> membership(const node& n, std::uint16_t dst) {
    if (n.aux == 1) return std::nullopt;  // text
    const auto x = operand(n.a);
    if (!x) return std::nullopt;
    insn zero = make(vop::constant, dst);
    emit(zero);
    std::vector<std::uint32_t> found;
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      const auto item = operand(p_.args[n.args_begin + k]);
      if (!item) return std::nullopt;
      insn m = make(vop::match, dst, x->first, item->first);
      m.sa = x->second.scale;
      m.sb = item->second.scale;
      found.push_back(emit(m));
      next_ = item->first;  // the item's register is free again
    }
    for (const std::uint32_t at : found) patch(at);
    if (n.digits != 0) emit(make(vop::logical_not, dst, dst));
    return reg_type{value_kind::boolean, 0};
  }

  std::optional<reg_type> min_max(const node& n, std::uint16_t dst) {
    const reg_type t{n.kind, n.scale};
    for (std::uint32_t k = 0; k < n.args_count; ++k) {
      const std::uint32_t arg = p_.args[n.args_begin + k];
      if (k == 0) {
        const std::optional<reg_type> x = lower(arg, dst);
        if (!x) return std::nullopt;
        convert(dst, *x, t);
        continue;
      }
      const auto y = operand(arg);
      if (!y) return std::nullopt;
      convert(y->first, y->second, t);
      emit(make(n.code == op::min_num ? vop::min : vop::max, dst, y->first));
      next_ = y->first;
    }
    return t;
  }

  std::optional<reg_type> clamp(const node& n, std::uint16_t dst) {
    const reg_type t{n.kind, n.scale};
    const std::optional<reg_type> x = lower(n.a, dst);
    if (!x) return std::nullopt;
    convert(dst, *x, t);
    const auto lo = operand(n.b);
    if (!lo) return std::nullopt;
    convert(lo->first, lo->second, t);
    const auto hi = operand(n.c);
    if (!hi) return std::nullopt;
    convert(hi->first, hi->second, t);
    emit(make(vop::clamp, dst, lo->first, hi->first));
    return t;
  }

  // A named variable: computed at its first use in this evaluation, then read from its register.
  // The code is placed at every use (any of them may be the first to run).
  std::optional<reg_type> variable(const node& n, std::uint16_t dst) {
    const auto var = static_cast<std::uint16_t>(n.slot);  // its register, too
    const std::uint32_t have = emit(make(vop::var_ready, 0, var));
    const std::optional<reg_type> t = lower(n.a, var);
    if (!t) return std::nullopt;
    emit(make(vop::var_done, 0, var));
    patch(have);
    if (dst != var) emit(make(vop::move, dst, var));
    return t;
  }

  const compiled_expression::impl& p_;
  std::vector<insn> code_;
  std::uint32_t variables_ = 0;
  std::uint32_t next_ = 0;
  std::uint32_t high_ = 0;
  bool failed_ = false;
};

/// Missing values are equal only to each other; an ordering with a missing value is false.
bool compare_missing(std::uint8_t c, std::int64_t x, std::int64_t y) noexcept {
  const bool both = x == missing_bits && y == missing_bits;
  const auto k = static_cast<compare>(c);
  return k == compare::eq ? both : (k == compare::ne ? !both : false);
}

int order_of(std::int64_t x, int sx, std::int64_t y, int sy) noexcept {
  const std::strong_ordering o = decimal_internal::make(x, sx) <=> decimal_internal::make(y, sy);
  return o < 0 ? -1 : (o > 0 ? 1 : 0);
}

decimal dec(std::int64_t units, int scale) noexcept {
  return decimal_internal::make(units, scale);
}

value to_value(std::int64_t bits, value_kind kind, int scale) noexcept {
  if (bits == missing_bits) return value();
  switch (kind) {
    case value_kind::boolean:
      return value::of_bool(bits != 0);
    case value_kind::integer:
      return value::of_int(bits);
    case value_kind::decimal:
      return value::of_decimal(dec(bits, scale));
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

// Results of checked 64-bit arithmetic: -2^63 is not a value (it is the missing bits).
bool checked(bool overflowed, std::int64_t r) noexcept {
  return !overflowed && r != missing_bits;
}

/// What an instruction leaves to the loop around it.
/// One word, so that it stays in a register: a jump target, or one of the codes at the top.
struct step {
  static constexpr std::uint32_t next_code = UINT32_MAX;
  static constexpr std::uint32_t done_code = UINT32_MAX - 1;
  static constexpr std::uint32_t fail_base = UINT32_MAX - 256;  // + the eval_status
  std::uint32_t code = next_code;

  static step jump(std::uint32_t target) noexcept { return {target}; }
  static step fail(eval_status s) noexcept { return {fail_base + static_cast<std::uint32_t>(s)}; }
  static step done() noexcept { return {done_code}; }
  bool is_next() const noexcept { return code == next_code; }
  bool is_jump() const noexcept { return code < fail_base; }
  bool is_done() const noexcept { return code == done_code; }
  eval_status status() const noexcept { return static_cast<eval_status>(code - fail_base); }
};

/// Field `slot` of the input as register bits; false when it is missing and `needed`.
template <typename Input>
bool read_slot(const Input& in, std::uint32_t slot, bool needed, std::int64_t& bits) noexcept {
  const value& v = in.get(slot);
  if (v.is_null()) {
    bits = missing_bits;
    return !needed;
  }
  bits = v.as_int();
  return true;
}

#if defined(__GNUC__) || defined(__clang__)
#define LOYALTY_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define LOYALTY_ALWAYS_INLINE inline
#endif

/// Executes one instruction: `r` holds the registers, `in` the fields (an expression_input or a
/// row of an expression_batch), `ready` the variables computed. `o` is i.op, passed as a constant
/// by each threaded-code handler so that every op gets its own copy of this code.
template <typename Input>
LOYALTY_ALWAYS_INLINE step exec(const insn& i, vop o, std::int64_t* r, const Input& in,
                                std::uint64_t& ready) noexcept {
  switch (o) {
    case vop::load: {
      if (!read_slot(in, i.target, i.flags != 0, r[i.dst]))
        return step::fail(eval_status::missing_field);
      return {};
    }

    case vop::now: {
      const value& v = in.now();
      if (v.is_null()) return step::fail(eval_status::missing_field);
      r[i.dst] = v.as_int();
      return {};
    }

    case vop::constant: {
      r[i.dst] = i.imm;
      return {};
    }

    case vop::move: {
      r[i.dst] = r[i.a];
      return {};
    }

    case vop::scale_up: {
      const std::int64_t x = r[i.a];
      std::int64_t v = missing_bits;
      if (x != missing_bits) {
        const bool overflowed = __builtin_mul_overflow(x, i.imm, &v);
        if (!checked(overflowed, v)) return step::fail(eval_status::overflow);
      }
      r[i.dst] = v;
      return {};
    }

    case vop::add:
    case vop::sub:
    case vop::mul: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      if (x == missing_bits || y == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      std::int64_t v = 0;
      const bool overflowed = o == vop::add   ? __builtin_add_overflow(x, y, &v)
                              : o == vop::sub ? __builtin_sub_overflow(x, y, &v)
                                              : __builtin_mul_overflow(x, y, &v);
      if (!checked(overflowed, v)) return step::fail(eval_status::overflow);
      r[i.dst] = v;
      return {};
    }

    case vop::add_dec:
    case vop::sub_dec:
    case vop::div:
    case vop::rem_dec: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      if (x == missing_bits || y == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      const decimal a = dec(x, i.sa);
      const decimal b = dec(y, i.sb);
      const decimal_result v = o == vop::add_dec   ? decimal::add(a, b)
                               : o == vop::sub_dec ? decimal::sub(a, b)
                               : o == vop::div
                                   ? decimal::div(a, b, i.digits, static_cast<rounding_mode>(i.aux))
                                   : decimal::rem(a, b);
      if (!v) return step::fail(from_errc(v.error));
      r[i.dst] = v.value.units();
      return {};
    }

    case vop::rem_int: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      if (x == missing_bits || y == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      if (y == 0) return step::fail(eval_status::division_by_zero);
      r[i.dst] = y == -1 ? 0 : x % y;
      return {};
    }

    case vop::round: {
      const std::int64_t x = r[i.a];
      if (x == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      const decimal_result v = dec(x, i.sa).rescale(i.digits, static_cast<rounding_mode>(i.aux));
      if (!v) return step::fail(from_errc(v.error));
      r[i.dst] = v.value.units();
      return {};
    }

    case vop::div_slot: {
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0, x)) return step::fail(eval_status::missing_field);
      if (x == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      const decimal_result v =
          decimal::div(dec(x, i.sa), dec(i.imm, i.sb), i.digits, static_cast<rounding_mode>(i.aux));
      if (!v) return step::fail(from_errc(v.error));
      r[i.dst] = v.value.units();
      return {};
    }

    case vop::neg: {
      // -x and |x| always fit: the range is symmetric
      r[i.dst] = r[i.a] == missing_bits ? missing_bits : -r[i.a];
      return {};
    }

    case vop::abs: {
      r[i.dst] = r[i.a] == missing_bits || r[i.a] >= 0 ? r[i.a] : -r[i.a];
      return {};
    }

    case vop::compare: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      r[i.dst] = x == missing_bits || y == missing_bits
                     ? compare_missing(i.aux, x, y)
                     : compare_bits(static_cast<compare>(i.aux), x, y);
      return {};
    }

    case vop::compare_dec: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      r[i.dst] = x == missing_bits || y == missing_bits
                     ? compare_missing(i.aux, x, y)
                     : compare_bits(static_cast<compare>(i.aux), order_of(x, i.sa, y, i.sb), 0);
      return {};
    }

    case vop::compare_slot: {
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0, x)) return step::fail(eval_status::missing_field);
      r[i.dst] = x == missing_bits ? static_cast<compare>(i.aux) == compare::ne
                                   : compare_bits(static_cast<compare>(i.aux), x, i.imm);
      return {};
    }

    case vop::compare_slot_jump_if_false: {
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0, x)) return step::fail(eval_status::missing_field);
      const bool r0 = x == missing_bits ? static_cast<compare>(i.aux) == compare::ne
                                        : compare_bits(static_cast<compare>(i.aux), x, i.imm);
      r[i.dst] = r0;
      if (!r0) return step::jump(i.b);
      return {};
    }

    case vop::in_mask_slot_jump_if_false: {
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0, x)) return step::fail(eval_status::missing_field);
      const bool found = in_set(x, static_cast<std::uint64_t>(i.imm));
      const bool r0 = found != (i.digits != 0);
      r[i.dst] = r0;
      if (!r0) return step::jump(i.b);
      return {};
    }

    // The field is read whatever dst holds, and the results combined without a jump; a missing
    // required field is an error only when the short-circuit would have tested it (dst true).
    case vop::compare_slot_and: {
      const bool before = r[i.dst] != 0;
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0 && before, x))
        return step::fail(eval_status::missing_field);
      const bool test = x == missing_bits ? static_cast<compare>(i.aux) == compare::ne
                                          : compare_bits(static_cast<compare>(i.aux), x, i.imm);
      r[i.dst] = before & test;
      return {};
    }

    case vop::in_mask_slot_and: {
      const bool before = r[i.dst] != 0;
      std::int64_t x = 0;
      if (!read_slot(in, i.target, i.flags != 0 && before, x))
        return step::fail(eval_status::missing_field);
      r[i.dst] = before & (in_set(x, static_cast<std::uint64_t>(i.imm)) != (i.digits != 0));
      return {};
    }

    case vop::select: {
      r[i.dst] = r[i.a] != 0 ? i.imm : i.imm2;
      return {};
    }

    case vop::in_mask:
    case vop::in_mask_slot: {
      std::int64_t x = r[i.a];
      if (o == vop::in_mask_slot && !read_slot(in, i.target, i.flags != 0, x)) {
        return step::fail(eval_status::missing_field);
      }
      const bool found = in_set(x, static_cast<std::uint64_t>(i.imm));
      r[i.dst] = found != (i.digits != 0);
      return {};
    }

    case vop::logical_not: {
      r[i.dst] = r[i.a] == 0;
      return {};
    }

    case vop::is_null: {
      r[i.dst] = (r[i.a] == missing_bits) == (i.aux == 0);
      return {};
    }

    case vop::match: {
      const std::int64_t x = r[i.a];
      const std::int64_t y = r[i.b];
      if (x != missing_bits && y != missing_bits &&
          (i.sa == i.sb ? x == y : order_of(x, i.sa, y, i.sb) == 0)) {
        r[i.dst] = 1;
        return step::jump(i.target);
      }
      return {};
    }

    case vop::min:
    case vop::max: {
      const std::int64_t x = r[i.dst];
      const std::int64_t y = r[i.a];
      if (x == missing_bits || y == missing_bits) {
        r[i.dst] = missing_bits;
      } else if (o == vop::min ? y < x : y > x) {
        r[i.dst] = y;
      }
      return {};
    }

    case vop::clamp: {
      const std::int64_t x = r[i.dst];
      const std::int64_t lo = r[i.a];
      const std::int64_t hi = r[i.b];
      if (x == missing_bits || lo == missing_bits || hi == missing_bits) {
        r[i.dst] = missing_bits;
        return {};
      }
      std::int64_t v = x < lo ? lo : x;
      if (v > hi) v = hi;
      r[i.dst] = v;
      return {};
    }

    case vop::jump: {
      return step::jump(i.target);
      return {};
    }

    case vop::jump_if_false: {
      if (r[i.a] == 0) return step::jump(i.target);
      return {};
    }

    case vop::jump_if_true: {
      if (r[i.a] != 0) return step::jump(i.target);
      return {};
    }

    case vop::jump_if_present: {
      if (r[i.a] != missing_bits) return step::jump(i.target);
      return {};
    }

    case vop::var_ready: {
      if (((ready >> i.a) & 1U) != 0) return step::jump(i.target);
      return {};
    }

    case vop::var_done: {
      ready |= std::uint64_t{1} << i.a;
      return {};
    }

    case vop::ret: {
      return step::done();
    }
  }
  return step::fail(eval_status::type_mismatch);  // not reached: every op is handled above
}

}  // namespace

register_program lower_to_registers(const compiled_expression::impl& p) {
  return lowering(p).run();
}

// LOYALTY_VM_SWITCH builds the portable loop (other compilers get it anyway).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(LOYALTY_VM_SWITCH)
#define LOYALTY_VM_THREADED 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"  // labels as values
#else
#define LOYALTY_VM_THREADED 0
#endif

namespace {

value result_of(const insn& ret, std::int64_t bits) noexcept {
  return to_value(bits, static_cast<value_kind>(ret.aux), ret.digits);
}

template <typename Input>
eval_status run(const compiled_expression::impl& p, const Input& in, value& out) noexcept {
  std::int64_t r[max_registers];  // only registers written before being read are used
  std::uint64_t ready = 0;
  const insn* const code = p.vm.code.data();
  const insn* pc = code;
#if LOYALTY_VM_THREADED
  // Threaded code: each op's handler ends in its own indirect jump, so the branch predictor
  // learns each op's successors separately (on random events this is a third faster than one
  // shared switch jump).
#define LOYALTY_VM_LABEL(name) &&op_##name,
  static constexpr const void* dispatch[] = {LOYALTY_VM_OPS(LOYALTY_VM_LABEL)};
#undef LOYALTY_VM_LABEL
  goto* dispatch[static_cast<std::size_t>(pc->op)];
#define LOYALTY_VM_HANDLER(name)                       \
  op_##name : {                                        \
    const step s = exec(*pc, vop::name, r, in, ready); \
    if (s.is_next()) {                                 \
      ++pc;                                            \
    } else if (s.is_jump()) {                          \
      pc = code + s.code;                              \
    } else if (s.is_done()) {                          \
      out = result_of(*pc, r[pc->a]);                  \
      return eval_status::ok;                          \
    } else {                                           \
      return s.status();                               \
    }                                                  \
    goto* dispatch[static_cast<std::size_t>(pc->op)];  \
  }
  LOYALTY_VM_OPS(LOYALTY_VM_HANDLER)
#undef LOYALTY_VM_HANDLER
#else
  for (;;) {
    const step s = exec(*pc, pc->op, r, in, ready);
    if (s.is_next()) {
      ++pc;
    } else if (s.is_jump()) {
      pc = code + s.code;
    } else if (s.is_done()) {
      out = result_of(*pc, r[pc->a]);
      return eval_status::ok;
    } else {
      return s.status();
    }
  }
#endif
}

}  // namespace

eval_status run_registers(const compiled_expression::impl& p, const expression_input& in,
                          value& out) noexcept {
  return run(p, in, out);
}

void run_registers(const compiled_expression::impl& p, const expression_batch& in, std::size_t rows,
                   value* out, eval_status* status) noexcept {
  for (std::size_t row = 0; row < rows; ++row) status[row] = run(p, batch_row{in, row}, out[row]);
}

eval_status run_registers_row(const compiled_expression::impl& p, const expression_batch& in,
                              std::size_t row, value& out) noexcept {
  return run(p, batch_row{in, row}, out);
}

#if LOYALTY_VM_THREADED
#pragma GCC diagnostic pop
#endif
#undef LOYALTY_VM_THREADED
#undef LOYALTY_ALWAYS_INLINE

}  // namespace loyalty::internal::expr
