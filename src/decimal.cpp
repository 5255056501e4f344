// Exact fixed-point decimal arithmetic.
//
// Every operation first tries plain 64-bit arithmetic with overflow-checking builtins; when an
// intermediate does not fit, it is redone exactly in boost::multiprecision::checked_int128_t,
// which throws std::overflow_error instead of wrapping. Every entry point that uses it goes
// through `guarded`, which turns that exception into decimal_errc::overflow so that the checked
// API stays noexcept. All rounding goes through one function template, `divide_rounded`,
// instantiated for both widths.
#include "loyalty/decimal.hpp"

#include "decimal_internal.hpp"

#include <algorithm>
#include <array>
#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loyalty {

namespace {

using int128 = boost::multiprecision::checked_int128_t;
using decimal_rounding::divide_rounded;

constexpr std::array<std::int64_t, decimal::max_scale + 1> pow10_64 = {
    1,
    10,
    100,
    1'000,
    10'000,
    100'000,
    1'000'000,
    10'000'000,
    100'000'000,
    1'000'000'000,
    10'000'000'000,
    100'000'000'000,
    1'000'000'000'000,
    10'000'000'000'000,
    100'000'000'000'000,
    1'000'000'000'000'000,
    10'000'000'000'000'000,
    100'000'000'000'000'000,
    1'000'000'000'000'000'000,
};

// 10^0..10^36: a product of two decimals has at most 2 * max_scale fractional digits.
constexpr int max_pow10_128 = 2 * decimal::max_scale;

constexpr std::array<int128, max_pow10_128 + 1> make_pow10_128() {
  std::array<int128, max_pow10_128 + 1> table{};
  for (int i = 0; i <= max_pow10_128; ++i) {
    table[static_cast<std::size_t>(i)] =
        i <= decimal::max_scale ? int128(pow10_64[static_cast<std::size_t>(i)])
                                : int128(pow10_64[decimal::max_scale]) *
                                      pow10_64[static_cast<std::size_t>(i - decimal::max_scale)];
  }
  return table;
}

constexpr std::array<int128, max_pow10_128 + 1> pow10_128 = make_pow10_128();

std::int64_t pow10(int exponent) noexcept {
  return pow10_64[static_cast<std::size_t>(exponent)];
}
const int128& pow10_wide(int exponent) noexcept {
  return pow10_128[static_cast<std::size_t>(exponent)];
}

constexpr bool valid_scale(int scale) noexcept {
  return scale >= 0 && scale <= decimal::max_scale;
}

decimal_result success(std::int64_t units, int scale) noexcept {
  return {decimal_internal::make(units, scale), decimal_errc::ok};
}
decimal_result failure(decimal_errc code) noexcept {
  return {decimal{}, code};
}

/// `units` at `scale`, or overflow when outside the symmetric range ±INT64_MAX.
decimal_result from_narrow(std::int64_t units, int scale) noexcept {
  if (units == INT64_MIN) return failure(decimal_errc::overflow);
  return success(units, scale);
}

decimal_result from_wide(const int128& units, int scale) noexcept {
  if (units > decimal::max_units || units < -decimal::max_units) {
    return failure(decimal_errc::overflow);
  }
  return success(static_cast<std::int64_t>(units), scale);
}

/// Runs `compute`, reporting a 128-bit overflow as decimal_errc::overflow.
template <typename Compute>
decimal_result guarded(Compute&& compute) noexcept {
  try {
    return compute();
  } catch (const std::overflow_error&) {
    return failure(decimal_errc::overflow);
  } catch (const std::range_error&) {
    return failure(decimal_errc::overflow);
  }
}

/// `value` at `scale` (>= value.scale()) in 128 bits; exact, never overflows since
/// |units| * 10^18 < 2^127.
int128 widen(decimal value, int scale) noexcept {
  return int128(value.units()) * pow10(scale - value.scale());
}

constexpr std::array<std::string_view, 7> rounding_mode_names = {
    "half_even", "half_up", "half_down", "down", "up", "floor", "ceiling",
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// The pieces of `[+-]digits[.digits]`.
struct number_text {
  bool negative = false;
  std::string_view integer_digits;
  std::string_view fraction_digits;
};

std::size_t skip_digits(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size() && is_digit(text[pos])) ++pos;
  return pos;
}

std::optional<number_text> scan_number(std::string_view text) noexcept {
  number_text number;
  std::size_t pos = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    number.negative = text[0] == '-';
    pos = 1;
  }
  const std::size_t integer_end = skip_digits(text, pos);
  if (integer_end == pos) return std::nullopt;
  number.integer_digits = text.substr(pos, integer_end - pos);
  if (integer_end == text.size()) return number;
  if (text[integer_end] != '.') return std::nullopt;
  const std::size_t fraction_end = skip_digits(text, integer_end + 1);
  if (fraction_end == integer_end + 1 || fraction_end != text.size()) return std::nullopt;
  number.fraction_digits = text.substr(integer_end + 1);
  return number;
}

