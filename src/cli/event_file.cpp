// Event files: JSON Lines and CSV readers, and the typing of raw events against a program.
#include "cli/event_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include "loyalty/format.hpp"

namespace loyalty::cli {

void raw_event::clear() noexcept {
  id = type = customer = at = original = lines_name = {};
  fields.clear();
  line_begin.clear();
  line_fields.clear();
  returned.clear();
  source_line = 0;
  storage.clear();
}

event_format format_of(std::string_view path) noexcept {
  return path.size() >= 4 && path.substr(path.size() - 4) == ".csv" ? event_format::csv
                                                                    : event_format::jsonl;
}

namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Appends the UTF-8 encoding of `cp` to `out`.
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// ---- JSON ---------------------------------------------------------------------------------

// A JSON reader for one event object: scalars keep their text (numbers are never converted to
// binary floating point), strings are unescaped into raw_event::storage.
class json_reader {
 public:
  json_reader(std::string_view text, raw_event& out, std::string& error)
      : s_(text), out_(out), error_(error) {}

  bool event() {
    ws();
    if (!expect('{')) return false;
    ws();
    if (peek() == '}') return fail("an event needs at least id, type, customer and at");
    for (;;) {
      ws();
      std::string_view key;
      if (!string(key)) return false;
      ws();
      if (!expect(':')) return false;
      ws();
      if (!member(key)) return false;
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (!expect('}')) return false;
      break;
    }
    ws();
    if (i_ != s_.size()) return fail("text after the end of the event object");
    return true;
  }

 private:
  char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
  void ws() noexcept {
    // Line breaks only occur inside one object in a file given whole (loyalty explain EVENT);
    // JSON Lines are split at line breaks first.
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) {
      ++i_;
    }
  }
  bool fail(std::string_view what) {
    error_ = fmt::format("column {}: {}", i_ + 1, what);
    return false;
  }
  bool expect(char c) {
    if (peek() == c) {
      ++i_;
      return true;
    }
    if (i_ >= s_.size()) return fail(fmt::format("expected '{}', found the end of the line", c));
    return fail(fmt::format("expected '{}'", c));
  }

