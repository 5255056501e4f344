// A compiled expression that only tests one input field against constants, recognised once so
// that a caller testing it over many values (the engine's `where` over an order's lines, `when`
// on every event) can answer it with one comparison instead of an evaluation.
//
//   line.category == 3            bits: integers, enum codes and booleans as raw 64-bit bits
//   line.sku == 'SKU-1'           text: equal or not equal, byte for byte
//   event.channel in ['web','app']  mask: an enum in a constant set
//
// Only present values are answered: for a missing value (null, or a required field the host did
// not set) the caller evaluates the expression, which defines what that means.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "loyalty/expression.hpp"

namespace loyalty::internal::expr {

struct slot_test {
  enum class form : std::uint8_t { bits, text, mask };
  form how = form::bits;
  std::uint32_t slot = 0;              ///< the field's input slot
  value_kind kind = value_kind::null;  ///< the field's kind: integer, boolean, enumeration, string
  std::uint8_t compare = 0;            ///< bits: expr::compare; text: eq or ne only
  std::int64_t bits = 0;               ///< bits: the constant
  std::string_view text;               ///< text: the constant (points into the compiled expression)
  std::uint64_t mask = 0;              ///< mask: the set, a bit per enum code
  bool negate = false;                 ///< mask: `not in`

  /// The expression's value for a present (non-null) value `v` of the field.
  bool test(const value& v) const noexcept {
    switch (how) {
      case form::bits:
        return bits_test(v.as_int());
      case form::text:
        return (v.as_string() == text) == (compare == 0);  // 0: eq, 1: ne
      case form::mask: {
        const std::int64_t x = v.as_int();
        return (x >= 0 && x < 64 && ((mask >> x) & 1U) != 0) != negate;
      }
    }
    return false;
  }

 private:
  // The order of expr::compare: eq, ne, lt, le, gt, ge.
  bool bits_test(std::int64_t x) const noexcept {
    switch (compare) {
      case 0:
        return x == bits;
      case 1:
        return x != bits;
      case 2:
        return x < bits;
      case 3:
        return x <= bits;
      case 4:
        return x > bits;
      default:
        return x >= bits;
    }
  }
};

/// The test `e` is, when `e` is nothing but one of the forms above over a field of kind integer,
/// boolean, enumeration or text (decimals are left out: a value in a host's list may carry fewer
/// digits than the field declares, and raw bits compare only at one scale).
std::optional<slot_test> slot_test_of(const compiled_expression& e) noexcept;

}  // namespace loyalty::internal::expr
