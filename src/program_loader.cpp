// Check and compile phases for the program file: raw YAML tree in, immutable program out.
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <unordered_map>

#include "diagnostic_sink.hpp"
#include "loyalty/program.hpp"
#include "rules_loader.hpp"
#include "schema_reader.hpp"
#include "text_util.hpp"
#include "wallet_reader.hpp"
#include "yaml/raw_node.hpp"

namespace loyalty {

using internal::diag;
using internal::map_reader;
using internal::raw_node;
using internal::schema_reader;

/// Fills a program from its raw tree, reporting every problem.
class program_builder {
 public:
  program_builder(internal::diagnostic_sink& sink, const load_limits& limits)
      : reader_(sink), limits_(limits) {}

  void build(const raw_node& root, program& out);

 private:
  std::optional<std::string> time_zone(const raw_node* node);
  void currencies(const raw_node* node, program& out);
  void point_types(const raw_node* node, program& out);
  std::optional<point_type> one_point_type(const raw_node& node, std::size_t index,
                                           const program& out,
                                           std::vector<const raw_node*>& reset_events);
  void resolve_reset_events(program& out);
  std::optional<decimal> unit_value(const raw_node& node, std::string_view what);
  const currency* point_type_currency(const raw_node* node, std::string_view what,
                                      const program& out);

  void report_unknown_currency(const raw_node& node, const std::string& code);
  void schema(const raw_node* node, program& out);
  void enums(const raw_node& node, program& out);
  void fields(const raw_node& node, program& out);
  void records(const raw_node& node, program& out);
  void variables(const raw_node* node, program& out, const loyalty::schema& scope);
  expression_origin origin_of(const raw_node& scalar);
  std::optional<field_type> parse_type(const raw_node& node, const program& out);

