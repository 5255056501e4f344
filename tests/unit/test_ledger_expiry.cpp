// The ledger's expiry policies (docs/ledger.md#expiry-policies): each kind with exact instants,
// the clock starting at activation, inactivity with its lapse and record_activity. After every
// step ledger::check() must pass, and at the end of every test the journal must replay to the
// same state.
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ledger_test_util.hpp"
#include "loyalty/ledger.hpp"

using loyalty::calendar_period;
using loyalty::calendar_unit;
using loyalty::clock_start;
using loyalty::customer_state;
using loyalty::decimal;
using loyalty::duration;
using loyalty::entry_kind;
using loyalty::expiry_policy;
using loyalty::id128;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::ledger_result;
using loyalty::month_day;
using loyalty::op_kind;
using loyalty::timestamp;
using loyalty::wallet_policy;

namespace {

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}

std::string text(timestamp t) {
  return t == timestamp::max() ? std::string("never") : loyalty::to_string(t);
}

id128 id(std::uint64_t n) {
  return id128{0, n};
}

loyalty::time_zone berlin() {
  return loyalty::time_zone::locate("Europe/Berlin").value();
}

wallet_policy with(expiry_policy p, loyalty::time_zone zone = loyalty::time_zone::utc()) {
  wallet_policy w;
  w.expiry = std::move(p);
  w.zone = zone;
  return w;
}

constexpr duration one_us{1};

/// One customer and the host's protocol: decide, "persist" (keep the journal), apply; check()
/// after every step.
struct book {
  ledger l;
  customer_state s;
  std::vector<loyalty::journal_entry> journal;
  std::vector<entry_kind> last;  ///< the kinds of the last decision's entries

  explicit book(std::vector<wallet_policy> wallets) : l(std::move(wallets)), s(l.open(id(1))) {}

  ledger_result run(const ledger_op& op, timestamp now) {
    const loyalty::decision dec = l.decide(s, op, now);
    commit(dec);
    return dec.result;
  }
  void advance(timestamp now) { commit(l.advance(s, now)); }
  void commit(const loyalty::decision& dec) {
    last.clear();
    for (const loyalty::journal_entry& e : dec.entries) last.push_back(e.kind);
    journal.insert(journal.end(), dec.entries.begin(), dec.entries.end());
    REQUIRE(l.apply(s, dec));
    INFO(l.check(s));
    REQUIRE(l.check(s).empty());
  }
  const loyalty::wallet_state& w(std::uint16_t wallet = 0) const { return s.wallets[wallet]; }
  const loyalty::balances& b(std::uint16_t wallet = 0) const { return w(wallet).totals; }
  const loyalty::lot& lot(id128 lot_id, std::uint16_t wallet = 0) const {
    for (const loyalty::lot& x : w(wallet).lots) {
      if (x.id == lot_id) return x;
    }
    FAIL("no lot " << lot_id.to_string());
    return w(wallet).lots.front();
  }
  std::vector<id128> order(std::uint16_t wallet = 0) const {
    std::vector<id128> ids;
    for (const loyalty::lot& x : w(wallet).lots) ids.push_back(x.id);
    return ids;
  }
  /// The last entry of `kind` (about lot or hold `target`, if given).
  const loyalty::journal_entry& entry(entry_kind kind, id128 target = {}) const {
    for (auto it = journal.rbegin(); it != journal.rend(); ++it) {
      if (it->kind == kind && (!target.valid() || it->op.target == target)) return *it;
    }
    FAIL("no entry " << loyalty::to_string(kind));
    return journal.front();
  }
  /// Replaying the journal from open() rebuilds the same state, field by field.
  void check_replay() const {
    customer_state r = l.open(s.customer);
    for (const loyalty::journal_entry& e : journal) l.apply(r, e);
    REQUIRE(l.check(r).empty());
    ltest::same_ledger(r, s);
  }
};

}  // namespace

