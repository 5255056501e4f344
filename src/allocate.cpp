// Proportional allocation with exact leftovers.
//
// Both policies are one algorithm: every part gets floor(|total| * w / W) and a key; the L
// leftover units go to the L largest keys, ties to the earlier part. For largest_remainder the
// key is the discarded remainder; for in_order it is 1 for a non-zero weight and 0 otherwise.
// The keys live in `out` until the final pass overwrites them, so nothing is allocated, and the
// L-th largest key is found by binary search over its value: O(n log W) without sorting.
#include "loyalty/allocate.hpp"

#include <algorithm>
#include <array>
#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty {
namespace {

using int128 = boost::multiprecision::checked_int128_t;

constexpr std::array<std::string_view, 2> policy_names = {"in_order", "largest_remainder"};

/// Kept on in release builds: a wrong split of money must stop the program, not be booked.
void ensure(bool condition) noexcept {
  if (!condition) std::abort();
}

/// Sum of the weights at their common (largest) scale; validates every weight.
decimal_errc sum_weights(std::span<const decimal> weights, decimal& sum) noexcept {
  // Negative weights first, so that the error does not depend on where they are written.
  for (const decimal weight : weights) {
    if (weight.is_negative()) return decimal_errc::invalid_argument;
  }
  sum = decimal{};
  for (const decimal weight : weights) {
    const decimal_result next = decimal::add(sum, weight);
    if (!next) return next.error;
    sum = next.value;
  }
  return sum.is_zero() ? decimal_errc::invalid_argument : decimal_errc::ok;
}

/// The weight in units of the sum's scale; exact and in range because 0 <= weight <= sum.
std::int64_t weight_units(decimal weight, decimal sum) noexcept {
  return weight.rescale(sum.scale(), rounding_mode::down).value.units();
}

decimal make_units(std::int64_t units, int scale) noexcept {
  return decimal::from_units(units, scale).value;
}

/// floor(magnitude * weight / sum) and the remainder; both fit in 64 bits because
/// weight <= sum. The product needs 128 bits only when it does not fit in 64.
struct share {
  std::int64_t floor;
  std::int64_t remainder;
};

share share_of(std::int64_t magnitude, std::int64_t weight, std::int64_t sum) noexcept {
  std::int64_t product = 0;
  if (!__builtin_mul_overflow(magnitude, weight, &product)) {
    return {product / sum, product % sum};
  }
  int128 quotient;
  int128 remainder;
  boost::multiprecision::divide_qr(int128(magnitude) * weight, int128(sum), quotient, remainder);
  return {static_cast<std::int64_t>(quotient), static_cast<std::int64_t>(remainder)};
}

/// Number of keys strictly greater than `threshold`.
std::int64_t count_above(std::span<const decimal> keys, std::int64_t threshold) noexcept {
  std::int64_t count = 0;
  for (const decimal key : keys) count += key.units() > threshold ? 1 : 0;
  return count;
}

/// The `leftover`-th largest key (leftover >= 1 and at most keys.size()): the smallest t with
/// fewer than `leftover` keys above it.
std::int64_t leftover_threshold(std::span<const decimal> keys, std::int64_t leftover) noexcept {
  std::int64_t low = 0;
  std::int64_t high = 0;
  for (const decimal key : keys) high = std::max(high, key.units());
  while (low < high) {
    const std::int64_t middle = low + (high - low) / 2;
    if (count_above(keys, middle) < leftover) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

/// Few parts (the lines of an order): the same allocation with the floors and keys kept on the
/// stack, and the leftover units handed out by repeated selection of the largest key (the
/// earliest part among equal keys), which for a handful of parts is far cheaper than the
/// binary search over key values.
constexpr std::size_t few_parts_max = 32;

decimal_errc allocate_few(decimal total, std::span<const decimal> weights, decimal sum,
                          remainder_policy policy, std::span<decimal> out) noexcept {
  const std::size_t n = weights.size();
  const std::int64_t magnitude = decimal::abs(total).units();
  std::array<std::int64_t, few_parts_max> floors{};
  std::array<std::int64_t, few_parts_max> keys{};
  std::array<bool, few_parts_max> extra{};
  std::int64_t floor_sum = 0;  // <= magnitude
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t weight = weight_units(weights[i], sum);
    const share s = share_of(magnitude, weight, sum.units());
    floors[i] = s.floor;
    floor_sum += s.floor;
    keys[i] = policy == remainder_policy::in_order ? (weight != 0 ? 1 : 0) : s.remainder;
  }
  const std::int64_t leftover = magnitude - floor_sum;
  ensure(leftover >= 0 && static_cast<std::size_t>(leftover) < n);
  for (std::int64_t k = 0; k < leftover; ++k) {
    std::size_t best = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (!extra[i] && (best == n || keys[i] > keys[best])) best = i;
    }
    extra[best] = true;
  }
  std::int64_t parts_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t part = floors[i] + (extra[i] ? 1 : 0);
    parts_sum += part;
    out[i] = make_units(total.is_negative() ? -part : part, total.scale());
  }
  ensure(parts_sum == magnitude);
  return decimal_errc::ok;
}

}  // namespace

