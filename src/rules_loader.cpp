#include "rules_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "hash_util.hpp"
#include "text_util.hpp"
#include "wallet_reader.hpp"

namespace loyalty {

using internal::diag;
using internal::map_reader;
using internal::node_kind;
using internal::raw_node;

namespace {

using internal::named;

const auto basis_choices = named(std::array{rounding_basis::order, rounding_basis::line});
const auto period_choices =
    named(std::array{cap_period::day, cap_period::week, cap_period::month, cap_period::quarter,
                     cap_period::year, cap_period::lifetime});
const auto scope_choices = named(std::array{cap_scope::event, cap_scope::customer});
const auto overflow_choices = named(std::array{cap_overflow::reduce, cap_overflow::reject});
const auto stacking_choices =
    named(std::array{stacking_mode::all, stacking_mode::first, stacking_mode::best});
const auto return_choices = named(std::array{return_action::reverse, return_action::keep});
const auto rounding_choices = named(std::array{
    rounding_mode::half_even, rounding_mode::half_up, rounding_mode::half_down, rounding_mode::down,
    rounding_mode::up, rounding_mode::floor, rounding_mode::ceiling});
const std::array<std::pair<std::string_view, bool>, 2> bool_choices = {
    {{"true", true}, {"false", false}}};
const std::array<std::pair<std::string_view, int>, 7> day_choices = {
    {{"mon", 0}, {"tue", 1}, {"wed", 2}, {"thu", 3}, {"fri", 4}, {"sat", 5}, {"sun", 6}}};

/// Ids joined by '.', each starting with a lower-case letter: "order.completed".
bool valid_path(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  bool start = true;
  for (const char c : s) {
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool lower = c >= 'a' && c <= 'z';
    const bool ok = lower || (!start && ((c >= '0' && c <= '9') || c == '_'));
    if (!ok) return false;
    start = false;
  }
  return !start;
}

/// How messages name a list item: by its id as written ("rule 'base'"), even before the id is
/// checked, or by its position ("rule 3") when it has none.
std::string item_name(const raw_node& item, std::string_view kind, std::size_t index) {
  const raw_node* id = item.is_mapping() ? internal::find_value(item, "id") : nullptr;
  if (id != nullptr && id->is_scalar() && !id->text.empty()) {
    return fmt::format("{} '{}'", kind, internal::printable(id->text));
  }
  return fmt::format("{} {}", kind, index + 1);
}

/// Reports an item whose id an earlier item of the list already uses (L0105), on the raw text,
/// so that an earlier item with other errors still counts; true when `item` is such a repeat.
bool repeated_id(internal::schema_reader& reader, const raw_node& item, std::string_view kind,
                 std::vector<std::pair<std::string_view, std::uint32_t>>& seen) {
  const raw_node* id = item.is_mapping() ? internal::find_value(item, "id") : nullptr;
  if (id == nullptr || !id->is_scalar()) return false;
  for (const auto& [text, line] : seen) {
    if (text == id->text) {
      reader.sink().report(diag::duplicate_id, id->span,
                           fmt::format("{} id '{}' is already used on line {}", kind,
                                       internal::printable(id->text), line));
      return true;
    }
  }
  seen.emplace_back(id->text, id->span.line);
  return false;
}

/// "HH:MM" or "HH:MM:SS" as a time of day; "24:00" is the end of the day.
std::optional<duration> parse_time_of_day(std::string_view t) {
  if (t.size() != 5 && t.size() != 8) return std::nullopt;
  auto two = [&](std::size_t at) -> int {
    if (t[at] < '0' || t[at] > '9' || t[at + 1] < '0' || t[at + 1] > '9') return -1;
    return (t[at] - '0') * 10 + (t[at + 1] - '0');
  };
  const int h = two(0);
  const int m = two(3);
  const int s = t.size() == 8 ? two(6) : 0;
  if (t[2] != ':' || (t.size() == 8 && t[5] != ':')) return std::nullopt;
  if (h < 0 || m < 0 || s < 0 || m > 59 || s > 59 || h > 24 || (h == 24 && (m != 0 || s != 0))) {
    return std::nullopt;
  }
  return duration::hours(h) + duration::minutes(m) + duration::seconds(s);
}

}  // namespace

rules_builder::rules_builder(internal::schema_reader& reader, const load_limits& limits,
                             program& out)
    : reader_(reader), limits_(limits), out_(out), scope_(out.schema_) {
  for (const field_decl& f : out.schema_.fields()) {
    if (f.path.starts_with("customer.")) {
      out.profile_fields_.push_back({f.path, f.slot, f.type});
    }
  }
}

// ---- events ---------------------------------------------------------------------------------

void rules_builder::events(const raw_node* node) {
  const raw_node* map = node;
  if (map != nullptr && !reader_.expect(*map, node_kind::mapping, "'events'")) map = nullptr;
  const std::size_t n =
      map == nullptr ? 0
                     : internal::bounded_size(reader_, *map, limits_.max_event_types, "'events'");
  // First every name, so that `previous.<type>` and references work in any order.
  std::vector<const raw_node*> bodies;
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& key = map->key(i);
    if (!valid_path(key.text)) {
      reader_.sink().report(diag::invalid_id, key.span,
                            fmt::format("event type '{}' is not a valid name: use ids joined by "
                                        "'.', such as 'order.completed'",
                                        internal::printable(key.text)));
      continue;
    }
    if (std::find(declared_.begin(), declared_.end(), key.text) != declared_.end()) continue;
    declared_.push_back(key.text);
    bodies.push_back(&map->value(i));
    event_type t;
    t.id = key.text;
    out_.event_types_.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    event_type& t = out_.event_types_[i];
    const raw_node* lines = nullptr;
    const raw_node* quantity = nullptr;
    const raw_node* line_value = nullptr;
    const raw_node* profile = nullptr;
    std::vector<std::string> names;
    std::vector<field_type> types;
    if (!bodies[i]->is_null()) {
      event_fields(*bodies[i], t, lines, quantity, line_value, profile, names, types);
    }
    finish_schema(t, names, types);
    const std::string what = fmt::format("event type '{}'", t.id);
    if (lines != nullptr) {
      const std::optional<std::string> name = reader_.id(lines, fmt::format("'lines' of {}", what));
      const auto it = name ? std::find(names.begin(), names.end(), *name) : names.end();
      if (name && (it == names.end() ||
                   types[static_cast<std::size_t>(it - names.begin())].kind != value_kind::list)) {
        reader_.sink().report(
            diag::unknown_reference, lines->span,
            fmt::format("'lines' of {} must name one of its 'fields' of type list<...>", what));
      } else if (name) {
        const field_decl* f = t.schema.find_field("event." + *name);
        t.lines_slot = f->slot;
        t.line_record =
            t.schema.find_record(types[static_cast<std::size_t>(it - names.begin())].type_name);
        // line.<field> for per-line rules, after every other field.
        bool first = true;
        for (const auto& [fname, ftype] : t.line_record->fields) {
          (void)t.schema.add_field("line." + fname, ftype);
          if (first) t.first_line_slot = t.schema.find_field("line." + fname)->slot;
          first = false;
        }
      }
    }
    if (quantity != nullptr) {
      const std::optional<std::string> q =
          reader_.id(quantity, fmt::format("'quantity' of {}", what));
      int index = -1;
      if (t.line_record != nullptr && q) {
        for (std::size_t f = 0; f < t.line_record->fields.size(); ++f) {
          if (t.line_record->fields[f].first == *q &&
              t.line_record->fields[f].second.kind == value_kind::integer &&
              !t.line_record->fields[f].second.optional) {
            index = static_cast<int>(f);
          }
        }
      }
      if (q && index < 0) {
        reader_.sink().report(
            diag::unknown_reference, quantity->span,
            fmt::format("'quantity' of {} must name a required integer field of its line record"
                        "{}",
                        what, t.line_record == nullptr ? " (and the type needs 'lines')" : ""));
      }
      t.quantity_field = index;
    }
    if (line_value != nullptr) {
      if (t.line_record == nullptr) {
        reader_.sink().report(diag::conflicting_keys, line_value->span,
                              fmt::format("'line_value' of {} needs 'lines'", what));
      } else {
        t.line_value =
            expression(*line_value, t.schema, fmt::format("'line_value' of {}", what), true);
      }
    }
    if (profile != nullptr &&
        reader_.expect(*profile, node_kind::mapping, fmt::format("'profile' of {}", what))) {
      for (std::size_t k = 0; k < profile->size(); ++k) {
        const raw_node& target = profile->key(k);
        const auto pf =
            std::find_if(out_.profile_fields_.begin(), out_.profile_fields_.end(),
                         [&](const program::profile_field& f) { return f.path == target.text; });
        const std::optional<std::string> source =
            reader_.id(&profile->value(k), fmt::format("a field in 'profile' of {}", what));
        if (pf == out_.profile_fields_.end()) {
          reader_.sink().report(diag::unknown_reference, target.span,
                                fmt::format("'{}' is not a customer field: 'profile' sets fields "
                                            "declared as 'customer.<name>' under 'schema: fields'",
                                            internal::printable(target.text)));
          continue;
        }
        if (!source) continue;
        const field_decl* f = t.schema.find_field("event." + *source);
        if (f == nullptr || f->type.kind != pf->type.kind || f->type.scale != pf->type.scale ||
            f->type.type_name != pf->type.type_name) {
          reader_.sink().report(diag::unknown_reference, profile->value(k).span,
                                fmt::format("'{}' must be a field of {} of the same type as '{}'",
                                            *source, what, pf->path));
          continue;
        }
        t.profile_updates.emplace_back(
            f->slot, static_cast<std::uint32_t>(pf - out_.profile_fields_.begin()));
      }
    }
  }
  // References between types, once all are known.
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    if (!bodies[i]->is_mapping()) continue;
    event_type& t = out_.event_types_[i];
    const std::string what = fmt::format("event type '{}'", t.id);
    if (const raw_node* r = internal::find_value(*bodies[i], "returns"); r && !r->is_null()) {
      t.returns = event_type_ref(r, fmt::format("'returns' of {}", what));
      if (t.returns != no_index && out_.event_types_[t.returns].line_record == nullptr) {
        reader_.sink().report(diag::conflicting_keys, r->span,
                              fmt::format("'returns' of {} names '{}', which has no 'lines' to "
                                          "return",
                                          what, out_.event_types_[t.returns].id));
        t.returns = no_index;
      }
      t.refers_to = t.returns;
    }
    if (const raw_node* r = internal::find_value(*bodies[i], "refers_to"); r && !r->is_null()) {
      if (t.returns != no_index || internal::find_value(*bodies[i], "returns") != nullptr) {
        reader_.sink().report(diag::conflicting_keys, r->span,
                              fmt::format("{} has both 'returns' and 'refers_to': 'returns' "
                                          "already refers to the returned event",
                                          what));
      } else {
        t.refers_to = event_type_ref(r, fmt::format("'refers_to' of {}", what));
        // The engine remembers events with lines only: another original is never found.
        if (t.refers_to != no_index && out_.event_types_[t.refers_to].line_record == nullptr) {
          reader_.sink().report(diag::conflicting_keys, r->span,
                                fmt::format("'refers_to' of {} names '{}', which has no 'lines': "
                                            "the engine remembers only events with lines, so "
                                            "it could never find the original",
                                            what, out_.event_types_[t.refers_to].id));
        }
      }
    }
  }
  // The scope for variables: the schema plus every type's event.*, line.* and previous.* fields.
  for (const event_type& t : out_.event_types_) {
    for (const field_decl& f : t.schema.fields()) {
      if (scope_.find_field(f.path) == nullptr) (void)scope_.add_field(f.path, f.type);
    }
  }
}

