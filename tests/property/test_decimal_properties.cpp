// Property tests for loyalty::decimal against an exact reference on boost::multiprecision::cpp_int.
//
// The reference treats a decimal as the rational units / 10^scale and rounds with floor division
// and a comparison of 2 * remainder with the divisor: deliberately not the library's algorithm
// (truncation plus a step away from zero), so that a shared mistake is unlikely.
#include <rapidcheck/catch.h>

#include <array>
#include <boost/multiprecision/cpp_int.hpp>
#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <tuple>

#include "loyalty/decimal.hpp"

namespace loyalty {
// Lets rapidcheck print counterexamples readably.
void showValue(const decimal& value, std::ostream& os) {
  os << value.to_string() << " (units " << value.units() << ", scale " << value.scale() << ")";
}
void showValue(rounding_mode mode, std::ostream& os) {
  os << to_string(mode);
}
}  // namespace loyalty

namespace {

using boost::multiprecision::cpp_int;
using loyalty::decimal;
using loyalty::decimal_errc;
using loyalty::decimal_result;
using loyalty::rounding_mode;

constexpr std::int64_t max_units = decimal::max_units;

// ---- Reference model ----------------------------------------------------------------------

cpp_int pow10(int exponent) {
  cpp_int result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

/// floor(n / d) for d > 0.
cpp_int floor_div(const cpp_int& n, const cpp_int& d) {
  cpp_int q = n / d;
  if (q * d > n) --q;
  return q;
}

/// n / d rounded with `mode`, from the floor and a comparison of twice the remainder.
cpp_int reference_round(cpp_int n, cpp_int d, rounding_mode mode) {
  if (d < 0) {
    n = -n;
    d = -d;
  }
  const cpp_int low = floor_div(n, d);
  const cpp_int remainder = n - low * d;  // 0 <= remainder < d
  if (remainder == 0) return low;
  const cpp_int high = low + 1;
  const bool positive = n > 0;
  const cpp_int twice = 2 * remainder;
  switch (mode) {
    case rounding_mode::floor:
      return low;
    case rounding_mode::ceiling:
      return high;
    case rounding_mode::down:
      return positive ? low : high;
    case rounding_mode::up:
      return positive ? high : low;
    case rounding_mode::half_up:
      if (twice != d) return twice < d ? low : high;
      return positive ? high : low;
    case rounding_mode::half_down:
      if (twice != d) return twice < d ? low : high;
      return positive ? low : high;
    case rounding_mode::half_even:
      if (twice != d) return twice < d ? low : high;
      return low % 2 == 0 ? low : high;
  }
  return low;
}

bool fits(const cpp_int& units) {
  return units <= max_units && units >= -max_units;
}

/// The library must report overflow when the reference is out of range and match it otherwise.
bool matches(const decimal_result& actual, const cpp_int& expected_units, int expected_scale) {
  if (!fits(expected_units)) return actual.error == decimal_errc::overflow;
  return actual.ok() && actual.value.scale() == expected_scale &&
         cpp_int(actual.value.units()) == expected_units;
}

cpp_int at_scale(decimal value, int scale) {
  return cpp_int(value.units()) * pow10(scale - value.scale());
}

// ---- Generators ---------------------------------------------------------------------------

/// Units from everywhere in the range, with extra weight on zero, small values and the edges.
rc::Gen<std::int64_t> gen_units() {
  return rc::gen::weightedOneOf<std::int64_t>({
      {3, rc::gen::inRange<std::int64_t>(-1000, 1001)},
      {3, rc::gen::suchThat(rc::gen::arbitrary<std::int64_t>(),
                            [](std::int64_t v) { return v != INT64_MIN; })},
      {2, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 2000),
                       [](std::int64_t k) { return max_units - k; })},
      {2, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 2000),
                       [](std::int64_t k) { return -max_units + k; })},
      {2,
       rc::gen::map(rc::gen::pair(rc::gen::inRange<std::int64_t>(0, 4), rc::gen::arbitrary<bool>()),
                    [](std::pair<std::int64_t, bool> p) {
                      return p.second ? max_units - p.first : -max_units + p.first;
                    })},
      {2, rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 19), rc::gen::inRange(-9, 10)),
                       [](std::pair<int, int> p) {
                         std::int64_t power = 1;
                         for (int i = 0; i < p.first; ++i) power *= 10;
                         return power * p.second;  // |9 * 10^18| still fits
                       })},
      {1, rc::gen::map(rc::gen::inRange(0, 63), [](int bit) { return std::int64_t{1} << bit; })},
  });
}

