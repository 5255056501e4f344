// Library-internal access to decimal's representation.
#pragma once

#include <cstdint>

#include "loyalty/decimal.hpp"

namespace loyalty {

/// Builds decimals without re-validating; only for values already known to be in range
/// (0 <= scale <= decimal::max_scale, units != INT64_MIN).
class decimal_internal {
 public:
  static constexpr decimal make(std::int64_t units, int scale) noexcept {
    return decimal(units, static_cast<std::uint8_t>(scale));
  }
};

namespace decimal_rounding {

template <typename Int>
inline Int abs_value(const Int& value) {
  return value < 0 ? Int(-value) : value;
}

/// Whether a truncated quotient must move one step away from zero. `rem_abs` is the non-zero
/// discarded remainder, `den_abs` the divisor; both positive.
template <typename Int>
inline bool round_away(const Int& rem_abs, const Int& den_abs, bool quotient_odd, bool negative,
                       rounding_mode mode) {
  switch (mode) {
    case rounding_mode::down:
      return false;
    case rounding_mode::up:
      return true;
    case rounding_mode::floor:
      return negative;
    case rounding_mode::ceiling:
      return !negative;
    case rounding_mode::half_even:
    case rounding_mode::half_up:
    case rounding_mode::half_down:
      break;
  }
  // Compare the remainder with the distance to the next multiple instead of doubling it, so
  // that no intermediate can overflow.
  const Int rest = den_abs - rem_abs;
  if (rem_abs != rest) return rem_abs > rest;
  if (mode == rounding_mode::half_up) return true;
  if (mode == rounding_mode::half_down) return false;
  return quotient_odd;
}

/// num / den (den != 0) rounded with `mode`: the only place where rounding happens. With
/// std::int64_t nothing overflows: den is never INT64_MIN (units or a power of ten), and a step
/// away from zero is only taken when |den| >= 2, where |quotient| <= |num| / 2.
template <typename Int>
inline Int divide_rounded(const Int& num, const Int& den, rounding_mode mode) {
  Int quotient = num / den;  // truncates toward zero
  const Int remainder = num - quotient * den;
  if (remainder == 0) return quotient;
  const bool negative = (num < 0) != (den < 0);
  const bool odd = quotient % 2 != 0;
  if (round_away(abs_value(remainder), abs_value(den), odd, negative, mode)) {
    quotient += negative ? -1 : 1;
  }
  return quotient;
}

}  // namespace decimal_rounding

}  // namespace loyalty