std::string_view to_string(remainder_policy policy) noexcept {
  const auto index = static_cast<std::size_t>(policy);
  return index < policy_names.size() ? policy_names[index] : "unknown";
}

std::optional<remainder_policy> parse_remainder_policy(std::string_view name) noexcept {
  for (std::size_t i = 0; i < policy_names.size(); ++i) {
    if (policy_names[i] == name) return static_cast<remainder_policy>(i);
  }
  return std::nullopt;
}

decimal_errc allocate(decimal total, std::span<const decimal> weights, remainder_policy policy,
                      std::span<decimal> out) noexcept {
  if (weights.empty() || out.size() != weights.size()) return decimal_errc::invalid_argument;
  decimal sum;
  if (const decimal_errc code = sum_weights(weights, sum); code != decimal_errc::ok) return code;
  if (weights.size() <= few_parts_max) return allocate_few(total, weights, sum, policy, out);
  const std::int64_t magnitude = decimal::abs(total).units();

  // Pass 1: the keys, and how many units the floors leave over.
  std::int64_t floor_sum = 0;  // <= magnitude
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::int64_t weight = weight_units(weights[i], sum);
    const share s = share_of(magnitude, weight, sum.units());
    floor_sum += s.floor;
    const bool by_order = policy == remainder_policy::in_order;
    out[i] = make_units(by_order ? (weight != 0 ? 1 : 0) : s.remainder, 0);
  }
  // Each discarded remainder is below one unit, so fewer units are left than there are parts.
  const std::int64_t leftover = magnitude - floor_sum;
  ensure(leftover >= 0 && static_cast<std::size_t>(leftover) < weights.size());

  // Pass 2: floors plus one unit for the `leftover` largest keys, ties to the earlier part.
  const std::int64_t threshold = leftover > 0 ? leftover_threshold(out, leftover) : INT64_MAX;
  std::int64_t at_threshold = leftover - (leftover > 0 ? count_above(out, threshold) : 0);
  std::int64_t parts_sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::int64_t key = out[i].units();
    bool extra = key > threshold;
    if (key == threshold && at_threshold > 0) {
      extra = true;
      --at_threshold;
    }
    const std::int64_t weight = weight_units(weights[i], sum);
    const std::int64_t part = share_of(magnitude, weight, sum.units()).floor + (extra ? 1 : 0);
    parts_sum += part;
    out[i] = make_units(total.is_negative() ? -part : part, total.scale());
  }
  ensure(parts_sum == magnitude && at_threshold == 0);
  return decimal_errc::ok;
}

std::vector<decimal> allocate(decimal total, std::span<const decimal> weights,
                              remainder_policy policy) {
  std::vector<decimal> parts(weights.size());
  const decimal_errc code = allocate(total, weights, policy, parts);
  if (code != decimal_errc::ok) {
    throw decimal_error(code, "allocate " + total.to_string() + " over " +
                                  std::to_string(weights.size()) +
                                  " weights: " + std::string(to_string(code)));
  }
  return parts;
}

}  // namespace loyalty