void rules_builder::event_fields(const raw_node& body, event_type& t, const raw_node*& lines,
                                 const raw_node*& quantity, const raw_node*& line_value,
                                 const raw_node*& profile, std::vector<std::string>& names,
                                 std::vector<field_type>& types) {
  const std::string what = fmt::format("event type '{}'", t.id);
  map_reader m(reader_, body, what);
  if (!m.valid()) return;
  const raw_node* fields = m.optional("fields");
  lines = m.optional("lines");
  quantity = m.optional("quantity");
  line_value = m.optional("line_value");
  profile = m.optional("profile");
  (void)m.optional("returns");  // read once every type is known
  (void)m.optional("refers_to");
  m.finish();
  if (fields == nullptr ||
      !reader_.expect(*fields, node_kind::mapping, fmt::format("'fields' of {}", what))) {
    return;
  }
  const std::size_t n = internal::bounded_size(reader_, *fields, limits_.max_fields,
                                               fmt::format("'fields' of {}", what));
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& key = fields->key(i);
    const std::optional<std::string> name = reader_.id(&key, fmt::format("a field of {}", what));
    const std::optional<field_type> type =
        internal::parse_field_type(reader_, fields->value(i), out_.schema_);
    if (!name || !type) continue;
    if (*name == "at") {
      reader_.sink().report(diag::duplicate_id, key.span,
                            fmt::format("'at' is the time every event has (event.at); {} cannot "
                                        "declare it",
                                        what));
      continue;
    }
    if (std::find(names.begin(), names.end(), *name) != names.end()) {
      reader_.sink().report(diag::duplicate_id, key.span,
                            fmt::format("{} declares field '{}' twice", what, *name));
      continue;
    }
    names.push_back(*name);
    types.push_back(*type);
  }
}