TEST_CASE("after: credits without their own expiry get the policy's, in the wallet's zone",
          "[ledger][expiry]") {
  book k({with(expiry_policy::after(calendar_period::months(1), calendar_unit::month), berlin())});
  // 31 January + 1 month = 28 February (clamped), rounded to the end of February in Berlin.
  const timestamp t0 = at("2026-01-31T10:00:00+01:00");
  REQUIRE(k.run(ledger_op::earn(id(11), 0, d("100")), t0) == ledger_result::ok);
  CHECK(text(k.lot(id(11)).expires_at) == "2026-02-28T23:00:00Z");
  CHECK(text(k.journal.back().expires_at) == "2026-02-28T23:00:00Z");  // decided, recorded
  // The op's own expires_at wins; timestamp::max() means never, whatever the policy.
  REQUIRE(k.run(ledger_op::earn(id(12), 0, d("10"), at("2026-02-10T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn(id(13), 0, d("5"), timestamp::max()), t0) == ledger_result::ok);
  CHECK(k.lot(id(13)).expires_at == timestamp::max());
  // A credit adjustment follows the policy too.
  REQUIRE(k.run(ledger_op::adjust(id(14), 0, d("7"), 3), at("2026-02-15T12:00:00+01:00")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(14)).expires_at) == "2026-03-31T22:00:00Z");
  CHECK(k.order() == std::vector<id128>{id(12), id(11), id(14), id(13)});

  // The last valid microsecond, then the exact instant.
  k.advance(at("2026-02-28T22:59:59.999999Z"));
  CHECK(k.b().expired == 10);  // only lot 12
  REQUIRE(k.run(ledger_op::redeem_from(id(15), 0, d("1"), id(11)),
                at("2026-02-28T22:59:59.999999Z")) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::redeem_from(id(16), 0, d("1"), id(11)), at("2026-02-28T23:00:00Z")) ==
          ledger_result::lot_expired);
  CHECK(k.b().expired == 10 + 99);
  CHECK(k.b().available == 12);
  k.check_replay();
}

TEST_CASE("after: 31 January + 1 month in a leap year, without rounding", "[ledger][expiry]") {
  book k({with(expiry_policy::after(calendar_period::months(1)), berlin())});
  REQUIRE(k.run(ledger_op::earn(id(11), 0, d("100")), at("2028-01-31T10:00:00+01:00")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(11)).expires_at) == "2028-02-29T09:00:00Z");
  k.check_replay();
}

TEST_CASE("fixed dates with a minimum validity", "[ledger][expiry]") {
  book k({with(expiry_policy::fixed_dates({month_day{3, 31}, month_day{9, 30}}, duration::days(30)),
               berlin()),
          with(expiry_policy::fixed_dates({month_day{2, 29}}), berlin())});
  REQUIRE(k.run(ledger_op::earn(id(11), 0, d("100")), at("2026-03-15T12:00:00+01:00")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(11)).expires_at) == "2026-09-30T22:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(12), 0, d("100")), at("2026-03-01T22:00:00Z")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(12)).expires_at) == "2026-03-31T22:00:00Z");  // exactly 30 days
  // 29 February in a common year: 28 February.
  REQUIRE(k.run(ledger_op::earn(id(13), 1, d("100")), at("2027-01-10T09:00:00Z")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(13), 1).expires_at) == "2027-02-28T23:00:00Z");
  k.check_replay();
}

