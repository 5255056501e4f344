// Campaign windows (`active:`) in the program's zone, Europe/Berlin, across the changes of
// 2026: 29 March 02:00 CET -> 03:00 CEST (02:00-02:59 never happens) and 25 October
// 03:00 CEST -> 02:00 CET (02:00-02:59 happens twice). Every event time is a UTC instant.
#include "engine_test_util.hpp"

using etest::harness;
using etest::program_text;
using loyalty::rule_outcome;

namespace {
const char* const window_rules = R"(
rules:
  # 01:00 CET (00:00Z) to 04:00 CEST (02:00Z): two real hours.
  - id: spring_range
    on: ping
    when: event.tag == 'spring_range'
    active:
      from: "2026-03-29T01:00"
      until: "2026-03-29T04:00"
    award: 1
    into: points
  # Both edges in the gap: 02:30 does not exist and means 03:00 CEST (01:00Z); 03:30 CEST is
  # 01:30Z.
  - id: spring_gap
    on: ping
    when: event.tag == 'spring_gap'
    active:
      from: "2026-03-29T02:30"
      until: "2026-03-29T03:30"
    award: 1
    into: points
  # 01:00 CEST (23:00Z the day before) to 04:00 CET (03:00Z): four real hours.
  - id: fall_range
    on: ping
    when: event.tag == 'fall_range'
    active:
      from: "2026-10-25T01:00"
      until: "2026-10-25T04:00"
    award: 1
    into: points
  # 02:30 happens twice: the window means the first, 02:30-02:45 CEST (00:30Z-00:45Z).
  - id: fall_overlap
    on: ping
    when: event.tag == 'fall_overlap'
    active:
      from: "2026-10-25T02:30"
      until: "2026-10-25T02:45"
    award: 1
    into: points
  # Dates alone: local midnights; 25 October has 25 hours (22:00Z to 23:00Z the next day).
  - id: fall_day
    on: ping
    when: event.tag == 'fall_day'
    active:
      from: "2026-10-25"
      until: "2026-10-26"
    award: 1
    into: points
  - id: two_to_three
    on: ping
    when: event.tag == 'two_to_three'
    active:
      hours: "02:00-03:00"
    award: 1
    into: points
  - id: office
    on: ping
    when: event.tag == 'office'
    active:
      hours: "09:00-17:00"
    award: 1
    into: points
  # Friday and Saturday nights, past midnight.
  - id: night
    on: ping
    when: event.tag == 'night'
    active:
      hours: "22:00-02:00"
      days: [fri, sat]
    award: 1
    into: points
)";
}  // namespace

