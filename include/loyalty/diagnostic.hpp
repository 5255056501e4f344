// Diagnostics: problems found in a rule file, with a stable code and a 1-based position.
//
// The loader never throws on bad input; it returns every problem it found in one pass. Each
// renders like a compiler message, with the source line and a caret under the offending token:
//
//   shop.yaml:4:1: error[L0102]: unknown key 'point_type' in the program (did you mean
//   'point_types'?)
//      4 | point_type:
//        | ^~~~~~~~~~
//
// Codes are stable: a code keeps its meaning across versions and each has an anchor in
// docs/errors.md. diagnostic_catalog() lists them all.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty {

enum class severity : std::uint8_t { error, warning, note };

std::string_view to_string(severity level) noexcept;

/// One problem found in a source.
struct diagnostic {
  std::string code;  ///< stable code, e.g. "L0102"
  severity level = severity::error;
  std::string source;        ///< the source name given to the loader, e.g. "shop.yaml"
  std::uint32_t line = 0;    ///< 1-based; 0 when the problem has no position (e.g. empty file)
  std::uint32_t column = 0;  ///< 1-based byte column in the line; 0 when unknown
  std::uint32_t length = 1;  ///< number of columns the problem spans (for the underline)
  std::string message;       ///< one sentence, no trailing period
  std::string line_text;     ///< the source line, without its line break; empty when unknown

  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

/// "shop.yaml:4:1: error[L0102]: unknown key 'point_type' ...", no trailing newline.
std::string format_headline(const diagnostic& d);

/// The headline followed by the source line and a caret line, each ending in '\n'. Without a
/// position, only the headline (and '\n').
std::string render(const diagnostic& d);

/// Renders every diagnostic, in order.
std::string render(std::span<const diagnostic> ds);

/// True when any diagnostic is an error.
bool has_errors(std::span<const diagnostic> ds) noexcept;

/// What a diagnostic code means, for documentation and tools.
struct diagnostic_info {
  std::string_view code;   ///< "L0102"
  severity level;          ///< the severity it is always reported with
  std::string_view title;  ///< "unknown key"
};

/// Every code the library can report, sorted by code.
std::span<const diagnostic_info> diagnostic_catalog() noexcept;

}  // namespace loyalty
