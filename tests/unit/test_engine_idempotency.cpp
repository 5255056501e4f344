// Idempotency and determinism: a retried event is a duplicate that changes nothing; a decision
// whose persist failed is made again, identically, from the stored member; the same events on a
// fresh member rebuild the same member; the journal entries rebuild the same ledger state.
#include "engine_test_util.hpp"

#include <algorithm>

using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::process_result;

namespace {

const char* const rules = R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
  - id: capped
    on: order.completed
    award: event.total
    into: points
    caps:
      - {max: 50, per: customer, period: month}
  - id: held
    on: order.completed
    award: 10
    into: points
    pending: {until: order.closed}
  - id: cashback
    on: order.completed
    award: event.total * 0.02
    into: cashback
  - id: drip
    on: order.completed
    award: event.total * 0.004
    into: points
    rounding: {carry: true}
  - id: review
    on: review.approved
    award: 20
    into: points
    caps:
      - {count: 2, per: customer, period: month}
  - id: birthday
    on: {anniversary_of: customer.birthday}
    award: 250
    into: points
)";

void same_entries(const std::vector<loyalty::journal_entry>& a,
                  const std::vector<loyalty::journal_entry>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("entry " << i);
    CHECK(a[i].sequence == b[i].sequence);
    CHECK(a[i].kind == b[i].kind);
    CHECK(a[i].id == b[i].id);
    CHECK(a[i].units == b[i].units);
    CHECK(a[i].at == b[i].at);
    CHECK(a[i].op.amount.identical(b[i].op.amount));
    CHECK(a[i].op.target == b[i].op.target);
    CHECK(a[i].expires_at == b[i].expires_at);
    CHECK(a[i].debt_units == b[i].debt_units);
    CHECK(a[i].parts == b[i].parts);
  }
}

/// A history with every kind of step, run through `h`; returns every decision's entries.
std::vector<loyalty::journal_entry> history(harness& h) {
  std::vector<loyalty::journal_entry> journal;
  auto keep = [&](const loyalty::engine_decision& dec) {
    REQUIRE(dec.result == process_result::ok);
    journal.insert(journal.end(), dec.entries.begin(), dec.entries.end());
  };
  auto reg = h.make("customer.registered", "REG", "2026-05-01T09:00:00+02:00");
  REQUIRE(reg.set("event.birthday", loyalty::value::of_date(etest::date("1990-05-20"))));
  keep(h.process(reg));
  lines l;
  l.add("A", "misc", "10.00", 3);
  l.add("B", "misc", "7.35", 2);
  keep(h.order("O-1", "2026-05-04T10:00:00+02:00", l, {.total = "44.70"}));
  keep(h.simple("review.approved", "RV-1", "2026-05-04T11:00:00+02:00"));
  keep(h.return_lines("R-1", "O-1", "2026-05-05T10:00:00+02:00", {{1, 1}}));
  keep(h.order("O-2", "2026-05-06T10:00:00+02:00", l, {.total = "44.70"}));
  keep(h.simple("review.approved", "RV-2", "2026-05-07T11:00:00+02:00"));
  keep(h.simple("review.approved", "RV-3", "2026-05-08T11:00:00+02:00"));
  keep(h.close("C-1", "O-1", "2026-05-18T00:00:00+02:00"));
  keep(h.advance("2026-05-19T01:00:00+02:00"));
  keep(h.advance("2026-05-21T01:00:00+02:00"));  // the birthday, caught up
  keep(h.return_lines("R-2", "O-2", "2026-05-22T10:00:00+02:00"));
  keep(h.order("O-3", "2026-06-01T10:00:00+02:00", l, {.total = "44.70"}));
  return journal;
}

}  // namespace