TEST_CASE("engine windows: from and until in local time across the DST changes", "[engine]") {
  harness h(program_text(window_rules));
  int n = 0;
  // Whether rule `tag` is active for an event at `when`.
  auto inside = [&](const char* tag, const char* when) {
    auto e = h.make("ping", std::to_string(++n), when);
    REQUIRE(e.set("event.tag", loyalty::value::of_string(tag)));
    const auto r = h.process(e);
    const rule_outcome o = h.outcome(r, tag);
    INFO(tag << " at " << when);
    REQUIRE((o == rule_outcome::awarded || o == rule_outcome::outside_window));
    return o == rule_outcome::awarded;
  };
  SECTION("spring: a range over the gap") {
    CHECK_FALSE(inside("spring_range", "2026-03-28T23:59:59Z"));  // 00:59:59 CET
    CHECK(inside("spring_range", "2026-03-29T00:00:00Z"));        // 01:00:00 CET
    CHECK(inside("spring_range", "2026-03-29T01:00:00Z"));        // 03:00:00 CEST
    CHECK(inside("spring_range", "2026-03-29T01:59:59Z"));        // 03:59:59 CEST
    CHECK_FALSE(inside("spring_range", "2026-03-29T02:00:00Z"));  // 04:00:00 CEST
  }
  SECTION("spring: edges inside the gap") {
    CHECK_FALSE(inside("spring_gap", "2026-03-29T00:59:59Z"));  // 01:59:59 CET
    CHECK(inside("spring_gap", "2026-03-29T01:00:00Z"));        // 03:00:00 CEST
    CHECK(inside("spring_gap", "2026-03-29T01:29:59Z"));        // 03:29:59 CEST
    CHECK_FALSE(inside("spring_gap", "2026-03-29T01:30:00Z"));  // 03:30:00 CEST
  }
  SECTION("fall: a range over the overlap") {
    CHECK_FALSE(inside("fall_range", "2026-10-24T22:59:59Z"));  // 00:59:59 CEST
    CHECK(inside("fall_range", "2026-10-24T23:00:00Z"));        // 01:00:00 CEST
    CHECK(inside("fall_range", "2026-10-25T00:30:00Z"));        // 02:30 CEST
    CHECK(inside("fall_range", "2026-10-25T01:30:00Z"));        // 02:30 CET
    CHECK(inside("fall_range", "2026-10-25T02:59:59Z"));        // 03:59:59 CET
    CHECK_FALSE(inside("fall_range", "2026-10-25T03:00:00Z"));  // 04:00:00 CET
  }
  SECTION("fall: edges inside the overlap mean the first pass") {
    CHECK_FALSE(inside("fall_overlap", "2026-10-25T00:29:59Z"));  // 02:29:59 CEST
    CHECK(inside("fall_overlap", "2026-10-25T00:30:00Z"));        // 02:30:00 CEST
    CHECK(inside("fall_overlap", "2026-10-25T00:44:59Z"));        // 02:44:59 CEST
    CHECK_FALSE(inside("fall_overlap", "2026-10-25T00:45:00Z"));  // 02:45:00 CEST
    CHECK_FALSE(inside("fall_overlap", "2026-10-25T01:30:00Z"));  // 02:30:00 CET, second pass
    CHECK_FALSE(inside("fall_overlap", "2026-10-25T01:40:00Z"));  // 02:40:00 CET, second pass
  }
  SECTION("fall: a whole local day of 25 hours") {
    CHECK_FALSE(inside("fall_day", "2026-10-24T21:59:59Z"));  // 24 Oct 23:59:59 CEST
    CHECK(inside("fall_day", "2026-10-24T22:00:00Z"));        // 25 Oct 00:00 CEST
    CHECK(inside("fall_day", "2026-10-25T22:59:59Z"));        // 25 Oct 23:59:59 CET
    CHECK_FALSE(inside("fall_day", "2026-10-25T23:00:00Z"));  // 26 Oct 00:00 CET
  }
}

