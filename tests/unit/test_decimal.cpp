// Unit tests for loyalty/decimal.hpp and the fmt support in loyalty/format.hpp.
#include <catch2/catch.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "loyalty/decimal.hpp"
#include "loyalty/format.hpp"

namespace {

using loyalty::decimal;
using loyalty::decimal_errc;
using loyalty::decimal_result;
using loyalty::rounding_mode;

constexpr std::int64_t max_units = decimal::max_units;

decimal d(std::string_view text) {
  return decimal::parse(text).value_or_throw();
}
decimal units(std::int64_t value, int scale) {
  return decimal::from_units(value, scale).value_or_throw();
}

/// The exact text of a result ("12.30") or "error: <code>": comparing text checks value and scale.
std::string text(const decimal_result& result) {
  if (!result.ok()) return "error: " + std::string(loyalty::to_string(result.error));
  return result.value.to_string();
}

constexpr std::array<rounding_mode, 7> all_modes = {
    rounding_mode::half_even, rounding_mode::half_up, rounding_mode::half_down, rounding_mode::down,
    rounding_mode::up,        rounding_mode::floor,   rounding_mode::ceiling,
};

/// One input and its expected result for every mode, in the order of all_modes.
struct rounding_case {
  const char* input;
  int scale;
  std::array<const char*, 7> expected;
};

}  // namespace

TEST_CASE("decimal is a small trivially copyable value", "[decimal]") {
  STATIC_REQUIRE(std::is_trivially_copyable_v<decimal>);
  STATIC_REQUIRE(sizeof(decimal) == 16);
  constexpr decimal zero;
  STATIC_REQUIRE(zero.units() == 0);
  STATIC_REQUIRE(zero.scale() == 0);
}

TEST_CASE("from_units and from_int validate scale and the symmetric range", "[decimal]") {
  CHECK(text(decimal::from_units(1234, 2)) == "12.34");
  CHECK(text(decimal::from_units(-5, 2)) == "-0.05");
  CHECK(text(decimal::from_units(7, 0)) == "7");
  CHECK(text(decimal::from_units(1, 18)) == "0.000000000000000001");
  CHECK(decimal::from_units(1, 19).error == decimal_errc::invalid_scale);
  CHECK(decimal::from_units(1, -1).error == decimal_errc::invalid_scale);
  CHECK(decimal::from_units(INT64_MIN, 0).error == decimal_errc::overflow);
  CHECK(text(decimal::from_units(-max_units, 0)) == "-9223372036854775807");
  CHECK(text(decimal::from_int(42)) == "42");
  CHECK(decimal::from_int(INT64_MIN).error == decimal_errc::overflow);
}

TEST_CASE("parse reads the scale from the text", "[decimal][parse]") {
  CHECK(text(decimal::parse("0")) == "0");
  CHECK(text(decimal::parse("1.50")) == "1.50");
  CHECK(decimal::parse("1.50").value.scale() == 2);
  CHECK(decimal::parse("1.50").value.units() == 150);
  CHECK(text(decimal::parse("+1.50")) == "1.50");
  CHECK(text(decimal::parse("-0.05")) == "-0.05");
  CHECK(text(decimal::parse("007")) == "7");
  CHECK(text(decimal::parse("00000000000000000000000001.5")) == "1.5");
  CHECK(text(decimal::parse("9223372036854775807")) == "9223372036854775807");
  CHECK(text(decimal::parse("-9223372036854775807")) == "-9223372036854775807");
  CHECK(text(decimal::parse("9.223372036854775807")) == "9.223372036854775807");
  CHECK(text(decimal::parse("0.000000000000000001")) == "0.000000000000000001");
}

TEST_CASE("parse of negative zero is plain zero", "[decimal][parse]") {
  const decimal zero = d("-0");
  CHECK(zero.is_zero());
  CHECK_FALSE(zero.is_negative());
  CHECK(zero.sign() == 0);
  CHECK(zero.to_string() == "0");
  CHECK(d("-0.00").to_string() == "0.00");
}

