// Expiry policies: the pure computation of when a credit expires.
//
// All calendar work is done with the functions of loyalty/time.hpp on local dates and local
// times of day of the policy's zone; instants come back through local_instant() and
// start_of_day(). Every result is clamped to timestamp::max(), which the ledger reads as never.
#include "loyalty/expiry.hpp"

#include <algorithm>
#include <charconv>

namespace loyalty {

namespace {

constexpr timestamp never_at = timestamp::max();

bool period_in_range(calendar_period p, std::int32_t min_count) noexcept {
  const std::int32_t max_count = p.unit == calendar_period::unit_kind::days
                                     ? calendar_period::max_days
                                     : calendar_period::max_months;
  return p.count >= min_count && p.count <= max_count;
}

/// What problem() says, as a literal (nullptr: none), so expiry_instant() can check a policy
/// without allocating.
const char* first_problem(const expiry_policy& p) noexcept {
  const bool uses_period = p.kind == expiry_kind::after || p.kind == expiry_kind::inactivity;
  const bool uses_dates = p.kind == expiry_kind::fixed_dates;
  const bool uses_clock = p.kind == expiry_kind::after || p.kind == expiry_kind::fixed_dates;
  if (uses_period && !period_in_range(p.period, 1)) {
    return "the period must be 1 to 36600 days or 1 to 1200 months";
  }
  if (!uses_period && (p.period != calendar_period{} || p.round_to)) {
    return "only 'after' and 'inactivity' have a period and a rounding";
  }
  if (uses_dates) {
    if (p.dates.empty() || p.dates.size() > expiry_policy::max_dates) {
      return "fixed_dates needs 1 to 24 dates";
    }
    for (std::size_t i = 0; i < p.dates.size(); ++i) {
      if (!p.dates[i].valid()) return "a date is not a day of the year";
      if (i > 0 && !(p.dates[i - 1] < p.dates[i])) return "the dates must be sorted, each once";
    }
    if (p.min_validity < duration{} || p.min_validity > duration::days(calendar_period::max_days)) {
      return "min_validity must be 0 to 36600 days";
    }
  } else if (!p.dates.empty() || p.min_validity != duration{}) {
    return "only 'fixed_dates' has dates and a minimum validity";
  }
  if (!uses_clock && p.clock != clock_start::earn) {
    return "only 'after' and 'fixed_dates' can start the clock at activation";
  }
  return nullptr;
}

timestamp clamp_to_range(timestamp t) noexcept {
  return std::clamp(t, timestamp::min(), timestamp::max());
}

/// The day `md` falls on in `year` (29 February: the last day of February).
std::optional<civil_date> in_year(month_day md, int year) noexcept {
  const int day = std::min<int>(md.day, days_in_month(year, md.month));
  return civil_date::from_ymd(year, md.month, day);
}

/// The start of the day after `date`, or never_at when that lies beyond the supported range.
timestamp start_of_next_day(civil_date date, time_zone zone) noexcept {
  const std::optional<civil_date> next = add_days(date, 1);
  if (!next) return never_at;
  return std::min(start_of_day(*next, zone), never_at);
}

timestamp fixed_dates_expiry(const expiry_policy& p, timestamp start, time_zone zone) noexcept {
  // The last instant that must still be valid: start + min_validity - 1us, and at least start.
  const std::int64_t room = timestamp::max().micros - start.micros;
  if (p.min_validity.micros > room) return never_at;
  const timestamp last_valid{start.micros + std::max<std::int64_t>(p.min_validity.micros - 1, 0)};
  const civil_date from = local_date(last_valid, zone);
  std::optional<civil_date> best;
  for (const month_day md : p.dates) {
    // This year's, or else next year's: one of them is on or after `from`.
    for (int y = year(from); y <= year(from) + 1; ++y) {
      const std::optional<civil_date> d = in_year(md, y);
      if (d && *d >= from) {
        if (!best || *d < *best) best = d;
        break;
      }
    }
  }
  return best ? start_of_next_day(*best, zone) : never_at;
}

}  // namespace

std::optional<calendar_period> parse_calendar_period(std::string_view text) noexcept {
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 9) return std::nullopt;
  const std::string_view digits = text.substr(0, space);
  const std::string_view unit = text.substr(space + 1);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  std::int32_t count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || end != digits.data() + digits.size() || count < 0) return std::nullopt;
  if (unit == "day" || unit == "days") return calendar_period::days(count);
  if (unit == "month" || unit == "months") return calendar_period::months(count);
  return std::nullopt;
}

