// The engine: rules of a compiled program applied to events, through the ledger.
#include "loyalty/engine.hpp"

#include "expr/slot_test.hpp"
#include "hash_util.hpp"
#include "loyalty/allocate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace loyalty {

namespace {

using internal::mix64;
using internal::text_key;

/// The id of the k-th operation rule `key` makes for event `event` (k: 0 earn, 1 return,
/// 2 activation). No strings: the rule's key was hashed when the program loaded.
id128 op_id(id128 event, std::uint64_t key, std::uint64_t k) noexcept {
  const std::uint64_t a = mix64(event.high ^ mix64(key + 0x9E3779B97F4A7C15ULL * (k + 1)));
  const std::uint64_t b = mix64(event.low ^ mix64(a ^ key ^ (k << 56) ^ 0x5851F42D4C957F2DULL));
  id128 id{a, b};
  if (!id.valid()) id.low ^= 1;
  return id;
}

/// The tag the member's event set keeps for a processed event: its type + 1 in the low 16 bits
/// (an id reused for another type of event is a host's bug, such as an order's number used again
/// for its return; a retry may come later or with other fields), and, for an event with lines,
/// its index in member::orders + 1 above them, so that a return finds its order at once. Never 0
/// (the tag of ids recorded without one: neither is known).
std::uint64_t event_tag(std::uint16_t type, std::uint64_t order_index_plus_1) noexcept {
  return (order_index_plus_1 << 16) | (std::uint64_t{type} + 1);
}
std::uint16_t tag_type(std::uint64_t tag) noexcept {  // 0: not known
  return static_cast<std::uint16_t>(tag & 0xFFFF);
}

/// The number of the period of `unit` that `date` falls in: equal numbers, same period.
std::int64_t period_number(cap_period p, civil_date date) noexcept {
  switch (p) {
    case cap_period::day:
      return date.days;
    case cap_period::week:
      return start_of(calendar_unit::week, date).days;
    case cap_period::month:
      return std::int64_t{year(date)} * 12 + month(date);
    case cap_period::quarter:
      return std::int64_t{year(date)} * 4 + quarter(date);
    case cap_period::year:
      return year(date);
    case cap_period::lifetime:
      return 0;
  }
  return 0;
}

/// The awards of one event are credited as lots; lot k's earn id is op_id(event, lot_key + k, 0).
constexpr std::uint64_t lot_key = 0x4C4F'5400'0000'0000ULL;
/// An event that resets wallet w's inactivity clock records it with op_id(event,
/// activity_key + w, 3).
constexpr std::uint64_t activity_key = 0x4143'5400'0000'0000ULL;

template <typename Local>
bool in_window(const time_window& w, timestamp at, Local&& local) noexcept {
  if (w.always()) return true;
  if (at < w.from || at >= w.until) return false;
  if (w.days != 0x7F) {
    const int dow = local().day_of_week;  // 1 = Monday
    if ((w.days & (1U << static_cast<unsigned>(dow - 1))) == 0) return false;
  }
  if (w.hours_from) {
    const duration t = local().time_of_day;
    const duration a = *w.hours_from;
    const duration b = *w.hours_until;
    const bool inside = a < b ? (t >= a && t < b) : (t >= a || t < b);
    if (!inside) return false;
  }
  return true;
}

/// units * part / whole, rounded down, exactly (part <= whole).
std::int64_t share(std::int64_t units, std::int64_t part, std::int64_t whole) noexcept {
  if (whole <= 0 || part >= whole) return units;
  if (part <= 0) return 0;
  __extension__ using i128 = __int128;
  return static_cast<std::int64_t>(static_cast<i128>(units) * part / whole);
}

decimal units_to_decimal(std::int64_t units, int scale) noexcept {
  return decimal::from_units(units, scale).value;
}

/// The rule of `p` that made award `a` of event `event`, found by the award's operation id: the
/// member may have been processed under an earlier version of the program, whose rules were in
/// another order (the same rule id gives the same key). Nullopt when `p` has no such rule.
/// The rule of this program that made award `a` (found by the rule's key, so a program whose
/// rules were reordered or added to since still finds it), or nullopt when it is gone.
std::optional<std::uint32_t> awarding_rule(const program& p, const order_award& a) noexcept {
  const auto rules = p.rules();
  if (a.rule < rules.size() && rules[a.rule].key == a.rule_key) return a.rule;
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    if (rules[i].key == a.rule_key) return i;
  }
  return std::nullopt;
}

bool anniversary_on(civil_date origin, civil_date d) noexcept {
  if (d <= origin) return false;
  if (month(d) != month(origin)) return false;
  if (day_of_month(d) == day_of_month(origin)) return true;
  // 29 February falls on 28 February in a common year.
  return month(origin) == 2 && day_of_month(origin) == 29 && !is_leap_year(year(d)) &&
         day_of_month(d) == 28;
}

}  // namespace

id128 event_id(std::string_view text) noexcept {
  return id128::derive(text, 0, "loyalty.event");
}

// ---- id_set ---------------------------------------------------------------------------------

std::size_t id_set::find(id128 id) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(mix64(id.low ^ id.high)) & mask;;
       i = (i + 1) & mask) {
    const id128& s = slots_[i];
    if (s == id || (s.high == 0 && s.low == 0)) return i;
  }
}

bool id_set::contains(id128 id) const noexcept {
  if (slots_.empty() || !id.valid()) return false;
  return slots_[find(id)] == id;
}

std::optional<std::uint64_t> id_set::tag(id128 id) const noexcept {
  if (slots_.empty() || !id.valid()) return std::nullopt;
  const std::size_t i = find(id);
  if (slots_[i] != id) return std::nullopt;
  return tags_[i];
}

bool id_set::insert(id128 id, std::uint64_t tag) {
  if (!id.valid()) return false;
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<id128> old = std::move(slots_);
    std::vector<std::uint64_t> old_tags = std::move(tags_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, id128{});
    tags_.assign(slots_.size(), 0);
    size_ = 0;
    for (std::size_t k = 0; k < old.size(); ++k) {
      if (old[k].high != 0 || old[k].low != 0) insert(old[k], old_tags[k]);
    }
  }
  const std::size_t i = find(id);
  if (slots_[i] == id) return false;
  slots_[i] = id;
  tags_[i] = tag;
  ++size_;
  return true;
}

std::vector<id128> id_set::ids() const {
  std::vector<id128> out;
  out.reserve(size_);
  for (const id128& x : slots_) {
    if (x.high != 0 || x.low != 0) out.push_back(x);
  }
  return out;
}

std::vector<std::pair<id128, std::uint64_t>> id_set::entries() const {
  std::vector<std::pair<id128, std::uint64_t>> out;
  out.reserve(size_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].high != 0 || slots_[i].low != 0) out.emplace_back(slots_[i], tags_[i]);
  }
  return out;
}

// ---- member ---------------------------------------------------------------------------------

bool member::set_profile(const program& p, std::string_view field, value v) {
  const auto fields = p.profile_fields();
  const auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const program::profile_field& f) { return f.path == field; });
  if (it == fields.end()) return false;
  const auto i = static_cast<std::size_t>(it - fields.begin());
  if (profile.size() < fields.size()) profile.resize(fields.size());
  if (profile_text.size() < fields.size()) profile_text.resize(fields.size());
  if (v.is_null()) {
    profile[i] = value();
    return true;
  }
  const field_type& t = it->type;
  if (t.kind == value_kind::string) {
    if (v.kind() != value_kind::string) return false;
    profile_text[i] = std::string(v.as_string());
    profile[i] = value::of_string({});
    return true;
  }
  if (t.kind == value_kind::decimal &&
      (v.kind() == value_kind::decimal || v.kind() == value_kind::integer)) {
    const decimal_result d = v.as_decimal().rescale(t.scale, rounding_mode::half_even);
    if (!d.ok() || d.value != v.as_decimal()) return false;
    profile[i] = value::of_decimal(d.value);
    return true;
  }
  if (t.kind == value_kind::list || v.kind() != t.kind) return false;
  if (t.kind == value_kind::enumeration &&
      (v.as_enum() < 0 ||
       static_cast<std::size_t>(v.as_enum()) >= p.schema().enums()[t.enum_index].values.size())) {
    return false;
  }
  profile[i] = v;
  return true;
}