  schema_reader reader_;
  const load_limits& limits_;
  std::vector<std::string> rejected_currencies_;         // listed in 'currencies' but not ISO 4217
  loyalty::time_zone zone_ = loyalty::time_zone::utc();  // the program's, once located
  // Per point type (in out.point_types_ order): the names in `expiry: reset_on` that are no
  // operation, to resolve as event types once `events:` is read.
  std::vector<std::vector<const raw_node*>> reset_events_;
};

namespace {

// The choices for 'rounding', named by to_string(rounding_mode) so the names live in one place.
const std::array<std::pair<std::string_view, rounding_mode>, 7>& rounding_choices() {
  static const auto choices = [] {
    constexpr std::array modes = {rounding_mode::half_even, rounding_mode::half_up,
                                  rounding_mode::half_down, rounding_mode::down,
                                  rounding_mode::up,        rounding_mode::floor,
                                  rounding_mode::ceiling};
    std::array<std::pair<std::string_view, rounding_mode>, 7> out{};
    for (std::size_t i = 0; i < modes.size(); ++i) out[i] = {to_string(modes[i]), modes[i]};
    return out;
  }();
  return choices;
}

/// Point types keep at most 8 fractional digits: with a 64-bit mantissa that still leaves
/// balances up to about 92 billion.
constexpr std::int64_t max_point_type_scale = 8;

std::vector<std::string_view> time_zone_names(const date::tzdb& db) {
  std::vector<std::string_view> names;
  // Built with USE_OS_TZDB, the database lists links (e.g. "US/Eastern") as zones too.
  names.reserve(db.zones.size());
  for (const auto& z : db.zones) names.emplace_back(z.name());
  return names;
}

// Diagnostics are found phase by phase; users read them top to bottom.
// The same problem found twice (a broken variable used by another) is shown once.
void sort_by_position(std::vector<diagnostic>& ds) {
  std::stable_sort(ds.begin(), ds.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  ds.erase(std::unique(ds.begin(), ds.end()), ds.end());
}

std::vector<std::string_view> currency_codes() {
  std::vector<std::string_view> codes;
  for (const currency& c : all_currencies()) codes.push_back(c.code);
  return codes;
}

}  // namespace

void program_builder::build(const raw_node& root, program& out) {
  map_reader top(reader_, root, "the program");
  if (auto v = reader_.text(top.required("name"), "'name'")) out.name_ = std::move(*v);
  if (auto v = reader_.text(top.required("version"), "'version'")) out.version_ = std::move(*v);
  if (auto v = time_zone(top.required("time_zone"))) out.time_zone_ = std::move(*v);
  out.zone_ = zone_;
  out.schema_.set_time_zone(zone_);  // before the schema, whose expressions read dates in it
  currencies(top.optional("currencies"), out);
  point_types(top.required("point_types"), out);
  schema(top.optional("schema"), out);
  rules_builder rules(reader_, limits_, out);
  rules.events(top.optional("events"));
  resolve_reset_events(out);
  variables(top.optional("variables"), out, rules.scope());
  rules.budgets(top.optional("budgets"));
  rules.groups(top.optional("groups"));
  rules.rules(top.optional("rules"));
  top.finish();
}

std::optional<std::string> program_builder::time_zone(const raw_node* node) {
  std::optional<std::string> name = reader_.text(node, "'time_zone'");
  if (!name) return std::nullopt;
  if (const std::optional<loyalty::time_zone> zone = loyalty::time_zone::locate(*name)) {
    zone_ = *zone;
    return name;
  }
  std::string hint;
  try {
    const std::vector<std::string_view> names = time_zone_names(date::get_tzdb());
    hint = internal::did_you_mean(internal::closest_match(*name, names));
  } catch (const std::exception&) {
    hint = " (the time zone database could not be read)";
  }
  reader_.sink().report(diag::unknown_time_zone, node->span,
                        fmt::format("unknown time zone '{}': use an IANA name such as "
                                    "'Europe/Berlin' or 'UTC'{}",
                                    internal::printable(*name), hint));
  return std::nullopt;
}

void program_builder::currencies(const raw_node* node, program& out) {
  if (node == nullptr || !reader_.expect(*node, internal::node_kind::sequence, "'currencies'")) {
    return;
  }
  const std::size_t n =
      internal::bounded_size(reader_, *node, limits_.max_currencies, "'currencies'");
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& item = node->children[i];
    std::optional<std::string> code = reader_.text(&item, "a currency");
    if (!code) continue;
    const currency* c = find_currency(*code);
    if (c == nullptr) {
      report_unknown_currency(item, *code);
      rejected_currencies_.push_back(std::move(*code));
      continue;
    }
    if (std::find(out.currencies_.begin(), out.currencies_.end(), c) != out.currencies_.end()) {
      reader_.sink().report(diag::duplicate_id, item.span,
                            fmt::format("currency '{}' is listed twice", c->code));
      continue;
    }
    out.currencies_.push_back(c);
  }
}

void program_builder::report_unknown_currency(const raw_node& node, const std::string& code) {
  reader_.sink().report(
      diag::unknown_currency, node.span,
      fmt::format("unknown currency '{}': use an ISO 4217 code such as 'EUR'{}",
                  internal::printable(code),
                  internal::did_you_mean(internal::closest_match(code, currency_codes()))));
}

void program_builder::point_types(const raw_node* node, program& out) {
  if (node == nullptr || !reader_.expect(*node, internal::node_kind::sequence, "'point_types'")) {
    return;
  }
  if (node->size() == 0) {
    reader_.sink().report(diag::empty_value, node->span,
                          "'point_types' must list at least one point type");
    return;
  }
  const std::size_t n =
      internal::bounded_size(reader_, *node, limits_.max_point_types, "'point_types'");
  std::unordered_map<std::string_view, std::uint32_t> first_line;
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& item = node->children[i];
    // Repeated ids are found on the raw text, so a point type with other errors still counts.
    const raw_node* id = item.is_mapping() ? internal::find_value(item, "id") : nullptr;
    if (id != nullptr && id->is_scalar()) {
      const auto [it, inserted] = first_line.try_emplace(id->text, id->span.line);
      if (!inserted) {
        reader_.sink().report(diag::duplicate_id, id->span,
                              fmt::format("point type id '{}' is already used on line {}",
                                          internal::printable(id->text), it->second));
        continue;
      }
    }
    std::vector<const raw_node*> reset_events;
    if (std::optional<point_type> t = one_point_type(item, i, out, reset_events)) {
      out.point_types_.push_back(std::move(*t));
      reset_events_.push_back(std::move(reset_events));
    }
  }
}

