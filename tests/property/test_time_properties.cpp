// Property tests for loyalty/time.hpp against a reference written independently here.
//
// The reference counts days the ordinal way (days before the year from 365 * years plus leap
// days, then a table of month lengths), not with the era-based algorithm the library uses;
// weekdays come from Zeller's congruence; the first instant of a local day is found by a binary
// search over seconds using only local_date. A shared mistake is therefore unlikely.
#include <date/tz.h>
#include <rapidcheck/catch.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "loyalty/time.hpp"

namespace {

using loyalty::calendar_unit;
using loyalty::civil_date;
using loyalty::duration;
using loyalty::feb29_rule;
using loyalty::time_zone;
using loyalty::timestamp;

// ---- Reference model ----------------------------------------------------------------------

struct ref_ymd {
  int year;
  int month;
  int day;
};

bool ref_leap(int y) {
  if (y % 400 == 0) return true;
  if (y % 100 == 0) return false;
  return y % 4 == 0;
}

int ref_month_days(int y, int m) {
  constexpr std::array<int, 13> table = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && ref_leap(y) ? 29 : table[static_cast<std::size_t>(m)];
}

/// 0001-01-01 is ordinal 1; 1970-01-01 is ordinal 719,163.
constexpr std::int64_t ordinal_1970 = 719'163;

/// Days since 1970-01-01, years 1..9999.
std::int64_t ref_days(int y, int m, int d) {
  const std::int64_t before = y - 1;
  std::int64_t ordinal = 365 * before + before / 4 - before / 100 + before / 400;
  for (int month = 1; month < m; ++month) ordinal += ref_month_days(y, month);
  ordinal += d;
  return ordinal - ordinal_1970;
}

ref_ymd ref_civil(std::int64_t days) {
  const std::int64_t ordinal = days + ordinal_1970;
  int y = static_cast<int>(ordinal * 400 / 146'097);  // close; corrected below
  if (y < 1) y = 1;
  while (ref_days(y, 1, 1) > days) --y;
  while (y < 9999 && ref_days(y + 1, 1, 1) <= days) ++y;
  std::int64_t rest = days - ref_days(y, 1, 1);
  int m = 1;
  while (rest >= ref_month_days(y, m)) {
    rest -= ref_month_days(y, m);
    ++m;
  }
  return {y, m, static_cast<int>(rest) + 1};
}

/// ISO weekday (1 = Monday) by Zeller's congruence.
int ref_iso_weekday(ref_ymd v) {
  int m = v.month;
  int y = v.year;
  if (m < 3) {
    m += 12;
    y -= 1;
  }
  const int k = y % 100;
  const int j = y / 100;
  const int h = (v.day + 13 * (m + 1) / 5 + k + k / 4 + j / 4 + 5 * j) % 7;  // 0 = Saturday
  return (h + 5) % 7 + 1;
}

bool in_range(std::int64_t days) {
  return days >= civil_date::min().days && days <= civil_date::max().days;
}

// ---- Generators ---------------------------------------------------------------------------

/// Days of a date in the supported range: anywhere, in 1900..2100, or at a month end.
rc::Gen<std::int32_t> gen_days() {
  return rc::gen::weightedOneOf<std::int32_t>({
      {2, rc::gen::inRange<std::int32_t>(civil_date::min().days, civil_date::max().days + 1)},
      {2, rc::gen::inRange<std::int32_t>(-25'567, 47'482)},  // 1900-01-01 .. 2099-12-31
      {2, rc::gen::map(rc::gen::tuple(rc::gen::inRange(1, 10'000), rc::gen::inRange(1, 13),
                                      rc::gen::inRange(27, 32)),
                       [](const std::tuple<int, int, int>& t) {
                         const auto [y, m, d] = t;
                         const int day = d > ref_month_days(y, m) ? ref_month_days(y, m) : d;
                         return static_cast<std::int32_t>(ref_days(y, m, day));
                       })},
  });
}

/// Instants mostly in 1900..2100 (history and the years after the last listed transition),
/// often on a 15-minute grid +-1 microsecond in the months clocks change, to hit transitions.
rc::Gen<std::int64_t> gen_micros() {
  constexpr std::int64_t us_per_day = duration::micros_per_day;
  const auto grid =
      rc::gen::map(rc::gen::tuple(rc::gen::inRange(1900, 2101), rc::gen::element(3, 4, 9, 10, 11),
                                  rc::gen::inRange(1, 29), rc::gen::inRange<std::int64_t>(0, 96),
                                  rc::gen::element<std::int64_t>(-1, 0, 1)),
                   [](const std::tuple<int, int, int, std::int64_t, std::int64_t>& t) {
                     const auto [y, m, d, quarter_hour, nudge] = t;
                     return ref_days(y, m, d) * us_per_day +
                            quarter_hour * 15 * duration::micros_per_minute + nudge;
                   });
  return rc::gen::weightedOneOf<std::int64_t>({
      {3, rc::gen::inRange<std::int64_t>(-25'567 * us_per_day, 47'482 * us_per_day)},
      {3, grid},
      {1, rc::gen::inRange<std::int64_t>(timestamp::min().micros + 2 * us_per_day,
                                         timestamp::max().micros - 2 * us_per_day)},
  });
}

// Zones where the local date never goes backwards (see the St_Johns case in the unit tests):
// summer time both ways, a midnight gap, 30- and 45-minute offsets, a 30-minute DST shift,
// negative DST (Dublin) and a skipped day (Apia).
constexpr std::array<std::string_view, 10> zone_names = {"UTC",
                                                         "Europe/Berlin",
                                                         "America/Sao_Paulo",
                                                         "Asia/Kolkata",
                                                         "Pacific/Chatham",
                                                         "America/New_York",
                                                         "Australia/Lord_Howe",
                                                         "Pacific/Apia",
                                                         "Europe/Dublin",
                                                         "Australia/Sydney"};

rc::Gen<time_zone> gen_zone() {
  return rc::gen::map(rc::gen::inRange<std::size_t>(0, zone_names.size()),
                      [](std::size_t i) { return *time_zone::locate(zone_names[i]); });
}

rc::Gen<calendar_unit> gen_unit() {
  return rc::gen::element(calendar_unit::day, calendar_unit::week, calendar_unit::month,
                          calendar_unit::quarter, calendar_unit::year);
}

rc::Gen<feb29_rule> gen_rule() {
  return rc::gen::element(feb29_rule::feb28, feb29_rule::mar1);
}

}  // namespace

// Each property checks several things on one generated input: rapidcheck's generation is the
// main cost under AddressSanitizer, and the suite must stay fast there.

TEST_CASE("civil dates match the reference", "[property][time]") {
  rc::prop("fields, weekday, periods and text of a date", [] {
    const std::int32_t days = *gen_days();
    const civil_date d{days};
    const ref_ymd r = ref_civil(days);
    RC_ASSERT(ref_days(r.year, r.month, r.day) == days);

    const loyalty::year_month_day v = loyalty::to_ymd(d);
    RC_ASSERT(v.year == r.year);
    RC_ASSERT(v.month == r.month);
    RC_ASSERT(v.day == r.day);
    RC_ASSERT(civil_date::from_ymd(r.year, r.month, r.day)->days == days);
    RC_ASSERT(loyalty::quarter(d) == (r.month + 2) / 3);
    RC_ASSERT(loyalty::day_of_year(d) == days - ref_days(r.year, 1, 1) + 1);
    RC_ASSERT(loyalty::days_in_month(r.year, r.month) == ref_month_days(r.year, r.month));

    // Weekday: Zeller, the next day, and a whole number of weeks away.
    RC_ASSERT(loyalty::day_of_week(d) == ref_iso_weekday(r));
    if (const auto next = loyalty::add_days(d, 1)) {
      RC_ASSERT(loyalty::day_of_week(*next) == loyalty::day_of_week(d) % 7 + 1);
    }
    const std::int64_t weeks = days % 600'000 - 300'000;  // varied, derived from the input
    if (const auto later = loyalty::add_days(d, 7 * weeks)) {
      RC_ASSERT(loyalty::day_of_week(*later) == loyalty::day_of_week(d));
    }

    // Periods: first day and the day after the last, from the reference.
    struct period {
      calendar_unit unit;
      std::int64_t first;
      std::int64_t next;
    };
    const std::int64_t week_first = days - (ref_iso_weekday(r) - 1);
    const int quarter_month = (r.month - 1) / 3 * 3 + 1;
    const std::int64_t quarter_first = ref_days(r.year, quarter_month, 1);
    const std::int64_t quarter_next = quarter_first + ref_month_days(r.year, quarter_month) +
                                      ref_month_days(r.year, quarter_month + 1) +
                                      ref_month_days(r.year, quarter_month + 2);
    const std::int64_t month_first = ref_days(r.year, r.month, 1);
    const std::int64_t year_first = ref_days(r.year, 1, 1);
    const std::array<period, 5> periods = {{
        {calendar_unit::day, days, days + 1},
        {calendar_unit::week, week_first, week_first + 7},
        {calendar_unit::month, month_first, month_first + ref_month_days(r.year, r.month)},
        {calendar_unit::quarter, quarter_first, quarter_next},
        {calendar_unit::year, year_first, year_first + (ref_leap(r.year) ? 366 : 365)},
    }};
    for (const period& p : periods) {
      RC_ASSERT(loyalty::start_of(p.unit, d).days == p.first);
      RC_ASSERT(loyalty::end_of(p.unit, d).days == p.next - 1);
    }

    const std::string text = loyalty::to_string(d);
    RC_ASSERT(text.size() == 10u);
    RC_ASSERT(loyalty::parse_date(text) == d);
  });
}

TEST_CASE("date arithmetic matches the reference", "[property][time]") {
  rc::prop("add_days, add_months and add_years", [] {
    const civil_date a{*gen_days()};
    const auto [n_days, n_months] =
        *rc::gen::pair(rc::gen::weightedOneOf<std::int64_t>({
                           {3, rc::gen::inRange<std::int64_t>(-1000, 1001)},
                           {1, rc::gen::inRange<std::int64_t>(-4'000'000, 4'000'001)},
                           {1, rc::gen::arbitrary<std::int64_t>()},
                       }),
                       rc::gen::inRange<std::int64_t>(-130'000, 130'001));

    // add_days is exact, days_between inverts it; nullopt exactly when out of range.
    const std::optional<civil_date> b = loyalty::add_days(a, n_days);
    const bool expected = n_days > -4'000'000 && n_days < 4'000'000 && in_range(a.days + n_days);
    RC_ASSERT(b.has_value() == expected);
    if (b) {
      RC_ASSERT(loyalty::days_between(a, *b) == n_days);
      RC_ASSERT(loyalty::days_between(*b, a) == -n_days);
    }

    // add_months keeps the day, clamped to the target month's length.
    const ref_ymd r = ref_civil(a.days);
    const std::int64_t index = std::int64_t{r.year} * 12 + (r.month - 1) + n_months;
    const std::int64_t y = index >= 0 ? index / 12 : -((-index + 11) / 12);
    const int m = static_cast<int>(index - y * 12) + 1;
    const std::optional<civil_date> c = loyalty::add_months(a, n_months);
    if (y < 1 || y > 9999) {
      RC_ASSERT(!c.has_value());
    } else {
      const int y32 = static_cast<int>(y);
      const int day = r.day < ref_month_days(y32, m) ? r.day : ref_month_days(y32, m);
      RC_ASSERT(c.has_value());
      RC_ASSERT(c->days == ref_days(y32, m, day));
    }
    RC_ASSERT(loyalty::add_years(a, n_months) == loyalty::add_months(a, 12 * n_months));
  });

  rc::prop("months_between and years_between are the largest count add_* allows", [] {
    const civil_date a{*gen_days()};
    const auto [other, offset, near] =
        *rc::gen::tuple(gen_days(), rc::gen::inRange(-800, 801), rc::gen::arbitrary<bool>());
    const civil_date b = near ? loyalty::add_days(a, offset).value_or(a) : civil_date{other};
    // An out-of-range step counts as beyond b in that direction.
    const auto reaches = [&](std::optional<civil_date> x) {
      if (!x) return false;
      return b >= a ? *x <= b : *x >= b;
    };
    const int months = loyalty::months_between(a, b);
    const int years = loyalty::years_between(a, b);
    const int step = b >= a ? 1 : -1;
    RC_ASSERT(reaches(loyalty::add_months(a, months)));
    RC_ASSERT(!reaches(loyalty::add_months(a, months + step)));
    RC_ASSERT(reaches(loyalty::add_years(a, years)));
    RC_ASSERT(!reaches(loyalty::add_years(a, years + step)));
    RC_ASSERT(loyalty::completed_years(a, b, feb29_rule::feb28) == years);
  });
}

TEST_CASE("calendar periods contain their instants", "[property][time]") {
  rc::prop("start_of <= t <= end_of; end_of + 1us starts the next period; local midnight", [] {
    const time_zone zone = *gen_zone();
    const calendar_unit unit = *gen_unit();
    const timestamp t{*gen_micros()};
    const timestamp start = loyalty::start_of(unit, t, zone);
    const timestamp end = loyalty::end_of(unit, t, zone);
    RC_ASSERT(start <= t);
    RC_ASSERT(t <= end);
    const timestamp next = end + duration{1};
    RC_ASSERT(loyalty::start_of(unit, next, zone) == next);
    RC_ASSERT(loyalty::end_of(unit, start, zone) == end);
    RC_ASSERT(loyalty::start_of(unit, end, zone) == start);
    // The first local day of the period, as a date.
    const civil_date day = loyalty::local_date(t, zone);
    const civil_date first = loyalty::start_of(unit, day);
    RC_ASSERT(loyalty::local_date(start, zone) == first);
    RC_ASSERT(loyalty::start_of_day(first, zone) == start);

    // start_of_day is the first second whose local date is `day`, found by binary search
    // (local dates never go backwards in these zones).
    constexpr std::int64_t s_per_day = 86'400;
    std::int64_t low = (day.days - 2) * s_per_day;
    std::int64_t high = (day.days + 2) * s_per_day;
    while (low < high) {
      const std::int64_t mid = low + (high - low) / 2;
      if (loyalty::local_date(timestamp{mid * duration::micros_per_second}, zone) >= day) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    RC_ASSERT(loyalty::start_of_day(day, zone).micros == low * duration::micros_per_second);
  });
}

TEST_CASE("summer time holds in every future year", "[property][time]") {
  // These rules have not changed since 2008 and tzdata projects them forever; the database
  // lists transitions only up to 2037, the rest comes from the TZif footer.
  struct zone_rule {
    std::string_view name;
    std::int64_t january_minutes;
    std::int64_t july_minutes;
  };
  constexpr std::array<zone_rule, 4> rules = {{
      {"Europe/Berlin", 60, 120},
      {"America/New_York", -300, -240},
      {"Australia/Sydney", 660, 600},
      {"Australia/Lord_Howe", 660, 630},  // a 30-minute shift
  }};
  rc::prop("offsets in mid-January and mid-July, years 2008..9999", [&rules] {
    const auto [which, y] = *rc::gen::pair(rc::gen::inRange<std::size_t>(0, rules.size()),
                                           rc::gen::inRange(2008, 10'000));
    const zone_rule& rule = rules[which];
    const time_zone zone = *time_zone::locate(rule.name);
    const timestamp january{ref_days(y, 1, 15) * duration::micros_per_day};
    const timestamp july{ref_days(y, 7, 15) * duration::micros_per_day};
    RC_ASSERT(loyalty::utc_offset(january, zone) == duration::minutes(rule.january_minutes));
    RC_ASSERT(loyalty::utc_offset(july, zone) == duration::minutes(rule.july_minutes));
  });
}

TEST_CASE("offsets match the time zone database", "[property][time]") {
  // The library looks offsets up in a table it builds from the database when a zone is first
  // located (1900 to 2200), and computes them outside it: both must give the database's offset
  // wherever the database lists transitions (to 2037), for zones with and without summer time.
  constexpr std::array<std::string_view, 14> names = {
      "UTC",          "Europe/Berlin",     "America/Sao_Paulo", "Asia/Kolkata",
      "Asia/Tokyo",   "Pacific/Chatham",   "America/New_York",  "Australia/Lord_Howe",
      "Pacific/Apia", "Europe/Dublin",     "Africa/Casablanca", "America/St_Johns",
      "Asia/Tehran",  "Pacific/Kiritimati"};
  rc::prop("utc_offset(t) is date's offset at t", [&names] {
    const std::string_view name = *rc::gen::elementOf(names);
    const std::int64_t s = *rc::gen::weightedOneOf<std::int64_t>({
        {4, rc::gen::inRange<std::int64_t>(-2'208'988'800, 2'145'916'800)},   // 1900 to 2038
        {1, rc::gen::inRange<std::int64_t>(-4'000'000'000, -2'208'988'800)},  // before 1900
    });
    const time_zone zone = *time_zone::locate(name);
    const date::sys_info info =
        date::locate_zone(name)->get_info(date::sys_seconds{std::chrono::seconds{s}});
    RC_ASSERT(loyalty::utc_offset(timestamp{s * duration::micros_per_second}, zone) ==
              duration::seconds(info.offset.count()));
  });
}

TEST_CASE("anniversaries are consistent", "[property][time]") {
  rc::prop("anniversary_in_year follows the rule; next_anniversary is the first on or after", [] {
    const auto [since_days, after_offset, in_year, rule] = *rc::gen::tuple(
        gen_days(), rc::gen::inRange(-400, 20'000), rc::gen::inRange(1, 10'000), gen_rule());
    const civil_date since{since_days};
    const ref_ymd s = ref_civil(since.days);

    ref_ymd expected{in_year, s.month, s.day};
    if (s.month == 2 && s.day == 29 && !ref_leap(in_year)) {
      expected = rule == feb29_rule::feb28 ? ref_ymd{in_year, 2, 28} : ref_ymd{in_year, 3, 1};
    }
    const civil_date in_that_year = loyalty::anniversary_in_year(since, in_year, rule);
    RC_ASSERT(in_that_year.days == ref_days(expected.year, expected.month, expected.day));
    RC_ASSERT(loyalty::is_anniversary(since, in_that_year, rule) == (in_year > s.year));

    // Stay a year clear of the top of the range, where the next anniversary would leave it.
    const std::optional<civil_date> after = loyalty::add_days(since, after_offset);
    if (!after || s.year > 9900) return;
    const civil_date next = loyalty::next_anniversary(since, *after, rule);
    RC_ASSERT(next >= *after);
    RC_ASSERT(next > since);
    RC_ASSERT(loyalty::is_anniversary(since, next, rule));
    // No anniversary in [max(after, since + 1), next).
    const civil_date from = *after > since ? *after : *loyalty::add_days(since, 1);
    const civil_date before_next = *loyalty::add_days(next, -1);
    RC_ASSERT(loyalty::completed_years(since, before_next, rule) ==
              loyalty::completed_years(since, *loyalty::add_days(from, -1), rule));
    RC_ASSERT(loyalty::completed_years(since, next, rule) ==
              loyalty::completed_years(since, before_next, rule) + 1);
  });
}

TEST_CASE("text round trips", "[property][time]") {
  rc::prop("timestamps (in UTC and with any offset) and durations", [] {
    const auto [micros, offset_minutes, span] = *rc::gen::tuple(
        rc::gen::inRange<std::int64_t>(timestamp::min().micros, timestamp::max().micros),
        rc::gen::inRange(-23 * 60 - 59, 23 * 60 + 60),
        rc::gen::weightedOneOf<std::int64_t>({
            {2, rc::gen::arbitrary<std::int64_t>()},
            {2, rc::gen::inRange<std::int64_t>(-duration::micros_per_day * 400,
                                               duration::micros_per_day * 400)},
            {1, rc::gen::map(rc::gen::inRange<std::int64_t>(-100'000, 100'000),
                             [](std::int64_t s) { return s * duration::micros_per_second; })},
        }));
    const duration d{span};
    RC_ASSERT(loyalty::parse_duration(loyalty::to_string(d)) == d);

    const timestamp t{micros};
    RC_ASSERT(loyalty::parse_timestamp(loyalty::to_string(t)) == t);
    // The same instant written with another offset: shift the local fields by hand.
    const timestamp local = t + duration::minutes(offset_minutes);
    if (local < timestamp::min() || local > timestamp::max()) return;
    std::string shifted = loyalty::to_string(local);
    shifted.pop_back();  // 'Z'
    const int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    shifted += offset_minutes < 0 ? '-' : '+';
    shifted += std::to_string(magnitude / 60 / 10) + std::to_string(magnitude / 60 % 10) + ':' +
               std::to_string(magnitude % 60 / 10) + std::to_string(magnitude % 10);
    RC_ASSERT(loyalty::parse_timestamp(shifted) == t);
  });
}