TEST_CASE("parse rejects everything outside the grammar", "[decimal][parse]") {
  for (const char* bad :
       {"",  ".5",    "5.",  "1e3",  "1E3", " 1", "1 ",   "+-1", "-+1", "-",   "+",
        ".", "1.2.3", "1,5", "0x10", "--1", "1-", "1.-5", "inf", "nan", "1.5 "}) {
    INFO("input: '" << bad << "'");
    CHECK(decimal::parse(bad).error == decimal_errc::malformed);
  }
  CHECK(decimal::parse(std::string_view("1\0", 2)).error == decimal_errc::malformed);
}

TEST_CASE("parse reports too many fractional digits and too large values", "[decimal][parse]") {
  CHECK(decimal::parse("0.0000000000000000001").error == decimal_errc::invalid_scale);
  CHECK(decimal::parse("1.0000000000000000000").error == decimal_errc::invalid_scale);
  CHECK(decimal::parse("9223372036854775808").error == decimal_errc::overflow);
  CHECK(decimal::parse("-9223372036854775808").error == decimal_errc::overflow);
  CHECK(decimal::parse("92233720368547758.08").error == decimal_errc::overflow);
  CHECK(decimal::parse("18446744073709551616").error == decimal_errc::overflow);
  CHECK(decimal::parse("99999999999999999999999999").error == decimal_errc::overflow);
  CHECK(decimal::parse("10.000000000000000000").error == decimal_errc::overflow);
}

TEST_CASE("parse with a scale pads or drops only zeros", "[decimal][parse]") {
  CHECK(text(decimal::parse("1.5", 2)) == "1.50");
  CHECK(text(decimal::parse("1.500", 2)) == "1.50");
  CHECK(text(decimal::parse("1.50000000000000000000000", 2)) == "1.50");
  CHECK(text(decimal::parse("1", 3)) == "1.000");
  CHECK(text(decimal::parse("-0.1", 1)) == "-0.1");
  CHECK(text(decimal::parse("1.0", 0)) == "1");
  CHECK(text(decimal::parse("922337203685477580.7", 1)) == "922337203685477580.7");
  CHECK(decimal::parse("1.505", 2).error == decimal_errc::inexact);
  CHECK(decimal::parse("1.5", 0).error == decimal_errc::inexact);
  CHECK(decimal::parse("1.000000000000000000001", 2).error == decimal_errc::inexact);
  CHECK(decimal::parse("1.5", 19).error == decimal_errc::invalid_scale);
  CHECK(decimal::parse("1.5", -1).error == decimal_errc::invalid_scale);
  CHECK(decimal::parse("abc", 2).error == decimal_errc::malformed);
  CHECK(decimal::parse("1.", 2).error == decimal_errc::malformed);
  CHECK(decimal::parse("9223372036854775807", 1).error == decimal_errc::overflow);
  CHECK(decimal::parse("10", 18).error == decimal_errc::overflow);
  CHECK(text(decimal::parse("9", 18)) == "9.000000000000000000");
}

TEST_CASE("to_string writes exactly scale() fractional digits", "[decimal][format]") {
  CHECK(units(1230, 2).to_string() == "12.30");
  CHECK(units(-5, 2).to_string() == "-0.05");
  CHECK(units(7, 0).to_string() == "7");
  CHECK(units(0, 3).to_string() == "0.000");
  CHECK(units(-1, 18).to_string() == "-0.000000000000000001");
  CHECK(units(max_units, 0).to_string() == "9223372036854775807");
  CHECK(units(-max_units, 1).to_string() == "-922337203685477580.7");
  CHECK(units(-max_units, 18).to_string() == "-9.223372036854775807");
  CHECK(units(100, 2).to_string() == "1.00");
}

TEST_CASE("format_to writes the same text and returns its end", "[decimal][format]") {
  for (const decimal value : {units(-max_units, 18), units(-1, 18), units(-max_units, 1),
                              units(-max_units, 0), units(0, 0), units(1230, 2)}) {
    char buffer[decimal::max_chars];
    const char* end = value.format_to(buffer);
    const auto length = static_cast<std::size_t>(end - buffer);
    CHECK(length <= decimal::max_chars);
    CHECK(std::string(buffer, length) == value.to_string());
  }
  char buffer[decimal::max_chars];
  CHECK(units(-max_units, 18).format_to(buffer) - buffer == 21);
  CHECK(units(-1, 18).format_to(buffer) - buffer == 21);
}

