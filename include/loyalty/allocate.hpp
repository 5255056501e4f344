// Splitting an amount over parts by weights, exactly.
//
// Used wherever one amount must be spread over several lines: an order-level discount over order
// lines, cashback over items, a reversal over the lots it came from. The parts are at the
// total's scale and always sum exactly to the total; which parts receive the leftover smallest
// units is a named policy.
//
//   std::array<loyalty::decimal, 3> w = {d("1"), d("1"), d("1")};
//   std::array<loyalty::decimal, 3> out;
//   loyalty::allocate(d("10.00"), w, loyalty::remainder_policy::in_order, out);
//   // out == {3.34, 3.33, 3.33}
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "loyalty/decimal.hpp"

namespace loyalty {

/// Who gets the smallest units left over after every share was rounded toward zero.
enum class remainder_policy : std::uint8_t {
  in_order,           ///< one unit each to the parts with non-zero weight, in the order written
  largest_remainder,  ///< one unit each to the largest discarded fractions (ties: order written)
};

std::string_view to_string(remainder_policy policy) noexcept;
std::optional<remainder_policy> parse_remainder_policy(std::string_view name) noexcept;

/// Splits `total` over `weights.size()` parts proportionally to `weights` and writes them to
/// `out` (same size as weights) at total.scale(). Allocates nothing.
///
/// Each share is |total| * w / sum(w) rounded toward zero, with the sign of total; the leftover
/// units go out one at a time by `policy`. A part whose weight is zero gets zero.
/// Errors (out is left unspecified): invalid_argument when weights is empty, out has a different
/// size, a weight is negative or all weights are zero; overflow when sum(weights) does not fit.
decimal_errc allocate(decimal total, std::span<const decimal> weights, remainder_policy policy,
                      std::span<decimal> out) noexcept;

/// Convenience form returning the parts; throws decimal_error on the errors above.
std::vector<decimal> allocate(decimal total, std::span<const decimal> weights,
                              remainder_policy policy);

}  // namespace loyalty
