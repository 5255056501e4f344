// Check and compile phases of the expression language: resolves names to slots, types every
// node, reports every problem it can as a diagnostic pointing into the expression text, and
// emits the flat node array that evaluate.cpp runs.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "diagnostic_codes.hpp"
#include "expr/ast.hpp"
#include "expr/program.hpp"
#include "text_util.hpp"

namespace loyalty {

namespace internal::expr {

namespace {

/// The static type of a node.
struct type_info {
  value_kind kind = value_kind::null;
  bool nullable = false;
  std::uint16_t enum_index = 0;
  std::int8_t scale = 0;      // decimal: fractional digits of the values it produces
  bool scratch_text = false;  // text made by lower()/upper(), valid only inside the evaluation
};

bool is_numeric(value_kind k) {
  return k == value_kind::integer || k == value_kind::decimal;
}
bool is_time(value_kind k) {
  return k == value_kind::date || k == value_kind::timestamp || k == value_kind::duration;
}

struct typed {
  std::uint32_t index = 0;
  type_info type;
  const ast_node* ast = nullptr;
};

constexpr std::array<std::string_view, 17> time_function_names = {
    "add_months",       "age",         "completed_years", "date",
    "day_of_month",     "day_of_week", "days_between",    "end_of",
    "is_anniversary",   "is_birthday", "month",           "months_between",
    "next_anniversary", "quarter",     "start_of",        "year",
    "years_between"};

constexpr std::array<std::string_view, 18> function_names = {
    "abs",   "all",   "any", "ceil", "clamp", "contains", "count",       "ends_with", "filter",
    "floor", "lower", "max", "min",  "none",  "round",    "starts_with", "sum",       "upper"};

// Every value of the named options, for "one of ..." messages; names come from to_string().
constexpr std::array all_rounding_modes = {
    rounding_mode::half_even, rounding_mode::half_up, rounding_mode::half_down, rounding_mode::down,
    rounding_mode::up,        rounding_mode::floor,   rounding_mode::ceiling};
constexpr std::array all_calendar_units = {calendar_unit::day, calendar_unit::week,
                                           calendar_unit::month, calendar_unit::quarter,
                                           calendar_unit::year};
constexpr std::array all_feb29_rules = {feb29_rule::feb28, feb29_rule::mar1};

/// Digits kept by a bare `a / b`: enough for the usual "spend / 10" before an explicit round.
constexpr int extra_division_digits = 6;

std::string type_name(const type_info& t, const schema& s) {
  std::string name = t.kind == value_kind::enumeration && t.enum_index < s.enums().size()
                         ? fmt::format("enum {}", s.enums()[t.enum_index].name)
                         : std::string(to_string(t.kind));
  return t.nullable && t.kind != value_kind::null ? name + " (may be missing)" : name;
}

constexpr std::uint32_t unused_slot = UINT32_MAX;

/// What every checker of one compile_expression() call shares: the output, the diagnostics and
/// the variables compiled so far.
struct compile_state {
  const schema& s;
  compiled_expression::impl& out;
  std::vector<diagnostic>& diags;
  const expression_limits& limits;
  std::span<const variable_def> variables;
  std::vector<std::optional<typed>> compiled;  // per variable, once compiled
  std::vector<bool> attempted;                 // per variable: compiled, or failed (reported)
  std::vector<std::uint32_t> slot_of;          // per variable: its memo slot, in order of use
  std::uint32_t slots_used = 0;
};

class checker {
 public:
  /// Checks one text; `visible` is how many of the state's variables it may use.
  checker(std::string_view text, const expression_origin& origin, compile_state& state,
          std::size_t visible)
      : text_(text),
        schema_(state.s),
        origin_(origin),
        out_(state.out),
        diags_(state.diags),
        state_(state),
        visible_(visible) {}

  std::optional<typed> check(const ast_node& n) {
    switch (n.op) {
      case node_op::literal_null:
        return constant(n, value(), {value_kind::null, true, 0, 0, false});
      case node_op::literal_bool:
        return constant(n, value::of_bool(n.bool_value), {value_kind::boolean});
      case node_op::literal_number:
        return number(n);
      case node_op::literal_string:
        return constant(n, value::of_string(intern(n.text)), {value_kind::string});
      case node_op::literal_duration:
        return constant(n, value::of_duration({n.micros}), {value_kind::duration});
      case node_op::name:
        return name(n);
      case node_op::list:
        report(diag::type_mismatch, n.span, "a list can only follow 'in' or 'not in'");
        return std::nullopt;
      case node_op::lambda:
        report(diag::bad_call, n.span,
               "'x -> ...' is only allowed as an argument of a list function");
        return std::nullopt;
      case node_op::call:
        return call(n);
      case node_op::negate:
        return negate(n);
      case node_op::logical_not:
      case node_op::logical_and:
      case node_op::logical_or:
        return logical(n);
      case node_op::coalesce:
        return coalesce(n);
      case node_op::add:
      case node_op::subtract:
      case node_op::multiply:
      case node_op::divide:
      case node_op::remainder:
        return arithmetic(n);
      case node_op::equal:
      case node_op::not_equal:
      case node_op::less:
      case node_op::less_equal:
      case node_op::greater:
      case node_op::greater_equal:
        return comparison(n);
      case node_op::in:
      case node_op::not_in:
        return membership(n);
      case node_op::conditional:
        return conditional(n);
    }
    return std::nullopt;
  }

  void report(diag id, text_span where, std::string message) {
    const diagnostic_info& i = info(id);
    diagnostic d;
    d.code = std::string(i.code);
    d.level = i.level;
    d.source = origin_.source;
    // Position inside the text: lines after the first start at column 1 of the expression.
    const std::string_view before =
        text_.substr(0, std::min<std::size_t>(where.begin, text_.size()));
    const std::size_t newlines =
        static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t line_start = newlines == 0 ? 0 : before.rfind('\n') + 1;
    d.line = origin_.line + static_cast<std::uint32_t>(newlines);
    d.column = static_cast<std::uint32_t>(where.begin - line_start) +
               (newlines == 0 ? origin_.column : origin_.continuation_column);
    d.length = std::max<std::uint32_t>(1, where.end - where.begin);
    if (!origin_.source_text.empty()) {
      d.line_text = std::string(line_at(origin_.source_text, d.line));
    } else if (newlines == 0 && !origin_.line_text.empty()) {
      d.line_text = origin_.line_text;
    } else {
      const std::size_t end = text_.find('\n', line_start);
      d.line_text = std::string(
          text_.substr(line_start, end == std::string_view::npos ? end : end - line_start));
    }
    d.message = std::move(message);
    diags_.push_back(std::move(d));
  }