TEST_CASE("clock_starts activation: a pending earn's period starts when it activates",
          "[ledger][expiry]") {
  const expiry_policy from_activation =
      expiry_policy::after(calendar_period::days(30), std::nullopt, clock_start::activation);
  book k({with(from_activation), with(expiry_policy::after(calendar_period::days(30)))});
  const timestamp t0 = at("2026-01-10T09:00:00Z");
  const timestamp due = at("2026-01-25T00:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("10"), at("2026-02-20T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn(id(2), 0, d("10"), at("2026-03-01T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn_pending(id(11), 0, d("40"), due), t0) == ledger_result::ok);
  // Pending: no expiry yet, so it sorts last.
  CHECK(k.lot(id(11)).expires_at == timestamp::max());
  CHECK(k.order() == std::vector<id128>{id(1), id(2), id(11)});
  // Not rounded, clock at earn: 30 days from the earn, pending or not.
  REQUIRE(k.run(ledger_op::earn_pending(id(21), 1, d("40"), due), t0) == ledger_result::ok);
  CHECK(text(k.lot(id(21), 1).expires_at) == "2026-02-09T09:00:00Z");

  k.advance(due);
  CHECK(text(k.entry(entry_kind::activate, id(11)).expires_at) == "2026-02-24T00:00:00Z");
  CHECK(text(k.lot(id(11)).expires_at) == "2026-02-24T00:00:00Z");
  CHECK_FALSE(k.lot(id(11)).pending);
  CHECK(k.order() == std::vector<id128>{id(1), id(11), id(2)});  // re-sorted by the new expiry
  CHECK(text(k.lot(id(21), 1).expires_at) == "2026-02-09T09:00:00Z");

  // Activated early by the host: the period starts then.
  REQUIRE(k.run(ledger_op::earn_pending(id(12), 0, d("5"), at("2026-03-01T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(k.run(ledger_op::activate(id(13), 0, id(12)), at("2026-01-26T12:00:00Z")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(12)).expires_at) == "2026-02-25T12:00:00Z");
  // An earn with its own expires_at keeps it when it activates.
  REQUIRE(k.run(ledger_op::earn_pending(id(14), 0, d("5"), timestamp::max(),
                                        at("2026-12-31T00:00:00Z")),
                t0) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::activate(id(15), 0, id(14)), at("2026-02-01T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(text(k.lot(id(14)).expires_at) == "2026-12-31T00:00:00Z");
  // Pending until activated (activates_at = max) is fine with no expiry yet.
  REQUIRE(k.run(ledger_op::earn_pending(id(16), 0, d("5"), timestamp::max()), t0) ==
          ledger_result::ok);
  CHECK(k.lot(id(16)).expires_at == timestamp::max());

  k.advance(at("2026-02-24T00:00:00Z"));
  CHECK(k.lot(id(11)).remaining == 0);
  CHECK(k.b().expired == 10 + 40);  // lot 1 on 02-20, lot 11 on 02-24
  k.check_replay();
}

TEST_CASE("inactivity: the wallet lapses at the exact instant, not before, not after",
          "[ledger][expiry]") {
  book k({with(expiry_policy::inactivity(calendar_period::days(30)))});
  REQUIRE(k.run(ledger_op::earn(id(11), 0, d("100")), at("2026-01-01T12:00:00Z")) ==
          ledger_result::ok);
  CHECK(k.lot(id(11)).expires_at == timestamp::max());  // lots have no expiry of their own
  CHECK(k.w().last_activity == at("2026-01-01T12:00:00Z"));
  CHECK(text(k.w().lapses_at) == "2026-01-31T12:00:00Z");
  CHECK(k.journal.back().marks_activity);

  // A redemption in the last microsecond resets the clock (reset_on: earn, redeem).
  const timestamp last = at("2026-01-31T11:59:59.999999Z");
  k.advance(last);
  CHECK(k.last.empty());
  REQUIRE(k.run(ledger_op::redeem(id(12), 0, d("10")), last) == ledger_result::ok);
  CHECK(text(k.w().lapses_at) == "2026-03-02T11:59:59.999999Z");

  k.advance(at("2026-03-02T11:59:59.999998Z"));
  CHECK(k.last.empty());
  CHECK(k.b().available == 90);
  k.advance(at("2026-03-02T11:59:59.999999Z"));
  CHECK(k.last == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire});
  const loyalty::journal_entry& lapse = k.entry(entry_kind::lapse);
  CHECK(text(lapse.expires_at) == "2026-03-02T11:59:59.999999Z");
  CHECK(lapse.id == k.s.customer.child(static_cast<std::uint32_t>(lapse.sequence)));
  CHECK(k.b().available == 0);
  CHECK(k.b().expired == 90);
  CHECK_FALSE(k.w().last_activity.has_value());
  CHECK(k.w().lapses_at == timestamp::max());
  CHECK(k.lot(id(11)).expires_at == at("2026-03-02T11:59:59.999999Z"));

  // Nothing lapses twice; a new credit starts the clock again.
  k.advance(at("2026-06-01T00:00:00Z"));
  CHECK(k.last.empty());
  REQUIRE(k.run(ledger_op::earn(id(13), 0, d("5")), at("2026-06-01T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(text(k.w().lapses_at) == "2026-07-01T00:00:00Z");
  CHECK(k.lot(id(13)).expires_at == timestamp::max());
  k.check_replay();
}

TEST_CASE("inactivity: only the operations in reset_on reset the clock", "[ledger][expiry]") {
  wallet_policy p = with(expiry_policy::inactivity(calendar_period::days(10)));
  p.reset_on = {op_kind::capture};
  book k({p});
  const auto day = [](int n) {
    return timestamp{at("2026-01-01T00:00:00Z").micros + n * duration::micros_per_day};
  };
  // The first credit starts a stopped clock even though earn is not listed.
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), day(0)) == ledger_result::ok);
  CHECK(k.w().lapses_at == day(10));
  // Neither a second earn, a reserve, a failed capture, a redeem, a debit adjustment, a release
  // nor a refund resets it.
  REQUIRE(k.run(ledger_op::earn(id(2), 0, d("100")), day(1)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::reserve(id(3), 0, d("20"), day(30), loyalty::timeout_action::none),
                day(2)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::capture(id(4), 0, id(99), d("5")), day(3)) ==
          ledger_result::hold_not_found);
  REQUIRE(k.run(ledger_op::redeem(id(5), 0, d("10")), day(3)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::adjust(id(6), 0, d("-1"), 9), day(4)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::refund(id(7), 0, id(5), d("2")), day(4)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::reserve(id(8), 0, d("5"), day(30), loyalty::timeout_action::none),
                day(4)) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::release(id(9), 0, id(8)), day(5)) == ledger_result::ok);
  CHECK(k.w().lapses_at == day(10));
  // A capture does.
  REQUIRE(k.run(ledger_op::capture(id(10), 0, id(3), d("20")), day(6)) == ledger_result::ok);
  CHECK(k.w().last_activity == day(6));
  CHECK(k.w().lapses_at == day(16));
  // So does record_activity, always.
  REQUIRE(k.run(ledger_op::record_activity(id(12), 0), day(7)) == ledger_result::ok);
  CHECK(k.w().lapses_at == day(17));
  k.check_replay();
}

TEST_CASE("record_activity moves nothing, is idempotent, and comes too late at the lapse",
          "[ledger][expiry]") {
  book k({with(expiry_policy::inactivity(calendar_period::months(1), calendar_unit::day), berlin()),
          wallet_policy{}});
  // The autumn change: 25 October has 25 hours; the clock runs to the end of that day.
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("50")), at("2026-09-20T10:00:00+02:00")) ==
          ledger_result::ok);
  const timestamp t = at("2026-09-25T10:00:00+02:00");
  REQUIRE(k.run(ledger_op::record_activity(id(2), 0), t) == ledger_result::ok);
  CHECK(k.last == std::vector<entry_kind>{entry_kind::record_activity});
  CHECK(k.journal.back().units == 0);
  CHECK(text(k.w().lapses_at) == "2026-10-25T23:00:00Z");
  CHECK(k.b().available == 50);
  CHECK(k.b().earned == 50);

  // The same id again: exists, nothing written, the clock untouched.
  const loyalty::decision again =
      k.l.decide(k.s, ledger_op::record_activity(id(2), 0), at("2026-10-01T00:00:00Z"));
  CHECK(again.result == ledger_result::exists);
  CHECK(again.entries.empty());
  CHECK(k.l.decide(k.s, ledger_op::record_activity(id(2), 1), t).result ==
        ledger_result::exists_with_different_wallet);
  // On a wallet without an inactivity policy it is recorded and does nothing else.
  REQUIRE(k.run(ledger_op::record_activity(id(3), 1), t) == ledger_result::ok);
  CHECK_FALSE(k.w(1).last_activity.has_value());

  // At the lapse instant itself, the activity is too late: the wallet lapses first.
  REQUIRE(k.run(ledger_op::record_activity(id(4), 0), at("2026-10-25T23:00:00Z")) ==
          ledger_result::ok);
  CHECK(k.last == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire,
                                          entry_kind::record_activity});
  CHECK(k.b().expired == 50);
  CHECK(k.w().last_activity == at("2026-10-25T23:00:00Z"));  // running again, on nothing
  CHECK(text(k.w().lapses_at) == "2026-11-25T23:00:00Z");
  k.check_replay();
}

TEST_CASE("a lapse expires pending lots, and held units once released", "[ledger][expiry]") {
  book k({with(expiry_policy::inactivity(calendar_period::days(30)))});
  const timestamp t0 = at("2026-01-01T00:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn_pending(id(2), 0, d("40"), at("2026-06-01T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(
      k.run(ledger_op::reserve(id(3), 0, d("30"), timestamp::max(), loyalty::timeout_action::none),
            at("2026-01-02T00:00:00Z")) == ledger_result::ok);
  CHECK(text(k.w().lapses_at) == "2026-01-31T00:00:00Z");  // reserve does not reset

  // A redemption after the lapse: the lapse and the expiries come first, then the failure.
  REQUIRE(k.run(ledger_op::redeem(id(4), 0, d("1")), at("2026-02-01T00:00:00Z")) ==
          ledger_result::insufficient_balance);
  CHECK(k.last == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire, entry_kind::expire,
                                          entry_kind::failed});
  CHECK(k.b().expired == 70 + 40);
  CHECK(k.b().held == 30);
  CHECK(k.b().pending == 0);
  // The pending lot can no longer be activated.
  REQUIRE(k.run(ledger_op::activate(id(5), 0, id(2)), at("2026-02-01T00:00:00Z")) ==
          ledger_result::lot_expired);
  // Released held units go back to their lapsed lot and expire in the same decision.
  REQUIRE(k.run(ledger_op::release(id(6), 0, id(3)), at("2026-02-02T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(k.last == std::vector<entry_kind>{entry_kind::release, entry_kind::expire});
  CHECK(k.b().expired == 140);
  CHECK(k.b().available == 0);
  CHECK(k.b().held == 0);
  k.advance(at("2026-02-02T00:00:00Z"));
  CHECK(k.last.empty());

  // A refund after the lapse cannot go back to a lapsed lot: it is re-issued, and that credit
  // starts the clock again.
  book r({with(expiry_policy::inactivity(calendar_period::days(30)))});
  REQUIRE(r.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  REQUIRE(r.run(ledger_op::redeem(id(2), 0, d("60")), t0) == ledger_result::ok);
  r.advance(at("2026-02-15T00:00:00Z"));
  CHECK(r.b().expired == 40);
  REQUIRE(r.run(ledger_op::refund(id(3), 0, id(2), d("60")), at("2026-02-16T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(r.journal.back().reissued_units == 60);
  CHECK(r.b().available == 60);
  CHECK(r.w().last_activity == at("2026-02-16T00:00:00Z"));
  k.check_replay();
  r.check_replay();
}

TEST_CASE("a late advance activates a due pending lot before it expires it, as on time",
          "[ledger][expiry]") {
  // Debt of 100 (a return under allow_negative after the points were spent), then a pending earn
  // of 150: due on day 5, expiring on day 10. Run on time, advance() activates it on day 5 (its
  // 150 repay the 100 of debt) and expires the 50 left on day 10. Run late, on day 20 only, it
  // must come to the same balances: activated first (repaying the debt), then expired.
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  const auto scenario = [&](book& k) {
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::redeem(id(2), 0, d("100")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::reverse_earn(id(3), 0, id(1), d("100")), t0) == ledger_result::ok);
    REQUIRE(k.b().debt == 100);
    REQUIRE(k.run(ledger_op::earn_pending(id(4), 0, d("150"), at("2026-03-05T00:00:00Z"),
                                          at("2026-03-10T00:00:00Z")),
                  t0) == ledger_result::ok);
    REQUIRE(k.b().pending == 150);
  };
  wallet_policy policy;
  policy.returns = loyalty::return_policy::allow_negative;

  book on_time({policy});
  scenario(on_time);
  on_time.advance(at("2026-03-05T00:00:00Z"));
  CHECK(on_time.last == std::vector<entry_kind>{entry_kind::activate});
  CHECK(on_time.b().debt == 0);
  CHECK(on_time.b().available == 50);
  on_time.advance(at("2026-03-20T00:00:00Z"));
  CHECK(on_time.last == std::vector<entry_kind>{entry_kind::expire});

  book late({policy});
  scenario(late);
  late.advance(at("2026-03-20T00:00:00Z"));
  CHECK(late.last == std::vector<entry_kind>{entry_kind::activate, entry_kind::expire});
  CHECK(late.entry(entry_kind::activate).debt_units == 100);
  CHECK(late.entry(entry_kind::expire).units == 50);

  for (const book* k : {&on_time, &late}) {
    CHECK(k->b().debt == 0);
    CHECK(k->b().pending == 0);
    CHECK(k->b().available == 0);
    CHECK(k->b().expired == 50);
    CHECK(k->b().earned == 250);
    CHECK(k->b().spent == 100);
    CHECK(k->lot(id(4)).remaining == 0);
    CHECK_FALSE(k->lot(id(4)).pending);
    k->check_replay();
  }

  // An operation decided before the late advance() expires the lot whole, from pending (it
  // does not activate); advance() then has nothing left to activate.
  book early({policy});
  scenario(early);
  REQUIRE(early.run(ledger_op::earn(id(5), 0, d("1")), at("2026-03-20T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(early.last == std::vector<entry_kind>{entry_kind::expire, entry_kind::earn});
  CHECK(early.b().expired == 150);
  CHECK(early.b().debt == 99);
  early.advance(at("2026-03-20T00:00:00Z"));
  CHECK(early.last.empty());
  early.check_replay();

  // A pending lot that was no longer valid when it came due (the wallet lapsed first) is not
  // activated: it expires whole, and repays nothing.
  book lapsed({with(expiry_policy::inactivity(calendar_period::days(3)))});
  REQUIRE(lapsed.run(ledger_op::earn_pending(id(1), 0, d("40"), at("2026-03-10T00:00:00Z")), t0) ==
          ledger_result::ok);
  CHECK(text(lapsed.w().lapses_at) == "2026-03-04T00:00:00Z");
  lapsed.advance(at("2026-03-20T00:00:00Z"));
  CHECK(lapsed.last == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire});
  CHECK(lapsed.b().expired == 40);
  CHECK(lapsed.lot(id(1)).pending);
  lapsed.check_replay();
}

TEST_CASE("two wallets keep their own inactivity clocks", "[ledger][expiry]") {
  book k({with(expiry_policy::inactivity(calendar_period::days(10))),
          with(expiry_policy::inactivity(calendar_period::days(20)))});
  const timestamp t0 = at("2026-01-01T00:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("10")), t0) == ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn(id(2), 1, d("20")), t0) == ledger_result::ok);
  // An operation on wallet 1 leaves wallet 0's lapse to advance() or its own operations.
  REQUIRE(k.run(ledger_op::record_activity(id(3), 1), at("2026-01-15T00:00:00Z")) ==
          ledger_result::ok);
  CHECK(k.last == std::vector<entry_kind>{entry_kind::record_activity});
  CHECK(k.b(0).available == 10);
  k.advance(at("2026-01-20T00:00:00Z"));
  CHECK(k.last == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire});
  CHECK(k.b(0).expired == 10);
  CHECK(k.b(1).available == 20);
  CHECK(text(k.w(1).lapses_at) == "2026-02-04T00:00:00Z");
  k.check_replay();
}

TEST_CASE("the ledger refuses malformed policies; check() sees a broken clock",
          "[ledger][expiry]") {
  CHECK_THROWS_AS(ledger({with(expiry_policy::after(calendar_period::days(0)))}),
                  std::invalid_argument);
  expiry_policy bad = expiry_policy::inactivity(calendar_period::days(10));
  bad.clock = clock_start::activation;
  CHECK_THROWS_AS(ledger({with(bad)}), std::invalid_argument);
  wallet_policy negative;
  negative.refund_min_validity = duration{-1};
  CHECK_THROWS_AS(ledger({negative}), std::invalid_argument);

  const ledger never({wallet_policy{}});
  customer_state s = never.open(id(1));
  s.wallets[0].last_activity = at("2026-01-01T00:00:00Z");
  s.wallets[0].lapses_at = at("2026-02-01T00:00:00Z");
  CHECK_FALSE(never.check(s).empty());  // a clock on a wallet without inactivity
  const ledger inactive({with(expiry_policy::inactivity(calendar_period::days(10)))});
  CHECK(inactive.check(s).empty());
  s.wallets[0].lapses_at = at("2026-01-01T00:00:00Z");
  CHECK_FALSE(inactive.check(s).empty());  // lapsing when it starts
  s.wallets[0].last_activity.reset();
  CHECK_FALSE(inactive.check(s).empty());  // a lapse without a running clock
  CHECK(loyalty::to_string(entry_kind::lapse) == "lapse");
  CHECK(loyalty::to_string(entry_kind::record_activity) == "record_activity");
  CHECK(loyalty::to_string(op_kind::record_activity) == "record_activity");
  CHECK(loyalty::to_string(entry_kind::failed) == "failed");
  (void)one_us;
}

TEST_CASE("transfers keep the policy's expiry and count as activity when listed",
          "[ledger][expiry][transfer]") {
  wallet_policy inactive = with(expiry_policy::inactivity(calendar_period::days(10)));
  inactive.reset_on = {op_kind::transfer};
  const ledger l(
      {with(expiry_policy::after(calendar_period::days(30), calendar_unit::day)), inactive});
  customer_state alice = l.open(id(1001));
  customer_state bob = l.open(id(1002));
  const auto run = [&](customer_state& s, const ledger_op& op, timestamp now) {
    const loyalty::decision dec = l.decide(s, op, now);
    REQUIRE(l.apply(s, dec));
    REQUIRE(l.check(s).empty());
    return dec.result;
  };
  const auto transfer = [&](const ledger_op& op, timestamp now) {
    const loyalty::transfer_decision dec = l.decide_transfer(alice, bob, op, now);
    REQUIRE(l.apply(alice, bob, dec));
    REQUIRE(l.check(alice).empty());
    REQUIRE(l.check(bob).empty());
    return dec;
  };
  const timestamp t0 = at("2026-01-01T10:00:00Z");
  // `after`: the lot Bob receives carries Alice's policy expiry, not a new one.
  REQUIRE(run(alice, ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  CHECK(text(alice.wallets[0].lots[0].expires_at) == "2026-02-01T00:00:00Z");
  CHECK(transfer(ledger_op::transfer(id(2), 0, d("40"), bob.customer), at("2026-01-20T00:00:00Z"))
            .result == ledger_result::ok);
  REQUIRE(bob.wallets[0].lots.size() == 1);
  CHECK(text(bob.wallets[0].lots[0].expires_at) == "2026-02-01T00:00:00Z");

  // Inactivity: Bob's stopped clock starts with the credit; Alice's resets (transfer is listed).
  REQUIRE(run(alice, ledger_op::earn(id(3), 1, d("50")), t0) == ledger_result::ok);
  CHECK(alice.wallets[1].lapses_at == at("2026-01-11T10:00:00Z"));
  const loyalty::transfer_decision dec =
      transfer(ledger_op::transfer(id(4), 1, d("20"), bob.customer), at("2026-01-05T00:00:00Z"));
  REQUIRE(dec.result == ledger_result::ok);
  CHECK(dec.from.entries.back().marks_activity);
  CHECK(dec.to.entries.back().marks_activity);
  CHECK(alice.wallets[1].lapses_at == at("2026-01-15T00:00:00Z"));
  CHECK(bob.wallets[1].lapses_at == at("2026-01-15T00:00:00Z"));
  CHECK(bob.wallets[1].lots[0].expires_at == timestamp::max());

  // After Alice's wallet lapses, its points cannot be transferred: the lapse comes first.
  const loyalty::transfer_decision late =
      transfer(ledger_op::transfer(id(5), 1, d("1"), bob.customer), at("2026-01-15T00:00:00Z"));
  CHECK(late.result == ledger_result::insufficient_balance);
  REQUIRE(late.from.entries.size() == 3);
  CHECK(late.from.entries[0].kind == entry_kind::lapse);
  CHECK(late.from.entries[1].kind == entry_kind::expire);
  CHECK(late.from.entries[2].kind == entry_kind::failed);
  CHECK(alice.wallets[1].totals.expired == 30);
  CHECK(bob.wallets[1].totals.available == 20);  // Bob's wallet lapses on its own operations
}

TEST_CASE("held units of a lot that expires while held: expire or honor", "[ledger][expiry]") {
  // Lot A: 50 points expiring 10 January; lot B: 100 points expiring in December. A hold of 80
  // takes A's 50 and B's 30 (soonest expiring first); A expires while they are held.
  const auto setup = [](loyalty::held_expiry mode) {
    wallet_policy p;
    p.held_at_expiry = mode;
    book k({p});
    const timestamp t0 = at("2026-01-05T00:00:00Z");
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("50"), at("2026-01-10T00:00:00Z")), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn(id(2), 0, d("100"), at("2026-12-01T00:00:00Z")), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::reserve(id(3), 0, d("80"), at("2026-01-20T00:00:00Z"),
                                     loyalty::timeout_action::capture),
                  t0) == ledger_result::ok);
    return k;
  };
  const timestamp after = at("2026-01-12T00:00:00Z");

  SECTION("expire (the default): only valid held units can be captured") {
    book k = setup(loyalty::held_expiry::expire);
    CHECK(k.run(ledger_op::capture(id(4), 0, id(3), d("80")), after) ==
          ledger_result::hold_exceeded);
    // The failure burned id 4; the hold is intact.
    CHECK(k.b().held == 80);
    REQUIRE(k.run(ledger_op::capture(id(5), 0, id(3), d("30")), after) == ledger_result::ok);
    // B's 30 spent; A's 50, released, expire in the same decision.
    CHECK(k.last == std::vector<entry_kind>{entry_kind::capture, entry_kind::expire});
    CHECK(k.b().spent == 30);
    CHECK(k.b().expired == 50);
    CHECK(k.b().held == 0);
    CHECK(k.b().available == 70);
    CHECK(k.lot(id(1)).remaining == 0);
  }
  SECTION("expire: a timeout capture takes the valid units, the rest expires") {
    book k = setup(loyalty::held_expiry::expire);
    k.advance(at("2026-01-20T00:00:00Z"));
    CHECK(k.last == std::vector<entry_kind>{entry_kind::capture, entry_kind::expire});
    CHECK(k.b().spent == 30);
    CHECK(k.b().expired == 50);
    CHECK(k.b().available == 70);
  }
  SECTION("honor: the hold keeps its units, and a capture spends them") {
    book k = setup(loyalty::held_expiry::honor);
    REQUIRE(k.run(ledger_op::capture(id(4), 0, id(3), d("80")), after) == ledger_result::ok);
    CHECK(k.last == std::vector<entry_kind>{entry_kind::capture});
    CHECK(k.b().spent == 80);
    CHECK(k.b().expired == 0);
    CHECK(k.b().available == 70);
  }
  SECTION("honor: released, they expire at once") {
    book k = setup(loyalty::held_expiry::honor);
    REQUIRE(k.run(ledger_op::release(id(4), 0, id(3)), after) == ledger_result::ok);
    CHECK(k.last == std::vector<entry_kind>{entry_kind::release, entry_kind::expire});
    CHECK(k.b().expired == 50);
    CHECK(k.b().available == 100);
  }
}