TEST_CASE("engine windows: hours of the day across the DST changes", "[engine]") {
  harness h(program_text(window_rules));
  int n = 0;
  auto inside = [&](const char* tag, const char* when) {
    auto e = h.make("ping", std::to_string(++n), when);
    REQUIRE(e.set("event.tag", loyalty::value::of_string(tag)));
    const auto r = h.process(e);
    INFO(tag << " at " << when);
    return h.outcome(r, tag) == rule_outcome::awarded;
  };
  SECTION("02:00-03:00 never happens on 29 March") {
    CHECK(inside("two_to_three", "2026-03-28T01:00:00Z"));        // 28 Mar 02:00 CET
    CHECK(inside("two_to_three", "2026-03-28T01:59:59Z"));        // 28 Mar 02:59:59 CET
    CHECK_FALSE(inside("two_to_three", "2026-03-28T02:00:00Z"));  // 28 Mar 03:00 CET
    CHECK_FALSE(inside("two_to_three", "2026-03-29T00:59:59Z"));  // 01:59:59 CET
    CHECK_FALSE(inside("two_to_three", "2026-03-29T01:00:00Z"));  // 03:00:00 CEST
    CHECK_FALSE(inside("two_to_three", "2026-03-29T23:59:59Z"));  // 30 Mar 01:59:59 CEST
    CHECK(inside("two_to_three", "2026-03-30T00:00:00Z"));        // 30 Mar 02:00 CEST
  }
  SECTION("02:00-03:00 happens twice on 25 October: two real hours") {
    CHECK_FALSE(inside("two_to_three", "2026-10-24T23:59:59Z"));  // 01:59:59 CEST
    CHECK(inside("two_to_three", "2026-10-25T00:00:00Z"));        // 02:00:00 CEST
    CHECK(inside("two_to_three", "2026-10-25T00:59:59Z"));        // 02:59:59 CEST
    CHECK(inside("two_to_three", "2026-10-25T01:00:00Z"));        // 02:00:00 CET
    CHECK(inside("two_to_three", "2026-10-25T01:59:59Z"));        // 02:59:59 CET
    CHECK_FALSE(inside("two_to_three", "2026-10-25T02:00:00Z"));  // 03:00:00 CET
  }
  SECTION("09:00-17:00 moves by an hour in UTC when the clocks change") {
    CHECK_FALSE(inside("office", "2026-03-28T07:59:59Z"));  // 08:59:59 CET
    CHECK(inside("office", "2026-03-28T08:00:00Z"));        // 09:00 CET
    CHECK(inside("office", "2026-03-28T15:59:59Z"));        // 16:59:59 CET
    CHECK_FALSE(inside("office", "2026-03-28T16:00:00Z"));  // 17:00 CET
    CHECK_FALSE(inside("office", "2026-03-29T06:59:59Z"));  // 08:59:59 CEST
    CHECK(inside("office", "2026-03-29T07:00:00Z"));        // 09:00 CEST
    CHECK(inside("office", "2026-03-29T14:59:59Z"));        // 16:59:59 CEST
    CHECK_FALSE(inside("office", "2026-03-29T15:00:00Z"));  // 17:00 CEST
    CHECK_FALSE(inside("office", "2026-10-25T07:00:00Z"));  // 08:00 CET
    CHECK_FALSE(inside("office", "2026-10-25T07:59:59Z"));  // 08:59:59 CET
    CHECK(inside("office", "2026-10-25T08:00:00Z"));        // 09:00 CET
  }
}

TEST_CASE("engine windows: a window past midnight with a days filter", "[engine]") {
  harness h(program_text(window_rules));
  int n = 0;
  auto inside = [&](const char* when) {
    auto e = h.make("ping", std::to_string(++n), when);
    REQUIRE(e.set("event.tag", loyalty::value::of_string("night")));
    const auto r = h.process(e);
    INFO("night at " << when);
    return h.outcome(r, "night") == rule_outcome::awarded;
  };
  // May 2026, CEST (+02:00): Thursday 7, Friday 8, Saturday 9, Sunday 10.
  CHECK_FALSE(inside("2026-05-08T19:59:59Z"));  // Fri 21:59:59
  CHECK(inside("2026-05-08T20:00:00Z"));        // Fri 22:00
  CHECK(inside("2026-05-08T21:59:59Z"));        // Fri 23:59:59
  CHECK(inside("2026-05-08T22:00:00Z"));        // Sat 00:00 (Saturday is listed too)
  CHECK(inside("2026-05-08T23:59:59Z"));        // Sat 01:59:59
  CHECK_FALSE(inside("2026-05-09T00:00:00Z"));  // Sat 02:00
  CHECK_FALSE(inside("2026-05-09T12:00:00Z"));  // Sat 14:00
  CHECK(inside("2026-05-09T21:00:00Z"));        // Sat 23:00
  CHECK_FALSE(inside("2026-05-10T20:30:00Z"));  // Sun 22:30: Sunday is not listed
  CHECK_FALSE(inside("2026-05-07T21:00:00Z"));  // Thu 23:00: Thursday is not listed
  // The days filter reads the local date of the event itself, not of the evening the window
  // opened: the small hours of Sunday (Saturday night) are outside, those of Friday
  // (Thursday night) inside.
  CHECK_FALSE(inside("2026-05-09T23:00:00Z"));  // Sun 01:00
  CHECK(inside("2026-05-07T23:00:00Z"));        // Fri 01:00
  CHECK(h.available() == 6);
}