TEST_CASE("fmt formats decimals and rounding modes", "[decimal][format]") {
  CHECK(fmt::format("{}", d("-0.05")) == "-0.05");
  CHECK(fmt::format("{} points", d("1250")) == "1250 points");
  CHECK(fmt::format("{:>8}", d("12.30")) == "   12.30");
  CHECK(fmt::format("{:<6}|", d("1.5")) == "1.5   |");
  CHECK(fmt::format("{}", rounding_mode::half_even) == "half_even");
  CHECK(fmt::format("{:>8}", rounding_mode::up) == "      up");
}

TEST_CASE("rounding mode names round-trip exactly", "[decimal][rounding]") {
  constexpr std::array<std::string_view, 7> names = {"half_even", "half_up", "half_down", "down",
                                                     "up",        "floor",   "ceiling"};
  for (std::size_t i = 0; i < all_modes.size(); ++i) {
    CHECK(std::string(loyalty::to_string(all_modes[i])) == std::string(names[i]));
    CHECK(loyalty::parse_rounding_mode(names[i]) == all_modes[i]);
  }
  CHECK_FALSE(loyalty::parse_rounding_mode("HALF_UP").has_value());
  CHECK_FALSE(loyalty::parse_rounding_mode("half-up").has_value());
  CHECK_FALSE(loyalty::parse_rounding_mode("").has_value());
  CHECK_FALSE(loyalty::parse_rounding_mode("half_even ").has_value());
}

TEST_CASE("error codes have short descriptions", "[decimal]") {
  CHECK(std::string(loyalty::to_string(decimal_errc::ok)) == "ok");
  CHECK(std::string(loyalty::to_string(decimal_errc::overflow)) == "overflow");
  CHECK(std::string(loyalty::to_string(decimal_errc::division_by_zero)) == "division by zero");
  CHECK(std::string(loyalty::to_string(decimal_errc::invalid_scale)) == "invalid scale");
  CHECK(std::string(loyalty::to_string(decimal_errc::malformed)) == "malformed number");
  CHECK(std::string(loyalty::to_string(decimal_errc::inexact)) == "inexact");
  CHECK(std::string(loyalty::to_string(decimal_errc::invalid_argument)) == "invalid argument");
}

TEST_CASE("rescale rounds with every mode", "[decimal][rounding]") {
  // Modes: half_even, half_up, half_down, down, up, floor, ceiling.
  const std::array<rounding_case, 18> cases = {{
      {"2.5", 0, {"2", "3", "2", "2", "3", "2", "3"}},
      {"-2.5", 0, {"-2", "-3", "-2", "-2", "-3", "-3", "-2"}},
      {"3.5", 0, {"4", "4", "3", "3", "4", "3", "4"}},
      {"-3.5", 0, {"-4", "-4", "-3", "-3", "-4", "-4", "-3"}},
      {"0.5", 0, {"0", "1", "0", "0", "1", "0", "1"}},
      {"-0.5", 0, {"0", "-1", "0", "0", "-1", "-1", "0"}},
      {"2.6", 0, {"3", "3", "3", "2", "3", "2", "3"}},
      {"-2.6", 0, {"-3", "-3", "-3", "-2", "-3", "-3", "-2"}},
      {"2.4", 0, {"2", "2", "2", "2", "3", "2", "3"}},
      {"-2.4", 0, {"-2", "-2", "-2", "-2", "-3", "-3", "-2"}},
      {"2.45", 1, {"2.4", "2.5", "2.4", "2.4", "2.5", "2.4", "2.5"}},
      {"-2.45", 1, {"-2.4", "-2.5", "-2.4", "-2.4", "-2.5", "-2.5", "-2.4"}},
      {"2.55", 1, {"2.6", "2.6", "2.5", "2.5", "2.6", "2.5", "2.6"}},
      {"-2.55", 1, {"-2.6", "-2.6", "-2.5", "-2.5", "-2.6", "-2.6", "-2.5"}},
      {"2.451", 1, {"2.5", "2.5", "2.5", "2.4", "2.5", "2.4", "2.5"}},
      {"-2.449", 1, {"-2.4", "-2.4", "-2.4", "-2.4", "-2.5", "-2.5", "-2.4"}},
      {"-0.05", 1, {"0.0", "-0.1", "0.0", "0.0", "-0.1", "-0.1", "0.0"}},
      {"-2.000", 0, {"-2", "-2", "-2", "-2", "-2", "-2", "-2"}},
  }};
  for (const rounding_case& c : cases) {
    for (std::size_t m = 0; m < all_modes.size(); ++m) {
      INFO(c.input << " to scale " << c.scale << " with " << loyalty::to_string(all_modes[m]));
      CHECK(text(d(c.input).rescale(c.scale, all_modes[m])) == c.expected[m]);
    }
  }
}

