// Expiry policies: when credited points stop being spendable, named in the program file.
//
// A policy is one explicit choice: never, a period after the clock starts (optionally rounded up
// to the end of a calendar day, week, month, quarter or year), fixed dates of the year, or
// inactivity of the whole wallet. expiry_instant() computes the instant a credit expires: the
// FIRST instant at which it is expired. The ledger compares `expires_at <= now` ("expired"),
// so a credit is spendable while `now < expires_at`, and its last valid instant is
// `expires_at - 1 microsecond` (end_of() of time.hpp, which is inclusive, plus one).
//
//   auto berlin = loyalty::time_zone::locate("Europe/Berlin").value();
//   auto policy = loyalty::expiry_policy::after(loyalty::calendar_period::months(12),
//                                               loyalty::calendar_unit::month);
//   auto earned = loyalty::parse_timestamp("2026-01-15T10:00:00+01:00").value();
//   loyalty::timestamp expires = loyalty::expiry_instant(policy, earned, berlin);
//   // 2027-02-01T00:00:00+01:00: valid through 31 January 2027, expired from 1 February.
//
// docs/ledger.md#expiry-policies describes every policy; docs/reference.md#expiry the YAML.
// Everything here is pure: no clock, no I/O, no allocation (but to_string), never throws.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/time.hpp"

namespace loyalty {

/// A calendar length: N days or N months, counted on the clocks of a time zone (the same local
/// time N days or months later; months clamp to the target month's length, like add_months).
struct calendar_period {
  enum class unit_kind : std::uint8_t { days, months };

  std::int32_t count = 0;
  unit_kind unit = unit_kind::days;

  /// The longest periods a program may name: 100 years either way.
  static constexpr std::int32_t max_days = 36'600;
  static constexpr std::int32_t max_months = 1'200;

  static constexpr calendar_period days(std::int32_t n) noexcept { return {n, unit_kind::days}; }
  static constexpr calendar_period months(std::int32_t n) noexcept {
    return {n, unit_kind::months};
  }

  friend constexpr bool operator==(const calendar_period&,
                                   const calendar_period&) noexcept = default;
};

/// Parses `<N> day`, `<N> days`, `<N> month` or `<N> months`: N is 0 to 999,999,999 written
/// with plain digits (no sign, no leading zero but in "0"), then exactly one space. "12 months",
/// "365 days", "1 day". nullopt for anything else ("1 year", "30d", "30", "+3 days").
std::optional<calendar_period> parse_calendar_period(std::string_view text) noexcept;
/// "12 months", "1 day", "0 days".
std::string to_string(calendar_period p);

/// `start` moved by `period` on the clocks of `zone`: the same local time of day, N calendar
/// days or months later (months clamped: 31 January + 1 month = 28 or 29 February). A local
/// time the clocks skip gives the first instant after the jump; one that happens twice, the
/// earlier (local_instant()). A result beyond timestamp::max() is timestamp::max(); a negative
/// count counts 0.
timestamp add_period(timestamp start, calendar_period period, time_zone zone) noexcept;

/// A day of the year, such as 31 March, for fixed expiry dates. Day 29 of month 2 is allowed
/// and means the last day of February: 28 February in a common year.
struct month_day {
  std::uint8_t month = 1;  ///< 1..12
  std::uint8_t day = 1;    ///< 1..the month's length in a leap year

  /// False for 0 or 13 as the month, or a day the month never has (04-31, 02-30).
  bool valid() const noexcept;

  friend constexpr auto operator<=>(const month_day&, const month_day&) noexcept = default;
};

/// Parses exactly `MM-DD` ("03-31", "02-29"); nullopt for anything else or an invalid day.
std::optional<month_day> parse_month_day(std::string_view text) noexcept;
/// "03-31".
std::string to_string(month_day md);

/// The kinds of policy.
enum class expiry_kind : std::uint8_t {
  never,        ///< credits never expire (the default)
  after,        ///< `period` after the clock starts, optionally rounded up by `round_to`
  fixed_dates,  ///< at the end of the first listed day at least `min_validity` after the start
  inactivity,   ///< every credit of the wallet expires when it has been inactive for `period`
};

/// When a credit's period starts.
enum class clock_start : std::uint8_t {
  earn,        ///< when it is credited (the default)
  activation,  ///< when a pending credit becomes spendable (at once for one that is not pending)
};

std::string_view to_string(expiry_kind k) noexcept;
std::string_view to_string(clock_start c) noexcept;

/// One expiry policy. Build it with the named constructors; each fills only the fields its kind
/// uses and leaves the others at their defaults (which valid() requires).
struct expiry_policy {
  expiry_kind kind = expiry_kind::never;
  /// after, inactivity: 1 to max_days days or 1 to max_months months.
  calendar_period period;
  /// after, inactivity: the end of validity is moved to the end of this calendar period (in the
  /// time zone) containing the last valid instant; nullopt: not rounded.
  std::optional<calendar_unit> round_to;
  /// fixed_dates: 1 to max_dates days of the year, sorted, each once.
  std::vector<month_day> dates;
  /// fixed_dates: a credit is valid at least this long (exactly: the instant start +
  /// min_validity - 1 microsecond is still valid). 0 to max_days days of 24 hours.
  duration min_validity;
  /// after, fixed_dates: when the period starts. Inactivity counts from the wallet's activity.
  clock_start clock = clock_start::earn;

  static constexpr std::size_t max_dates = 24;

  static expiry_policy never() noexcept { return {}; }
  static expiry_policy after(calendar_period period,
                             std::optional<calendar_unit> round_to = std::nullopt,
                             clock_start clock = clock_start::earn);
  static expiry_policy fixed_dates(std::vector<month_day> dates, duration min_validity = {},
                                   clock_start clock = clock_start::earn);
  static expiry_policy inactivity(calendar_period period,
                                  std::optional<calendar_unit> round_to = std::nullopt);

  /// An empty string when the policy is well formed (its kind's fields within their limits,
  /// the other fields at their defaults); otherwise what is wrong.
  std::string problem() const;

  friend bool operator==(const expiry_policy&, const expiry_policy&) = default;
};

/// When something whose clock starts at `start` expires under `policy` in `zone`: the FIRST
/// instant at which it is expired (valid while now < result).
///
/// - never: timestamp::max() (the ledger reads timestamp::max() as "never").
/// - after and inactivity: add_period(start, period); with round_to, the end of the calendar
///   period containing the last valid instant (result - 1us), plus 1us: the start of the next
///   day, week, month, quarter or year on the zone's clocks.
/// - fixed_dates: the start of the day after D, where D is the first listed day of the year on
///   or after the local date of (start + max(min_validity, 1us) - 1us). So the credit is valid
///   at least min_validity, and a credit earned on a listed day expires at the end of that day
///   when min_validity is 0.
///
/// The result is always after `start` (or timestamp::max()). Never overflows: a result beyond
/// timestamp::max() (year 9999) is timestamp::max(). Never throws. A policy that is not valid
/// (problem() not empty) gives timestamp::max().
timestamp expiry_instant(const expiry_policy& policy, timestamp start, time_zone zone) noexcept;

}  // namespace loyalty