value member::profile_value(const program& p, std::string_view field) const {
  const auto fields = p.profile_fields();
  for (std::size_t i = 0; i < fields.size() && i < profile.size(); ++i) {
    if (fields[i].path != field) continue;
    if (profile[i].kind() == value_kind::string) return value::of_string(profile_text[i]);
    return profile[i];
  }
  return value();
}

// ---- event ----------------------------------------------------------------------------------

namespace {
std::uint16_t type_index(const program& p, std::string_view type) {
  const std::uint16_t i = p.find_event_type(type);
  if (i == no_index || p.event_types()[i].synthetic) {
    throw std::invalid_argument(fmt::format("the program declares no event type '{}'", type));
  }
  return i;
}
}  // namespace

event::event(const program& p, std::string_view type) : event(p, type_index(p, type)) {}

event::event(const program& p, std::uint16_t type)
    : program_(&p),
      type_(type),
      info_(type < p.event_types().size() ? &p.event_types()[type] : nullptr),
      input_(info_ != nullptr ? info_->schema : p.schema()) {
  if (info_ == nullptr) throw std::invalid_argument("no such event type");
}

void event::reset(id128 id, timestamp at) {
  for (std::uint32_t s = 0; s < input_.size(); ++s) input_.clear(s);
  id_ = id;
  at_ = at;
  original_ = {};
  returned_.clear();
}

bool event::set(std::string_view path, value v) {
  const std::optional<std::uint32_t> s = slot(path);
  return s && input_.set(*s, v);
}

std::optional<std::uint32_t> event::slot(std::string_view path) const {
  const field_decl* f = info_->schema.find_field(path);
  if (f == nullptr || path.starts_with("line.") || path.starts_with("previous.") ||
      path == "event.at") {
    return std::nullopt;  // the engine sets these
  }
  return f->slot;
}

void event::add_returned_line(std::uint32_t line, std::int64_t quantity) {
  returned_.push_back({line, quantity});
}

// ---- results --------------------------------------------------------------------------------

std::string_view to_string(process_result r) noexcept {
  switch (r) {
    case process_result::ok:
      return "ok";
    case process_result::duplicate:
      return "duplicate";
    case process_result::invalid_event:
      return "invalid_event";
    case process_result::unknown_original:
      return "unknown_original";
    case process_result::over_return:
      return "over_return";
    case process_result::missing_budgets:
      return "missing_budgets";
    case process_result::wrong_program:
      return "wrong_program";
    case process_result::conflicting_event:
      return "conflicting_event";
  }
  return "?";
}

std::string_view to_string(rule_outcome o) noexcept {
  switch (o) {
    case rule_outcome::awarded:
      return "awarded";
    case rule_outcome::message_only:
      return "message_only";
    case rule_outcome::outside_window:
      return "outside_window";
    case rule_outcome::condition_false:
      return "condition_false";
    case rule_outcome::no_line_matched:
      return "no_line_matched";
    case rule_outcome::zero_award:
      return "zero_award";
    case rule_outcome::capped:
      return "capped";
    case rule_outcome::lost_in_group:
      return "lost_in_group";
    case rule_outcome::evaluation_error:
      return "evaluation_error";
    case rule_outcome::ledger_refused:
      return "ledger_refused";
  }
  return "?";
}

// ---- the engine's working memory ------------------------------------------------------------

/// A rule's computed award before it is committed.
struct candidate {
  std::uint32_t rule = 0;
  rule_outcome outcome = rule_outcome::condition_false;
  std::int64_t uncapped = 0;  // units after rounding
  std::int64_t units = 0;     // after caps and budget
  int limited_by = -1;
  decimal carry;  // the new carry, if the rule keeps one
  std::vector<std::int64_t> per_line;
};

/// A lot the event's awards go into (one earn): per wallet, activation and expiry.
struct planned_lot {
  std::uint16_t wallet = 0;
  timestamp activates_at;
  std::optional<timestamp> expires_at;
  bool until_event = false;
  std::int64_t units = 0;
  std::uint32_t first_rule = 0;
  id128 op;
  ledger_result result = ledger_result::ok;
};

/// An award waiting for its lot to be credited.
struct staged_award {
  std::uint32_t award = 0;  // index into engine_decision::awards
  std::uint16_t lot = 0;
  std::int64_t units = 0;
  decimal carry;
  std::uint32_t first_unit = 0;  // its units per line in scratch::staged_units
  std::uint32_t count = 0;
};

/// The event's time on the program's clocks, computed once per event when a rule needs it.
struct local_info {
  civil_date date;
  duration time_of_day;
  int day_of_week = 1;  // 1 = Monday
};

struct engine_decision::scratch {
  std::vector<std::optional<expression_input>> inputs;  // per event type
  std::vector<decimal> line_exact;                      // per line: exact award
  std::vector<decimal> weights;                         // per line: allocation weights
  std::vector<std::int64_t> weight_units;               // the same at their largest scale
  std::vector<decimal> parts;
  std::vector<std::int64_t> budget_left;
  std::vector<std::int64_t> qty;
  candidate current;
  // Best groups: the leading candidate of each group (by group index), until its last rule.
  std::vector<candidate> best;
  std::vector<std::uint8_t> have_best;
  std::vector<planned_lot> lots;
  std::vector<staged_award> staged;
  std::vector<std::int64_t> staged_units;
  decision ledger_decision;
  std::vector<std::uint16_t> won;  // `first` groups that have awarded in this event
  std::vector<std::uint8_t> own;   // customer fields the event sets itself
};

engine_decision::engine_decision() = default;
engine_decision::~engine_decision() = default;
engine_decision::engine_decision(engine_decision&&) noexcept = default;
engine_decision& engine_decision::operator=(engine_decision&&) noexcept = default;

void engine_decision::clear() noexcept {
  result = process_result::ok;
  ledger = ledger_result::ok;
  amount = decimal();
  detail.clear();
  read_version = 0;
  entries.clear();
  awards.clear();
  reversals.clear();
  budgets.clear();
  messages.clear();
  trace.clear();
}

// ---- engine ---------------------------------------------------------------------------------

/// The clauses of every rule that test one field against constants (`line.category == 3`,
/// `line.sku == 'SKU-1'`, `event.channel != 'marketplace'`), recognised once: the run answers
/// them with one comparison, and a `where` on a line field reads the line's own value without
/// loading the line into the input.
struct internal::engine_tables {
  using slot_test = internal::expr::slot_test;
  std::vector<std::optional<slot_test>> tests;  // every rule's when clauses, then its where
  std::vector<std::int32_t> columns;            // per test: the line column it reads, or -1
  std::vector<std::uint32_t> first_when;        // per rule: index of its first when clause
  std::vector<std::uint32_t> first_where;

  /// Per event type: the wallets (inactivity policies) whose clock an event of the type resets.
  std::vector<std::vector<std::uint16_t>> activity;

  explicit engine_tables(const loyalty::program& p) {
    activity.resize(p.event_types().size());
    for (std::size_t w = 0; w < p.point_types().size(); ++w) {
      const point_type& pt = p.point_types()[w];
      if (pt.expiry.kind != expiry_kind::inactivity) continue;
      for (const std::uint16_t t : pt.reset_on_events) {
        if (t < activity.size()) activity[t].push_back(static_cast<std::uint16_t>(w));
      }
    }
    for (const earning_rule& r : p.rules()) {
      first_when.push_back(static_cast<std::uint32_t>(tests.size()));
      for (const clause& c : r.when) {
        tests.push_back(internal::expr::slot_test_of(*c.expression));
        columns.push_back(-1);
      }
      first_where.push_back(static_cast<std::uint32_t>(tests.size()));
      const event_type* t = r.on < p.event_types().size() ? &p.event_types()[r.on] : nullptr;
      for (const clause& c : r.where) {
        tests.push_back(internal::expr::slot_test_of(*c.expression));
        std::int32_t column = -1;
        if (tests.back() && t != nullptr && t->first_line_slot != event_type::no_slot &&
            tests.back()->slot >= t->first_line_slot) {
          column = static_cast<std::int32_t>(tests.back()->slot - t->first_line_slot);
        }
        columns.push_back(column);
      }
    }
  }
  /// The line column the k-th where clause of `rule` tests (its field's place in a row), or -1.
  std::int32_t where_column(std::uint32_t rule, std::size_t k) const noexcept {
    return columns[first_where[rule] + k];
  }
  const slot_test* when(std::uint32_t rule, std::size_t k) const noexcept {
    const std::optional<slot_test>& t = tests[first_when[rule] + k];
    return t ? &*t : nullptr;
  }
  const slot_test* where(std::uint32_t rule, std::size_t k) const noexcept {
    const std::optional<slot_test>& t = tests[first_where[rule] + k];
    return t ? &*t : nullptr;
  }
};