TEST_CASE("rescale up is exact and reports overflow", "[decimal][rounding]") {
  CHECK(text(d("1.5").rescale(4, rounding_mode::down)) == "1.5000");
  CHECK(text(d("-1.5").rescale(1, rounding_mode::up)) == "-1.5");
  CHECK(text(units(922337203685477580, 0).rescale(1, rounding_mode::down)) ==
        "922337203685477580.0");
  CHECK(units(max_units, 0).rescale(1, rounding_mode::down).error == decimal_errc::overflow);
  CHECK(units(10, 0).rescale(18, rounding_mode::down).error == decimal_errc::overflow);
  CHECK(text(units(9, 0).rescale(18, rounding_mode::down)) == "9.000000000000000000");
  CHECK(d("1.5").rescale(19, rounding_mode::down).error == decimal_errc::invalid_scale);
  CHECK(d("1.5").rescale(-1, rounding_mode::down).error == decimal_errc::invalid_scale);
  CHECK(text(d("2.345").rescale(2, rounding_mode::half_up)) == "2.35");
  CHECK(text(units(max_units, 18).rescale(0, rounding_mode::up)) == "10");
  CHECK(text(units(-max_units, 18).rescale(0, rounding_mode::half_even)) == "-9");
}

TEST_CASE("add and sub are exact at the larger scale", "[decimal][arithmetic]") {
  CHECK(text(decimal::add(d("1.5"), d("2.25"))) == "3.75");
  CHECK(text(decimal::add(d("1.50"), d("-1.5"))) == "0.00");
  CHECK(text(decimal::add(d("7"), d("0.001"))) == "7.001");
  CHECK(text(decimal::sub(d("1"), d("0.01"))) == "0.99");
  CHECK(text(decimal::sub(d("-1.5"), d("-1.5"))) == "0.0");
  CHECK(text(decimal::add(units(max_units, 0), d("-1"))) == "9223372036854775806");
  CHECK(text(decimal::sub(d("0"), units(max_units, 0))) == "-9223372036854775807");
}

TEST_CASE("add and sub report overflow at the edges of the range", "[decimal][arithmetic]") {
  CHECK(decimal::add(units(max_units, 0), d("1")).error == decimal_errc::overflow);
  CHECK(decimal::add(units(max_units, 2), d("0.01")).error == decimal_errc::overflow);
  // -max - 1 would be INT64_MIN, which is outside the symmetric range.
  CHECK(decimal::sub(units(-max_units, 0), d("1")).error == decimal_errc::overflow);
  CHECK(decimal::add(units(-max_units, 0), units(-max_units, 0)).error == decimal_errc::overflow);
  CHECK(decimal::sub(units(max_units, 0), units(-1, 0)).error == decimal_errc::overflow);
  // Aligning 1e18 to scale 1 overflows 64 bits although the sum fits: must still succeed.
  CHECK(text(decimal::add(units(1'000'000'000'000'000'000, 0),
                          units(-9'000'000'000'000'000'000, 1))) == "100000000000000000.0");
  CHECK(decimal::add(units(1'000'000'000'000'000'000, 0), units(1, 1)).error ==
        decimal_errc::overflow);
}