  bool hex4(std::uint32_t& cp) {
    if (i_ + 4 > s_.size()) return fail("a \\u escape needs four hex digits");
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') {
        cp |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        cp |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        cp |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return fail("a \\u escape needs four hex digits");
      }
    }
    return true;
  }

  bool escape(std::string& buf) {
    const char c = s_[i_++];
    switch (c) {
      case '"':
        buf += '"';
        return true;
      case '\\':
        buf += '\\';
        return true;
      case '/':
        buf += '/';
        return true;
      case 'b':
        buf += '\b';
        return true;
      case 'f':
        buf += '\f';
        return true;
      case 'n':
        buf += '\n';
        return true;
      case 'r':
        buf += '\r';
        return true;
      case 't':
        buf += '\t';
        return true;
      case 'u': {
        std::uint32_t cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
          std::uint32_t low = 0;
          if (s_.substr(i_, 2) != "\\u") return fail("a lone UTF-16 surrogate in a \\u escape");
          i_ += 2;
          if (!hex4(low)) return false;
          if (low < 0xDC00 || low > 0xDFFF) return fail("a lone UTF-16 surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return fail("a lone UTF-16 surrogate in a \\u escape");
        }
        append_utf8(buf, cp);
        return true;
      }
      default:
        --i_;
        return fail("an unknown escape in a string");
    }
  }

  bool string(std::string_view& v) {
    if (!expect('"')) return false;
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) return fail("a control character in a string");
      ++i_;
    }
    if (i_ >= s_.size()) return fail("a string without its closing quote");
    if (s_[i_] == '"') {
      v = s_.substr(start, i_ - start);
      ++i_;
      return true;
    }
    // Escapes: unescape into storage (reserved to the record's size, so views stay valid).
    std::string& buf = out_.storage;
    const std::size_t first = buf.size();
    buf.append(s_.substr(start, i_ - start));
    while (i_ < s_.size() && s_[i_] != '"') {
      const char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) break;
        if (!escape(buf)) return false;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return fail("a control character in a string");
      } else {
        buf += c;
      }
    }
    if (i_ >= s_.size()) return fail("a string without its closing quote");
    ++i_;
    v = std::string_view(buf).substr(first);
    return true;
  }

  bool scalar(raw_field& f) {
    const char c = peek();
    if (c == '"') {
      f.quoted = true;
      return string(f.text);
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
           s_[i_] != '\t' && s_[i_] != '\r' && s_[i_] != '\n') {
      ++i_;
    }
    f.text = s_.substr(start, i_ - start);
    if (f.text == "null") {
      f.null = true;
      f.text = {};
      return true;
    }
    if (f.text == "true" || f.text == "false") return true;
    if (f.text.empty())
      return fail(c == '\0' ? "a value is missing at the end of the line" : "expected a value");
    if (!(f.text[0] == '-' || (f.text[0] >= '0' && f.text[0] <= '9'))) {
      i_ = start;
      return fail("expected a value: a string, a number, true, false, null or a list");
    }
    return true;
  }

  // A list of objects with scalar values: an order's lines.
  bool lines(std::string_view key) {
    if (!out_.lines_name.empty()) return fail("an event may have only one list of lines");
    out_.lines_name = key;
    ++i_;  // [
    ws();
    if (peek() == ']') {
      ++i_;
      out_.line_begin.push_back(0);
      return true;
    }
    for (;;) {
      ws();
      out_.line_begin.push_back(static_cast<std::uint32_t>(out_.line_fields.size()));
      if (!expect('{')) return false;
      ws();
      while (peek() != '}') {
        raw_field f;
        if (!string(f.name)) return false;
        ws();
        if (!expect(':')) return false;
        ws();
        if (peek() == '[' || peek() == '{') return fail("a line's values must be plain values");
        if (!scalar(f)) return false;
        out_.line_fields.push_back(f);
        ws();
        if (peek() == ',') {
          ++i_;
          ws();
        } else if (peek() != '}') {
          return expect('}');
        }
      }
      ++i_;
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (!expect(']')) return false;
      break;
    }
    out_.line_begin.push_back(static_cast<std::uint32_t>(out_.line_fields.size()));
    return true;
  }

  // "returned": [{"line": 0, "qty": 1}, ...]
  bool returned() {
    ++i_;  // [
    ws();
    if (peek() == ']') {
      ++i_;
      return true;
    }
    for (;;) {
      ws();
      if (!expect('{')) return false;
      raw_event::returned_line r{-1, -1};
      ws();
      while (peek() != '}') {
        std::string_view key;
        raw_field f;
        if (!string(key)) return false;
        ws();
        if (!expect(':')) return false;
        ws();
        if (!scalar(f)) return false;
        std::int64_t n = 0;
        if (!parse_int(f.text, n)) {
          return fail(fmt::format("returned '{}' must be a whole number", key));
        }
        if (key == "line") {
          r.line = n;
        } else if (key == "qty" || key == "quantity") {
          r.quantity = n;
        } else {
          return fail(fmt::format("a returned line has 'line' and 'qty', not '{}'", key));
        }
        ws();
        if (peek() == ',') {
          ++i_;
          ws();
        } else if (peek() != '}') {
          return expect('}');
        }
      }
      ++i_;
      if (r.line < 0 || r.quantity < 0) return fail("a returned line needs 'line' and 'qty'");
      out_.returned.push_back(r);
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      return expect(']');
    }
  }

  bool member(std::string_view key) {
    if (peek() == '[') return key == "returned" ? returned() : lines(key);
    if (peek() == '{') return fail(fmt::format("'{}': nested objects are not event fields", key));
    raw_field f;
    f.name = key;
    if (!scalar(f)) return false;
    if (key == "id") {
      out_.id = f.text;
    } else if (key == "type") {
      out_.type = f.text;
    } else if (key == "customer") {
      out_.customer = f.text;
    } else if (key == "at") {
      out_.at = f.text;
    } else if (key == "original") {
      out_.original = f.text;
    } else {
      out_.fields.push_back(f);
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  raw_event& out_;
  std::string& error_;
};

// ---- CSV ----------------------------------------------------------------------------------

// The end of the row starting at `pos` (the position of its '\n', or text.size()); quoted
// cells may contain line breaks.
std::size_t row_end(std::string_view text, std::size_t pos, std::size_t& newlines) {
  bool quoted = false;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\n') {
      if (!quoted) return i;
      ++newlines;
    }
  }
  return text.size();
}

