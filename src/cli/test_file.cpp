// Test files: the raw YAML tree checked against the programs it names, into typed cases.
#include "cli/test_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <tuple>

#include "diagnostic_sink.hpp"
#include "schema_reader.hpp"
#include "text_util.hpp"
#include "yaml/raw_node.hpp"

namespace loyalty::cli {

using internal::diag;
using internal::map_reader;
using internal::node_kind;
using internal::raw_node;
using internal::schema_reader;

std::string_view to_string(balance_kind k) noexcept {
  switch (k) {
    case balance_kind::available:
      return "available";
    case balance_kind::pending:
      return "pending";
    case balance_kind::held:
      return "held";
    case balance_kind::earned:
      return "earned";
    case balance_kind::spent:
      return "spent";
    case balance_kind::expired:
      return "expired";
    case balance_kind::reversed:
      return "reversed";
    case balance_kind::debt:
      return "debt";
  }
  return "available";
}

test_file::test_file() = default;
test_file::~test_file() = default;
yaml_event::yaml_event() = default;
yaml_event::~yaml_event() = default;

namespace {

constexpr std::array all_balance_kinds = {
    balance_kind::available, balance_kind::pending, balance_kind::held,     balance_kind::earned,
    balance_kind::spent,     balance_kind::expired, balance_kind::reversed, balance_kind::debt};

constexpr std::array all_outcomes = {rule_outcome::awarded,          rule_outcome::message_only,
                                     rule_outcome::outside_window,   rule_outcome::condition_false,
                                     rule_outcome::no_line_matched,  rule_outcome::zero_award,
                                     rule_outcome::capped,           rule_outcome::lost_in_group,
                                     rule_outcome::evaluation_error, rule_outcome::ledger_refused};

// The results an event's `result:` may expect: the engine's, and for loyalty.redeem the ledger's
// refusal.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> event_results = {{
    {"ok", "ok"},
    {"duplicate", "duplicate"},
    {"invalid_event", "invalid_event"},
    {"unknown_original", "unknown_original"},
    {"over_return", "over_return"},
    {"missing_budgets", "missing_budgets"},
    {"wrong_program", "wrong_program"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> redeem_results = {{
    {"ok", "ok"},
    {"duplicate", "duplicate"},
    {"insufficient_balance", "insufficient_balance"},
}};

std::string hint(std::string_view word, const std::vector<std::string_view>& names) {
  return internal::did_you_mean(internal::closest_match(word, names));
}

bool parse_int(std::string_view text, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// "a whole number", "a number with at most 2 decimal places": what an amount at `scale` is.
std::string number_at(int scale) {
  return scale == 0 ? "a whole number"
                    : fmt::format("a number with at most {} decimal place{}", scale,
                                  scale == 1 ? "" : "s");
}

/// What a field's value must look like, for messages.
std::string describe(const program& p, const field_type& t) {
  switch (t.kind) {
    case value_kind::boolean:
      return "true or false";
    case value_kind::integer:
      return "a whole number";
    case value_kind::decimal:
      return number_at(t.scale);
    case value_kind::string:
      return "text";
    case value_kind::enumeration: {
      const auto enums = p.schema().enums();
      if (t.enum_index >= enums.size()) return "a value of its enum";
      std::string values;
      for (const std::string& v : enums[t.enum_index].values) {
        values += values.empty() ? v : ", " + v;
      }
      return fmt::format("one of {}", values);
    }
    case value_kind::date:
      return "a date (2026-11-28)";
    case value_kind::timestamp:
      return "an instant (2026-11-28T14:30:00+01:00, or 2026-11-28 14:30 in the program's zone)";
    case value_kind::duration:
      return "a duration (14d, 2h30m)";
    case value_kind::list:
      return "a list of lines";
    default:
      return "a value";
  }
}

/// Why `text` is not a value of type `t`, or nullopt when it is one.
std::optional<std::string> value_problem(const program& p, const field_type& t,
                                         std::string_view text) {
  bool ok = false;
  std::string extra;
  switch (t.kind) {
    case value_kind::boolean:
      ok = text == "true" || text == "false";
      break;
    case value_kind::integer: {
      std::int64_t n = 0;
      ok = parse_int(text, n);
      break;
    }
    case value_kind::decimal:
      ok = decimal::parse(text, t.scale).ok();
      break;
    case value_kind::string:
      ok = true;
      break;
    case value_kind::enumeration: {
      ok = p.schema().enum_code(t.enum_index, text) >= 0;
      const auto enums = p.schema().enums();
      if (!ok && t.enum_index < enums.size()) {
        const std::vector<std::string>& values = enums[t.enum_index].values;
        extra = hint(text, std::vector<std::string_view>(values.begin(), values.end()));
      }
      break;
    }
    case value_kind::date:
      ok = parse_date(text).has_value();
      break;
    case value_kind::timestamp:
      ok = parse_instant(text, p.zone()).has_value();
      break;
    case value_kind::duration:
      ok = parse_duration(text).has_value();
      break;
    default:
      break;
  }
  if (ok) return std::nullopt;
  return fmt::format("'{}' is not {}{}", internal::printable(text), describe(p, t), extra);
}

/// A settable field of an event type: `net` (event.net) or `customer.tier`.
struct event_field {
  std::string_view name;
  const field_type* type;
};

std::vector<event_field> event_fields(const event_type& t) {
  std::vector<event_field> out;
  for (const field_decl& f : t.schema.fields()) {
    std::string_view path = f.path;
    if (f.slot == t.at_slot || t.years_slot == f.slot || t.date_slot == f.slot) continue;
    if (path.starts_with("event.")) {
      path.remove_prefix(6);
    } else if (!path.starts_with("customer.")) {
      continue;
    }
    out.push_back({path, &f.type});
  }
  return out;
}

std::vector<std::string_view> names_of(const std::vector<event_field>& fields) {
  std::vector<std::string_view> out;
  for (const event_field& f : fields) out.push_back(f.name);
  return out;
}

using entry = std::pair<const raw_node*, const raw_node*>;  // key, value

// ---- events -------------------------------------------------------------------------------

/// Reads events written as YAML mappings, with the keys of docs/events.md, checking names and
/// values against a program with a position for every problem.
class event_reader {
 public:
  event_reader(schema_reader& reader, const program& p) : r_(reader), p_(p), builder_(p) {}

  /// Fills `out` from `node`; false (with every problem reported) when the event has errors.
  /// `redeem` is set when the event is a loyalty.redeem.
  bool read(const raw_node& node, raw_event& out, bool& redeem) {
    out.clear();
    redeem = false;
    if (!r_.expect(node, node_kind::mapping, "an event")) return false;
    ok_ = true;
    out.source_line = node.span.line;
    const std::vector<entry> entries = entries_of(node, 0);
    const raw_node* type = nullptr;
    for (const auto& [k, v] : entries) {
      if (k->text == "type") type = v;
    }
    if (type == nullptr) {
      report(diag::missing_key, node,
             "an event needs the key 'type': an event type of the program");
      return false;
    }
    if (!r_.text(type, "'type' of an event")) return false;
    out.type = type->text;
    if (type->text == redeem_type) {
      redeem = true;
      return read_redeem(node, entries, out);
    }
    const std::uint16_t index = p_.find_event_type(type->text);
    if (index == no_index || p_.event_types()[index].synthetic) {
      std::vector<std::string_view> names;
      for (const event_type& t : p_.event_types()) {
        if (!t.synthetic) names.emplace_back(t.id);
      }
      names.push_back(redeem_type);
      report(diag::unknown_event_type, *type,
             fmt::format("the program has no event type '{}'{}", internal::printable(type->text),
                         hint(type->text, names)));
      return false;
    }
    const event_type& t = p_.event_types()[index];
    const std::vector<event_field> fields = event_fields(t);
    bool has_at = false;
    bool has_original = false;
    for (const auto& [key_node, value_node] : entries) {
      const raw_node& key = *key_node;
      const raw_node& v = *value_node;
      const std::string_view name = key.text;
      if (name == "type") continue;
      if (common_key(key, v, out, has_at)) continue;
      if (name == "original") {
        has_original = true;
        if (t.refers_to == no_index) {
          report(diag::invalid_value, key,
                 fmt::format("'{}' refers to no earlier event: 'original' does not apply", t.id));
        } else if (r_.text(&v, "'original' of an event")) {
          out.original = v.text;
        } else {
          ok_ = false;
        }
      } else if (name == "returned") {
        if (t.returns == no_index) {
          report(diag::invalid_value, key,
                 fmt::format("'{}' returns nothing: 'returned' does not apply", t.id));
        } else {
          read_returned(v, out);
        }
      } else if (v.is_sequence()) {
        read_lines(key, v, t, fields, out);
      } else {
        read_field(key, v, t, fields, out);
      }
    }
    if (!has_at) report(diag::missing_key, node, "an event needs the key 'at': when it happened");
    if (t.refers_to != no_index && !has_original) {
      report(diag::missing_key, node,
             fmt::format("an event of '{}' needs the key 'original': the id of the event it {}",
                         t.id, t.returns != no_index ? "returns" : "refers to"));
    }
    return ok_ && final_check(node, out);
  }

 private:
  void report(diag id, const raw_node& where, std::string message) {
    r_.sink().report(id, where.span, std::move(message));
    ok_ = false;
  }

  // The entries of an event mapping with YAML merge keys resolved: `<<: *order` (or a list of
  // aliases) brings in the keys of another event that this one does not set itself, so a case
  // can repeat an event with a new id or time. Earlier merged mappings win over later ones.
  std::vector<entry> entries_of(const raw_node& map, std::uint32_t depth) {
    std::vector<entry> out;
    std::vector<const raw_node*> merged;
    for (std::size_t i = 0; i < map.size(); ++i) {
      const raw_node& key = map.key(i);
      if (key.text == "<<" && key.plain) {
        merged.push_back(&map.value(i));
      } else {
        out.emplace_back(&key, &map.value(i));
      }
    }
    for (const raw_node* m : merged) {
      std::vector<const raw_node*> sources;
      if (m->is_mapping()) sources.push_back(m);
      if (m->is_sequence()) {
        for (const raw_node& item : m->children) sources.push_back(&item);
      }
      for (const raw_node* source : sources) {
        if (!source->is_mapping() || depth >= 8) {
          report(diag::wrong_kind, *source,
                 fmt::format("'<<' merges the keys of another event (an alias such as *order), "
                             "not {}",
                             internal::describe(source->kind)));
          continue;
        }
        for (const entry& e : entries_of(*source, depth + 1)) {
          const bool shadowed = std::any_of(out.begin(), out.end(), [&](const entry& o) {
            return o.first->text == e.first->text;
          });
          if (!shadowed) out.push_back(e);
        }
      }
      if (sources.empty()) {
        report(diag::wrong_kind, *m,
               fmt::format("'<<' merges the keys of another event (an alias such as *order), "
                           "not {}",
                           internal::describe(m->kind)));
      }
    }
    return out;
  }

  // id, customer and at: the keys every event has.
  bool common_key(const raw_node& key, const raw_node& v, raw_event& out, bool& has_at) {
    if (key.text == "id") {
      if (r_.text(&v, "'id' of an event")) {
        out.id = v.text;
      } else {
        ok_ = false;
      }
      return true;
    }
    if (key.text == "customer") {
      if (r_.text(&v, "'customer' of an event")) {
        out.customer = v.text;
      } else {
        ok_ = false;
      }
      return true;
    }
    if (key.text != "at") return false;
    has_at = true;
    if (!r_.text(&v, "'at' of an event")) {
      ok_ = false;
    } else if (!parse_instant(v.text, p_.zone())) {
      report(diag::invalid_value, v,
             fmt::format("'at' must be an instant: 2026-11-28T14:30:00+01:00, a local time in the "
                         "program's time zone (2026-11-28 14:30) or a date, not '{}'",
                         internal::printable(v.text)));
    } else {
      out.at = v.text;
    }
    return true;
  }

  void read_field(const raw_node& key, const raw_node& v, const event_type& t,
                  const std::vector<event_field>& fields, raw_event& out) {
    const auto it = std::find_if(fields.begin(), fields.end(),
                                 [&](const event_field& f) { return f.name == key.text; });
    if (it == fields.end()) {
      report(diag::unknown_event_field, key,
             fmt::format("'{}' has no field '{}'{}", t.id, internal::printable(key.text),
                         hint(key.text, names_of(fields))));
      return;
    }
    if (it->type->kind == value_kind::list) {
      report(diag::wrong_kind, v.is_null() ? key : v,
             fmt::format("field '{}' must be a list of lines, not {}", key.text,
                         internal::describe(v.kind)));
      return;
    }
    if (v.is_mapping()) {
      report(diag::wrong_kind, v,
             fmt::format("field '{}' must be a value, not a mapping", key.text));
      return;
    }
    if (v.is_scalar()) {
      if (auto why = value_problem(p_, *it->type, v.text)) {
        report(diag::invalid_value, v, fmt::format("field '{}': {}", key.text, *why));
        return;
      }
    }
    out.fields.push_back(raw_field{key.text, v.text, !v.plain, v.is_null()});
  }

  void read_lines(const raw_node& key, const raw_node& list, const event_type& t,
                  const std::vector<event_field>& fields, raw_event& out) {
    std::string_view lines_name;
    for (const field_decl& f : t.schema.fields()) {
      if (f.slot == t.lines_slot) lines_name = std::string_view(f.path).substr(6);
    }
    if (t.line_record == nullptr) {
      const auto known = names_of(fields);
      const bool is_field = std::find(known.begin(), known.end(), key.text) != known.end();
      report(is_field ? diag::wrong_kind : diag::unknown_event_field, key,
             is_field ? fmt::format("field '{}' must be a value, not a list", key.text)
                      : fmt::format("'{}' has no field '{}'{}", t.id, internal::printable(key.text),
                                    hint(key.text, known)));
      return;
    }
    if (key.text != lines_name) {
      report(diag::unknown_event_field, key,
             fmt::format("'{}' has no list '{}': its lines are '{}'", t.id,
                         internal::printable(key.text), lines_name));
      return;
    }
    const record_type& record = *t.line_record;
    std::vector<std::string_view> names;
    for (const auto& f : record.fields) names.emplace_back(f.first);
    out.lines_name = key.text;
    out.line_begin.clear();
    for (std::size_t n = 0; n < list.size(); ++n) {
      const raw_node& item = list.children[n];
      out.line_begin.push_back(static_cast<std::uint32_t>(out.line_fields.size()));
      const std::string what = fmt::format("line {} of '{}'", n + 1, key.text);
      if (!r_.expect(item, node_kind::mapping, what)) {
        ok_ = false;
        continue;
      }
      std::vector<bool> given(record.fields.size(), false);
      for (std::size_t i = 0; i < item.size(); ++i) {
        const raw_node& k = item.key(i);
        const raw_node& v = item.value(i);
        const auto at = std::find(names.begin(), names.end(), k.text);
        if (at == names.end()) {
          report(diag::unknown_event_field, k,
                 fmt::format("the line record '{}' has no field '{}'{}", record.name,
                             internal::printable(k.text), hint(k.text, names)));
          continue;
        }
        const auto c = static_cast<std::size_t>(at - names.begin());
        if (!v.is_scalar() && !v.is_null()) {
          report(diag::wrong_kind, v,
                 fmt::format("{}, field '{}' must be a value, not {}", what, k.text,
                             internal::describe(v.kind)));
          continue;
        }
        if (v.is_scalar()) {
          given[c] = true;
          if (auto why = value_problem(p_, record.fields[c].second, v.text)) {
            report(diag::invalid_value, v, fmt::format("{}, field '{}': {}", what, k.text, *why));
            continue;
          }
        }
        out.line_fields.push_back(raw_field{k.text, v.text, !v.plain, v.is_null()});
      }
      for (std::size_t c = 0; c < given.size(); ++c) {
        if (given[c] || record.fields[c].second.optional) continue;
        report(diag::missing_key, item,
               fmt::format("{} needs the key '{}': {}", what, record.fields[c].first,
                           describe(p_, record.fields[c].second)));
      }
    }
    out.line_begin.push_back(static_cast<std::uint32_t>(out.line_fields.size()));
  }

  void read_returned(const raw_node& list, raw_event& out) {
    if (!r_.expect(list, node_kind::sequence, "'returned'")) {
      ok_ = false;
      return;
    }
    for (const raw_node& item : list.children) {
      map_reader m(r_, item, "a returned line");
      const auto line = r_.integer(m.required("line"),
                                   "'line' of a returned line (counting "
                                   "the original's lines from 0)",
                                   0, UINT32_MAX);
      const auto qty =
          r_.integer(m.required("qty"), "'qty' of a returned line", 1, std::int64_t{1} << 40);
      m.finish();
      if (!line || !qty) {
        ok_ = false;
        continue;
      }
      out.returned.push_back({*line, *qty});
    }
  }

  bool read_redeem(const raw_node& node, const std::vector<entry>& entries, raw_event& out) {
    bool has_at = false;
    const raw_node* type_node = nullptr;
    const raw_node* amount_node = nullptr;
    for (const auto& [key_node, value_node] : entries) {
      const raw_node& key = *key_node;
      const raw_node& v = *value_node;
      if (key.text == "type" || common_key(key, v, out, has_at)) continue;
      if (key.text == "point_type") {
        type_node = &v;
      } else if (key.text == "amount") {
        amount_node = &v;
      } else {
        report(
            diag::unknown_event_field, key,
            fmt::format("'{}' has 'point_type' and 'amount', not '{}'{}", redeem_type,
                        internal::printable(key.text), hint(key.text, {"point_type", "amount"})));
      }
    }
    if (!has_at) report(diag::missing_key, node, "an event needs the key 'at': when it happened");
    const point_type* pt = nullptr;
    if (type_node == nullptr) {
      report(diag::missing_key, node,
             fmt::format("'{}' needs the key 'point_type': what the customer spends", redeem_type));
    } else if (r_.text(type_node, "'point_type'")) {
      pt = p_.find_point_type(type_node->text);
      if (pt == nullptr) {
        std::vector<std::string_view> names;
        for (const point_type& t : p_.point_types()) names.emplace_back(t.id);
        report(diag::unknown_point_type, *type_node,
               fmt::format("the program has no point type '{}'{}",
                           internal::printable(type_node->text), hint(type_node->text, names)));
      } else {
        out.fields.push_back(raw_field{"point_type", type_node->text, !type_node->plain, false});
      }
    } else {
      ok_ = false;
    }
    if (amount_node == nullptr) {
      report(diag::missing_key, node,
             fmt::format("'{}' needs the key 'amount': how much the customer spends", redeem_type));
    } else if (r_.text(amount_node, "'amount'") && pt != nullptr) {
      const decimal_result d = decimal::parse(amount_node->text, pt->scale);
      if (!d.ok() || d.value.units() <= 0) {
        report(diag::invalid_amount, *amount_node,
               fmt::format("'amount' must be a positive amount of '{}': {}, not '{}'", pt->id,
                           number_at(pt->scale), internal::printable(amount_node->text)));
      } else {
        out.fields.push_back(raw_field{"amount", amount_node->text, !amount_node->plain, false});
      }
    } else {
      ok_ = false;
    }
    return ok_ && final_check(node, out);
  }

  // The builder that will run the event has the last word (it never should disagree).
  bool final_check(const raw_node& node, const raw_event& out) {
    raw_event probe = out;
    if (probe.id.empty()) probe.id = "probe";
    if (probe.customer.empty()) probe.customer = test_customer;
    event_builder::kind what{};
    event_builder::redeem_request redeem;
    std::string error;
    if (builder_.build(probe, what, redeem, error)) return true;
    report(diag::invalid_value, node, error);
    return false;
  }

  schema_reader& r_;
  const program& p_;
  event_builder builder_;
  bool ok_ = true;
};

// ---- test files ---------------------------------------------------------------------------

enum class expect_context : std::uint8_t { event, redeem, advance, check, end };

class test_reader {
 public:
  test_reader(test_file& f, internal::diagnostic_sink& sink, const program_source& programs,
              std::vector<diagnostic>& program_diagnostics)
      : f_(f), r_(sink), programs_(programs), program_diagnostics_(program_diagnostics) {}

  void read(const raw_node& root) {
    map_reader top(r_, root, "the test file");
    if (!top.valid()) return;
    const raw_node* program_node = top.required("program");
    const raw_node* expected = top.optional("expect_diagnostics");
    const raw_node* cases = expected != nullptr ? top.optional("cases") : top.required("cases");
    top.finish();
    const test_program* file_program = program_at(program_node);
    std::string shown = program_node != nullptr ? program_node->text : "";
    if (expected != nullptr && file_program != nullptr) {
      test_case c;
      c.name = fmt::format("diagnostics of {}", shown);
      c.line = expected->span.line;
      c.program = file_program;
      c.program_shown = shown;
      c.expect_diagnostics = diagnostic_codes(*expected);
      names_.emplace_back(c.name, c.line);
      f_.cases.push_back(std::move(c));
    }
    bool file_program_runs = false;
    if (cases != nullptr && r_.expect(*cases, node_kind::sequence, "'cases'")) {
      if (cases->size() == 0) {
        r_.sink().report(diag::empty_value, cases->span, "'cases' must list at least one case");
      }
      for (std::size_t i = 0; i < cases->size(); ++i) {
        one_case(cases->children[i], i, file_program, shown, file_program_runs);
      }
    }
    if (file_program != nullptr && file_program->loaded == nullptr && file_program_runs) {
      not_loaded(*program_node, *file_program);
    }
  }

 private:
  const test_program* program_at(const raw_node* node) {
    const std::optional<std::string> text = r_.text(node, "'program'");
    if (!text) return nullptr;
    const std::filesystem::path dir = std::filesystem::path(f_.path).parent_path();
    const std::string path = dir.empty() ? *text : (dir / *text).lexically_normal().string();
    const test_program& p = programs_(path);
    if (!p.readable) {
      r_.sink().report(diag::test_program_not_loaded, node->span,
                       fmt::format("cannot read program '{}': {}", p.path, p.error));
      return nullptr;
    }
    return &p;
  }

  // `expected`: the case expects the program's diagnostics, and has steps that cannot run.
  void not_loaded(const raw_node& where, const test_program& p, bool expected = false) {
    std::size_t errors = 0;
    for (const diagnostic& d : p.diagnostics) errors += d.level == severity::error;
    r_.sink().report(diag::test_program_not_loaded, where.span,
                     fmt::format("program '{}' does not load ({}; shown below); {}", p.path,
                                 plural(errors, "error"),
                                 expected ? "a case of it can expect its diagnostics, but can "
                                            "have no steps"
                                          : "to test that, list their codes in "
                                            "'expect_diagnostics'"));
    if (std::find(reported_.begin(), reported_.end(), &p) != reported_.end()) return;
    reported_.push_back(&p);
    program_diagnostics_.insert(program_diagnostics_.end(), p.diagnostics.begin(),
                                p.diagnostics.end());
  }

  std::optional<std::vector<std::string>> diagnostic_codes(const raw_node& node) {
    if (!r_.expect(node, node_kind::sequence, "'expect_diagnostics'")) return std::nullopt;
    std::vector<std::string> codes;
    const auto catalog = diagnostic_catalog();
    std::vector<std::string_view> known;
    for (const diagnostic_info& i : catalog) known.push_back(i.code);
    for (const raw_node& item : node.children) {
      const std::optional<std::string> code = r_.text(&item, "a diagnostic code");
      if (!code) continue;
      if (std::find(known.begin(), known.end(), *code) == known.end()) {
        r_.sink().report(diag::invalid_diagnostic_code, item.span,
                         fmt::format("'{}' is not a diagnostic code: codes are written L0102 and "
                                     "listed in docs/errors.md{}",
                                     internal::printable(*code), hint(*code, known)));
        continue;
      }
      codes.push_back(*code);
    }
    return codes;
  }

  void one_case(const raw_node& node, std::size_t index, const test_program* file_program,
                const std::string& file_shown, bool& file_program_runs) {
    const raw_node* name_node = node.is_mapping() ? internal::find_value(node, "name") : nullptr;
    const std::string what = name_node != nullptr && name_node->is_scalar()
                                 ? fmt::format("case '{}'", internal::printable(name_node->text))
                                 : fmt::format("case #{}", index + 1);
    map_reader m(r_, node, what);
    if (!m.valid()) return;
    test_case c;
    c.line = node.span.line;
    const std::optional<std::string> name = r_.text(m.required("name"), "'name' of a case");
    const raw_node* own_program = m.optional("program");
    const raw_node* expected = m.optional("expect_diagnostics");
    const raw_node* profile = m.optional("profile");
    const raw_node* budgets = m.optional("budgets");
    const raw_node* history = m.optional("history");
    const raw_node* steps = expected != nullptr ? m.optional("steps") : m.required("steps");
    const raw_node* expect = m.optional("expect");
    m.finish();
    if (name) {
      c.name = *name;
      const auto seen = std::find_if(names_.begin(), names_.end(),
                                     [&](const auto& n) { return n.first == *name; });
      if (seen != names_.end()) {
        r_.sink().report(diag::duplicate_case, name_node->span,
                         fmt::format("case name '{}' is already used on line {}",
                                     internal::printable(*name), seen->second));
      } else {
        names_.emplace_back(*name, name_node->span.line);
      }
    }
    if (expected != nullptr) c.expect_diagnostics = diagnostic_codes(*expected);
    c.program = own_program != nullptr ? program_at(own_program) : file_program;
    c.program_shown = own_program != nullptr ? own_program->text : file_shown;
    if (c.program == nullptr) return;
    const bool runs = profile != nullptr || budgets != nullptr || history != nullptr ||
                      steps != nullptr || expect != nullptr;
    if (c.program->loaded == nullptr) {
      // Steps need a program that loads; diagnostics alone are what a case may expect of one.
      if (runs || expected == nullptr) {
        if (own_program != nullptr) {
          not_loaded(*own_program, *c.program, expected != nullptr);
        } else {
          file_program_runs = true;  // reported once, at the file's 'program'
        }
      }
      if (expected != nullptr && !runs) f_.cases.push_back(std::move(c));
      return;
    }
    const program& p = *c.program->loaded;
    event_reader events(r_, p);
    if (profile != nullptr) read_profile(*profile, p, c);
    if (budgets != nullptr) read_budget_amounts(*budgets, p, c.budgets, "'budgets'");
    if (history != nullptr && r_.expect(*history, node_kind::sequence, "'history'")) {
      for (std::size_t i = 0; i < history->size(); ++i) {
        test_step s;
        s.what = test_step::kind::event;
        s.line = history->children[i].span.line;
        bool redeem = false;
        if (events.read(history->children[i], s.event, redeem)) {
          default_id(s, fmt::format("history {}", i + 1));
          c.history.push_back(std::move(s));
        }
      }
    }
    if (steps != nullptr && r_.expect(*steps, node_kind::sequence, "'steps'")) {
      for (std::size_t i = 0; i < steps->size(); ++i) {
        one_step(steps->children[i], i, c.name, p, events, c);
      }
    }
    if (expect != nullptr) {
      c.expect.emplace();
      read_expectation(*expect, expect_context::end, p, *c.expect,
                       fmt::format("'expect' at the end of {}", what));
      c.expect->line = expect->span.line;
    }
    f_.cases.push_back(std::move(c));
  }

  // A case has one customer: its events name none (a `customer` key is ignored).
  void default_id(test_step& s, std::string id) {
    s.event.customer = test_customer;
    s.id_given = !s.event.id.empty();
    if (s.id_given) return;
    f_.ids.push_back(std::move(id));
    s.event.id = f_.ids.back();
  }

  void one_step(const raw_node& node, std::size_t i, const std::string& case_name, const program& p,
                event_reader& events, test_case& c) {
    const std::string what = fmt::format("step {} of case '{}'", i + 1, case_name);
    map_reader m(r_, node, what);
    if (!m.valid()) return;
    const raw_node* event = m.optional("event");
    const raw_node* advance = m.optional("advance");
    const raw_node* expect = m.optional("expect");
    m.finish();
    test_step s;
    s.line = node.span.line;
    expect_context context = expect_context::check;
    bool ok = true;
    if (event != nullptr && advance != nullptr) {
      const raw_node* key = nullptr;
      for (std::size_t k = 0; k < node.size(); ++k) {
        if (node.key(k).text == "advance") key = &node.key(k);
      }
      r_.sink().report(diag::conflicting_keys, key != nullptr ? key->span : node.span,
                       fmt::format("{} has both 'event' and 'advance': a step is one or the "
                                   "other; split it in two",
                                   what));
      return;
    }
    if (event != nullptr) {
      s.what = test_step::kind::event;
      bool redeem = false;
      ok = events.read(*event, s.event, redeem);
      context = redeem ? expect_context::redeem : expect_context::event;
      default_id(s, fmt::format("step {}", i + 1));
    } else if (advance != nullptr) {
      s.what = test_step::kind::advance;
      context = expect_context::advance;
      const std::optional<std::string> text = r_.text(advance, "'advance'");
      const std::optional<timestamp> at = text ? parse_instant(*text, p.zone()) : std::nullopt;
      if (text && !at) {
        r_.sink().report(diag::invalid_time, advance->span,
                         fmt::format("'advance' must be an instant (2026-11-28T14:30:00+01:00), a "
                                     "local time (2026-11-28 14:30) or a date, not '{}'",
                                     internal::printable(*text)));
      }
      ok = at.has_value();
      if (at) s.at = *at;
    } else if (expect == nullptr) {
      r_.sink().report(diag::missing_key, node.span,
                       fmt::format("{} needs the key 'event', 'advance' or 'expect'", what));
      return;
    }
    if (expect != nullptr) {
      s.has_expect = true;
      read_expectation(*expect, context, p, s.expect, fmt::format("'expect' of {}", what));
      s.expect.line = expect->span.line;
    }
    if (ok) c.steps.push_back(std::move(s));
  }

  void read_profile(const raw_node& node, const program& p, test_case& c) {
    if (!r_.expect(node, node_kind::mapping, "'profile'")) return;
    std::vector<std::string_view> names;
    for (const program::profile_field& f : p.profile_fields()) {
      names.push_back(std::string_view(f.path).substr(9));
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
      const raw_node& key = node.key(i);
      const raw_node& v = node.value(i);
      std::string_view name = key.text;
      if (name.starts_with("customer.")) name.remove_prefix(9);
      const auto at = std::find(names.begin(), names.end(), name);
      if (at == names.end()) {
        r_.sink().report(diag::unknown_customer_field, key.span,
                         fmt::format("the program has no customer field 'customer.{}'{}",
                                     internal::printable(name), hint(name, names)));
        continue;
      }
      const program::profile_field& f =
          p.profile_fields()[static_cast<std::size_t>(at - names.begin())];
      if (v.is_null()) continue;
      if (!r_.expect(v, node_kind::scalar, fmt::format("'{}' of 'profile'", f.path))) continue;
      if (auto why = value_problem(p, f.type, v.text)) {
        r_.sink().report(diag::invalid_value, v.span, fmt::format("'{}': {}", f.path, *why));
        continue;
      }
      c.profile.emplace_back(f.path, v.text);
    }
  }

  std::optional<decimal> amount(const raw_node& v, int scale, std::string_view what) {
    if (!r_.expect(v, node_kind::scalar, what)) return std::nullopt;
    const decimal_result d = decimal::parse(v.text, scale);
    if (!d.ok()) {
      r_.sink().report(diag::invalid_amount, v.span,
                       fmt::format("{} must be {}, not '{}'", what, number_at(scale),
                                   internal::printable(v.text)));
      return std::nullopt;
    }
    return d.value;
  }

  void read_budget_amounts(const raw_node& node, const program& p,
                           std::vector<std::pair<std::uint16_t, std::int64_t>>& out,
                           std::string_view what) {
    if (!r_.expect(node, node_kind::mapping, what)) return;
    std::vector<std::string_view> names;
    for (const budget& b : p.budgets()) names.emplace_back(b.id);
    for (std::size_t i = 0; i < node.size(); ++i) {
      const raw_node& key = node.key(i);
      const auto at = std::find(names.begin(), names.end(), key.text);
      if (at == names.end()) {
        r_.sink().report(diag::unknown_budget, key.span,
                         fmt::format("the program has no budget '{}'{}",
                                     internal::printable(key.text), hint(key.text, names)));
        continue;
      }
      const auto b = static_cast<std::uint16_t>(at - names.begin());
      const point_type& t = p.point_types()[p.budgets()[b].point_type];
      const std::optional<decimal> left =
          amount(node.value(i), t.scale, fmt::format("budget '{}'", key.text));
      if (!left) continue;
      if (left->is_negative()) {
        r_.sink().report(diag::invalid_amount, node.value(i).span,
                         fmt::format("budget '{}' must not be negative", key.text));
        continue;
      }
      out.emplace_back(b, left->units());
    }
  }

  // awards / reversed: rule id -> amount of its point type.
  void read_rule_amounts(const raw_node& node, const program& p, std::vector<amount_check>& out,
                         std::string_view what) {
    if (!r_.expect(node, node_kind::mapping, what)) return;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::optional<std::uint32_t> rule = rule_of(node.key(i), p);
      if (!rule) continue;
      const earning_rule& er = p.rules()[*rule];
      const int scale = er.point_type == no_index ? 0 : p.point_types()[er.point_type].scale;
      const std::optional<decimal> a =
          amount(node.value(i), scale, fmt::format("{} of rule '{}'", what, node.key(i).text));
      if (a) out.push_back({*rule, balance_kind::available, *a});
    }
  }

  std::optional<std::uint32_t> rule_of(const raw_node& key, const program& p) {
    if (const auto r = p.find_rule(key.text)) return r;
    std::vector<std::string_view> names;
    for (const earning_rule& r : p.rules()) names.emplace_back(r.id);
    r_.sink().report(diag::unknown_rule, key.span,
                     fmt::format("the program has no rule '{}'{}", internal::printable(key.text),
                                 hint(key.text, names)));
    return std::nullopt;
  }

  void read_balances(const raw_node& node, const program& p, std::vector<amount_check>& out) {
    if (!r_.expect(node, node_kind::mapping, "'balances'")) return;
    std::vector<std::string_view> names;
    for (const point_type& t : p.point_types()) names.emplace_back(t.id);
    static const auto kinds = internal::named(all_balance_kinds);
    for (std::size_t i = 0; i < node.size(); ++i) {
      const raw_node& key = node.key(i);
      const raw_node& v = node.value(i);
      const auto at = std::find(names.begin(), names.end(), key.text);
      if (at == names.end()) {
        r_.sink().report(diag::unknown_point_type, key.span,
                         fmt::format("the program has no point type '{}'{}",
                                     internal::printable(key.text), hint(key.text, names)));
        continue;
      }
      const auto w = static_cast<std::uint32_t>(at - names.begin());
      const int scale = p.point_types()[w].scale;
      if (!v.is_mapping()) {
        // `points: 120` is short for `points: {available: 120}`.
        const auto a = amount(v, scale, fmt::format("balance of '{}'", key.text));
        if (a) out.push_back({w, balance_kind::available, *a});
        continue;
      }
      map_reader m(r_, v, fmt::format("the balances of '{}'", key.text));
      for (const auto& [kind_name, kind] : kinds) {
        const raw_node* n = m.optional(kind_name);
        if (n == nullptr) continue;
        const auto a = amount(*n, scale, fmt::format("'{}' of '{}'", kind_name, key.text));
        if (a) out.push_back({w, kind, *a});
      }
      m.finish();
    }
  }

  void read_outcomes(const raw_node& node, const program& p, std::vector<outcome_check>& out) {
    if (!r_.expect(node, node_kind::mapping, "'outcomes'")) return;
    static const auto choices = internal::named(all_outcomes);
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::optional<std::uint32_t> rule = rule_of(node.key(i), p);
      const auto o = r_.choice<rule_outcome>(
          &node.value(i), fmt::format("the outcome of rule '{}'", node.key(i).text),
          std::span<const std::pair<std::string_view, rule_outcome>>(choices));
      if (rule && o) out.push_back({*rule, *o});
    }
  }

  void read_expectation(const raw_node& node, expect_context context, const program& p,
                        expectation& out, const std::string& what) {
    map_reader m(r_, node, what);
    const bool event = context == expect_context::event;
    const bool redeem = context == expect_context::redeem;
    const bool advance = context == expect_context::advance;
    if (event || redeem) {
      if (const raw_node* n = m.optional("result")) {
        const auto names =
            event ? std::span<const std::pair<std::string_view, std::string_view>>(event_results)
                  : std::span<const std::pair<std::string_view, std::string_view>>(redeem_results);
        if (auto r = r_.choice<std::string_view>(n, "'result'", names)) out.result = *r;
      }
    }
    if (event || advance) {
      if (const raw_node* n = m.optional("awards"))
        read_rule_amounts(*n, p, out.awards, "'awards'");
    }
    if (event) {
      if (const raw_node* n = m.optional("reversed")) {
        read_rule_amounts(*n, p, out.reversed, "'reversed'");
      }
    }
    if (event || advance) {
      if (const raw_node* n = m.optional("outcomes")) read_outcomes(*n, p, out.outcomes);
      if (const raw_node* n = m.optional("messages")) {
        if (r_.expect(*n, node_kind::sequence, "'messages'")) {
          out.messages.emplace();
          for (const raw_node& item : n->children) {
            if (auto t = r_.text(&item, "a message")) out.messages->push_back(*t);
          }
        }
      }
    }
    if (const raw_node* n = m.optional("balances")) read_balances(*n, p, out.balances);
    if (const raw_node* n = m.optional("budgets")) {
      std::vector<std::pair<std::uint16_t, std::int64_t>> left;
      read_budget_amounts(*n, p, left, "'budgets'");
      for (const auto& [b, units] : left) {
        const int scale = p.point_types()[p.budgets()[b].point_type].scale;
        out.budgets.push_back(
            {b, balance_kind::available, decimal::from_units(units, scale).value});
      }
    }
    m.finish();
  }

  test_file& f_;
  schema_reader r_;
  const program_source& programs_;
  std::vector<diagnostic>& program_diagnostics_;
  std::vector<const test_program*> reported_;
  std::vector<std::pair<std::string, std::uint32_t>> names_;  // case names and their lines
};

void sort_by_position(std::vector<diagnostic>& ds) {
  std::stable_sort(ds.begin(), ds.end(), [](const diagnostic& a, const diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  ds.erase(std::unique(ds.begin(), ds.end()), ds.end());
}

}  // namespace

std::unique_ptr<test_file> read_test_file(std::string text, const std::string& path,
                                          const program_source& programs,
                                          std::vector<diagnostic>& out) {
  auto f = std::make_unique<test_file>();
  f->path = path;
  f->text = std::move(text);
  f->tree = std::make_unique<raw_node>();
  std::vector<diagnostic> own;
  std::vector<diagnostic> of_programs;
  {
    internal::diagnostic_sink sink(f->path, f->text, own);
    const load_limits limits;
    if (internal::read_yaml(f->text, limits, sink, *f->tree)) {
      test_reader(*f, sink, programs, of_programs).read(*f->tree);
    }
  }
  sort_by_position(own);
  const bool failed = has_errors(own);
  out.insert(out.end(), own.begin(), own.end());
  out.insert(out.end(), of_programs.begin(), of_programs.end());
  if (failed) return nullptr;
  return f;
}

std::unique_ptr<yaml_event> read_yaml_event(std::string text, const std::string& path,
                                            const program& p, std::vector<diagnostic>& out) {
  auto e = std::make_unique<yaml_event>();
  e->text = std::move(text);
  e->tree = std::make_unique<raw_node>();
  std::vector<diagnostic> own;
  bool ok = false;
  {
    internal::diagnostic_sink sink(path, e->text, own);
    const load_limits limits;
    if (internal::read_yaml(e->text, limits, sink, *e->tree)) {
      schema_reader reader(sink);
      event_reader events(reader, p);
      bool redeem = false;
      ok = events.read(*e->tree, e->event, redeem);
    }
  }
  sort_by_position(own);
  out.insert(out.end(), own.begin(), own.end());
  if (!ok || has_errors(own)) return nullptr;
  return e;
}

}  // namespace loyalty::cli