std::optional<point_type> program_builder::one_point_type(
    const raw_node& node, std::size_t index, const program& out,
    std::vector<const raw_node*>& reset_events) {
  // Name the point type by its id in every message, even before the id is checked.
  const raw_node* id_node = node.is_mapping() ? internal::find_value(node, "id") : nullptr;
  const std::string what = id_node != nullptr && id_node->is_scalar()
                               ? fmt::format("point type '{}'", internal::printable(id_node->text))
                               : fmt::format("point type #{}", index + 1);
  map_reader m(reader_, node, what);
  if (!m.valid()) return std::nullopt;
  point_type t;
  const std::optional<std::string> id = reader_.id(m.required("id"), "point type id");
  const raw_node* name_node = m.optional("name");
  const std::optional<std::string> name =
      name_node != nullptr ? reader_.text(name_node, fmt::format("'name' of {}", what))
                           : std::nullopt;
  const auto rounding = reader_.choice<rounding_mode>(
      m.required("rounding"), fmt::format("'rounding' of {}", what), rounding_choices());
  t.money = point_type_currency(m.optional("currency"), what, out);
  const int default_scale = t.money != nullptr ? t.money->minor_units : 0;
  std::optional<std::int64_t> scale = default_scale;
  if (const raw_node* s = m.optional("scale")) {
    scale = reader_.integer(s, fmt::format("'scale' of {}", what), 0, max_point_type_scale);
    if (scale && t.money != nullptr && *scale < t.money->minor_units) {
      reader_.sink().report(
          diag::scale_below_minor_unit, s->span,
          fmt::format("scale {} of {} is below {}'s {} minor-unit digits: amounts will be rounded "
                      "to multiples of {} {}",
                      *scale, what, t.money->code, t.money->minor_units,
                      decimal::from_units(1, static_cast<int>(*scale)).value.to_string(),
                      t.money->code));
    }
  }
  if (const raw_node* v = m.optional("value")) t.value = unit_value(*v, what);
  if (!t.value && t.money != nullptr && !out.currencies_.empty() &&
      t.money == out.currencies_.front()) {
    t.value = decimal::from_int(1).value;
  }
  internal::read_wallet_keys(reader_, m, what, t, &reset_events);
  m.finish();
  if (!id || !rounding || !scale) return std::nullopt;
  t.id = *id;
  t.name = name.value_or(*id);
  t.rounding = *rounding;
  t.scale = static_cast<int>(*scale);
  return t;
}

/// The event types named in `expiry: reset_on`: an event of such a type resets the wallet's
/// inactivity clock (the engine records the activity). A name that is neither an operation nor a
/// declared event type is reported here, with a suggestion from both.
void program_builder::resolve_reset_events(program& out) {
  std::vector<std::string_view> events;
  for (const event_type& t : out.event_types_) {
    if (!t.synthetic) events.push_back(t.id);
  }
  std::vector<std::string_view> all(events);
  for (const op_kind k :
       {op_kind::earn, op_kind::activate, op_kind::cancel_pending, op_kind::redeem,
        op_kind::reserve, op_kind::capture, op_kind::release, op_kind::reverse_earn,
        op_kind::refund, op_kind::adjust, op_kind::transfer, op_kind::record_activity}) {
    all.push_back(to_string(k));
  }
  for (std::size_t i = 0; i < reset_events_.size() && i < out.point_types_.size(); ++i) {
    point_type& t = out.point_types_[i];
    for (const raw_node* node : reset_events_[i]) {
      const std::string& name = node->text;
      const auto it = std::find(events.begin(), events.end(), std::string_view(name));
      const std::string what = fmt::format("'expiry: reset_on' of point type '{}'", t.id);
      if (it == events.end()) {
        const bool dotted = name.find('.') != std::string::npos;
        reader_.sink().report(
            dotted ? diag::unknown_reference : diag::invalid_choice, node->span,
            fmt::format("{} names '{}', which is neither an operation nor an event type "
                        "'events' declares{}",
                        what, internal::printable(name),
                        internal::did_you_mean(internal::closest_match(name, all))));
        continue;
      }
      const auto index = static_cast<std::uint16_t>(
          std::find_if(out.event_types_.begin(), out.event_types_.end(),
                       [&](const event_type& e) { return e.id == name; }) -
          out.event_types_.begin());
      if (std::find(t.reset_on_events.begin(), t.reset_on_events.end(), index) !=
          t.reset_on_events.end()) {
        reader_.sink().report(diag::duplicate_id, node->span,
                              fmt::format("{} lists '{}' twice", what, name));
        continue;
      }
      t.reset_on_events.push_back(index);
    }
  }
}