// Splits one row into cells; quoted cells with "" are unescaped into `storage`.
bool split_row(std::string_view row, std::vector<std::string_view>& cells, std::string& storage,
               std::string& error) {
  cells.clear();
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  std::size_t i = 0;
  for (;;) {
    if (i < row.size() && row[i] == '"') {
      ++i;
      const std::size_t first = storage.size();
      bool simple = true;
      std::size_t start = i;
      for (;;) {
        if (i >= row.size()) {
          error = "a quoted cell without its closing quote";
          return false;
        }
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            if (simple) storage.append(row.substr(start, i - start));
            simple = false;
            storage += '"';
            i += 2;
            continue;
          }
          break;
        }
        if (!simple) storage += row[i];
        ++i;
      }
      cells.push_back(simple ? row.substr(start, i - start)
                             : std::string_view(storage).substr(first));
      ++i;  // closing quote
      if (i < row.size() && row[i] != ',') {
        error = "text after a quoted cell's closing quote";
        return false;
      }
    } else {
      const std::size_t comma = row.find(',', i);
      const std::size_t end = comma == std::string_view::npos ? row.size() : comma;
      cells.push_back(row.substr(i, end - i));
      i = end;
    }
    if (i >= row.size()) return true;
    ++i;  // ','
  }
}

enum class column_role : std::uint8_t {
  id,
  type,
  customer,
  at,
  original,
  field,
  line,
  ret_line,
  ret_qty
};

column_role role_of(std::string_view name) {
  if (name == "id") return column_role::id;
  if (name == "type") return column_role::type;
  if (name == "customer") return column_role::customer;
  if (name == "at") return column_role::at;
  if (name == "original") return column_role::original;
  if (name == "returned.line") return column_role::ret_line;
  if (name == "returned.qty") return column_role::ret_qty;
  if (name.starts_with("line.")) return column_role::line;
  return column_role::field;
}

std::uint32_t customer_hash(std::string_view customer) noexcept {
  return customer.empty() ? 0 : static_cast<std::uint32_t>(event_id(customer).low);
}

int column_index(const std::vector<std::string>& columns, std::string_view name) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

// ---- event_source -------------------------------------------------------------------------

event_source::event_source(std::string text, event_format format, std::string path)
    : text_(std::move(text)), format_(format), path_(std::move(path)) {}

namespace {

/// JSON Lines from byte `pos` to `stop` (a line start and a line end or the text's end), the
/// first of them line `line`: their events, in file order. False with the line and the reason of
/// the first malformed one.
bool index_json_lines(std::string_view text, std::size_t pos, std::size_t stop, std::uint32_t line,
                      time_zone zone, std::vector<event_ref>& refs, std::uint32_t& bad_line,
                      std::string& why) {
  raw_event scratch;
  while (pos < stop) {
    const std::size_t end = text.find('\n', pos);
    const std::size_t row_end = end == std::string_view::npos || end > stop ? stop : end;
    const std::string_view row = text.substr(pos, row_end - pos);
    const std::uint32_t row_line = line++;
    const std::size_t row_pos = pos;
    pos = row_end + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    scratch.clear();
    scratch.storage.reserve(row.size());
    json_reader reader(row, scratch, why);
    if (!reader.event()) {
      bad_line = row_line;
      return false;
    }
    const std::optional<timestamp> at = parse_instant(scratch.at, zone);
    refs.push_back(event_ref{at ? *at : timestamp::min(), static_cast<std::uint32_t>(row_pos),
                             static_cast<std::uint32_t>(row.size()), row_line,
                             customer_hash(scratch.customer), !at});
  }
  return true;
}

}  // namespace

