// The only translation unit that includes yaml-cpp. It turns yaml-cpp's event stream into a
// raw_node tree, enforcing the load limits as it goes so that hostile input (deep nesting, alias
// bombs, huge scalars) is rejected before it costs time or memory.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <fmt/format.h>

#include <istream>
#include <new>
#include <optional>
#include <streambuf>
#include <unordered_map>

#include "text_util.hpp"
#include "yaml/raw_node.hpp"

namespace loyalty::internal {

std::string_view describe(node_kind kind) noexcept {
  switch (kind) {
    case node_kind::null:
      return "nothing (null)";
    case node_kind::scalar:
      return "text";
    case node_kind::sequence:
      return "a list";
    case node_kind::mapping:
      return "a mapping";
  }
  return "nothing (null)";
}

const raw_node* find_value(const raw_node& map, std::string_view key) noexcept {
  for (std::size_t i = 0; i < map.size() && map.is_mapping(); ++i) {
    if (map.key(i).text == key) return &map.value(i);
  }
  return nullptr;
}

namespace {

constexpr std::string_view tag_plain = "?";   // a plain scalar or untagged collection
constexpr std::string_view tag_quoted = "!";  // a quoted or block scalar
constexpr std::string_view tag_str = "tag:yaml.org,2002:str";
constexpr std::string_view tag_seq = "tag:yaml.org,2002:seq";
constexpr std::string_view tag_map = "tag:yaml.org,2002:map";

/// Thrown from inside the event handler to stop yaml-cpp early; never leaves read_yaml().
struct stop_parsing {};

/// An istream over a string_view, without copying it.
class view_buffer : public std::streambuf {
 public:
  explicit view_buffer(std::string_view text) {
    char* p = const_cast<char*>(text.data());  // read-only use: setg only reads
    setg(p, p, p + text.size());
  }
};

class tree_builder final : public YAML::EventHandler {
 public:
  tree_builder(std::string_view text, const load_limits& limits, diagnostic_sink& sink)
      : text_(text), limits_(limits), sink_(sink) {}

  std::optional<raw_node>& root() { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    raw_node node;
    node.span = is_written_null(mark) ? span_at(mark, 1) : missing_value_span(mark);
    count_nodes(1, node.span);
    complete(std::move(node), anchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    raw_node node;
    node.kind = node_kind::scalar;
    node.plain = tag == tag_plain;
    node.span = span_at(mark, scalar_length(mark, value, node.plain));
    count_nodes(1, node.span);
    check_tag(tag, node.span, tag_str);
    if (value.size() > limits_.max_string_bytes) {
      sink_.report(diag::value_too_long, node.span,
                   fmt::format("text of {} bytes exceeds the limit of {} bytes", value.size(),
                               limits_.max_string_bytes));
    }
    node.text = value;
    complete(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(node_kind::sequence, mark, tag, anchor, tag_seq);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(node_kind::mapping, mark, tag, anchor, tag_map);
  }
  void OnMapEnd() override { close(); }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const source_span where = span_at(mark, 1);
    if (anchor >= anchors_.size() || !anchors_[anchor]) {
      sink_.report(diag::yaml_syntax, where,
                   "YAML syntax error: alias refers to a node that encloses it");
      throw stop_parsing{};
    }
    raw_node copy = *anchors_[anchor];
    count_nodes(subtree_size(copy), where);
    complete(std::move(copy), 0);
  }

 private:
  struct frame {
    raw_node node;
    YAML::anchor_t anchor = 0;
    bool expecting_value = false;  // mappings: a key was read, its value comes next
    bool drop_value = false;       // mappings: the key was not text; drop its value
  };

  source_span span_at(const YAML::Mark& mark, std::uint32_t length) const {
    if (mark.line < 0 || mark.column < 0) return {};
    return {static_cast<std::uint32_t>(mark.line) + 1, static_cast<std::uint32_t>(mark.column) + 1,
            length};
  }

  // `~` or `null` written out, as opposed to a value left empty (`version:`).
  bool is_written_null(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) return false;
    const std::string_view at = text_.substr(static_cast<std::size_t>(mark.pos));
    return at[0] == '~' || at.starts_with("null") || at.starts_with("Null") ||
           at.starts_with("NULL");
  }