std::optional<decimal> program_builder::unit_value(const raw_node& node, std::string_view what) {
  const std::optional<std::string> text = reader_.text(&node, fmt::format("'value' of {}", what));
  if (!text) return std::nullopt;
  const decimal_result d = decimal::parse(*text);
  if (!d.ok() || d.value.is_negative() || d.value.scale() > 8) {
    reader_.sink().report(diag::invalid_integer, node.span,
                          fmt::format("'value' of {} must be a number from 0 with at most 8 "
                                      "fractional digits, not '{}'",
                                      what, internal::printable(*text)));
    return std::nullopt;
  }
  return d.value;
}

const currency* program_builder::point_type_currency(const raw_node* node, std::string_view what,
                                                     const program& out) {
  const std::optional<std::string> code =
      node != nullptr ? reader_.text(node, fmt::format("'currency' of {}", what)) : std::nullopt;
  if (!code) return nullptr;
  const auto it = std::find_if(out.currencies_.begin(), out.currencies_.end(),
                               [&](const currency* c) { return c->code == *code; });
  if (it != out.currencies_.end()) return *it;
  if (std::find(rejected_currencies_.begin(), rejected_currencies_.end(), *code) !=
      rejected_currencies_.end()) {
    return nullptr;  // already reported where 'currencies' lists it
  }
  if (find_currency(*code) == nullptr) {
    report_unknown_currency(*node, *code);
    return nullptr;
  }
  reader_.sink().report(
      diag::undeclared_currency, node->span,
      fmt::format("{} uses currency '{}', which is not in the program's 'currencies'", what,
                  internal::printable(*code)));
  return nullptr;
}

void program_builder::schema(const raw_node* node, program& out) {
  if (node == nullptr) return;
  map_reader m(reader_, *node, "'schema'");
  if (const raw_node* e = m.optional("enums")) enums(*e, out);
  if (const raw_node* r = m.optional("records")) records(*r, out);
  if (const raw_node* f = m.optional("fields")) fields(*f, out);
  m.finish();
}

void program_builder::enums(const raw_node& node, program& out) {
  if (!reader_.expect(node, internal::node_kind::mapping, "'enums'")) return;
  const std::size_t n = internal::bounded_size(reader_, node, limits_.max_enums, "'enums'");
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& key = node.key(i);
    const std::optional<std::string> name = reader_.id(&key, "enum name");
    const std::string what = fmt::format("values of enum '{}'", internal::printable(key.text));
    const raw_node& list = node.value(i);
    if (!name || !reader_.expect(list, internal::node_kind::sequence, what)) continue;
    if (list.size() == 0 || list.size() > 64) {
      reader_.sink().report(
          diag::too_many_items, list.span,
          fmt::format("enum '{}' must have 1 to 64 values, not {}", *name, list.size()));
      continue;
    }
    std::vector<std::string> values;
    for (const raw_node& item : list.children) {
      std::optional<std::string> v = reader_.id(&item, fmt::format("a value of enum '{}'", *name));
      if (!v) continue;
      if (std::find(values.begin(), values.end(), *v) != values.end()) {
        reader_.sink().report(diag::duplicate_id, item.span,
                              fmt::format("enum '{}' lists '{}' twice", *name, *v));
        continue;
      }
      values.push_back(std::move(*v));
    }
    // Registered with its valid values even after an error, so fields that use it do not
    // report a second, misleading problem.
    if (!values.empty()) out.schema_.add_enum(*name, std::move(values));
  }
}

