// The ledger's operations, policies and result codes, each with exact expected balances.
#include <catch2/catch.hpp>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "ledger_test_util.hpp"
#include "loyalty/ledger.hpp"

using loyalty::balances;
using loyalty::customer_state;
using loyalty::decimal;
using loyalty::id128;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::ledger_result;
using loyalty::timestamp;

namespace {

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}

id128 id(std::uint64_t n) {
  return id128{0, n};
}

/// One customer and the host's protocol: decide, "persist" (keep the journal), apply.
struct book {
  ledger l;
  customer_state s;
  std::vector<loyalty::journal_entry> journal;

  explicit book(std::vector<loyalty::wallet_policy> wallets = {loyalty::wallet_policy{}})
      : l(std::move(wallets)), s(l.open(id(1))) {}

  ledger_result run(const ledger_op& op, timestamp now) {
    const loyalty::decision dec = l.decide(s, op, now);
    commit(dec);
    return dec.result;
  }
  void advance(timestamp now) { commit(l.advance(s, now)); }
  void commit(const loyalty::decision& dec) {
    journal.insert(journal.end(), dec.entries.begin(), dec.entries.end());
    REQUIRE(l.apply(s, dec));
    INFO(l.check(s));
    REQUIRE(l.check(s).empty());
  }
  balances b(std::uint16_t wallet = 0) const { return l.balance(s, wallet); }
  const loyalty::lot& lot(id128 lot_id, std::uint16_t wallet = 0) const {
    for (const loyalty::lot& x : s.wallets[wallet].lots) {
      if (x.id == lot_id) return x;
    }
    FAIL("no lot " << lot_id.to_string());
    return s.wallets[wallet].lots.front();
  }
};

/// available, pending, held, earned, spent, expired, reversed, debt
std::vector<std::int64_t> all(const balances& x) {
  return {x.available, x.pending, x.held, x.earned, x.spent, x.expired, x.reversed, x.debt};
}

}  // namespace

