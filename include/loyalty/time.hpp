// Calendar and time: instants, calendar dates, durations, IANA time zones, calendar periods,
// anniversaries, and exact text formats. Used by date functions in rules and by expiry policies.
//
// Nothing here reads a clock: the host passes the current time in as a `timestamp`. Time zones
// are looked up by name once, at load time; every other function is pure, deterministic,
// allocates nothing (except to_string) and never throws.
//
//   auto berlin = loyalty::time_zone::locate("Europe/Berlin").value();
//   auto now = loyalty::parse_timestamp("2026-03-29T10:15:00+02:00").value();
//   loyalty::civil_date today = loyalty::local_date(now, berlin);                  // 2026-03-29
//   loyalty::timestamp expires = loyalty::end_of(loyalty::calendar_unit::month, now, berlin);
//   fmt::print("{}\n", loyalty::to_string(expires));             // 2026-03-31T21:59:59.999999Z
//   auto due = loyalty::add_months(today, 1);                                      // 2026-04-29
//
// Supported range: years 0001 to 9999 (proleptic Gregorian calendar, Unix time without leap
// seconds). See docs/time.md for the range rules, the time zone rules and the feb29 policy.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loyalty {

// ---- Durations and instants ---------------------------------------------------------------

/// An exact length of time in microseconds; may be negative. A `duration::days(1)` is exactly
/// 24 hours: for calendar days and months (23 or 25 hours across a DST change, 28 to 31 days)
/// use the civil_date functions.
///
/// Arithmetic follows the built-in integers: the result must fit in 64 bits (about +-292,000
/// years), which every value within the supported range does.
struct duration {
  std::int64_t micros = 0;

  static constexpr std::int64_t micros_per_second = 1'000'000;
  static constexpr std::int64_t micros_per_minute = 60 * micros_per_second;
  static constexpr std::int64_t micros_per_hour = 60 * micros_per_minute;
  static constexpr std::int64_t micros_per_day = 24 * micros_per_hour;

  static constexpr duration days(std::int64_t n) noexcept { return {n * micros_per_day}; }
  static constexpr duration hours(std::int64_t n) noexcept { return {n * micros_per_hour}; }
  static constexpr duration minutes(std::int64_t n) noexcept { return {n * micros_per_minute}; }
  static constexpr duration seconds(std::int64_t n) noexcept { return {n * micros_per_second}; }

  /// Buffer size format_to() needs for any value.
  static constexpr std::size_t max_chars = 32;

  friend constexpr auto operator<=>(const duration&, const duration&) noexcept = default;
};

constexpr duration operator+(duration a, duration b) noexcept {
  return {a.micros + b.micros};
}
constexpr duration operator-(duration a, duration b) noexcept {
  return {a.micros - b.micros};
}
constexpr duration operator-(duration a) noexcept {
  return {-a.micros};
}

/// An instant: microseconds since 1970-01-01T00:00:00Z, Unix time (no leap seconds).
/// The supported range is min() to max(); see docs/time.md for values outside it.
struct timestamp {
  std::int64_t micros = 0;

