// Typed reading of a raw YAML tree with diagnostics: the check phase's vocabulary.
//
//   map_reader m(r, root, "the program");
//   auto name = r.text(m.required("name"), "name");
//   if (const raw_node* tz = m.optional("time_zone")) ...
//   m.finish();  // reports unknown keys, with "did you mean"
//
// Every function reports what is wrong and returns nullopt (or nullptr); callers carry on so that
// one pass finds every problem.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "diagnostic_sink.hpp"
#include "loyalty/decimal.hpp"
#include "yaml/raw_node.hpp"

namespace loyalty::internal {

/// Longest id accepted anywhere in a program.
inline constexpr std::size_t max_id_bytes = 64;

class schema_reader {
 public:
  explicit schema_reader(diagnostic_sink& sink) : sink_(sink) {}

  diagnostic_sink& sink() noexcept { return sink_; }

  /// True when `node` is of `kind`; otherwise reports L0101 ("`what` must be ...").
  bool expect(const raw_node& node, node_kind kind, std::string_view what);

  /// Non-empty text. A plain scalar counts as text (`version: 1.2` is the text "1.2").
  std::optional<std::string> text(const raw_node* node, std::string_view what);
  /// An id: lower-case ASCII letter, then letters, digits or '_', at most max_id_bytes.
  std::optional<std::string> id(const raw_node* node, std::string_view what);
  /// A plain base-10 integer in [min, max].
  std::optional<std::int64_t> integer(const raw_node* node, std::string_view what, std::int64_t min,
                                      std::int64_t max);
  /// One of `choices` (by name), with a "did you mean" and the list of choices on error.
  template <typename E>
  std::optional<E> choice(const raw_node* node, std::string_view what,
                          std::span<const std::pair<std::string_view, E>> choices);

 private:
  std::optional<std::size_t> choice_index(const raw_node* node, std::string_view what,
                                          std::span<const std::string_view> names);
  diagnostic_sink& sink_;
};

/// Reads the keys of one mapping; remembers which were asked for and, in finish(), reports the
/// others as unknown. If the node is not a mapping, reports that once and yields nothing.
class map_reader {
 public:
  map_reader(schema_reader& reader, const raw_node& node, std::string_view what);

  /// The value of `key`, or nullptr (and L0103) when missing.
  const raw_node* required(std::string_view key);
  /// The value of `key`, or nullptr when absent. An explicit null counts as absent.
  const raw_node* optional(std::string_view key);
  /// Reports every key that was never asked for (L0102). Call once, after all lookups.
  void finish();

  bool valid() const noexcept { return valid_; }

 private:
  const raw_node* find(std::string_view key);

  schema_reader& reader_;
  const raw_node& node_;
  std::string what_;
  bool valid_;
  std::vector<std::string_view> known_;
  std::vector<bool> used_;
};

/// Reports the items of a list, or the entries of a mapping, beyond `max_items` (L0106);
/// returns how many to read.
std::size_t bounded_size(schema_reader& reader, const raw_node& node, std::size_t max_items,
                         std::string_view what);

/// Choices for schema_reader::choice() named by the enum's own to_string(), so that every name
/// lives in one place: named(std::array{cap_scope::event, cap_scope::customer}).
template <typename E, std::size_t N>
std::array<std::pair<std::string_view, E>, N> named(const std::array<E, N>& values) {
  std::array<std::pair<std::string_view, E>, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = {to_string(values[i]), values[i]};
  return out;
}

template <typename E>
std::optional<E> schema_reader::choice(const raw_node* node, std::string_view what,
                                       std::span<const std::pair<std::string_view, E>> choices) {
  std::vector<std::string_view> names;
  names.reserve(choices.size());
  for (const auto& c : choices) names.push_back(c.first);
  const std::optional<std::size_t> i = choice_index(node, what, names);
  if (!i) return std::nullopt;
  return choices[*i].second;
}

}  // namespace loyalty::internal