engine::engine(std::shared_ptr<const loyalty::program> p)
    : program_(std::move(p)),
      ledger_(wallet_policies(*program_)),
      tables_(std::make_shared<const internal::engine_tables>(*program_)) {}

member engine::open(id128 customer) const {
  member m;
  m.customer = customer;
  m.ledger = ledger_.open(customer);
  prepare(m);
  return m;
}

void engine::prepare(member& m) const {
  const loyalty::program& p = *program_;
  if (m.profile.size() < p.profile_fields().size()) m.profile.resize(p.profile_fields().size());
  if (m.profile_text.size() < p.profile_fields().size()) {
    m.profile_text.resize(p.profile_fields().size());
  }
  if (m.event_counts.size() < p.event_types().size()) m.event_counts.resize(p.event_types().size());
  if (m.counters.size() < p.counter_count()) m.counters.resize(p.counter_count());
  if (m.carries.size() < p.carry_count()) m.carries.resize(p.carry_count());
  if (m.ledger.wallets.size() < p.point_types().size()) {
    m.ledger.wallets.resize(p.point_types().size());
  }
}

balances engine::balance(const member& m, std::string_view point_type) const {
  const loyalty::point_type* t = program_->find_point_type(point_type);
  if (t == nullptr) throw std::invalid_argument(fmt::format("no point type '{}'", point_type));
  return ledger_.balance(m.ledger, static_cast<std::uint16_t>(t - program_->point_types().data()));
}

namespace {

/// One run of the rules of an event type over one event, for one member.
class run {
 public:
  run(const program& p, const ledger& l, const internal::engine_tables& tables, member& m,
      engine_decision& out, engine_decision::scratch& w, const process_options& opt, timestamp now)
      : own(w.own),
        p_(p),
        l_(l),
        tables_(tables),
        m_(m),
        out_(out),
        w_(w),
        opt_(opt),
        now_(now),
        zone_(p.zone()) {
    own.clear();
  }