  std::string describe(const type_info& t) const { return type_name(t, schema_); }

 private:
  // --- emitting -------------------------------------------------------------------------------

  std::uint32_t emit(node n) {
    out_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes.size() - 1);
  }

  /// Emits `n` with its static result type recorded (the evaluators keep numeric results of the
  /// operators that choose an operand at this type).
  typed emit_typed(node n, const type_info& t, const ast_node& a) {
    n.kind = t.kind;
    n.scale = t.scale;
    return typed{emit(n), t, &a};
  }

  std::string_view intern(const std::string& text) {
    out_.strings.push_back(std::make_unique<std::string>(text));
    return *out_.strings.back();
  }

  std::optional<typed> constant(const ast_node& a, value v, type_info t) {
    node n;
    n.code = op::constant;
    n.constant = v;
    return emit_typed(n, t, a);
  }

  // --- leaves ---------------------------------------------------------------------------------

  std::optional<typed> number(const ast_node& a) {
    if (a.number.scale() == 0)
      return constant(a, value::of_int(a.number.units()), {value_kind::integer});
    type_info t{value_kind::decimal};
    t.scale = static_cast<std::int8_t>(a.number.scale());
    return constant(a, value::of_decimal(a.number), t);
  }

  std::optional<typed> name(const ast_node& a) {
    const std::string_view head = std::string_view(a.text).substr(0, a.text.find('.'));
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (it->name == head) return row_field(a, *it);
    }
    for (std::size_t i = 0; i < visible_; ++i) {
      if (state_.variables[i].name == a.text) return variable(a, i);
    }
    if (a.text == "now" || a.text == "today") {
      node n;
      n.code = a.text == "now" ? op::now : op::today;
      return emit_typed(n, {a.text == "now" ? value_kind::timestamp : value_kind::date}, a);
    }
    const field_decl* f = schema_.find_field(a.text);
    if (f == nullptr) {
      std::vector<std::string_view> paths;
      for (const field_decl& d : schema_.fields()) paths.emplace_back(d.path);
      const std::string_view hint = closest_match(a.text, paths);
      report(diag::unknown_name, a.name_span,
             fmt::format("unknown field '{}'{}", printable(a.text),
                         hint.empty() ? std::string() : did_you_mean(hint)));
      return std::nullopt;
    }
    node n;
    n.code = op::field;
    n.slot = f->slot;
    type_info t{f->type.kind, f->type.optional, f->type.enum_index, f->type.scale};
    return emit_typed(n, t, a);
  }

  struct scope {
    std::string name;      // the lambda parameter
    std::uint16_t record;  // index into schema::records()
    std::uint8_t depth;    // which current-row register it reads
  };

  std::optional<typed> row_field(const ast_node& a, const scope& sc) {
    const record_type& r = schema_.records()[sc.record];
    const std::size_t dot = a.text.find('.');
    const std::string field = dot == std::string::npos ? std::string() : a.text.substr(dot + 1);
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (r.fields[i].first != field) continue;
      const field_type& ft = r.fields[i].second;
      node n;
      n.code = op::row_field;
      n.aux = sc.depth;
      n.slot = static_cast<std::uint32_t>(i);
      return emit_typed(n, {ft.kind, ft.optional, ft.enum_index, ft.scale}, a);
    }
    std::vector<std::string_view> names;
    for (const auto& f : r.fields) names.emplace_back(f.first);
    const std::string_view hint = closest_match(field, names);
    report(diag::unknown_name, a.name_span,
           field.empty() ? fmt::format("'{}' is a row of {}; use one of its fields, e.g. '{}.{}'",
                                       sc.name, r.name, sc.name, r.fields[0].first)
                         : fmt::format("{} has no field '{}'{}", r.name, printable(field),
                                       hint.empty() ? std::string() : did_you_mean(hint)));
    return std::nullopt;
  }

  // --- operators ------------------------------------------------------------------------------

  std::optional<typed> negate(const ast_node& a) {
    const auto x = check(*a.children[0]);
    if (!x) return std::nullopt;
    if (!is_numeric(x->type.kind) && x->type.kind != value_kind::duration) {
      report(diag::type_mismatch, a.span,
             fmt::format("'-' needs a number or a duration, not {}", describe(x->type)));
      return std::nullopt;
    }
    node n;
    n.code = x->type.kind == value_kind::decimal ? op::negate_dec : op::negate_int;
    n.a = x->index;
    return emit_typed(n, x->type, a);
  }

  bool require_bool(const typed& x, std::string_view role) {
    if (x.type.kind == value_kind::boolean && !x.type.nullable) return true;
    if (x.type.kind == value_kind::boolean) {
      report(
          diag::type_mismatch, x.ast->span,
          fmt::format("{} may be missing; say what a missing value means, e.g. '({}) ?? false'",
                      role, text_.substr(x.ast->span.begin, x.ast->span.end - x.ast->span.begin)));
    } else {
      report(diag::type_mismatch, x.ast->span,
             fmt::format("{} must be true or false, not {}", role, describe(x.type)));
    }
    return false;
  }

  std::optional<typed> logical(const ast_node& a) {
    const std::string_view word = a.op == node_op::logical_not   ? "not"
                                  : a.op == node_op::logical_and ? "and"
                                                                 : "or";
    const std::string role = fmt::format("the operand of '{}'", word);
    const auto x = check(*a.children[0]);
    std::optional<typed> y;
    if (a.children.size() > 1) y = check(*a.children[1]);
    bool ok = x && require_bool(*x, role);
    if (a.children.size() > 1) ok = (y && require_bool(*y, role)) && ok;
    if (!ok) return std::nullopt;
    node n;
    n.code = a.op == node_op::logical_not   ? op::logical_not
             : a.op == node_op::logical_and ? op::logical_and
                                            : op::logical_or;
    n.a = x->index;
    if (y) n.b = y->index;
    return emit_typed(n, {value_kind::boolean}, a);
  }

