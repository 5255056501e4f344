// The calendar module. The only file that includes Howard Hinnant's date library.
//
// Calendar arithmetic is done here on 64-bit integers (the days_from_civil / civil_from_days
// algorithms), exact for every civil_date value. The date library is used for one thing: the
// UTC offsets of an IANA zone over time, read from the system database (tzdata).
//
// One gap in that library is filled here. Built with USE_OS_TZDB (as Debian builds it), it
// reads the transitions listed in a TZif file but ignores the file's footer, the POSIX TZ rule
// (e.g. "CET-1CEST,M3.5.0,M10.5.0/3") that the format says governs every instant after the
// last listed transition. Debian's files list transitions up to 2037, so without the footer
// Europe/Berlin would have no summer time from 2038 on. time_zone::locate reads the footer
// once and this file applies it after the last transition.
#include "loyalty/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace loyalty {

namespace {

// ---- Integer helpers ----------------------------------------------------------------------

constexpr std::int64_t seconds_per_day = 86'400;
constexpr std::int64_t micros_per_second = duration::micros_per_second;
constexpr std::int64_t micros_per_day = duration::micros_per_day;

/// floor(a / b) for b > 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
/// a - b * floor(a / b), in [0, b) for b > 0.
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t r = a % b;  // never overflows, unlike a - b * floor_div(a, b)
  return r < 0 ? r + b : r;
}

// ---- Calendar algorithms (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms") ------

struct ymd64 {
  std::int64_t year;
  int month;
  int day;
};

constexpr bool leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr int month_length(std::int64_t y, int m) noexcept {
  constexpr std::array<int, 12> lengths = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : lengths[static_cast<std::size_t>(m - 1)];
}

/// Days since 1970-01-01 of a valid proleptic Gregorian date.
constexpr std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                          // [0, 399]
  const std::int64_t mp = m > 2 ? m - 3 : m + 9;                   // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;             // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146'097 + doe - 719'468;
}

constexpr ymd64 civil_from_days(std::int64_t z) noexcept {
  z += 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;                                        // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                       // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1, 1, 1) == civil_date::min().days);
static_assert(days_from_civil(9999, 12, 31) == civil_date::max().days);
static_assert(timestamp::min().micros == civil_date::min().days * micros_per_day);
static_assert(timestamp::max().micros == (civil_date::max().days + 1) * micros_per_day - 1);

ymd64 ymd_of(civil_date date) noexcept {
  return civil_from_days(date.days);
}

// ---- Range ----------------------------------------------------------------------------------
//
// Supported range: years 1..9999. Functions that take dates or instants accept one more year
// on each side (the "domain"), so that a value the library derived at an edge (the local date
// of timestamp::max() east of Greenwich is 10000-01-01) can be passed back. Outside the domain
// a precondition is violated: assert in debug builds, clamp otherwise (no undefined behaviour).

constexpr std::int64_t domain_min_days = days_from_civil(0, 1, 1);
constexpr std::int64_t domain_max_days = days_from_civil(10'000, 12, 31);
constexpr int domain_min_year = 0;
constexpr int domain_max_year = 10'000;

bool in_range(std::int64_t days) noexcept {
  return days >= civil_date::min().days && days <= civil_date::max().days;
}

civil_date date_in_domain(civil_date date) noexcept {
  assert(date.days >= domain_min_days && date.days <= domain_max_days);
  return {static_cast<std::int32_t>(
      std::clamp<std::int64_t>(date.days, domain_min_days, domain_max_days))};
}

std::int64_t micros_in_domain(timestamp t) noexcept {
  constexpr std::int64_t low = domain_min_days * micros_per_day;
  constexpr std::int64_t high = (domain_max_days + 1) * micros_per_day - 1;
  assert(t.micros >= low && t.micros <= high);
  return std::clamp(t.micros, low, high);
}

int year_in_domain(int y) noexcept {
  assert(y >= domain_min_year && y <= domain_max_year);
  return std::clamp(y, domain_min_year, domain_max_year);
}

/// A civil_date from a day count known to fit.
civil_date make_date(std::int64_t days) noexcept {
  return {static_cast<std::int32_t>(days)};
}

/// The date y-m-d with the day clamped to the month's length (months normalised first).
std::int64_t clamped_days(std::int64_t y, std::int64_t month_index, int d) noexcept {
  // month_index counts months from January of year y (0 = January y).
  const std::int64_t year_shift = floor_div(month_index, 12);
  const int m = static_cast<int>(month_index - year_shift * 12) + 1;
  const std::int64_t ny = y + year_shift;
  return days_from_civil(ny, m, std::min(d, month_length(ny, m)));
}

}  // namespace

// ---- Calendar dates -----------------------------------------------------------------------

std::optional<civil_date> civil_date::from_ymd(int y, int m, int d) noexcept {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_length(y, m)) {
    return std::nullopt;
  }
  return make_date(days_from_civil(y, m, d));
}

year_month_day to_ymd(civil_date date) noexcept {
  const ymd64 v = ymd_of(date);
  // Every int32 day count is within +-5.9 million years: the year fits in an int.
  return {static_cast<int>(v.year), v.month, v.day};
}