void rules_builder::finish_schema(event_type& t, const std::vector<std::string>& names,
                                  const std::vector<field_type>& types) {
  t.schema = out_.schema_;
  for (std::size_t i = 0; i < names.size(); ++i) {
    (void)t.schema.add_field("event." + names[i], types[i]);
  }
  (void)t.schema.add_field("event.at", field_type::timestamp());
  t.at_slot = t.schema.find_field("event.at")->slot;
  for (const std::string& other : declared_) {
    (void)t.schema.add_field("previous." + other, field_type::integer());
    t.previous_slots.push_back(t.schema.find_field("previous." + other)->slot);
  }
}

std::uint16_t rules_builder::event_type_ref(const raw_node* node, std::string_view what) {
  const std::optional<std::string> name = reader_.text(node, what);
  if (!name) return no_index;
  const auto it = std::find(declared_.begin(), declared_.end(), *name);
  if (it != declared_.end()) return static_cast<std::uint16_t>(it - declared_.begin());
  std::vector<std::string_view> names(declared_.begin(), declared_.end());
  reader_.sink().report(diag::unknown_reference, node->span,
                        fmt::format("{} names event type '{}', which 'events' does not declare{}",
                                    what, internal::printable(*name),
                                    internal::did_you_mean(internal::closest_match(*name, names))));
  return no_index;
}

// ---- budgets and groups ---------------------------------------------------------------------

void rules_builder::budgets(const raw_node* node) {
  if (node == nullptr || !reader_.expect(*node, node_kind::sequence, "'budgets'")) return;
  const std::size_t n = internal::bounded_size(reader_, *node, limits_.max_budgets, "'budgets'");
  std::vector<std::pair<std::string_view, std::uint32_t>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    if (repeated_id(reader_, node->children[i], "budget", seen)) continue;
    const std::string what = item_name(node->children[i], "budget", i);
    map_reader m(reader_, node->children[i], what);
    if (!m.valid()) continue;
    const std::optional<std::string> id = reader_.id(m.required("id"), "budget id");
    const raw_node* pt = m.required("point_type");
    const raw_node* amount_node = m.required("amount");
    const raw_node* overflow = m.optional("overflow");
    m.finish();
    budget b;
    bool ok = id.has_value();
    if (id) b.id = *id;
    if (const std::optional<std::string> t =
            reader_.id(pt, fmt::format("'point_type' of {}", what))) {
      const point_type* p = out_.find_point_type(*t);
      if (p == nullptr) {
        std::vector<std::string_view> names;
        for (const point_type& x : out_.point_types_) names.emplace_back(x.id);
        reader_.sink().report(
            diag::unknown_reference, pt->span,
            fmt::format("'point_type' of {} names '{}', which 'point_types' does not declare{}",
                        what, *t, internal::did_you_mean(internal::closest_match(*t, names))));
        ok = false;
      } else {
        b.point_type = static_cast<std::uint16_t>(p - out_.point_types_.data());
        if (const auto units = amount(amount_node, fmt::format("'amount' of {}", what), p->scale)) {
          b.limit = *units;
        } else {
          ok = false;
        }
      }
    } else {
      ok = false;
    }
    if (overflow != nullptr) {
      const auto o = reader_.choice<cap_overflow>(overflow, fmt::format("'overflow' of {}", what),
                                                  overflow_choices);
      if (o) b.overflow = *o;
      ok = ok && o.has_value();
    }
    if (ok) {
      out_.budgets_.push_back(std::move(b));
    } else if (id) {
      broken_budgets_.push_back(*id);
    }
  }
}

