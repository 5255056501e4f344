// Unit tests for loyalty/expiry.hpp: every policy kind with exact instants. Instants around the
// DST changes in Europe/Berlin (2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00) were
// computed independently with Python's zoneinfo and are written out here.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loyalty/expiry.hpp"

namespace {

using loyalty::calendar_period;
using loyalty::calendar_unit;
using loyalty::clock_start;
using loyalty::duration;
using loyalty::expiry_instant;
using loyalty::expiry_kind;
using loyalty::expiry_policy;
using loyalty::month_day;
using loyalty::time_zone;
using loyalty::timestamp;

timestamp at(std::string_view text) {
  const std::optional<timestamp> t = loyalty::parse_timestamp(text);
  REQUIRE(t.has_value());
  return *t;
}

time_zone berlin() {
  const std::optional<time_zone> z = time_zone::locate("Europe/Berlin");
  REQUIRE(z.has_value());
  return *z;
}

month_day md(std::string_view text) {
  const std::optional<month_day> d = loyalty::parse_month_day(text);
  REQUIRE(d.has_value());
  return *d;
}

std::string text(timestamp t) {
  return loyalty::to_string(t);
}

constexpr duration one_us{1};

}  // namespace

TEST_CASE("calendar periods parse and print", "[expiry]") {
  CHECK(loyalty::parse_calendar_period("12 months") == calendar_period::months(12));
  CHECK(loyalty::parse_calendar_period("1 month") == calendar_period::months(1));
  CHECK(loyalty::parse_calendar_period("365 days") == calendar_period::days(365));
  CHECK(loyalty::parse_calendar_period("1 day") == calendar_period::days(1));
  CHECK(loyalty::parse_calendar_period("0 days") == calendar_period::days(0));
  for (const char* bad : {"1 year", "30d", "30", "+3 days", "-3 days", "012 days", "3  days",
                          "3 Days", " 3 days", "3 days ", "", "days", "1000000000 days"}) {
    INFO(bad);
    CHECK_FALSE(loyalty::parse_calendar_period(bad).has_value());
  }
  CHECK(loyalty::to_string(calendar_period::months(12)) == "12 months");
  CHECK(loyalty::to_string(calendar_period::days(1)) == "1 day");
  CHECK(loyalty::to_string(calendar_period::days(0)) == "0 days");
}

TEST_CASE("days of the year parse exactly MM-DD", "[expiry]") {
  CHECK(md("03-31") == month_day{3, 31});
  CHECK(md("02-29") == month_day{2, 29});
  CHECK(md("12-31") == month_day{12, 31});
  for (const char* bad : {"02-30", "04-31", "13-01", "00-10", "01-00", "3-31", "03-1", "03/31",
                          "2026-03-31", "03-31 ", "", "ab-cd"}) {
    INFO(bad);
    CHECK_FALSE(loyalty::parse_month_day(bad).has_value());
  }
  CHECK(loyalty::to_string(month_day{3, 1}) == "03-01");
  CHECK_FALSE(month_day{4, 31}.valid());
  CHECK(month_day{2, 29}.valid());
}

