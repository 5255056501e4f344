// Unit tests for loyalty/time.hpp. Expected instants around DST changes were computed
// independently (Python's zoneinfo, which reads the same tzdata files) and are written out here.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "loyalty/time.hpp"

namespace {

using loyalty::calendar_unit;
using loyalty::civil_date;
using loyalty::duration;
using loyalty::feb29_rule;
using loyalty::time_zone;
using loyalty::timestamp;

civil_date date(std::string_view text) {
  const std::optional<civil_date> d = loyalty::parse_date(text);
  REQUIRE(d.has_value());
  return *d;
}

timestamp instant(std::string_view text) {
  const std::optional<timestamp> t = loyalty::parse_timestamp(text);
  REQUIRE(t.has_value());
  return *t;
}

time_zone zone(std::string_view name) {
  const std::optional<time_zone> z = time_zone::locate(name);
  REQUIRE(z.has_value());
  return *z;
}

/// Text of an optional value, "nullopt" when empty: comparing text shows both sides on failure.
template <typename T>
std::string text(const std::optional<T>& value) {
  return value ? loyalty::to_string(*value) : std::string("nullopt");
}
template <typename T>
std::string text(const T& value) {
  return loyalty::to_string(value);
}

/// The length of local day `day` in `z`, in hours.
std::int64_t day_hours(std::string_view day, time_zone z) {
  const civil_date d = date(day);
  const timestamp start = loyalty::start_of_day(d, z);
  const timestamp next = loyalty::start_of_day(*loyalty::add_days(d, 1), z);
  return (next - start).micros / duration::micros_per_hour;
}

constexpr std::array<calendar_unit, 5> all_units = {calendar_unit::day, calendar_unit::week,
                                                    calendar_unit::month, calendar_unit::quarter,
                                                    calendar_unit::year};

}  // namespace

TEST_CASE("time types are small trivially copyable values", "[time]") {
  STATIC_REQUIRE(std::is_trivially_copyable_v<timestamp>);
  STATIC_REQUIRE(std::is_trivially_copyable_v<duration>);
  STATIC_REQUIRE(std::is_trivially_copyable_v<civil_date>);
  STATIC_REQUIRE(std::is_trivially_copyable_v<time_zone>);
  STATIC_REQUIRE(sizeof(timestamp) == 8);
  STATIC_REQUIRE(sizeof(civil_date) == 4);
  STATIC_REQUIRE(sizeof(time_zone) == sizeof(void*));
  STATIC_REQUIRE(timestamp{5} < timestamp{6});
  STATIC_REQUIRE(civil_date{-1} < civil_date{0});
  STATIC_REQUIRE(duration::days(1) == duration::hours(24));
  STATIC_REQUIRE(duration::minutes(90) == duration::hours(1) + duration::minutes(30));
  STATIC_REQUIRE((timestamp{10} + duration::seconds(1)).micros == 1'000'010);
  STATIC_REQUIRE(timestamp{10} - timestamp{25} == duration{-15});
}