  /// The common type of two branches (if/else, ??, min/max), or nullopt.
  std::optional<type_info> unify(const type_info& x, const type_info& y) const {
    type_info t = x;
    if (x.kind == value_kind::null) {
      t = y;
    } else if (y.kind == value_kind::null) {
      t = x;
    } else if (is_numeric(x.kind) && is_numeric(y.kind)) {
      t.kind = x.kind == value_kind::integer && y.kind == value_kind::integer ? value_kind::integer
                                                                              : value_kind::decimal;
      t.scale = std::max(x.scale, y.scale);
    } else if (x.kind != y.kind ||
               (x.kind == value_kind::enumeration && x.enum_index != y.enum_index)) {
      return std::nullopt;
    }
    t.nullable =
        x.nullable || y.nullable || x.kind == value_kind::null || y.kind == value_kind::null;
    t.scratch_text = x.scratch_text || y.scratch_text;
    return t;
  }

  std::optional<typed> coalesce(const ast_node& a) {
    const auto x = check(*a.children[0]);
    const auto y = check(*a.children[1]);
    if (!x || !y) return std::nullopt;
    std::optional<type_info> t = unify(x->type, y->type);
    if (!t) {
      report(diag::type_mismatch, a.span,
             fmt::format("'?"
                         "?' needs both sides of one type: {} and {}",
                         describe(x->type), describe(y->type)));
      return std::nullopt;
    }
    if (!x->type.nullable) {
      report(diag::unreachable, a.children[1]->span,
             fmt::format("'{}' is never missing, so this fallback is never used",
                         text_.substr(a.children[0]->span.begin,
                                      a.children[0]->span.end - a.children[0]->span.begin)));
    }
    t->nullable = y->type.nullable;
    // A conditional that picks whichever side is present.
    node n;
    n.code = op::coalesce;
    n.a = x->index;
    n.b = y->index;
    return emit_typed(n, *t, a);
  }

  std::optional<typed> arithmetic(const ast_node& a) {
    const auto x = check(*a.children[0]);
    const auto y = check(*a.children[1]);
    if (!x || !y) return std::nullopt;
    const std::string_view sym = a.op == node_op::add        ? "+"
                                 : a.op == node_op::subtract ? "-"
                                 : a.op == node_op::multiply ? "*"
                                 : a.op == node_op::divide   ? "/"
                                                             : "%";
    if (is_time(x->type.kind) || is_time(y->type.kind)) return time_arithmetic(a, *x, *y, sym);
    for (const typed* v : {&*x, &*y}) {
      if (!is_numeric(v->type.kind)) {
        report(diag::type_mismatch, v->ast->span,
               fmt::format("'{}' needs numbers, not {}", sym, describe(v->type)));
        return std::nullopt;
      }
    }
    node n;
    n.a = x->index;
    n.b = y->index;
    type_info t{value_kind::decimal, x->type.nullable || y->type.nullable};
    const bool both_int =
        x->type.kind == value_kind::integer && y->type.kind == value_kind::integer;
    const arith kind = a.op == node_op::add        ? arith::add
                       : a.op == node_op::subtract ? arith::sub
                       : a.op == node_op::multiply ? arith::mul
                       : a.op == node_op::divide   ? arith::div
                                                   : arith::rem;
    n.aux = static_cast<std::uint8_t>(kind);
    if (both_int && kind != arith::div) {
      n.code = op::arith_int;
      t.kind = value_kind::integer;
      return emit_typed(n, t, a);
    }
    n.code = op::arith_dec;
    const int sx = x->type.scale;
    const int sy = y->type.scale;
    int scale = std::max(sx, sy);
    if (kind == arith::mul) scale = sx + sy;
    if (kind == arith::div)
      scale = std::min(decimal::max_scale, std::max(sx, sy) + extra_division_digits);
    if (scale > decimal::max_scale) {
      report(
          diag::type_mismatch, a.span,
          fmt::format("this product would keep {} fractional digits, more than {}; round a factor "
                      "first with round(x, digits, mode)",
                      scale, decimal::max_scale));
      return std::nullopt;
    }
    n.digits = static_cast<std::int8_t>(scale);
    t.scale = static_cast<std::int8_t>(scale);
    return emit_typed(n, t, a);
  }

  // timestamp ± duration, date ± duration (whole days), differences, duration arithmetic.
  std::optional<typed> time_arithmetic(const ast_node& a, const typed& x, const typed& y,
                                       std::string_view sym) {
    using vk = value_kind;
    const vk kx = x.type.kind;
    const vk ky = y.type.kind;
    const bool plus = a.op == node_op::add;
    const bool minus = a.op == node_op::subtract;
    const bool times = a.op == node_op::multiply;
    std::optional<time_op> t;
    vk result = vk::duration;
    if (kx == vk::timestamp && ky == vk::duration && (plus || minus)) {
      t = plus ? time_op::ts_plus_dur : time_op::ts_minus_dur;
      result = vk::timestamp;
    } else if (kx == vk::duration && ky == vk::timestamp && plus) {
      t = time_op::ts_plus_dur;
      result = vk::timestamp;
    } else if (kx == vk::timestamp && ky == vk::timestamp && minus) {
      t = time_op::ts_minus_ts;
    } else if (kx == vk::date && ky == vk::duration && (plus || minus)) {
      t = plus ? time_op::date_plus_dur : time_op::date_minus_dur;
      result = vk::date;
    } else if (kx == vk::date && ky == vk::date && minus) {
      t = time_op::date_minus_date;
    } else if (kx == vk::duration && ky == vk::duration && (plus || minus)) {
      t = plus ? time_op::dur_plus_dur : time_op::dur_minus_dur;
    } else if (kx == vk::duration && ky == vk::integer && times) {
      t = time_op::dur_times_int;
    } else if (kx == vk::integer && ky == vk::duration && times) {
      t = time_op::int_times_dur;
    }
    if (!t) {
      report(diag::type_mismatch, a.span,
             fmt::format("'{}' cannot combine {} and {}", sym, describe(x.type), describe(y.type)));
      return std::nullopt;
    }
    node n;
    n.code = op::time_arith;
    n.aux = static_cast<std::uint8_t>(*t);
    n.digits = static_cast<std::int8_t>(result);
    // duration + timestamp: keep the timestamp on the left.
    const bool swap = kx == vk::duration && ky == vk::timestamp;
    n.a = swap ? y.index : x.index;
    n.b = swap ? x.index : y.index;
    return emit_typed(n, {result, x.type.nullable || y.type.nullable}, a);
  }