  /// Fills the built-in slots of `in` (event.at, previous.*, the profile).
  void fill(expression_input& in, const event_type& t, timestamp at) {
    (void)in.set(t.at_slot, value::of_timestamp(at));
    for (std::size_t i = 0; i < t.previous_slots.size() && i < m_.event_counts.size(); ++i) {
      (void)in.set(t.previous_slots[i], value::of_int(m_.event_counts[i]));
    }
    const auto fields = p_.profile_fields();
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i < own.size() && own[i]) continue;  // the event carries its own value
      const value& v = m_.profile[i];
      (void)in.set(fields[i].slot,
                   v.kind() == value_kind::string ? value::of_string(m_.profile_text[i]) : v);
    }
    in.set_now(now_);
  }

  /// Notes which customer fields the event itself set (they win over the member's profile).
  void note_own(const expression_input& in) {
    const auto fields = p_.profile_fields();
    own.assign(fields.size(), 0);
    for (std::size_t i = 0; i < fields.size(); ++i) own[i] = !in.get(fields[i].slot).is_null();
  }
  std::vector<std::uint8_t>& own;

  /// A required field that is missing, or nullptr.
  static const field_decl* missing(const expression_input& in, const event_type& t) {
    for (const field_decl& f : t.schema.fields()) {
      if (f.type.optional || !in.get(f.slot).is_null()) continue;
      if (t.first_line_slot != event_type::no_slot && f.slot >= t.first_line_slot) continue;
      return &f;
    }
    return nullptr;
  }

  /// Runs every rule on `t` against `in` for the event `id` at `at`; `order` (nullable) gets
  /// the award records.
  void rules(const event_type& t, expression_input& in, id128 id, timestamp at,
             order_record* order) {
    id_ = id;
    at_ = at;
    t_ = &t;
    in_ = &in;
    order_ = order;
    lines_ = 0;
    rows_ = nullptr;
    width_ = 0;
    if (t.lines_slot != event_type::no_slot) {
      const value& l = in.get(t.lines_slot);
      if (l.kind() == value_kind::list) {
        lines_ = l.count();
        rows_ = l.rows();
        width_ = l.width();
      }
    }
    weights_ready_ = false;
    local_ready_ = false;
    loaded_line_ = no_line;
    w_.lots.clear();
    w_.staged.clear();
    w_.staged_units.clear();
    for (std::size_t k = 0; k < t.rules.size(); ++k) {
      const std::uint32_t ri = t.rules[k];
      const earning_rule& r = p_.rules()[ri];
      const rule_group* g = r.group != no_index ? &p_.groups()[r.group] : nullptr;
      rule_trace* trace = nullptr;
      if (opt_.explain) {
        trace = &out_.trace.emplace_back();
        trace->rule = ri;
      }
      if (g != nullptr && g->mode == stacking_mode::first && group_won(r.group)) {
        if (trace != nullptr) trace->outcome = rule_outcome::lost_in_group;
        continue;
      }
      candidate& c = w_.current;
      evaluate(r, ri, c, trace);
      // A remainder kept by `carry` counts even when the award rounds down to nothing.
      if (r.carry && c.outcome == rule_outcome::zero_award) m_.carries[r.carry_slot] = c.carry;
      if (g != nullptr && g->mode == stacking_mode::best) {
        // Groups may interleave in file order: each keeps its own leader.
        if (w_.best.size() <= r.group) {
          w_.best.resize(p_.groups().size());
          w_.have_best.resize(p_.groups().size(), 0);
        }
        candidate& best = w_.best[r.group];
        std::uint8_t& have_best = w_.have_best[r.group];
        if (c.outcome == rule_outcome::awarded && (have_best == 0 || c.units > best.units)) {
          if (have_best != 0 && opt_.explain) lose(best.rule);
          std::swap(best, c);
          have_best = 1;
        } else if (c.outcome == rule_outcome::awarded && trace != nullptr) {
          trace->outcome = rule_outcome::lost_in_group;
        }
        if (g->rules.back() == ri && have_best != 0) {
          commit(p_.rules()[best.rule], best);
          have_best = 0;
        }
        continue;
      }
      if (c.outcome == rule_outcome::awarded || c.outcome == rule_outcome::message_only) {
        commit(r, c);
        if (g != nullptr && g->mode == stacking_mode::first && c.outcome == rule_outcome::awarded) {
          w_.won.push_back(r.group);
        }
      }
    }
    w_.won.clear();
    flush();
  }

 private:
  bool group_won(std::uint16_t g) const {
    return std::find(w_.won.begin(), w_.won.end(), g) != w_.won.end();
  }

  void lose(std::uint32_t rule) {
    for (rule_trace& tr : out_.trace) {
      if (tr.rule == rule) tr.outcome = rule_outcome::lost_in_group;
    }
  }

  /// Loads line `i` into the input's line fields (once: rules take the lines in turn).
  void set_line(std::uint32_t i) {
    if (loaded_line_ == i) return;
    loaded_line_ = i;
    const value* row = rows_ + static_cast<std::size_t>(i) * width_;
    for (std::uint32_t f = 0; f < width_; ++f) (void)in_->set(t_->first_line_slot + f, row[f]);
  }

  std::int64_t quantity(std::uint32_t i) const {
    if (t_->quantity_field < 0) return 1;
    return rows_[static_cast<std::size_t>(i) * width_ +
                 static_cast<std::size_t>(t_->quantity_field)]
        .as_int();
  }

  /// Line weights for splitting an order-level award: line_value, or the quantity.
  void weights() {
    if (weights_ready_) return;
    weights_ready_ = true;
    w_.weights.resize(lines_);
    bool any = false;
    for (std::uint32_t i = 0; i < lines_; ++i) {
      decimal wgt = decimal::from_int(std::max<std::int64_t>(quantity(i), 0)).value;
      if (t_->line_value) {
        set_line(i);
        value v;
        if (t_->line_value->evaluate(*in_, v) == eval_status::ok && !v.is_null()) {
          wgt = v.as_decimal().is_negative() ? decimal() : v.as_decimal();
        }
      }
      any = any || !wgt.is_zero();
      w_.weights[i] = wgt;
    }
    if (!any) {
      for (decimal& x : w_.weights) x = decimal::from_int(1).value;
    }
    // The weights as integers at their largest scale, for split_units (allocate's own view).
    weight_sum_ = 0;
    if (lines_ > few_lines_max) return;
    int scale = 0;
    for (const decimal& x : w_.weights) scale = std::max(scale, x.scale());
    w_.weight_units.resize(lines_);
    std::int64_t sum = 0;
    for (std::uint32_t i = 0; i < lines_; ++i) {
      const decimal_result r = w_.weights[i].rescale(scale, rounding_mode::down);
      if (!r.ok() || __builtin_add_overflow(sum, r.value.units(), &sum)) return;
      w_.weight_units[i] = r.value.units();
    }
    weight_sum_ = sum;
  }

  /// Orders of up to this many lines split awards with split_units.
  static constexpr std::uint32_t few_lines_max = 32;

  /// split() for a few lines, in integers: exactly what allocate(largest_remainder) gives (each
  /// line floor(units * w / W), the leftover units to the largest remainders, ties to the
  /// earlier line), without decimals. False when it cannot (a product beyond 64 bits).
  bool split_units(std::int64_t units, std::vector<std::int64_t>& out) {
    if (weight_sum_ <= 0 || units < 0) return false;
    out.resize(lines_);
    std::array<std::int64_t, few_lines_max> keys;  // the first lines_ are written below
    std::int64_t floor_sum = 0;
    for (std::uint32_t i = 0; i < lines_; ++i) {
      std::int64_t product = 0;
      if (__builtin_mul_overflow(units, w_.weight_units[i], &product)) return false;
      out[i] = product / weight_sum_;
      keys[i] = product % weight_sum_;
      floor_sum += out[i];
    }
    for (std::int64_t left = units - floor_sum; left > 0; --left) {
      std::uint32_t best = lines_;
      for (std::uint32_t i = 0; i < lines_; ++i) {
        if (keys[i] >= 0 && (best == lines_ || keys[i] > keys[best])) best = i;
      }
      if (best == lines_) return false;  // cannot happen: fewer units are left than lines
      ++out[best];
      keys[best] = -1;  // one extra unit each at most
    }
    return true;
  }

  /// Splits `units` over the lines by w_.weights (or puts it all in one part without lines).
  void split(std::int64_t units, int scale, std::vector<std::int64_t>& out) {
    if (lines_ == 0) {
      out.assign(1, units);
      return;
    }
    weights();
    if (split_units(units, out)) return;
    w_.parts.resize(lines_);
    const decimal total = units_to_decimal(units, scale);
    if (allocate(total, w_.weights, remainder_policy::largest_remainder, w_.parts) !=
        decimal_errc::ok) {
      out.assign(lines_, 0);
      out[0] = units;
      return;
    }
    out.resize(lines_);
    for (std::uint32_t i = 0; i < lines_; ++i) out[i] = w_.parts[i].units();
  }

  /// An award cut after it was split over the lines: the cut comes off the lines that earned
  /// it, in proportion to what each earned (largest remainder), never onto other lines.
  void resplit(std::int64_t units, int scale, std::vector<std::int64_t>& per_line) {
    const std::size_t n = per_line.size();
    w_.line_exact.resize(n);
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
      w_.line_exact[i] = decimal::from_units(std::max<std::int64_t>(per_line[i], 0), 0).value;
      any = any || per_line[i] > 0;
    }
    w_.parts.resize(n);
    if (!any || allocate(decimal::from_units(units, 0).value, w_.line_exact,
                         remainder_policy::largest_remainder, w_.parts) != decimal_errc::ok) {
      split(units, scale, per_line);
      return;
    }
    for (std::size_t i = 0; i < n; ++i) per_line[i] = w_.parts[i].units();
  }

  /// Evaluates the `when` clauses; false with the outcome set when the rule does not fire.
  bool conditions(const std::vector<clause>& cs, candidate& c, rule_trace* trace, bool record) {
    for (std::size_t i = 0; i < cs.size(); ++i) {
      value v;
      const eval_status s = test(cs[i], tables_.when(c.rule, i), v);
      if (trace != nullptr && record) {
        trace->clauses.push_back({static_cast<std::uint16_t>(i), s, v});
      }
      if (s != eval_status::ok) {
        c.outcome = rule_outcome::evaluation_error;
        if (trace != nullptr) trace->status = s;
        if (trace != nullptr && record) rest(cs, i + 1, c, *trace);
        return false;
      }
      if (v.is_null() || !v.as_bool()) {
        c.outcome = rule_outcome::condition_false;
        if (trace != nullptr && record) rest(cs, i + 1, c, *trace);
        return false;
      }
    }
    return true;
  }

  /// Explaining: the clauses after the one that decided are evaluated too, so the explanation
  /// shows every clause's value; they change nothing (the first false or failed clause decides).
  void rest(const std::vector<clause>& cs, std::size_t from, const candidate& c,
            rule_trace& trace) const {
    for (std::size_t i = from; i < cs.size(); ++i) {
      value v;
      const eval_status s = test(cs[i], tables_.when(c.rule, i), v);
      trace.clauses.push_back({static_cast<std::uint16_t>(i), s, v});
    }
  }

  /// A clause's value at the current input: one comparison when it tests a field that is present
  /// (`fast`), an evaluation otherwise.
  eval_status test(const clause& cl, const internal::expr::slot_test* fast, value& v) const {
    if (fast != nullptr) {
      const value& x = in_->get(fast->slot);
      if (!x.is_null()) {
        v = value::of_bool(fast->test(x));
        return eval_status::ok;
      }
    }
    return cl.expression->evaluate(*in_, v);
  }

  /// A `where` clause's value for line `i`. A test of one of the line's own fields reads the
  /// line's value where it is (rows hold each field checked, as set() would store it, for every
  /// kind a slot_test takes); anything else loads the line into the input and evaluates.
  eval_status test_line(const clause& cl, const internal::expr::slot_test* fast,
                        std::int32_t column, std::uint32_t i, value& v) {
    if (fast != nullptr && column >= 0 && static_cast<std::uint32_t>(column) < width_) {
      const value& x =
          rows_[static_cast<std::size_t>(i) * width_ + static_cast<std::uint32_t>(column)];
      if (!x.is_null()) {
        v = value::of_bool(fast->test(x));
        return eval_status::ok;
      }
    }
    set_line(i);
    return test(cl, fast, v);
  }

  /// award × multiplier at the current input; false on an evaluation error.
  bool amount(const earning_rule& r, decimal& out, candidate& c, rule_trace* trace) {
    value v;
    eval_status s = r.award->evaluate(*in_, v);
    if (s == eval_status::ok && v.is_null()) s = eval_status::missing_field;
    decimal a = s == eval_status::ok ? v.as_decimal() : decimal();
    if (s == eval_status::ok && r.multiplier) {
      value mv;
      s = r.multiplier->evaluate(*in_, mv);
      if (s == eval_status::ok && mv.is_null()) s = eval_status::missing_field;
      if (s == eval_status::ok) {
        const decimal_result prod = decimal::mul(a, mv.as_decimal());
        if (!prod.ok()) {
          // More digits than fit: round the product to 18 digits first.
          const decimal_result rounded =
              decimal::mul(a, mv.as_decimal(), decimal::max_scale, rounding_mode::half_even);
          s = rounded.ok() ? eval_status::ok : eval_status::overflow;
          a = rounded.value;
        } else {
          a = prod.value;
        }
      }
    }
    if (s != eval_status::ok) {
      c.outcome = rule_outcome::evaluation_error;
      if (trace != nullptr) trace->status = s;
      return false;
    }
    out = a;
    return true;
  }

  /// exact (+ carry) rounded to `scale`; the carry is updated. False on overflow.
  static bool round(decimal exact, const earning_rule& r, int scale, decimal& carry,
                    std::int64_t& units) {
    if (r.carry) {
      const decimal_result sum = decimal::add(exact, carry);
      if (!sum.ok()) return false;
      exact = sum.value;
    }
    const decimal_result rounded = exact.rescale(scale, r.rounding);
    if (!rounded.ok()) return false;
    if (r.carry) {
      const decimal_result rest = decimal::sub(exact, rounded.value);
      if (!rest.ok()) return false;
      carry = rest.value;
    }
    units = rounded.value.units();
    return true;
  }

  void evaluate(const earning_rule& r, std::uint32_t ri, candidate& c, rule_trace* trace) {
    c.rule = ri;
    c.outcome = rule_outcome::condition_false;
    c.units = c.uncapped = 0;
    c.limited_by = -1;
    if (!in_window(r.window, at_, [this]() -> const local_info& { return local(); })) {
      c.outcome = rule_outcome::outside_window;
      if (trace != nullptr) trace->outcome = c.outcome;
      return;
    }
    if (!conditions(r.when, c, trace, true)) {
      if (trace != nullptr) trace->outcome = c.outcome;
      return;
    }
    if (!r.award) {
      c.outcome = rule_outcome::message_only;
      if (trace != nullptr) trace->outcome = c.outcome;
      return;
    }
    const int scale = p_.point_types()[r.point_type].scale;
    decimal carry = r.carry ? m_.carries[r.carry_slot] : decimal();
    std::int64_t rounded = 0;
    if (!r.per_line) {
      decimal exact;
      if (!amount(r, exact, c, trace)) {
        if (trace != nullptr) trace->outcome = c.outcome;
        return;
      }
      if (!round(exact, r, scale, carry, rounded)) {
        c.outcome = rule_outcome::evaluation_error;
        if (trace != nullptr) {
          trace->status = eval_status::overflow;
          trace->outcome = c.outcome;
        }
        return;
      }
    } else {
      w_.line_exact.assign(lines_, decimal());
      std::uint32_t matched = 0;
      decimal total;
      bool failed = false;
      for (std::uint32_t i = 0; i < lines_ && !failed; ++i) {
        if (!r.where.empty()) {
          rule_outcome o = rule_outcome::condition_false;
          bool pass = true;
          for (std::size_t k = 0; k < r.where.size(); ++k) {
            value v;
            const eval_status s =
                test_line(r.where[k], tables_.where(ri, k), tables_.where_column(ri, k), i, v);
            if (s != eval_status::ok) {
              o = rule_outcome::evaluation_error;
              if (trace != nullptr) trace->status = s;
              pass = false;
              failed = true;
              break;
            }
            if (v.is_null() || !v.as_bool()) {
              pass = false;
              break;
            }
          }
          if (!pass) {
            if (failed) c.outcome = o;
            continue;
          }
        }
        ++matched;
        set_line(i);
        decimal exact;
        if (!amount(r, exact, c, trace)) {
          failed = true;
          break;
        }
        if (r.basis == rounding_basis::line) {
          std::int64_t u = 0;
          if (!round(exact, r, scale, carry, u)) {
            c.outcome = rule_outcome::evaluation_error;
            failed = true;
            break;
          }
          u = std::max<std::int64_t>(u, 0);
          w_.line_exact[i] = units_to_decimal(u, scale);
          rounded += u;
        } else {
          w_.line_exact[i] = exact.is_negative() ? decimal() : exact;
          const decimal_result sum = decimal::add(total, exact);
          if (!sum.ok()) {
            c.outcome = rule_outcome::evaluation_error;
            failed = true;
            break;
          }
          total = sum.value;
        }
      }
      if (trace != nullptr) trace->lines_matched = matched;
      if (failed) {
        if (trace != nullptr) trace->outcome = c.outcome;
        return;
      }
      if (matched == 0) {
        c.outcome = rule_outcome::no_line_matched;
        if (trace != nullptr) trace->outcome = c.outcome;
        return;
      }
      if (r.basis == rounding_basis::order && !round(total, r, scale, carry, rounded)) {
        c.outcome = rule_outcome::evaluation_error;
        if (trace != nullptr) trace->outcome = c.outcome;
        return;
      }
    }
    // An award below zero awards nothing, and leaves the carried remainder as it was.
    if (rounded < 0 && r.carry) carry = m_.carries[r.carry_slot];
    rounded = std::max<std::int64_t>(rounded, 0);
    c.carry = carry;
    c.uncapped = rounded;
    std::int64_t units = rounded;
    // Caps in the order written, then the budget.
    const civil_date day = r.caps.empty() ? civil_date{} : local().date;
    for (std::size_t k = 0; k < r.caps.size() && units > 0; ++k) {
      const cap& cp = r.caps[k];
      std::int64_t room = cp.limit;
      if (cp.scope == cap_scope::customer) {
        const cap_counter& ctr = m_.counters[cp.counter];
        const std::int64_t period = period_number(cp.period, day);
        const bool same = ctr.period == period;
        if (cp.measure == cap_measure::count) {
          room = (same ? ctr.count : 0) < cp.limit ? units : 0;
        } else {
          room = cp.limit - (same ? ctr.units : 0);
        }
      }
      room = std::max<std::int64_t>(room, 0);
      if (units > room) {
        units = cp.overflow == cap_overflow::reduce ? room : 0;
        c.limited_by = static_cast<int>(k);
      }
    }
    if (r.budget != no_index && units > 0) {
      const budget& b = p_.budgets()[r.budget];
      const std::int64_t room = std::max<std::int64_t>(w_.budget_left[r.budget], 0);
      if (units > room) {
        units = b.overflow == cap_overflow::reduce ? room : 0;
        c.limited_by = -2;
      }
    }
    c.units = units;
    c.outcome = units > 0 ? rule_outcome::awarded
                          : (rounded == 0 ? rule_outcome::zero_award : rule_outcome::capped);
    if (trace != nullptr) {
      trace->outcome = c.outcome;
      trace->uncapped = units_to_decimal(rounded, scale);
      trace->awarded = units_to_decimal(units, scale);
      trace->limited_by = c.limited_by;
    }
    if (units == 0) return;
    // The award per line, for returns.
    if (r.per_line && lines_ > 0) {
      if (units == rounded && r.basis == rounding_basis::line) {
        c.per_line.resize(lines_);
        for (std::uint32_t i = 0; i < lines_; ++i) c.per_line[i] = w_.line_exact[i].units();
      } else {
        // Split what was awarded by each line's exact share.
        w_.parts.resize(lines_);
        bool any = false;
        for (const decimal& x : w_.line_exact) any = any || !x.is_zero();
        if (!any || allocate(units_to_decimal(units, scale), w_.line_exact,
                             remainder_policy::largest_remainder, w_.parts) != decimal_errc::ok) {
          split(units, scale, c.per_line);
        } else {
          c.per_line.resize(lines_);
          for (std::uint32_t i = 0; i < lines_; ++i) c.per_line[i] = w_.parts[i].units();
        }
      }
    } else {
      split(units, scale, c.per_line);
    }
  }

  /// Stages the award of `c`: it joins the event's lot for its wallet, activation and expiry.
  /// flush() credits the lots and then books what the awards used (caps, carries, budgets).
  void commit(const earning_rule& r, candidate& c) {
    if (c.outcome == rule_outcome::message_only) {
      if (!r.message.empty()) out_.messages.push_back({c.rule, r.message});
      return;
    }
    // A best group's winner was measured against the budget left when it was evaluated; a rule
    // between its rules may have drawn from the same budget since: measure again.
    if (r.budget != no_index) {
      const std::int64_t room = std::max<std::int64_t>(w_.budget_left[r.budget], 0);
      if (c.units > room) {
        c.units = p_.budgets()[r.budget].overflow == cap_overflow::reduce ? room : 0;
        c.limited_by = -2;
        if (opt_.explain) {
          for (rule_trace& tr : out_.trace) {
            if (tr.rule != c.rule) continue;
            tr.awarded = units_to_decimal(c.units, p_.point_types()[r.point_type].scale);
            tr.limited_by = -2;
            if (c.units == 0) tr.outcome = rule_outcome::capped;
          }
        }
        if (c.units == 0) return;
        resplit(c.units, p_.point_types()[r.point_type].scale, c.per_line);
      }
    }
    const std::uint16_t wallet = r.point_type;
    const int scale = p_.point_types()[wallet].scale;
    timestamp activates = timestamp::min();
    timestamp clock = now_;
    switch (r.pending.kind) {
      case pending_kind::immediate:
        break;
      case pending_kind::period:
        activates = add_period(now_, r.pending.period, zone_);
        clock = activates;
        break;
      case pending_kind::until_event:
        activates = timestamp::max();
        break;
    }
    std::optional<timestamp> expires;
    if (r.expiry) {
      expires = expiry_instant(*r.expiry, r.expiry->clock == clock_start::activation ? clock : now_,
                               zone_);
    }
    const bool until_event = r.pending.kind == pending_kind::until_event;
    std::size_t lot = 0;
    while (lot < w_.lots.size() &&
           !(w_.lots[lot].wallet == wallet && w_.lots[lot].activates_at == activates &&
             w_.lots[lot].expires_at == expires && w_.lots[lot].until_event == until_event)) {
      ++lot;
    }
    if (lot == w_.lots.size()) {
      planned_lot& l = w_.lots.emplace_back();
      l.wallet = wallet;
      l.activates_at = activates;
      l.expires_at = expires;
      l.until_event = until_event;
      l.units = 0;
      l.first_rule = c.rule;
      l.op = op_id(id_, lot_key + lot, 0);
    }
    planned_lot& l = w_.lots[lot];
    l.units += c.units;
    award& a = out_.awards.emplace_back();
    a.rule = c.rule;
    a.wallet = wallet;
    a.op = l.op;
    a.amount = units_to_decimal(c.units, scale);
    a.uncapped = units_to_decimal(c.uncapped, scale);
    a.pending = activates > now_;
    staged_award& st = w_.staged.emplace_back();
    st.award = static_cast<std::uint32_t>(out_.awards.size() - 1);
    st.lot = static_cast<std::uint16_t>(lot);
    st.units = c.units;
    st.carry = c.carry;
    st.first_unit = static_cast<std::uint32_t>(w_.staged_units.size());
    st.count = static_cast<std::uint32_t>(c.per_line.size());
    w_.staged_units.insert(w_.staged_units.end(), c.per_line.begin(), c.per_line.end());
    if (r.budget != no_index) w_.budget_left[r.budget] -= c.units;
  }

  /// Credits the staged lots, one earn each, and books the awards whose lot was credited.
  void flush() {
    for (planned_lot& l : w_.lots) {
      const int scale = p_.point_types()[l.wallet].scale;
      ledger_op op =
          ledger_op::earn(l.op, l.wallet, units_to_decimal(l.units, scale), l.expires_at);
      op.activates_at = l.activates_at;
      op.source_event = id_;
      op.source_rule = l.first_rule;
      l_.decide(m_.ledger, op, now_, w_.ledger_decision);
      l.result = w_.ledger_decision.result;
      append(w_.ledger_decision);
    }
    for (const staged_award& st : w_.staged) {
      award& a = out_.awards[st.award];
      const planned_lot& l = w_.lots[st.lot];
      a.ledger = l.result;
      const earning_rule& r = p_.rules()[a.rule];
      if (l.result != ledger_result::ok) {
        a.amount = units_to_decimal(0, p_.point_types()[a.wallet].scale);
        if (r.budget != no_index) w_.budget_left[r.budget] += st.units;
        if (opt_.explain) {
          for (rule_trace& tr : out_.trace) {
            if (tr.rule == a.rule) tr.outcome = rule_outcome::ledger_refused;
          }
        }
        continue;
      }
      if (!r.caps.empty()) {
        const civil_date day = local().date;
        for (const cap& cp : r.caps) {
          if (cp.scope != cap_scope::customer) continue;
          cap_counter& ctr = m_.counters[cp.counter];
          const std::int64_t period = period_number(cp.period, day);
          // A late event of an earlier period leaves the counter of the current period alone.
          if (period < ctr.period && ctr.count > 0) continue;
          if (ctr.period != period) ctr = {period, 0, 0};
          ctr.units += st.units;
          ctr.count += 1;
        }
      }
      if (r.carry) m_.carries[r.carry_slot] = st.carry;
      if (r.budget != no_index) {
        auto it = std::find_if(out_.budgets.begin(), out_.budgets.end(),
                               [&](const budget_use& u) { return u.budget == r.budget; });
        if (it == out_.budgets.end()) {
          out_.budgets.push_back({r.budget, st.units});
        } else {
          it->units += st.units;
        }
      }
      if (order_ != nullptr) {
        order_award& rec = m_.order_awards.emplace_back();
        rec.rule = a.rule;
        rec.rule_key = r.key;
        rec.wallet = a.wallet;
        rec.op = a.op;
        rec.first_unit = static_cast<std::uint32_t>(m_.order_values.size());
        rec.pending_until_event = l.until_event;
        m_.order_values.insert(m_.order_values.end(), w_.staged_units.begin() + st.first_unit,
                               w_.staged_units.begin() + st.first_unit + st.count);
        ++order_->awards;
      }
      if (!r.message.empty()) out_.messages.push_back({a.rule, r.message});
    }
  }

 public:
  void append(const decision& d) {
    for (const journal_entry& e : d.entries) out_.entries.push_back(e);
    const bool applied = l_.apply(m_.ledger, d);
    (void)applied;  // decided against this very state: always applies
  }

 private:
  const program& p_;
  const ledger& l_;
  const internal::engine_tables& tables_;
  member& m_;
  engine_decision& out_;
  engine_decision::scratch& w_;
  const process_options& opt_;
  timestamp now_;
  time_zone zone_;
  // The event being run.
  id128 id_;
  timestamp at_;
  const event_type* t_ = nullptr;
  expression_input* in_ = nullptr;
  order_record* order_ = nullptr;
  std::uint32_t lines_ = 0;
  const value* rows_ = nullptr;
  std::uint32_t width_ = 0;
  bool weights_ready_ = false;
  std::uint32_t loaded_line_ = no_line;  // the line the input's line fields hold
  static constexpr std::uint32_t no_line = UINT32_MAX;
  std::int64_t weight_sum_ = 0;  // of w_.weight_units; 0: split_units does not apply
  bool local_ready_ = false;
  local_info local_;

  const local_info& local() {
    if (!local_ready_) {
      local_ready_ = true;
      local_.date = local_date(at_, zone_);
      local_.time_of_day = local_time_of_day(at_, zone_);
      local_.day_of_week = day_of_week(local_.date);
    }
    return local_;
  }
};

