// The loader's view of a YAML document: a plain tree with positions, free of yaml-cpp types.
// Produced by read_yaml() (load phase), consumed by the checkers (check phase).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostic_sink.hpp"
#include "loyalty/program.hpp"

namespace loyalty::internal {

enum class node_kind : std::uint8_t { null, scalar, sequence, mapping };

/// "nothing", "text", "a list", "a mapping": for messages.
std::string_view describe(node_kind kind) noexcept;

struct raw_node {
  node_kind kind = node_kind::null;
  bool plain = true;  ///< a scalar written without quotes, block style or tag
  source_span span;
  std::string text;  ///< scalar text
  /// Sequence items; for a mapping, keys and values alternate (key 0, value 0, key 1, ...).
  /// Keys are always scalars: the reader reports and drops any other key.
  std::vector<raw_node> children;

  bool is_scalar() const noexcept { return kind == node_kind::scalar; }
  bool is_mapping() const noexcept { return kind == node_kind::mapping; }
  bool is_sequence() const noexcept { return kind == node_kind::sequence; }
  bool is_null() const noexcept { return kind == node_kind::null; }

  /// Number of items (sequence) or entries (mapping).
  std::size_t size() const noexcept {
    return kind == node_kind::mapping ? children.size() / 2 : children.size();
  }
  const raw_node& key(std::size_t i) const { return children[2 * i]; }
  const raw_node& value(std::size_t i) const { return children[2 * i + 1]; }
};

/// The value of `key` in a mapping, or nullptr.
const raw_node* find_value(const raw_node& map, std::string_view key) noexcept;

/// Parses `text` as exactly one YAML document. Reports every problem it can to `sink` and returns
/// false when the tree is unusable (syntax error, limits exceeded, no document). Never throws
/// for bad input.
bool read_yaml(std::string_view text, const load_limits& limits, diagnostic_sink& sink,
               raw_node& out);

}  // namespace loyalty::internal
