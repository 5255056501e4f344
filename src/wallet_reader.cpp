#include "wallet_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <utility>
#include <vector>

#include "text_util.hpp"

namespace loyalty::internal {

namespace {

/// The longest `min_validity` and `refund_min_validity`: as many days as the longest period.
constexpr duration max_validity = duration::days(calendar_period::max_days);

const auto policy_choices = named(std::array{expiry_kind::never, expiry_kind::after,
                                             expiry_kind::fixed_dates, expiry_kind::inactivity});
const auto clock_choices = named(std::array{clock_start::earn, clock_start::activation});
const auto unit_choices =
    named(std::array{calendar_unit::day, calendar_unit::week, calendar_unit::month,
                     calendar_unit::quarter, calendar_unit::year});
const auto order_choices =
    named(std::array{consumption_order::soonest_expiring_first, consumption_order::fifo});
const auto return_choices = named(std::array{
    return_policy::only_pending, return_policy::within_balance, return_policy::allow_negative});
const auto held_choices = named(std::array{held_expiry::expire, held_expiry::honor});
const auto op_choices = named(
    std::array{op_kind::earn, op_kind::activate, op_kind::cancel_pending, op_kind::redeem,
               op_kind::reserve, op_kind::capture, op_kind::release, op_kind::reverse_earn,
               op_kind::refund, op_kind::adjust, op_kind::transfer, op_kind::record_activity});

bool period_in_range(calendar_period p) {
  const std::int32_t max = p.unit == calendar_period::unit_kind::days ? calendar_period::max_days
                                                                      : calendar_period::max_months;
  return p.count >= 1 && p.count <= max;
}

/// A plain count of 1 to 9 digits, or nullopt.
std::optional<std::int64_t> plain_count(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0) return std::nullopt;
  return n;
}

std::string plural(std::int64_t n, std::string_view unit) {
  return fmt::format("{} {}{}", n, unit, n == 1 ? "" : "s");
}

/// A hint for a period that did not parse: years and weeks in months and days, a duration
/// such as "30d" in days, a misspelt unit.
std::string period_hint(std::string_view text) {
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) {
    if (const std::optional<std::int64_t> n = plain_count(text)) {
      return fmt::format(" (add the unit: '{}' or '{}')", plural(*n, "day"), plural(*n, "month"));
    }
    const std::optional<duration> d = parse_duration(text);
    if (d && d->micros > 0 && d->micros % duration::micros_per_day == 0) {
      return fmt::format(" (write '{}')", plural(d->micros / duration::micros_per_day, "day"));
    }
    return {};
  }
  const std::optional<std::int64_t> n = plain_count(text.substr(0, space));
  const std::string_view unit = text.substr(space + 1);
  if (!n) return {};
  if (unit == "year" || unit == "years")
    return fmt::format(" (write '{}')", plural(*n * 12, "month"));
  if (unit == "week" || unit == "weeks") return fmt::format(" (write '{}')", plural(*n * 7, "day"));
  static constexpr std::array<std::string_view, 4> units = {"day", "days", "month", "months"};
  const std::string_view match = closest_match(unit, units);
  if (match.empty()) return {};
  return did_you_mean(plural(*n, match.starts_with("day") ? "day" : "month"));
}

std::optional<calendar_period> read_period(schema_reader& r, const raw_node* node,
                                           std::string_view what) {
  const std::optional<std::string> text = r.text(node, what);
  if (!text) return std::nullopt;
  const std::optional<calendar_period> p = parse_calendar_period(*text);
  if (p && period_in_range(*p)) return p;
  r.sink().report(diag::invalid_period, node->span,
                  fmt::format("{} must be 1 to {} days or 1 to {} months, written like '30 days' "
                              "or '12 months', not '{}'{}",
                              what, calendar_period::max_days, calendar_period::max_months,
                              printable(*text), p ? "" : period_hint(*text)));
  return std::nullopt;
}