TEST_CASE("exact mul adds the scales", "[decimal][arithmetic]") {
  CHECK(text(decimal::mul(d("1.5"), d("1.25"))) == "1.875");
  CHECK(text(decimal::mul(d("19.99"), d("1.5"))) == "29.985");
  CHECK(text(decimal::mul(d("-2"), d("0.50"))) == "-1.00");
  CHECK(text(decimal::mul(units(3'037'000'499, 0), units(3'037'000'499, 0))) ==
        "9223372030926249001");
  CHECK(decimal::mul(units(3'037'000'500, 0), units(3'037'000'500, 0)).error ==
        decimal_errc::overflow);
  CHECK(decimal::mul(units(max_units, 0), d("2")).error == decimal_errc::overflow);
  CHECK(decimal::mul(units(max_units, 0), d("-1")).value.units() == -max_units);
  CHECK(decimal::mul(d("0.000000001"), d("0.0000000001")).error == decimal_errc::invalid_scale);
  CHECK(text(decimal::mul(d("0.000000001"), d("0.000000001"))) == "0.000000000000000001");
}

TEST_CASE("mul rounded to a scale uses every mode", "[decimal][rounding]") {
  const std::array<const char*, 7> positive = {"29.98", "29.99", "29.98", "29.98",
                                               "29.99", "29.98", "29.99"};
  const std::array<const char*, 7> negative = {"-29.98", "-29.99", "-29.98", "-29.98",
                                               "-29.99", "-29.99", "-29.98"};
  const std::array<const char*, 7> above_half = {"0.13", "0.13", "0.13", "0.12",
                                                 "0.13", "0.12", "0.13"};
  for (std::size_t m = 0; m < all_modes.size(); ++m) {
    INFO(loyalty::to_string(all_modes[m]));
    CHECK(text(decimal::mul(d("19.99"), d("1.5"), 2, all_modes[m])) == positive[m]);
    CHECK(text(decimal::mul(d("-19.99"), d("1.5"), 2, all_modes[m])) == negative[m]);
    CHECK(text(decimal::mul(d("1.5"), d("-19.99"), 2, all_modes[m])) == negative[m]);
    CHECK(text(decimal::mul(d("0.251"), d("0.5"), 2, all_modes[m])) == above_half[m]);
  }
}

TEST_CASE("mul rounded handles scale changes and overflow", "[decimal][rounding]") {
  CHECK(text(decimal::mul(d("1.5"), d("2"), 3, rounding_mode::down)) == "3.000");
  CHECK(text(decimal::mul(units(max_units, 18), d("1"), 18, rounding_mode::down)) ==
        "9.223372036854775807");
  CHECK(decimal::mul(units(max_units, 18), units(max_units, 18), 18, rounding_mode::down).error ==
        decimal_errc::overflow);
  CHECK(decimal::mul(units(max_units, 0), units(max_units, 0), 0, rounding_mode::half_even).error ==
        decimal_errc::overflow);
  CHECK(decimal::mul(units(max_units, 0), d("1"), 1, rounding_mode::down).error ==
        decimal_errc::overflow);
  CHECK(decimal::mul(units(max_units, 0), units(max_units, 0), 18, rounding_mode::down).error ==
        decimal_errc::overflow);
  // The exact product needs 36 fractional digits; rounding brings it back into range.
  CHECK(text(decimal::mul(units(max_units, 18), units(max_units, 18), 0, rounding_mode::down)) ==
        "85");
  CHECK(text(decimal::mul(units(max_units, 18), units(max_units, 18), 17,
                          rounding_mode::half_even)) == "85.07059173023461585");
  CHECK(decimal::mul(d("1"), d("1"), 19, rounding_mode::down).error == decimal_errc::invalid_scale);
  CHECK(decimal::mul(d("1"), d("1"), -1, rounding_mode::down).error == decimal_errc::invalid_scale);
}