void rules_builder::groups(const raw_node* node) {
  if (node == nullptr || !reader_.expect(*node, node_kind::sequence, "'groups'")) return;
  const std::size_t n = internal::bounded_size(reader_, *node, limits_.max_groups, "'groups'");
  std::vector<std::pair<std::string_view, std::uint32_t>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    if (repeated_id(reader_, node->children[i], "group", seen)) continue;
    const std::string what = item_name(node->children[i], "group", i);
    map_reader m(reader_, node->children[i], what);
    if (!m.valid()) continue;
    const std::optional<std::string> id = reader_.id(m.required("id"), "group id");
    const auto mode = reader_.choice<stacking_mode>(
        m.required("mode"), fmt::format("'mode' of {}", what), stacking_choices);
    m.finish();
    if (!id) continue;
    if (!mode) {
      broken_groups_.push_back(*id);
      continue;
    }
    out_.groups_.push_back({*id, *mode, {}});
  }
}

std::optional<std::int64_t> rules_builder::amount(const raw_node* node, std::string_view what,
                                                  int scale) {
  const std::optional<std::string> text = reader_.text(node, what);
  if (!text) return std::nullopt;
  const decimal_result d = decimal::parse(*text, scale);
  if (!d.ok() || d.value.units() <= 0) {
    reader_.sink().report(
        diag::invalid_integer, node->span,
        scale == 0 ? fmt::format("{} must be a positive whole number, not '{}'", what,
                                 internal::printable(*text))
                   : fmt::format("{} must be a positive number with at most {} fractional digits, "
                                 "not '{}'",
                                 what, scale, internal::printable(*text)));
    return std::nullopt;
  }
  return d.value.units();
}

// ---- rules ----------------------------------------------------------------------------------

void rules_builder::rules(const raw_node* node) {
  if (node == nullptr || !reader_.expect(*node, node_kind::sequence, "'rules'")) return;
  const std::size_t n = internal::bounded_size(reader_, *node, limits_.max_rules, "'rules'");
  std::vector<std::pair<std::string_view, std::uint32_t>> seen;
  std::vector<const raw_node*> nodes;  // of each rule in out_.rules_
  for (std::size_t i = 0; i < n; ++i) {
    if (repeated_id(reader_, node->children[i], "rule", seen)) continue;
    std::optional<earning_rule> r = rule(node->children[i], i);
    if (!r) continue;
    const auto index = static_cast<std::uint32_t>(out_.rules_.size());
    nodes.push_back(&node->children[i]);
    out_.event_types_[r->on].rules.push_back(index);
    if (r->group != no_index) out_.groups_[r->group].rules.push_back(index);
    for (cap& c : r->caps) {
      if (c.scope == cap_scope::customer) c.counter = out_.counters_++;
    }
    if (r->carry) r->carry_slot = out_.carries_++;
    out_.rules_.push_back(std::move(*r));
  }
  // A best group compares amounts: its rules must award the same point type.
  for (const rule_group& g : out_.groups_) {
    if (g.mode != stacking_mode::best || g.rules.empty()) continue;
    const std::uint16_t pt = out_.rules_[g.rules.front()].point_type;
    for (const std::uint32_t r : g.rules) {
      if (out_.rules_[r].point_type != pt) {
        const raw_node* at = internal::find_value(*nodes[r], "group");
        reader_.sink().report(
            diag::conflicting_keys, at != nullptr ? at->span : nodes[r]->span,
            fmt::format("group '{}' picks the best award, so its rules must "
                        "award the same point type: rule '{}' awards '{}', "
                        "rule '{}' awards '{}'",
                        g.id, out_.rules_[g.rules.front()].id,
                        pt == no_index ? "nothing" : out_.point_types_[pt].id, out_.rules_[r].id,
                        out_.rules_[r].point_type == no_index
                            ? "nothing"
                            : out_.point_types_[out_.rules_[r].point_type].id));
        break;
      }
    }
  }
}

std::uint16_t rules_builder::anniversary_type(const raw_node& field_node, std::string_view what) {
  const std::optional<std::string> path = reader_.text(&field_node, what);
  if (!path) return no_index;
  const auto pf = std::find_if(out_.profile_fields_.begin(), out_.profile_fields_.end(),
                               [&](const program::profile_field& f) { return f.path == *path; });
  if (pf == out_.profile_fields_.end() ||
      (pf->type.kind != value_kind::date && pf->type.kind != value_kind::timestamp)) {
    reader_.sink().report(diag::unknown_reference, field_node.span,
                          fmt::format("{} must name a customer field of type date or timestamp "
                                      "('customer.<name>' under 'schema: fields'), not '{}'",
                                      what, internal::printable(*path)));
    return no_index;
  }
  const std::string id = fmt::format("anniversary_of({})", *path);
  for (std::size_t i = 0; i < out_.event_types_.size(); ++i) {
    if (out_.event_types_[i].id == id) return static_cast<std::uint16_t>(i);
  }
  event_type t;
  t.id = id;
  t.synthetic = true;
  t.anniversary_of = pf->slot;
  finish_schema(t, {"years", "date"}, {field_type::integer(), field_type::date()});
  t.years_slot = t.schema.find_field("event.years")->slot;
  t.date_slot = t.schema.find_field("event.date")->slot;
  out_.event_types_.push_back(std::move(t));
  return static_cast<std::uint16_t>(out_.event_types_.size() - 1);
}

