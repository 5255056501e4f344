#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "diagnostic_codes.hpp"
#include "loyalty/diagnostic.hpp"

namespace loyalty {

namespace {

constexpr std::array catalog = {
#define LOYALTY_DIAG_INFO(code, sev, name, title) diagnostic_info{#code, severity::sev, title},
    LOYALTY_DIAGNOSTICS(LOYALTY_DIAG_INFO)
#undef LOYALTY_DIAG_INFO
};

static_assert(std::is_sorted(catalog.begin(), catalog.end(),
                             [](const auto& a, const auto& b) { return a.code < b.code; }),
              "keep the diagnostic table sorted by code");

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The caret line under a source line. Columns count bytes; the caret line counts characters (one
// per UTF-8 sequence) and keeps tabs, so the caret lands under the right character.
std::string caret_line(std::string_view line_text, std::uint32_t column, std::uint32_t length) {
  std::string out;
  const std::size_t begin = std::min<std::size_t>(column - 1, line_text.size());
  for (std::size_t i = 0; i < begin; ++i) {
    if (is_continuation_byte(line_text[i])) continue;
    out += line_text[i] == '\t' ? '\t' : ' ';
  }
  out += '^';
  // Underline the rest of the span, at most to the end of the line.
  const std::size_t end =
      std::min<std::size_t>(begin + std::max<std::uint32_t>(length, 1), line_text.size());
  for (std::size_t i = begin + 1; i < end; ++i) {
    if (!is_continuation_byte(line_text[i])) out += '~';
  }
  return out;
}

}  // namespace

std::string_view to_string(severity level) noexcept {
  switch (level) {
    case severity::error:
      return "error";
    case severity::warning:
      return "warning";
    case severity::note:
      return "note";
  }
  return "error";
}

std::string format_headline(const diagnostic& d) {
  std::string where = d.source;
  if (d.line > 0) {
    where += fmt::format(":{}", d.line);
    if (d.column > 0) where += fmt::format(":{}", d.column);
  }
  return fmt::format("{}: {}[{}]: {}", where, to_string(d.level), d.code, d.message);
}

std::string render(const diagnostic& d) {
  std::string out = format_headline(d);
  out += '\n';
  if (d.line == 0 || d.column == 0) return out;
  const std::string number = fmt::format("{}", d.line);
  const std::string gutter(std::max<std::size_t>(number.size(), 4), ' ');
  out += fmt::format("{:>{}} | {}\n", number, gutter.size(), d.line_text);
  out += fmt::format("{} | {}\n", gutter, caret_line(d.line_text, d.column, d.length));
  return out;
}

std::string render(std::span<const diagnostic> ds) {
  std::string out;
  for (const diagnostic& d : ds) out += render(d);
  return out;
}

bool has_errors(std::span<const diagnostic> ds) noexcept {
  return std::any_of(ds.begin(), ds.end(),
                     [](const diagnostic& d) { return d.level == severity::error; });
}

std::span<const diagnostic_info> diagnostic_catalog() noexcept {
  return catalog;
}

namespace internal {

const diagnostic_info& info(diag id) noexcept {
  return catalog[static_cast<std::size_t>(id)];
}

}  // namespace internal

}  // namespace loyalty