TEST_CASE("div rounds the exact quotient with every mode", "[decimal][rounding]") {
  struct div_case {
    const char* a;
    const char* b;
    int scale;
    std::array<const char*, 7> expected;
  };
  const std::array<div_case, 8> cases = {{
      {"10", "3", 2, {"3.33", "3.33", "3.33", "3.33", "3.34", "3.33", "3.34"}},
      {"-10", "3", 2, {"-3.33", "-3.33", "-3.33", "-3.33", "-3.34", "-3.34", "-3.33"}},
      {"1", "8", 2, {"0.12", "0.13", "0.12", "0.12", "0.13", "0.12", "0.13"}},
      {"-1", "8", 2, {"-0.12", "-0.13", "-0.12", "-0.12", "-0.13", "-0.13", "-0.12"}},
      {"1", "-8", 2, {"-0.12", "-0.13", "-0.12", "-0.12", "-0.13", "-0.13", "-0.12"}},
      {"-3", "-8", 2, {"0.38", "0.38", "0.37", "0.37", "0.38", "0.37", "0.38"}},
      {"2", "3", 0, {"1", "1", "1", "0", "1", "0", "1"}},
      {"-1", "3", 0, {"0", "0", "0", "0", "-1", "-1", "0"}},
  }};
  for (const div_case& c : cases) {
    for (std::size_t m = 0; m < all_modes.size(); ++m) {
      INFO(c.a << " / " << c.b << " with " << loyalty::to_string(all_modes[m]));
      CHECK(text(decimal::div(d(c.a), d(c.b), c.scale, all_modes[m])) == c.expected[m]);
    }
  }
}

TEST_CASE("div across scales, at the limits and by zero", "[decimal][arithmetic]") {
  CHECK(text(decimal::div(d("19.99"), d("10"), 0, rounding_mode::floor)) == "1");
  CHECK(text(decimal::div(d("1.5"), d("0.25"), 0, rounding_mode::down)) == "6");
  CHECK(text(decimal::div(d("7"), d("0.5"), 2, rounding_mode::down)) == "14.00");
  CHECK(text(decimal::div(d("0.001"), d("1000"), 18, rounding_mode::down)) ==
        "0.000001000000000000");
  CHECK(text(decimal::div(d("1"), d("3"), 18, rounding_mode::half_even)) == "0.333333333333333333");
  CHECK(text(decimal::div(d("9"), d("1"), 18, rounding_mode::down)) == "9.000000000000000000");
  CHECK(decimal::div(d("10"), d("1"), 18, rounding_mode::down).error == decimal_errc::overflow);
  // numerator max * 10^36 does not even fit in 128 bits
  CHECK(decimal::div(units(max_units, 0), units(1, 18), 18, rounding_mode::down).error ==
        decimal_errc::overflow);
  CHECK(text(decimal::div(units(max_units, 0), units(max_units, 0), 18, rounding_mode::down)) ==
        "1.000000000000000000");
  CHECK(text(decimal::div(units(1, 18), units(max_units, 0), 18, rounding_mode::up)) ==
        "0.000000000000000001");
  CHECK(text(decimal::div(units(1, 18), units(max_units, 0), 18, rounding_mode::half_up)) ==
        "0.000000000000000000");
  CHECK(decimal::div(d("1"), d("0"), 2, rounding_mode::down).error ==
        decimal_errc::division_by_zero);
  CHECK(decimal::div(d("1"), d("0.00"), 2, rounding_mode::down).error ==
        decimal_errc::division_by_zero);
  CHECK(decimal::div(d("1"), d("2"), 19, rounding_mode::down).error == decimal_errc::invalid_scale);
}

TEST_CASE("rem truncates and keeps the sign of the dividend", "[decimal][arithmetic]") {
  CHECK(text(decimal::rem(d("7"), d("3"))) == "1");
  CHECK(text(decimal::rem(d("-7"), d("3"))) == "-1");
  CHECK(text(decimal::rem(d("7"), d("-3"))) == "1");
  CHECK(text(decimal::rem(d("7.5"), d("2"))) == "1.5");
  CHECK(text(decimal::rem(d("1"), d("0.3"))) == "0.1");
  CHECK(text(decimal::rem(d("-1"), d("0.3"))) == "-0.1");
  CHECK(text(decimal::rem(d("6"), d("1.5"))) == "0.0");
  CHECK(text(decimal::rem(units(max_units, 0), units(1, 18))) == "0.000000000000000000");
  CHECK(decimal::rem(d("1"), d("0.0")).error == decimal_errc::division_by_zero);
}