  // A text literal compared with a date or timestamp becomes one: placed_at >= '2026-11-27'.
  std::optional<typed> as_time(const typed& literal, value_kind kind) {
    const std::string& text = literal.ast->text;
    value v;
    if (kind == value_kind::date) {
      if (const auto d = parse_date(text)) v = value::of_date(*d);
    } else if (const auto t = parse_timestamp(text)) {
      v = value::of_timestamp(*t);
    } else if (const auto d = parse_date(text)) {
      // A date against a timestamp means its local midnight in the program's time zone.
      v = value::of_timestamp(start_of_day(*d, schema_.zone()));
    }
    if (v.is_null()) {
      report(diag::type_mismatch, literal.ast->span,
             fmt::format(
                 "'{}' is not a {}: write {}", printable(text), to_string(kind),
                 kind == value_kind::date ? "'YYYY-MM-DD'" : "'YYYY-MM-DDTHH:MM:SSZ' (or +HH:MM)"));
      return std::nullopt;
    }
    out_.nodes[literal.index].constant = v;
    out_.nodes[literal.index].kind = kind;
    typed t = literal;
    t.type = {kind};
    return t;
  }

  static bool is_time_function(std::string_view f) {
    return std::find(time_function_names.begin(), time_function_names.end(), f) !=
           time_function_names.end();
  }

  // A date or a timestamp argument (read as a date where needed).
  bool require_time(const typed& x, std::string_view f, bool allow_timestamp = true) {
    if (x.type.kind == value_kind::date ||
        (allow_timestamp && x.type.kind == value_kind::timestamp)) {
      return true;
    }
    report(diag::type_mismatch, x.ast->span,
           fmt::format("{}() needs a date{}, not {}", f, allow_timestamp ? " or a timestamp" : "",
                       describe(x.type)));
    return false;
  }

  // A rounding mode, calendar unit or feb29 rule written as a bare name or as text, parsed by
  // the owning module's own parse function and checked at load.
  template <typename E, std::size_t N>
  std::optional<E> named_option(const ast_node& arg, std::string_view f, std::string_view what,
                                std::optional<E> (*parse)(std::string_view) noexcept,
                                const std::array<E, N>& all) {
    if (arg.op == node_op::name || arg.op == node_op::literal_string) {
      if (const std::optional<E> e = parse(arg.text)) return e;
    }
    std::vector<std::string_view> names;
    std::string list;
    for (const E e : all) {
      names.push_back(to_string(e));
      list += (list.empty() ? "" : ", ") + std::string(to_string(e));
    }
    report(diag::bad_call, arg.span,
           fmt::format("{}() takes {}: {}{}", f, what, list,
                       did_you_mean(closest_match(arg.text, names))));
    return std::nullopt;
  }

  std::optional<typed> time_function(const ast_node& a) {
    const std::string& f = a.text;
    node n;
    n.code = op::time_fn;
    type_info result{value_kind::integer};
    if (f == "start_of" || f == "end_of") {
      if (!arity(a, 2, 2)) return std::nullopt;
      const auto unit =
          named_option(*a.children[0], f, "a unit", &parse_calendar_unit, all_calendar_units);
      const auto x = check(*a.children[1]);
      if (!unit || !x || !require_time(*x, f)) return std::nullopt;
      n.aux = static_cast<std::uint8_t>(f == "start_of" ? time_fn_kind::start_of
                                                        : time_fn_kind::end_of);
      n.digits = static_cast<std::int8_t>(*unit);
      n.a = x->index;
      result = {x->type.kind, x->type.nullable};
      return emit_typed(n, result, a);
    }
    const bool anniversary = f == "is_anniversary" || f == "is_birthday" ||
                             f == "completed_years" || f == "age" || f == "next_anniversary";
    const bool binary = anniversary || f == "days_between" || f == "months_between" ||
                        f == "years_between" || f == "add_months";
    if (!arity(a, binary ? (anniversary ? 3 : 2) : 1, binary ? (anniversary ? 3 : 2) : 1)) {
      return std::nullopt;
    }
    const auto x = check(*a.children[0]);
    std::optional<typed> y;
    if (binary) y = check(*a.children[1]);
    if (!x || (binary && !y)) return std::nullopt;
    if (f == "date") {
      if (x->ast->op == node_op::literal_string) return as_time(*x, value_kind::date);
      if (x->type.kind != value_kind::timestamp) {
        report(diag::type_mismatch, x->ast->span,
               fmt::format("date() takes a timestamp or 'YYYY-MM-DD', not {}", describe(x->type)));
        return std::nullopt;
      }
      n.aux = static_cast<std::uint8_t>(time_fn_kind::date_of);
      n.a = x->index;
      return emit_typed(n, {value_kind::date, x->type.nullable}, a);
    }
    if (!require_time(*x, f, f != "add_months")) return std::nullopt;
    if (f == "add_months") {
      if (y->type.kind != value_kind::integer) {
        report(
            diag::type_mismatch, y->ast->span,
            fmt::format("add_months() adds a whole number of months, not {}", describe(y->type)));
        return std::nullopt;
      }
      result = {value_kind::date};
    } else if (binary && !require_time(*y, f)) {
      return std::nullopt;
    }
    if (anniversary) {
      const auto rule =
          named_option(*a.children[2], f, "how a 29 February date falls in a common year",
                       &parse_feb29_rule, all_feb29_rules);
      if (!rule) return std::nullopt;
      n.digits = static_cast<std::int8_t>(*rule);
      if (f == "is_anniversary" || f == "is_birthday") result = {value_kind::boolean};
      if (f == "next_anniversary") result = {value_kind::date};
    }
    const time_fn_kind kind =
        f == "days_between"                           ? time_fn_kind::days_between
        : f == "months_between"                       ? time_fn_kind::months_between
        : f == "years_between"                        ? time_fn_kind::years_between
        : f == "day_of_week"                          ? time_fn_kind::day_of_week
        : f == "day_of_month"                         ? time_fn_kind::day_of_month
        : f == "month"                                ? time_fn_kind::month
        : f == "year"                                 ? time_fn_kind::year
        : f == "quarter"                              ? time_fn_kind::quarter
        : f == "add_months"                           ? time_fn_kind::add_months
        : f == "is_anniversary" || f == "is_birthday" ? time_fn_kind::is_anniversary
        : f == "completed_years" || f == "age"        ? time_fn_kind::completed_years
                                                      : time_fn_kind::next_anniversary;
    n.aux = static_cast<std::uint8_t>(kind);
    n.a = x->index;
    if (y) n.b = y->index;
    result.nullable = x->type.nullable || (y && y->type.nullable);
    if (kind == time_fn_kind::is_anniversary) result.nullable = false;  // missing -> false
    return emit_typed(n, result, a);
  }