TEST_CASE("earn, pending, activate, reserve, partial capture, refund, expire", "[ledger]") {
  book k;
  const timestamp t0 = at("2026-01-10T09:00:00Z");
  const id128 e1 = id(11), e2 = id(12), p1 = id(13), r1 = id(14), x1 = id(15), k1 = id(16),
              f1 = id(17);
  REQUIRE(k.run(ledger_op::earn(e1, 0, d("100"), at("2026-03-31T00:00:00Z")), t0) ==
          ledger_result::ok);
  REQUIRE(k.run(ledger_op::earn(e2, 0, d("50"), at("2026-01-31T00:00:00Z")), t0) ==
          ledger_result::ok);
  // Soonest expiring first: E2 comes before E1.
  CHECK(k.s.wallets[0].lots[0].id == e2);
  REQUIRE(k.run(ledger_op::earn_pending(p1, 0, d("40"), at("2026-01-25T00:00:00Z"),
                                        at("2026-12-31T00:00:00Z")),
                t0) == ledger_result::ok);
  CHECK(all(k.b()) == std::vector<std::int64_t>{150, 40, 0, 190, 0, 0, 0, 0});

  // Reserve 120 at checkout: E2's 50, then 70 of E1, held for 15 minutes.
  REQUIRE(k.run(ledger_op::reserve(r1, 0, d("120"), at("2026-01-10T09:15:00Z"),
                                   loyalty::timeout_action::release),
                t0) == ledger_result::ok);
  CHECK(k.lot(e2).held == 50);
  CHECK(k.lot(e1).held == 70);
  CHECK(all(k.b()) == std::vector<std::int64_t>{30, 40, 120, 190, 0, 0, 0, 0});

  // 40 more than is available: refused, and the id is burned.
  CHECK(k.run(ledger_op::redeem(x1, 0, d("40")), t0) == ledger_result::insufficient_balance);
  CHECK(k.run(ledger_op::redeem(x1, 0, d("40")), t0) == ledger_result::id_already_failed);
  CHECK(k.run(ledger_op::redeem(x1, 0, d("10")), t0) == ledger_result::id_already_failed);

  // Capture 100 of the 120 held: E2's 50 and 50 of E1 are spent, 20 go back to E1.
  REQUIRE(k.run(ledger_op::capture(k1, 0, r1, d("100")), t0) == ledger_result::ok);
  CHECK(k.lot(e2).remaining == 0);
  CHECK(k.lot(e1).remaining == 50);
  CHECK(k.lot(e1).held == 0);
  CHECK(all(k.b()) == std::vector<std::int64_t>{50, 40, 0, 190, 100, 0, 0, 0});
  // A retry with the same body is `exists` with the original units; nothing is written.
  const loyalty::decision again = k.l.decide(k.s, ledger_op::capture(k1, 0, r1, d("100")), t0);
  CHECK(again.result == ledger_result::exists);
  CHECK(again.units == 100);
  CHECK(again.entries.empty());
  CHECK(k.l.decide(k.s, ledger_op::capture(k1, 0, r1, d("90")), t0).result ==
        ledger_result::exists_with_different_amount);
  CHECK(k.l.decide(k.s, ledger_op::release(k1, 0, r1), t0).result ==
        ledger_result::exists_with_different_kind);

  // Refund 30 of it, prorated 15/15 over E2 and E1. E1 is valid for 30 more days and takes its
  // 15 back; E2 expires in 21 days, so its 15 are re-issued as a new lot valid 30 days.
  REQUIRE(k.run(ledger_op::refund(f1, 0, k1, d("30")), t0) == ledger_result::ok);
  CHECK(k.lot(e1).remaining == 65);
  CHECK(k.lot(f1).remaining == 15);
  CHECK(k.lot(f1).expires_at == at("2026-02-09T09:00:00Z"));
  CHECK(all(k.b()) == std::vector<std::int64_t>{80, 40, 0, 190, 70, 0, 0, 0});
  CHECK(k.run(ledger_op::refund(id(18), 0, k1, d("71")), t0) ==
        ledger_result::refund_exceeds_redemption);

  // 1 February: P1 became active on 25 January; E2 expired empty, so no entry.
  k.advance(at("2026-02-01T00:00:00Z"));
  CHECK_FALSE(k.lot(p1).pending);
  CHECK(all(k.b()) == std::vector<std::int64_t>{120, 0, 0, 190, 70, 0, 0, 0});
  // 1 April: E1's 65 and F1's 15 have expired: breakage.
  k.advance(at("2026-04-01T00:00:00Z"));
  CHECK(all(k.b()) == std::vector<std::int64_t>{40, 0, 0, 190, 70, 80, 0, 0});

  // Replaying the journal from an empty state gives the same state.
  customer_state replay = k.l.open(id(1));
  for (const loyalty::journal_entry& e : k.journal) k.l.apply(replay, e);
  CHECK(all(k.l.balance(replay, 0)) == all(k.b()));
  ltest::same_ledger(replay, k.s);
}

TEST_CASE("nothing expires early or late", "[ledger]") {
  book k;
  const timestamp t0 = at("2026-05-01T00:00:00Z");
  const timestamp expiry = at("2026-06-01T00:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("10"), expiry), t0) == ledger_result::ok);
  // One microsecond before: still there and spendable.
  k.advance(timestamp{expiry.micros - 1});
  CHECK(k.b().available == 10);
  CHECK(
      k.l.decide(k.s, ledger_op::redeem(id(2), 0, d("10")), timestamp{expiry.micros - 1}).result ==
      ledger_result::ok);
  // At the instant itself: expired, even without advance(); the decision expires it first.
  const loyalty::decision late = k.l.decide(k.s, ledger_op::redeem(id(3), 0, d("1")), expiry);
  CHECK(late.result == ledger_result::insufficient_balance);
  REQUIRE(late.entries.size() == 2);
  CHECK(late.entries[0].kind == loyalty::entry_kind::expire);
  CHECK(late.entries[0].units == 10);
  k.commit(late);
  CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 10, 0, 10, 0, 0});
}