std::optional<duration> read_validity(schema_reader& r, const raw_node* node,
                                      std::string_view what) {
  const std::optional<std::string> text = r.text(node, what);
  if (!text) return std::nullopt;
  const std::optional<duration> d = parse_duration(*text);
  if (d && *d >= duration{} && *d <= max_validity) return d;
  std::string hint;
  if (const std::optional<calendar_period> p = parse_calendar_period(*text)) {
    hint = p->unit == calendar_period::unit_kind::days
               ? fmt::format(" (write '{}d')", p->count)
               : std::string(" (a duration has no months: write days, such as '30d')");
  }
  r.sink().report(diag::invalid_duration, node->span,
                  fmt::format("{} must be a duration from 0s to {}d, written like '30d' or "
                              "'1d12h', not '{}'{}",
                              what, calendar_period::max_days, printable(*text), hint));
  return std::nullopt;
}

constexpr std::array<std::string_view, 12> month_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

/// A hint for a day of the year that did not parse: a full date, missing zeros, a day the
/// month never has.
std::string day_hint(std::string_view text) {
  if (const std::optional<civil_date> date = parse_date(text)) {
    return fmt::format(" (write '{}': the day repeats every year)", text.substr(5));
  }
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return {};
  const std::optional<std::int64_t> m = plain_count(text.substr(0, dash));
  const std::optional<std::int64_t> d = plain_count(text.substr(dash + 1));
  if (!m || !d || text.substr(0, dash).size() > 2 || text.substr(dash + 1).size() > 2) return {};
  if ((*m < 1 || *m > 12) && *d >= 1 && *d <= 12 &&
      *m <= days_in_month(2000, static_cast<int>(*d))) {
    return fmt::format(" (write '{:02}-{:02}': the month comes first)", *d, *m);
  }
  if (*m < 1 || *m > 12) return fmt::format(" (there is no month {})", *m);
  const int days = days_in_month(2000, static_cast<int>(*m));  // 2000: February has 29
  const std::string_view name = month_names[static_cast<std::size_t>(*m - 1)];
  if (*d < 1 || *d > days) {
    return *m == 2 ? std::string(" (February has at most 29 days)")
                   : fmt::format(" ({} has {} days)", name, days);
  }
  return fmt::format(" (write '{:02}-{:02}')", *m, *d);
}

std::optional<month_day> read_day(schema_reader& r, const raw_node& node, std::string_view what) {
  const std::optional<std::string> text = r.text(&node, what);
  if (!text) return std::nullopt;
  if (const std::optional<month_day> md = parse_month_day(*text)) return md;
  r.sink().report(diag::invalid_day_of_year, node.span,
                  fmt::format("{} must be a day of the year written MM-DD, such as '03-31' or "
                              "'12-31', not '{}'{}",
                              what, printable(*text), day_hint(*text)));
  return std::nullopt;
}

/// The days of `dates:`; nullopt when any is wrong (each problem reported).
std::optional<std::vector<month_day>> read_dates(schema_reader& r, const raw_node& node,
                                                 std::string_view what) {
  if (!r.expect(node, node_kind::sequence, what)) return std::nullopt;
  if (node.size() == 0) {
    r.sink().report(diag::empty_value, node.span,
                    fmt::format("{} must list at least one day of the year", what));
    return std::nullopt;
  }
  bool ok = node.size() <= expiry_policy::max_dates;
  const std::size_t n = bounded_size(r, node, expiry_policy::max_dates, what);
  std::vector<month_day> dates;
  for (std::size_t i = 0; i < n; ++i) {
    const raw_node& item = node.children[i];
    const std::optional<month_day> md = read_day(r, item, fmt::format("a day in {}", what));
    if (!md) {
      ok = false;
    } else if (std::find(dates.begin(), dates.end(), *md) != dates.end()) {
      r.sink().report(diag::duplicate_id, item.span,
                      fmt::format("{} lists '{}' twice", what, to_string(*md)));
      ok = false;
    } else {
      dates.push_back(*md);
    }
  }
  if (!ok) return std::nullopt;
  return dates;
}