TEST_CASE("civil dates: from_ymd, fields and the supported range", "[time]") {
  CHECK(loyalty::civil_date::from_ymd(1970, 1, 1)->days == 0);
  CHECK(loyalty::civil_date::from_ymd(2000, 1, 1)->days == 10'957);
  CHECK(loyalty::civil_date::from_ymd(2024, 2, 29)->days == 19'782);
  CHECK(loyalty::civil_date::from_ymd(2026, 11, 22)->days == 20'779);
  CHECK(loyalty::civil_date::from_ymd(1, 1, 1) == civil_date::min());
  CHECK(loyalty::civil_date::from_ymd(9999, 12, 31) == civil_date::max());

  CHECK_FALSE(civil_date::from_ymd(2026, 2, 29));
  CHECK_FALSE(civil_date::from_ymd(2026, 2, 30));
  CHECK_FALSE(civil_date::from_ymd(2026, 4, 31));
  CHECK_FALSE(civil_date::from_ymd(1900, 2, 29));  // divisible by 100, not by 400
  CHECK(civil_date::from_ymd(2000, 2, 29));        // divisible by 400
  CHECK_FALSE(civil_date::from_ymd(2026, 0, 1));
  CHECK_FALSE(civil_date::from_ymd(2026, 13, 1));
  CHECK_FALSE(civil_date::from_ymd(2026, 1, 0));
  CHECK_FALSE(civil_date::from_ymd(0, 12, 31));
  CHECK_FALSE(civil_date::from_ymd(10'000, 1, 1));

  const civil_date d = date("2026-11-22");
  CHECK(loyalty::to_ymd(d) == loyalty::year_month_day{2026, 11, 22});
  CHECK(loyalty::year(d) == 2026);
  CHECK(loyalty::month(d) == 11);
  CHECK(loyalty::day_of_month(d) == 22);
  CHECK(loyalty::quarter(d) == 4);
  CHECK(loyalty::day_of_year(d) == 326);
  CHECK(loyalty::day_of_year(date("2024-12-31")) == 366);
  CHECK(loyalty::day_of_year(date("2025-12-31")) == 365);
  CHECK(loyalty::day_of_year(date("2024-03-01")) == 61);
  CHECK(loyalty::day_of_year(date("2025-03-01")) == 60);
  CHECK(loyalty::quarter(date("2026-03-31")) == 1);
  CHECK(loyalty::quarter(date("2026-04-01")) == 2);
  CHECK(loyalty::quarter(date("2026-09-30")) == 3);
  CHECK(loyalty::quarter(date("2026-10-01")) == 4);

  CHECK(loyalty::is_leap_year(2024));
  CHECK_FALSE(loyalty::is_leap_year(2025));
  CHECK_FALSE(loyalty::is_leap_year(2100));
  CHECK(loyalty::is_leap_year(2400));
  CHECK(loyalty::days_in_month(2024, 2) == 29);
  CHECK(loyalty::days_in_month(2025, 2) == 28);
  CHECK(loyalty::days_in_month(2025, 4) == 30);
  CHECK(loyalty::days_in_month(2025, 12) == 31);
}

TEST_CASE("ISO weekday of known dates", "[time]") {
  struct known {
    const char* day;
    int iso_weekday;
  };
  const std::array<known, 9> table = {{
      {"2026-11-22", 7},  // Sunday
      {"2026-11-23", 1},  // Monday
      {"1970-01-01", 4},  // Thursday
      {"2000-01-01", 6},  // Saturday
      {"2024-02-29", 4},
      {"2026-01-01", 4},
      {"1900-01-01", 1},
      {"0001-01-01", 1},  // proleptic Gregorian
      {"9999-12-31", 5},
  }};
  for (const known& k : table) {
    INFO(k.day);
    CHECK(loyalty::day_of_week(date(k.day)) == k.iso_weekday);
  }
}

TEST_CASE("add_months clamps to the end of the month", "[time]") {
  // 31 January + 1..12 months, in a leap year and in a common year.
  const std::array<const char*, 12> from_2024 = {
      "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31",
      "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31"};
  const std::array<const char*, 12> from_2025 = {
      "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31",
      "2025-08-31", "2025-09-30", "2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31"};
  for (std::size_t i = 0; i < 12; ++i) {
    const auto n = static_cast<std::int64_t>(i + 1);
    INFO("+" << n << " months");
    CHECK(text(loyalty::add_months(date("2024-01-31"), n)) == from_2024[i]);
    CHECK(text(loyalty::add_months(date("2025-01-31"), n)) == from_2025[i]);
  }
  // Clamping is per call, not remembered: 31 Jan + 1 month + 1 month is 28 Mar.
  CHECK(text(loyalty::add_months(*loyalty::add_months(date("2025-01-31"), 1), 1)) == "2025-03-28");
  CHECK(text(loyalty::add_months(date("2025-01-31"), 2)) == "2025-03-31");
  CHECK(text(loyalty::add_months(date("2025-03-31"), -1)) == "2025-02-28");
  CHECK(text(loyalty::add_months(date("2026-01-15"), -13)) == "2024-12-15");
  CHECK(text(loyalty::add_months(date("2026-01-15"), 0)) == "2026-01-15");

  CHECK(text(loyalty::add_years(date("2024-02-29"), 1)) == "2025-02-28");
  CHECK(text(loyalty::add_years(date("2024-02-29"), 4)) == "2028-02-29");
  CHECK(text(loyalty::add_months(date("2024-02-29"), 12)) == "2025-02-28");
  CHECK(text(loyalty::add_years(date("2024-02-29"), -1)) == "2023-02-28");

  CHECK(text(loyalty::add_days(date("2024-02-28"), 1)) == "2024-02-29");
  CHECK(text(loyalty::add_days(date("2025-02-28"), 1)) == "2025-03-01");
  CHECK(text(loyalty::add_days(date("2026-01-01"), -1)) == "2025-12-31");
  CHECK(text(loyalty::add_days(date("2026-01-01"), 365)) == "2027-01-01");
}

TEST_CASE("date arithmetic that leaves the supported range is nullopt", "[time]") {
  constexpr std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t tiny = std::numeric_limits<std::int64_t>::min();
  CHECK(text(loyalty::add_days(civil_date::max(), 0)) == "9999-12-31");
  CHECK(text(loyalty::add_days(civil_date::max(), 1)) == "nullopt");
  CHECK(text(loyalty::add_days(civil_date::min(), -1)) == "nullopt");
  CHECK(text(loyalty::add_days(civil_date::min(), huge)) == "nullopt");
  CHECK(text(loyalty::add_days(civil_date::max(), tiny)) == "nullopt");
  CHECK(text(loyalty::add_months(date("9999-12-01"), 1)) == "nullopt");
  CHECK(text(loyalty::add_months(date("9999-11-30"), 1)) == "9999-12-30");
  CHECK(text(loyalty::add_months(date("0001-01-31"), -1)) == "nullopt");
  CHECK(text(loyalty::add_months(date("2026-01-01"), huge)) == "nullopt");
  CHECK(text(loyalty::add_months(date("2026-01-01"), tiny)) == "nullopt");
  CHECK(text(loyalty::add_years(date("2026-01-01"), 7'973)) == "9999-01-01");
  CHECK(text(loyalty::add_years(date("2026-01-01"), 7'974)) == "nullopt");
  CHECK(text(loyalty::add_years(date("2026-01-01"), huge)) == "nullopt");
  CHECK(text(loyalty::add_years(date("2026-01-01"), tiny)) == "nullopt");
  // A date one step outside (as local_date can produce at the very edge) may come back in.
  CHECK(text(loyalty::add_days(civil_date{civil_date::max().days + 1}, -1)) == "9999-12-31");
}

TEST_CASE("days, months and years between", "[time]") {
  CHECK(loyalty::days_between(date("2026-01-01"), date("2026-03-01")) == 59);
  CHECK(loyalty::days_between(date("2026-03-01"), date("2026-01-01")) == -59);
  CHECK(loyalty::days_between(civil_date::min(), civil_date::max()) == 3'652'058);

  struct between {
    const char* a;
    const char* b;
    int months;
    int years;
  };
  const std::array<between, 14> table = {{
      {"2026-01-15", "2026-02-14", 0, 0},
      {"2026-01-15", "2026-02-15", 1, 0},
      {"2026-01-31", "2026-02-28", 1, 0},  // add_months(31 Jan, 1) = 28 Feb
      {"2026-01-31", "2026-02-27", 0, 0},
      {"2026-01-31", "2026-03-30", 1, 0},
      {"2026-01-31", "2026-03-31", 2, 0},
      {"2024-02-29", "2025-02-28", 12, 1},  // add_years clamps to 28 Feb
      {"2024-02-29", "2025-02-27", 11, 0},
      {"2020-06-15", "2026-06-14", 71, 5},
      {"2020-06-15", "2026-06-15", 72, 6},
      {"2026-02-14", "2026-01-15", 0, 0},
      {"2026-02-15", "2026-01-15", -1, 0},
      {"2026-03-31", "2026-02-28", -1, 0},  // add_months(31 Mar, -1) = 28 Feb
      {"2026-06-15", "2020-06-16", -71, -5},
  }};
  for (const between& row : table) {
    INFO(row.a << " -> " << row.b);
    CHECK(loyalty::months_between(date(row.a), date(row.b)) == row.months);
    CHECK(loyalty::years_between(date(row.a), date(row.b)) == row.years);
  }
  // Counted from the first argument, so not antisymmetric: 28 Feb - 1 month is 28 Jan.
  CHECK(loyalty::months_between(date("2026-02-28"), date("2026-01-31")) == 0);
}

TEST_CASE("months_between is consistent with add_months", "[time]") {
  const std::array<const char*, 6> anchors = {"2024-01-31", "2024-02-29", "2025-03-30",
                                              "2025-12-31", "2026-06-15", "2026-02-28"};
  for (const char* anchor : anchors) {
    const civil_date a = date(anchor);
    for (std::int64_t offset = -800; offset <= 800; offset += 7) {
      const civil_date b = *loyalty::add_days(a, offset);
      const int n = loyalty::months_between(a, b);
      INFO(anchor << " -> " << text(b) << ": " << n);
      if (b >= a) {
        CHECK(*loyalty::add_months(a, n) <= b);
        CHECK(*loyalty::add_months(a, n + 1) > b);
      } else {
        CHECK(*loyalty::add_months(a, n) >= b);
        CHECK(*loyalty::add_months(a, n - 1) < b);
      }
    }
  }
}

TEST_CASE("periods of a civil date", "[time]") {
  using enum calendar_unit;
  // ISO weeks start on Monday, across the year boundary: 2026-01-01 is a Thursday.
  CHECK(text(loyalty::start_of(week, date("2026-01-01"))) == "2025-12-29");
  CHECK(text(loyalty::end_of(week, date("2026-01-01"))) == "2026-01-04");
  CHECK(text(loyalty::start_of(week, date("2026-11-22"))) == "2026-11-16");  // a Sunday
  CHECK(text(loyalty::start_of(week, date("2026-11-23"))) == "2026-11-23");  // a Monday
  CHECK(text(loyalty::start_of(day, date("2026-11-22"))) == "2026-11-22");
  CHECK(text(loyalty::end_of(day, date("2026-11-22"))) == "2026-11-22");
  CHECK(text(loyalty::start_of(month, date("2024-02-17"))) == "2024-02-01");
  CHECK(text(loyalty::end_of(month, date("2024-02-17"))) == "2024-02-29");
  CHECK(text(loyalty::end_of(month, date("2025-02-17"))) == "2025-02-28");
  CHECK(text(loyalty::start_of(year, date("2026-07-04"))) == "2026-01-01");
  CHECK(text(loyalty::end_of(year, date("2026-07-04"))) == "2026-12-31");

  struct quarter_case {
    const char* day;
    const char* first;
    const char* last;
  };
  const std::array<quarter_case, 8> quarters = {{
      {"2026-01-01", "2026-01-01", "2026-03-31"},
      {"2026-03-31", "2026-01-01", "2026-03-31"},
      {"2026-04-01", "2026-04-01", "2026-06-30"},
      {"2026-05-15", "2026-04-01", "2026-06-30"},
      {"2026-07-01", "2026-07-01", "2026-09-30"},
      {"2026-09-30", "2026-07-01", "2026-09-30"},
      {"2026-10-01", "2026-10-01", "2026-12-31"},
      {"2026-12-31", "2026-10-01", "2026-12-31"},
  }};
  for (const quarter_case& q : quarters) {
    INFO(q.day);
    CHECK(text(loyalty::start_of(quarter, date(q.day))) == q.first);
    CHECK(text(loyalty::end_of(quarter, date(q.day))) == q.last);
  }
}

TEST_CASE("time zones are located by IANA name", "[time]") {
  CHECK(time_zone::utc().name() == "UTC");
  CHECK(time_zone::locate("UTC") == time_zone::utc());
  CHECK(zone("Europe/Berlin").name() == "Europe/Berlin");
  CHECK(zone("Europe/Berlin") == zone("Europe/Berlin"));
  CHECK(zone("Europe/Berlin") != zone("Europe/Paris"));
  CHECK_FALSE(time_zone::locate("Europe/Berlln"));
  CHECK_FALSE(time_zone::locate("europe/berlin"));
  CHECK_FALSE(time_zone::locate(""));
  CHECK_FALSE(time_zone::locate("../../etc/passwd"));
  CHECK_FALSE(time_zone::locate(std::string_view("Europe/Berlin\0x", 15)));

  const time_zone utc = time_zone::utc();
  CHECK(loyalty::utc_offset(instant("2026-07-01T00:00:00Z"), utc) == duration{0});
  CHECK(text(loyalty::local_date(instant("2026-07-01T23:59:59.999999Z"), utc)) == "2026-07-01");
  CHECK(text(loyalty::start_of_day(date("2026-07-01"), utc)) == "2026-07-01T00:00:00Z");
  CHECK(text(loyalty::end_of(calendar_unit::year, instant("2026-07-01T12:00:00Z"), utc)) ==
        "2026-12-31T23:59:59.999999Z");
}

TEST_CASE("Europe/Berlin: days of 23 and 25 hours", "[time]") {
  const time_zone berlin = zone("Europe/Berlin");
  CHECK(day_hours("2026-03-28", berlin) == 24);
  CHECK(day_hours("2026-03-29", berlin) == 23);  // 02:00 CET -> 03:00 CEST
  CHECK(day_hours("2026-10-25", berlin) == 25);  // 03:00 CEST -> 02:00 CET
  CHECK(text(loyalty::start_of_day(date("2026-03-29"), berlin)) == "2026-03-28T23:00:00Z");
  CHECK(text(loyalty::start_of_day(date("2026-03-30"), berlin)) == "2026-03-29T22:00:00Z");
  CHECK(text(loyalty::start_of_day(date("2026-10-25"), berlin)) == "2026-10-24T22:00:00Z");
  CHECK(text(loyalty::start_of_day(date("2026-10-26"), berlin)) == "2026-10-25T23:00:00Z");

  CHECK(loyalty::utc_offset(instant("2026-03-29T00:59:59Z"), berlin) == duration::hours(1));
  CHECK(loyalty::utc_offset(instant("2026-03-29T01:00:00Z"), berlin) == duration::hours(2));
  CHECK(text(loyalty::local_date(instant("2026-03-28T22:59:59.999999Z"), berlin)) == "2026-03-28");
  CHECK(text(loyalty::local_date(instant("2026-03-28T23:00:00Z"), berlin)) == "2026-03-29");
}

TEST_CASE("Europe/Berlin: start_of and end_of every unit around the DST changes", "[time]") {
  const time_zone berlin = zone("Europe/Berlin");
  struct period {
    calendar_unit unit;
    const char* start;
    const char* end;
  };
  SECTION("2026-03-29, the day summer time starts") {
    const timestamp t = instant("2026-03-29T12:00:00+02:00");
    const std::array<period, 5> expected = {{
        {calendar_unit::day, "2026-03-28T23:00:00Z", "2026-03-29T21:59:59.999999Z"},
        {calendar_unit::week, "2026-03-22T23:00:00Z", "2026-03-29T21:59:59.999999Z"},
        {calendar_unit::month, "2026-02-28T23:00:00Z", "2026-03-31T21:59:59.999999Z"},
        {calendar_unit::quarter, "2025-12-31T23:00:00Z", "2026-03-31T21:59:59.999999Z"},
        {calendar_unit::year, "2025-12-31T23:00:00Z", "2026-12-31T22:59:59.999999Z"},
    }};
    for (const period& p : expected) {
      INFO(loyalty::to_string(p.unit));
      CHECK(text(loyalty::start_of(p.unit, t, berlin)) == p.start);
      CHECK(text(loyalty::end_of(p.unit, t, berlin)) == p.end);
    }
  }
  SECTION("2026-10-25, the day summer time ends, in the repeated hour") {
    // 02:30 local happens twice; this is the second time (CET, +01:00).
    const timestamp t = instant("2026-10-25T02:30:00+01:00");
    const std::array<period, 5> expected = {{
        {calendar_unit::day, "2026-10-24T22:00:00Z", "2026-10-25T22:59:59.999999Z"},
        {calendar_unit::week, "2026-10-18T22:00:00Z", "2026-10-25T22:59:59.999999Z"},
        {calendar_unit::month, "2026-09-30T22:00:00Z", "2026-10-31T22:59:59.999999Z"},
        {calendar_unit::quarter, "2026-09-30T22:00:00Z", "2026-12-31T22:59:59.999999Z"},
        {calendar_unit::year, "2025-12-31T23:00:00Z", "2026-12-31T22:59:59.999999Z"},
    }};
    for (const period& p : expected) {
      INFO(loyalty::to_string(p.unit));
      CHECK(text(loyalty::start_of(p.unit, t, berlin)) == p.start);
      CHECK(text(loyalty::end_of(p.unit, t, berlin)) == p.end);
    }
  }
}

TEST_CASE("local_time_of_day and local_instant around the DST changes", "[time]") {
  const time_zone berlin = zone("Europe/Berlin");
  CHECK(loyalty::local_time_of_day(instant("2026-03-29T10:15:00+02:00"), berlin) ==
        duration::hours(10) + duration::minutes(15));
  CHECK(loyalty::local_time_of_day(instant("2026-03-28T23:30:00Z"), berlin) ==
        duration::minutes(30));  // 00:30 CET on the 29th
  CHECK(loyalty::local_time_of_day(instant("2026-01-01T00:00:00.000001Z"), berlin) ==
        duration::hours(1) + duration{1});
  const auto local = [&](const char* day, duration tod) {
    return loyalty::to_string(loyalty::local_instant(date(day), tod, berlin));
  };
  CHECK(local("2026-03-29", duration::hours(1) + duration::minutes(30)) == "2026-03-29T00:30:00Z");
  // 02:30 is skipped on 29 March: the first instant after the jump (03:00 CEST).
  CHECK(local("2026-03-29", duration::hours(2) + duration::minutes(30)) == "2026-03-29T01:00:00Z");
  CHECK(local("2026-03-29", duration::hours(3)) == "2026-03-29T01:00:00Z");
  // 02:30 happens twice on 25 October: the earlier (CEST).
  CHECK(local("2026-10-25", duration::hours(2) + duration::minutes(30)) == "2026-10-25T00:30:00Z");
  CHECK(local("2026-10-25", duration::hours(3)) == "2026-10-25T02:00:00Z");
  CHECK(local("2026-07-01", duration::hours(12) + duration{250'000}) ==
        "2026-07-01T10:00:00.250000Z");
  // Outside 0 to 24 hours the time of day is clamped.
  CHECK(local("2026-07-01", duration::hours(30)) == "2026-07-01T21:59:59.999999Z");
  CHECK(local("2026-07-01", -duration::hours(1)) == "2026-06-30T22:00:00Z");
  // Round trip, except in the second pass of an overlap.
  for (const char* t : {"2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-10-25T00:30:00Z",
                        "2026-12-31T23:59:59.999999Z"}) {
    INFO(t);
    const timestamp x = instant(t);
    CHECK(loyalty::local_instant(loyalty::local_date(x, berlin),
                                 loyalty::local_time_of_day(x, berlin), berlin) == x);
  }
  const timestamp second_pass = instant("2026-10-25T01:30:00Z");  // 02:30 CET
  CHECK(loyalty::local_instant(loyalty::local_date(second_pass, berlin),
                               loyalty::local_time_of_day(second_pass, berlin),
                               berlin) == instant("2026-10-25T00:30:00Z"));
}

TEST_CASE("end_of is the next period's start minus one microsecond", "[time]") {
  const std::array<const char*, 4> zones = {"Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata",
                                            "Pacific/Chatham"};
  const std::array<const char*, 4> instants = {"2026-03-29T01:30:00Z", "2026-10-25T00:30:00Z",
                                               "2018-11-04T02:59:59.999999Z",
                                               "2026-12-31T23:59:59.999999Z"};
  for (const char* name : zones) {
    const time_zone z = zone(name);
    for (const char* at : instants) {
      const timestamp t = instant(at);
      for (calendar_unit unit : all_units) {
        INFO(name << " " << at << " " << loyalty::to_string(unit));
        const timestamp start = loyalty::start_of(unit, t, z);
        const timestamp end = loyalty::end_of(unit, t, z);
        CHECK(start <= t);
        CHECK(t <= end);
        CHECK(loyalty::start_of(unit, end + duration{1}, z) == end + duration{1});
        CHECK(loyalty::end_of(unit, start - duration{1}, z) == start - duration{1});
      }
    }
  }
}

TEST_CASE("America/Sao_Paulo: midnight did not exist on 2018-11-04", "[time]") {
  const time_zone sao_paulo = zone("America/Sao_Paulo");
  // Clocks jumped from 00:00 (-03) to 01:00 (-02): the day starts at 01:00 local.
  const timestamp start = loyalty::start_of_day(date("2018-11-04"), sao_paulo);
  CHECK(text(start) == "2018-11-04T03:00:00Z");
  CHECK(text(loyalty::local_date(start, sao_paulo)) == "2018-11-04");
  CHECK(text(loyalty::local_date(start - duration{1}, sao_paulo)) == "2018-11-03");
  CHECK(loyalty::utc_offset(start, sao_paulo) == -duration::hours(2));
  CHECK(day_hours("2018-11-03", sao_paulo) == 24);
  CHECK(day_hours("2018-11-04", sao_paulo) == 23);
  CHECK(text(loyalty::end_of(calendar_unit::day, instant("2018-11-03T12:00:00-03:00"),
                             sao_paulo)) == "2018-11-04T02:59:59.999999Z");
  CHECK(text(loyalty::start_of(calendar_unit::week, instant("2018-11-04T12:00:00-02:00"),
                               sao_paulo)) == "2018-10-29T03:00:00Z");
  // Summer time ended at midnight too, going back: 2019-02-16 had 25 hours.
  CHECK(text(loyalty::start_of_day(date("2019-02-17"), sao_paulo)) == "2019-02-17T03:00:00Z");
  CHECK(day_hours("2019-02-16", sao_paulo) == 25);
}

TEST_CASE("America/Havana: midnight happened twice on 2025-11-02", "[time]") {
  // Clocks went back from 01:00 (-04) to 00:00 (-05): the day starts at the first midnight.
  const time_zone havana = zone("America/Havana");
  CHECK(text(loyalty::start_of_day(date("2025-11-02"), havana)) == "2025-11-02T04:00:00Z");
  CHECK(text(loyalty::local_date(instant("2025-11-02T05:00:00Z"), havana)) == "2025-11-02");
  CHECK(day_hours("2025-11-02", havana) == 25);
  CHECK(text(loyalty::end_of(calendar_unit::day, instant("2025-11-01T12:00:00-04:00"), havana)) ==
        "2025-11-02T03:59:59.999999Z");
}

TEST_CASE("half-hour and 45-minute offsets", "[time]") {
  const time_zone kolkata = zone("Asia/Kolkata");
  CHECK(loyalty::utc_offset(instant("2026-11-22T00:00:00Z"), kolkata) ==
        duration::hours(5) + duration::minutes(30));
  CHECK(text(loyalty::start_of_day(date("2026-11-22"), kolkata)) == "2026-11-21T18:30:00Z");
  CHECK(text(loyalty::local_date(instant("2026-11-21T18:29:59.999999Z"), kolkata)) == "2026-11-21");
  CHECK(text(loyalty::local_date(instant("2026-11-21T18:30:00Z"), kolkata)) == "2026-11-22");
  CHECK(text(loyalty::end_of(calendar_unit::month, instant("2026-11-22T12:00:00Z"), kolkata)) ==
        "2026-11-30T18:29:59.999999Z");

  const time_zone chatham = zone("Pacific/Chatham");
  CHECK(loyalty::utc_offset(instant("2026-07-01T00:00:00Z"), chatham) ==
        duration::hours(12) + duration::minutes(45));
  CHECK(loyalty::utc_offset(instant("2026-01-15T00:00:00Z"), chatham) ==
        duration::hours(13) + duration::minutes(45));
  CHECK(text(loyalty::start_of_day(date("2026-07-01"), chatham)) == "2026-06-30T11:15:00Z");
  CHECK(text(loyalty::start_of_day(date("2026-01-15"), chatham)) == "2026-01-14T10:15:00Z");
  CHECK(day_hours("2026-04-05", chatham) == 25);  // 03:45 -> 02:45
  CHECK(day_hours("2026-09-27", chatham) == 23);  // 02:45 -> 03:45
}

TEST_CASE("Pacific/Apia skipped 2011-12-30 entirely", "[time]") {
  const time_zone apia = zone("Pacific/Apia");
  // Samoa moved across the date line: 29 December 23:59:59 (-10) was followed by 31 December.
  const timestamp skipped = loyalty::start_of_day(date("2011-12-30"), apia);
  CHECK(text(skipped) == "2011-12-30T10:00:00Z");
  CHECK(skipped == loyalty::start_of_day(date("2011-12-31"), apia));
  CHECK(text(loyalty::local_date(skipped, apia)) == "2011-12-31");
  CHECK(text(loyalty::local_date(skipped - duration{1}, apia)) == "2011-12-29");
  CHECK(text(loyalty::end_of(calendar_unit::day, skipped - duration{1}, apia)) ==
        "2011-12-30T09:59:59.999999Z");
}

TEST_CASE("summer time continues after 2037 (the TZif footer rule)", "[time]") {
  const time_zone berlin = zone("Europe/Berlin");
  CHECK(loyalty::utc_offset(instant("2040-07-01T00:00:00Z"), berlin) == duration::hours(2));
  CHECK(loyalty::utc_offset(instant("2040-01-01T00:00:00Z"), berlin) == duration::hours(1));
  CHECK(loyalty::utc_offset(instant("9999-07-01T00:00:00Z"), berlin) == duration::hours(2));
  CHECK(day_hours("2040-03-25", berlin) == 23);
  CHECK(day_hours("2040-10-28", berlin) == 25);
  CHECK(text(loyalty::start_of_day(date("2040-03-26"), berlin)) == "2040-03-25T22:00:00Z");
  CHECK(loyalty::utc_offset(instant("2040-03-25T00:59:59Z"), berlin) == duration::hours(1));
  CHECK(loyalty::utc_offset(instant("2040-03-25T01:00:00Z"), berlin) == duration::hours(2));

  const time_zone new_york = zone("America/New_York");
  CHECK(day_hours("2050-03-13", new_york) == 23);
  CHECK(day_hours("2050-11-06", new_york) == 25);
  CHECK(text(loyalty::start_of_day(date("2050-03-14"), new_york)) == "2050-03-14T04:00:00Z");

  const time_zone sydney = zone("Australia/Sydney");  // southern hemisphere
  CHECK(day_hours("2045-04-02", sydney) == 25);
  CHECK(day_hours("2045-10-01", sydney) == 23);
  CHECK(text(loyalty::start_of_day(date("2045-04-02"), sydney)) == "2045-04-01T13:00:00Z");
}

TEST_CASE("a backward change across midnight repeats part of the previous day", "[time]") {
  // America/St_Johns, 2010-11-07: at 00:01 local (-02:30) clocks went back to 23:01 on
  // 6 November (-03:30). Days are then not contiguous: the instants after the change belong to
  // 6 November again, after 7 November has started. Documented in docs/time.md.
  const time_zone st_johns = zone("America/St_Johns");
  const timestamp t = instant("2010-11-07T02:40:00Z");  // 23:10 on 6 November, second time
  CHECK(text(loyalty::local_date(t, st_johns)) == "2010-11-06");
  CHECK(text(loyalty::start_of_day(date("2010-11-07"), st_johns)) == "2010-11-07T02:30:00Z");
  CHECK(loyalty::start_of(calendar_unit::day, t, st_johns) <= t);
  CHECK(loyalty::end_of(calendar_unit::day, t, st_johns) < t);  // the documented exception
}

TEST_CASE("anniversaries and the feb29 rule", "[time]") {
  const civil_date leap_day = date("2024-02-29");
  CHECK(text(loyalty::anniversary_in_year(leap_day, 2025, feb29_rule::feb28)) == "2025-02-28");
  CHECK(text(loyalty::anniversary_in_year(leap_day, 2025, feb29_rule::mar1)) == "2025-03-01");
  CHECK(text(loyalty::anniversary_in_year(leap_day, 2028, feb29_rule::feb28)) == "2028-02-29");
  CHECK(text(loyalty::anniversary_in_year(leap_day, 2028, feb29_rule::mar1)) == "2028-02-29");
  CHECK(text(loyalty::anniversary_in_year(leap_day, 2024, feb29_rule::mar1)) == "2024-02-29");
  CHECK(text(loyalty::anniversary_in_year(date("2020-07-14"), 2026, feb29_rule::mar1)) ==
        "2026-07-14");

  CHECK(loyalty::is_anniversary(leap_day, date("2025-02-28"), feb29_rule::feb28));
  CHECK_FALSE(loyalty::is_anniversary(leap_day, date("2025-03-01"), feb29_rule::feb28));
  CHECK(loyalty::is_anniversary(leap_day, date("2025-03-01"), feb29_rule::mar1));
  CHECK_FALSE(loyalty::is_anniversary(leap_day, date("2025-02-28"), feb29_rule::mar1));
  CHECK(loyalty::is_anniversary(leap_day, date("2028-02-29"), feb29_rule::mar1));
  CHECK_FALSE(loyalty::is_anniversary(leap_day, date("2028-02-28"), feb29_rule::feb28));
  CHECK_FALSE(loyalty::is_anniversary(leap_day, date("2028-03-01"), feb29_rule::mar1));
  CHECK_FALSE(loyalty::is_anniversary(leap_day, leap_day, feb29_rule::feb28));  // year 0
  CHECK_FALSE(loyalty::is_anniversary(date("2020-07-14"), date("2019-07-14"), feb29_rule::feb28));
  CHECK(loyalty::is_anniversary(date("2020-07-14"), date("2026-07-14"), feb29_rule::feb28));

  CHECK(text(loyalty::next_anniversary(leap_day, date("2025-01-10"), feb29_rule::feb28)) ==
        "2025-02-28");
  CHECK(text(loyalty::next_anniversary(leap_day, date("2025-02-28"), feb29_rule::feb28)) ==
        "2025-02-28");  // on the day itself
  CHECK(text(loyalty::next_anniversary(leap_day, date("2025-02-28"), feb29_rule::mar1)) ==
        "2025-03-01");
  CHECK(text(loyalty::next_anniversary(leap_day, date("2025-03-02"), feb29_rule::mar1)) ==
        "2026-03-01");
  CHECK(text(loyalty::next_anniversary(leap_day, date("2027-03-02"), feb29_rule::feb28)) ==
        "2028-02-29");
  CHECK(text(loyalty::next_anniversary(leap_day, date("2020-01-01"), feb29_rule::feb28)) ==
        "2025-02-28");  // before `since`: the first anniversary
  CHECK(text(loyalty::next_anniversary(leap_day, leap_day, feb29_rule::feb28)) == "2025-02-28");
}

TEST_CASE("completed_years around birthdays", "[time]") {
  const civil_date born = date("1990-06-15");
  CHECK(loyalty::completed_years(born, date("2026-06-14"), feb29_rule::feb28) == 35);
  CHECK(loyalty::completed_years(born, date("2026-06-15"), feb29_rule::feb28) == 36);
  CHECK(loyalty::completed_years(born, date("2026-06-16"), feb29_rule::feb28) == 36);
  CHECK(loyalty::completed_years(born, born, feb29_rule::feb28) == 0);
  CHECK(loyalty::completed_years(born, date("1991-06-14"), feb29_rule::feb28) == 0);
  CHECK(loyalty::completed_years(born, date("1991-06-15"), feb29_rule::feb28) == 1);
  // Before `since`: whole years counted backwards, negative.
  CHECK(loyalty::completed_years(born, date("1990-01-01"), feb29_rule::feb28) == 0);
  CHECK(loyalty::completed_years(born, date("1989-06-15"), feb29_rule::feb28) == -1);
  CHECK(loyalty::completed_years(born, date("1989-06-16"), feb29_rule::feb28) == 0);

  const civil_date leap_born = date("2008-02-29");
  CHECK(loyalty::completed_years(leap_born, date("2026-02-27"), feb29_rule::feb28) == 17);
  CHECK(loyalty::completed_years(leap_born, date("2026-02-28"), feb29_rule::feb28) == 18);
  CHECK(loyalty::completed_years(leap_born, date("2026-02-28"), feb29_rule::mar1) == 17);
  CHECK(loyalty::completed_years(leap_born, date("2026-03-01"), feb29_rule::mar1) == 18);
  CHECK(loyalty::completed_years(leap_born, date("2028-02-28"), feb29_rule::feb28) == 19);
  CHECK(loyalty::completed_years(leap_born, date("2028-02-29"), feb29_rule::feb28) == 20);
}

TEST_CASE("calendar_unit and feb29_rule names", "[time]") {
  for (calendar_unit unit : all_units) {
    CHECK(loyalty::parse_calendar_unit(loyalty::to_string(unit)) == unit);
  }
  CHECK(loyalty::to_string(calendar_unit::quarter) == "quarter");
  CHECK_FALSE(loyalty::parse_calendar_unit("weeks"));
  CHECK_FALSE(loyalty::parse_calendar_unit("Day"));
  CHECK(loyalty::parse_feb29_rule("feb28") == feb29_rule::feb28);
  CHECK(loyalty::parse_feb29_rule("mar1") == feb29_rule::mar1);
  CHECK(loyalty::to_string(feb29_rule::mar1) == "mar1");
  CHECK_FALSE(loyalty::parse_feb29_rule("march1"));
  CHECK_FALSE(loyalty::parse_feb29_rule(""));
}

TEST_CASE("parse_date accepts exactly YYYY-MM-DD", "[time]") {
  CHECK(text(loyalty::parse_date("2026-02-03")) == "2026-02-03");
  CHECK(text(loyalty::parse_date("0001-01-01")) == "0001-01-01");
  CHECK(text(loyalty::parse_date("9999-12-31")) == "9999-12-31");
  CHECK(text(loyalty::parse_date("2024-02-29")) == "2024-02-29");
  for (const char* bad :
       {"2026-02-30", "2025-02-29", "2026-2-3", "2026-02-3", " 2026-02-03", "2026-02-03 ",
        "2026/02/03", "20260203", "0000-01-01", "10000-01-01", "2026-13-01", "2026-00-10",
        "2026-01-00", "+2026-01-01", "2026-01-01T", "", "2026-0a-01", "２０２６-01-01"}) {
    INFO(bad);
    CHECK_FALSE(loyalty::parse_date(bad));
  }
}

TEST_CASE("parse_timestamp accepts RFC 3339 with a required offset", "[time]") {
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00+02:00")) == "2026-03-29T08:15:00Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00Z")) == "2026-03-29T10:15:00Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00-00:00")) == "2026-03-29T10:15:00Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T00:15:00+05:30")) == "2026-03-28T18:45:00Z");
  CHECK(text(loyalty::parse_timestamp("2026-12-31T23:00:00-03:00")) == "2027-01-01T02:00:00Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00.5Z")) == "2026-03-29T10:15:00.500000Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00.000001Z")) ==
        "2026-03-29T10:15:00.000001Z");
  CHECK(text(loyalty::parse_timestamp("2026-03-29T10:15:00.000000Z")) == "2026-03-29T10:15:00Z");
  CHECK(loyalty::parse_timestamp("1970-01-01T00:00:00Z")->micros == 0);
  CHECK(loyalty::parse_timestamp("1969-12-31T23:59:59.999999Z")->micros == -1);
  CHECK(loyalty::parse_timestamp("0001-01-01T00:00:00Z") == timestamp::min());
  CHECK(loyalty::parse_timestamp("9999-12-31T23:59:59.999999Z") == timestamp::max());
  for (const char* bad : {
           "2026-03-29T10:15:00",           // no offset
           "2026-03-29 10:15:00Z",          // space
           "2026-03-29t10:15:00Z",          // lower-case t
           "2026-03-29T10:15:00z",          // lower-case z
           "2026-03-29T10:15Z",             // no seconds
           "2026-03-29T24:00:00Z",          // hour 24
           "2026-03-29T10:60:00Z",          // minute 60
           "2026-12-31T23:59:60Z",          // leap second
           "2026-03-29T10:15:00.Z",         // empty fraction
           "2026-03-29T10:15:00.1234567Z",  // beyond microseconds
           "2026-03-29T10:15:00+0200",      // offset without colon
           "2026-03-29T10:15:00+02",        // short offset
           "2026-03-29T10:15:00+24:00",     // offset hour 24
           "2026-03-29T10:15:00+02:60",     // offset minute 60
           "2026-03-29T10:15:00Z ",         // trailing space
           "2026-02-30T10:15:00Z",          // no such day
           "0001-01-01T00:00:00+00:01",     // before 0001-01-01T00:00:00Z
           "9999-12-31T23:59:59-00:01",     // after 9999-12-31T23:59:59.999999Z
           "",
       }) {
    INFO(bad);
    CHECK_FALSE(loyalty::parse_timestamp(bad));
  }
}

TEST_CASE("parse_duration and to_string(duration)", "[time]") {
  CHECK(loyalty::parse_duration("30d") == duration::days(30));
  CHECK(loyalty::parse_duration("12h") == duration::hours(12));
  CHECK(loyalty::parse_duration("15m") == duration::minutes(15));
  CHECK(loyalty::parse_duration("45s") == duration::seconds(45));
  CHECK(loyalty::parse_duration("1d12h") == duration::hours(36));
  CHECK(loyalty::parse_duration("1d2h3m4s") ==
        duration::days(1) + duration::hours(2) + duration::minutes(3) + duration::seconds(4));
  CHECK(loyalty::parse_duration("90m") == duration::minutes(90));
  CHECK(loyalty::parse_duration("1.5s") == duration{1'500'000});
  CHECK(loyalty::parse_duration("0.000001s") == duration{1});
  CHECK(loyalty::parse_duration("-2h") == -duration::hours(2));
  CHECK(loyalty::parse_duration("0s") == duration{0});
  for (const char* bad :
       {"", "-", "d", "30", "30D", "12h1d", "1d1d", "1h 30m", " 1h", "1w", "1.5h", "1.s",
        "1.1234567s", "+1h", "1ms", "1m1h", "99999999999999999999s", "106751992d", "--1s"}) {
    INFO(bad);
    CHECK_FALSE(loyalty::parse_duration(bad));
  }

  CHECK(text(duration::hours(36)) == "1d12h");
  CHECK(text(duration::minutes(90)) == "1h30m");
  CHECK(text(duration::days(30)) == "30d");
  CHECK(text(duration{1'500'000}) == "1.5s");
  CHECK(text(duration{1}) == "0.000001s");
  CHECK(text(-duration::hours(2)) == "-2h");
  CHECK(text(duration{0}) == "0s");
  CHECK(text(duration::days(1) + duration::seconds(1)) == "1d1s");
  CHECK(text(duration{std::numeric_limits<std::int64_t>::min()}) == "-106751991d4h54.775808s");
  CHECK(text(duration{std::numeric_limits<std::int64_t>::max()}) == "106751991d4h54.775807s");
  CHECK(loyalty::parse_duration("-106751991d4h54.775808s") ==
        duration{std::numeric_limits<std::int64_t>::min()});
  CHECK(loyalty::parse_duration("106751991d4h54.775807s") ==
        duration{std::numeric_limits<std::int64_t>::max()});
  CHECK_FALSE(loyalty::parse_duration("106751991d4h54.775808s"));
}

TEST_CASE("dates and timestamps format exactly", "[time]") {
  CHECK(text(date("2026-11-22")) == "2026-11-22");
  CHECK(text(civil_date{0}) == "1970-01-01");
  CHECK(text(civil_date::min()) == "0001-01-01");
  CHECK(text(civil_date{civil_date::min().days - 1}) == "0000-12-31");
  CHECK(text(civil_date{civil_date::max().days + 1}) == "10000-01-01");
  CHECK(text(civil_date{std::numeric_limits<std::int32_t>::min()}) == "-5877641-06-23");
  CHECK(text(civil_date{std::numeric_limits<std::int32_t>::max()}) == "5881580-07-11");

  CHECK(text(timestamp{0}) == "1970-01-01T00:00:00Z");
  CHECK(text(timestamp{-1}) == "1969-12-31T23:59:59.999999Z");
  CHECK(text(timestamp{1'250'000}) == "1970-01-01T00:00:01.250000Z");
  CHECK(text(timestamp::max()) == "9999-12-31T23:59:59.999999Z");
  CHECK(text(timestamp{std::numeric_limits<std::int64_t>::min()}) ==
        "-290308-12-21T19:59:05.224192Z");

  std::array<char, timestamp::max_chars> buffer{};
  char* end = loyalty::format_to(buffer.data(), instant("2026-03-29T10:15:00Z"));
  CHECK(std::string_view(buffer.data(), static_cast<std::size_t>(end - buffer.data())) ==
        "2026-03-29T10:15:00Z");
}