  // yaml-cpp places an empty value at the next token, often on the next line; point at the end
  // of its key instead (the ':' of `version:`), where the value is missing.
  source_span missing_value_span(const YAML::Mark& mark) const {
    if (!stack_.empty() && stack_.back().node.is_mapping() && stack_.back().expecting_value &&
        !stack_.back().drop_value) {
      const source_span& key = stack_.back().node.children.back().span;
      return {key.line, key.column + key.length, 1};
    }
    return span_at(mark, 1);
  }

  // Bytes a scalar occupies on its line, for the underline; 1 when it spans lines.
  std::uint32_t scalar_length(const YAML::Mark& mark, const std::string& value, bool plain) const {
    if (mark.pos < 0) return 1;
    const auto pos = static_cast<std::size_t>(mark.pos);
    if (pos >= text_.size()) return 1;
    if (plain) {
      return text_.compare(pos, value.size(), value) == 0 && value.find('\n') == std::string::npos
                 ? static_cast<std::uint32_t>(std::max<std::size_t>(value.size(), 1))
                 : 1;
    }
    const char quote = text_[pos];
    if (quote != '"' && quote != '\'') return 1;
    for (std::size_t i = pos + 1; i < text_.size() && text_[i] != '\n'; ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;  // skip the escaped character
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is an escaped quote inside single quotes
        } else {
          return static_cast<std::uint32_t>(i - pos + 1);
        }
      }
    }
    return 1;
  }

  void check_tag(const std::string& tag, source_span where, std::string_view allowed) {
    if (tag == tag_plain || tag == tag_quoted || tag == allowed) return;
    // Show core-schema tags the way they are written: !!int, not tag:yaml.org,2002:int.
    constexpr std::string_view core_prefix = "tag:yaml.org,2002:";
    const std::string shown = std::string_view(tag).substr(0, core_prefix.size()) == core_prefix
                                  ? "!!" + tag.substr(core_prefix.size())
                                  : tag;
    sink_.report(diag::unsupported_tag, where,
                 fmt::format("YAML tag '{}' is not supported; remove it", printable(shown)));
  }

  void count_nodes(std::size_t n, source_span where) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      sink_.report(diag::too_many_nodes, where,
                   fmt::format("the document has more than {} YAML nodes (aliases count every "
                               "time they are used)",
                               limits_.max_nodes));
      throw stop_parsing{};
    }
  }

  static std::size_t subtree_size(const raw_node& node) {
    std::size_t n = 1;
    for (const raw_node& child : node.children) n += subtree_size(child);
    return n;
  }

  void open(node_kind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            std::string_view allowed_tag) {
    frame f;
    f.node.kind = kind;
    f.node.span = span_at(mark, 1);
    f.anchor = anchor;
    count_nodes(1, f.node.span);
    check_tag(tag, f.node.span, allowed_tag);
    if (stack_.size() + 1 > limits_.max_depth) {
      sink_.report(diag::nesting_too_deep, f.node.span,
                   fmt::format("nesting deeper than {} levels", limits_.max_depth));
      throw stop_parsing{};
    }
    stack_.push_back(std::move(f));
  }

  void close() {
    frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.node.is_mapping()) drop_duplicate_keys(f.node);
    complete(std::move(f.node), f.anchor);
  }

  // Reports every repeated key in a mapping and keeps only its first entry, so that later checks
  // see each key once.
  void drop_duplicate_keys(raw_node& map) {
    std::unordered_map<std::string_view, std::uint32_t> first_line;
    std::vector<bool> keep(map.size(), true);
    bool any_duplicate = false;
    for (std::size_t i = 0; i < map.size(); ++i) {
      const raw_node& key = map.key(i);
      auto [it, inserted] = first_line.try_emplace(key.text, key.span.line);
      if (!inserted) {
        sink_.report(diag::duplicate_key, key.span,
                     fmt::format("duplicate key '{}' (first given on line {})", printable(key.text),
                                 it->second));
        keep[i] = false;
        any_duplicate = true;
      }
    }
    if (!any_duplicate) return;
    std::vector<raw_node> kept;
    for (std::size_t i = 0; i < keep.size(); ++i) {
      if (!keep[i]) continue;
      kept.push_back(std::move(map.children[2 * i]));
      kept.push_back(std::move(map.children[2 * i + 1]));
    }
    map.children.swap(kept);
  }

  void complete(raw_node node, YAML::anchor_t anchor) {
    if (anchor != 0) {
      if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
      anchors_[anchor] = node;
    }
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.children.push_back(std::move(node));
    } else if (!parent.expecting_value) {
      parent.expecting_value = true;
      parent.drop_value = !node.is_scalar();
      if (parent.drop_value) {
        sink_.report(diag::key_not_text, node.span,
                     fmt::format("a mapping key must be plain text, not {}", describe(node.kind)));
      } else {
        parent.node.children.push_back(std::move(node));
      }
    } else {
      parent.expecting_value = false;
      if (!parent.drop_value) parent.node.children.push_back(std::move(node));
    }
  }

  std::string_view text_;
  const load_limits& limits_;
  diagnostic_sink& sink_;
  std::vector<frame> stack_;
  std::vector<std::optional<raw_node>> anchors_;  // by yaml-cpp anchor id
  std::optional<raw_node> root_;
  std::size_t nodes_ = 0;
};

