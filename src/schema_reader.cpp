#include "schema_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "text_util.hpp"

namespace loyalty::internal {

namespace {

bool is_id(std::string_view s) {
  if (s.empty() || s.size() > max_id_bytes || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string quoted_list(std::span<const std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    if (i == 0 && names.size() > 1) out += "one of ";
    out += fmt::format("'{}'", names[i]);
  }
  return out;
}

}  // namespace

bool schema_reader::expect(const raw_node& node, node_kind kind, std::string_view what) {
  if (node.kind == kind) return true;
  if (node.is_null()) {
    sink_.report(diag::empty_value, node.span, fmt::format("{} needs a value", what));
    return false;
  }
  sink_.report(diag::wrong_kind, node.span,
               fmt::format("{} must be {}, not {}", what, describe(kind), describe(node.kind)));
  return false;
}

std::optional<std::string> schema_reader::text(const raw_node* node, std::string_view what) {
  if (node == nullptr || !expect(*node, node_kind::scalar, what)) return std::nullopt;
  if (node->text.empty()) {
    sink_.report(diag::empty_value, node->span, fmt::format("{} must not be empty", what));
    return std::nullopt;
  }
  return node->text;
}

std::optional<std::string> schema_reader::id(const raw_node* node, std::string_view what) {
  std::optional<std::string> s = text(node, what);
  if (!s) return std::nullopt;
  if (!is_id(*s)) {
    sink_.report(diag::invalid_id, node->span,
                 fmt::format("{} '{}' is not a valid id: use lower-case letters, digits and '_', "
                             "starting with a letter, at most {} characters",
                             what, printable(*s), max_id_bytes));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> schema_reader::integer(const raw_node* node, std::string_view what,
                                                   std::int64_t min, std::int64_t max) {
  if (node == nullptr || !expect(*node, node_kind::scalar, what)) return std::nullopt;
  const std::string& s = node->text;
  std::int64_t value = 0;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (!node->plain || s.empty() || ec != std::errc() || end != last || value < min || value > max) {
    sink_.report(diag::invalid_integer, node->span,
                 fmt::format("{} must be a whole number from {} to {}, not '{}'", what, min, max,
                             printable(s)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> schema_reader::choice_index(const raw_node* node, std::string_view what,
                                                       std::span<const std::string_view> names) {
  if (node == nullptr || !expect(*node, node_kind::scalar, what)) return std::nullopt;
  const auto it = std::find(names.begin(), names.end(), std::string_view(node->text));
  if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
  sink_.report(diag::invalid_choice, node->span,
               fmt::format("{} must be {}, not '{}'{}", what, quoted_list(names),
                           printable(node->text), did_you_mean(closest_match(node->text, names))));
  return std::nullopt;
}

map_reader::map_reader(schema_reader& reader, const raw_node& node, std::string_view what)
    : reader_(reader), node_(node), what_(what) {
  valid_ = reader_.expect(node, node_kind::mapping, what_);
  if (valid_) used_.assign(node.size(), false);
}

const raw_node* map_reader::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
  if (!valid_) return nullptr;
  const raw_node* value = find_value(node_, key);
  // Keys are unique (the reader drops repeats), so the value's index identifies the entry.
  if (value != nullptr) used_[static_cast<std::size_t>(value - node_.children.data()) / 2] = true;
  return value;
}

const raw_node* map_reader::required(std::string_view key) {
  const raw_node* value = find(key);
  if (valid_ && value == nullptr) {
    reader_.sink().report(diag::missing_key, node_.span,
                          fmt::format("{} needs the key '{}'", what_, key));
  }
  return value;
}

const raw_node* map_reader::optional(std::string_view key) {
  const raw_node* value = find(key);
  return value != nullptr && value->is_null() ? nullptr : value;
}

void map_reader::finish() {
  if (!valid_) return;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    if (used_[i]) continue;
    const raw_node& key = node_.key(i);
    const std::string_view suggestion = closest_match(key.text, known_);
    reader_.sink().report(
        diag::unknown_key, key.span,
        fmt::format("unknown key '{}' in {}{}", printable(key.text), what_,
                    suggestion.empty() ? fmt::format("; expected {}", quoted_list(known_))
                                       : did_you_mean(suggestion)));
  }
}

std::size_t bounded_size(schema_reader& reader, const raw_node& node, std::size_t max_items,
                         std::string_view what) {
  if (node.size() <= max_items) return node.size();
  const bool mapping = node.is_mapping();
  reader.sink().report(diag::too_many_items,
                       mapping ? node.key(max_items).span : node.children[max_items].span,
                       fmt::format("{} has {} {}; the limit is {}", what, node.size(),
                                   mapping ? "entries" : "items", max_items));
  return max_items;
}

}  // namespace loyalty::internal
