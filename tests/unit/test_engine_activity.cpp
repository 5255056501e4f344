// Inactivity reset by program events: a point type whose expiry policy is `inactivity` lists, in
// `reset_on`, event types beside ledger operations; the engine records the activity (a ledger
// record_activity) when it processes such an event, so the wallet's clock restarts.
#include <catch2/catch.hpp>

#include <string>

#include "engine_test_util.hpp"

using etest::harness;

namespace {

std::string program(const char* reset_on) {
  return std::string(R"(name: Activity
version: "1"
time_zone: Europe/Berlin
point_types:
  - id: points
    rounding: floor
    expiry: {policy: inactivity, period: 90 days, reset_on: )") +
         reset_on + R"(}
events:
  order.completed:
    fields: {net: decimal(2)}
  customer.login: {}
  review.approved: {}
rules:
  - {id: base, on: order.completed, award: event.net, into: points}
)";
}

loyalty::engine_decision order(harness& h, const char* id, const char* when, const char* net) {
  loyalty::event e = h.make("order.completed", id, when);
  REQUIRE(e.set("event.net", etest::d(net)));
  return h.process(e);
}

std::size_t count(const loyalty::engine_decision& d, loyalty::entry_kind k) {
  std::size_t n = 0;
  for (const loyalty::journal_entry& e : d.entries) n += e.kind == k ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("activity: a listed event restarts the inactivity clock", "[engine][expiry]") {
  harness h(program("[earn, redeem, customer.login]"));
  REQUIRE(h.program->point_types()[0].reset_on_events.size() == 1);
  // 100 points on 1 March: the clock runs to 30 May (90 days).
  REQUIRE(order(h, "O1", "2026-03-01T10:00:00+01:00", "100.00").result ==
          loyalty::process_result::ok);
  CHECK(h.m.ledger.wallets[0].lapses_at == etest::at("2026-05-30T10:00:00+02:00"));

  // A login on 1 May restarts it: now 30 July.
  const loyalty::engine_decision login =
      h.simple("customer.login", "L1", "2026-05-01T09:00:00+02:00");
  REQUIRE(login.result == loyalty::process_result::ok);
  CHECK(count(login, loyalty::entry_kind::record_activity) == 1);
  CHECK(h.m.ledger.wallets[0].lapses_at == etest::at("2026-07-30T09:00:00+02:00"));

  // Past the first deadline nothing lapses; past the second everything does.
  h.advance("2026-06-15T00:00:00+02:00");
  CHECK(h.available() == 100);
  CHECK(h.balance().expired == 0);
  h.advance("2026-07-30T09:00:00+02:00");
  CHECK(h.available() == 0);
  CHECK(h.balance().expired == 100);

  // A retried login changes nothing and records nothing.
  const loyalty::engine_decision again =
      h.simple("customer.login", "L1", "2026-08-01T09:00:00+02:00");
  CHECK(again.result == loyalty::process_result::duplicate);
  CHECK(again.entries.empty());
}

TEST_CASE("activity: events not listed leave the clock alone", "[engine][expiry]") {
  harness h(program("[earn, redeem, customer.login]"));
  REQUIRE(order(h, "O1", "2026-03-01T10:00:00+01:00", "100.00").result ==
          loyalty::process_result::ok);
  const loyalty::engine_decision review =
      h.simple("review.approved", "R1", "2026-05-01T09:00:00+02:00");
  CHECK(count(review, loyalty::entry_kind::record_activity) == 0);
  CHECK(h.m.ledger.wallets[0].lapses_at == etest::at("2026-05-30T10:00:00+02:00"));
  h.advance("2026-05-30T10:00:00+02:00");
  CHECK(h.balance().expired == 100);
}

TEST_CASE("activity: an event that already restarted the clock records nothing more",
          "[engine][expiry]") {
  harness h(program("[earn, order.completed]"));
  // The order's earn restarts the clock (earn is listed): no second record_activity entry.
  const loyalty::engine_decision d = order(h, "O1", "2026-03-01T10:00:00+01:00", "10.00");
  CHECK(count(d, loyalty::entry_kind::earn) == 1);
  CHECK(count(d, loyalty::entry_kind::record_activity) == 0);
  // An order that earns nothing still counts as activity.
  const loyalty::engine_decision zero = order(h, "O2", "2026-04-01T10:00:00+02:00", "0.00");
  CHECK(count(zero, loyalty::entry_kind::earn) == 0);
  CHECK(count(zero, loyalty::entry_kind::record_activity) == 1);
  CHECK(h.m.ledger.wallets[0].lapses_at == etest::at("2026-06-30T10:00:00+02:00"));
}

TEST_CASE("activity: unknown names in reset_on are diagnosed", "[engine][expiry]") {
  const loyalty::load_result r =
      loyalty::load_program(program("[earn, customer.logon, redem]"), "a.yaml");
  REQUIRE_FALSE(r.ok());
  const std::string text = loyalty::render(r.diagnostics);
  CHECK_THAT(text,
             Catch::Contains("names 'customer.logon', which is neither an operation nor an "
                             "event type 'events' declares (did you mean 'customer.login'?)"));
  CHECK_THAT(text, Catch::Contains("names 'redem', which is neither an operation nor an event "
                                   "type 'events' declares (did you mean 'redeem'?)"));
  const loyalty::load_result twice =
      loyalty::load_program(program("[customer.login, customer.login]"), "a.yaml");
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(loyalty::render(twice.diagnostics), Catch::Contains("lists 'customer.login' twice"));
}