int year(civil_date date) noexcept {
  return to_ymd(date).year;
}

int month(civil_date date) noexcept {
  return ymd_of(date).month;
}

int day_of_month(civil_date date) noexcept {
  return ymd_of(date).day;
}

int quarter(civil_date date) noexcept {
  return (ymd_of(date).month - 1) / 3 + 1;
}

int day_of_year(civil_date date) noexcept {
  const ymd64 v = ymd_of(date);
  return static_cast<int>(date.days - days_from_civil(v.year, 1, 1)) + 1;
}

int day_of_week(civil_date date) noexcept {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(floor_mod(std::int64_t{date.days} + 3, 7)) + 1;
}

bool is_leap_year(int y) noexcept {
  return leap(y);
}

int days_in_month(int y, int m) noexcept {
  assert(m >= 1 && m <= 12);
  return month_length(y, std::clamp(m, 1, 12));
}

// ---- Date arithmetic ----------------------------------------------------------------------

std::optional<civil_date> add_days(civil_date date, std::int64_t days) noexcept {
  // Compare before adding, so that no value of `days` can overflow.
  if (days > civil_date::max().days - std::int64_t{date.days} ||
      days < civil_date::min().days - std::int64_t{date.days}) {
    return std::nullopt;
  }
  return make_date(date.days + days);
}

std::optional<civil_date> add_months(civil_date date, std::int64_t months) noexcept {
  // Any |months| beyond this leaves the range from any civil_date; rejecting it first keeps
  // the arithmetic below far from overflow.
  constexpr std::int64_t months_max = 12 * 6'000'000;
  if (months > months_max || months < -months_max) return std::nullopt;
  const ymd64 v = ymd_of(date);
  const std::int64_t days = clamped_days(v.year, v.month - 1 + months, v.day);
  if (!in_range(days)) return std::nullopt;
  return make_date(days);
}

std::optional<civil_date> add_years(civil_date date, std::int64_t years) noexcept {
  constexpr std::int64_t years_max = 6'000'000;
  if (years > years_max || years < -years_max) return std::nullopt;
  return add_months(date, years * 12);
}

std::int64_t days_between(civil_date a, civil_date b) noexcept {
  return std::int64_t{b.days} - std::int64_t{a.days};
}

int months_between(civil_date a, civil_date b) noexcept {
  const ymd64 va = ymd_of(a);
  const ymd64 vb = ymd_of(b);
  std::int64_t n = (vb.year - va.year) * 12 + (vb.month - va.month);
  // add_months(a, n) lies in b's month, on day min(a's day, length of b's month).
  const int day_there = std::min(va.day, month_length(vb.year, vb.month));
  if (b >= a && day_there > vb.day) --n;
  if (b < a && day_there < vb.day) ++n;
  return static_cast<int>(n);
}

int years_between(civil_date a, civil_date b) noexcept {
  const ymd64 va = ymd_of(a);
  const ymd64 vb = ymd_of(b);
  std::int64_t n = vb.year - va.year;
  // add_years(a, n) is a's month and clamped day in b's year.
  const std::int64_t there = clamped_days(vb.year, va.month - 1, va.day);
  if (b >= a && there > b.days) --n;
  if (b < a && there < b.days) ++n;
  return static_cast<int>(n);
}

// ---- Calendar periods on dates ------------------------------------------------------------

std::string_view to_string(calendar_unit unit) noexcept {
  switch (unit) {
    case calendar_unit::day:
      return "day";
    case calendar_unit::week:
      return "week";
    case calendar_unit::month:
      return "month";
    case calendar_unit::quarter:
      return "quarter";
    case calendar_unit::year:
      return "year";
  }
  return "?";
}

std::optional<calendar_unit> parse_calendar_unit(std::string_view name) noexcept {
  for (calendar_unit unit : {calendar_unit::day, calendar_unit::week, calendar_unit::month,
                             calendar_unit::quarter, calendar_unit::year}) {
    if (to_string(unit) == name) return unit;
  }
  return std::nullopt;
}

namespace {

/// The first day of the period containing `date` (in the domain), as a day count.
std::int64_t period_start(calendar_unit unit, civil_date date) noexcept {
  const ymd64 v = ymd_of(date);
  switch (unit) {
    case calendar_unit::day:
      return date.days;
    case calendar_unit::week:
      return date.days - (day_of_week(date) - 1);
    case calendar_unit::month:
      return days_from_civil(v.year, v.month, 1);
    case calendar_unit::quarter:
      return days_from_civil(v.year, (v.month - 1) / 3 * 3 + 1, 1);
    case calendar_unit::year:
      return days_from_civil(v.year, 1, 1);
  }
  return date.days;
}

/// The first day of the period after the one containing `date`, as a day count.
std::int64_t next_period_start(calendar_unit unit, civil_date date) noexcept {
  const std::int64_t start = period_start(unit, date);
  const ymd64 v = civil_from_days(start);
  switch (unit) {
    case calendar_unit::day:
      return start + 1;
    case calendar_unit::week:
      return start + 7;
    case calendar_unit::month:
      return clamped_days(v.year, v.month, 1);
    case calendar_unit::quarter:
      return clamped_days(v.year, v.month + 2, 1);
    case calendar_unit::year:
      return days_from_civil(v.year + 1, 1, 1);
  }
  return start + 1;
}

}  // namespace

