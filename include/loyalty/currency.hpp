// ISO 4217 currencies and their minor-unit exponents.
//
// The exponent is the number of fractional digits a money amount in that currency carries:
// JPY 0, EUR 2, KWD 3. Money wallets use it as their default scale.
//
//   const loyalty::currency* eur = loyalty::find_currency("EUR");
//   // eur->minor_units == 2
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace loyalty {

/// One active ISO 4217 currency.
struct currency {
  std::string_view code;     ///< three upper-case letters, e.g. "EUR"
  std::uint16_t numeric;     ///< ISO numeric code, e.g. 978
  std::uint8_t minor_units;  ///< fractional digits, e.g. 2
};

/// The currency with this exact (upper-case) code, or nullptr.
const currency* find_currency(std::string_view code) noexcept;

/// All known currencies, sorted by code.
std::span<const currency> all_currencies() noexcept;

}  // namespace loyalty