TEST_CASE("neg and abs never fail", "[decimal][arithmetic]") {
  CHECK(decimal::neg(units(max_units, 3)).units() == -max_units);
  CHECK(decimal::neg(units(-max_units, 3)).units() == max_units);
  CHECK(decimal::abs(units(-max_units, 3)).units() == max_units);
  CHECK(decimal::abs(d("-1.50")).to_string() == "1.50");
  CHECK((-d("2.5")).to_string() == "-2.5");
  CHECK((-d("0")).to_string() == "0");
}

TEST_CASE("round_to_step rounds to multiples of the step", "[decimal][rounding]") {
  const decimal nickel = d("0.05");
  CHECK(text(d("1.024").round_to_step(nickel, rounding_mode::half_up)) == "1.000");
  CHECK(text(d("1.025").round_to_step(nickel, rounding_mode::half_up)) == "1.050");
  CHECK(text(d("1.025").round_to_step(nickel, rounding_mode::half_even)) == "1.000");
  CHECK(text(d("1.075").round_to_step(nickel, rounding_mode::half_even)) == "1.100");
  CHECK(text(d("1.025").round_to_step(nickel, rounding_mode::half_down)) == "1.000");
  CHECK(text(d("1.01").round_to_step(nickel, rounding_mode::ceiling)) == "1.05");
  CHECK(text(d("1.04").round_to_step(nickel, rounding_mode::floor)) == "1.00");
  CHECK(text(d("1.04").round_to_step(nickel, rounding_mode::down)) == "1.00");
  CHECK(text(d("1.01").round_to_step(nickel, rounding_mode::up)) == "1.05");
  CHECK(text(d("1.10").round_to_step(nickel, rounding_mode::up)) == "1.10");
}

TEST_CASE("round_to_step with negative values", "[decimal][rounding]") {
  const decimal nickel = d("0.05");
  CHECK(text(d("-1.025").round_to_step(nickel, rounding_mode::half_up)) == "-1.050");
  CHECK(text(d("-1.025").round_to_step(nickel, rounding_mode::half_down)) == "-1.000");
  CHECK(text(d("-1.025").round_to_step(nickel, rounding_mode::half_even)) == "-1.000");
  CHECK(text(d("-1.024").round_to_step(nickel, rounding_mode::half_up)) == "-1.000");
  CHECK(text(d("-1.024").round_to_step(nickel, rounding_mode::floor)) == "-1.050");
  CHECK(text(d("-1.024").round_to_step(nickel, rounding_mode::ceiling)) == "-1.000");
  CHECK(text(d("-1.024").round_to_step(nickel, rounding_mode::down)) == "-1.000");
  CHECK(text(d("-1.024").round_to_step(nickel, rounding_mode::up)) == "-1.050");
}

TEST_CASE("round_to_step keeps the larger scale and reports errors", "[decimal][rounding]") {
  CHECK(text(d("7").round_to_step(d("0.25"), rounding_mode::down)) == "7.00");
  CHECK(text(d("12.5").round_to_step(d("5"), rounding_mode::half_even)) == "10.0");
  CHECK(text(d("12.5").round_to_step(d("5"), rounding_mode::half_up)) == "15.0");
  CHECK(text(d("-12.5").round_to_step(d("5"), rounding_mode::half_down)) == "-10.0");
  CHECK(text(d("-12.5").round_to_step(d("5"), rounding_mode::up)) == "-15.0");
  CHECK(d("1").round_to_step(d("0"), rounding_mode::down).error == decimal_errc::division_by_zero);
  CHECK(d("1").round_to_step(d("-0.05"), rounding_mode::down).error ==
        decimal_errc::invalid_argument);
  CHECK(units(max_units, 0).round_to_step(d("10"), rounding_mode::up).error ==
        decimal_errc::overflow);
  CHECK(units(max_units, 0).round_to_step(d("2"), rounding_mode::half_up).error ==
        decimal_errc::overflow);
  CHECK(text(units(max_units, 0).round_to_step(d("2"), rounding_mode::down)) ==
        "9223372036854775806");
  CHECK(units(max_units, 0).round_to_step(d("0.1"), rounding_mode::down).error ==
        decimal_errc::overflow);
}