civil_date start_of(calendar_unit unit, civil_date date) noexcept {
  return make_date(period_start(unit, date_in_domain(date)));
}

civil_date end_of(calendar_unit unit, civil_date date) noexcept {
  return make_date(next_period_start(unit, date_in_domain(date)) - 1);
}

// ---- Anniversaries ------------------------------------------------------------------------

std::string_view to_string(feb29_rule rule) noexcept {
  switch (rule) {
    case feb29_rule::feb28:
      return "feb28";
    case feb29_rule::mar1:
      return "mar1";
  }
  return "?";
}

std::optional<feb29_rule> parse_feb29_rule(std::string_view name) noexcept {
  if (name == "feb28") return feb29_rule::feb28;
  if (name == "mar1") return feb29_rule::mar1;
  return std::nullopt;
}

namespace {

/// anniversary_in_year on values already in the domain, as a day count.
std::int64_t anniversary_days(const ymd64& since, std::int64_t in_year, feb29_rule rule) noexcept {
  if (since.month == 2 && since.day == 29 && !leap(in_year)) {
    return rule == feb29_rule::feb28 ? days_from_civil(in_year, 2, 28)
                                     : days_from_civil(in_year, 3, 1);
  }
  return days_from_civil(in_year, since.month, since.day);
}

}  // namespace

civil_date anniversary_in_year(civil_date since, int in_year, feb29_rule rule) noexcept {
  return make_date(anniversary_days(ymd_of(date_in_domain(since)), year_in_domain(in_year), rule));
}

bool is_anniversary(civil_date since, civil_date day, feb29_rule rule) noexcept {
  since = date_in_domain(since);
  day = date_in_domain(day);
  if (day <= since) return false;
  return anniversary_days(ymd_of(since), ymd_of(day).year, rule) == day.days;
}

int completed_years(civil_date since, civil_date day, feb29_rule rule) noexcept {
  since = date_in_domain(since);
  day = date_in_domain(day);
  const ymd64 s = ymd_of(since);
  const std::int64_t day_year = ymd_of(day).year;
  const std::int64_t there = anniversary_days(s, day_year, rule);
  std::int64_t n = day_year - s.year;
  if (day >= since && there > day.days) --n;  // this year's anniversary is still to come
  if (day < since && there < day.days) ++n;   // counting back: that year's is not reached
  return static_cast<int>(n);
}

civil_date next_anniversary(civil_date since, civil_date on_or_after, feb29_rule rule) noexcept {
  since = date_in_domain(since);
  on_or_after = date_in_domain(on_or_after);
  const ymd64 s = ymd_of(since);
  const std::int64_t y = std::max(s.year + 1, ymd_of(on_or_after).year);
  const std::int64_t candidate = anniversary_days(s, y, rule);
  return make_date(candidate >= on_or_after.days ? candidate : anniversary_days(s, y + 1, rule));
}

// ---- Time zones: the POSIX TZ rule of a TZif footer ---------------------------------------

namespace {

/// When in the year a POSIX rule switches: `Jn`, `n` or `Mm.w.d`, at `time_s` local time.
struct posix_when {
  enum class form : std::uint8_t { julian_365, zero_based, month_week_day };
  form kind = form::month_week_day;
  int day = 0;      // Jn: 1..365 (29 February never counted); n: 0..365
  int month = 1;    // Mm.w.d
  int week = 1;     // 1..5, 5 = last
  int weekday = 0;  // 0 = Sunday
  std::int64_t time_s = 2 * 3600;
};

/// A rule with summer time; zones without one need no rule (their last offset holds).
struct posix_rule {
  std::int64_t std_offset_s = 0;  // UTC offset, east positive (POSIX writes the opposite sign)
  std::int64_t dst_offset_s = 0;
  posix_when start;  // switch to dst_offset_s, at local standard time
  posix_when end;    // back to std_offset_s, at local summer time
};

/// A tiny cursor over the footer text.
class posix_reader {
 public:
  explicit posix_reader(std::string_view text) noexcept : text_(text) {}

  bool done() const noexcept { return pos_ == text_.size(); }
  bool eat(char c) noexcept {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool peek_digit_or_sign() const noexcept {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    return (c >= '0' && c <= '9') || c == '+' || c == '-';
  }

  /// A zone abbreviation: letters, or anything within <...>.
  bool abbreviation() noexcept {
    if (eat('<')) {
      const std::size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos || close == pos_) return false;
      pos_ = close + 1;
      return true;
    }
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && ((text_[pos_] >= 'A' && text_[pos_] <= 'Z') ||
                                   (text_[pos_] >= 'a' && text_[pos_] <= 'z'))) {
      ++pos_;
    }
    return pos_ - begin >= 3;
  }

  /// An unsigned number with at most `digits_max` digits.
  std::optional<int> number(int digits_max) noexcept {
    int value = 0;
    int digits = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' && digits < digits_max) {
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return value;
  }