TEST_CASE("add_period: the same local time N days or months later, month ends clamped",
          "[expiry]") {
  const time_zone utc = time_zone::utc();
  // 31 January + 1 month: the end of February, 28 or 29 days.
  CHECK(text(add_period(at("2026-01-31T10:00:00Z"), calendar_period::months(1), utc)) ==
        "2026-02-28T10:00:00Z");
  CHECK(text(add_period(at("2024-01-31T10:00:00Z"), calendar_period::months(1), utc)) ==
        "2024-02-29T10:00:00Z");
  CHECK(text(add_period(at("2024-02-29T10:00:00Z"), calendar_period::months(12), utc)) ==
        "2025-02-28T10:00:00Z");
  CHECK(text(add_period(at("2026-01-15T10:00:00Z"), calendar_period::days(30), utc)) ==
        "2026-02-14T10:00:00Z");
  CHECK(text(add_period(at("2026-01-31T10:00:00+01:00"), calendar_period::months(1), berlin())) ==
        "2026-02-28T09:00:00Z");
  // A calendar day is 23 hours across the spring change, 25 across the autumn one.
  CHECK(text(add_period(at("2026-03-28T12:00:00+01:00"), calendar_period::days(1), berlin())) ==
        "2026-03-29T10:00:00Z");
  CHECK(text(add_period(at("2026-10-24T12:00:00+02:00"), calendar_period::days(1), berlin())) ==
        "2026-10-25T11:00:00Z");
  // 02:30 does not exist on 29 March: the first instant after the jump, 03:00 CEST.
  CHECK(text(add_period(at("2026-03-28T02:30:00+01:00"), calendar_period::days(1), berlin())) ==
        "2026-03-29T01:00:00Z");
  // 02:30 happens twice on 25 October: the earlier, 02:30 CEST.
  CHECK(text(add_period(at("2026-10-24T02:30:00+02:00"), calendar_period::days(1), berlin())) ==
        "2026-10-25T00:30:00Z");
  // Fractions of a second are kept.
  CHECK(add_period(at("2026-01-01T00:00:00.250000Z"), calendar_period::days(1), utc) ==
        at("2026-01-02T00:00:00.250000Z"));
  // Past the supported range: never (timestamp::max()). A count of 0 or less: the start.
  CHECK(add_period(at("9999-12-01T00:00:00Z"), calendar_period::months(1), utc) ==
        timestamp::max());
  CHECK(add_period(at("2026-01-01T00:00:00Z"), calendar_period::days(0), utc) ==
        at("2026-01-01T00:00:00Z"));
}

TEST_CASE("never never expires", "[expiry]") {
  CHECK(expiry_instant(expiry_policy::never(), at("2026-01-01T00:00:00Z"), berlin()) ==
        timestamp::max());
  CHECK(expiry_policy::never().problem().empty());
  CHECK(expiry_policy{}.kind == expiry_kind::never);
}

TEST_CASE("after: a period, then the end of the day, week, month, quarter or year", "[expiry]") {
  const time_zone tz = berlin();
  const auto after = [&](calendar_period p, std::optional<calendar_unit> round_to,
                         const char* start) {
    return text(expiry_instant(expiry_policy::after(p, round_to), at(start), tz));
  };
  // The header's example: valid through 31 January 2027, expired from 1 February 00:00 CET.
  CHECK(after(calendar_period::months(12), calendar_unit::month, "2026-01-15T10:00:00+01:00") ==
        "2027-01-31T23:00:00Z");
  // Not rounded: exactly the period on the zone's clocks (2026-03-27 15:00 CET).
  CHECK(after(calendar_period::days(7), std::nullopt, "2026-03-20T15:00:00+01:00") ==
        "2026-03-27T14:00:00Z");
  // Friday 2026-03-27 15:00 CET rounded to each unit. The week (Monday to Sunday) ends on the
  // Sunday clocks go forward: it expires at Monday 00:00 CEST, 22:00Z.
  CHECK(after(calendar_period::days(7), calendar_unit::day, "2026-03-20T15:00:00+01:00") ==
        "2026-03-27T23:00:00Z");
  CHECK(after(calendar_period::days(7), calendar_unit::week, "2026-03-20T15:00:00+01:00") ==
        "2026-03-29T22:00:00Z");
  CHECK(after(calendar_period::days(7), calendar_unit::month, "2026-03-20T15:00:00+01:00") ==
        "2026-03-31T22:00:00Z");
  CHECK(after(calendar_period::days(7), calendar_unit::quarter, "2026-03-20T15:00:00+01:00") ==
        "2026-03-31T22:00:00Z");
  CHECK(after(calendar_period::days(7), calendar_unit::year, "2026-03-20T15:00:00+01:00") ==
        "2026-12-31T23:00:00Z");
  // Across the autumn change: 25 October has 25 hours; the day ends at 00:00 CET.
  CHECK(after(calendar_period::days(1), calendar_unit::day, "2026-10-24T10:00:00+02:00") ==
        "2026-10-25T23:00:00Z");
  CHECK(after(calendar_period::months(3), calendar_unit::quarter, "2026-05-10T09:00:00+02:00") ==
        "2026-09-30T22:00:00Z");
  // A period that ends exactly at the start of a month is valid to the end of the month before,
  // not of the month it ends at.
  CHECK(after(calendar_period::months(1), calendar_unit::month, "2026-02-01T00:00:00+01:00") ==
        "2026-02-28T23:00:00Z");
  CHECK(after(calendar_period::months(1), calendar_unit::month,
              "2026-02-01T00:00:00.000001+01:00") == "2026-03-31T22:00:00Z");
  // 31 January + 1 month in a leap year, rounded to the day: through 29 February.
  CHECK(after(calendar_period::months(1), calendar_unit::day, "2028-01-31T18:00:00+01:00") ==
        "2028-02-29T23:00:00Z");
  // Beyond the supported range: never. (The year 9999 ends in Berlin an hour before it ends in
  // UTC, so there it is still an instant.)
  const expiry_policy to_year_end =
      expiry_policy::after(calendar_period::months(1), calendar_unit::year);
  CHECK(text(expiry_instant(to_year_end, at("9999-11-15T00:00:00Z"), tz)) ==
        "9999-12-31T23:00:00Z");
  CHECK(expiry_instant(to_year_end, at("9999-11-15T00:00:00Z"), time_zone::utc()) ==
        timestamp::max());
}