bool event_source::index(time_zone zone, std::string& error) {
  refs_.clear();
  const std::string_view text = text_;
  if (text.size() > UINT32_MAX) {
    error = fmt::format("{}: files over 4 GiB are not supported", path_);
    return false;
  }
  if (format_ == event_format::jsonl) {
    // Big files are read in two halves at once (split at a line break); each half's events keep
    // the file's order, and the halves join in order, so the result is the same.
    std::size_t mid = text.size() < (1U << 20) ? text.size() : text.find('\n', text.size() / 2);
    mid = mid == std::string_view::npos ? text.size() : std::min(mid + 1, text.size());
    const auto second_line = static_cast<std::uint32_t>(
        1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(mid), '\n'));
    std::vector<event_ref> second;
    std::uint32_t bad_first = 0;
    std::uint32_t bad_second = 0;
    std::string why_first;
    std::string why_second;
    bool ok_second = true;
    std::thread worker;
    if (mid < text.size()) {
      worker = std::thread([&] {
        ok_second = index_json_lines(text, mid, text.size(), second_line, zone, second, bad_second,
                                     why_second);
      });
    }
    const bool ok_first = index_json_lines(text, 0, mid, 1, zone, refs_, bad_first, why_first);
    if (worker.joinable()) worker.join();
    if (!ok_first || !ok_second) {
      error = ok_first ? fmt::format("{}:{}: {}", path_, bad_second, why_second)
                       : fmt::format("{}:{}: {}", path_, bad_first, why_first);
      return false;
    }
    refs_.insert(refs_.end(), second.begin(), second.end());
    std::stable_sort(refs_.begin(), refs_.end(),
                     [](const event_ref& a, const event_ref& b) { return a.at < b.at; });
    return true;
  }
  std::string why;
  std::size_t pos = 0;
  std::uint32_t line = 1;
  std::vector<std::string_view> cells;
  std::size_t id_col = 0;
  std::size_t at_col = 0;
  std::size_t customer_col = 0;
  {  // CSV: the header first
    std::size_t extra = 0;
    const std::size_t end = row_end(text, 0, extra);
    std::string storage;
    if (text.empty() || !split_row(text.substr(0, end), cells, storage, why)) {
      error = fmt::format("{}:1: {}", path_, text.empty() ? "the file is empty" : why);
      return false;
    }
    columns_.assign(cells.begin(), cells.end());
    id_col = static_cast<std::size_t>(std::max(column_index(columns_, "id"), 0));
    at_col = static_cast<std::size_t>(std::max(column_index(columns_, "at"), 0));
    customer_col = static_cast<std::size_t>(std::max(column_index(columns_, "customer"), 0));
    for (const char* required : {"id", "type", "customer", "at"}) {
      if (column_index(columns_, required) < 0) {
        error = fmt::format("{}:1: the header has no '{}' column", path_, required);
        return false;
      }
    }
    pos = end + 1;
    line += 1 + static_cast<std::uint32_t>(extra);
  }
  std::string storage;
  std::string last_id;
  while (pos < text.size()) {
    std::size_t extra = 0;
    const std::size_t end = row_end(text, pos, extra);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    std::string_view row = text.substr(pos, stop - pos);
    const std::uint32_t row_line = line;
    line += 1 + static_cast<std::uint32_t>(extra);
    const std::size_t row_pos = pos;
    pos = stop + 1;
    if (row.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string_view at_text;
    storage.clear();
    storage.reserve(row.size());
    if (!split_row(row, cells, storage, why)) {
      error = fmt::format("{}:{}: {}", path_, row_line, why);
      return false;
    }
    if (cells.size() != columns_.size()) {
      error = fmt::format("{}:{}: {} cells, but the header has {} columns", path_, row_line,
                          cells.size(), columns_.size());
      return false;
    }
    // A row with the id of the previous event continues it (another line).
    if (!refs_.empty() && cells[id_col] == last_id) {
      refs_.back().length = static_cast<std::uint32_t>(stop - refs_.back().offset);
      continue;
    }
    last_id.assign(cells[id_col]);
    at_text = cells[at_col];
    refs_.push_back(event_ref{{},
                              static_cast<std::uint32_t>(row_pos),
                              static_cast<std::uint32_t>(row.size()),
                              row_line,
                              customer_hash(cells[customer_col]),
                              false});
    const std::optional<timestamp> at = parse_instant(at_text, zone);
    refs_.back().bad_at = !at;
    refs_.back().at = at ? *at : timestamp::min();
  }
  std::stable_sort(refs_.begin(), refs_.end(),
                   [](const event_ref& a, const event_ref& b) { return a.at < b.at; });
  return true;
}

