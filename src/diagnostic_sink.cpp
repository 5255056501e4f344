#include "diagnostic_sink.hpp"

#include "text_util.hpp"

namespace loyalty::internal {

namespace {

// The echoed source line must be safe to print: bytes of ill-formed UTF-8 and control characters
// (other than tab) become '?', one for one, so the caret stays under the right byte.
std::string safe_line(std::string_view line) {
  std::string out(line);
  for (std::size_t i = 0; i < out.size();) {
    const std::size_t bad = find_invalid_utf8(std::string_view(out).substr(i));
    if (bad == std::string_view::npos) break;
    out[i + bad] = '?';
    i += bad + 1;
  }
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) c = '?';
  }
  return out;
}

}  // namespace

std::string_view diagnostic_sink::line_text(std::uint32_t line) {
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < source_text_.size(); ++i) {
      if (source_text_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  if (line == 0 || line > line_starts_.size()) return {};
  const std::size_t start = line_starts_[line - 1];
  std::size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : source_text_.size();
  if (end > start && source_text_[end - 1] == '\r') --end;
  return source_text_.substr(start, end - start);
}

void diagnostic_sink::report(diag id, source_span where, std::string message) {
  const diagnostic_info& i = info(id);
  diagnostic d;
  d.code = std::string(i.code);
  d.level = i.level;
  d.source = std::string(source_name_);
  d.line = where.line;
  d.column = where.column;
  d.length = where.length == 0 ? 1 : where.length;
  d.message = std::move(message);
  d.line_text = safe_line(line_text(where.line));
  if (d.level == severity::error) ++errors_;
  out_.push_back(std::move(d));
}

}  // namespace loyalty::internal