TEST_CASE("the expiry instant is the first instant that is expired", "[expiry]") {
  // Valid while now < expires_at: the last valid instant prints as 23:59:59.999999 local.
  const time_zone tz = berlin();
  const timestamp expires =
      expiry_instant(expiry_policy::after(calendar_period::days(7), calendar_unit::week),
                     at("2026-03-20T15:00:00+01:00"), tz);
  CHECK(loyalty::end_of(calendar_unit::week, expires - one_us, tz) == expires - one_us);
  CHECK(text(expires - one_us) == "2026-03-29T21:59:59.999999Z");  // Sunday 23:59:59.999999 CEST
}

TEST_CASE("fixed dates: the end of the first listed day at least min_validity away", "[expiry]") {
  const time_zone tz = berlin();
  const expiry_policy half_years = expiry_policy::fixed_dates({md("09-30"), md("03-31")});
  CHECK(half_years.dates == std::vector<month_day>{md("03-31"), md("09-30")});  // sorted
  CHECK(half_years.problem().empty());
  // Earned on a listed day: valid to its end.
  CHECK(text(expiry_instant(half_years, at("2026-03-31T10:00:00+02:00"), tz)) ==
        "2026-03-31T22:00:00Z");
  CHECK(text(expiry_instant(half_years, at("2026-04-01T00:00:00+02:00"), tz)) ==
        "2026-09-30T22:00:00Z");
  // Over the end of the year: 31 March of the next year.
  CHECK(text(expiry_instant(half_years, at("2026-12-15T12:00:00+01:00"), tz)) ==
        "2027-03-31T22:00:00Z");

  // min_validity 30 days: valid at least 30 * 24 hours. Exactly at the edge: 2026-03-01T22:00Z
  // + 30 days is 1 April 00:00 CEST, the end of 31 March, so 31 March still does...
  const expiry_policy with_min =
      expiry_policy::fixed_dates({md("03-31"), md("09-30")}, duration::days(30));
  CHECK(text(expiry_instant(with_min, at("2026-03-01T22:00:00Z"), tz)) == "2026-03-31T22:00:00Z");
  // ... and one microsecond later it does not: 30 September.
  CHECK(text(expiry_instant(with_min, at("2026-03-01T22:00:00.000001Z"), tz)) ==
        "2026-09-30T22:00:00Z");
  CHECK(text(expiry_instant(with_min, at("2026-03-15T12:00:00+01:00"), tz)) ==
        "2026-09-30T22:00:00Z");

  // 29 February in a common year is 28 February.
  const expiry_policy leap_day = expiry_policy::fixed_dates({md("02-29")});
  CHECK(text(expiry_instant(leap_day, at("2027-02-10T12:00:00+01:00"), tz)) ==
        "2027-02-28T23:00:00Z");
  CHECK(text(expiry_instant(leap_day, at("2027-02-28T20:00:00+01:00"), tz)) ==
        "2027-02-28T23:00:00Z");
  CHECK(text(expiry_instant(leap_day, at("2027-03-01T00:00:00+01:00"), tz)) ==
        "2028-02-29T23:00:00Z");
  CHECK(text(expiry_instant(leap_day, at("2028-02-10T12:00:00+01:00"), tz)) ==
        "2028-02-29T23:00:00Z");
  // 28 and 29 February listed both: the same day in a common year.
  const expiry_policy both = expiry_policy::fixed_dates({md("02-28"), md("02-29")});
  CHECK(text(expiry_instant(both, at("2028-02-28T12:00:00+01:00"), tz)) == "2028-02-28T23:00:00Z");
  CHECK(text(expiry_instant(both, at("2028-02-29T12:00:00+01:00"), tz)) == "2028-02-29T23:00:00Z");
  CHECK(text(expiry_instant(both, at("2027-02-28T12:00:00+01:00"), tz)) == "2027-02-28T23:00:00Z");
  // Beyond the supported range: never.
  CHECK(expiry_instant(half_years, at("9999-10-01T00:00:00Z"), tz) == timestamp::max());
}