TEST_CASE("holds time out as they say", "[ledger]") {
  book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  const auto reserve = [&](std::uint64_t n, const char* amount, const char* deadline,
                           loyalty::timeout_action a) {
    return k.run(ledger_op::reserve(id(n), 0, d(amount), at(deadline), a), t0);
  };
  REQUIRE(reserve(10, "20", "2026-05-01T12:30:00Z", loyalty::timeout_action::capture) ==
          ledger_result::ok);
  REQUIRE(reserve(11, "30", "2026-05-01T12:10:00Z", loyalty::timeout_action::release) ==
          ledger_result::ok);
  REQUIRE(reserve(12, "40", "2026-05-01T12:05:00Z", loyalty::timeout_action::none) ==
          ledger_result::ok);
  REQUIRE(reserve(14, "5", "2026-05-01T12:15:00Z", loyalty::timeout_action::release) ==
          ledger_result::ok);
  // Until its deadline a hold is the host's: id 14 is captured at 12:14:59.999999.
  REQUIRE(k.run(ledger_op::capture(id(30), 0, id(14), d("5")), at("2026-05-01T12:14:59.999999Z")) ==
          ledger_result::ok);
  CHECK(k.b().spent == 5);
  CHECK(k.run(ledger_op::refund(id(31), 0, id(30), d("5")), t0) == ledger_result::ok);
  CHECK(all(k.b()) == std::vector<std::int64_t>{10, 0, 90, 100, 0, 0, 0, 0});
  CHECK(reserve(13, "20", "2026-05-01T12:00:00Z", loyalty::timeout_action::release) ==
        ledger_result::invalid_dates);  // a deadline that has already passed
  // From its deadline on, a hold with a timeout action is the action's: 12:10 exactly, the
  // release hold (id 11) can be neither captured nor released by hand, and the id is burned.
  const timestamp t1010 = at("2026-05-01T12:10:00Z");
  CHECK(k.run(ledger_op::capture(id(32), 0, id(11), d("30")), t1010) ==
        ledger_result::hold_timed_out);
  CHECK(k.run(ledger_op::capture(id(32), 0, id(11), d("30")), t1010) ==
        ledger_result::id_already_failed);
  CHECK(k.run(ledger_op::release(id(33), 0, id(11)), t1010) == ledger_result::hold_timed_out);
  // The `none` hold (deadline 12:05) is still the host's after its deadline (checked below).
  // 12:20: the release hold (deadline 12:10) has timed out; `none` stays; capture not yet due.
  k.advance(at("2026-05-01T12:20:00Z"));
  CHECK(all(k.b()) == std::vector<std::int64_t>{40, 0, 60, 100, 0, 0, 0, 0});
  // 12:30 exactly: the capture hold can no longer be captured in part by hand.
  CHECK(k.run(ledger_op::capture(id(34), 0, id(10), d("5")), at("2026-05-01T12:30:00Z")) ==
        ledger_result::hold_timed_out);
  // 13:00: the capture hold is captured whole.
  k.advance(at("2026-05-01T13:00:00Z"));
  CHECK(all(k.b()) == std::vector<std::int64_t>{40, 0, 40, 100, 20, 0, 0, 0});
  // The `none` hold waits for the host; capturing more than it holds is refused.
  CHECK(k.run(ledger_op::capture(id(20), 0, id(12), d("41")), t0) == ledger_result::hold_exceeded);
  CHECK(k.run(ledger_op::release(id(21), 0, id(12)), t0) == ledger_result::ok);
  CHECK(k.run(ledger_op::release(id(22), 0, id(12)), t0) == ledger_result::hold_not_found);
  CHECK(all(k.b()) == std::vector<std::int64_t>{80, 0, 0, 100, 20, 0, 0, 0});
}