engine_decision::scratch& scratch_of(engine_decision& out, const program& p) {
  if (!out.work) out.work = std::make_unique<engine_decision::scratch>();
  if (out.work->inputs.size() < p.event_types().size()) {
    out.work->inputs.resize(p.event_types().size());
  }
  return *out.work;
}

order_record* find_order(member& m, id128 id, std::uint16_t type) {
  // The event set's tag has the order's index; a member stored without tags is searched.
  if (const std::optional<std::uint64_t> tag = m.events.tag(id); tag && (*tag >> 16) != 0) {
    const std::uint64_t index = (*tag >> 16) - 1;
    if (index < m.orders.size() && m.orders[index].event == id && m.orders[index].type == type) {
      return &m.orders[index];
    }
  }
  for (auto it = m.orders.rbegin(); it != m.orders.rend(); ++it) {
    if (it->event == id && it->type == type) return &*it;
  }
  return nullptr;
}

}  // namespace

void engine::process(member& m, const event& e, timestamp now, const process_options& options,
                     engine_decision& out) const {
  out.clear();
  out.read_version = m.version;
  const loyalty::program& p = *program_;
  if (e.type() >= p.event_types().size() || &e.type_info() != &p.event_types()[e.type()]) {
    out.result = process_result::wrong_program;
    out.detail = "the event was made for another program";
    return;
  }
  prepare(m);
  const event_type& t = e.type_info();
  if (!e.id().valid()) {
    out.result = process_result::invalid_event;
    out.detail = "the event has no valid id";
    return;
  }
  if (const std::optional<std::uint64_t> seen = m.events.tag(e.id())) {
    const std::uint16_t type_plus_1 = tag_type(*seen);
    if (type_plus_1 != 0 && type_plus_1 != e.type() + 1) {
      out.result = process_result::conflicting_event;
      out.detail = fmt::format(
          "event {} was processed before as an event of type '{}': an id names one event",
          e.id().to_string(),
          type_plus_1 - 1U < p.event_types().size() ? p.event_types()[type_plus_1 - 1U].id : "?");
      return;
    }
    // A retry: nothing changes; report what the first processing credited: per rule from the
    // remembered order, or per lot (the lot's first rule) for an event without lines.
    out.result = process_result::duplicate;
    if (const order_record* o = find_order(m, e.id(), e.type())) {
      for (std::uint32_t k = 0; k < o->awards; ++k) {
        const order_award& oa = m.order_awards[o->first_award + k];
        std::int64_t units = 0;
        for (std::uint32_t i = 0; i < std::max<std::uint32_t>(o->lines, 1); ++i) {
          units += m.order_values[oa.first_unit + i];
        }
        award& a = out.awards.emplace_back();
        a.rule = oa.rule;
        a.wallet = oa.wallet;
        a.op = oa.op;
        a.amount = units_to_decimal(units, p.point_types()[oa.wallet].scale);
        a.uncapped = a.amount;
        const id_record* rec = m.ledger.ids.find(oa.op);
        a.pending = rec != nullptr && rec->op.activates_at != timestamp::min();
      }
      return;
    }
    for (std::uint64_t k = 0;; ++k) {
      const id128 id = op_id(e.id(), lot_key + k, 0);
      const id_record* rec = m.ledger.ids.find(id);
      if (rec == nullptr) break;
      award& a = out.awards.emplace_back();
      a.rule = rec->op.source_rule;
      a.wallet = rec->op.wallet;
      a.op = id;
      a.ledger = rec->result;
      a.amount = units_to_decimal(rec->result == ledger_result::ok ? rec->units : 0,
                                  p.point_types()[rec->op.wallet].scale);
      a.uncapped = a.amount;
      a.pending = rec->op.activates_at != timestamp::min();
    }
    return;
  }
  engine_decision::scratch& w = scratch_of(out, p);
  std::optional<expression_input>& slot = w.inputs[e.type()];
  if (slot) {
    *slot = e.input();
  } else {
    slot.emplace(e.input());
  }
  expression_input& in = *slot;
  run r(p, ledger_, *tables_, m, out, w, options, now);
  r.note_own(in);
  r.fill(in, t, e.at());
  if (const field_decl* f = run::missing(in, t)) {
    out.result = process_result::invalid_event;
    out.detail = fmt::format("the required field '{}' is missing", f->path);
    return;
  }
  // Budgets: every one a rule on this type may draw from must be given.
  w.budget_left.assign(options.budgets.begin(), options.budgets.end());
  for (const std::uint32_t ri : t.rules) {
    const std::uint16_t b = p.rules()[ri].budget;
    if (b != no_index && b >= options.budgets.size()) {
      out.result = process_result::missing_budgets;
      out.detail = fmt::format(
          "rule '{}' draws from budget '{}': pass the units left in every "
          "budget in process_options::budgets",
          p.rules()[ri].id, p.budgets()[b].id);
      return;
    }
  }
  // The original event, for refers_to and returns.
  order_record* original = nullptr;
  if (t.refers_to != no_index) {
    original = find_order(m, e.original(), t.refers_to);
    if (original == nullptr) {
      out.result = process_result::unknown_original;
      out.detail = fmt::format("no '{}' event {} in this customer's history",
                               p.event_types()[t.refers_to].id, e.original().to_string());
      return;
    }
  }
  if (t.returns != no_index) {
    // Check every returned line first: a bad return changes nothing.
    const std::uint32_t n = original->lines;
    const std::int64_t* bought = m.order_values.data() + original->first_value;
    const std::int64_t* returned = bought + n;
    w.qty.assign(n, 0);
    for (const event::returned_line& rl : e.returned_lines()) {
      if (rl.line >= n || rl.quantity <= 0) {
        out.result = process_result::over_return;
        out.detail =
            rl.quantity <= 0
                ? fmt::format("returned line {} has quantity {}: it must be positive", rl.line,
                              rl.quantity)
                : fmt::format("the original has {} lines; there is no line {}", n, rl.line);
        return;
      }
      w.qty[rl.line] += rl.quantity;
    }
    if (e.returned_lines().empty()) {
      for (std::uint32_t i = 0; i < n; ++i) w.qty[i] = bought[i] - returned[i];
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (returned[i] + w.qty[i] > bought[i]) {
        out.result = process_result::over_return;
        out.detail = fmt::format("line {}: {} returned before and {} now, of {} bought", i,
                                 returned[i], w.qty[i], bought[i]);
        return;
      }
    }
  }

  // From here on the member changes.
  for (const auto& [event_slot, profile_index] : t.profile_updates) {
    const value& v = in.get(event_slot);
    if (v.kind() == value_kind::string) {
      m.profile_text[profile_index] = std::string(v.as_string());
      m.profile[profile_index] = value::of_string({});
    } else {
      m.profile[profile_index] = v;
    }
  }
  if (!t.profile_updates.empty()) r.fill(in, t, e.at());

  if (t.returns != no_index) {
    const std::uint32_t n = original->lines;
    for (std::uint32_t k = 0; k < original->awards; ++k) {
      order_award& a = m.order_awards[original->first_award + k];
      const std::optional<std::uint32_t> ri = awarding_rule(p, a);
      const bool keep = ri && p.rules()[*ri].on_return == return_action::keep;
      if (keep) continue;
      const std::int64_t* bought = m.order_values.data() + original->first_value;
      const std::int64_t* returned = bought + n;
      const std::int64_t* per_line = m.order_values.data() + a.first_unit;
      std::int64_t units = 0;
      if (n > 0) {
        for (std::uint32_t i = 0; i < n; ++i) {
          units += share(per_line[i], returned[i] + w.qty[i], bought[i]) -
                   share(per_line[i], returned[i], bought[i]);
        }
      } else {
        units = per_line[0] - a.reversed;  // an order without lines: what is left
      }
      if (units <= 0) continue;
      const int scale = p.point_types()[a.wallet].scale;
      const std::uint64_t key = a.rule_key;
      const ledger_op op = ledger_op::reverse_earn(op_id(e.id(), key, 1), a.wallet, a.op,
                                                   units_to_decimal(units, scale));
      ledger_.decide(m.ledger, op, now, w.ledger_decision);
      reversal& rv = out.reversals.emplace_back();
      rv.rule = ri.value_or(a.rule);
      rv.wallet = a.wallet;
      rv.op = op.id;
      rv.earn = a.op;
      rv.requested = op.amount;
      rv.ledger = w.ledger_decision.result;
      std::int64_t taken = 0;
      for (const journal_entry& je : w.ledger_decision.entries) {
        if (je.kind == entry_kind::reverse_earn) taken += je.units;
      }
      rv.reversed = units_to_decimal(taken, scale);
      a.reversed += units;
      r.append(w.ledger_decision);
    }
    std::int64_t* returned = m.order_values.data() + original->first_value + n;
    for (std::uint32_t i = 0; i < n; ++i) returned[i] += w.qty[i];
  } else if (original != nullptr) {
    // Points waiting for this event become spendable: each lot once.
    for (std::uint32_t k = 0; k < original->awards; ++k) {
      order_award& a = m.order_awards[original->first_award + k];
      if (!a.pending_until_event) continue;
      const std::optional<std::uint32_t> ri = awarding_rule(p, a);
      if (!ri || p.rules()[*ri].pending.until != e.type()) continue;
      a.pending_until_event = false;
      bool done = false;
      for (std::uint32_t j = 0; j < k; ++j) {
        const order_award& b = m.order_awards[original->first_award + j];
        const std::optional<std::uint32_t> rb = awarding_rule(p, b);
        done = done || (b.op == a.op && rb && p.rules()[*rb].pending.until == e.type());
      }
      if (done) continue;
      const ledger_op op = ledger_op::activate(op_id(e.id(), a.op.low, 2), a.wallet, a.op);
      ledger_.decide(m.ledger, op, now, w.ledger_decision);
      // A lot cancelled or returned in full stays so.
      if (w.ledger_decision.result == ledger_result::ok) r.append(w.ledger_decision);
    }
  }

  // The event's own rules; an event with lines is remembered for returns and activations.
  order_record* record = nullptr;
  if (t.lines_slot != event_type::no_slot) {
    order_record& o = m.orders.emplace_back();
    o.event = e.id();
    o.type = e.type();
    o.at = e.at();
    const value& l = in.get(t.lines_slot);
    const std::uint32_t n = l.kind() == value_kind::list ? l.count() : 0;
    o.lines = n;
    o.first_value = static_cast<std::uint32_t>(m.order_values.size());
    o.first_award = static_cast<std::uint32_t>(m.order_awards.size());
    for (std::uint32_t i = 0; i < n; ++i) {
      m.order_values.push_back(
          t.quantity_field < 0
              ? 1
              : std::max<std::int64_t>(l.rows()[static_cast<std::size_t>(i) * l.width() +
                                                static_cast<std::size_t>(t.quantity_field)]
                                           .as_int(),
                                       0));
    }
    m.order_values.insert(m.order_values.end(), n, 0);
    record = &o;
  }
  r.rules(t, in, e.id(), e.at(), record);
  // Activity: the wallets whose inactivity clock this type of event resets (`reset_on`), unless
  // this decision (an earn, say) has already restarted it now.
  for (const std::uint16_t wallet : tables_->activity[e.type()]) {
    if (m.ledger.wallets[wallet].last_activity == now) continue;
    const ledger_op op =
        ledger_op::record_activity(op_id(e.id(), activity_key + wallet, 3), wallet);
    ledger_.decide(m.ledger, op, now, w.ledger_decision);
    r.append(w.ledger_decision);
  }
  m.events.insert(
      e.id(),
      event_tag(e.type(), record != nullptr ? static_cast<std::uint64_t>(m.orders.size()) : 0));
  ++m.event_counts[e.type()];
  ++m.version;
}