/// Stops at the start of a second document and remembers where it is.
class second_document_probe final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    mark_ = mark;
    throw stop_parsing{};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  const YAML::Mark& mark() const { return mark_; }

 private:
  YAML::Mark mark_;
};

source_span span_of(std::string_view text, std::size_t offset) {
  const text_position p = position_of(text, offset);
  return {p.line, p.column, 1};
}

// Problems that make the text unsafe or pointless to hand to the YAML parser.
bool check_raw_text(std::string_view text, const load_limits& limits, diagnostic_sink& sink) {
  if (text.size() > limits.max_source_bytes) {
    sink.report(diag::source_too_large, {},
                fmt::format("source of {} bytes exceeds the limit of {} bytes", text.size(),
                            limits.max_source_bytes));
    return false;
  }
  if (const std::size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    sink.report(diag::invalid_utf8, span_of(text, bad),
                fmt::format("invalid UTF-8: byte 0x{:02X} does not start a valid sequence",
                            static_cast<unsigned char>(text[bad])));
    return false;
  }
  if (const std::size_t bad = find_control_character(text); bad != std::string_view::npos) {
    sink.report(diag::control_character, span_of(text, bad),
                fmt::format("control character U+{:04X} is not allowed in YAML",
                            static_cast<unsigned char>(text[bad])));
    return false;
  }
  return true;
}

}  // namespace

bool read_yaml(std::string_view text, const load_limits& limits, diagnostic_sink& sink,
               raw_node& out) {
  if (!check_raw_text(text, limits, sink)) return false;
  view_buffer buffer(text);
  std::istream in(&buffer);
  try {
    YAML::Parser parser(in);
    tree_builder builder(text, limits, sink);
    if (!parser.HandleNextDocument(builder) || !builder.root()) {
      sink.report(diag::empty_document, {1, 1, 1}, "the source contains no YAML document");
      return false;
    }
    out = std::move(*builder.root());
    second_document_probe probe;
    try {
      parser.HandleNextDocument(probe);
    } catch (const stop_parsing&) {
      const YAML::Mark& m = probe.mark();
      sink.report(
          diag::several_documents,
          {static_cast<std::uint32_t>(m.line + 1), static_cast<std::uint32_t>(m.column + 1), 3},
          "a program is one YAML document; a second one starts here");
      return false;
    }
  } catch (const stop_parsing&) {
    return false;
  } catch (const YAML::Exception& e) {
    const source_span where = e.mark.line < 0
                                  ? source_span{}
                                  : source_span{static_cast<std::uint32_t>(e.mark.line) + 1,
                                                static_cast<std::uint32_t>(e.mark.column) + 1, 1};
    sink.report(diag::yaml_syntax, where, fmt::format("YAML syntax error: {}", e.msg));
    return false;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    sink.report(diag::yaml_syntax, {}, fmt::format("YAML parser failed: {}", e.what()));
    return false;
  }
  return true;
}

}  // namespace loyalty::internal