std::optional<std::uint16_t> rules_builder::trigger(const raw_node& node, std::string_view what) {
  if (node.is_mapping()) {
    map_reader m(reader_, node, what);
    const raw_node* f = m.required("anniversary_of");
    m.finish();
    if (f == nullptr) return std::nullopt;
    const std::uint16_t t = anniversary_type(*f, fmt::format("'anniversary_of' in {}", what));
    if (t == no_index) return std::nullopt;
    return t;
  }
  const std::uint16_t t = event_type_ref(&node, what);
  if (t == no_index) return std::nullopt;
  return t;
}

std::unique_ptr<compiled_expression> rules_builder::expression(const raw_node& node,
                                                               const loyalty::schema& s,
                                                               std::string_view what,
                                                               bool numeric) {
  const std::optional<std::string> text = reader_.text(&node, what);
  if (!text) return nullptr;
  compile_result r = compile_expression(*text, s, internal::expression_origin_of(reader_, node), {},
                                        out_.variables_);
  for (diagnostic& d : r.diagnostics) reader_.sink().add(std::move(d));
  if (!r.expression) return nullptr;
  const value_kind k = r.expression->result_type().kind;
  const bool ok =
      numeric ? (k == value_kind::decimal || k == value_kind::integer) : k == value_kind::boolean;
  if (!ok) {
    reader_.sink().report(
        diag::type_mismatch, node.span,
        fmt::format("{} must be {}, not {}", what,
                    numeric ? "a number" : "a condition (true or false)", to_string(k)));
    return nullptr;
  }
  return std::move(r.expression);
}

bool rules_builder::clauses(const raw_node* node, const loyalty::schema& s, std::string_view what,
                            std::vector<clause>& out) {
  if (node == nullptr) return true;
  std::vector<const raw_node*> items;
  if (node->is_sequence()) {
    const std::size_t n = internal::bounded_size(reader_, *node, limits_.max_clauses, what);
    for (std::size_t i = 0; i < n; ++i) items.push_back(&node->children[i]);
  } else {
    items.push_back(node);
  }
  bool ok = true;
  for (const raw_node* item : items) {
    clause c;
    c.text = item->text;
    c.expression = expression(*item, s, fmt::format("a clause of {}", what), false);
    ok = ok && c.expression != nullptr;
    out.push_back(std::move(c));
  }
  return ok;
}

std::optional<time_window> rules_builder::window(const raw_node& node, std::string_view what) {
  map_reader m(reader_, node, what);
  if (!m.valid()) return std::nullopt;
  const raw_node* from = m.optional("from");
  const raw_node* until = m.optional("until");
  const raw_node* days = m.optional("days");
  const raw_node* hours = m.optional("hours");
  m.finish();
  time_window w;
  bool ok = true;
  const time_zone zone = out_.zone_;
  auto instant = [&](const raw_node* n, std::string_view key) -> std::optional<timestamp> {
    const std::optional<std::string> text = reader_.text(n, fmt::format("'{}' of {}", key, what));
    if (!text) return std::nullopt;
    // YYYY-MM-DD (the start of that day) or YYYY-MM-DDTHH:MM[:SS], on the program's clocks.
    const std::string_view t = *text;
    const std::optional<civil_date> date = parse_date(t.substr(0, 10));
    std::optional<duration> tod = duration{};
    if (t.size() > 10) tod = t[10] == 'T' ? parse_time_of_day(t.substr(11)) : std::nullopt;
    if (!date || !tod) {
      reader_.sink().report(diag::invalid_time, n->span,
                            fmt::format("'{}' of {} must be a local date 'YYYY-MM-DD' or date and "
                                        "time 'YYYY-MM-DDTHH:MM' in the program's time zone, not "
                                        "'{}'",
                                        key, what, internal::printable(t)));
      return std::nullopt;
    }
    return local_instant(*date, *tod, zone);
  };
  if (from != nullptr) {
    const auto t = instant(from, "from");
    ok = ok && t.has_value();
    if (t) w.from = *t;
  }
  if (until != nullptr) {
    const auto t = instant(until, "until");
    ok = ok && t.has_value();
    if (t) w.until = *t;
  }
  if (ok && w.until <= w.from) {
    reader_.sink().report(diag::invalid_time, until->span,
                          fmt::format("'until' of {} must come after 'from'", what));
    ok = false;
  }
  if (days != nullptr &&
      reader_.expect(*days, node_kind::sequence, fmt::format("'days' of {}", what))) {
    w.days = 0;
    if (days->children.empty()) {
      // No day at all would make a rule that never fires.
      reader_.sink().report(diag::empty_value, days->span,
                            fmt::format("'days' of {} must list at least one day; leave it out "
                                        "for every day",
                                        what));
      ok = false;
    }
    for (const raw_node& d : days->children) {
      const auto day =
          reader_.choice<int>(&d, fmt::format("a day in 'days' of {}", what), day_choices);
      if (!day) {
        ok = false;
        continue;
      }
      w.days = static_cast<std::uint8_t>(w.days | (1U << static_cast<unsigned>(*day)));
    }
  }
  if (hours != nullptr) {
    const std::optional<std::string> text = reader_.text(hours, fmt::format("'hours' of {}", what));
    const std::size_t dash = text ? text->find('-') : std::string::npos;
    std::optional<duration> a;
    std::optional<duration> b;
    if (dash != std::string::npos) {
      a = parse_time_of_day(std::string_view(*text).substr(0, dash));
      b = parse_time_of_day(std::string_view(*text).substr(dash + 1));
    }
    if (!a || !b || *a == *b || *a >= duration::hours(24)) {
      if (text) {
        reader_.sink().report(diag::invalid_time, hours->span,
                              fmt::format("'hours' of {} must be two different local times "
                                          "'HH:MM-HH:MM' (the end excluded; '22:00-02:00' runs "
                                          "past midnight), not '{}'",
                                          what, internal::printable(*text)));
      }
      ok = false;
    } else {
      w.hours_from = a;
      w.hours_until = b;
    }
  }
  if (!ok) return std::nullopt;
  return w;
}