void engine::execute(member& m, const ledger_op& op, timestamp now, engine_decision& out) const {
  out.clear();
  out.read_version = m.version;
  prepare(m);
  engine_decision::scratch& w = scratch_of(out, *program_);
  ledger_.decide(m.ledger, op, now, w.ledger_decision);
  out.ledger = w.ledger_decision.result;
  if (op.wallet < program_->point_types().size()) {
    out.amount =
        units_to_decimal(w.ledger_decision.units, program_->point_types()[op.wallet].scale);
  }
  if (w.ledger_decision.entries.empty()) return;
  out.entries.assign(w.ledger_decision.entries.begin(), w.ledger_decision.entries.end());
  const bool applied = ledger_.apply(m.ledger, w.ledger_decision);
  (void)applied;  // decided against this very state: always applies
  ++m.version;
}

engine_decision engine::process(member& m, const event& e, timestamp now,
                                const process_options& options) const {
  engine_decision d;
  process(m, e, now, options, d);
  return d;
}

void engine::advance(member& m, timestamp now, const process_options& options,
                     engine_decision& out) const {
  out.clear();
  out.read_version = m.version;
  const loyalty::program& p = *program_;
  prepare(m);
  for (const earning_rule& rule : p.rules()) {
    if (p.event_types()[rule.on].anniversary_of != event_type::no_slot && rule.budget != no_index &&
        rule.budget >= options.budgets.size()) {
      out.result = process_result::missing_budgets;
      out.detail = fmt::format(
          "rule '{}' draws from budget '{}': pass the units left in every "
          "budget in process_options::budgets",
          rule.id, p.budgets()[rule.budget].id);
      return;
    }
  }
  engine_decision::scratch& w = scratch_of(out, p);
  run r(p, ledger_, *tables_, m, out, w, options, now);
  // 1. The ledger: lapses, hold timeouts, pending lots whose time has come, expiry.
  r.append(ledger_.advance(m.ledger, now));
  // 2. Anniversaries of customer dates, for each local day since the last advance.
  const time_zone zone = p.zone();
  const civil_date today = local_date(now, zone);
  civil_date from = today;
  if (m.advanced_to) from = civil_date{m.advanced_to->days + 1};
  if (today.days - from.days > 366) from = civil_date{today.days - 366};
  w.budget_left.assign(options.budgets.begin(), options.budgets.end());
  const auto fields = p.profile_fields();
  for (std::size_t ti = 0; ti < p.event_types().size(); ++ti) {
    const event_type& t = p.event_types()[ti];
    if (t.anniversary_of == event_type::no_slot || t.rules.empty()) continue;
    std::size_t pi = 0;
    while (pi < fields.size() && fields[pi].slot != t.anniversary_of) ++pi;
    if (pi == fields.size()) continue;
    const value origin_v = m.profile[pi];
    if (origin_v.is_null()) continue;
    const civil_date origin = origin_v.kind() == value_kind::date
                                  ? origin_v.as_date()
                                  : local_date(origin_v.as_timestamp(), zone);
    const std::uint64_t type_key = text_key(t.id);
    for (civil_date d = from; d.days <= today.days; d = civil_date{d.days + 1}) {
      if (!anniversary_on(origin, d)) continue;
      const int years = year(d) - year(origin);
      const id128 id = op_id(m.customer, type_key, static_cast<std::uint64_t>(years));
      if (m.events.contains(id)) continue;
      std::optional<expression_input>& slot = w.inputs[ti];
      if (!slot) slot.emplace(t.schema);
      expression_input& in = *slot;
      for (std::uint32_t s = 0; s < in.size(); ++s) in.clear(s);
      const timestamp at = start_of_day(d, zone);
      r.fill(in, t, at);
      (void)in.set(t.years_slot, value::of_int(years));
      (void)in.set(t.date_slot, value::of_date(d));
      r.rules(t, in, id, at, nullptr);
      m.events.insert(id);
      ++m.event_counts[ti];
    }
  }
  if (!m.advanced_to || *m.advanced_to < today) m.advanced_to = today;
  ++m.version;
}

