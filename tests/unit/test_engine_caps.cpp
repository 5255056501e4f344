// Caps at their boundaries (amounts and counts, per event and per customer period in the
// program's zone, two caps on one rule) and campaign budgets.
#include "engine_test_util.hpp"

using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::process_result;
using loyalty::rule_outcome;

namespace {
loyalty::engine_decision ping(harness& h, const std::string& id, const char* when, const char* tag,
                              const char* v = "10.00") {
  auto e = h.make("ping", id, when);
  REQUIRE(e.set("event.tag", loyalty::value::of_string(tag)));
  REQUIRE(e.set("event.value", etest::d(v)));
  return h.process(e);
}

const char* const amount_caps = R"(
rules:
  - id: reduce
    on: ping
    when: event.tag == 'reduce'
    award: event.value
    into: points
    caps:
      - {max: 100, per: customer, period: month}
  - id: reject
    on: ping
    when: event.tag == 'reject'
    award: event.value
    into: points
    caps:
      - {max: 100, per: customer, period: month, overflow: reject}
  - id: per_event
    on: ping
    when: event.tag == 'event'
    award: event.value
    into: points
    caps:
      - {max: 50, per: event}
  # Two caps: at most 100 a month and 30 a day; the tighter one cuts.
  - id: two_caps
    on: ping
    when: event.tag == 'two'
    award: event.value
    into: points
    caps:
      - {max: 100, per: customer, period: month}
      - {max: 30, per: customer, period: day}
)";
}  // namespace

TEST_CASE("engine caps: an amount cap reached exactly, and one unit over", "[engine]") {
  harness h(program_text(amount_caps));
  SECTION("reduce: 60 + 40 fills the cap exactly; then 1 more is capped") {
    CHECK(h.units(ping(h, "1", "2026-05-04T10:00:00+02:00", "reduce", "60"), "reduce") == 60);
    const auto exact = ping(h, "2", "2026-05-05T10:00:00+02:00", "reduce", "40");
    CHECK(h.units(exact, "reduce") == 40);
    CHECK(h.outcome(exact, "reduce") == rule_outcome::awarded);
    CHECK(h.trace_of(exact, "reduce").limited_by == -1);  // it fit: no cap cut it
    const auto over = ping(h, "3", "2026-05-06T10:00:00+02:00", "reduce", "1");
    CHECK(over.awards.empty());
    CHECK(h.outcome(over, "reduce") == rule_outcome::capped);
    CHECK(h.trace_of(over, "reduce").limited_by == 0);
    CHECK(h.trace_of(over, "reduce").uncapped == etest::d("1"));
    CHECK(h.available() == 100);
  }
  SECTION("reduce: 60 then 41 is cut to the 40 left; uncapped says 41") {
    (void)ping(h, "1", "2026-05-04T10:00:00+02:00", "reduce", "60");
    const auto cut = ping(h, "2", "2026-05-05T10:00:00+02:00", "reduce", "41");
    REQUIRE(h.award_of(cut, "reduce") != nullptr);
    CHECK(h.award_of(cut, "reduce")->amount == etest::d("40"));
    CHECK(h.award_of(cut, "reduce")->uncapped == etest::d("41"));
    const auto& t = h.trace_of(cut, "reduce");
    CHECK(t.outcome == rule_outcome::awarded);
    CHECK(t.limited_by == 0);
    CHECK(t.uncapped == etest::d("41"));
    CHECK(t.awarded == etest::d("40"));
    CHECK(h.available() == 100);
  }
  SECTION("reject: 60 then 41 gives nothing, and 40 still fits") {
    (void)ping(h, "1", "2026-05-04T10:00:00+02:00", "reject", "60");
    const auto rej = ping(h, "2", "2026-05-05T10:00:00+02:00", "reject", "41");
    CHECK(rej.awards.empty());
    CHECK(h.outcome(rej, "reject") == rule_outcome::capped);
    CHECK(h.trace_of(rej, "reject").limited_by == 0);
    CHECK(h.trace_of(rej, "reject").awarded.is_zero());
    CHECK(h.available() == 60);
    // The rejected award used none of the room: 40 fits exactly.
    CHECK(h.units(ping(h, "3", "2026-05-06T10:00:00+02:00", "reject", "40"), "reject") == 40);
    CHECK(h.outcome(ping(h, "4", "2026-05-07T10:00:00+02:00", "reject", "1"), "reject") ==
          rule_outcome::capped);
    CHECK(h.available() == 100);
  }
  SECTION("per event: each event on its own, no memory") {
    CHECK(h.units(ping(h, "1", "2026-05-04T10:00:00+02:00", "event", "80"), "per_event") == 50);
    CHECK(h.units(ping(h, "2", "2026-05-04T10:01:00+02:00", "event", "80"), "per_event") == 50);
    CHECK(h.units(ping(h, "3", "2026-05-04T10:02:00+02:00", "event", "50"), "per_event") == 50);
    const auto small = ping(h, "4", "2026-05-04T10:03:00+02:00", "event", "30");
    CHECK(h.units(small, "per_event") == 30);
    CHECK(h.trace_of(small, "per_event").limited_by == -1);
    CHECK(h.available() == 180);
  }
  SECTION("two caps: the tighter one cuts and limited_by names it") {
    // Day 1: 50 -> the day cap (30) cuts: 30. Month 30.
    auto a = ping(h, "1", "2026-05-04T10:00:00+02:00", "two", "50");
    CHECK(h.units(a, "two_caps") == 30);
    CHECK(h.trace_of(a, "two_caps").limited_by == 1);
    // Day 2, 3: 30 each (month 60, 90).
    a = ping(h, "2", "2026-05-05T10:00:00+02:00", "two", "50");
    CHECK(h.units(a, "two_caps") == 30);
    CHECK(h.trace_of(a, "two_caps").limited_by == 1);
    a = ping(h, "3", "2026-05-06T10:00:00+02:00", "two", "50");
    CHECK(h.units(a, "two_caps") == 30);
    // Day 4: the month has 10 left, the day 30: the month cap cuts to 10.
    a = ping(h, "4", "2026-05-07T10:00:00+02:00", "two", "50");
    CHECK(h.units(a, "two_caps") == 10);
    CHECK(h.trace_of(a, "two_caps").limited_by == 0);
    CHECK(h.award_of(a, "two_caps")->uncapped == etest::d("50"));
    CHECK(h.outcome(ping(h, "5", "2026-05-08T10:00:00+02:00", "two", "5"), "two_caps") ==
          rule_outcome::capped);
    CHECK(h.available() == 100);
  }
}

