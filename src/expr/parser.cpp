// Lexer and recursive-descent parser for the expression language. Depth and list sizes are
// bounded, so no input can exhaust the stack or memory.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "expr/ast.hpp"
#include "loyalty/time.hpp"
#include "text_util.hpp"

namespace loyalty::internal::expr {

namespace {

enum class tok : std::uint8_t {
  end,
  number,
  duration,
  string,
  ident,
  kw_and,
  kw_or,
  kw_not,
  kw_in,
  kw_if,
  kw_then,
  kw_else,
  kw_true,
  kw_false,
  kw_null,
  plus,
  minus,
  star,
  slash,
  percent,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  dot,
  coalesce,
  arrow,
  bad,
};

struct token {
  tok kind = tok::end;
  text_span span;
  std::string text;  // identifier, number text or the decoded string
};

constexpr std::array<std::pair<std::string_view, tok>, 10> keywords = {{
    {"and", tok::kw_and},
    {"or", tok::kw_or},
    {"not", tok::kw_not},
    {"in", tok::kw_in},
    {"if", tok::kw_if},
    {"then", tok::kw_then},
    {"else", tok::kw_else},
    {"true", tok::kw_true},
    {"false", tok::kw_false},
    {"null", tok::kw_null},
}};

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class lexer {
 public:
  explicit lexer(std::string_view text) : text_(text) {}

  /// The next token; on a lexical error, kind == bad and `error_` says why.
  token next() {
    skip_space();
    token t;
    t.span.begin = static_cast<std::uint32_t>(pos_);
    if (pos_ >= text_.size()) {
      t.span.end = t.span.begin;
      return t;
    }
    const char c = text_[pos_];
    if (is_digit(c)) {
      number(t);
    } else if (is_ident_start(c)) {
      identifier(t);
    } else if (c == '\'' || c == '"') {
      string(t, c);
    } else {
      punctuation(t, c);
    }
    t.span.end = static_cast<std::uint32_t>(pos_);
    return t;
  }

  const std::string& error() const { return error_; }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void number(token& t) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_digit(text_[pos_ + 1])) {
      ++pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && is_ident_char(text_[pos_])) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
      const std::string_view word = text_.substr(start, pos_ - start);
      // A duration: whole numbers with units, largest first: 30d, 12h, 1d12h, 90m, 45s.
      if (const std::optional<duration> d = parse_duration(word)) {
        t.kind = tok::duration;
        t.text = std::to_string(d->micros);
        return;
      }
      t.kind = tok::bad;
      error_ = fmt::format("'{}' is neither a number nor a duration such as 30d, 12h, 15m or 45s",
                           printable(word));
      return;
    }
    t.kind = tok::number;
    t.text = std::string(text_.substr(start, pos_ - start));
  }

  void identifier(token& t) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    t.text = std::string(text_.substr(start, pos_ - start));
    t.kind = tok::ident;
    for (const auto& [word, kind] : keywords) {
      if (t.text == word) t.kind = kind;
    }
  }

  void string(token& t, char quote) {
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        const char e = text_[pos_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case '\\':
          case '\'':
          case '"':
            c = e;
            break;
          default:
            t.kind = tok::bad;
            error_ = fmt::format("unknown escape '\\{}' in text", printable(std::string(1, e)));
            return;
        }
      }
      t.text += c;
    }
    if (pos_ >= text_.size()) {
      t.kind = tok::bad;
      error_ = "text is not closed: a quote is missing";
      return;
    }
    ++pos_;
    t.kind = tok::string;
  }

  void punctuation(token& t, char c) {
    const char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto take = [&](tok kind, std::size_t length) {
      t.kind = kind;
      pos_ += length;
    };
    switch (c) {
      case '+':
        return take(tok::plus, 1);
      case '-':
        return n == '>' ? take(tok::arrow, 2) : take(tok::minus, 1);
      case '*':
        return take(tok::star, 1);
      case '/':
        return take(tok::slash, 1);
      case '%':
        return take(tok::percent, 1);
      case '(':
        return take(tok::lparen, 1);
      case ')':
        return take(tok::rparen, 1);
      case '[':
        return take(tok::lbracket, 1);
      case ']':
        return take(tok::rbracket, 1);
      case ',':
        return take(tok::comma, 1);
      case '.':
        return take(tok::dot, 1);
      case '<':
        return n == '=' ? take(tok::le, 2) : take(tok::lt, 1);
      case '>':
        return n == '=' ? take(tok::ge, 2) : take(tok::gt, 1);
      case '=':
        if (n == '=') return take(tok::eq, 2);
        t.kind = tok::bad;
        ++pos_;
        error_ = "'=' is not an operator: compare with '=='";
        return;
      case '!':
        if (n == '=') return take(tok::ne, 2);
        t.kind = tok::bad;
        ++pos_;
        error_ = "'!' is not an operator: negate with 'not'";
        return;
      case '?':
        if (n == '?') return take(tok::coalesce, 2);
        t.kind = tok::bad;
        ++pos_;
        error_ =
            "'?' is not an operator: use 'if ... then ... else ...' or '?"
            "?'";
        return;
      case '&':
      case '|':
        t.kind = tok::bad;
        pos_ += (n == c) ? 2 : 1;
        error_ =
            fmt::format("'{}' is not an operator: use '{}'",
                        n == c ? std::string(2, c) : std::string(1, c), c == '&' ? "and" : "or");
        return;
      default:
        break;
    }
    // Unknown character: report the whole UTF-8 sequence.
    std::size_t length = 1;
    while (pos_ + length < text_.size() &&
           (static_cast<unsigned char>(text_[pos_ + length]) & 0xC0) == 0x80) {
      ++length;
    }
    t.kind = tok::bad;
    error_ = fmt::format("unexpected character '{}'", printable(text_.substr(pos_, length)));
    pos_ += length;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

std::string_view describe(const token& t) {
  switch (t.kind) {
    case tok::end:
      return "the end of the expression";
    case tok::number:
      return "a number";
    case tok::duration:
      return "a duration";
    case tok::string:
      return "text";
    case tok::ident:
      return "a name";
    default:
      return "";
  }
}

class parser {
 public:
  parser(std::string_view text, const parse_limits& limits, parse_error& error)
      : text_(text), lex_(text), limits_(limits), error_(error) {
    advance();
  }

  std::unique_ptr<ast_node> parse_all() {
    auto root = expression();
    if (root && cur_.kind == tok::bad) return fail(cur_.span, lex_.error());
    if (root && cur_.kind != tok::end) {
      return fail(cur_.span, fmt::format("unexpected {}", shown(cur_)));
    }
    return root;
  }

 private:
  using node_ptr = std::unique_ptr<ast_node>;

  // --- helpers ---------------------------------------------------------------------------

  void advance() {
    prev_end_ = cur_.span.end;
    cur_ = lex_.next();
  }

  std::string shown(const token& t) const {
    const std::string_view d = describe(t);
    if (!d.empty() && t.kind != tok::ident) return std::string(d);
    return fmt::format("'{}'", printable(text_.substr(t.span.begin, t.span.end - t.span.begin)));
  }

  node_ptr fail(text_span where, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_ = {where, std::move(message)};
    }
    return nullptr;
  }

  bool expect(tok kind, std::string_view what) {
    if (cur_.kind == tok::bad) {
      fail(cur_.span, lex_.error());
      return false;
    }
    if (cur_.kind != kind) {
      fail(cur_.span, fmt::format("expected {}, found {}", what, shown(cur_)));
      return false;
    }
    advance();
    return true;
  }

  node_ptr make(node_op op, std::uint32_t begin) {
    auto n = std::make_unique<ast_node>();
    n->op = op;
    n->span = {begin, prev_end_};
    return n;
  }

  /// Levels of nodes under `n`, `n` included. Nodes made by the recursive rules are bounded by
  /// the depth guard; the loops for `a + b + c ...` are not, so binary() checks the height.
  static std::uint32_t height_of(ast_node& n) {
    if (n.height == 0) {
      std::uint32_t below = 0;
      for (const auto& c : n.children) below = std::max(below, height_of(*c));
      n.height = below + 1;
    }
    return n.height;
  }

  node_ptr binary(node_op op, node_ptr lhs, node_ptr rhs) {
    // A long chain such as 'a / b / c / ...' is as deep as it is long: without this check it
    // would make every later recursive walk (checking, compiling, destroying) as deep.
    const std::uint32_t height = std::max(height_of(*lhs), height_of(*rhs)) + 1;
    if (height > limits_.max_depth) return too_deep();
    auto n = std::make_unique<ast_node>();
    n->height = height;
    n->op = op;
    n->span = {lhs->span.begin, rhs->span.end};
    n->children.push_back(std::move(lhs));
    n->children.push_back(std::move(rhs));
    return n;
  }

  node_ptr too_deep() {
    return fail(cur_.span,
                fmt::format("expression nested deeper than {} levels", limits_.max_depth));
  }

  // Nesting guard: every recursive rule passes through here.
  struct depth_guard {
    parser& p;
    explicit depth_guard(parser& owner) : p(owner) { ++p.depth_; }
    ~depth_guard() { --p.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
  };

  // --- grammar ---------------------------------------------------------------------------

  node_ptr expression() {
    depth_guard guard(*this);
    if (depth_ > limits_.max_depth) return too_deep();
    if (cur_.kind == tok::kw_if) return conditional();
    return logical_or();
  }

  node_ptr conditional() {
    const std::uint32_t begin = cur_.span.begin;
    advance();  // if
    auto cond = expression();
    if (!cond || !expect(tok::kw_then, "'then'")) return nullptr;
    auto then_branch = expression();
    if (!then_branch || !expect(tok::kw_else, "'else' (every 'if' needs one)")) return nullptr;
    auto else_branch = expression();
    if (!else_branch) return nullptr;
    auto n = make(node_op::conditional, begin);
    n->children.push_back(std::move(cond));
    n->children.push_back(std::move(then_branch));
    n->children.push_back(std::move(else_branch));
    return n;
  }

  node_ptr logical_or() {
    auto lhs = logical_and();
    while (lhs && cur_.kind == tok::kw_or) {
      advance();
      auto rhs = logical_and();
      if (!rhs) return nullptr;
      lhs = binary(node_op::logical_or, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  node_ptr logical_and() {
    auto lhs = logical_not();
    while (lhs && cur_.kind == tok::kw_and) {
      advance();
      auto rhs = logical_not();
      if (!rhs) return nullptr;
      lhs = binary(node_op::logical_and, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  node_ptr logical_not() {
    if (cur_.kind != tok::kw_not) return comparison();
    depth_guard guard(*this);
    if (depth_ > limits_.max_depth) return too_deep();
    const std::uint32_t begin = cur_.span.begin;
    advance();
    auto operand = logical_not();
    if (!operand) return nullptr;
    auto n = make(node_op::logical_not, begin);
    n->children.push_back(std::move(operand));
    return n;
  }

  std::optional<node_op> comparison_op() {
    switch (cur_.kind) {
      case tok::eq:
        return node_op::equal;
      case tok::ne:
        return node_op::not_equal;
      case tok::lt:
        return node_op::less;
      case tok::le:
        return node_op::less_equal;
      case tok::gt:
        return node_op::greater;
      case tok::ge:
        return node_op::greater_equal;
      case tok::kw_in:
        return node_op::in;
      case tok::kw_not:
        return node_op::not_in;
      default:
        return std::nullopt;
    }
  }

  node_ptr comparison() {
    auto lhs = coalesce();
    if (!lhs) return nullptr;
    const std::optional<node_op> op = comparison_op();
    if (!op) return lhs;
    const text_span op_span = cur_.span;
    advance();
    if (*op == node_op::not_in && !expect(tok::kw_in, "'in' after 'not'")) return nullptr;
    auto rhs = coalesce();
    if (!rhs) return nullptr;
    if (comparison_op() && cur_.kind != tok::kw_not) {
      return fail(cur_.span, fmt::format("comparisons do not chain: write 'a {0} b and b {0} c' "
                                         "with parentheses or 'and'",
                                         text_.substr(op_span.begin, op_span.end - op_span.begin)));
    }
    return binary(*op, std::move(lhs), std::move(rhs));
  }

  node_ptr coalesce() {
    auto lhs = additive();
    while (lhs && cur_.kind == tok::coalesce) {
      advance();
      auto rhs = additive();
      if (!rhs) return nullptr;
      lhs = binary(node_op::coalesce, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  node_ptr additive() {
    auto lhs = multiplicative();
    while (lhs && (cur_.kind == tok::plus || cur_.kind == tok::minus)) {
      const node_op op = cur_.kind == tok::plus ? node_op::add : node_op::subtract;
      advance();
      auto rhs = multiplicative();
      if (!rhs) return nullptr;
      lhs = binary(op, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  node_ptr multiplicative() {
    auto lhs = unary();
    while (lhs &&
           (cur_.kind == tok::star || cur_.kind == tok::slash || cur_.kind == tok::percent)) {
      const node_op op = cur_.kind == tok::star    ? node_op::multiply
                         : cur_.kind == tok::slash ? node_op::divide
                                                   : node_op::remainder;
      advance();
      auto rhs = unary();
      if (!rhs) return nullptr;
      lhs = binary(op, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  node_ptr unary() {
    if (cur_.kind != tok::minus) return primary();
    depth_guard guard(*this);
    if (depth_ > limits_.max_depth) return too_deep();
    const std::uint32_t begin = cur_.span.begin;
    advance();
    auto operand = unary();
    if (!operand) return nullptr;
    auto n = make(node_op::negate, begin);
    n->children.push_back(std::move(operand));
    return n;
  }

  node_ptr primary() {
    const token t = cur_;
    switch (t.kind) {
      case tok::number:
        return number_literal(t);
      case tok::duration: {
        advance();
        auto n = make(node_op::literal_duration, t.span.begin);
        n->micros = std::stoll(t.text);
        return n;
      }
      case tok::string: {
        advance();
        auto n = make(node_op::literal_string, t.span.begin);
        n->text = t.text;
        return n;
      }
      case tok::kw_true:
      case tok::kw_false: {
        advance();
        auto n = make(node_op::literal_bool, t.span.begin);
        n->bool_value = t.kind == tok::kw_true;
        return n;
      }
      case tok::kw_null:
        advance();
        return make(node_op::literal_null, t.span.begin);
      case tok::lparen: {
        advance();
        auto inner = expression();
        if (!inner || !expect(tok::rparen, "')'")) return nullptr;
        inner->span = {t.span.begin, prev_end_};
        return inner;
      }
      case tok::lbracket:
        return list_literal();
      case tok::ident:
        return name_or_call();
      case tok::bad:
        return fail(t.span, lex_.error());
      default:
        return fail(t.span, fmt::format("expected a value, found {}", shown(t)));
    }
  }

  node_ptr number_literal(const token& t) {
    advance();
    const decimal_result d = decimal::parse(t.text);
    if (!d) {
      return fail(t.span, fmt::format("number '{}' is out of range ({})", printable(t.text),
                                      to_string(d.error)));
    }
    auto n = make(node_op::literal_number, t.span.begin);
    n->number = d.value;
    return n;
  }

  node_ptr list_literal() {
    const std::uint32_t begin = cur_.span.begin;
    advance();  // [
    auto n = std::make_unique<ast_node>();
    n->op = node_op::list;
    if (cur_.kind != tok::rbracket) {
      while (true) {
        if (n->children.size() == limits_.max_list_literal) {
          return fail(cur_.span,
                      fmt::format("a list may have at most {} items", limits_.max_list_literal));
        }
        auto item = expression();
        if (!item) return nullptr;
        n->children.push_back(std::move(item));
        if (cur_.kind != tok::comma) break;
        advance();
      }
    }
    if (!expect(tok::rbracket, "',' or ']'")) return nullptr;
    n->span = {begin, prev_end_};
    return n;
  }

  node_ptr name_or_call() {
    const std::uint32_t begin = cur_.span.begin;
    std::string path = cur_.text;
    advance();
    if (cur_.kind == tok::lparen) return call(std::move(path), begin);
    while (cur_.kind == tok::dot) {
      advance();
      if (cur_.kind != tok::ident) {
        return fail(cur_.span,
                    fmt::format("expected a field name after '.', found {}", shown(cur_)));
      }
      path += '.';
      path += cur_.text;
      advance();
    }
    auto n = make(node_op::name, begin);
    n->text = std::move(path);
    n->name_span = n->span;
    return n;
  }

  node_ptr call(std::string name, std::uint32_t begin) {
    const text_span name_span = {begin, prev_end_};
    advance();  // (
    auto n = std::make_unique<ast_node>();
    n->op = node_op::call;
    n->text = std::move(name);
    n->name_span = name_span;
    if (cur_.kind != tok::rparen) {
      while (true) {
        auto arg = argument();
        if (!arg) return nullptr;
        n->children.push_back(std::move(arg));
        if (cur_.kind != tok::comma) break;
        advance();
      }
    }
    if (!expect(tok::rparen, "',' or ')'")) return nullptr;
    n->span = {begin, prev_end_};
    return n;
  }

  // A call argument: an expression, or a lambda `x -> body`.
  node_ptr argument() {
    if (cur_.kind == tok::ident) {
      lexer probe = lex_;
      const token after = probe.next();
      if (after.kind == tok::arrow) {
        const token param = cur_;
        advance();  // name
        advance();  // ->
        auto body = expression();
        if (!body) return nullptr;
        auto n = make(node_op::lambda, param.span.begin);
        n->text = param.text;
        n->name_span = param.span;
        n->children.push_back(std::move(body));
        return n;
      }
    }
    return expression();
  }

  std::string_view text_;
  lexer lex_;
  const parse_limits& limits_;
  parse_error& error_;
  token cur_;
  std::uint32_t prev_end_ = 0;
  std::uint32_t depth_ = 0;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<ast_node> parse(std::string_view text, const parse_limits& limits,
                                parse_error& error) {
  parser p(text, limits, error);
  return p.parse_all();
}

}  // namespace loyalty::internal::expr
