// Unit tests for loyalty/allocate.hpp.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/allocate.hpp"
#include "loyalty/decimal.hpp"

namespace {

using loyalty::decimal;
using loyalty::decimal_errc;
using loyalty::remainder_policy;

decimal d(std::string_view text) {
  return decimal::parse(text).value_or_throw();
}

std::vector<decimal> weights(std::initializer_list<std::string_view> texts) {
  std::vector<decimal> result;
  for (const std::string_view t : texts) result.push_back(d(t));
  return result;
}

/// The parts as exact text, so that the scale is checked too.
std::vector<std::string> split(std::string_view total, const std::vector<decimal>& w,
                               remainder_policy policy) {
  std::vector<std::string> parts;
  for (const decimal part : loyalty::allocate(d(total), w, policy)) {
    parts.push_back(part.to_string());
  }
  return parts;
}

using texts = std::vector<std::string>;

}  // namespace

TEST_CASE("equal weights: the first parts get the leftover", "[allocate]") {
  const auto w = weights({"1", "1", "1"});
  CHECK(split("10.00", w, remainder_policy::in_order) == texts{"3.34", "3.33", "3.33"});
  CHECK(split("10.00", w, remainder_policy::largest_remainder) == texts{"3.34", "3.33", "3.33"});
  CHECK(split("11.00", w, remainder_policy::largest_remainder) == texts{"3.67", "3.67", "3.66"});
  CHECK(split("2", w, remainder_policy::in_order) == texts{"1", "1", "0"});
}

TEST_CASE("the span form writes into caller storage", "[allocate]") {
  const std::array<decimal, 3> w = {d("1"), d("1"), d("1")};
  std::array<decimal, 3> out;
  REQUIRE(loyalty::allocate(d("10.00"), w, remainder_policy::in_order, out) == decimal_errc::ok);
  CHECK(out[0].to_string() == "3.34");
  CHECK(out[1].to_string() == "3.33");
  CHECK(out[2].to_string() == "3.33");
}

TEST_CASE("in_order and largest_remainder differ", "[allocate]") {
  // 100 * 3/6 = 50 exactly, 100 * 1/6 = 16.67 three times: two units left over.
  const auto w = weights({"3", "1", "1", "1"});
  CHECK(split("100", w, remainder_policy::in_order) == texts{"51", "17", "16", "16"});
  CHECK(split("100", w, remainder_policy::largest_remainder) == texts{"50", "17", "17", "16"});

  // Shares 20/17, 30/17, 50/17, 70/17: floors 1, 1, 2, 4, remainders 3, 13, 16, 2.
  const auto primes = weights({"2", "3", "5", "7"});
  CHECK(split("10", primes, remainder_policy::in_order) == texts{"2", "2", "2", "4"});
  CHECK(split("10", primes, remainder_policy::largest_remainder) == texts{"1", "2", "3", "4"});
}

TEST_CASE("zero weights get zero", "[allocate]") {
  // 10 * 1/3 = 3 r 1, 10 * 2/3 = 6 r 2: one unit left over.
  const auto w = weights({"0", "1", "0", "2"});
  CHECK(split("10", w, remainder_policy::in_order) == texts{"0", "4", "0", "6"});
  CHECK(split("10", w, remainder_policy::largest_remainder) == texts{"0", "3", "0", "7"});
  CHECK(split("-10", w, remainder_policy::in_order) == texts{"0", "-4", "0", "-6"});
  CHECK(split("0.05", weights({"0", "1"}), remainder_policy::in_order) == texts{"0.00", "0.05"});
}

TEST_CASE("a negative total is split like its magnitude", "[allocate]") {
  CHECK(split("-10.00", weights({"1", "1", "1"}), remainder_policy::in_order) ==
        texts{"-3.34", "-3.33", "-3.33"});
  CHECK(split("-100", weights({"3", "1", "1", "1"}), remainder_policy::largest_remainder) ==
        texts{"-50", "-17", "-17", "-16"});
}

TEST_CASE("weights may have different scales", "[allocate]") {
  // 0.5 and 1 are 5 and 10 tenths: shares 10/3 = 3 r 5 and 20/3 = 6 r 10.
  const auto w = weights({"0.5", "1"});
  CHECK(split("10", w, remainder_policy::in_order) == texts{"4", "6"});
  CHECK(split("10", w, remainder_policy::largest_remainder) == texts{"3", "7"});
  CHECK(split("1.00", weights({"0.5", "0.30", "0.2"}), remainder_policy::in_order) ==
        texts{"0.50", "0.30", "0.20"});
}