/// Appends decimal digits to `acc`; false when the value no longer fits in 64 bits.
bool append_digits(std::string_view digits, std::uint64_t& acc) noexcept {
  for (const char c : digits) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (__builtin_mul_overflow(acc, std::uint64_t{10}, &acc) ||
        __builtin_add_overflow(acc, digit, &acc)) {
      return false;
    }
  }
  return true;
}

/// The value of `number` at `scale`; fraction digits beyond `scale` must already be known zero.
decimal_result build_number(const number_text& number, int scale) noexcept {
  const auto scale_size = static_cast<std::size_t>(scale);
  const std::size_t used = std::min(number.fraction_digits.size(), scale_size);
  std::uint64_t magnitude = 0;
  if (!append_digits(number.integer_digits, magnitude) ||
      !append_digits(number.fraction_digits.substr(0, used), magnitude) ||
      __builtin_mul_overflow(magnitude,
                             static_cast<std::uint64_t>(pow10(scale - static_cast<int>(used))),
                             &magnitude) ||
      magnitude > static_cast<std::uint64_t>(decimal::max_units)) {
    return failure(decimal_errc::overflow);
  }
  const auto units = static_cast<std::int64_t>(magnitude);
  return success(number.negative ? -units : units, scale);
}

std::string describe(decimal_errc code, decimal a, std::string_view op, decimal b) {
  std::string text = "decimal ";
  text += to_string(code);
  text += ": ";
  text += a.to_string();
  text += ' ';
  text += op;
  text += ' ';
  text += b.to_string();
  return text;
}

decimal throw_on_error(const decimal_result& result, decimal a, std::string_view op, decimal b) {
  if (!result.ok()) throw decimal_error(result.error, describe(result.error, a, op, b));
  return result.value;
}

}  // namespace

std::string_view to_string(rounding_mode mode) noexcept {
  const auto index = static_cast<std::size_t>(mode);
  return index < rounding_mode_names.size() ? rounding_mode_names[index] : "unknown";
}

std::optional<rounding_mode> parse_rounding_mode(std::string_view name) noexcept {
  for (std::size_t i = 0; i < rounding_mode_names.size(); ++i) {
    if (rounding_mode_names[i] == name) return static_cast<rounding_mode>(i);
  }
  return std::nullopt;
}

std::string_view to_string(decimal_errc code) noexcept {
  switch (code) {
    case decimal_errc::ok:
      return "ok";
    case decimal_errc::overflow:
      return "overflow";
    case decimal_errc::division_by_zero:
      return "division by zero";
    case decimal_errc::invalid_scale:
      return "invalid scale";
    case decimal_errc::malformed:
      return "malformed number";
    case decimal_errc::inexact:
      return "inexact";
    case decimal_errc::invalid_argument:
      return "invalid argument";
  }
  return "unknown error";
}

decimal_result decimal::from_units(std::int64_t units, int scale) noexcept {
  if (!valid_scale(scale)) return failure(decimal_errc::invalid_scale);
  return from_narrow(units, scale);
}

decimal_result decimal::from_int(std::int64_t value) noexcept {
  return from_units(value, 0);
}

decimal_result decimal::parse(std::string_view text) noexcept {
  const std::optional<number_text> number = scan_number(text);
  if (!number) return failure(decimal_errc::malformed);
  if (number->fraction_digits.size() > static_cast<std::size_t>(max_scale)) {
    return failure(decimal_errc::invalid_scale);
  }
  return build_number(*number, static_cast<int>(number->fraction_digits.size()));
}