rc::Gen<int> gen_scale() {
  return rc::gen::weightedOneOf<int>({
      {3, rc::gen::inRange(0, decimal::max_scale + 1)},
      {1, rc::gen::element(0, decimal::max_scale)},
  });
}

rc::Gen<decimal> gen_decimal() {
  return rc::gen::map(rc::gen::pair(gen_units(), gen_scale()), [](std::pair<std::int64_t, int> p) {
    return decimal::from_units(p.first, p.second).value;
  });
}

/// Text that is often a valid number, sometimes too long, sometimes slightly malformed.
rc::Gen<std::string> gen_number_text() {
  const auto digits = [](int length_max) {
    return rc::gen::mapcat(rc::gen::inRange(1, length_max + 1), [](int length) {
      return rc::gen::container<std::string>(static_cast<std::size_t>(length),
                                             rc::gen::elementOf(std::string("0123456789")));
    });
  };
  const auto valid =
      rc::gen::map(rc::gen::tuple(rc::gen::element<std::string>("", "+", "-"), digits(22),
                                  rc::gen::maybe(digits(21))),
                   [](const std::tuple<std::string, std::string, rc::Maybe<std::string>>& parts) {
                     const auto& [sign, integer, fraction] = parts;
                     return sign + integer + (fraction ? "." + *fraction : std::string());
                   });
  const auto noise = rc::gen::container<std::string>(rc::gen::elementOf(std::string("0159+-.e ")));
  return rc::gen::weightedOneOf<std::string>({{4, valid}, {1, noise}});
}

rc::Gen<rounding_mode> gen_mode() {
  return rc::gen::element(rounding_mode::half_even, rounding_mode::half_up,
                          rounding_mode::half_down, rounding_mode::down, rounding_mode::up,
                          rounding_mode::floor, rounding_mode::ceiling);
}

}  // namespace

namespace rc {
template <>
struct Arbitrary<decimal> {
  static Gen<decimal> arbitrary() { return gen_decimal(); }
};
template <>
struct Arbitrary<rounding_mode> {
  static Gen<rounding_mode> arbitrary() { return gen_mode(); }
};
}  // namespace rc