void program_builder::fields(const raw_node& node, program& out) {
  if (!reader_.expect(node, internal::node_kind::mapping, "'fields'")) return;
  const std::size_t n = internal::bounded_size(reader_, node, limits_.max_fields, "'fields'");
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& key = node.key(i);
    const std::optional<field_type> type = parse_type(node.value(i), out);
    if (!type) continue;
    if (!out.schema_.add_field(key.text, *type)) {
      reader_.sink().report(
          diag::invalid_id, key.span,
          fmt::format("field '{}' is not a valid path: use ids joined by '.', such as "
                      "'order.total'",
                      internal::printable(key.text)));
    }
  }
}

void program_builder::records(const raw_node& node, program& out) {
  if (!reader_.expect(node, internal::node_kind::mapping, "'records'")) return;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const raw_node& key = node.key(i);
    const std::optional<std::string> name = reader_.id(&key, "record name");
    const std::string what = fmt::format("fields of record '{}'", internal::printable(key.text));
    const raw_node& map = node.value(i);
    if (!name || !reader_.expect(map, internal::node_kind::mapping, what)) continue;
    std::vector<std::pair<std::string, field_type>> fields;
    bool ok = map.size() > 0 && map.size() <= 64;
    if (!ok) {
      reader_.sink().report(
          diag::too_many_items, map.span,
          fmt::format("record '{}' must have 1 to 64 fields, not {}", *name, map.size()));
    }
    for (std::size_t f = 0; f < map.size() && ok; ++f) {
      const std::optional<std::string> field = reader_.id(&map.key(f), "record field name");
      const std::optional<field_type> type = parse_type(map.value(f), out);
      const bool nested_list = type && type->kind == value_kind::list;
      if (nested_list) {
        reader_.sink().report(diag::unknown_type, map.value(f).span,
                              "a record field cannot be a list: records are flat rows");
      }
      if (!field || !type || nested_list) {
        ok = false;
        continue;
      }
      fields.emplace_back(std::move(*field), std::move(*type));
    }
    if (ok) out.schema_.add_record(*name, std::move(fields));
  }
}

// Where an expression written as a YAML scalar starts, so diagnostics point inside it.
expression_origin program_builder::origin_of(const raw_node& scalar) {
  return internal::expression_origin_of(reader_, scalar);
}

namespace internal {

expression_origin expression_origin_of(schema_reader& reader_, const raw_node& scalar) {
  const std::string_view text = reader_.sink().source_text();
  expression_origin o(std::string(reader_.sink().source_name()), scalar.span.line,
                      scalar.span.column);
  o.source_text = text;
  o.continuation_column = scalar.span.column;
  if (scalar.plain) return o;
  // Offset of the scalar's first byte: walk to its line and column.
  std::size_t pos = 0;
  for (std::uint32_t l = 1; l < scalar.span.line && pos != std::string_view::npos; ++l) {
    pos = text.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos) return o;
  pos += scalar.span.column - 1;
  const char first = pos < text.size() ? text[pos] : '\0';
  if (first == '"' || first == '\'') {
    ++o.column;  // past the opening quote
    return o;
  }
  if (first == '|' || first == '>') {
    // A block scalar: the text starts on the next line, at that line's indentation.
    const std::size_t next = text.find('\n', pos);
    if (next == std::string_view::npos) return o;
    std::size_t indent = 0;
    while (next + 1 + indent < text.size() && text[next + 1 + indent] == ' ') ++indent;
    o.line = scalar.span.line + 1;
    o.column = static_cast<std::uint32_t>(indent) + 1;
    o.continuation_column = o.column;
  }
  return o;
}

}  // namespace internal

void program_builder::variables(const raw_node* node, program& out, const loyalty::schema& scope) {
  if (node == nullptr || !reader_.expect(*node, internal::node_kind::mapping, "'variables'")) {
    return;
  }
  const std::size_t n =
      internal::bounded_size(reader_, *node, limits_.max_variables, "'variables'");
  std::vector<variable_def> declared;
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& key = node->key(i);
    const std::optional<std::string> name = reader_.id(&key, "variable name");
    const std::optional<std::string> text =
        reader_.text(&node->value(i), fmt::format("variable '{}'", internal::printable(key.text)));
    if (!name || !text) continue;
    if (scope.find_field(*name) != nullptr || *name == "now" || *name == "today") {
      reader_.sink().report(diag::duplicate_id, key.span,
                            fmt::format("variable '{}' has the name of a field; rename it", *name));
      continue;
    }
    // Checked now, with every variable before it in scope, even broken ones: a use of a broken
    // variable repeats its diagnostics (dropped as duplicates) rather than claiming it is unknown.
    declared.push_back({*name, *text, origin_of(node->value(i))});
    compile_result r = compile_expression(declared.back().text, scope, declared.back().origin, {},
                                          std::span(declared).first(declared.size() - 1));
    for (diagnostic& d : r.diagnostics) reader_.sink().add(std::move(d));
  }
  out.variables_ = std::move(declared);  // kept even with errors: rules compile with them
}