TEST_CASE("returns under each policy", "[ledger]") {
  using loyalty::return_policy;
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  const auto shop = [](return_policy p) {
    loyalty::wallet_policy w;
    w.returns = p;
    return book({w});
  };
  SECTION("only_pending: points already active stay") {
    book k = shop(return_policy::only_pending);
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("50")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn_pending(id(2), 0, d("30"), at("2026-04-01T00:00:00Z"),
                                          timestamp::max()),
                  t0) == ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(3), 0, id(1), d("20")), t0) == ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(4), 0, id(2), d("30")), t0) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{50, 0, 0, 80, 0, 0, 30, 0});
  }
  SECTION("within_balance: after the points were spent, what is left") {
    book k = shop(return_policy::within_balance);
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("50")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn(id(2), 0, d("20")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::redeem(id(3), 0, d("60")), t0) == ledger_result::ok);
    // The whole 50 is returned; only 10 are left to take back.
    CHECK(k.run(ledger_op::reverse_earn(id(4), 0, id(1), d("50")), t0) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 70, 60, 0, 10, 0});
    // The same earn cannot be returned twice over.
    CHECK(k.run(ledger_op::reverse_earn(id(5), 0, id(1), d("1")), t0) ==
          ledger_result::reversal_exceeds_earn);
  }
  SECTION("allow_negative: the shortfall is debt, repaid first by the next earn") {
    book k = shop(return_policy::allow_negative);
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("50")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::redeem(id(2), 0, d("45")), t0) == ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(3), 0, id(1), d("30")), t0) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 50, 45, 0, 30, 25});
    REQUIRE(k.run(ledger_op::earn(id(4), 0, d("40")), t0) == ledger_result::ok);
    CHECK(k.lot(id(4)).remaining == 15);
    CHECK(all(k.b()) == std::vector<std::int64_t>{15, 0, 0, 90, 45, 0, 30, 0});
  }
  SECTION("a pending earn is cancelled whole, or reversed in part") {
    book k = shop(return_policy::within_balance);
    REQUIRE(k.run(ledger_op::earn_pending(id(1), 0, d("30"), timestamp::max(),
                                          at("2027-01-01T00:00:00Z")),
                  t0) == ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(2), 0, id(1), d("10")), t0) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 20, 0, 30, 0, 0, 10, 0});
    CHECK(k.run(ledger_op::cancel_pending(id(3), 0, id(1)), t0) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 30, 0, 0, 30, 0});
    CHECK(k.run(ledger_op::activate(id(4), 0, id(1)), t0) == ledger_result::lot_not_pending);
  }
}

TEST_CASE("consumption orders and explicit lots", "[ledger]") {
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  loyalty::wallet_policy fifo;
  fifo.order = loyalty::consumption_order::fifo;
  fifo.scale = 2;
  book k({loyalty::wallet_policy{}, fifo});
  for (const std::uint16_t w : {std::uint16_t{0}, std::uint16_t{1}}) {
    // Earned first, expiring last; then earned later, expiring first.
    REQUIRE(k.run(ledger_op::earn(id(100 + w), w, d("10"), at("2026-12-31T00:00:00Z")), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn(id(200 + w), w, d("10"), at("2026-06-30T00:00:00Z")),
                  timestamp{t0.micros + 1}) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::redeem(id(300 + w), w, d("4")), timestamp{t0.micros + 2}) ==
            ledger_result::ok);
  }
  // Soonest expiring first took the later earn; fifo took the earlier one.
  CHECK(k.lot(id(200), 0).remaining == 6);
  CHECK(k.lot(id(101), 1).remaining == 600);  // scale 2: 6.00
  // An explicit lot; more than it has is refused even though the wallet has enough.
  CHECK(k.run(ledger_op::redeem_from(id(400), 0, d("9"), id(100)), t0) == ledger_result::ok);
  CHECK(k.run(ledger_op::redeem_from(id(401), 0, d("2"), id(100)), t0) ==
        ledger_result::insufficient_balance);
  CHECK(k.b(0).available == 7);
  // Amounts keep the wallet's scale: 0.001 does not fit two digits.
  CHECK(k.run(ledger_op::redeem(id(402), 1, d("0.001")), t0) == ledger_result::invalid_amount);
  CHECK(k.run(ledger_op::redeem(id(403), 1, d("0.01")), t0) == ledger_result::ok);
}

