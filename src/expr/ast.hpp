// The expression language's syntax tree (parse phase output). Load-time only: may allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loyalty/decimal.hpp"

namespace loyalty::internal::expr {

/// Byte offsets [begin, end) into the expression text.
struct text_span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

enum class node_op : std::uint8_t {
  // leaves
  literal_null,
  literal_bool,
  literal_number,  // decimal literal (integer literals are decimals of scale 0 until typed)
  literal_string,
  literal_duration,  // 30d, 12h, 1d12h: `micros`
  name,              // a path: "order.total", a variable or a lambda parameter
  // compound
  list,  // [a, b, c]
  call,  // f(args...)
  negate,
  logical_not,
  logical_and,
  logical_or,
  coalesce,  // a ?? b
  add,
  subtract,
  multiply,
  divide,
  remainder,
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,
  in,
  not_in,
  conditional,  // if a then b else c
  lambda,       // x -> body, only as an argument of a list function
};

struct ast_node {
  node_op op = node_op::literal_null;
  text_span span;       // the whole node
  text_span name_span;  // call: the function name; name: the whole path
  bool bool_value = false;
  decimal number;           // literal_number
  std::int64_t micros = 0;  // literal_duration
  std::string text;         // literal_string: its value; name: the dotted path; call: function name
  std::vector<std::unique_ptr<ast_node>> children;
  std::uint32_t height = 0;  // levels of nodes from here down; 0 until the parser computes it
};

/// A parse problem at a span of the text.
struct parse_error {
  text_span where;
  std::string message;
};

struct parse_limits {
  std::uint32_t max_depth = 64;
  std::size_t max_list_literal = 256;
};

/// Parses one expression. On failure returns null and fills `error` (the first problem).
std::unique_ptr<ast_node> parse(std::string_view text, const parse_limits& limits,
                                parse_error& error);

}  // namespace loyalty::internal::expr
