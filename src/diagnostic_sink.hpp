// Collects diagnostics for one source; knows the source text so each one carries its line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostic_codes.hpp"
#include "loyalty/diagnostic.hpp"

namespace loyalty::internal {

/// A place in the source: 1-based line and byte column, and how many bytes it spans.
struct source_span {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t length = 1;
};

class diagnostic_sink {
 public:
  diagnostic_sink(std::string_view source_name, std::string_view source_text,
                  std::vector<diagnostic>& out)
      : source_name_(source_name), source_text_(source_text), out_(out) {}

  /// Reports `id` at `where` with `message`; severity and code come from the catalog.
  void report(diag id, source_span where, std::string message);

  /// Adds a diagnostic made elsewhere (e.g. by the expression compiler) for this source.
  void add(diagnostic d) {
    if (d.level == severity::error) ++errors_;
    out_.push_back(std::move(d));
  }

  std::size_t error_count() const noexcept { return errors_; }
  std::string_view source_name() const noexcept { return source_name_; }
  std::string_view source_text() const noexcept { return source_text_; }

 private:
  std::string_view line_text(std::uint32_t line);

  std::string_view source_name_;
  std::string_view source_text_;
  std::vector<std::size_t> line_starts_;  // built on the first report
  std::vector<diagnostic>& out_;
  std::size_t errors_ = 0;
};

}  // namespace loyalty::internal
