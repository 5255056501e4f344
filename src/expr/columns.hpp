// The batch path of the register machine: a column program.
//
// expression_batch stores each field as a column. For an expression the register machine runs
// (vm.hpp), the compiler also builds a straight-line program over columns of 64 events: each
// instruction runs over the whole column in a tight loop with no dispatch, no jump and no
// per-event branch, so the loops pipeline (and vectorize where the target allows). Control flow
// becomes data flow: `and`/`or` combine both sides, `if` selects between both branches.
//
// That is only the same as the short-circuit semantics while nothing exceptional happens, so every
// loop also marks the events it cannot vouch for: a missing field, an overflow, a division by
// zero, anything that would end in an error or a missing value. Those events (typically none) are
// then evaluated again one by one on the register machine, which defines the result. An event
// that is not marked never met anything exceptional on any path, and every instruction is a pure
// function of the fields, so computing the branch the register machine would skip changes
// nothing. docs/design.md has the details, docs/performance.md the figures.
#pragma once

#include <cstdint>
#include <vector>

namespace loyalty::internal::expr {

/// Events per column: the marks of one chunk fit a 64-bit word, and 48 columns of 64 events are
/// 24 KB of stack.
inline constexpr std::size_t column_rows = 64;

/// Columns one program may use; an expression needing more runs event by event.
inline constexpr std::uint32_t max_columns = 48;

/// Unsigned 64-bit division by a divisor known when the program is compiled: one multiplication,
/// an addition and shifts instead of a division instruction. Exact for every dividend (Granlund
/// and Montgomery, "Division by invariant integers using multiplication", PLDI 1994, figure 4.1).
struct invariant_divisor {
  std::uint64_t d = 1;
  std::uint64_t magic = 1;  // floor(2^64 * (2^l - d) / d) + 1, l = ceil(log2 d)
  std::uint8_t shift1 = 0;  // min(l, 1)
  std::uint8_t shift2 = 0;  // max(l - 1, 0)

  /// `divisor` >= 1.
  static invariant_divisor of(std::uint64_t divisor) noexcept {
    __extension__ using u128 = unsigned __int128;
    invariant_divisor r;
    r.d = divisor;
    int l = 0;
    while (l < 64 && (std::uint64_t{1} << l) < divisor) ++l;
    const u128 two_l = u128{1} << l;
    r.magic = static_cast<std::uint64_t>(((two_l - divisor) << 64) / divisor + 1);
    r.shift1 = static_cast<std::uint8_t>(l < 1 ? l : 1);
    r.shift2 = static_cast<std::uint8_t>(l > 1 ? l - 1 : 0);
    return r;
  }

  std::uint64_t divide(std::uint64_t n) const noexcept {
    __extension__ using u128 = unsigned __int128;
    const auto t = static_cast<std::uint64_t>((static_cast<u128>(magic) * n) >> 64);
    return (t + ((n - t) >> shift1)) >> shift2;
  }
};

enum class cop : std::uint8_t {
  load,          // dst = field `slot`; marks missing
  compare_slot,  // dst = field `slot` <aux> imm (raw bits); marks missing
  in_mask_slot,  // dst = (field `slot` in the set imm) != (digits != 0); marks missing
  div_slot,  // dst = field `slot` * imm2 / imm (> 0) rounded with mode aux; marks missing, overflow
  now,       // dst = the batch's instant (marks every event when it is missing)
  scale_up,  // dst = a * imm; marks overflow
  add,       // dst = a + b; marks overflow
  sub,       // dst = a - b
  mul,       // dst = a * b
  div_const,   // dst = a * imm2 / imm (> 0) rounded with mode aux; marks overflow
  decimal_op,  // dst = decimal add/sub/div/rem (digits) of a@sa and b@sb; aux2: which; marks errors
  rem_int,     // dst = a % b; marks b == 0
  neg,         // dst = -a
  abs,         // dst = |a|
  logical_not,  // dst = !a
  logical_and,  // dst = a & b
  logical_or,   // dst = a | b
  compare,      // dst = a <aux> b, raw bits
  compare_dec,  // dst = a@sa <aux> b@sb, exact across scales
  in_mask,      // dst = (a in the set imm) != (digits != 0)
  select,       // dst = a ? b : c
  min,          // dst = min(a, b)
  max,          // dst = max(a, b)
  clamp,        // dst = clamp(a, b, c)
};

struct cinsn {
  cop op = cop::load;
  std::uint8_t aux = 0;
  std::uint8_t aux2 = 0;
  std::int8_t digits = 0;
  std::int8_t sa = 0;
  std::int8_t sb = 0;
  std::uint16_t dst = 0;
  std::uint16_t a = 0;
  std::uint16_t b = 0;
  std::uint16_t c = 0;
  std::uint32_t slot = 0;
  std::int64_t imm = 0;
  std::int64_t imm2 = 0;
  invariant_divisor divisor;  // div_slot, div_const: imm
};

/// The column program, or nothing when batches run the register machine event by event.
struct column_program {
  struct constant {
    std::uint16_t column;
    std::int64_t bits;
  };
  std::vector<constant> constants;  // columns filled once per batch
  std::vector<cinsn> code;
  std::uint16_t result = 0;      // the column holding the result
  std::uint8_t result_kind = 0;  // value_kind
  std::int8_t result_scale = 0;
  std::uint32_t columns = 0;
  bool empty() const noexcept { return code.empty(); }
};

}  // namespace loyalty::internal::expr