TEST_CASE("comparison is numeric across scales", "[decimal][compare]") {
  CHECK(d("1.5") == d("1.50"));
  CHECK_FALSE(d("1.5").identical(d("1.50")));
  CHECK(d("1.5").identical(d("1.5")));
  CHECK(d("1.5") != d("1.51"));
  CHECK(d("1.5") < d("1.51"));
  CHECK(d("-1.5") < d("-1.49"));
  CHECK(d("-0.001") < d("0"));
  CHECK(d("0") == d("0.000"));
  CHECK(d("2") > d("1.999999999999999999"));
  CHECK((d("1.5") <=> d("1.50")) == std::strong_ordering::equal);
  CHECK((d("-3") <=> d("2.5")) == std::strong_ordering::less);
  // Aligning these scales would overflow 64 bits: the comparison must still be exact.
  CHECK(units(max_units, 0) > units(max_units, 1));
  CHECK(units(-max_units, 0) < units(-max_units, 18));
  CHECK(units(max_units, 0) != units(max_units, 18));
  CHECK(units(922337203685477580, 0) < units(max_units, 1));
  CHECK(units(922337203685477581, 0) > units(max_units, 1));
}

TEST_CASE("throwing operators name the operation and operands", "[decimal][errors]") {
  const decimal max = units(max_units, 0);
  CHECK((d("1.5") + d("2.25")).to_string() == "3.75");
  CHECK((d("1") - d("0.01")).to_string() == "0.99");
  CHECK((d("19.99") * d("1.5")).to_string() == "29.985");
  CHECK_THROWS_WITH(max + d("1"), "decimal overflow: 9223372036854775807 + 1");
  CHECK_THROWS_WITH(-max - d("1"), "decimal overflow: -9223372036854775807 - 1");
  CHECK_THROWS_WITH(max * d("2"), "decimal overflow: 9223372036854775807 * 2");
  CHECK_THROWS_WITH(d("0.0000000001") * d("0.000000001"),
                    "decimal invalid scale: 0.0000000001 * 0.000000001");
  try {
    (void)(max + d("0.5"));
    FAIL("no exception");
  } catch (const loyalty::decimal_error& error) {
    CHECK(error.code() == decimal_errc::overflow);
    CHECK(std::string(error.what()) == "decimal overflow: 9223372036854775807 + 0.5");
  }
}

TEST_CASE("value_or_throw uses the generic description", "[decimal][errors]") {
  CHECK(decimal::parse("12.5").value_or_throw().to_string() == "12.5");
  CHECK_THROWS_WITH(decimal::parse("1e3").value_or_throw(), "decimal malformed number");
  CHECK_THROWS_WITH(decimal::div(d("1"), d("0"), 0, rounding_mode::down).value_or_throw(),
                    "decimal division by zero");
  try {
    (void)decimal::parse("1.5", 0).value_or_throw();
    FAIL("no exception");
  } catch (const loyalty::decimal_error& error) {
    CHECK(error.code() == decimal_errc::inexact);
    CHECK(std::string(error.what()) == "decimal inexact");
  }
}

TEST_CASE("a typical earning step: floor(total / 10) * 1.5", "[decimal][arithmetic]") {
  const decimal total = d("199.99");
  const decimal tens = decimal::div(total, d("10"), 0, rounding_mode::floor).value_or_throw();
  CHECK(tens.to_string() == "19");
  CHECK((tens * d("1.5")).to_string() == "28.5");
  const decimal refund = d("-199.99");
  CHECK(decimal::div(refund, d("10"), 0, rounding_mode::floor).value_or_throw().to_string() ==
        "-20");
  CHECK(decimal::div(refund, d("10"), 0, rounding_mode::down).value_or_throw().to_string() ==
        "-19");
}