engine_decision engine::advance(member& m, timestamp now, const process_options& options) const {
  engine_decision d;
  advance(m, now, options, d);
  return d;
}

// ---- memory_member_store --------------------------------------------------------------------

std::optional<member> memory_member_store::load(id128 customer) {
  const auto it = std::lower_bound(records_.begin(), records_.end(), customer,
                                   [](const record& r, id128 c) { return r.state.customer < c; });
  if (it == records_.end() || it->state.customer != customer) return std::nullopt;
  return it->state;
}

bool memory_member_store::commit(const member& m, std::span<const journal_entry> entries,
                                 std::uint64_t expected_version) {
  auto it = std::lower_bound(records_.begin(), records_.end(), m.customer,
                             [](const record& r, id128 c) { return r.state.customer < c; });
  const bool known = it != records_.end() && it->state.customer == m.customer;
  if ((known ? it->state.version : 0) != expected_version) return false;
  if (!known) it = records_.insert(it, record{});
  it->state = m;
  it->journal.insert(it->journal.end(), entries.begin(), entries.end());
  return true;
}

std::span<const journal_entry> memory_member_store::journal(id128 customer) const noexcept {
  const auto it = std::lower_bound(records_.begin(), records_.end(), customer,
                                   [](const record& r, id128 c) { return r.state.customer < c; });
  if (it == records_.end() || it->state.customer != customer) return {};
  return it->journal;
}

}  // namespace loyalty