  // Turns a text literal compared with an enum into the enum's code; reports unknown names.
  std::optional<typed> as_enum(const typed& literal, const type_info& e) {
    const int code = schema_.enum_code(e.enum_index, literal.ast->text);
    if (code < 0) {
      const enum_type& et = schema_.enums()[e.enum_index];
      std::vector<std::string_view> names(et.values.begin(), et.values.end());
      report(diag::unknown_enum_value, literal.ast->span,
             fmt::format("'{}' is not a value of enum {}{}", printable(literal.ast->text), et.name,
                         did_you_mean(closest_match(literal.ast->text, names))));
      return std::nullopt;
    }
    out_.nodes[literal.index].constant = value::of_enum(code);
    out_.nodes[literal.index].kind = value_kind::enumeration;
    typed t = literal;
    t.type = {value_kind::enumeration, false, e.enum_index};
    return t;
  }

  bool is_text_literal(const typed& x) const { return x.ast->op == node_op::literal_string; }

  /// Makes two comparison operands comparable (text literal → enum); returns the op family.
  std::optional<op> comparable(std::optional<typed>& x, std::optional<typed>& y, text_span where) {
    if (x->type.kind == value_kind::enumeration && is_text_literal(*y)) {
      y = as_enum(*y, x->type);
    } else if (y->type.kind == value_kind::enumeration && is_text_literal(*x)) {
      x = as_enum(*x, y->type);
    } else if ((x->type.kind == value_kind::date || x->type.kind == value_kind::timestamp) &&
               is_text_literal(*y)) {
      y = as_time(*y, x->type.kind);
    } else if ((y->type.kind == value_kind::date || y->type.kind == value_kind::timestamp) &&
               is_text_literal(*x)) {
      x = as_time(*x, y->type.kind);
    }
    if (!x || !y) return std::nullopt;
    const value_kind kx = x->type.kind;
    const value_kind ky = y->type.kind;
    if (is_numeric(kx) && is_numeric(ky)) return op::compare_num;
    if (kx == value_kind::string && ky == value_kind::string) return op::compare_str;
    if (kx == value_kind::enumeration && ky == value_kind::enumeration &&
        x->type.enum_index == y->type.enum_index) {
      return op::compare_enum;
    }
    if (kx == value_kind::boolean && ky == value_kind::boolean) return op::compare_bool;
    if (is_time(kx) && kx == ky) return op::compare_enum;  // raw bits order like the values
    report(diag::type_mismatch, where,
           fmt::format("cannot compare {} with {}", describe(x->type), describe(y->type)));
    return std::nullopt;
  }

  std::optional<typed> comparison(const ast_node& a) {
    std::optional<typed> x = check(*a.children[0]);
    std::optional<typed> y = check(*a.children[1]);
    if (!x || !y) return std::nullopt;
    const compare c = a.op == node_op::equal        ? compare::eq
                      : a.op == node_op::not_equal  ? compare::ne
                      : a.op == node_op::less       ? compare::lt
                      : a.op == node_op::less_equal ? compare::le
                      : a.op == node_op::greater    ? compare::gt
                                                    : compare::ge;
    node n;
    n.aux = static_cast<std::uint8_t>(c);
    if (x->type.kind == value_kind::null || y->type.kind == value_kind::null) {
      if (c != compare::eq && c != compare::ne) {
        report(diag::type_mismatch, a.span, "only '==' and '!=' compare with null");
        return std::nullopt;
      }
      n.code = op::is_null;
      n.aux = c == compare::eq ? 0 : 1;
      n.a = x->type.kind == value_kind::null ? y->index : x->index;
      return emit_typed(n, {value_kind::boolean}, a);
    }
    const std::optional<op> family = comparable(x, y, a.span);
    if (!family) return std::nullopt;
    if (*family == op::compare_bool && c != compare::eq && c != compare::ne) {
      report(diag::type_mismatch, a.span, "true and false have no order; use '==' or '!='");
      return std::nullopt;
    }
    n.code = *family;
    n.a = x->index;
    n.b = y->index;
    return emit_typed(n, {value_kind::boolean}, a);
  }

  std::optional<typed> membership(const ast_node& a) {
    std::optional<typed> x = check(*a.children[0]);
    const ast_node& list = *a.children[1];
    if (list.op != node_op::list) {
      report(diag::type_mismatch, list.span, "'in' needs a list such as ['gold', 'platinum']");
      return std::nullopt;
    }
    if (!x) return std::nullopt;
    node n;
    n.a = x->index;
    n.digits = a.op == node_op::not_in ? 1 : 0;  // negate the answer
    std::vector<std::uint32_t> items;
    std::uint64_t mask = 0;
    bool all_enum_constants = x->type.kind == value_kind::enumeration;
    std::optional<op> family;
    for (const auto& item_ast : list.children) {
      std::optional<typed> lhs = x;
      std::optional<typed> item = check(*item_ast);
      if (!item) return std::nullopt;
      family = comparable(lhs, item, item_ast->span);
      if (!family) return std::nullopt;
      if (item->ast->op == node_op::literal_string && x->type.kind == value_kind::enumeration) {
        mask |= std::uint64_t{1} << out_.nodes[item->index].constant.as_enum();
      } else {
        all_enum_constants = false;
      }
      items.push_back(item->index);
    }
    if (all_enum_constants) {
      n.code = op::in_mask;
      n.mask = mask;
    } else {
      n.code = op::in_list;
      n.aux = family == op::compare_num ? 0 : family == op::compare_str ? 1 : 2;
      n.args_begin = static_cast<std::uint32_t>(out_.args.size());
      n.args_count = static_cast<std::uint32_t>(items.size());
      out_.args.insert(out_.args.end(), items.begin(), items.end());
    }
    return emit_typed(n, {value_kind::boolean}, a);
  }