TEST_CASE("allocation edge cases", "[allocate]") {
  CHECK(split("0.00", weights({"1", "2"}), remainder_policy::largest_remainder) ==
        texts{"0.00", "0.00"});
  CHECK(split("12.34", weights({"7"}), remainder_policy::in_order) == texts{"12.34"});
  CHECK(
      split("0.05", weights({"1", "1", "1", "1", "1", "1"}), remainder_policy::largest_remainder) ==
      texts{"0.01", "0.01", "0.01", "0.01", "0.01", "0.00"});
  const decimal max = decimal::from_units(decimal::max_units, 0).value;
  CHECK(split(max.to_string(), weights({"1", "1"}), remainder_policy::in_order) ==
        texts{"4611686018427387904", "4611686018427387903"});
  // Weights at the top of the range: |total| * w needs the full 128 bits.
  const std::vector<decimal> big = {max, d("0")};
  CHECK(split("-9223372036854775807", big, remainder_policy::largest_remainder) ==
        texts{"-9223372036854775807", "0"});
  const std::vector<decimal> near_max = {decimal::from_units(decimal::max_units - 1, 0).value,
                                         d("1")};
  CHECK(split(max.to_string(), near_max, remainder_policy::largest_remainder) ==
        texts{"9223372036854775806", "1"});
  CHECK(split("1.00", near_max, remainder_policy::largest_remainder) == texts{"1.00", "0.00"});
  // max * w overflows 64 bits for every weight: remainders 4, 1, 5 (of 10), one unit left over.
  const auto primes = weights({"2", "3", "5"});
  CHECK(split(max.to_string(), primes, remainder_policy::largest_remainder) ==
        texts{"1844674407370955161", "2767011611056432742", "4611686018427387904"});
  CHECK(split(max.to_string(), primes, remainder_policy::in_order) ==
        texts{"1844674407370955162", "2767011611056432742", "4611686018427387903"});
}

TEST_CASE("allocation errors", "[allocate]") {
  std::array<decimal, 2> out;
  const std::array<decimal, 2> ok_weights = {d("1"), d("2")};
  const std::array<decimal, 3> three_weights = {d("1"), d("2"), d("3")};
  const std::array<decimal, 2> negative = {d("1"), d("-1")};
  const std::array<decimal, 2> zeros = {d("0"), d("0.00")};
  const decimal max = decimal::from_units(decimal::max_units, 0).value;
  const std::array<decimal, 2> too_big = {max, d("1")};
  const std::array<decimal, 2> too_big_scaled = {max, d("0.1")};
  const auto policy = remainder_policy::in_order;
  CHECK(loyalty::allocate(d("1"), std::span<const decimal>{}, policy, std::span<decimal>{}) ==
        decimal_errc::invalid_argument);
  CHECK(loyalty::allocate(d("1"), three_weights, policy, out) == decimal_errc::invalid_argument);
  CHECK(loyalty::allocate(d("1"), negative, policy, out) == decimal_errc::invalid_argument);
  CHECK(loyalty::allocate(d("1"), zeros, policy, out) == decimal_errc::invalid_argument);
  CHECK(loyalty::allocate(d("1"), too_big, policy, out) == decimal_errc::overflow);
  CHECK(loyalty::allocate(d("1"), too_big_scaled, policy, out) == decimal_errc::overflow);
  CHECK(loyalty::allocate(d("1"), ok_weights, policy, out) == decimal_errc::ok);
}

TEST_CASE("the vector form throws decimal_error", "[allocate]") {
  CHECK_THROWS_WITH(
      loyalty::allocate(d("10.00"), std::vector<decimal>{}, remainder_policy::in_order),
      "allocate 10.00 over 0 weights: invalid argument");
  try {
    (void)loyalty::allocate(d("5"), weights({"0", "0"}), remainder_policy::in_order);
    FAIL("no exception");
  } catch (const loyalty::decimal_error& error) {
    CHECK(error.code() == decimal_errc::invalid_argument);
  }
}

TEST_CASE("remainder policy names round-trip exactly", "[allocate]") {
  CHECK(std::string(loyalty::to_string(remainder_policy::in_order)) == "in_order");
  CHECK(std::string(loyalty::to_string(remainder_policy::largest_remainder)) ==
        "largest_remainder");
  CHECK(loyalty::parse_remainder_policy("in_order") == remainder_policy::in_order);
  CHECK(loyalty::parse_remainder_policy("largest_remainder") ==
        remainder_policy::largest_remainder);
  CHECK_FALSE(loyalty::parse_remainder_policy("largest-remainder").has_value());
  CHECK_FALSE(loyalty::parse_remainder_policy("IN_ORDER").has_value());
  CHECK_FALSE(loyalty::parse_remainder_policy("").has_value());
}