bool event_source::parse(const event_ref& r, raw_event& out, std::string& error) const {
  out.clear();
  out.source_line = r.line;
  const std::string_view text = std::string_view(text_).substr(r.offset, r.length);
  out.storage.reserve(text.size());
  std::string why;
  if (format_ == event_format::jsonl) {
    json_reader reader(text, out, why);
    if (!reader.event()) {
      error = fmt::format("{}:{}: {}", path_, r.line, why);
      return false;
    }
    return true;
  }
  std::vector<std::string_view> cells;
  std::size_t pos = 0;
  std::uint32_t line = r.line;
  bool first = true;
  while (pos < text.size()) {
    std::size_t extra = 0;
    const std::size_t end = row_end(text, pos, extra);
    if (!split_row(text.substr(pos, end - pos), cells, out.storage, why)) {
      error = fmt::format("{}:{}: {}", path_, line, why);
      return false;
    }
    pos = end + 1;
    line += 1 + static_cast<std::uint32_t>(extra);
    if (cells.size() != columns_.size()) continue;  // a blank row inside the event
    bool has_line = false;
    raw_event::returned_line ret{-1, 1};
    const std::uint32_t line_start = static_cast<std::uint32_t>(out.line_fields.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string_view name = columns_[c];
      const std::string_view cell = cells[c];
      switch (role_of(name)) {
        case column_role::id:
          if (first) out.id = cell;
          break;
        case column_role::type:
          if (first) out.type = cell;
          break;
        case column_role::customer:
          if (first) out.customer = cell;
          break;
        case column_role::at:
          if (first) out.at = cell;
          break;
        case column_role::original:
          if (first) out.original = cell;
          break;
        case column_role::field:
          if (first && !cell.empty()) out.fields.push_back(raw_field{name, cell, false, false});
          break;
        case column_role::line:
          if (!cell.empty()) has_line = true;
          out.line_fields.push_back(raw_field{name.substr(5), cell, false, cell.empty()});
          break;
        case column_role::ret_line:
          if (!cell.empty() && !parse_int(cell, ret.line)) {
            error = fmt::format("{}:{}: returned.line '{}' must be a whole number", path_, line - 1,
                                cell);
            return false;
          }
          break;
        case column_role::ret_qty:
          if (!cell.empty() && !parse_int(cell, ret.quantity)) {
            error = fmt::format("{}:{}: returned.qty '{}' must be a whole number", path_, line - 1,
                                cell);
            return false;
          }
          break;
      }
    }
    if (has_line) {
      if (out.line_begin.empty()) out.lines_name = "lines";
      out.line_begin.push_back(line_start);
    } else {
      out.line_fields.resize(line_start);
    }
    if (ret.line >= 0) out.returned.push_back(ret);
    first = false;
  }
  if (!out.line_begin.empty()) {
    out.line_begin.push_back(static_cast<std::uint32_t>(out.line_fields.size()));
    out.lines_name = {};  // the builder takes the type's own lines field
  }
  return true;
}