std::optional<op_kind_set> read_reset_on(schema_reader& r, const raw_node& node,
                                         std::string_view what,
                                         std::vector<const raw_node*>* event_names) {
  if (!r.expect(node, node_kind::sequence, what)) return std::nullopt;
  bool ok = true;
  op_kind_set set;
  for (const raw_node& item : node.children) {
    // A name that is no operation may be an event type: the program's events are declared
    // later in the file, so the caller resolves it once they are known.
    if (event_names != nullptr && item.is_scalar() &&
        std::none_of(op_choices.begin(), op_choices.end(),
                     [&](const auto& c) { return c.first == item.text; })) {
      event_names->push_back(&item);
      continue;
    }
    const std::optional<op_kind> k =
        r.choice<op_kind>(&item, fmt::format("an operation in {}", what), op_choices);
    if (!k) {
      ok = false;
    } else if (set.contains(*k)) {
      r.sink().report(diag::duplicate_id, item.span,
                      fmt::format("{} lists '{}' twice", what, to_string(*k)));
      ok = false;
    } else {
      set.insert(*k);
    }
  }
  if (!ok) return std::nullopt;
  return set;
}

/// "'after'", "'after' and 'inactivity'".
std::string quoted(std::initializer_list<expiry_kind> kinds) {
  std::string out;
  for (const expiry_kind k : kinds) {
    if (!out.empty()) out += " and ";
    out += fmt::format("'{}'", to_string(k));
  }
  return out;
}

/// The keys of `expiry:` and their values, as found.
struct expiry_keys {
  const raw_node* period = nullptr;
  const raw_node* round_to = nullptr;
  const raw_node* clock = nullptr;
  const raw_node* dates = nullptr;
  const raw_node* min_validity = nullptr;
  const raw_node* reset_on = nullptr;
};

class expiry_reader {
 public:
  expiry_reader(schema_reader& r, std::string_view owner, std::vector<const raw_node*>* event_names)
      : r_(r), owner_(owner), event_names_(event_names) {}

  void read(const raw_node& node, point_type& t);

 private:
  std::string what(std::string_view key) const {
    return fmt::format("'expiry: {}' of {}", key, owner_);
  }
  /// Whether to read `value` of `key`: it is there, and the policy uses it (when the policy is
  /// not known, every value is still checked). A key the policy does not use is L0206.
  bool wanted(const raw_node* value, std::string_view key,
              std::initializer_list<expiry_kind> users) {
    if (value == nullptr) return false;
    if (!kind_ || std::find(users.begin(), users.end(), *kind_) != users.end()) return true;
    const raw_node& key_node = *(value - 1);  // a mapping's children alternate key, value
    r_.sink().report(
        diag::key_not_for_policy, key_node.span,
        fmt::format("{} does not apply to policy '{}': only {} {} it", what(key), to_string(*kind_),
                    quoted(users), users.size() == 1 ? "uses" : "use"));
    ok_ = false;
    return false;
  }
  void require(const raw_node& node, const raw_node* value, std::string_view key) {
    if (value != nullptr || !kind_) return;
    r_.sink().report(diag::missing_key, node.span,
                     fmt::format("'expiry' of {} with policy '{}' needs the key '{}'", owner_,
                                 to_string(*kind_), key));
    ok_ = false;
  }
  template <typename T>
  T need(std::optional<T> v) {
    if (!v) ok_ = false;
    return v ? std::move(*v) : T{};
  }

  schema_reader& r_;
  std::string_view owner_;
  std::vector<const raw_node*>* event_names_;
  std::optional<expiry_kind> kind_;
  bool ok_ = true;
};