TEST_CASE("engine idempotency: the same event twice is a duplicate", "[engine]") {
  harness h(program_text(rules));
  lines l;
  l.add("A", "misc", "80.00", 1);
  // 80.00: base 80, capped 50 (of 80), held 10 (pending), cashback 1.60, drip 0.32 -> 0.
  const auto first = h.order("O-1", "2026-05-04T10:00:00+02:00", l, {.total = "80.00"});
  REQUIRE(first.result == process_result::ok);
  REQUIRE(first.awards.size() == 4);
  CHECK(h.units(first, "base") == 80);
  CHECK(h.units(first, "capped") == 50);
  CHECK(h.units(first, "held") == 10);
  CHECK(h.units(first, "cashback") == 160);
  CHECK(h.available() == 130);
  CHECK(h.pending() == 10);
  const loyalty::member before = h.m;

  // The retry, later and with another amount: the id alone decides.
  const auto again = h.order("O-1", "2026-05-04T10:05:00+02:00", l, {.total = "99.00"});
  CHECK(again.result == process_result::duplicate);
  CHECK(again.entries.empty());
  CHECK(again.reversals.empty());
  CHECK(again.budgets.empty());
  CHECK(again.messages.empty());
  REQUIRE(again.awards.size() == first.awards.size());
  for (const loyalty::award& a : first.awards) {
    const auto it = std::find_if(again.awards.begin(), again.awards.end(),
                                 [&](const loyalty::award& x) { return x.rule == a.rule; });
    REQUIRE(it != again.awards.end());
    INFO("rule " << h.program->rules()[a.rule].id);
    CHECK(it->wallet == a.wallet);
    CHECK(it->op == a.op);
    CHECK(it->amount == a.amount);
    CHECK(it->pending == a.pending);
    CHECK(it->ledger == a.ledger);
  }
  etest::same_member(h.m, before);
  CHECK(h.available() == 130);

  // The same id for another type of event (the order's number used again for its return) is
  // refused with conflicting_event: nothing changes, and the host learns of its bug.
  const auto other_type = h.return_lines("O-1", "O-1", "2026-05-05T10:00:00+02:00");
  CHECK(other_type.result == process_result::conflicting_event);
  CHECK_THAT(other_type.detail,
             Catch::Contains("was processed before as an event of type 'order.completed'"));
  CHECK(other_type.entries.empty());
  CHECK(other_type.reversals.empty());
  etest::same_member(h.m, before);

  // A retried return is a duplicate too, and reverses nothing twice.
  REQUIRE(h.return_lines("R-1", "O-1", "2026-05-05T10:00:00+02:00").result == process_result::ok);
  const std::int64_t after_return = h.available();
  const auto again_return = h.return_lines("R-1", "O-1", "2026-05-05T10:01:00+02:00");
  CHECK(again_return.result == process_result::duplicate);
  CHECK(again_return.entries.empty());
  CHECK(h.available() == after_return);
}