  std::optional<typed> conditional(const ast_node& a) {
    const auto cond = check(*a.children[0]);
    const auto yes = check(*a.children[1]);
    const auto no = check(*a.children[2]);
    if (!cond || !yes || !no) return std::nullopt;
    if (!require_bool(*cond, "the condition of 'if'")) return std::nullopt;
    if (cond->ast->op == node_op::literal_bool) {
      const ast_node& dead = *a.children[cond->ast->bool_value ? 2 : 1];
      report(diag::unreachable, dead.span,
             fmt::format("the condition is always {}, so this branch never runs",
                         cond->ast->bool_value ? "true" : "false"));
    }
    const std::optional<type_info> t = unify(yes->type, no->type);
    if (!t) {
      report(diag::type_mismatch, a.span,
             fmt::format("'then' gives {} but 'else' gives {}", describe(yes->type),
                         describe(no->type)));
      return std::nullopt;
    }
    node n;
    n.code = op::conditional;
    n.a = cond->index;
    n.b = yes->index;
    n.c = no->index;
    return emit_typed(n, *t, a);
  }

  // --- functions ------------------------------------------------------------------------------

  bool arity(const ast_node& a, std::size_t min, std::size_t max) {
    const std::size_t n = a.children.size();
    if (n >= min && n <= max) return true;
    const std::string expected = min == max  ? fmt::format("{}", min)
                                 : max > 100 ? fmt::format("at least {}", min)
                                             : fmt::format("{} to {}", min, max);
    report(
        diag::bad_call, a.name_span,
        fmt::format("{}() takes {} argument{}, not {}", a.text, expected, max == 1 ? "" : "s", n));
    return false;
  }

  std::optional<typed> call(const ast_node& a) {
    const std::string& f = a.text;
    const bool lambda_second = a.children.size() == 2 && a.children[1]->op == node_op::lambda;
    if (f == "any" || f == "all" || f == "none" || f == "count" || f == "sum" ||
        ((f == "min" || f == "max") && lambda_second)) {
      return list_function(a);
    }
    if (f == "filter") {
      report(diag::bad_call, a.name_span,
             "filter() is used inside another list function, e.g. "
             "'sum(filter(order.lines, l -> l.qty > 1), l -> l.price)'");
      return std::nullopt;
    }
    if (is_time_function(f)) return time_function(a);
    if (f == "abs" || f == "floor" || f == "ceil") return unary_numeric(a);
    if (f == "min" || f == "max") return min_max(a);
    if (f == "round") return round(a);
    if (f == "clamp") return clamp(a);
    if (f == "lower" || f == "upper") return change_case(a);
    if (f == "starts_with" || f == "ends_with" || f == "contains") return text_test(a);
    std::vector<std::string_view> names(function_names.begin(), function_names.end());
    names.insert(names.end(), time_function_names.begin(), time_function_names.end());
    report(diag::bad_call, a.name_span,
           fmt::format("unknown function '{}'{}", printable(f),
                       did_you_mean(closest_match(f, names))));
    return std::nullopt;
  }

  std::optional<std::vector<typed>> numeric_args(const ast_node& a) {
    std::vector<typed> args;
    bool ok = true;
    for (const auto& c : a.children) {
      const auto x = check(*c);
      if (!x) {
        ok = false;
        continue;
      }
      if (!is_numeric(x->type.kind)) {
        report(diag::type_mismatch, c->span,
               fmt::format("{}() needs numbers, not {}", a.text, describe(x->type)));
        ok = false;
        continue;
      }
      args.push_back(*x);
    }
    if (!ok) return std::nullopt;
    return args;
  }

  std::optional<typed> rounded(const ast_node& a, const typed& x, int digits, rounding_mode mode) {
    node n;
    n.code = op::round_dec;
    n.a = x.index;
    n.aux = static_cast<std::uint8_t>(mode);
    n.digits = static_cast<std::int8_t>(digits);
    type_info t{value_kind::decimal, x.type.nullable};
    t.scale = static_cast<std::int8_t>(digits);
    return emit_typed(n, t, a);
  }

  std::optional<typed> unary_numeric(const ast_node& a) {
    if (!arity(a, 1, 1)) return std::nullopt;
    const auto args = numeric_args(a);
    if (!args) return std::nullopt;
    const typed& x = (*args)[0];
    if (a.text == "floor") return rounded(a, x, 0, rounding_mode::floor);
    if (a.text == "ceil") return rounded(a, x, 0, rounding_mode::ceiling);
    node n;
    n.code = op::abs_num;
    n.a = x.index;
    return emit_typed(n, x.type, a);
  }

  std::optional<typed> min_max(const ast_node& a) {
    if (!arity(a, 2, 1000)) return std::nullopt;
    const auto args = numeric_args(a);
    if (!args) return std::nullopt;
    type_info t = (*args)[0].type;
    node n;
    n.code = a.text == "min" ? op::min_num : op::max_num;
    n.args_begin = static_cast<std::uint32_t>(out_.args.size());
    n.args_count = static_cast<std::uint32_t>(args->size());
    for (const typed& x : *args) {
      t = *unify(t, x.type);
      out_.args.push_back(x.index);
    }
    return emit_typed(n, t, a);
  }

  std::optional<typed> clamp(const ast_node& a) {
    if (!arity(a, 3, 3)) return std::nullopt;
    const auto args = numeric_args(a);
    if (!args) return std::nullopt;
    type_info t = *unify(*unify((*args)[0].type, (*args)[1].type), (*args)[2].type);
    node n;
    n.code = op::clamp_num;
    n.a = (*args)[0].index;
    n.b = (*args)[1].index;
    n.c = (*args)[2].index;
    return emit_typed(n, t, a);
  }

  std::optional<typed> round(const ast_node& a) {
    if (!arity(a, 3, 3)) return std::nullopt;
    const auto x = check(*a.children[0]);
    const ast_node& digits_ast = *a.children[1];
    const ast_node& mode_ast = *a.children[2];
    bool ok = x.has_value();
    if (x && !is_numeric(x->type.kind)) {
      report(diag::type_mismatch, a.children[0]->span,
             fmt::format("round() needs a number, not {}", describe(x->type)));
      ok = false;
    }
    const bool digits_ok = digits_ast.op == node_op::literal_number &&
                           digits_ast.number.scale() == 0 && digits_ast.number.units() >= 0 &&
                           digits_ast.number.units() <= decimal::max_scale;
    if (!digits_ok) {
      report(diag::bad_call, digits_ast.span,
             fmt::format("round() takes the number of digits as a whole number from 0 to {}",
                         decimal::max_scale));
      ok = false;
    }
    const std::optional<rounding_mode> mode = named_option(
        mode_ast, "round", "a rounding mode", &parse_rounding_mode, all_rounding_modes);
    ok = ok && mode.has_value();
    if (!ok) return std::nullopt;
    return rounded(a, *x, static_cast<int>(digits_ast.number.units()), *mode);
  }