bool parse_json_event(std::string_view text, raw_event& out, std::string& error) {
  out.clear();
  out.storage.reserve(text.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  json_reader reader(text, out, error);
  return reader.event();
}

// ---- instants -----------------------------------------------------------------------------

std::optional<timestamp> parse_instant(std::string_view text, time_zone zone) noexcept {
  if (auto t = parse_timestamp(text)) return t;
  if (text.size() == 10) {
    if (auto d = parse_date(text)) return start_of_day(*d, zone);
    return std::nullopt;
  }
  // A local time: YYYY-MM-DD[T ]HH:MM[:SS]
  if (text.size() != 16 && text.size() != 19) return std::nullopt;
  if (text[10] != 'T' && text[10] != ' ') return std::nullopt;
  const auto d = parse_date(text.substr(0, 10));
  if (!d) return std::nullopt;
  auto two = [&](std::size_t at, int max, std::int64_t& v) {
    const char a = text[at];
    const char b = text[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return false;
    v = (a - '0') * 10 + (b - '0');
    return v <= max;
  };
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  if (!two(11, 23, h) || text[13] != ':' || !two(14, 59, m)) return std::nullopt;
  if (text.size() == 19 && (text[16] != ':' || !two(17, 59, s))) return std::nullopt;
  return local_instant(*d, duration::seconds(h * 3600 + m * 60 + s), zone);
}

// ---- event_builder ------------------------------------------------------------------------

struct event_builder::type_info {
  struct field {
    std::string name;  // "net", "customer.tier"
    std::uint32_t slot = 0;
    field_type type;
  };
  std::vector<field> fields;
  std::string lines_name;
  const record_type* record = nullptr;
};

event_builder::event_builder(const program& p)
    : program_(p), events_(p.event_types().size()), types_(p.event_types().size()) {}

event_builder::~event_builder() = default;

id128 event_builder::customer_id(std::string_view customer) noexcept {
  return event_id(customer);
}

namespace {

std::string describe(const field_type& t) {
  switch (t.kind) {
    case value_kind::decimal:
      return fmt::format("decimal({})", t.scale);
    case value_kind::enumeration:
      return fmt::format("one of the enum '{}'", t.type_name);
    case value_kind::boolean:
      return "true or false";
    case value_kind::integer:
      return "a whole number";
    case value_kind::date:
      return "a date (YYYY-MM-DD)";
    case value_kind::timestamp:
      return "an instant (2026-11-28T14:30:00+01:00)";
    case value_kind::duration:
      return "a duration (14d, 2h30m)";
    default:
      return std::string(to_string(t.kind));
  }
}

// `f` as a value of type `t`; false with `why` when it does not read as one.
bool to_value(const program& p, const field_type& t, const raw_field& f, value& v,
              std::string& why) {
  if (f.null) {
    v = value();
    return true;
  }
  const std::string_view s = f.text;
  switch (t.kind) {
    case value_kind::boolean:
      if (s == "true" || s == "false") {
        v = value::of_bool(s == "true");
        return true;
      }
      break;
    case value_kind::integer: {
      std::int64_t n = 0;
      if (parse_int(s, n)) {
        v = value::of_int(n);
        return true;
      }
      break;
    }
    case value_kind::decimal: {
      const decimal_result d = decimal::parse(s);
      if (d.ok()) {
        v = value::of_decimal(d.value);
        return true;
      }
      break;
    }
    case value_kind::string:
      v = value::of_string(s);
      return true;
    case value_kind::enumeration: {
      const int code = p.schema().enum_code(t.enum_index, s);
      if (code >= 0) {
        v = value::of_enum(code);
        return true;
      }
      break;
    }
    case value_kind::date:
      if (auto d = parse_date(s)) {
        v = value::of_date(*d);
        return true;
      }
      break;
    case value_kind::timestamp:
      if (auto at = parse_instant(s, p.zone())) {
        v = value::of_timestamp(*at);
        return true;
      }
      break;
    case value_kind::duration:
      if (auto d = parse_duration(s)) {
        v = value::of_duration(*d);
        return true;
      }
      break;
    default:
      break;
  }
  why = fmt::format("'{}' is not {}", s, describe(t));
  return false;
}

}  // namespace

bool event_builder::build(const raw_event& raw, kind& what, redeem_request& redeem,
                          std::string& error) {
  if (raw.id.empty()) return (error = "the event has no 'id'"), false;
  if (raw.type.empty()) return (error = "the event has no 'type'"), false;
  if (raw.customer.empty()) return (error = "the event has no 'customer'"), false;
  const std::optional<timestamp> at = parse_instant(raw.at, program_.zone());
  if (!at) {
    error = raw.at.empty()
                ? "the event has no 'at'"
                : fmt::format("'at': '{}' is not an instant (2026-11-28T14:30:00+01:00)", raw.at);
    return false;
  }
  at_ = *at;
  if (raw.type == redeem_type) {
    what = kind::redeem;
    return build_redeem(raw, redeem, error);
  }
  const std::uint16_t type = program_.find_event_type(raw.type);
  if (type == no_index || program_.event_types()[type].synthetic) {
    error = fmt::format("unknown event type '{}'", raw.type);
    return false;
  }
  what = kind::program_event;
  const type_info& info = info_of(type);
  if (!events_[type]) events_[type].emplace(program_, type);
  loyalty::event& ev = *events_[type];
  current_ = &ev;
  ev.reset(event_id(raw.id), at_);
  std::string why;
  for (const raw_field& f : raw.fields) {
    const type_info::field* decl = nullptr;
    for (const type_info::field& d : info.fields) {
      if (d.name == f.name) decl = &d;
    }
    if (decl == nullptr) {
      error = fmt::format("'{}' has no field '{}'", raw.type, f.name);
      return false;
    }
    value v;
    if (!to_value(program_, decl->type, f, v, why)) {
      error = fmt::format("field '{}': {}", f.name, why);
      return false;
    }
    if (decl->type.kind == value_kind::list || !ev.set(decl->slot, v)) {
      error = fmt::format("field '{}': '{}' does not fit {}", f.name, f.text, describe(decl->type));
      return false;
    }
  }
  if (raw.lines() > 0 || !raw.line_begin.empty()) {
    if (!build_lines(raw, info, ev, error)) return false;
  }
  const event_type& t = program_.event_types()[type];
  if (!raw.original.empty()) {
    if (t.refers_to == no_index) {
      error = fmt::format("'{}' names no earlier event: 'original' does not apply", raw.type);
      return false;
    }
    ev.set_original(event_id(raw.original));
  } else if (t.refers_to != no_index) {
    error = fmt::format("'{}' needs 'original': the id of the event it refers to", raw.type);
    return false;
  }
  if (!raw.returned.empty() && t.returns == no_index) {
    error = fmt::format("'{}' returns nothing: 'returned' does not apply", raw.type);
    return false;
  }
  for (const raw_event::returned_line& r : raw.returned) {
    if (r.line > UINT32_MAX || r.quantity <= 0) {
      error = fmt::format("returned line {} quantity {}: the quantity must be positive", r.line,
                          r.quantity);
      return false;
    }
    ev.add_returned_line(static_cast<std::uint32_t>(r.line), r.quantity);
  }
  return true;
}

bool event_builder::build_lines(const raw_event& raw, const type_info& info, loyalty::event& ev,
                                std::string& error) {
  if (info.record == nullptr) {
    error = fmt::format("'{}' has no lines", raw.type);
    return false;
  }
  if (!raw.lines_name.empty() && raw.lines_name != info.lines_name) {
    error = fmt::format("'{}' has no list '{}': its lines are '{}'", raw.type, raw.lines_name,
                        info.lines_name);
    return false;
  }
  const auto& fields = info.record->fields;
  const std::size_t width = fields.size();
  cells_.assign(raw.lines() * width, value());
  std::string why;
  for (std::size_t i = 0; i < raw.lines(); ++i) {
    for (std::uint32_t k = raw.line_begin[i]; k < raw.line_begin[i + 1]; ++k) {
      const raw_field& f = raw.line_fields[k];
      std::size_t c = 0;
      while (c < width && fields[c].first != f.name) ++c;
      if (c == width) {
        error = fmt::format("line {}: the line record '{}' has no field '{}'", i + 1,
                            info.record->name, f.name);
        return false;
      }
      if (!to_value(program_, fields[c].second, f, cells_[i * width + c], why)) {
        error = fmt::format("line {}, field '{}': {}", i + 1, f.name, why);
        return false;
      }
    }
  }
  const value list = value::of_list(cells_.data(), static_cast<std::uint32_t>(raw.lines()),
                                    static_cast<std::uint8_t>(width));
  if (!ev.set(program_.event_types()[ev.type()].lines_slot, list)) {
    error = fmt::format(
        "'{}': a line has a missing or ill-fitting value (a decimal with too many "
        "places, or a required field left out)",
        info.lines_name);
    return false;
  }
  return true;
}

bool event_builder::build_redeem(const raw_event& raw, redeem_request& redeem, std::string& error) {
  const raw_field* type = nullptr;
  const raw_field* amount = nullptr;
  for (const raw_field& f : raw.fields) {
    if (f.name == "point_type") {
      type = &f;
    } else if (f.name == "amount") {
      amount = &f;
    } else {
      error = fmt::format("'{}' has 'point_type' and 'amount', not '{}'", redeem_type, f.name);
      return false;
    }
  }
  if (type == nullptr || amount == nullptr) {
    error = fmt::format("'{}' needs 'point_type' and 'amount'", redeem_type);
    return false;
  }
  const point_type* pt = program_.find_point_type(type->text);
  if (pt == nullptr) {
    error = fmt::format("unknown point type '{}'", type->text);
    return false;
  }
  const decimal_result d = decimal::parse(amount->text);
  // Exact: an amount with more places than the point type keeps is refused, never rounded.
  const bool exact = d.ok() && d.value.scale() <= pt->scale;
  const decimal_result at_scale = exact ? d.value.rescale(pt->scale, rounding_mode::down) : d;
  if (!exact || !at_scale.ok() || at_scale.value.units() <= 0) {
    error = fmt::format("'amount': '{}' is not a positive amount of '{}' (scale {})", amount->text,
                        pt->id, pt->scale);
    return false;
  }
  redeem.point_type = static_cast<std::uint16_t>(pt - program_.point_types().data());
  redeem.amount = at_scale.value;
  return true;
}

const event_builder::type_info& event_builder::info_of(std::uint16_t type) {
  std::unique_ptr<type_info>& slot = types_[type];
  if (slot) return *slot;
  slot = std::make_unique<type_info>();
  const event_type& t = program_.event_types()[type];
  for (const field_decl& f : t.schema.fields()) {
    std::string_view path = f.path;
    if (f.slot == t.at_slot) continue;
    if (path.starts_with("event.")) {
      path.remove_prefix(6);
    } else if (!path.starts_with("customer.")) {
      continue;
    }
    slot->fields.push_back(type_info::field{std::string(path), f.slot, f.type});
    if (f.slot == t.lines_slot) {
      slot->lines_name = std::string(path);
      slot->record = t.line_record;
    }
  }
  return *slot;
}

bool set_profile_text(const program& p, member& m, std::string_view field, std::string_view text,
                      std::string& error) {
  const std::string path =
      field.starts_with("customer.") ? std::string(field) : fmt::format("customer.{}", field);
  for (const program::profile_field& f : p.profile_fields()) {
    if (f.path != path) continue;
    value v;
    std::string why;
    raw_field raw{path, text, true, false};
    if (!to_value(p, f.type, raw, v, why) || !m.set_profile(p, path, v)) {
      error = fmt::format("'{}': {}", path, why.empty() ? "does not fit" : why);
      return false;
    }
    return true;
  }
  error = fmt::format("the program has no customer field '{}'", path);
  return false;
}

}  // namespace loyalty::cli
