// Exact fixed-point decimals for points and money.
//
// A `decimal` is a signed 64-bit mantissa (the number of smallest units) and a scale (the number
// of fractional digits, 0..18): units 1234 at scale 2 is 12.34. Nothing ever passes through
// binary floating point. Products and quotients are computed in 128 bits and rounded with an
// explicitly named `rounding_mode`; a result that does not fit is reported, never wrapped.
//
// Two styles of API, same semantics:
//   * checked functions (`decimal::add`, `mul`, `div`, `parse`, ...) return a `decimal_result`
//     and never throw;
//   * operators `+ - *` and `value_or_throw()` throw `decimal_error` naming the operands.
//
//   auto price = loyalty::decimal::parse("19.99").value_or_throw();      // scale 2
//   auto pts = loyalty::decimal::div(price, loyalty::decimal::from_int(10), 0,
//                                    loyalty::rounding_mode::floor);      // 1
//   fmt::print("{}\n", price * loyalty::decimal::parse("1.5").value_or_throw());  // 29.985
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace loyalty {

/// How a value that falls between two representable values is rounded.
enum class rounding_mode : std::uint8_t {
  half_even,  ///< to nearest; ties to the even neighbour ("banker's")
  half_up,    ///< to nearest; ties away from zero
  half_down,  ///< to nearest; ties toward zero
  down,       ///< toward zero (truncate)
  up,         ///< away from zero
  floor,      ///< toward negative infinity
  ceiling,    ///< toward positive infinity
};

/// The YAML name of a rounding mode, e.g. "half_even".
std::string_view to_string(rounding_mode mode) noexcept;
/// The rounding mode named `name` ("half_even", "half_up", ...), or nullopt.
std::optional<rounding_mode> parse_rounding_mode(std::string_view name) noexcept;

/// Why a decimal operation failed.
enum class decimal_errc : std::uint8_t {
  ok,
  overflow,          ///< the exact or rounded result does not fit in 64 bits at its scale
  division_by_zero,  ///< divisor (or step) is zero
  invalid_scale,     ///< a scale outside 0..decimal::max_scale was requested or would result
  malformed,         ///< text is not a decimal number
  inexact,           ///< text has more non-zero fractional digits than the requested scale
  invalid_argument,  ///< e.g. a negative step or weight
};

/// A short English description of an error code, e.g. "overflow".
std::string_view to_string(decimal_errc code) noexcept;

/// Thrown by the throwing API; `what()` names the operation and the operands.
class decimal_error : public std::runtime_error {
 public:
  decimal_error(decimal_errc code, const std::string& what)
      : std::runtime_error(what), code_(code) {}
  decimal_errc code() const noexcept { return code_; }

 private:
  decimal_errc code_;
};

struct decimal_result;

/// An exact fixed-point decimal number. Cheap to copy (16 bytes), trivially copyable.
///
/// Invariants: 0 <= scale() <= max_scale, and units() != INT64_MIN (the range is symmetric so
/// that negation and abs never overflow).
class decimal {
 public:
  static constexpr int max_scale = 18;
  static constexpr std::int64_t max_units = INT64_MAX;

  /// Zero at scale 0.
  constexpr decimal() noexcept = default;

  /// `units` smallest units at `scale`: from_units(1234, 2) is 12.34. Returns an error for a
  /// scale outside 0..max_scale or units == INT64_MIN.
  static decimal_result from_units(std::int64_t units, int scale) noexcept;
  /// An integer at scale 0.
  static decimal_result from_int(std::int64_t value) noexcept;

  /// Parses `[+-]digits[.digits]` exactly; the scale is the number of fractional digits written
  /// ("1.50" has scale 2). No exponent, no spaces, no leading '.', at most max_scale fractional
  /// digits. Errors: malformed, overflow, invalid_scale.
  static decimal_result parse(std::string_view text) noexcept;
  /// Parses exactly into `scale` fractional digits: parse("1.5", 2) is 1.50. Extra trailing zeros
  /// are accepted ("1.500" at scale 2); a non-zero digit beyond `scale` is `inexact`.
  static decimal_result parse(std::string_view text, int scale) noexcept;

  constexpr std::int64_t units() const noexcept { return units_; }
  constexpr int scale() const noexcept { return scale_; }
  constexpr bool is_zero() const noexcept { return units_ == 0; }
  constexpr bool is_negative() const noexcept { return units_ < 0; }
  constexpr int sign() const noexcept { return (units_ > 0) - (units_ < 0); }

  /// Text with exactly scale() fractional digits: "12.30", "-0.05", "7".
  std::string to_string() const;
  /// Writes the same text as to_string() to `out` (at least max_chars bytes, not terminated) and
  /// returns one past the last character written. Allocates nothing.
  static constexpr std::size_t max_chars = 21;
  char* format_to(char* out) const noexcept;

  // Checked arithmetic: never throws.

  /// Exact sum at max(a.scale(), b.scale()).
  static decimal_result add(decimal a, decimal b) noexcept;
  /// Exact difference at max(a.scale(), b.scale()).
  static decimal_result sub(decimal a, decimal b) noexcept;
  /// Exact product at a.scale() + b.scale() (invalid_scale if that exceeds max_scale).
  static decimal_result mul(decimal a, decimal b) noexcept;
  /// Product rounded to `scale` with `mode`, computed exactly in 128 bits before rounding.
  static decimal_result mul(decimal a, decimal b, int scale, rounding_mode mode) noexcept;
  /// Quotient a / b rounded to `scale` with `mode`. Exact up to the single final rounding.
  static decimal_result div(decimal a, decimal b, int scale, rounding_mode mode) noexcept;
  /// Remainder of the truncating division a / b (sign of a), exact at max(a.scale(), b.scale()).
  static decimal_result rem(decimal a, decimal b) noexcept;
  /// -a (never fails, the range is symmetric).
  static decimal neg(decimal a) noexcept;
  /// |a| (never fails).
  static decimal abs(decimal a) noexcept;

  /// The same value at `scale` fractional digits: exact when scale >= this->scale() (overflow
  /// possible), otherwise rounded with `mode`. round(2, half_up) of 2.345 is 2.35.
  decimal_result rescale(int scale, rounding_mode mode) const noexcept;
  /// Rounds to a multiple of `step` (> 0) with `mode`; the result has scale
  /// max(scale(), step.scale()). round_to_step(0.05, half_up) of 1.024 is 1.000; of 1.025 is 1.050.
  decimal_result round_to_step(decimal step, rounding_mode mode) const noexcept;

  /// Numeric comparison across scales: 1.5 == 1.50.
  friend bool operator==(decimal a, decimal b) noexcept;
  friend std::strong_ordering operator<=>(decimal a, decimal b) noexcept;

  /// True when both the value and the scale are equal (1.5 vs 1.50 differ here).
  constexpr bool identical(decimal other) const noexcept {
    return units_ == other.units_ && scale_ == other.scale_;
  }

 private:
  constexpr decimal(std::int64_t units, std::uint8_t scale) noexcept
      : units_(units), scale_(scale) {}
  friend struct decimal_result;
  friend class decimal_internal;
  friend class value;  // rebuilds decimals it stored, already validated

  std::int64_t units_ = 0;
  std::uint8_t scale_ = 0;
};

/// A decimal or the reason it could not be computed.
struct decimal_result {
  decimal value;
  decimal_errc error = decimal_errc::ok;

  constexpr bool ok() const noexcept { return error == decimal_errc::ok; }
  constexpr explicit operator bool() const noexcept { return ok(); }
  /// The value; throws decimal_error (with the generic description) when !ok().
  decimal value_or_throw() const;
};

// Throwing operators: exact results as in add/sub/mul; decimal_error names the operands.
decimal operator+(decimal a, decimal b);
decimal operator-(decimal a, decimal b);
decimal operator*(decimal a, decimal b);
decimal operator-(decimal a) noexcept;

}  // namespace loyalty