TEST_CASE("decimal add, sub and exact mul match the reference", "[property][decimal]") {
  rc::prop("add is exact at the larger scale or overflow", [](decimal a, decimal b) {
    const int scale = std::max(a.scale(), b.scale());
    RC_ASSERT(matches(decimal::add(a, b), at_scale(a, scale) + at_scale(b, scale), scale));
  });
  rc::prop("sub is exact at the larger scale or overflow", [](decimal a, decimal b) {
    const int scale = std::max(a.scale(), b.scale());
    RC_ASSERT(matches(decimal::sub(a, b), at_scale(a, scale) - at_scale(b, scale), scale));
  });
  rc::prop("exact mul adds scales", [](decimal a, decimal b) {
    const int scale = a.scale() + b.scale();
    const decimal_result result = decimal::mul(a, b);
    if (scale > decimal::max_scale) {
      RC_ASSERT(result.error == decimal_errc::invalid_scale);
    } else {
      RC_ASSERT(matches(result, cpp_int(a.units()) * b.units(), scale));
    }
  });
  rc::prop("add when aligning the scales overflows 64 bits but the sum may fit", [] {
    // a * 10^k exceeds the range while a * 10^k + b may not: the 64-bit fast path must not
    // decide overflow on its own.
    const int shift = *rc::gen::inRange(1, decimal::max_scale + 1);
    const int scale_a = *rc::gen::inRange(0, decimal::max_scale + 1 - shift);
    const cpp_int low = cpp_int(max_units) / pow10(shift) + 1;
    const cpp_int high = 2 * cpp_int(max_units) / pow10(shift);
    RC_PRE(low <= high);
    const auto span = static_cast<std::int64_t>(high - low);
    const std::int64_t magnitude_a =
        static_cast<std::int64_t>(low) + *rc::gen::inRange<std::int64_t>(0, span + 1);
    const cpp_int aligned = cpp_int(magnitude_a) * pow10(shift);
    const auto min_b = static_cast<std::int64_t>(aligned - max_units);
    const std::int64_t magnitude_b = *rc::gen::inRange<std::int64_t>(min_b - 3, max_units);
    const bool negative = *rc::gen::arbitrary<bool>();
    const decimal a = decimal::from_units(negative ? -magnitude_a : magnitude_a, scale_a).value;
    const decimal b =
        decimal::from_units(negative ? magnitude_b : -magnitude_b, scale_a + shift).value;
    const int scale = scale_a + shift;
    RC_ASSERT(matches(decimal::add(a, b), at_scale(a, scale) + at_scale(b, scale), scale));
    RC_ASSERT(matches(decimal::add(b, a), at_scale(a, scale) + at_scale(b, scale), scale));
    RC_ASSERT(
        matches(decimal::sub(a, decimal::neg(b)), at_scale(a, scale) + at_scale(b, scale), scale));
  });
  rc::prop("add, sub and mul exactly at the edge of the range", [] {
    // Results of exactly ±(2^63 - 1) are valid; -2^63 is not (symmetric range).
    const int scale = *gen_scale();
    const std::int64_t k = *rc::gen::inRange<std::int64_t>(0, 5);
    const std::int64_t j = *rc::gen::inRange<std::int64_t>(0, k + 3);
    const std::int64_t sign = *rc::gen::element<std::int64_t>(-1, 1);
    const decimal a = decimal::from_units(sign * (max_units - k), scale).value;
    const decimal b = decimal::from_units(sign * j, scale).value;
    RC_ASSERT(matches(decimal::add(a, b), cpp_int(a.units()) + b.units(), scale));
    RC_ASSERT(matches(decimal::sub(a, decimal::neg(b)), cpp_int(a.units()) + b.units(), scale));
    // 2^bit * -(2^(63 - bit) + near) is -2^63 + small: the product edge.
    const int bit = *rc::gen::inRange(1, 63);
    const std::int64_t near = *rc::gen::inRange<std::int64_t>(-1, 2);
    const decimal x = decimal::from_units(sign * (std::int64_t{1} << bit), 0).value;
    const decimal y = decimal::from_units(-((std::int64_t{1} << (63 - bit)) + near), 0).value;
    RC_ASSERT(matches(decimal::mul(x, y), cpp_int(x.units()) * y.units(), 0));
  });
  rc::prop("add commutes and sub is add of the negation", [](decimal a, decimal b) {
    const decimal_result ab = decimal::add(a, b);
    const decimal_result ba = decimal::add(b, a);
    const decimal_result diff = decimal::sub(a, decimal::neg(b));
    RC_ASSERT(ab.error == ba.error);
    RC_ASSERT(ab.error == diff.error);
    if (ab.ok()) RC_ASSERT(ab.value.identical(ba.value) && ab.value.identical(diff.value));
  });
}

