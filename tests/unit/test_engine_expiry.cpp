// A rule's own `expiry` (docs/rules.md#expiry) overrides its point type's policy for the lots it
// credits; other rules on the same point type keep the point type's. Every instant is exact, in
// Europe/Berlin: 20 January 2026 is CET (+01:00); from 29 March, CEST (+02:00).
#include "engine_test_util.hpp"

using loyalty::process_result;
using loyalty::timestamp;

namespace {

const char* const program_yaml = R"(name: Rule expiry
version: "1"
time_zone: Europe/Berlin
point_types:
  - id: points
    rounding: floor
    expiry: {policy: after, period: 12 months, round_to: month}
  - id: bonus
    rounding: floor
    expiry: {policy: after, period: 3 months, round_to: month, clock_starts: activation}
events:
  ping:
    fields: {tag: text}
rules:
  - id: base
    on: ping
    award: 5
    into: points
  - id: campaign
    on: ping
    when: event.tag == 'campaign'
    award: 10
    into: points
    expiry: {policy: after, period: 3 months, round_to: month}
  - id: campaign_pending
    on: ping
    when: event.tag == 'pending'
    award: 20
    into: points
    pending: 14 days
    expiry: {policy: after, period: 3 months, round_to: month, clock_starts: activation}
  - id: campaign_pending_earn
    on: ping
    when: event.tag == 'pending'
    award: 30
    into: points
    pending: 14 days
    expiry: {policy: after, period: 3 months, round_to: month}
  - id: plain_pending
    on: ping
    when: event.tag == 'pending'
    award: 40
    into: points
    pending: 14 days
  - id: bonus_pending
    on: ping
    when: event.tag == 'pending'
    award: 50
    into: bonus
    pending: 14 days
)";

std::string text(timestamp t) {
  return t == timestamp::max() ? std::string("never") : loyalty::to_string(t);
}

/// The lot a rule's award credited (its earn's id is the lot's id).
const loyalty::lot& lot_of(const etest::harness& h, const loyalty::engine_decision& dec,
                           std::string_view rule) {
  const loyalty::award* a = h.award_of(dec, rule);
  REQUIRE(a != nullptr);
  for (const loyalty::lot& l : h.m.ledger.wallets[a->wallet].lots) {
    if (l.id == a->op) return l;
  }
  FAIL("no lot for rule " << rule);
  return h.m.ledger.wallets[0].lots.front();
}

loyalty::engine_decision ping(etest::harness& h, const char* id, const char* when,
                              const char* tag) {
  loyalty::event e = h.make("ping", id, when);
  REQUIRE(e.set("event.tag", loyalty::value::of_string(tag)));
  loyalty::engine_decision dec = h.process(e);
  REQUIRE(dec.result == process_result::ok);
  return dec;
}

}  // namespace

TEST_CASE("engine rule expiry: after 3 months to the end of the month, instead of 12", "[engine]") {
  etest::harness h(program_yaml);
  // 20 January 2026, 10:00 CET.
  const loyalty::engine_decision dec = ping(h, "1", "2026-01-20T10:00:00+01:00", "campaign");
  // campaign: 20 April 10:00 CEST, to the end of April: 1 May 00:00 CEST.
  CHECK(text(lot_of(h, dec, "campaign").expires_at) == "2026-04-30T22:00:00Z");
  CHECK(h.units(dec, "campaign") == 10);
  // base keeps the point type's policy: 12 months, to the end of January 2027 (CET).
  CHECK(text(lot_of(h, dec, "base").expires_at) == "2027-01-31T23:00:00Z");
  CHECK(h.units(dec, "base") == 5);
  // Different expiries, different lots (one earn each), and the entries record the instants.
  CHECK(h.award_of(dec, "campaign")->op != h.award_of(dec, "base")->op);
  REQUIRE(dec.entries.size() == 2);
  CHECK(text(dec.entries[0].expires_at) == "2027-01-31T23:00:00Z");
  CHECK(text(dec.entries[1].expires_at) == "2026-04-30T22:00:00Z");

  // The campaign's 10 expire at that instant, not a microsecond earlier; base's 5 stay.
  (void)h.advance("2026-04-30T21:59:59.999999Z");
  CHECK(h.balance().available == 15);
  (void)h.advance("2026-04-30T22:00:00Z");
  CHECK(h.balance().available == 5);
  CHECK(h.balance().expired == 10);
  (void)h.advance("2027-01-31T22:59:59.999999Z");
  CHECK(h.balance().available == 5);
  (void)h.advance("2027-01-31T23:00:00Z");
  CHECK(h.balance().available == 0);
  CHECK(h.balance().expired == 15);
}