  /// 0001-01-01T00:00:00Z
  static constexpr timestamp min() noexcept { return {-62'135'596'800'000'000}; }
  /// 9999-12-31T23:59:59.999999Z
  static constexpr timestamp max() noexcept { return {253'402'300'799'999'999}; }

  /// Buffer size format_to() needs for any value.
  static constexpr std::size_t max_chars = 32;

  friend constexpr auto operator<=>(const timestamp&, const timestamp&) noexcept = default;
};

constexpr timestamp operator+(timestamp t, duration d) noexcept {
  return {t.micros + d.micros};
}
constexpr timestamp operator+(duration d, timestamp t) noexcept {
  return {t.micros + d.micros};
}
constexpr timestamp operator-(timestamp t, duration d) noexcept {
  return {t.micros - d.micros};
}
/// The signed time from `b` to `a`.
constexpr duration operator-(timestamp a, timestamp b) noexcept {
  return {a.micros - b.micros};
}
constexpr timestamp& operator+=(timestamp& t, duration d) noexcept {
  t.micros += d.micros;
  return t;
}
constexpr timestamp& operator-=(timestamp& t, duration d) noexcept {
  t.micros -= d.micros;
  return t;
}

// ---- Calendar dates -----------------------------------------------------------------------

/// A calendar date with no time zone: days since 1970-01-01 (negative before). Proleptic
/// Gregorian. The supported range is min() (0001-01-01) to max() (9999-12-31).
struct civil_date {
  std::int32_t days = 0;

  /// The date year-month-day, or nullopt if it does not exist (2026-02-30) or lies outside the
  /// supported range.
  static std::optional<civil_date> from_ymd(int year, int month, int day) noexcept;

  static constexpr civil_date min() noexcept { return {-719'162}; }
  static constexpr civil_date max() noexcept { return {2'932'896}; }

  /// Buffer size format_to() needs for any value.
  static constexpr std::size_t max_chars = 16;

  friend constexpr auto operator<=>(const civil_date&, const civil_date&) noexcept = default;
};

/// The three fields of a civil_date.
struct year_month_day {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31

  friend constexpr bool operator==(const year_month_day&, const year_month_day&) noexcept = default;
};

// Accessors. Exact for every civil_date value, not only the supported range.

year_month_day to_ymd(civil_date date) noexcept;
int year(civil_date date) noexcept;
/// 1 = January ... 12 = December.
int month(civil_date date) noexcept;
/// 1..31.
int day_of_month(civil_date date) noexcept;
/// 1 (January to March) ... 4 (October to December).
int quarter(civil_date date) noexcept;
/// 1..366; 1 January is 1.
int day_of_year(civil_date date) noexcept;
/// ISO 8601 weekday: 1 = Monday ... 7 = Sunday. 2026-11-22 is 7.
int day_of_week(civil_date date) noexcept;

bool is_leap_year(int year) noexcept;
/// 28..31; precondition 1 <= month <= 12.
int days_in_month(int year, int month) noexcept;

// Date arithmetic. The result is nullopt when it falls outside the supported range.

/// `date` moved by `days` (negative moves back).
std::optional<civil_date> add_days(civil_date date, std::int64_t days) noexcept;
/// `date` moved by whole months; the day is clamped to the target month's length:
/// 2025-01-31 + 1 month = 2025-02-28, 2024-01-31 + 1 month = 2024-02-29.
std::optional<civil_date> add_months(civil_date date, std::int64_t months) noexcept;
/// add_months(date, 12 * years): 2024-02-29 + 1 year = 2025-02-28.
std::optional<civil_date> add_years(civil_date date, std::int64_t years) noexcept;

/// b - a in days (negative when b is before a).
std::int64_t days_between(civil_date a, civil_date b) noexcept;
/// Whole months from a to b, counted from a's day with add_months: for b >= a the largest n
/// with add_months(a, n) <= b; for b < a the smallest n with add_months(a, n) >= b (so the
/// count truncates toward zero). 2026-01-31 to 2026-02-28 is 1; 2026-01-15 to 2026-02-14 is 0.
int months_between(civil_date a, civil_date b) noexcept;
/// Whole years from a to b, as months_between with add_years.
int years_between(civil_date a, civil_date b) noexcept;

// ---- Time zones ---------------------------------------------------------------------------

/// An IANA time zone from the system database (tzdata). A cheap, trivially copyable handle to
/// a zone that, once located, stays valid until the process exits. Thread-safe.
class time_zone {
 public:
  /// The zone named `iana_name` ("Europe/Berlin"), or nullopt if the name is unknown or the
  /// time zone database cannot be read. Reads the database (files) the first time a name is
  /// located: call it at load time, not per event. Only std::bad_alloc can escape.
  static std::optional<time_zone> locate(std::string_view iana_name);
  /// Coordinated Universal Time; built in, needs no database. locate("UTC") returns this zone.
  static time_zone utc() noexcept;

  /// The name the zone was located by, e.g. "Europe/Berlin".
  std::string_view name() const noexcept;

  /// Same zone: located by the same name. Links are separate zones ("US/Eastern" is not equal
  /// to "America/New_York", though they convert identically).
  friend bool operator==(const time_zone&, const time_zone&) noexcept = default;

 private:
  explicit constexpr time_zone(const void* impl) noexcept : impl_(impl) {}
  friend struct time_zone_access;
  const void* impl_;
};

/// The UTC offset in force at `t` in `zone`: +02:00 is duration::hours(2).
duration utc_offset(timestamp t, time_zone zone) noexcept;
/// The calendar date in `zone` at the instant `t`.
civil_date local_date(timestamp t, time_zone zone) noexcept;
/// The first instant of `date` in `zone`: local midnight. When midnight does not exist (clocks
/// jump over it) the first instant after the jump; when it exists twice, the earlier one.
timestamp start_of_day(civil_date date, time_zone zone) noexcept;
/// The local time of day of `t` in `zone`: from 0 to 24 hours (exclusive), as the clocks there
/// show it. 2026-03-29T10:15:00+02:00 in Europe/Berlin is 10h15m.
duration local_time_of_day(timestamp t, time_zone zone) noexcept;
/// The instant at which the clocks in `zone` show `date` at `time_of_day` (0 to 24 hours,
/// exclusive; clamped to that range). The rule of start_of_day: the first instant at which the
/// local clock shows that date and time or later. So a local time that clocks jump over (02:30
/// on the day summer time starts in Berlin) gives the first instant after the jump (03:00
/// CEST), and one that happens twice gives the earlier instant.
/// local_instant(local_date(t), local_time_of_day(t)) is t, except in the second pass of an
/// overlap. The result may lie up to a day beyond timestamp::max() for 9999-12-31.
timestamp local_instant(civil_date date, duration time_of_day, time_zone zone) noexcept;

// ---- Calendar periods ---------------------------------------------------------------------

/// A calendar period. Weeks are ISO weeks (Monday to Sunday); quarters start in January, April,
/// July and October.
enum class calendar_unit : std::uint8_t { day, week, month, quarter, year };

/// The YAML name of a unit: "day", "week", "month", "quarter", "year".
std::string_view to_string(calendar_unit unit) noexcept;
/// The unit named `name`, or nullopt.
std::optional<calendar_unit> parse_calendar_unit(std::string_view name) noexcept;

/// The first day of the period containing `date`: start_of(week, 2026-01-01) = 2025-12-29.
civil_date start_of(calendar_unit unit, civil_date date) noexcept;
/// The last day of the period containing `date`: end_of(quarter, 2026-05-15) = 2026-06-30.
civil_date end_of(calendar_unit unit, civil_date date) noexcept;

/// The first instant of the period containing `t` in `zone`: start_of_day of its first day.
timestamp start_of(calendar_unit unit, timestamp t, time_zone zone) noexcept;
/// The last instant of the period containing `t` in `zone`: the start of the next period minus
/// 1 microsecond. Inclusive on purpose: "valid until end_of(month)" then reads as `t <= end`,
/// and the value prints as the 23:59:59.999999 people expect, not as the next period's midnight.
timestamp end_of(calendar_unit unit, timestamp t, time_zone zone) noexcept;

// ---- Anniversaries ------------------------------------------------------------------------

/// Which day celebrates a 29 February date in a common year. Systems disagree, so a program
/// names the rule; there is no default.
enum class feb29_rule : std::uint8_t {
  feb28,  ///< the last day of February
  mar1,   ///< the day after 28 February
};

/// The YAML name of a rule: "feb28" or "mar1".
std::string_view to_string(feb29_rule rule) noexcept;
/// The rule named `name`, or nullopt.
std::optional<feb29_rule> parse_feb29_rule(std::string_view name) noexcept;

/// The day in `in_year` with the month and day of `since` (29 February moved by `rule` in a
/// common year). anniversary_in_year(since, year(since), rule) is `since` itself.
civil_date anniversary_in_year(civil_date since, int in_year, feb29_rule rule) noexcept;
/// True when `day` is the 1st, 2nd, ... anniversary of `since`. `since` itself (year 0) and
/// any day before it are not anniversaries.
bool is_anniversary(civil_date since, civil_date day, feb29_rule rule) noexcept;
/// The number of anniversaries of `since` up to and including `day`: the age on `day` of
/// someone born on `since`. Negative when `day` is before `since` (whole years counted
/// backwards). With feb29_rule::feb28 this equals years_between(since, day).
int completed_years(civil_date since, civil_date day, feb29_rule rule) noexcept;
/// The first anniversary (1st or later) of `since` on or after `on_or_after`: on the birthday
/// itself, that day.
civil_date next_anniversary(civil_date since, civil_date on_or_after, feb29_rule rule) noexcept;

// ---- Text ---------------------------------------------------------------------------------

/// Parses exactly `YYYY-MM-DD` (2026-02-03), years 0001..9999. No other form: not 2026-2-3,
/// not 2026-02-30, no spaces.
std::optional<civil_date> parse_date(std::string_view text) noexcept;
/// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)` with 1 to 6 fractional digits and
/// a required offset; upper-case `T` and `Z` only; no leap second (:60). The instant must lie
/// in the supported range.
std::optional<timestamp> parse_timestamp(std::string_view text) noexcept;
/// Parses a duration: an optional `-`, then one or more of `<n>d`, `<n>h`, `<n>m`, `<n>s` in
/// this order, each at most once; seconds may have 1 to 6 fractional digits. "30d", "1d12h",
/// "90m", "1.5s", "-2h". Months and years are not durations (use add_months).
std::optional<duration> parse_duration(std::string_view text) noexcept;

/// "2026-11-22". Years outside 0000..9999 print with more digits or a sign.
std::string to_string(civil_date date);
/// UTC with `Z`: "2026-03-29T08:15:00Z"; six fractional digits when not a whole second:
/// "2026-03-29T08:15:00.250000Z".
std::string to_string(timestamp t);
/// Normalised: "1d12h", "1h30m", "1.5s", "-2h", "0s".
std::string to_string(duration d);

/// Write the same text as to_string() to `out` (at least T::max_chars bytes, not terminated)
/// and return one past the last character written. Allocate nothing.
char* format_to(char* out, civil_date date) noexcept;
char* format_to(char* out, timestamp t) noexcept;
char* format_to(char* out, duration d) noexcept;

}  // namespace loyalty