TEST_CASE("validation errors do not burn the id", "[ledger]") {
  book k;
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  CHECK(k.run(ledger_op::earn(id128{}, 0, d("1")), t0) == ledger_result::invalid_id);
  CHECK(k.run(ledger_op::earn(id128{UINT64_MAX, UINT64_MAX}, 0, d("1")), t0) ==
        ledger_result::invalid_id);
  CHECK(k.run(ledger_op::earn(id(1), 3, d("1")), t0) == ledger_result::unknown_wallet);
  CHECK(k.run(ledger_op::earn(id(1), 0, d("0")), t0) == ledger_result::invalid_amount);
  CHECK(k.run(ledger_op::earn(id(1), 0, d("1.5")), t0) == ledger_result::invalid_amount);
  CHECK(k.run(ledger_op::earn(id(1), 0, d("1"), t0), t0) == ledger_result::invalid_dates);
  // The same id then succeeds.
  CHECK(k.run(ledger_op::earn(id(1), 0, d("1")), t0) == ledger_result::ok);
  CHECK(k.run(ledger_op::activate(id(2), 0, id(99)), t0) == ledger_result::lot_not_found);
  CHECK(k.run(ledger_op::activate(id(2), 0, id(1)), t0) == ledger_result::id_already_failed);
  CHECK(k.run(ledger_op::adjust(id(3), 0, d("-2"), 7), t0) == ledger_result::insufficient_balance);
  CHECK(k.run(ledger_op::adjust(id(4), 0, d("-1"), 7), t0) == ledger_result::ok);
  CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 1, 0, 0, 1, 0});
}

