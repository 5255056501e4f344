// The fast path of evaluation: a register machine over 64-bit integers.
//
// Most rule expressions only compute with numbers, booleans, enums and instants. For those the
// compiler lowers the checked node tree (program.hpp) once more, into a flat list of
// instructions whose operands are registers holding raw 64-bit values at STATIC types: a decimal
// register always holds units at one known scale (the input boundary guarantees a field's scale,
// and every operator's result scale is fixed at compile time), so no instruction looks at a kind
// or a scale at run time. Missing values are the one bit pattern no value can have, INT64_MIN
// (decimals and integers exclude it; see decimal.hpp). Control flow (and, or, if, ??) becomes
// jumps, so only the operands that the tree evaluator would evaluate are computed.
//
// Expressions that use text, lists, `today`, calendar functions or time arithmetic keep the tree
// evaluator (evaluate.cpp), which defines the semantics; the property tests compare both with a
// reference interpreter. docs/design.md describes the passes, docs/performance.md the figures.
#pragma once

#include <cstdint>
#include <vector>

#include "loyalty/expression.hpp"

namespace loyalty::internal::expr {

/// The bits of a missing value in a register.
inline constexpr std::int64_t missing_bits = INT64_MIN;

/// Registers one evaluation may use (on the stack); an expression needing more keeps the tree.
inline constexpr std::uint32_t max_registers = 128;

/// Instructions an expression may lower to; beyond it (variables are inlined at every use) it
/// keeps the tree evaluator.
inline constexpr std::size_t max_instructions = 4096;

enum class vop : std::uint8_t {
  load,          // dst = field `target`; flags 1: required (missing → missing_field)
  now,           // dst = the instant passed in (missing → missing_field)
  constant,      // dst = imm
  move,          // dst = a
  scale_up,      // dst = a * imm (a power of ten), overflow-checked; missing passes
  add,           // dst = a + b, same scale, overflow-checked; missing propagates
  sub,           // dst = a - b, same scale
  add_dec,       // decimal::add of a (scale sa) and b (scale sb): scales differ
  sub_dec,       // decimal::sub, scales differ
  mul,           // dst = a * b (units multiply; the scales add up)
  div,           // decimal::div(a@sa, b@sb, digits, mode aux)
  rem_int,       // integer remainder (sign of a)
  rem_dec,       // decimal::rem(a@sa, b@sb)
  round,         // a@sa rescaled to digits with mode aux
  neg,           // dst = -a
  abs,           // dst = |a|
  compare,       // dst = a <aux> b, raw bits (same scale, enum codes, instants)
  compare_dec,   // dst = a@sa <aux> b@sb, exact across scales
  compare_slot,  // dst = field `target` <aux> imm (raw bits); flags 1: required
  in_mask,       // dst = (a in the set imm) != digits
  in_mask_slot,  // the same on field `target`; flags 1: required
  // compare_slot and in_mask_slot followed by jump_if_false on their result, fused: the same,
  // then a jump to instruction `b` when the result is false.
  compare_slot_jump_if_false,
  in_mask_slot_jump_if_false,
  // `dst and <test of field target>`: the test is skipped (no missing_field) when dst is false,
  // so it means the same as the short-circuit, without a jump.
  compare_slot_and,
  in_mask_slot_and,
  select,           // dst = a ? imm : imm2 (both constants)
  div_slot,         // decimal::div(field `target` @sa, imm@sb, digits, mode aux); flags 1: required
  logical_not,      // dst = !a
  is_null,          // dst = (a is missing) == (aux == 0)
  match,            // if a and b are present and equal (a@sa, b@sb): dst = 1, jump to target
  min,              // dst = min(dst, a), same scale; missing if either is
  max,              // dst = max(dst, a)
  clamp,            // dst = clamp(dst, a, b), same scale; missing if any is
  jump,             // to target
  jump_if_false,    // to target when a is false
  jump_if_true,     // to target when a is true
  jump_if_present,  // to target when a is not missing
  var_ready,        // to target when variable `a` is computed
  var_done,         // variable `a` is computed
  ret,              // the result is a, of kind aux at scale digits
};

/// Every opcode, in the order of `vop` (for dispatch tables).
// clang-format off
#define LOYALTY_VM_OPS(X) \
  X(load) \
  X(now) \
  X(constant) \
  X(move) \
  X(scale_up) \
  X(add) \
  X(sub) \
  X(add_dec) \
  X(sub_dec) \
  X(mul) \
  X(div) \
  X(rem_int) \
  X(rem_dec) \
  X(round) \
  X(neg) \
  X(abs) \
  X(compare) \
  X(compare_dec) \
  X(compare_slot) \
  X(in_mask) \
  X(in_mask_slot) \
  X(compare_slot_jump_if_false) \
  X(in_mask_slot_jump_if_false) \
  X(compare_slot_and) \
  X(in_mask_slot_and) \
  X(select) \
  X(div_slot) \
  X(logical_not) \
  X(is_null) \
  X(match) \
  X(min) \
  X(max) \
  X(clamp) \
  X(jump) \
  X(jump_if_false) \
  X(jump_if_true) \
  X(jump_if_present) \
  X(var_ready) \
  X(var_done) \
  X(ret)
// clang-format on

struct insn {
  vop op = vop::ret;
  std::uint8_t aux = 0;
  std::int8_t digits = 0;
  std::int8_t sa = 0;
  std::int8_t sb = 0;
  std::uint8_t flags = 0;
  std::uint16_t dst = 0;
  std::uint16_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t target = 0;  // jump target (instruction index) or field slot
  std::int64_t imm = 0;
  std::int64_t imm2 = 0;
};

/// The register program, or nothing when the expression keeps the tree evaluator.
struct register_program {
  std::vector<insn> code;
  std::uint32_t registers = 0;
  bool empty() const noexcept { return code.empty(); }
};

}  // namespace loyalty::internal::expr