  std::optional<std::vector<typed>> text_args(const ast_node& a) {
    std::vector<typed> args;
    bool ok = true;
    for (const auto& c : a.children) {
      const auto x = check(*c);
      if (!x) {
        ok = false;
      } else if (x->type.kind != value_kind::string) {
        report(diag::type_mismatch, c->span,
               fmt::format("{}() needs text, not {}", a.text, describe(x->type)));
        ok = false;
      } else {
        args.push_back(*x);
      }
    }
    if (!ok) return std::nullopt;
    return args;
  }

  std::optional<typed> change_case(const ast_node& a) {
    if (!arity(a, 1, 1)) return std::nullopt;
    const auto args = text_args(a);
    if (!args) return std::nullopt;
    node n;
    n.code = a.text == "lower" ? op::lower : op::upper;
    n.a = (*args)[0].index;
    type_info t = (*args)[0].type;
    t.scratch_text = true;
    return emit_typed(n, t, a);
  }

  std::optional<typed> text_test(const ast_node& a) {
    if (!arity(a, 2, 2)) return std::nullopt;
    const auto args = text_args(a);
    if (!args) return std::nullopt;
    node n;
    n.code = a.text == "starts_with" ? op::starts_with
             : a.text == "ends_with" ? op::ends_with
                                     : op::contains;
    n.a = (*args)[0].index;
    n.b = (*args)[1].index;
    return emit_typed(n, {value_kind::boolean}, a);
  }

  // --- list functions -------------------------------------------------------------------------

  /// Checks `x -> body` with x bound to a row of `record` at `depth`.
  std::optional<typed> lambda_body(const ast_node& lambda, std::uint16_t record,
                                   std::uint8_t depth) {
    scopes_.push_back({lambda.text, record, depth});
    std::optional<typed> body = check(*lambda.children[0]);
    scopes_.pop_back();
    return body;
  }

  std::optional<typed> list_function(const ast_node& a) {
    const std::string& f = a.text;
    const bool counting = f == "count";
    if (!arity(a, counting ? 1 : 2, 2)) return std::nullopt;
    // filter(list, p) as the list argument becomes a predicate on the rows: no list is built.
    const ast_node* list_ast = a.children[0].get();
    const ast_node* filter = nullptr;
    if (list_ast->op == node_op::call && list_ast->text == "filter") {
      if (!arity(*list_ast, 2, 2)) return std::nullopt;
      filter = list_ast->children[1].get();
      list_ast = list_ast->children[0].get();
    }
    const auto list = check(*list_ast);
    if (!list) return std::nullopt;
    if (list->type.kind != value_kind::list) {
      report(diag::type_mismatch, list_ast->span,
             fmt::format("{}() needs a list such as order.lines, not {}", f, describe(list->type)));
      return std::nullopt;
    }
    if (scopes_.size() >= static_cast<std::size_t>(max_lambda_depth)) {
      report(diag::expression_limit, a.name_span,
             fmt::format("list functions nest at most {} deep", max_lambda_depth));
      return std::nullopt;
    }
    const auto depth = static_cast<std::uint8_t>(scopes_.size());
    node n;
    n.code = op::list_fn;
    n.a = list->index;
    n.digits = static_cast<std::int8_t>(depth);
    if (filter != nullptr) {
      const auto pred = checked_lambda(*filter, "filter", list->type.enum_index, depth);
      if (!pred) return std::nullopt;
      if (!require_bool(*pred, "the condition of filter()")) return std::nullopt;
      n.b = pred->index;
      n.mask |= 1U;
    }
    type_info result{value_kind::boolean};
    if (a.children.size() == 2) {
      const auto body = checked_lambda(*a.children[1], f, list->type.enum_index, depth);
      if (!body) return std::nullopt;
      const bool boolean = f == "any" || f == "all" || f == "none" || counting;
      if (boolean && !require_bool(*body, fmt::format("the condition of {}()", f)))
        return std::nullopt;
      if (!boolean && !is_numeric(body->type.kind)) {
        report(diag::type_mismatch, body->ast->span,
               fmt::format("{}() adds up numbers, not {}", f, describe(body->type)));
        return std::nullopt;
      }
      if (!boolean) result = {body->type.kind, f != "sum", 0, body->type.scale};
      n.c = body->index;
      n.mask |= 2U;
    }
    if (counting) result = {value_kind::integer};
    n.result_int = result.kind == value_kind::integer;
    n.aux = static_cast<std::uint8_t>(f == "any"    ? list_kind::any
                                      : f == "all"  ? list_kind::all
                                      : f == "none" ? list_kind::none
                                      : counting    ? list_kind::count
                                      : f == "sum"  ? list_kind::sum
                                      : f == "min"  ? list_kind::min
                                                    : list_kind::max);
    return emit_typed(n, result, a);
  }

  std::optional<typed> checked_lambda(const ast_node& arg, std::string_view f, std::uint16_t record,
                                      std::uint8_t depth) {
    if (arg.op != node_op::lambda) {
      report(
          diag::bad_call, arg.span,
          fmt::format("{}() takes 'x -> ...' here, e.g. '{}(order.lines, l -> l.qty > 1)'", f, f));
      return std::nullopt;
    }
    return lambda_body(arg, record, depth);
  }

  // --- variables ------------------------------------------------------------------------------

  /// A use of variable `i`: compiled into this expression on first use (its own diagnostics point
  /// into its own text), then referenced by a memoizing node.
  std::optional<typed> variable(const ast_node& a, std::size_t i) {
    if (!state_.attempted[i]) {
      state_.attempted[i] = true;
      const variable_def& v = state_.variables[i];
      state_.compiled[i] = compile_text(v.text, v.origin, state_, i);
      // Its syntax tree is gone once compiled; only the node index and the type remain.
      if (state_.compiled[i]) state_.compiled[i]->ast = nullptr;
    }
    if (!state_.compiled[i]) return std::nullopt;
    if (state_.slot_of[i] == unused_slot) {
      if (state_.slots_used == max_variables) {
        report(diag::expression_limit, a.span,
               fmt::format("an expression may use at most {} variables", max_variables));
        return std::nullopt;
      }
      state_.slot_of[i] = state_.slots_used++;
    }
    node n;
    n.code = op::variable;
    n.a = state_.compiled[i]->index;
    n.slot = state_.slot_of[i];
    type_info t = state_.compiled[i]->type;
    t.scratch_text = false;
    if (state_.compiled[i]->type.scratch_text) {
      report(diag::type_mismatch, a.span,
             "a variable cannot hold the text made by lower() or upper(); compare it instead");
      return std::nullopt;
    }
    return emit_typed(n, t, a);
  }

