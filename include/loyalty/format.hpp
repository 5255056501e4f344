// fmt support for loyalty's value types.
//
//   fmt::print("{} points\n", balance);        // "1250 points"
//   fmt::print("{:>10}\n", price);             // right-aligned, exact digits
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "loyalty/decimal.hpp"

template <>
struct fmt::formatter<loyalty::decimal> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(loyalty::decimal value, FormatContext& ctx) const -> decltype(ctx.out()) {
    char buf[loyalty::decimal::max_chars];
    char* end = value.format_to(buf);
    return fmt::formatter<std::string_view>::format(
        std::string_view(buf, static_cast<std::size_t>(end - buf)), ctx);
  }
};

template <>
struct fmt::formatter<loyalty::rounding_mode> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(loyalty::rounding_mode mode, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(loyalty::to_string(mode), ctx);
  }
};