std::optional<field_type> program_builder::parse_type(const raw_node& node, const program& out) {
  return internal::parse_field_type(reader_, node, out.schema_);
}

namespace internal {

std::optional<field_type> parse_field_type(schema_reader& reader_, const raw_node& node,
                                           const loyalty::schema& schema) {
  const std::optional<std::string> text = reader_.text(&node, "a field type");
  if (!text) return std::nullopt;
  std::string_view t = *text;
  const bool optional = t.ends_with('?');
  if (optional) t.remove_suffix(1);
  std::optional<field_type> type;
  if (t == "bool") type = field_type::boolean();
  if (t == "integer") type = field_type::integer();
  if (t == "text") type = field_type::string();
  if (t == "date") type = field_type::date();
  if (t == "timestamp") type = field_type::timestamp();
  if (t == "duration") type = field_type::duration();
  if (t.starts_with("decimal(") && t.ends_with(')')) {
    const std::string_view digits = t.substr(8, t.size() - 9);
    int scale = -1;
    if (digits.size() == 1 && digits[0] >= '0' && digits[0] <= '9') scale = digits[0] - '0';
    if (digits.size() == 2 && digits[0] == '1' && digits[1] >= '0' && digits[1] <= '8') {
      scale = 10 + (digits[1] - '0');
    }
    if (scale >= 0) type = field_type::decimal(scale);
  }
  if (schema.find_enum(t) != nullptr) type = field_type::enumeration(t);
  if (t.starts_with("list<") && t.ends_with('>') &&
      schema.find_record(t.substr(5, t.size() - 6)) != nullptr) {
    type = field_type::list(t.substr(5, t.size() - 6));
  }
  if (!type && t == "decimal") {
    reader_.sink().report(diag::unknown_type, node.span,
                          "a decimal field needs its scale, the fractional digits it keeps: "
                          "'decimal(2)' for cents, 'decimal(0)' for whole units");
    return std::nullopt;
  }
  if (!type) {
    std::vector<std::string> lists;
    for (const record_type& r : schema.records()) lists.push_back(fmt::format("list<{}>", r.name));
    std::vector<std::string_view> names = {"bool", "integer",   "text",    "decimal(2)",
                                           "date", "timestamp", "duration"};
    for (const enum_type& e : schema.enums()) names.emplace_back(e.name);
    names.insert(names.end(), lists.begin(), lists.end());
    reader_.sink().report(
        diag::unknown_type, node.span,
        fmt::format("unknown field type '{}': use bool, integer, text, decimal(N) with N from 0 "
                    "to 18, date, timestamp, duration, an enum declared under 'enums', or "
                    "list<R> of a record R declared under 'records'; add '?' when the field may "
                    "be missing{}",
                    internal::printable(*text),
                    internal::did_you_mean(internal::closest_match(t, names))));
    return std::nullopt;
  }
  return optional ? type->or_null() : type;
}

}  // namespace internal

load_result load_program(std::string_view yaml_text, std::string_view source_name,
                         const load_options& options) {
  load_result result;
  internal::diagnostic_sink sink(source_name, yaml_text, result.diagnostics);
  raw_node root;
  if (!internal::read_yaml(yaml_text, options.limits, sink, root)) {
    sort_by_position(result.diagnostics);
    return result;
  }
  auto p = std::make_shared<program>();
  program_builder(sink, options.limits).build(root, *p);
  if (sink.error_count() == 0) result.program = std::move(p);
  sort_by_position(result.diagnostics);
  return result;
}

}  // namespace loyalty