TEST_CASE("engine caps: periods roll over at local midnight, Monday, month, quarter, year",
          "[engine]") {
  harness h(program_text(R"(
rules:
  - {id: day, on: ping, when: "event.tag == 'day'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: day}]}
  - {id: week, on: ping, when: "event.tag == 'week'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: week}]}
  - {id: month, on: ping, when: "event.tag == 'month'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: month}]}
  - {id: quarter, on: ping, when: "event.tag == 'quarter'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: quarter}]}
  - {id: year, on: ping, when: "event.tag == 'year'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: year}]}
  - {id: lifetime, on: ping, when: "event.tag == 'lifetime'", award: 10, into: points,
     caps: [{max: 10, per: customer, period: lifetime}]}
)"));
  int n = 0;
  // The points `rule` awards for a ping at `when` (UTC instants; Berlin is +02:00 in summer,
  // +01:00 in winter).
  auto award = [&](const char* rule, const char* when) {
    return h.units(ping(h, std::to_string(++n), when, rule), rule);
  };
  SECTION("day: Berlin midnight is 22:00 UTC in summer") {
    CHECK(award("day", "2026-05-04T08:00:00Z") == 10);
    CHECK(award("day", "2026-05-04T21:59:59Z") == 0);   // 23:59:59 in Berlin
    CHECK(award("day", "2026-05-04T22:00:00Z") == 10);  // 5 May in Berlin
    CHECK(award("day", "2026-05-05T12:00:00Z") == 0);
  }
  SECTION("week: ISO weeks from Monday 00:00 in Berlin") {
    CHECK(award("week", "2026-05-03T21:59:59Z") == 10);  // Sunday 3 May, 23:59:59
    CHECK(award("week", "2026-05-03T22:00:00Z") == 10);  // Monday 4 May, 00:00: a new week
    CHECK(award("week", "2026-05-08T12:00:00Z") == 0);   // Friday
    CHECK(award("week", "2026-05-10T21:59:59Z") == 0);   // Sunday 10 May, 23:59:59
    CHECK(award("week", "2026-05-10T22:00:00Z") == 10);  // Monday 11 May, 00:00
  }
  SECTION("month") {
    CHECK(award("month", "2026-05-01T00:00:00+02:00") == 10);
    CHECK(award("month", "2026-04-30T22:00:00Z") == 0);  // the same instant, in UTC
    CHECK(award("month", "2026-05-31T21:59:59Z") == 0);
    CHECK(award("month", "2026-05-31T22:00:00Z") == 10);  // 1 June
  }
  SECTION("quarter: Q1 ends with March (after the clocks changed), Q2 spans three months") {
    CHECK(award("quarter", "2026-03-31T21:59:59Z") == 10);  // 31 March 23:59:59 CEST: Q1
    CHECK(award("quarter", "2026-03-31T22:00:00Z") == 10);  // 1 April: Q2
    CHECK(award("quarter", "2026-05-15T12:00:00Z") == 0);
    CHECK(award("quarter", "2026-06-30T21:59:59Z") == 0);
    CHECK(award("quarter", "2026-06-30T22:00:00Z") == 10);  // 1 July: Q3
  }
  SECTION("year: Berlin's new year is 23:00 UTC") {
    CHECK(award("year", "2026-01-01T00:00:00+01:00") == 10);
    CHECK(award("year", "2026-12-31T22:59:59Z") == 0);
    CHECK(award("year", "2026-12-31T23:00:00Z") == 10);
  }
  SECTION("lifetime: never") {
    CHECK(award("lifetime", "2026-05-04T08:00:00Z") == 10);
    CHECK(award("lifetime", "2027-05-04T08:00:00Z") == 0);
    CHECK(award("lifetime", "2036-05-04T08:00:00Z") == 0);
  }
}

TEST_CASE("engine caps: a return does not give cap room back", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: spend
    on: order.completed
    award: event.total
    into: points
    caps:
      - {max: 100, per: customer, period: lifetime}
)"));
  lines l;
  l.add("X", "misc", "80.00", 1);
  CHECK(h.units(h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "80.00"}), "spend") == 80);
  const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00");
  REQUIRE(r.result == process_result::ok);
  REQUIRE(r.reversals.size() == 1);
  CHECK(r.reversals[0].reversed == etest::d("80"));
  CHECK(h.available() == 0);
  // 80 of the 100 were used; the return leaves it so: 50 -> 20.
  lines m;
  m.add("Y", "misc", "50.00", 1);
  const auto o2 = h.order("A-2", "2026-05-06T10:00:00+02:00", m, {.total = "50.00"});
  CHECK(h.units(o2, "spend") == 20);
  CHECK(h.trace_of(o2, "spend").limited_by == 0);
  CHECK(h.available() == 20);
}

namespace {
const char* const budget_rules = R"(
budgets:
  - id: promo
    point_type: points
    amount: 1000
  - id: strict
    point_type: points
    amount: 1000
    overflow: reject
rules:
  - id: promo_a
    on: ping
    when: event.tag == 'promo'
    award: event.value
    into: points
    budget: promo
  - id: promo_b
    on: ping
    when: event.tag == 'promo'
    award: 30
    into: points
    budget: promo
  - id: strict_c
    on: ping
    when: event.tag == 'strict'
    award: event.value
    into: points
    budget: strict
)";
}  // namespace

TEST_CASE("engine budgets: reduce and reject at the units left", "[engine]") {
  harness h(program_text(budget_rules));
  SECTION("reduce: promo has 30 left; a takes them all (50 -> 30), b gets nothing") {
    h.budgets = {30, 1000};
    const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50");
    REQUIRE(r.result == process_result::ok);
    CHECK(h.units(r, "promo_a") == 30);
    CHECK(h.award_of(r, "promo_a")->uncapped == etest::d("50"));
    CHECK(h.trace_of(r, "promo_a").limited_by == -2);
    CHECK(h.outcome(r, "promo_b") == rule_outcome::capped);
    CHECK(h.trace_of(r, "promo_b").limited_by == -2);
    REQUIRE(r.budgets.size() == 1);
    CHECK(r.budgets[0].budget == 0);
    CHECK(r.budgets[0].units == 30);
    CHECK(h.available() == 30);
  }
  SECTION("two rules on one budget in one event: 50 + 30 of 100, one budget_use of 80") {
    h.budgets = {100, 1000};
    const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50");
    CHECK(h.units(r, "promo_a") == 50);
    CHECK(h.units(r, "promo_b") == 30);
    REQUIRE(r.budgets.size() == 1);
    CHECK(r.budgets[0].units == 80);
    CHECK(h.available() == 80);
  }
  SECTION("two rules on one budget: the second gets what the first left (60 - 50 = 10)") {
    h.budgets = {60, 1000};
    const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50");
    CHECK(h.units(r, "promo_a") == 50);
    CHECK(h.trace_of(r, "promo_a").limited_by == -1);
    CHECK(h.units(r, "promo_b") == 10);
    CHECK(h.trace_of(r, "promo_b").limited_by == -2);
    REQUIRE(r.budgets.size() == 1);
    CHECK(r.budgets[0].units == 60);
  }
  SECTION("reject: 50 with 30 left gives nothing; 30 with 30 left fits exactly") {
    h.budgets = {1000, 30};
    const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "strict", "50");
    CHECK(r.awards.empty());
    CHECK(r.budgets.empty());
    CHECK(h.outcome(r, "strict_c") == rule_outcome::capped);
    CHECK(h.trace_of(r, "strict_c").limited_by == -2);
    const auto ok = ping(h, "2", "2026-05-04T11:00:00+02:00", "strict", "30");
    CHECK(h.units(ok, "strict_c") == 30);
    CHECK(h.trace_of(ok, "strict_c").limited_by == -1);
    REQUIRE(ok.budgets.size() == 1);
    CHECK(ok.budgets[0].budget == 1);
    CHECK(ok.budgets[0].units == 30);
    CHECK(h.available() == 30);
  }
  SECTION("nothing left: capped, whatever the overflow") {
    h.budgets = {0, 0};
    const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50");
    CHECK(r.awards.empty());
    CHECK(r.budgets.empty());
    CHECK(h.outcome(r, "promo_a") == rule_outcome::capped);
  }
}

TEST_CASE("engine budgets: too few budgets given changes nothing", "[engine]") {
  harness h(program_text(budget_rules));
  h.budgets = {1000, 1000};
  (void)ping(h, "0", "2026-05-04T09:00:00+02:00", "promo", "50");
  REQUIRE(h.available() == 80);
  const loyalty::member before = h.m;
  // Only promo's units: strict_c is on the same event type, so the event is refused even
  // though only the promo rules would fire.
  h.budgets = {1000};
  const auto r = ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50");
  CHECK(r.result == process_result::missing_budgets);
  CHECK(r.detail.find("strict") != std::string::npos);
  CHECK(r.awards.empty());
  CHECK(r.entries.empty());
  CHECK(h.m.version == before.version);
  CHECK(h.m.ledger.version == before.ledger.version);
  CHECK(h.m.events.size() == before.events.size());
  CHECK(h.m.event_counts == before.event_counts);
  CHECK(h.available() == 80);
  h.budgets = {};
  CHECK(ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50").result ==
        process_result::missing_budgets);
  // Given all of them, the same event goes through: it was not recorded as seen.
  h.budgets = {1000, 1000};
  CHECK(ping(h, "1", "2026-05-04T10:00:00+02:00", "promo", "50").result == process_result::ok);
  CHECK(h.available() == 160);
}

TEST_CASE("engine caps: a late event of an earlier period does not reset the current one",
          "[engine]") {
  harness h(program_text(R"(
rules:
  - id: monthly
    on: ping
    award: event.value
    into: points
    caps:
      - {max: 100, per: customer, period: month}
)"));
  auto ping_at = [&](const char* id, const char* when, const char* v) {
    auto e = h.make("ping", id, when);
    REQUIRE(e.set("event.value", etest::d(v)));
    return h.units(h.process(e), "monthly");
  };
  CHECK(ping_at("J-1", "2026-06-02T10:00:00+02:00", "100") == 100);  // June: full
  // An event of 31 May arrives late. May's usage is not tracked any more (the counter holds
  // June), so it gets May's whole room...
  CHECK(ping_at("M-1", "2026-05-31T10:00:00+02:00", "50") == 50);
  // ... but June stays full: its counter must not have been replaced by May's.
  CHECK(ping_at("J-2", "2026-06-03T10:00:00+02:00", "100") == 0);
  CHECK(h.available() == 150);
}