TEST_CASE("ids are derived deterministically and print as hex", "[ledger]") {
  const id128 a = id128::derive("order-1001", 2, "points_per_euro");
  CHECK(a == id128::derive("order-1001", 2, "points_per_euro"));
  CHECK(a != id128::derive("order-1001", 3, "points_per_euro"));
  CHECK(a != id128::derive("order-100", 12, "points_per_euro"));  // parts are length-prefixed
  CHECK(a.valid());
  CHECK(a.child(1) != a.child(2));
  const id128 x{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  CHECK(x.to_string() == "0123456789abcdeffedcba9876543210");
  CHECK(id128::parse(x.to_string()) == x);
  CHECK_FALSE(id128::parse("0123").has_value());
  CHECK_FALSE(id128::parse("0123456789abcdeffedcba987654321g").has_value());
}

TEST_CASE("derived ids do not collide over many similar names", "[ledger]") {
  // Invoice-like texts that differ in one character, in length, and across the 8-byte steps of
  // the hash; lines and rules too. No two may share an id (nor either 64-bit half).
  std::set<id128> ids;
  std::set<std::uint64_t> highs;
  std::set<std::uint64_t> lows;
  std::size_t n = 0;
  for (int i = 0; i < 20'000; ++i) {
    const std::string event = "INV-" + std::to_string(i);
    for (const std::uint32_t line : {0U, 1U, 7U}) {
      for (const char* rule : {"base", "base_", "bonus"}) {
        const id128 id = id128::derive(event, line, rule);
        ids.insert(id);
        highs.insert(id.high);
        lows.insert(id.low);
        ++n;
      }
    }
    ids.insert(id128::derive(std::string(static_cast<std::size_t>(i % 40), 'x'), 0, "pad"));
    ++n;
  }
  // The padded texts repeat every 40: 40 distinct ones.
  const std::size_t distinct = n - 20'000 + 40;
  CHECK(ids.size() == distinct);
  CHECK(highs.size() == distinct - 40);
  CHECK(lows.size() == distinct - 40);
}

TEST_CASE("the host protocol: versions, a failed persist, a stale decision", "[ledger]") {
  const ledger l({loyalty::wallet_policy{}});
  loyalty::memory_store store;
  const id128 alice = id(7);
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  const auto submit = [&](const ledger_op& op) {
    customer_state s = store.load(alice).value_or(l.open(alice));
    const loyalty::decision dec = l.decide(s, op, t0);
    customer_state next = s;
    REQUIRE(l.apply(next, dec));
    if (!store.commit(next, dec.entries, dec.read_version)) return ledger_result::overflow;
    return dec.result;
  };
  REQUIRE(submit(ledger_op::earn(id(1), 0, d("10"))) == ledger_result::ok);
  // A decision whose persist never happened: the retry decides again and applies once.
  {
    const customer_state s = store.load(alice).value();
    (void)l.decide(s, ledger_op::earn(id(2), 0, d("5")), t0);  // crash: nothing stored
  }
  REQUIRE(submit(ledger_op::earn(id(2), 0, d("5"))) == ledger_result::ok);
  REQUIRE(submit(ledger_op::earn(id(2), 0, d("5"))) == ledger_result::exists);
  CHECK(l.balance(store.load(alice).value(), 0).available == 15);
  // A decision made on a state that has moved on cannot be committed or applied.
  customer_state old = store.load(alice).value();
  const loyalty::decision stale = l.decide(old, ledger_op::redeem(id(3), 0, d("15")), t0);
  REQUIRE(submit(ledger_op::redeem(id(4), 0, d("10"))) == ledger_result::ok);
  customer_state next = old;
  REQUIRE(l.apply(next, stale));
  CHECK_FALSE(store.commit(next, stale.entries, stale.read_version));
  customer_state current = store.load(alice).value();
  CHECK_FALSE(l.apply(current, stale));
  // The journal replays to the stored state.
  customer_state replay = l.open(alice);
  for (const loyalty::journal_entry& e : store.journal(alice)) l.apply(replay, e);
  CHECK(replay.version == current.version);
  CHECK(l.balance(replay, 0).available == 5);
  CHECK(l.check(replay).empty());
}

TEST_CASE("expired pending lots, cancelled earns and repeated refunds", "[ledger]") {
  const timestamp t0 = at("2026-03-01T00:00:00Z");
  const timestamp expiry = at("2026-03-10T00:00:00Z");
  const timestamp later = at("2026-03-20T00:00:00Z");
  SECTION("a pending lot that expired never counted as available") {
    book k;
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn_pending(id(2), 0, d("40"), timestamp::max(), expiry), t0) ==
            ledger_result::ok);
    // The pending lot expires in the same decision; all 100 active points stay available.
    CHECK(k.run(ledger_op::redeem(id(3), 0, d("80")), later) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{20, 0, 0, 140, 80, 40, 0, 0});
  }
  SECTION("reversing an expired pending earn takes nothing twice") {
    book k;
    REQUIRE(k.run(ledger_op::earn_pending(id(1), 0, d("40"), timestamp::max(), expiry), t0) ==
            ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(2), 0, id(1), d("40")), later) == ledger_result::ok);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 40, 0, 40, 0, 0});
  }
  SECTION("cancelling an expired pending lot cancels nothing") {
    book k;
    REQUIRE(k.run(ledger_op::earn_pending(id(1), 0, d("40"), timestamp::max(), expiry), t0) ==
            ledger_result::ok);
    const loyalty::decision dec =
        k.l.decide(k.s, ledger_op::cancel_pending(id(2), 0, id(1)), later);
    REQUIRE(dec.result == ledger_result::ok);
    REQUIRE(dec.entries.size() == 2);
    CHECK(dec.entries[1].units == 0);
    k.commit(dec);
    CHECK(all(k.b()) == std::vector<std::int64_t>{0, 0, 0, 40, 0, 40, 0, 0});
  }
  SECTION("a cancelled earn cannot be reversed again from other points") {
    book k;
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn_pending(id(2), 0, d("40"), timestamp::max(), later), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::cancel_pending(id(3), 0, id(2)), t0) == ledger_result::ok);
    CHECK(k.run(ledger_op::reverse_earn(id(4), 0, id(2), d("40")), t0) ==
          ledger_result::reversal_exceeds_earn);
    CHECK(k.b().available == 100);
  }
  SECTION("repeated partial refunds prorate over what is left to refund") {
    book k;
    REQUIRE(k.run(ledger_op::earn(id(1), 0, d("1"), at("2026-12-01T00:00:00Z")), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::earn(id(2), 0, d("99"), at("2026-12-02T00:00:00Z")), t0) ==
            ledger_result::ok);
    REQUIRE(k.run(ledger_op::redeem(id(3), 0, d("100")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::refund(id(4), 0, id(3), d("50")), t0) == ledger_result::ok);
    REQUIRE(k.run(ledger_op::refund(id(5), 0, id(3), d("50")), t0) == ledger_result::ok);
    // Both lots are back to what they were, never more.
    CHECK(k.lot(id(1)).remaining == 1);
    CHECK(k.lot(id(2)).remaining == 99);
    CHECK(all(k.b()) == std::vector<std::int64_t>{100, 0, 0, 100, 0, 0, 0, 0});
  }
}