  /// [+-]hh[:mm[:ss]] in seconds, |hh| <= hours_max.
  std::optional<std::int64_t> signed_time(int hours_max) noexcept {
    const bool negative = eat('-');
    if (!negative) eat('+');
    const std::optional<int> h = number(3);
    if (!h || *h > hours_max) return std::nullopt;
    std::int64_t seconds = std::int64_t{*h} * 3600;
    if (eat(':')) {
      const std::optional<int> m = number(2);
      if (!m || *m > 59) return std::nullopt;
      seconds += *m * 60;
      if (eat(':')) {
        const std::optional<int> s = number(2);
        if (!s || *s > 59) return std::nullopt;
        seconds += *s;
      }
    }
    return negative ? -seconds : seconds;
  }

  std::optional<posix_when> when() noexcept {
    posix_when w;
    if (eat('M')) {
      const std::optional<int> m = number(2);
      if (!m || *m < 1 || *m > 12 || !eat('.')) return std::nullopt;
      const std::optional<int> week = number(1);
      if (!week || *week < 1 || *week > 5 || !eat('.')) return std::nullopt;
      const std::optional<int> weekday = number(1);
      if (!weekday || *weekday > 6) return std::nullopt;
      w.kind = posix_when::form::month_week_day;
      w.month = *m;
      w.week = *week;
      w.weekday = *weekday;
    } else if (eat('J')) {
      const std::optional<int> n = number(3);
      if (!n || *n < 1 || *n > 365) return std::nullopt;
      w.kind = posix_when::form::julian_365;
      w.day = *n;
    } else {
      const std::optional<int> n = number(3);
      if (!n || *n > 365) return std::nullopt;
      w.kind = posix_when::form::zero_based;
      w.day = *n;
    }
    if (eat('/')) {
      const std::optional<std::int64_t> t = signed_time(167);  // RFC 8536 extension
      if (!t) return std::nullopt;
      w.time_s = *t;
    }
    return w;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

/// The rule of a footer such as "CET-1CEST,M3.5.0,M10.5.0/3", or nullopt when the footer has
/// no summer time or is not understood (then the zone's last listed offset holds).
std::optional<posix_rule> parse_posix_rule(std::string_view text) noexcept {
  posix_reader in(text);
  posix_rule rule;
  if (!in.abbreviation()) return std::nullopt;
  const std::optional<std::int64_t> std_offset = in.signed_time(24);
  if (!std_offset) return std::nullopt;
  rule.std_offset_s = -*std_offset;
  if (in.done() || !in.abbreviation()) return std::nullopt;
  rule.dst_offset_s = rule.std_offset_s + 3600;
  if (in.peek_digit_or_sign()) {
    const std::optional<std::int64_t> dst_offset = in.signed_time(24);
    if (!dst_offset) return std::nullopt;
    rule.dst_offset_s = -*dst_offset;
  }
  if (!in.eat(',')) return std::nullopt;  // tzdata always writes the rules
  const std::optional<posix_when> start = in.when();
  if (!start || !in.eat(',')) return std::nullopt;
  const std::optional<posix_when> end = in.when();
  if (!end || !in.done()) return std::nullopt;
  rule.start = *start;
  rule.end = *end;
  // The offset search below relies on offsets of less than a day.
  if (rule.std_offset_s <= -seconds_per_day || rule.std_offset_s >= seconds_per_day ||
      rule.dst_offset_s <= -seconds_per_day || rule.dst_offset_s >= seconds_per_day) {
    return std::nullopt;
  }
  return rule;
}

/// The local day (as a day count) on which `w` falls in year `y`.
std::int64_t when_day(const posix_when& w, std::int64_t y) noexcept {
  const std::int64_t jan1 = days_from_civil(y, 1, 1);
  switch (w.kind) {
    case posix_when::form::julian_365:
      return jan1 + w.day - 1 + (leap(y) && w.day >= 60 ? 1 : 0);
    case posix_when::form::zero_based:
      return jan1 + w.day;
    case posix_when::form::month_week_day:
      break;
  }
  const std::int64_t first = days_from_civil(y, w.month, 1);
  const std::int64_t first_weekday = floor_mod(first + 4, 7);  // 0 = Sunday
  std::int64_t day = first + floor_mod(w.weekday - first_weekday, 7) + (w.week - 1) * 7;
  const std::int64_t next_month = first + month_length(y, w.month);
  while (day >= next_month) day -= 7;  // week 5 means the last one
  return day;
}

// ---- Time zones: offsets over time ----------------------------------------------------------

/// The record a time_zone handle points to. Records live until the process exits.
struct offset_span;

struct zone_impl {
  const date::time_zone* zone = nullptr;  // nullptr: the built-in UTC
  std::string_view name;
  std::optional<posix_rule> rule;  // applies from rule_from_s on
  std::int64_t rule_from_s = 0;
  /// The spans of constant offset from table_begin_s to table_end_s, in time order, computed
  /// when the zone is first located: the instants hosts convert (1900 to 2200) are found by a
  /// binary search instead of the date library's lookup or the POSIX rule's arithmetic.
  std::vector<std::int64_t> table_begins;  // begin_s of each span
  std::vector<std::int64_t> table_offsets;
  std::int64_t table_end_s = 0;
  /// A second of [table_from_s, table_end_s) is in bucket (s - table_from_s) >> bucket_bits
  /// (about 388 days each); bucket_first[b] is the span containing the bucket's first second, so
  /// a lookup steps over the few transitions of one bucket instead of searching the table.
  std::int64_t table_from_s = 0;
  std::vector<std::uint32_t> bucket_first;
};

constexpr int bucket_bits = 25;

const zone_impl utc_impl{nullptr, "UTC", std::nullopt, 0, {}, {}, 0, 0, {}};

/// Far enough for every instant the library converts, small enough to add offsets to.
constexpr std::int64_t unbounded_s = std::int64_t{1} << 50;

/// A stretch of time [begin_s, end_s) (Unix seconds) with one UTC offset.
struct offset_span {
  std::int64_t begin_s;
  std::int64_t end_s;
  std::int64_t offset_s;
};

/// The span containing `s` under a POSIX rule.
offset_span rule_span(const posix_rule& rule, std::int64_t s) noexcept {
  struct transition {
    std::int64_t at_s;
    std::int64_t offset_s;  // in force from at_s
  };
  // The transitions of the years around s, in time order. Rules may place a transition up to
  // 167 hours beyond its day, so two years either side are considered.
  const std::int64_t y = civil_from_days(floor_div(s + rule.std_offset_s, seconds_per_day)).year;
  std::array<transition, 10> list{};
  std::size_t count = 0;
  for (std::int64_t year = y - 2; year <= y + 2; ++year) {
    list[count++] = {
        when_day(rule.start, year) * seconds_per_day + rule.start.time_s - rule.std_offset_s,
        rule.dst_offset_s};
    list[count++] = {
        when_day(rule.end, year) * seconds_per_day + rule.end.time_s - rule.dst_offset_s,
        rule.std_offset_s};
  }
  // Insertion sort: stable (for transitions at the same instant the later listed one wins,
  // as in the year it belongs to) and, unlike std::stable_sort, never allocates.
  for (std::size_t i = 1; i < list.size(); ++i) {
    for (std::size_t j = i; j > 0 && list[j].at_s < list[j - 1].at_s; --j) {
      std::swap(list[j], list[j - 1]);
    }
  }
  offset_span span{-unbounded_s, unbounded_s, rule.std_offset_s};
  for (const transition& t : list) {
    if (t.at_s <= s) {
      span.begin_s = t.at_s;
      span.offset_s = t.offset_s;
    } else if (t.at_s < span.end_s) {
      span.end_s = t.at_s;
      break;
    }
  }
  return span;
}

/// The span of constant offset containing the Unix second `s`, computed (without the table).
offset_span computed_span_at(const zone_impl& zone, std::int64_t s) noexcept {
  if (zone.zone == nullptr) return {-unbounded_s, unbounded_s, 0};
  if (zone.rule && s >= zone.rule_from_s) {
    offset_span span = rule_span(*zone.rule, s);
    span.begin_s = std::max(span.begin_s, zone.rule_from_s);
    return span;
  }
  const date::sys_info info = zone.zone->get_info(date::sys_seconds{std::chrono::seconds{s}});
  offset_span span{std::max(info.begin.time_since_epoch().count(), -unbounded_s),
                   std::min(info.end.time_since_epoch().count(), unbounded_s), info.offset.count()};
  if (zone.rule) span.end_s = std::min(span.end_s, zone.rule_from_s);
  return span;
}

/// The span of constant offset containing the Unix second `s`.
offset_span span_at(const zone_impl& zone, std::int64_t s) noexcept {
  const std::vector<std::int64_t>& begins = zone.table_begins;
  if (begins.empty() || s < begins.front() || s >= zone.table_end_s) {
    return computed_span_at(zone, s);
  }
  // The last span beginning at or before s: from the bucket's first span on, or by a search
  // before the buckets start.
  std::size_t i = 0;
  if (s >= zone.table_from_s && !zone.bucket_first.empty()) {
    const auto bucket = static_cast<std::size_t>((s - zone.table_from_s) >> bucket_bits);
    i = zone.bucket_first[std::min(bucket, zone.bucket_first.size() - 1)];
    while (i + 1 < begins.size() && begins[i + 1] <= s) ++i;
  } else {
    i = static_cast<std::size_t>(std::upper_bound(begins.begin(), begins.end(), s) -
                                 begins.begin() - 1);
  }
  const std::int64_t end_s = i + 1 < begins.size() ? begins[i + 1] : zone.table_end_s;
  return {begins[i], end_s, zone.table_offsets[i]};
}

/// Fills the zone's span table for [from_s, to_s) from the computed spans.
void build_span_table(zone_impl& zone, std::int64_t from_s, std::int64_t to_s) {
  offset_span span = computed_span_at(zone, from_s);
  // The first span may begin long before from_s: the table starts where it does.
  constexpr std::size_t spans_max = 4096;  // real zones have a few hundred over three centuries
  while (zone.table_begins.size() < spans_max) {
    zone.table_begins.push_back(span.begin_s);
    zone.table_offsets.push_back(span.offset_s);
    if (span.end_s >= to_s) {
      zone.table_end_s = span.end_s;
      zone.table_from_s = from_s;
      const std::vector<std::int64_t>& begins = zone.table_begins;
      for (std::int64_t b = from_s; b < to_s; b += std::int64_t{1} << bucket_bits) {
        zone.bucket_first.push_back(static_cast<std::uint32_t>(
            std::upper_bound(begins.begin(), begins.end(), b) - begins.begin() - 1));
      }
      return;
    }
    const std::int64_t end_s = span.end_s;
    span = computed_span_at(zone, end_s);
    if (span.begin_s != end_s) break;  // spans that do not meet: keep computing instead
  }
  zone.table_begins.clear();  // not expected: keep computing instead
  zone.table_offsets.clear();
}

/// The first instant whose local time is at or after the local second `local_s`.
std::int64_t first_instant_at_or_after(const zone_impl& zone, std::int64_t local_s) noexcept {
  // Offsets are under a day, so instants before local_s - 1 day are all earlier locally.
  offset_span span = span_at(zone, local_s - seconds_per_day);
  // Within two days there are a few transitions at most; the bound only guards the loop.
  for (int i = 0; i < 64; ++i) {
    if (span.end_s + span.offset_s > local_s) {
      return std::max(span.begin_s, local_s - span.offset_s);
    }
    span = span_at(zone, span.end_s);
  }
  return local_s - span.offset_s;
}

}  // namespace

/// Grants this file access to the handle's pointer.
struct time_zone_access {
  static const zone_impl& impl(time_zone zone) noexcept {
    return *static_cast<const zone_impl*>(zone.impl_);
  }
  static time_zone make(const zone_impl* impl) noexcept { return time_zone(impl); }
};

namespace {

/// The footer line of a TZif file (version 2 or later), or "" if there is none.
std::string read_tzif_footer(std::string_view name) {
  // The directories Howard Hinnant's date library reads (see its discover_tz_dir).
  for (const char* dir : {"/usr/share/zoneinfo/uclibc/", "/usr/share/zoneinfo/"}) {
    std::ifstream file(std::string(dir).append(name), std::ios::binary);
    if (!file) continue;
    constexpr std::size_t file_bytes_max = 1 << 20;  // real files are a few KiB
    std::string bytes;
    bytes.resize(file_bytes_max);
    file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(file.gcount()));
    if (bytes.size() < 45 || bytes.compare(0, 4, "TZif") != 0 || bytes[4] < '2') return {};
    // The file ends with "\n<footer>\n" and the footer holds no newline.
    if (bytes.back() != '\n') return {};
    const std::size_t open = bytes.rfind('\n', bytes.size() - 2);
    if (open == std::string::npos) return {};
    return bytes.substr(open + 1, bytes.size() - open - 2);
  }
  return {};
}

/// Builds the record for a zone of the date library: forces the library to load the zone now
/// (it loads lazily, on first use) and attaches the footer rule when it is consistent.
std::unique_ptr<zone_impl> make_zone_impl(const date::time_zone* zone) {
  auto impl = std::make_unique<zone_impl>();
  impl->zone = zone;
  impl->name = zone->name();
  // The last listed transition: date reports the span after it as unbounded.
  const date::sys_info last = zone->get_info(
      date::sys_seconds{std::chrono::seconds{days_from_civil(10'001, 1, 1) * seconds_per_day}});
  if (std::optional<posix_rule> rule = parse_posix_rule(read_tzif_footer(impl->name))) {
    const std::int64_t from_s = last.begin.time_since_epoch().count();
    // The format requires the footer to agree with the last transition; use it only then.
    if (rule_span(*rule, from_s).offset_s == last.offset.count()) {
      impl->rule = rule;
      impl->rule_from_s = from_s;
    }
  }
  build_span_table(*impl, days_from_civil(1900, 1, 1) * seconds_per_day,
                   days_from_civil(2200, 1, 1) * seconds_per_day);
  return impl;
}

}  // namespace

std::optional<time_zone> time_zone::locate(std::string_view iana_name) {
  if (iana_name == "UTC") return utc();
  // Intentionally never destroyed: handles must stay valid during static destruction too.
  static std::mutex* const mutex = new std::mutex;
  static auto* const registry = new std::map<const date::time_zone*, std::unique_ptr<zone_impl>>;
  try {
    const std::lock_guard<std::mutex> lock(*mutex);
    const date::time_zone* zone = date::locate_zone(iana_name);
    auto found = registry->find(zone);
    if (found == registry->end()) found = registry->emplace(zone, make_zone_impl(zone)).first;
    return time_zone_access::make(found->second.get());
  } catch (const std::bad_alloc&) {
    throw;
  } catch (...) {
    // date throws std::runtime_error for an unknown name or an unreadable database.
    return std::nullopt;
  }
}

time_zone time_zone::utc() noexcept {
  return time_zone(&utc_impl);
}

std::string_view time_zone::name() const noexcept {
  return time_zone_access::impl(*this).name;
}

duration utc_offset(timestamp t, time_zone zone) noexcept {
  const std::int64_t s = floor_div(micros_in_domain(t), micros_per_second);
  return duration::seconds(span_at(time_zone_access::impl(zone), s).offset_s);
}

civil_date local_date(timestamp t, time_zone zone) noexcept {
  const std::int64_t s = floor_div(micros_in_domain(t), micros_per_second);
  const std::int64_t offset_s = span_at(time_zone_access::impl(zone), s).offset_s;
  return make_date(floor_div(s + offset_s, seconds_per_day));
}

namespace {

timestamp start_of_day_days(std::int64_t days, time_zone zone) noexcept {
  const std::int64_t s =
      first_instant_at_or_after(time_zone_access::impl(zone), days * seconds_per_day);
  return {s * micros_per_second};
}

}  // namespace

timestamp start_of_day(civil_date date, time_zone zone) noexcept {
  return start_of_day_days(date_in_domain(date).days, zone);
}

duration local_time_of_day(timestamp t, time_zone zone) noexcept {
  const std::int64_t micros = micros_in_domain(t);
  const std::int64_t s = floor_div(micros, micros_per_second);
  const std::int64_t offset_s = span_at(time_zone_access::impl(zone), s).offset_s;
  return {floor_mod(micros + offset_s * micros_per_second, micros_per_day)};
}

timestamp local_instant(civil_date date, duration time_of_day, time_zone zone) noexcept {
  const std::int64_t tod = std::clamp<std::int64_t>(time_of_day.micros, 0, micros_per_day - 1);
  const std::int64_t local_micros = std::int64_t{date_in_domain(date).days} * micros_per_day + tod;
  const std::int64_t local_s = floor_div(local_micros, micros_per_second);
  const zone_impl& impl = time_zone_access::impl(zone);
  const std::int64_t s = first_instant_at_or_after(impl, local_s);
  // Where the clocks show local_s itself, keep the fraction of the second; in a gap the first
  // instant after the jump shows a later time, and is the answer as it is.
  if (s + span_at(impl, s).offset_s == local_s) {
    return {s * micros_per_second + floor_mod(local_micros, micros_per_second)};
  }
  return {s * micros_per_second};
}

timestamp start_of(calendar_unit unit, timestamp t, time_zone zone) noexcept {
  return start_of_day_days(period_start(unit, local_date(t, zone)), zone);
}

timestamp end_of(calendar_unit unit, timestamp t, time_zone zone) noexcept {
  return start_of_day_days(next_period_start(unit, local_date(t, zone)), zone) - duration{1};
}

// ---- Parsing ------------------------------------------------------------------------------

namespace {

/// Exactly `count` decimal digits at text[pos...], or nullopt.
std::optional<int> digits_at(std::string_view text, std::size_t pos, std::size_t count) noexcept {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

/// The day count of the `YYYY-MM-DD` at the start of `text` (years 0001..9999).
std::optional<std::int64_t> date_prefix(std::string_view text) noexcept {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::optional<int> y = digits_at(text, 0, 4);
  const std::optional<int> m = digits_at(text, 5, 2);
  const std::optional<int> d = digits_at(text, 8, 2);
  if (!y || !m || !d) return std::nullopt;
  const std::optional<civil_date> date = civil_date::from_ymd(*y, *m, *d);
  if (!date) return std::nullopt;
  return date->days;
}

}  // namespace

std::optional<civil_date> parse_date(std::string_view text) noexcept {
  if (text.size() != 10) return std::nullopt;
  const std::optional<std::int64_t> days = date_prefix(text);
  if (!days) return std::nullopt;
  return make_date(*days);
}

std::optional<timestamp> parse_timestamp(std::string_view text) noexcept {
  // YYYY-MM-DDTHH:MM:SS is 19 characters.
  const std::optional<std::int64_t> days = date_prefix(text);
  if (!days || text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::optional<int> h = digits_at(text, 11, 2);
  const std::optional<int> m = digits_at(text, 14, 2);
  const std::optional<int> s = digits_at(text, 17, 2);
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t fraction_micros = 0;
  if (text[pos] == '.') {
    ++pos;
    std::int64_t scale = duration::micros_per_second;
    const std::size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - first == 6) return std::nullopt;  // more than microseconds
      scale /= 10;
      fraction_micros += (text[pos] - '0') * scale;
      ++pos;
    }
    if (pos == first) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const std::optional<int> oh = digits_at(text, pos + 1, 2);
    const std::optional<int> om = digits_at(text, pos + 4, 2);
    if (!oh || !om || text[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset_s = (std::int64_t{*oh} * 3600 + *om * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t local_s = *days * seconds_per_day + *h * 3600 + *m * 60 + *s;
  const timestamp t{(local_s - offset_s) * micros_per_second + fraction_micros};
  if (t < timestamp::min() || t > timestamp::max()) return std::nullopt;
  return t;
}

std::optional<duration> parse_duration(std::string_view text) noexcept {
  std::size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++pos;
  constexpr std::array<std::pair<char, std::int64_t>, 4> units = {{
      {'d', duration::micros_per_day},
      {'h', duration::micros_per_hour},
      {'m', duration::micros_per_minute},
      {'s', duration::micros_per_second},
  }};
  std::size_t next_unit = 0;  // units must appear in order, each at most once
  std::int64_t total = 0;
  bool any = false;
  while (pos < text.size()) {
    std::int64_t value = 0;
    const std::size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_add_overflow(value, text[pos] - '0', &value)) {
        return std::nullopt;
      }
      ++pos;
    }
    if (pos == first || pos == text.size()) return std::nullopt;
    std::int64_t fraction_micros = 0;
    if (text[pos] == '.') {
      ++pos;
      std::int64_t scale = duration::micros_per_second;
      const std::size_t fraction_first = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (pos - fraction_first == 6) return std::nullopt;
        scale /= 10;
        fraction_micros += (text[pos] - '0') * scale;
        ++pos;
      }
      if (pos == fraction_first || pos == text.size() || text[pos] != 's') return std::nullopt;
    }
    while (next_unit < units.size() && units[next_unit].first != text[pos]) ++next_unit;
    if (next_unit == units.size()) return std::nullopt;
    // Accumulate with the sign, so that the most negative duration parses too.
    std::int64_t micros = 0;
    const std::int64_t sign = negative ? -1 : 1;
    if (__builtin_mul_overflow(value, units[next_unit].second * sign, &micros) ||
        __builtin_add_overflow(micros, fraction_micros * sign, &micros) ||
        __builtin_add_overflow(total, micros, &total)) {
      return std::nullopt;
    }
    ++next_unit;
    ++pos;
    any = true;
  }
  if (!any) return std::nullopt;
  return duration{total};
}

// ---- Formatting ---------------------------------------------------------------------------

namespace {

/// Writes `value` with at least `width` digits.
char* put_unsigned(char* out, std::uint64_t value, int width) noexcept {
  std::array<char, 20> digits{};
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int pad = width - static_cast<int>(n); pad > 0; --pad) *out++ = '0';
  while (n > 0) *out++ = digits[--n];
  return out;
}

char* put_two(char* out, int value) noexcept {
  return put_unsigned(out, static_cast<std::uint64_t>(value), 2);
}

char* put_days(char* out, std::int64_t days) noexcept {
  const ymd64 v = civil_from_days(days);
  if (v.year < 0) *out++ = '-';
  // |year| < 2^62: negation is safe.
  out = put_unsigned(out, static_cast<std::uint64_t>(v.year < 0 ? -v.year : v.year), 4);
  *out++ = '-';
  out = put_two(out, v.month);
  *out++ = '-';
  return put_two(out, v.day);
}

}  // namespace

char* format_to(char* out, civil_date date) noexcept {
  return put_days(out, date.days);
}

char* format_to(char* out, timestamp t) noexcept {
  const std::int64_t days = floor_div(t.micros, micros_per_day);
  const std::int64_t in_day = floor_mod(t.micros, micros_per_day);
  const std::int64_t s = in_day / micros_per_second;
  const std::int64_t micros = in_day % micros_per_second;
  out = put_days(out, days);
  *out++ = 'T';
  out = put_two(out, static_cast<int>(s / 3600));
  *out++ = ':';
  out = put_two(out, static_cast<int>(s / 60 % 60));
  *out++ = ':';
  out = put_two(out, static_cast<int>(s % 60));
  if (micros != 0) {
    *out++ = '.';
    out = put_unsigned(out, static_cast<std::uint64_t>(micros), 6);
  }
  *out++ = 'Z';
  return out;
}

char* format_to(char* out, duration d) noexcept {
  if (d.micros < 0) *out++ = '-';
  // Magnitude in unsigned arithmetic, so that INT64_MIN is exact too.
  const std::uint64_t magnitude = d.micros < 0 ? 0 - static_cast<std::uint64_t>(d.micros)
                                               : static_cast<std::uint64_t>(d.micros);
  constexpr std::uint64_t per_second = duration::micros_per_second;
  const std::uint64_t total_s = magnitude / per_second;
  const std::uint64_t micros = magnitude % per_second;
  const std::array<std::pair<std::uint64_t, char>, 3> parts = {{
      {total_s / 86'400, 'd'},
      {total_s / 3600 % 24, 'h'},
      {total_s / 60 % 60, 'm'},
  }};
  for (const auto& [value, unit] : parts) {
    if (value == 0) continue;
    out = put_unsigned(out, value, 1);
    *out++ = unit;
  }
  const std::uint64_t seconds = total_s % 60;
  if (seconds != 0 || micros != 0 || magnitude == 0) {
    out = put_unsigned(out, seconds, 1);
    if (micros != 0) {
      // Six digits without the trailing zeros: 1.5s, 0.000001s.
      std::array<char, 6> digits{};
      put_unsigned(digits.data(), micros, 6);
      std::size_t n = digits.size();
      while (digits[n - 1] == '0') --n;
      *out++ = '.';
      out = std::copy_n(digits.data(), n, out);
    }
    *out++ = 's';
  }
  return out;
}

namespace {

template <typename T>
std::string format_string(T value) {
  std::array<char, T::max_chars> buffer{};
  char* end = format_to(buffer.data(), value);
  return std::string(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
}

}  // namespace

std::string to_string(civil_date date) {
  return format_string(date);
}

std::string to_string(timestamp t) {
  return format_string(t);
}

std::string to_string(duration d) {
  return format_string(d);
}

}  // namespace loyalty