TEST_CASE("engine idempotency: a decision whose persist failed is made again identically",
          "[engine]") {
  harness h(program_text(rules));
  (void)history(h);
  lines l;
  l.add("A", "misc", "10.00", 3);
  l.add("B", "misc", "7.35", 2);
  auto retry = [&](const loyalty::event& e, const char* now) {
    // The host works on a copy, fails to store it, throws it away, reloads and retries.
    loyalty::member copy = h.m;
    const auto lost = h.engine.process(copy, e, etest::at(now), h.options());
    REQUIRE(lost.result == process_result::ok);
    CHECK(lost.read_version == h.m.version);
    const auto kept = h.engine.process(h.m, e, etest::at(now), h.options());
    REQUIRE(kept.result == process_result::ok);
    same_entries(lost.entries, kept.entries);
    REQUIRE(lost.awards.size() == kept.awards.size());
    for (std::size_t i = 0; i < lost.awards.size(); ++i) {
      CHECK(lost.awards[i].op == kept.awards[i].op);
      CHECK(lost.awards[i].amount.identical(kept.awards[i].amount));
    }
    REQUIRE(lost.reversals.size() == kept.reversals.size());
    for (std::size_t i = 0; i < lost.reversals.size(); ++i) {
      CHECK(lost.reversals[i].op == kept.reversals[i].op);
      CHECK(lost.reversals[i].reversed.identical(kept.reversals[i].reversed));
    }
    etest::same_member(copy, h.m);
    ltest::same_balances(h.balance("points"), h.engine.balance(copy, "points"));
    ltest::same_balances(h.balance("cashback"), h.engine.balance(copy, "cashback"));
  };
  retry(h.order_event("O-9", "2026-06-02T10:00:00+02:00", l, {.total = "44.70"}),
        "2026-06-02T10:00:00+02:00");
  auto ret = h.make("order.returned", "R-9", "2026-06-03T10:00:00+02:00");
  ret.set_original(loyalty::event_id("O-9"));
  ret.add_returned_line(0, 2);
  retry(ret, "2026-06-03T10:00:00+02:00");
  auto close = h.make("order.closed", "C-9", "2026-06-10T10:00:00+02:00");
  close.set_original(loyalty::event_id("O-9"));
  retry(close, "2026-06-10T10:00:00+02:00");
  // advance() too.
  loyalty::member copy = h.m;
  const auto lost = h.engine.advance(copy, etest::at("2027-05-20T08:00:00+02:00"), h.options());
  const auto kept = h.advance("2027-05-20T08:00:00+02:00");
  REQUIRE(kept.awards.size() == 1);  // the birthday
  same_entries(lost.entries, kept.entries);
  etest::same_member(copy, h.m);
}

TEST_CASE("engine idempotency: the same events on a fresh member rebuild the same member",
          "[engine]") {
  harness a(program_text(rules), {0, 42});
  harness b(program_text(rules), {0, 42});
  const auto journal_a = history(a);
  const auto journal_b = history(b);
  same_entries(journal_a, journal_b);
  etest::same_member(a.m, b.m);
  ltest::same_balances(a.balance("points"), b.balance("points"));
  ltest::same_balances(a.balance("cashback"), b.balance("cashback"));
  CHECK(a.engine.ledger().check(a.m.ledger).empty());

  // The journal alone rebuilds the ledger state.
  loyalty::customer_state replayed = a.engine.ledger().open(loyalty::id128{0, 42});
  for (const loyalty::journal_entry& e : journal_a) a.engine.ledger().apply(replayed, e);
  ltest::same_ledger(replayed, a.m.ledger);

  // What the history left, computed by hand:
  //   O-1 (30.00 + 2 x 7.35 = 44.70): base 30 + 14 = 44, capped 44 (May: 44 of 50), held 10
  //     pending, cashback 0.894 -> 0.89, drip 0.1788 (carry).
  //   RV-1: 20 (1 of 2 in May).
  //   R-1 (one B of two): base 7 (share(14, 1, 2)); capped's 44 split 30.00 : 14.70 -> 29.53,
  //     14.47 -> 29 + 14 = 43, one more to the larger remainder 0.53: 30, 14 -> 7; held's 10 ->
  //     6.71, 3.29 -> 6 + 3, + 1 -> 7, 3 -> 1 (pending); cashback 89 -> 59.72, 29.27 -> 60, 29
  //     -> 14.
  //   O-2: base 44, capped 6 (May's 50 reached), held 10 pending, cashback 0.89, drip 0.1788
  //     + 0.1788 = 0.3576 -> 0 (carry).
  //   RV-2: 20 (2 of 2), RV-3: capped.
  //   C-1: O-1's held lot (10 - 1 = 9) activates.
  //   advance 21 May: birthday 250.
  //   R-2 (all of O-2): base 44, capped 6, held 10 (pending), cashback 89.
  //   O-3 (June): base 44, capped 44, held 10 pending, cashback 89, drip 0.1788 + 0.3576 =
  //     0.5364 -> 0.
  //   points available: 44 + 44 + 20 - 7 - 7 + 44 + 6 + 20 + 9 + 250 - 44 - 6 + 44 + 44 = 461;
  //   pending: O-3's 10 (O-1's activated, O-2's reversed).
  //   cashback: 89 - 14 + 89 - 89 + 89 = 164.
  CHECK(a.available() == 461);
  CHECK(a.pending() == 10);
  CHECK(a.available("cashback") == 164);
  CHECK(a.m.carries[0] == etest::d("0.5364"));
}