std::string to_string(calendar_period p) {
  const bool days = p.unit == calendar_period::unit_kind::days;
  std::string s = std::to_string(p.count);
  s += days ? " day" : " month";
  if (p.count != 1) s += 's';
  return s;
}

timestamp add_period(timestamp start, calendar_period period, time_zone zone) noexcept {
  start = clamp_to_range(start);
  if (start == never_at) return never_at;
  if (period.count <= 0) return start;
  const civil_date date = local_date(start, zone);
  const std::optional<civil_date> moved = period.unit == calendar_period::unit_kind::days
                                              ? add_days(date, period.count)
                                              : add_months(date, period.count);
  if (!moved) return never_at;
  return std::min(local_instant(*moved, local_time_of_day(start, zone), zone), never_at);
}

bool month_day::valid() const noexcept {
  // 2000 is a leap year: every day any year has.
  return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(2000, month);
}

std::optional<month_day> parse_month_day(std::string_view text) noexcept {
  if (text.size() != 5 || text[2] != '-') return std::nullopt;
  const auto two = [&](std::size_t at) -> int {
    const char a = text[at];
    const char b = text[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    return (a - '0') * 10 + (b - '0');
  };
  const int m = two(0);
  const int d = two(3);
  if (m < 0 || d < 0) return std::nullopt;
  const month_day md{static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(d)};
  if (!md.valid()) return std::nullopt;
  return md;
}

std::string to_string(month_day md) {
  std::string s = "00-00";
  s[0] = static_cast<char>('0' + md.month / 10);
  s[1] = static_cast<char>('0' + md.month % 10);
  s[3] = static_cast<char>('0' + md.day / 10);
  s[4] = static_cast<char>('0' + md.day % 10);
  return s;
}

std::string_view to_string(expiry_kind k) noexcept {
  switch (k) {
    case expiry_kind::never:
      return "never";
    case expiry_kind::after:
      return "after";
    case expiry_kind::fixed_dates:
      return "fixed_dates";
    case expiry_kind::inactivity:
      return "inactivity";
  }
  return "?";
}

std::string_view to_string(clock_start c) noexcept {
  return c == clock_start::activation ? "activation" : "earn";
}

expiry_policy expiry_policy::after(calendar_period period, std::optional<calendar_unit> round_to,
                                   clock_start clock) {
  expiry_policy p;
  p.kind = expiry_kind::after;
  p.period = period;
  p.round_to = round_to;
  p.clock = clock;
  return p;
}

expiry_policy expiry_policy::fixed_dates(std::vector<month_day> dates, duration min_validity,
                                         clock_start clock) {
  expiry_policy p;
  p.kind = expiry_kind::fixed_dates;
  std::sort(dates.begin(), dates.end());
  p.dates = std::move(dates);
  p.min_validity = min_validity;
  p.clock = clock;
  return p;
}

expiry_policy expiry_policy::inactivity(calendar_period period,
                                        std::optional<calendar_unit> round_to) {
  expiry_policy p;
  p.kind = expiry_kind::inactivity;
  p.period = period;
  p.round_to = round_to;
  return p;
}

std::string expiry_policy::problem() const {
  const char* what = first_problem(*this);
  return what == nullptr ? std::string() : std::string(what);
}

timestamp expiry_instant(const expiry_policy& policy, timestamp start, time_zone zone) noexcept {
  start = clamp_to_range(start);
  if (policy.kind == expiry_kind::never || start == never_at || first_problem(policy) != nullptr) {
    return never_at;
  }
  if (policy.kind == expiry_kind::fixed_dates) return fixed_dates_expiry(policy, start, zone);
  const timestamp raw = add_period(start, policy.period, zone);
  if (raw == never_at || !policy.round_to) return raw;
  // The last valid instant is raw - 1us; validity runs to the end of its period.
  // (max with raw: in the few historical zones whose clocks went back across midnight, end_of
  // can lie before its instant; see docs/time.md.)
  const timestamp last = end_of(*policy.round_to, raw - duration{1}, zone);
  return last >= never_at ? never_at : std::max(raw, last + duration{1});
}

}  // namespace loyalty