decimal_result decimal::parse(std::string_view text, int scale) noexcept {
  if (!valid_scale(scale)) return failure(decimal_errc::invalid_scale);
  const std::optional<number_text> number = scan_number(text);
  if (!number) return failure(decimal_errc::malformed);
  const std::string_view extra = number->fraction_digits.substr(
      std::min(number->fraction_digits.size(), static_cast<std::size_t>(scale)));
  if (extra.find_first_not_of('0') != std::string_view::npos) {
    return failure(decimal_errc::inexact);
  }
  return build_number(*number, scale);
}

std::string decimal::to_string() const {
  char buffer[max_chars];
  return std::string(buffer, format_to(buffer));
}

char* decimal::format_to(char* out) const noexcept {
  // INT64_MIN is excluded by the invariant, so the negation cannot overflow.
  std::uint64_t magnitude = static_cast<std::uint64_t>(units_ < 0 ? -units_ : units_);
  char digits[max_chars];  // least significant first
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (count <= scale_) digits[count++] = '0';  // at least one digit before the point
  if (units_ < 0) *out++ = '-';
  for (int i = count - 1; i >= 0; --i) {
    if (i + 1 == scale_) *out++ = '.';
    *out++ = digits[i];
  }
  return out;
}

decimal_result decimal::add(decimal a, decimal b) noexcept {
  const int scale = std::max(a.scale_, b.scale_);
  std::int64_t x = a.units_;
  std::int64_t y = b.units_;
  std::int64_t sum = 0;
  // Fast path in 64 bits; an overflow while aligning scales does not mean the sum overflows
  // (1e18 + -0.9e18 at scales 0 and 1), so fall back to exact 128-bit arithmetic.
  if (!__builtin_mul_overflow(x, pow10(scale - a.scale_), &x) &&
      !__builtin_mul_overflow(y, pow10(scale - b.scale_), &y) &&
      !__builtin_add_overflow(x, y, &sum)) {
    return from_narrow(sum, scale);
  }
  return from_wide(widen(a, scale) + widen(b, scale), scale);
}

decimal_result decimal::sub(decimal a, decimal b) noexcept {
  return add(a, neg(b));
}

decimal_result decimal::mul(decimal a, decimal b) noexcept {
  const int scale = a.scale_ + b.scale_;
  if (scale > max_scale) return failure(decimal_errc::invalid_scale);
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a.units_, b.units_, &product)) {
    return failure(decimal_errc::overflow);
  }
  return from_narrow(product, scale);
}

decimal_result decimal::mul(decimal a, decimal b, int scale, rounding_mode mode) noexcept {
  if (!valid_scale(scale)) return failure(decimal_errc::invalid_scale);
  const int dropped_digits = a.scale_ + b.scale_ - scale;
  std::int64_t product = 0;
  if (dropped_digits >= 0 && dropped_digits <= max_scale &&
      !__builtin_mul_overflow(a.units_, b.units_, &product)) {
    return from_narrow(divide_rounded(product, pow10(dropped_digits), mode), scale);
  }
  return guarded([&] {
    const int exact_scale = a.scale_ + b.scale_;
    const int128 exact = int128(a.units_) * b.units_;  // < 2^126
    if (scale >= exact_scale) return from_wide(exact * pow10(scale - exact_scale), scale);
    return from_wide(divide_rounded(exact, pow10_wide(exact_scale - scale), mode), scale);
  });
}

decimal_result decimal::div(decimal a, decimal b, int scale, rounding_mode mode) noexcept {
  if (!valid_scale(scale)) return failure(decimal_errc::invalid_scale);
  if (b.units_ == 0) return failure(decimal_errc::division_by_zero);
  // units = a.units * 10^(scale + b.scale - a.scale) / b.units, exponent in -18..36.
  const int exponent = scale + b.scale_ - a.scale_;
  std::int64_t scaled = 0;
  if (exponent >= 0 && exponent <= max_scale &&
      !__builtin_mul_overflow(a.units_, pow10(exponent), &scaled)) {
    return from_narrow(divide_rounded(scaled, b.units_, mode), scale);
  }
  if (exponent < 0 && !__builtin_mul_overflow(b.units_, pow10(-exponent), &scaled)) {
    return from_narrow(divide_rounded(a.units_, scaled, mode), scale);
  }
  return guarded([&] {
    if (exponent >= 0) {
      // If this product overflows 128 bits the quotient exceeds 2^64 anyway: overflow is right.
      const int128 numerator = int128(a.units_) * pow10_wide(exponent);
      return from_wide(divide_rounded(numerator, int128(b.units_), mode), scale);
    }
    const int128 denominator = int128(b.units_) * pow10(-exponent);
    return from_wide(divide_rounded(int128(a.units_), denominator, mode), scale);
  });
}