TEST_CASE("credits that would overflow a wallet's totals are refused", "[ledger]") {
  book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const auto units = [](std::int64_t n) { return decimal::from_units(n, 0).value; };
  REQUIRE(k.run(ledger_op::earn(id(1), 0, units(max - 10)), t0) == ledger_result::ok);
  // 11 more would pass 2^63 - 1 units credited: refused, and the id is burned.
  CHECK(k.run(ledger_op::earn(id(2), 0, units(11)), t0) == ledger_result::overflow);
  CHECK(k.run(ledger_op::earn(id(2), 0, units(1)), t0) == ledger_result::id_already_failed);
  CHECK(k.run(ledger_op::adjust(id(3), 0, units(11), 1), t0) == ledger_result::overflow);
  // Spending does not make room: what was credited stays credited.
  REQUIRE(k.run(ledger_op::redeem(id(4), 0, units(max - 10)), t0) == ledger_result::ok);
  CHECK(k.run(ledger_op::earn(id(5), 0, units(11)), t0) == ledger_result::overflow);
  // Exactly up to the limit is fine, and every balance still adds up (check() runs in run()).
  REQUIRE(k.run(ledger_op::earn(id(6), 0, units(10)), t0) == ledger_result::ok);
  CHECK(k.b().earned == max);
  CHECK(k.b().available == 10);
  CHECK(k.b().spent == max - 10);
  // A refund gives back what was spent; it credits nothing new, so it needs no room.
  REQUIRE(k.run(ledger_op::refund(id(7), 0, id(4), units(max - 10)), t0) == ledger_result::ok);
  CHECK(k.b().available == max);
  CHECK(k.b().spent == 0);
}

TEST_CASE("ledger: an entry that would break an invariant is refused by apply", "[ledger]") {
  // apply() asserts the invariants on every entry, always: a corrupt journal (a host's encoding
  // bug, a tampered row) stops with std::logic_error instead of booking a wrong balance.
  book b;
  const timestamp t = at("2026-01-05T10:00:00Z");
  REQUIRE(b.run(ledger_op::earn(id(10), 0, d("100")), t) == ledger_result::ok);
  const loyalty::decision redeem = b.l.decide(b.s, ledger_op::redeem(id(11), 0, d("30")), t);
  REQUIRE(redeem.result == ledger_result::ok);
  REQUIRE(redeem.entries.size() == 1);
  REQUIRE(redeem.entries[0].parts.size() == 1);

  const auto refused = [&](loyalty::journal_entry e, const char* what) {
    customer_state copy = b.s;
    INFO(what);
    CHECK_THROWS_WITH(b.l.apply(copy, e), Catch::Contains("ledger invariant violated"));
  };
  loyalty::journal_entry e = redeem.entries[0];
  e.parts[0].units = 130;
  e.units = 130;
  refused(e, "more than the lot holds");
  e = redeem.entries[0];
  e.parts[0].units = 20;
  refused(e, "parts that do not add up to the debit");
  e = redeem.entries[0];
  e.parts = {{id(10), 40}, {id(10), -10}};
  refused(e, "a negative part");
  e = redeem.entries[0];
  e.units = 130;
  e.parts[0].units = 130;
  e.kind = loyalty::entry_kind::reserve;
  refused(e, "a hold of more than the lot holds");
  // A credit whose debt repayment is negative or more than the credit, however far off (checked
  // before the lot's remaining is computed: no overflow).
  const loyalty::decision earn = b.l.decide(b.s, ledger_op::earn(id(12), 0, d("50")), t);
  REQUIRE(earn.entries.size() == 1);
  e = earn.entries[0];
  e.debt_units = -5;
  refused(e, "a credit repaying negative debt");
  e.debt_units = 51;
  refused(e, "a credit repaying more than it credits");
  e.debt_units = std::numeric_limits<std::int64_t>::min();
  refused(e, "a credit repaying INT64_MIN");
  e.debt_units = std::numeric_limits<std::int64_t>::max();
  refused(e, "a credit repaying INT64_MAX");

  // The untampered entry applies, and the balances are exact.
  customer_state copy = b.s;
  b.l.apply(copy, redeem.entries[0]);
  CHECK(b.l.balance(copy, 0).available == 70);
  CHECK(b.l.balance(copy, 0).spent == 30);
  CHECK(b.l.check(copy).empty());
}