std::optional<cap> rules_builder::one_cap(const raw_node& node, std::string_view what, int scale) {
  map_reader m(reader_, node, what);
  if (!m.valid()) return std::nullopt;
  const raw_node* max = m.optional("max");
  const raw_node* count = m.optional("count");
  const raw_node* per = m.required("per");
  const raw_node* period = m.optional("period");
  const raw_node* overflow = m.optional("overflow");
  m.finish();
  cap c;
  bool ok = true;
  if (max == nullptr && count == nullptr) {
    reader_.sink().report(
        diag::missing_key, node.span,
        fmt::format("{} needs 'max' (an amount) or 'count' (a number of awards)", what));
    ok = false;
  } else if (max != nullptr && count != nullptr) {
    reader_.sink().report(diag::conflicting_keys, count->span,
                          fmt::format("{} has both 'max' and 'count': a cap limits either the "
                                      "amount or the number of awards; write two caps for both",
                                      what));
    ok = false;
  } else if (max != nullptr) {
    c.measure = cap_measure::amount;
    const auto units = amount(max, fmt::format("'max' of {}", what), scale);
    ok = ok && units.has_value();
    if (units) c.limit = *units;
  } else {
    c.measure = cap_measure::count;
    const auto n = reader_.integer(count, fmt::format("'count' of {}", what), 1, 1'000'000'000);
    ok = ok && n.has_value();
    if (n) c.limit = *n;
  }
  if (const auto s =
          reader_.choice<cap_scope>(per, fmt::format("'per' of {}", what), scope_choices)) {
    c.scope = *s;
  } else {
    ok = false;
  }
  if (period != nullptr) {
    if (c.scope == cap_scope::event) {
      reader_.sink().report(
          diag::conflicting_keys, period->span,
          fmt::format("'period' of {} applies to 'per: customer' caps only", what));
      ok = false;
    } else if (const auto p = reader_.choice<cap_period>(
                   period, fmt::format("'period' of {}", what), period_choices)) {
      c.period = *p;
    } else {
      ok = false;
    }
  } else if (c.scope == cap_scope::customer && per != nullptr) {
    reader_.sink().report(diag::missing_key, node.span,
                          fmt::format("{} with 'per: customer' needs 'period' (day, week, month, "
                                      "quarter, year or lifetime)",
                                      what));
    ok = false;
  }
  if (c.scope == cap_scope::event && c.measure == cap_measure::count && ok) {
    reader_.sink().report(diag::conflicting_keys, count->span,
                          fmt::format("{}: a rule awards at most once per event, so a 'count' cap "
                                      "needs 'per: customer'",
                                      what));
    ok = false;
  }
  if (overflow != nullptr) {
    const auto o = reader_.choice<cap_overflow>(overflow, fmt::format("'overflow' of {}", what),
                                                overflow_choices);
    if (o) c.overflow = *o;
    ok = ok && o.has_value();
  }
  if (!ok) return std::nullopt;
  return c;
}

std::optional<earning_rule> rules_builder::rule(const raw_node& node, std::size_t index) {
  const std::string what = item_name(node, "rule", index);
  map_reader m(reader_, node, what);
  if (!m.valid()) return std::nullopt;
  const std::optional<std::string> id = reader_.id(m.required("id"), "rule id");
  const raw_node* on = m.required("on");
  const raw_node* when = m.optional("when");
  const raw_node* per = m.optional("per");
  const raw_node* where = m.optional("where");
  const raw_node* award = m.optional("award");
  const raw_node* multiplier = m.optional("multiplier");
  const raw_node* into = m.optional("into");
  const raw_node* rounding = m.optional("rounding");
  const raw_node* pending = m.optional("pending");
  const raw_node* expiry = m.optional("expiry");
  const raw_node* active = m.optional("active");
  const raw_node* caps = m.optional("caps");
  const raw_node* budget_node = m.optional("budget");
  const raw_node* group = m.optional("group");
  const raw_node* on_return = m.optional("on_return");
  const raw_node* message = m.optional("message");
  m.finish();

  earning_rule r;
  bool ok = id.has_value();
  if (id) {
    r.id = *id;
    r.key = internal::text_key(*id);
  }
  const std::optional<std::uint16_t> type =
      on ? trigger(*on, fmt::format("'on' of {}", what)) : std::nullopt;
  if (!type) return std::nullopt;  // nothing else can be checked without the event type
  r.on = *type;
  const event_type& t = out_.event_types_[r.on];
  if (per != nullptr) {
    const auto b =
        reader_.choice<rounding_basis>(per, fmt::format("'per' of {}", what), basis_choices);
    ok = ok && b.has_value();
    r.per_line = b == rounding_basis::line;
    if (r.per_line && t.line_record == nullptr) {
      reader_.sink().report(
          diag::conflicting_keys, per->span,
          fmt::format("{} is 'per: line', but event type '{}' has no 'lines'", what, t.id));
      ok = false;
    }
  }
  if (where != nullptr && !r.per_line) {
    reader_.sink().report(diag::conflicting_keys, where->span,
                          fmt::format("'where' of {} filters lines: it needs 'per: line'", what));
    ok = false;
  }
  // Event-level expressions must not read line.* (they see no line): compile them against the
  // type's schema without line fields when it has lines.
  loyalty::schema event_level = t.schema;
  if (t.line_record != nullptr) {
    event_level = out_.schema_;
    for (const field_decl& f : t.schema.fields()) {
      if (!f.path.starts_with("line.") && event_level.find_field(f.path) == nullptr) {
        (void)event_level.add_field(f.path, f.type);
      }
    }
  }
  const loyalty::schema& award_schema = r.per_line ? t.schema : event_level;
  ok = clauses(when, event_level, fmt::format("'when' of {}", what), r.when) && ok;
  ok = clauses(where, t.schema, fmt::format("'where' of {}", what), r.where) && ok;
  if (award != nullptr) {
    r.award = expression(*award, award_schema, fmt::format("'award' of {}", what), true);
    ok = ok && r.award != nullptr;
  }
  if (multiplier != nullptr) {
    r.multiplier =
        expression(*multiplier, award_schema, fmt::format("'multiplier' of {}", what), true);
    ok = ok && r.multiplier != nullptr;
  }
  if (message != nullptr) {
    const auto text = reader_.text(message, fmt::format("'message' of {}", what));
    ok = ok && text.has_value();
    if (text) r.message = *text;
  }
  if (award == nullptr && message == nullptr) {
    reader_.sink().report(diag::missing_key, node.span,
                          fmt::format("{} needs 'award' (and 'into'), 'message', or both", what));
    ok = false;
  }
  int scale = 0;
  if (award != nullptr) {
    if (into == nullptr) {
      reader_.sink().report(diag::missing_key, node.span,
                            fmt::format("{} has an 'award' but no 'into': name the point type it "
                                        "credits",
                                        what));
      ok = false;
    } else if (const auto pt = reader_.id(into, fmt::format("'into' of {}", what))) {
      const point_type* p = out_.find_point_type(*pt);
      if (p == nullptr) {
        std::vector<std::string_view> names;
        for (const point_type& x : out_.point_types_) names.emplace_back(x.id);
        reader_.sink().report(
            diag::unknown_reference, into->span,
            fmt::format("'into' of {} names point type '{}', which "
                        "'point_types' does not declare{}",
                        what, *pt, internal::did_you_mean(internal::closest_match(*pt, names))));
        ok = false;
      } else {
        r.point_type = static_cast<std::uint16_t>(p - out_.point_types_.data());
        r.rounding = p->rounding;
        scale = p->scale;
      }
    } else {
      ok = false;
    }
  } else {
    for (const auto& [key, n] :
         {std::pair{"into", into}, std::pair{"multiplier", multiplier},
          std::pair{"rounding", rounding}, std::pair{"pending", pending},
          std::pair{"expiry", expiry}, std::pair{"caps", caps}, std::pair{"budget", budget_node}}) {
      if (n == nullptr) continue;
      reader_.sink().report(diag::conflicting_keys, n->span,
                            fmt::format("'{}' of {} needs an 'award'", key, what));
      ok = false;
    }
  }
  r.basis = r.per_line ? rounding_basis::line : rounding_basis::order;
  if (rounding != nullptr) {
    if (rounding->is_scalar()) {
      const auto mode = reader_.choice<rounding_mode>(
          rounding, fmt::format("'rounding' of {}", what), rounding_choices);
      ok = ok && mode.has_value();
      if (mode) r.rounding = *mode;
    } else {
      map_reader rm(reader_, *rounding, fmt::format("'rounding' of {}", what));
      const raw_node* mode = rm.optional("mode");
      const raw_node* rper = rm.optional("per");
      const raw_node* carry = rm.optional("carry");
      rm.finish();
      if (mode != nullptr) {
        const auto md = reader_.choice<rounding_mode>(
            mode, fmt::format("'rounding: mode' of {}", what), rounding_choices);
        ok = ok && md.has_value();
        if (md) r.rounding = *md;
      }
      if (rper != nullptr) {
        const auto b = reader_.choice<rounding_basis>(
            rper, fmt::format("'rounding: per' of {}", what), basis_choices);
        ok = ok && b.has_value();
        if (b) r.basis = *b;
        if (b == rounding_basis::line && !r.per_line) {
          reader_.sink().report(diag::conflicting_keys, rper->span,
                                fmt::format("'rounding: per: line' of {} needs 'per: line': an "
                                            "order-level award has one amount to round",
                                            what));
          ok = false;
        }
      }
      if (carry != nullptr) {
        const auto c =
            reader_.choice<bool>(carry, fmt::format("'rounding: carry' of {}", what), bool_choices);
        ok = ok && c.has_value();
        r.carry = c.value_or(false);
      }
    }
  }
  if (pending != nullptr) {
    const std::string pw = fmt::format("'pending' of {}", what);
    if (pending->is_mapping()) {
      map_reader pm(reader_, *pending, pw);
      const raw_node* until = pm.required("until");
      pm.finish();
      if (until != nullptr) {
        r.pending.kind = pending_kind::until_event;
        r.pending.until = event_type_ref(until, fmt::format("'until' of {}", pw));
        ok = ok && r.pending.until != no_index;
        if (r.pending.until != no_index && out_.event_types_[r.pending.until].returns == r.on) {
          reader_.sink().report(
              diag::conflicting_keys, until->span,
              fmt::format("{} waits for '{}', which returns lines: a return reverses points, it "
                          "never activates them; wait for an event with 'refers_to: {}'",
                          pw, out_.event_types_[r.pending.until].id, t.id));
          ok = false;
        } else if (r.pending.until != no_index &&
                   out_.event_types_[r.pending.until].refers_to != r.on) {
          reader_.sink().report(
              diag::conflicting_keys, until->span,
              fmt::format("{} waits for '{}', which must declare 'refers_to: {}' so that it can "
                          "name the event whose points it activates",
                          pw, out_.event_types_[r.pending.until].id, t.id));
          ok = false;
        }
        if (t.line_record == nullptr && ok) {
          reader_.sink().report(diag::conflicting_keys, until->span,
                                fmt::format("{} waits for an event, which needs the awarding event "
                                            "type '{}' to have 'lines'",
                                            pw, t.id));
          ok = false;
        }
      } else {
        ok = false;
      }
    } else if (const auto text = reader_.text(pending, pw)) {
      if (*text == "immediate") {
        r.pending.kind = pending_kind::immediate;
      } else if (const auto p = parse_calendar_period(*text); p && p->count >= 1) {
        r.pending.kind = pending_kind::period;
        r.pending.period = *p;
      } else {
        reader_.sink().report(diag::invalid_period, pending->span,
                              fmt::format("{} must be 'immediate', a period such as '14 days' or "
                                          "'1 month', or {{until: <event type>}}, not '{}'",
                                          pw, internal::printable(*text)));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (expiry != nullptr) {
    point_type holder;
    const std::size_t before = reader_.sink().error_count();
    internal::read_expiry(reader_, expiry, what, holder);
    if (reader_.sink().error_count() == before) {
      if (holder.expiry.kind == expiry_kind::inactivity) {
        reader_.sink().report(diag::key_not_for_policy, expiry->span,
                              fmt::format("'expiry' of {} cannot be 'inactivity': inactivity "
                                          "belongs to the whole wallet (its point type)",
                                          what));
        ok = false;
      } else if (holder.expiry.clock == clock_start::activation &&
                 r.pending.kind == pending_kind::until_event) {
        reader_.sink().report(diag::conflicting_keys, expiry->span,
                              fmt::format("'expiry' of {} starts at activation, but its points "
                                          "wait for an event whose time is not known when they "
                                          "are earned: start the clock at 'earn'",
                                          what));
        ok = false;
      } else {
        r.expiry = holder.expiry;
      }
    } else {
      ok = false;
    }
  }
  if (active != nullptr) {
    const auto w = window(*active, fmt::format("'active' of {}", what));
    ok = ok && w.has_value();
    if (w) r.window = *w;
  }
  if (caps != nullptr &&
      reader_.expect(*caps, node_kind::sequence, fmt::format("'caps' of {}", what))) {
    const std::size_t n =
        internal::bounded_size(reader_, *caps, limits_.max_caps, fmt::format("'caps' of {}", what));
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = one_cap(caps->children[i], fmt::format("cap {} of {}", i + 1, what), scale);
      ok = ok && c.has_value();
      if (c) r.caps.push_back(*c);
    }
  }
  if (budget_node != nullptr) {
    const auto b = reader_.id(budget_node, fmt::format("'budget' of {}", what));
    const auto it = b ? std::find_if(out_.budgets_.begin(), out_.budgets_.end(),
                                     [&](const budget& x) { return x.id == *b; })
                      : out_.budgets_.end();
    if (b && it == out_.budgets_.end()) {
      // A budget declared with errors of its own is not reported again here.
      if (std::find(broken_budgets_.begin(), broken_budgets_.end(), *b) == broken_budgets_.end()) {
        std::vector<std::string_view> names;
        for (const budget& x : out_.budgets_) names.emplace_back(x.id);
        reader_.sink().report(
            diag::unknown_reference, budget_node->span,
            fmt::format("'budget' of {} names '{}', which 'budgets' does not declare{}", what, *b,
                        internal::did_you_mean(internal::closest_match(*b, names))));
      }
      ok = false;
    } else if (it != out_.budgets_.end()) {
      if (it->point_type != r.point_type) {
        reader_.sink().report(diag::conflicting_keys, budget_node->span,
                              fmt::format("budget '{}' counts '{}', but {} awards another point "
                                          "type",
                                          it->id, out_.point_types_[it->point_type].id, what));
        ok = false;
      }
      r.budget = static_cast<std::uint16_t>(it - out_.budgets_.begin());
    } else {
      ok = false;
    }
  }
  if (group != nullptr) {
    const auto g = reader_.id(group, fmt::format("'group' of {}", what));
    const auto it = g ? std::find_if(out_.groups_.begin(), out_.groups_.end(),
                                     [&](const rule_group& x) { return x.id == *g; })
                      : out_.groups_.end();
    if (g && it == out_.groups_.end()) {
      if (std::find(broken_groups_.begin(), broken_groups_.end(), *g) == broken_groups_.end()) {
        std::vector<std::string_view> names;
        for (const rule_group& x : out_.groups_) names.emplace_back(x.id);
        reader_.sink().report(
            diag::unknown_reference, group->span,
            fmt::format("'group' of {} names '{}', which 'groups' does not declare{}", what, *g,
                        internal::did_you_mean(internal::closest_match(*g, names))));
      }
      ok = false;
    } else if (it != out_.groups_.end()) {
      r.group = static_cast<std::uint16_t>(it - out_.groups_.begin());
      if (!it->rules.empty() && out_.rules_[it->rules.front()].on != r.on) {
        reader_.sink().report(
            diag::conflicting_keys, group->span,
            fmt::format("group '{}' has rules on '{}'; {} is on '{}': a group's "
                        "rules compete for the same event",
                        it->id, out_.event_types_[out_.rules_[it->rules.front()].on].id, what,
                        t.id));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (on_return != nullptr) {
    const auto a = reader_.choice<return_action>(on_return, fmt::format("'on_return' of {}", what),
                                                 return_choices);
    ok = ok && a.has_value();
    if (a) r.on_return = *a;
  }
  if (!ok) return std::nullopt;
  return r;
}

}  // namespace loyalty