TEST_CASE("engine idempotency: refused events change nothing and are not remembered", "[engine]") {
  harness h(program_text(rules));
  lines l;
  l.add("A", "misc", "10.00", 1);
  (void)h.order("O-1", "2026-05-04T10:00:00+02:00", l, {.total = "10.00"});
  const loyalty::member before = h.m;
  SECTION("an invalid id") {
    auto e = h.order_event("ignored", "2026-05-04T11:00:00+02:00", l, {.total = "10.00"});
    e.reset(loyalty::id128{}, etest::at("2026-05-04T11:00:00+02:00"));
    const auto r = h.process(e);
    CHECK(r.result == process_result::invalid_event);
    CHECK_FALSE(r.detail.empty());
  }
  SECTION("a required field missing") {
    auto e = h.make("order.completed", "O-2", "2026-05-04T11:00:00+02:00");
    REQUIRE(e.set("event.lines", l.list()));
    REQUIRE(e.set("event.total", etest::d("10.00")));
    const auto r = h.process(e);
    CHECK(r.result == process_result::invalid_event);
    CHECK(r.detail.find("event.tax") != std::string::npos);
  }
  SECTION("an event made for another program") {
    const auto other = etest::load(program_text(""));
    loyalty::event e(*other, "review.approved");
    e.reset(loyalty::event_id("RV-9"), etest::at("2026-05-04T11:00:00+02:00"));
    const auto r = h.process(e);
    CHECK(r.result == process_result::wrong_program);
  }
  etest::same_member(h.m, before);
  CHECK(h.available() == 10 + 10 + 0);  // base 10, capped 10, held 10 pending, drip 0
}

TEST_CASE("engine host protocol: memory_member_store commits only the version it was given",
          "[engine]") {
  harness h(program_text(R"(
rules:
  - {id: one, on: ping, award: 1, into: points}
)"));
  loyalty::memory_member_store db;
  CHECK_FALSE(db.load(h.m.customer).has_value());
  // Two workers load the same (new) customer and each process a different event.
  loyalty::member a = h.engine.open(h.m.customer);
  loyalty::member b = h.engine.open(h.m.customer);
  const auto da = h.engine.process(a, h.make("ping", "P-1", "2026-05-04T10:00:00+02:00"),
                                   etest::at("2026-05-04T10:00:00+02:00"));
  const auto db_ = h.engine.process(b, h.make("ping", "P-2", "2026-05-04T10:00:00+02:00"),
                                    etest::at("2026-05-04T10:00:00+02:00"));
  REQUIRE(db.commit(a, da.entries, da.read_version));
  // The second commit is stale: refused, nothing changes; the worker reloads and retries.
  CHECK_FALSE(db.commit(b, db_.entries, db_.read_version));
  CHECK(db.journal(h.m.customer).size() == da.entries.size());
  loyalty::member again = *db.load(h.m.customer);
  const auto retry = h.engine.process(again, h.make("ping", "P-2", "2026-05-04T10:00:00+02:00"),
                                      etest::at("2026-05-04T10:00:00+02:00"));
  REQUIRE(db.commit(again, retry.entries, retry.read_version));
  const loyalty::member stored = *db.load(h.m.customer);
  CHECK(h.engine.balance(stored, "points").available == 2);
  CHECK(stored.version == 2);
  CHECK(db.journal(h.m.customer).size() == da.entries.size() + retry.entries.size());
}