 public:
  /// Parses and checks one text (the expression or a variable) into the shared output.
  static std::optional<typed> compile_text(std::string_view text, const expression_origin& origin,
                                           compile_state& state, std::size_t visible) {
    checker c(text, origin, state, visible);
    if (text.size() > state.limits.max_length) {
      c.report(diag::expression_limit, {0, 1},
               fmt::format("expression of {} characters exceeds the limit of {}", text.size(),
                           state.limits.max_length));
      return std::nullopt;
    }
    parse_error error;
    const std::unique_ptr<ast_node> ast =
        parse(text, {state.limits.max_depth, state.limits.max_list_literal}, error);
    if (!ast) {
      const bool limit = error.message.find("nested deeper") != std::string::npos ||
                         error.message.find("at most") != std::string::npos;
      c.report(limit ? diag::expression_limit : diag::expression_syntax, error.where,
               error.message);
      return std::nullopt;
    }
    return c.check(*ast);
  }

 private:
  std::vector<scope> scopes_;
  std::string_view text_;
  const schema& schema_;
  const expression_origin& origin_;
  compiled_expression::impl& out_;
  std::vector<diagnostic>& diags_;
  compile_state& state_;
  std::size_t visible_;
};

// --- peephole fusion ------------------------------------------------------------------------
// Rewrites a node whose children are a field and a constant into one fused op. Children are
// emitted before their parents, so one forward pass sees them finished; the replaced children stay
// in the array, unreferenced.

compare flipped(compare c) {
  switch (c) {
    case compare::lt:
      return compare::gt;
    case compare::le:
      return compare::ge;
    case compare::gt:
      return compare::lt;
    case compare::ge:
      return compare::le;
    default:
      return c;
  }
}

/// The constant's raw bits as the field stores them (units at the field's scale, enum code,
/// 0/1), or nullopt when it is not exactly representable that way.
std::optional<std::int64_t> bits_for_field(const value& constant, const field_type& t) {
  switch (t.kind) {
    case value_kind::decimal:
    case value_kind::integer: {
      if (constant.kind() != value_kind::decimal && constant.kind() != value_kind::integer) {
        return std::nullopt;
      }
      const decimal c = constant.as_decimal();
      const int scale = t.kind == value_kind::decimal ? t.scale : 0;
      const decimal_result r = c.rescale(scale, rounding_mode::down);
      if (!r || r.value != c) return std::nullopt;
      return r.value.units();
    }
    case value_kind::enumeration:
      return constant.kind() == value_kind::enumeration ? std::optional(constant.as_int())
                                                        : std::nullopt;
    case value_kind::boolean:
      return constant.kind() == value_kind::boolean ? std::optional(constant.as_int())
                                                    : std::nullopt;
    default:
      return std::nullopt;
  }
}

void fuse_compare(compiled_expression::impl& p, node& n) {
  const node* f = &p.nodes[n.a];
  const node* c = &p.nodes[n.b];
  auto cmp = static_cast<compare>(n.aux);
  if (f->code == op::constant && c->code == op::field) {
    std::swap(f, c);
    cmp = flipped(cmp);
  }
  if (f->code != op::field || c->code != op::constant || c->constant.is_null()) return;
  const std::optional<std::int64_t> bits = bits_for_field(c->constant, p.slot_types[f->slot]);
  if (!bits) return;
  const std::uint32_t slot = f->slot;
  n = node{};
  n.kind = value_kind::boolean;
  n.code = op::compare_slot;
  n.aux = static_cast<std::uint8_t>(cmp);
  n.slot = slot;
  n.constant = value::of_int(*bits);
}

void fuse(compiled_expression::impl& p) {
  for (node& n : p.nodes) {
    if (n.code == op::compare_num || n.code == op::compare_enum || n.code == op::compare_bool) {
      fuse_compare(p, n);
    } else if (n.code == op::in_mask && p.nodes[n.a].code == op::field) {
      n.code = op::in_mask_slot;
      n.slot = p.nodes[n.a].slot;
    } else if (n.code == op::round_dec && p.nodes[n.a].code == op::arith_dec &&
               static_cast<arith>(p.nodes[n.a].aux) == arith::div) {
      const node& div = p.nodes[n.a];
      const node& lhs = p.nodes[div.a];
      const node& rhs = p.nodes[div.b];
      if (lhs.code == op::field && rhs.code == op::constant && !rhs.constant.is_null()) {
        const std::uint32_t slot = lhs.slot;
        const value divisor = rhs.constant;
        n.code = op::div_slot_const;
        n.slot = slot;
        n.constant = divisor;  // aux (mode) and digits stay
      }
    }
  }
}

}  // namespace

}  // namespace internal::expr

compile_result compile_expression(std::string_view text, const schema& s,
                                  const expression_origin& origin, const expression_limits& limits,
                                  std::span<const variable_def> variables) {
  using namespace internal::expr;
  compile_result result;
  auto impl = std::make_unique<compiled_expression::impl>();
  compile_state state{s,
                      *impl,
                      result.diagnostics,
                      limits,
                      variables,
                      std::vector<std::optional<typed>>(variables.size()),
                      std::vector<bool>(variables.size(), false),
                      std::vector<std::uint32_t>(variables.size(), unused_slot),
                      0};
  const auto root = checker::compile_text(text, origin, state, variables.size());
  if (root && root->type.scratch_text) {
    checker(text, origin, state, 0)
        .report(internal::diag::type_mismatch, {0, static_cast<std::uint32_t>(text.size())},
                "the text made by lower() or upper() can be compared, not returned");
  }
  if (!root || has_errors(result.diagnostics)) return result;
  impl->root = root->index;
  for (const field_decl& f : s.fields()) impl->slot_types.push_back(f.type);
  impl->max_iterations = limits.max_iterations;
  impl->zone = s.zone();
  fuse(*impl);
  impl->vm = lower_to_registers(*impl);
  if (!impl->vm.empty()) impl->columns = lower_to_columns(*impl);
  impl->result = {
      root->type.kind, root->type.scale, root->type.enum_index, root->type.nullable, {}};
  result.expression = std::make_unique<compiled_expression>(std::move(impl));
  return result;
}

}  // namespace loyalty