void expiry_reader::read(const raw_node& node, point_type& t) {
  map_reader m(r_, node, fmt::format("'expiry' of {}", owner_));
  if (!m.valid()) return;
  kind_ = r_.choice<expiry_kind>(m.required("policy"), what("policy"), policy_choices);
  ok_ = kind_.has_value();
  expiry_keys k;
  k.period = m.optional("period");
  k.round_to = m.optional("round_to");
  k.clock = m.optional("clock_starts");
  k.dates = m.optional("dates");
  k.min_validity = m.optional("min_validity");
  k.reset_on = m.optional("reset_on");
  m.finish();

  using enum expiry_kind;
  calendar_period period;
  std::optional<calendar_unit> round_to;
  clock_start clock = clock_start::earn;
  std::vector<month_day> dates;
  duration min_validity;
  op_kind_set reset_on = t.reset_on;
  if (wanted(k.period, "period", {after, inactivity})) {
    period = need(read_period(r_, k.period, what("period")));
  }
  if (wanted(k.round_to, "round_to", {after, inactivity})) {
    round_to = need(r_.choice<calendar_unit>(k.round_to, what("round_to"), unit_choices));
  }
  if (wanted(k.clock, "clock_starts", {after, fixed_dates})) {
    clock = need(r_.choice<clock_start>(k.clock, what("clock_starts"), clock_choices));
  }
  if (wanted(k.dates, "dates", {fixed_dates})) {
    dates = need(read_dates(r_, *k.dates, what("dates")));
  }
  if (wanted(k.min_validity, "min_validity", {fixed_dates})) {
    min_validity = need(read_validity(r_, k.min_validity, what("min_validity")));
  }
  if (wanted(k.reset_on, "reset_on", {inactivity})) {
    reset_on = need(read_reset_on(r_, *k.reset_on, what("reset_on"), event_names_));
  }
  if (kind_ == after || kind_ == inactivity) require(node, k.period, "period");
  if (kind_ == fixed_dates) require(node, k.dates, "dates");
  if (!ok_) return;
  switch (*kind_) {
    case never:
      t.expiry = expiry_policy::never();
      break;
    case after:
      t.expiry = expiry_policy::after(period, round_to, clock);
      break;
    case fixed_dates:
      t.expiry = expiry_policy::fixed_dates(std::move(dates), min_validity, clock);
      break;
    case inactivity:
      t.expiry = expiry_policy::inactivity(period, round_to);
      t.reset_on = reset_on;
      break;
  }
}

}  // namespace

void read_wallet_keys(schema_reader& reader, map_reader& m, std::string_view what, point_type& t,
                      std::vector<const raw_node*>* reset_events) {
  if (const raw_node* n = m.optional("consumption_order")) {
    const auto v = reader.choice<consumption_order>(
        n, fmt::format("'consumption_order' of {}", what), order_choices);
    if (v) t.order = *v;
  }
  if (const raw_node* n = m.optional("return_policy")) {
    const auto v =
        reader.choice<return_policy>(n, fmt::format("'return_policy' of {}", what), return_choices);
    if (v) t.returns = *v;
  }
  if (const raw_node* n = m.optional("held_at_expiry")) {
    const auto v =
        reader.choice<held_expiry>(n, fmt::format("'held_at_expiry' of {}", what), held_choices);
    if (v) t.held_at_expiry = *v;
  }
  if (const raw_node* n = m.optional("refund_min_validity")) {
    const auto v = read_validity(reader, n, fmt::format("'refund_min_validity' of {}", what));
    if (v) t.refund_min_validity = *v;
  }
  read_expiry(reader, m.optional("expiry"), what, t, reset_events);
}

void read_expiry(schema_reader& reader, const raw_node* n, std::string_view what, point_type& t,
                 std::vector<const raw_node*>* reset_events) {
  if (n != nullptr && n->is_scalar()) {
    // `expiry: never` reads naturally but is not the form: say which one is.
    const bool named_policy = std::any_of(policy_choices.begin(), policy_choices.end(),
                                          [&](const auto& c) { return c.first == n->text; });
    reader.sink().report(
        diag::wrong_kind, n->span,
        fmt::format("'expiry' of {} must be a mapping with the key 'policy', such as "
                    "'{{policy: {}}}', not text",
                    what, named_policy ? std::string_view(n->text) : "never"));
  } else if (n != nullptr) {
    expiry_reader(reader, what, reset_events).read(*n, t);
  }
}

}  // namespace loyalty::internal
