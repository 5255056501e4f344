// Small text helpers shared by the loader and the command-line tool. Load-time only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loyalty::internal {

/// Damerau-Levenshtein distance (optimal string alignment), case-sensitive. Bounded: returns
/// `limit + 1` as soon as the distance is known to exceed `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

/// The candidate closest to `word` for a "did you mean" hint, or an empty view when none is close
/// enough (fewer than a third of the word's characters differ; a case-insensitive (ASCII) exact
/// match always qualifies). Ties go to the first candidate.
std::string_view closest_match(std::string_view word, std::span<const std::string_view> candidates);

/// " (did you mean 'x'?)" or "" when `suggestion` is empty.
std::string did_you_mean(std::string_view suggestion);

/// Where a problem in raw text is: 1-based line and byte column.
struct text_position {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

/// Line and column of byte `offset` in `text`.
text_position position_of(std::string_view text, std::size_t offset) noexcept;

/// The text of 1-based line `line`, without its line break ("\n" or "\r\n"); empty when absent.
std::string_view line_at(std::string_view text, std::uint32_t line) noexcept;

/// Offset of the first byte that is not well-formed UTF-8 (overlongs, surrogates and code points
/// above U+10FFFF are ill-formed), or npos.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

/// Offset of the first C0 control character other than tab, line feed and carriage return, or
/// DEL, or npos. YAML forbids them in a document.
std::size_t find_control_character(std::string_view text) noexcept;

/// `text` cut to at most `max_bytes` (on a UTF-8 boundary) with "..." appended when cut, and
/// non-printable bytes shown as \xNN: safe to put inside a diagnostic message.
std::string printable(std::string_view text, std::size_t max_bytes = 60);

}  // namespace loyalty::internal