decimal_result decimal::rem(decimal a, decimal b) noexcept {
  if (b.units_ == 0) return failure(decimal_errc::division_by_zero);
  const int scale = std::max(a.scale_, b.scale_);
  return guarded([&] {
    // |remainder| <= min(|a|, |b|) at the common scale, so it always fits.
    return from_wide(widen(a, scale) % widen(b, scale), scale);
  });
}

decimal decimal::neg(decimal a) noexcept {
  return decimal(-a.units_, a.scale_);
}

decimal decimal::abs(decimal a) noexcept {
  return decimal(a.units_ < 0 ? -a.units_ : a.units_, a.scale_);
}

decimal_result decimal::rescale(int scale, rounding_mode mode) const noexcept {
  if (!valid_scale(scale)) return failure(decimal_errc::invalid_scale);
  if (scale >= scale_) {
    std::int64_t units = 0;
    if (__builtin_mul_overflow(units_, pow10(scale - scale_), &units)) {
      return failure(decimal_errc::overflow);
    }
    return from_narrow(units, scale);
  }
  return from_narrow(divide_rounded(units_, pow10(scale_ - scale), mode), scale);
}

decimal_result decimal::round_to_step(decimal step, rounding_mode mode) const noexcept {
  if (step.units_ == 0) return failure(decimal_errc::division_by_zero);
  if (step.units_ < 0) return failure(decimal_errc::invalid_argument);
  const int scale = std::max(scale_, step.scale_);
  std::int64_t value = 0;
  std::int64_t step_units = 0;
  if (!__builtin_mul_overflow(units_, pow10(scale - scale_), &value) &&
      !__builtin_mul_overflow(step.units_, pow10(scale - step.scale_), &step_units)) {
    std::int64_t result = 0;  // the rounded multiple itself: overflow here is overflow
    if (__builtin_mul_overflow(divide_rounded(value, step_units, mode), step_units, &result)) {
      return failure(decimal_errc::overflow);
    }
    return from_narrow(result, scale);
  }
  return guarded([&] {
    const int128 wide_step = widen(step, scale);
    // |quotient * step| <= |value| + step < 2^128: only the final range check can fail.
    const int128 quotient = divide_rounded(widen(*this, scale), wide_step, mode);
    return from_wide(quotient * wide_step, scale);
  });
}

bool operator==(decimal a, decimal b) noexcept {
  return (a <=> b) == 0;
}

std::strong_ordering operator<=>(decimal a, decimal b) noexcept {
  if (a.scale_ == b.scale_) return a.units_ <=> b.units_;
  if (a.sign() != b.sign()) return a.sign() <=> b.sign();
  const int scale = std::max(a.scale_, b.scale_);
  std::int64_t narrow_a = 0;
  std::int64_t narrow_b = 0;
  if (!__builtin_mul_overflow(a.units_, pow10(scale - a.scale_), &narrow_a) &&
      !__builtin_mul_overflow(b.units_, pow10(scale - b.scale_), &narrow_b)) {
    return narrow_a <=> narrow_b;
  }
  const int128 x = widen(a, scale);
  const int128 y = widen(b, scale);
  if (x < y) return std::strong_ordering::less;
  if (y < x) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

decimal decimal_result::value_or_throw() const {
  if (!ok()) throw decimal_error(error, "decimal " + std::string(to_string(error)));
  return value;
}

decimal operator+(decimal a, decimal b) {
  return throw_on_error(decimal::add(a, b), a, "+", b);
}
decimal operator-(decimal a, decimal b) {
  return throw_on_error(decimal::sub(a, b), a, "-", b);
}
decimal operator*(decimal a, decimal b) {
  return throw_on_error(decimal::mul(a, b), a, "*", b);
}
decimal operator-(decimal a) noexcept {
  return decimal::neg(a);
}

}  // namespace loyalty