TEST_CASE("decimal rounded mul and div match the reference", "[property][decimal]") {
  rc::prop("mul rounded to any scale", [](decimal a, decimal b, rounding_mode mode) {
    const int scale = *gen_scale();
    const cpp_int product = cpp_int(a.units()) * b.units();
    const cpp_int expected =
        reference_round(product * pow10(scale), pow10(a.scale() + b.scale()), mode);
    RC_ASSERT(matches(decimal::mul(a, b, scale, mode), expected, scale));
  });
  rc::prop("div rounded to any scale", [](decimal a, decimal b, rounding_mode mode) {
    const int scale = *gen_scale();
    const decimal_result result = decimal::div(a, b, scale, mode);
    if (b.is_zero()) {
      RC_ASSERT(result.error == decimal_errc::division_by_zero);
      return;
    }
    // a / b = (a.units / 10^a.scale) / (b.units / 10^b.scale), times 10^scale.
    const cpp_int n = cpp_int(a.units()) * pow10(b.scale() + scale);
    const cpp_int d = cpp_int(b.units()) * pow10(a.scale());
    RC_ASSERT(matches(result, reference_round(n, d, mode), scale));
  });
  rc::prop("div of small operands is exercised near ties", [](rounding_mode mode) {
    const decimal a = *rc::gen::map(
        rc::gen::pair(rc::gen::inRange<std::int64_t>(-200, 201), rc::gen::inRange(0, 3)),
        [](std::pair<std::int64_t, int> p) {
          return decimal::from_units(p.first, p.second).value;
        });
    const std::int64_t divisor = *rc::gen::element<std::int64_t>(-8, -4, -2, 2, 4, 8, 16);
    const cpp_int n = cpp_int(a.units()) * 10;
    const cpp_int d = cpp_int(divisor) * pow10(a.scale());
    RC_ASSERT(matches(decimal::div(a, decimal::from_int(divisor).value, 1, mode),
                      reference_round(n, d, mode), 1));
  });
  rc::prop("rem is the truncated remainder", [](decimal a, decimal b) {
    const decimal_result result = decimal::rem(a, b);
    if (b.is_zero()) {
      RC_ASSERT(result.error == decimal_errc::division_by_zero);
      return;
    }
    const int scale = std::max(a.scale(), b.scale());
    const cpp_int x = at_scale(a, scale);
    const cpp_int y = at_scale(b, scale);
    const bool same_sign = (x >= 0) == (y > 0);
    const cpp_int magnitude = floor_div(abs(x), abs(y));
    const cpp_int truncated = same_sign ? magnitude : cpp_int(-magnitude);
    RC_ASSERT(result.ok());
    RC_ASSERT(matches(result, x - truncated * y, scale));
  });
}

TEST_CASE("decimal rescale and round_to_step match the reference", "[property][decimal]") {
  rc::prop("rescale to any scale", [](decimal a, rounding_mode mode) {
    const int scale = *gen_scale();
    const cpp_int expected =
        reference_round(cpp_int(a.units()) * pow10(scale), pow10(a.scale()), mode);
    RC_ASSERT(matches(a.rescale(scale, mode), expected, scale));
  });
  rc::prop("rescale to a small scale from a ragged one", [](rounding_mode mode) {
    const std::int64_t units = *rc::gen::inRange<std::int64_t>(-5000, 5001);
    const int from = *rc::gen::inRange(1, 4);
    const int to = *rc::gen::inRange(0, from);
    const decimal a = decimal::from_units(units, from).value;
    RC_ASSERT(matches(a.rescale(to, mode), reference_round(units, pow10(from - to), mode), to));
  });
  rc::prop("round_to_step", [](decimal a, rounding_mode mode) {
    const decimal step = *rc::gen::oneOf(
        gen_decimal(),
        rc::gen::map(rc::gen::pair(rc::gen::inRange<std::int64_t>(1, 101), rc::gen::inRange(0, 4)),
                     [](std::pair<std::int64_t, int> p) {
                       return decimal::from_units(p.first, p.second).value;
                     }));
    const decimal_result result = a.round_to_step(step, mode);
    if (step.is_zero()) {
      RC_ASSERT(result.error == decimal_errc::division_by_zero);
    } else if (step.is_negative()) {
      RC_ASSERT(result.error == decimal_errc::invalid_argument);
    } else {
      const int scale = std::max(a.scale(), step.scale());
      const cpp_int s = at_scale(step, scale);
      RC_ASSERT(matches(result, reference_round(at_scale(a, scale), s, mode) * s, scale));
    }
  });
}

