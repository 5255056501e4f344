// Small, stable hashes for ids the library derives (not secrets, not for hash tables of strings
// on hot paths: keys are computed once, when a program loads).
#pragma once

#include <cstdint>
#include <string_view>

namespace loyalty::internal {

/// splitmix64's finaliser: a good 64-bit mix.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

/// 64-bit FNV-1a of `text`, mixed: the same text always gives the same key, across runs,
/// machines and program versions (rule keys, synthetic event types).
constexpr std::uint64_t text_key(std::string_view text) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const char c : text) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001B3ULL;
  return mix64(h);
}

}  // namespace loyalty::internal
