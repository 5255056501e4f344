#include "cli/program_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "cli/cli.hpp"

namespace loyalty::cli {

std::shared_ptr<const program> load_program_file(const std::string& path) {
  const load_options options;
  std::string text;
  std::string error;
  if (read_file(path, options.limits.max_source_bytes, text, error) != read_status::ok) {
    fmt::print(stderr, "loyalty: cannot read program '{}': {}\n", path, error);
    return nullptr;
  }
  load_result loaded = load_program(text, path, options);
  fmt::print(stderr, "{}", render(loaded.diagnostics));
  if (!loaded.ok()) {
    fmt::print(stderr, "loyalty: '{}' does not load; 'loyalty check {}' lists its problems\n", path,
               path);
    return nullptr;
  }
  return std::move(loaded.program);
}

std::unique_ptr<event_source> load_event_file(const std::string& path, const program& p) {
  constexpr std::size_t max_event_file_bytes = std::size_t{4} << 30;  // event_ref offsets: 32 bits
  std::string text;
  std::string error;
  if (read_file(path, max_event_file_bytes - 1, text, error) != read_status::ok) {
    fmt::print(stderr, "loyalty: cannot read events '{}': {}\n", path, error);
    return nullptr;
  }
  auto source = std::make_unique<event_source>(std::move(text), format_of(path), path);
  if (!source->index(p.zone(), error)) {
    fmt::print(stderr, "loyalty: {}\n", error);
    return nullptr;
  }
  return source;
}

bool write_file(const std::string& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    fmt::print(stderr, "loyalty: cannot write '{}'\n", path);
    return false;
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) fmt::print(stderr, "loyalty: cannot write '{}'\n", path);
  return ok && closed;
}

std::string grouped(std::int64_t n) {
  std::string digits = fmt::format("{}", n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string grouped(decimal d) {
  const std::string text = d.to_string();
  const std::size_t sign = text[0] == '-' ? 1 : 0;
  const std::size_t point = std::min(text.find('.'), text.size());
  std::string out = text.substr(0, sign);
  for (std::size_t i = sign; i < point; ++i) {
    if (i > sign && (point - i) % 3 == 0) out += ',';
    out += text[i];
  }
  out += text.substr(point);
  return out;
}

}  // namespace loyalty::cli