TEST_CASE("decimal comparison, text and negation", "[property][decimal]") {
  rc::prop("comparison is numeric across scales", [](decimal a, decimal b) {
    // Cross-multiplication instead of aligning scales.
    const cpp_int x = cpp_int(a.units()) * pow10(b.scale());
    const cpp_int y = cpp_int(b.units()) * pow10(a.scale());
    RC_ASSERT((a == b) == (x == y));
    RC_ASSERT((a < b) == (x < y));
    RC_ASSERT((a > b) == (x > y));
    RC_ASSERT((a <= b) == (x <= y));
    RC_ASSERT(std::is_eq(a <=> b) == (x == y));
    RC_ASSERT(std::is_lt(a <=> b) == (x < y));
  });
  rc::prop("a value equals itself at a larger scale", [](decimal a) {
    const decimal_result wider =
        a.rescale(*rc::gen::inRange(a.scale(), decimal::max_scale + 1), rounding_mode::down);
    RC_PRE(wider.ok());
    RC_ASSERT(wider.value == a);
    RC_ASSERT(std::is_eq(wider.value <=> a));
  });
  rc::prop("parse(to_string(x)) gives x back exactly", [](decimal a) {
    const std::string text = a.to_string();
    const decimal_result parsed = decimal::parse(text);
    RC_ASSERT(parsed.ok());
    RC_ASSERT(parsed.value.identical(a));
    char buffer[decimal::max_chars];
    RC_ASSERT(std::string(buffer, a.format_to(buffer)) == text);
  });
  rc::prop("parse accepts exactly the grammar and reads the value exactly", [] {
    const std::string text = *gen_number_text();
    static const std::regex grammar("[+-]?[0-9]+(\\.[0-9]+)?");
    const decimal_result parsed = decimal::parse(text);
    if (!std::regex_match(text, grammar)) {
      RC_ASSERT(parsed.error == decimal_errc::malformed);
      return;
    }
    const std::size_t point = text.find('.');
    const std::size_t fraction = point == std::string::npos ? 0 : text.size() - point - 1;
    if (fraction > static_cast<std::size_t>(decimal::max_scale)) {
      RC_ASSERT(parsed.error == decimal_errc::invalid_scale);
      return;
    }
    cpp_int units = 0;  // not cpp_int(text): it would read a leading 0 as octal
    for (const char c : text) {
      if (c >= '0' && c <= '9') units = units * 10 + (c - '0');
    }
    if (text[0] == '-') units = -units;
    RC_ASSERT(matches(parsed, units, static_cast<int>(fraction)));
  });
  rc::prop("parse near the edge of the range", [] {
    const cpp_int magnitude = cpp_int(max_units) + *rc::gen::inRange(-3, 4);
    const int scale = *gen_scale();
    std::string digits = magnitude.str();
    if (scale > 0) digits.insert(digits.size() - static_cast<std::size_t>(scale), ".");
    const bool negative = *rc::gen::arbitrary<bool>();
    const decimal_result parsed = decimal::parse((negative ? "-" : "") + digits);
    RC_ASSERT(matches(parsed, negative ? cpp_int(-magnitude) : magnitude, scale));
  });
  rc::prop("parse at another scale is an exact rescale or inexact", [](decimal a) {
    const int scale = *gen_scale();
    const decimal_result parsed = decimal::parse(a.to_string(), scale);
    if (scale >= a.scale()) {
      RC_ASSERT(matches(parsed, at_scale(a, scale), scale));
    } else if (cpp_int(a.units()) % pow10(a.scale() - scale) != 0) {
      RC_ASSERT(parsed.error == decimal_errc::inexact);
    } else {
      RC_ASSERT(matches(parsed, cpp_int(a.units()) / pow10(a.scale() - scale), scale));
    }
  });
  rc::prop("neg and abs are exact and never fail", [](decimal a) {
    RC_ASSERT(cpp_int(decimal::neg(a).units()) == -cpp_int(a.units()));
    RC_ASSERT(decimal::abs(a).units() >= 0);
    RC_ASSERT(decimal::abs(a) == (a.is_negative() ? -a : a));
    RC_ASSERT(decimal::neg(a).scale() == a.scale());
  });
}