TEST_CASE("engine rule expiry: with pending 14 days, the clock at the earn or at activation",
          "[engine]") {
  etest::harness h(program_yaml);
  const loyalty::engine_decision dec = ping(h, "1", "2026-01-20T10:00:00+01:00", "pending");
  REQUIRE(dec.awards.size() == 5);
  // Pending until 3 February 10:00 CET, 14 calendar days after the event was processed.
  for (const char* rule :
       {"campaign_pending", "campaign_pending_earn", "plain_pending", "bonus_pending"}) {
    INFO(rule);
    CHECK(lot_of(h, dec, rule).pending);
    CHECK(text(lot_of(h, dec, rule).activates_at) == "2026-02-03T09:00:00Z");
  }
  // clock_starts: activation: 3 February + 3 months = 3 May, to the end of May (CEST).
  CHECK(text(lot_of(h, dec, "campaign_pending").expires_at) == "2026-05-31T22:00:00Z");
  // clock_starts: earn (the default): 20 January + 3 months = 20 April, to the end of April.
  CHECK(text(lot_of(h, dec, "campaign_pending_earn").expires_at) == "2026-04-30T22:00:00Z");
  // No override: the point type's policy (clock at the earn), as for base.
  CHECK(text(lot_of(h, dec, "plain_pending").expires_at) == "2027-01-31T23:00:00Z");
  CHECK(text(lot_of(h, dec, "base").expires_at) == "2027-01-31T23:00:00Z");
  // No override on a point type whose clock starts at activation: no expiry until then.
  CHECK(lot_of(h, dec, "bonus_pending").expires_at == timestamp::max());
  CHECK(h.balance().available == 5);
  CHECK(h.balance().pending == 90);
  CHECK(h.balance("bonus").pending == 50);

  SECTION("advance() on the day of activation") {
    (void)h.advance("2026-02-03T09:00:00Z");
    CHECK(h.balance().available == 95);
    CHECK(h.balance().pending == 0);
    // The rules' instants stand; the point type's activation clock starts now.
    CHECK(text(lot_of(h, dec, "campaign_pending").expires_at) == "2026-05-31T22:00:00Z");
    CHECK(text(lot_of(h, dec, "campaign_pending_earn").expires_at) == "2026-04-30T22:00:00Z");
    CHECK(text(lot_of(h, dec, "plain_pending").expires_at) == "2027-01-31T23:00:00Z");
    // 3 February + 3 months = 3 May, to the end of May.
    CHECK(text(lot_of(h, dec, "bonus_pending").expires_at) == "2026-05-31T22:00:00Z");
    CHECK(h.balance("bonus").available == 50);

    // 1 May 00:00 CEST: the 30 of campaign_pending_earn expire.
    (void)h.advance("2026-04-30T22:00:00Z");
    CHECK(h.balance().available == 65);
    CHECK(h.balance().expired == 30);
    // 1 June 00:00 CEST: the 20 of campaign_pending and the 50 bonus points.
    (void)h.advance("2026-05-31T22:00:00Z");
    CHECK(h.balance().available == 45);
    CHECK(h.balance().expired == 50);
    CHECK(h.balance("bonus").available == 0);
    CHECK(h.balance("bonus").expired == 50);
  }
  SECTION("advance() four weeks late") {
    // A rule's `clock_starts: activation` counts from the end of the pending period (computed
    // when the points are earned), whenever advance() runs; the point type's policy counts from
    // the activation entry itself, so a late advance() starts that clock late.
    (void)h.advance("2026-03-01T09:00:00Z");  // 1 March 10:00 CET
    CHECK(h.balance().available == 95);
    CHECK(text(lot_of(h, dec, "campaign_pending").expires_at) == "2026-05-31T22:00:00Z");
    // 1 March + 3 months = 1 June 10:00, to the end of June.
    CHECK(text(lot_of(h, dec, "bonus_pending").expires_at) == "2026-06-30T22:00:00Z");
  }
}

TEST_CASE("engine rule expiry: rules with the same expiry share a lot, others do not", "[engine]") {
  // Two rules on one event with the same override share one earn; the same expiry as the point
  // type's, written out, is still another lot (an explicit instant, not the policy).
  const char* const yaml = R"(name: Shared lots
version: "1"
time_zone: Europe/Berlin
point_types:
  - id: points
    rounding: floor
    expiry: {policy: after, period: 12 months, round_to: month}
events:
  ping:
rules:
  - {id: a, on: ping, award: 1, into: points, expiry: {policy: after, period: 3 months, round_to: month}}
  - {id: b, on: ping, award: 2, into: points, expiry: {policy: after, period: 3 months, round_to: month}}
  - {id: c, on: ping, award: 4, into: points}
  - {id: d, on: ping, award: 8, into: points, expiry: {policy: never}}
)";
  etest::harness h(yaml);
  const loyalty::engine_decision dec = h.simple("ping", "1", "2026-01-20T10:00:00+01:00");
  REQUIRE(dec.result == process_result::ok);
  CHECK(h.award_of(dec, "a")->op == h.award_of(dec, "b")->op);
  CHECK(h.award_of(dec, "c")->op != h.award_of(dec, "a")->op);
  CHECK(h.award_of(dec, "d")->op != h.award_of(dec, "c")->op);
  CHECK(lot_of(h, dec, "a").amount == 3);
  CHECK(text(lot_of(h, dec, "a").expires_at) == "2026-04-30T22:00:00Z");
  CHECK(lot_of(h, dec, "c").amount == 4);
  CHECK(text(lot_of(h, dec, "c").expires_at) == "2027-01-31T23:00:00Z");
  CHECK(lot_of(h, dec, "d").amount == 8);
  CHECK(lot_of(h, dec, "d").expires_at == timestamp::max());
  // Expired in order: a and b's 3 in May 2026, c's 4 in February 2027; d's 8 never.
  (void)h.advance("2030-01-01T00:00:00Z");
  CHECK(h.balance().available == 8);
  CHECK(h.balance().expired == 7);
}