TEST_CASE("inactivity counts a period from the activity, rounded like after", "[expiry]") {
  const expiry_policy p = expiry_policy::inactivity(calendar_period::months(6), calendar_unit::day);
  CHECK(p.problem().empty());
  CHECK(text(expiry_instant(p, at("2026-04-30T18:00:00+02:00"), berlin())) ==
        "2026-10-30T23:00:00Z");
}

TEST_CASE("a policy says what is wrong with it", "[expiry]") {
  CHECK_FALSE(expiry_policy::after(calendar_period::days(0)).problem().empty());
  CHECK_FALSE(expiry_policy::after(calendar_period::months(1201)).problem().empty());
  CHECK(expiry_policy::after(calendar_period::months(1200)).problem().empty());
  CHECK_FALSE(expiry_policy::inactivity(calendar_period::days(36'601)).problem().empty());
  CHECK_FALSE(expiry_policy::fixed_dates({}).problem().empty());
  CHECK_FALSE(expiry_policy::fixed_dates({md("03-31"), md("03-31")}).problem().empty());
  CHECK_FALSE(expiry_policy::fixed_dates({md("03-31")}, duration{-1}).problem().empty());
  std::vector<month_day> many;
  for (std::uint8_t m = 1; m <= 12; ++m) {
    many.push_back({m, 1});
    many.push_back({m, 15});
  }
  CHECK(expiry_policy::fixed_dates(many).problem().empty());
  many.push_back({12, 31});
  CHECK_FALSE(expiry_policy::fixed_dates(many).problem().empty());

  expiry_policy p = expiry_policy::inactivity(calendar_period::days(30));
  p.clock = clock_start::activation;
  CHECK_FALSE(p.problem().empty());
  p = expiry_policy::never();
  p.round_to = calendar_unit::day;
  CHECK_FALSE(p.problem().empty());
  p = expiry_policy::after(calendar_period::days(30));
  p.dates = {md("03-31")};
  CHECK_FALSE(p.problem().empty());
  p = expiry_policy::fixed_dates({md("03-31")});
  p.dates.push_back(md("01-31"));  // not sorted
  CHECK_FALSE(p.problem().empty());
  // A policy that is not well formed never expires anything.
  CHECK(expiry_instant(p, at("2026-01-01T00:00:00Z"), time_zone::utc()) == timestamp::max());

  CHECK(loyalty::to_string(expiry_kind::fixed_dates) == "fixed_dates");
  CHECK(loyalty::to_string(clock_start::activation) == "activation");
}
