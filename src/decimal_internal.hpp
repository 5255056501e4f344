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

}  // namespace loyalty
