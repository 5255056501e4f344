// Transfers between customers: expiry kept, both sides idempotent, the two-customer commit.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ledger_test_util.hpp"
#include "loyalty/ledger.hpp"

using loyalty::customer_state;
using loyalty::decimal;
using loyalty::entry_kind;
using loyalty::id128;
using loyalty::journal_entry;
using loyalty::ledger;
using loyalty::ledger_op;
using loyalty::ledger_result;
using loyalty::memory_store;
using loyalty::timestamp;
using loyalty::transfer_decision;

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

/// Two customers in a memory_store, driven through the host protocol.
struct pair_book {
  ledger l{{loyalty::wallet_policy{}}};
  mutable memory_store store;  // load() is not const (a store may count reads)
  id128 alice = id(1001);
  id128 bob = id(1002);

  customer_state load(id128 who) const { return store.load(who).value_or(l.open(who)); }

  ledger_result run(id128 who, const ledger_op& op, timestamp now) {
    const customer_state s = load(who);
    const loyalty::decision dec = l.decide(s, op, now);
    customer_state next = s;
    REQUIRE(l.apply(next, dec));
    REQUIRE(l.check(next).empty());
    REQUIRE(store.commit(next, dec.entries, dec.read_version));
    return dec.result;
  }

  /// Decides a transfer and commits both sides in one transaction.
  transfer_decision transfer(id128 from, id128 to, const ledger_op& op, timestamp now) {
    const customer_state f = load(from);
    const customer_state t = load(to);
    const transfer_decision dec = l.decide_transfer(f, t, op, now);
    customer_state nf = f;
    customer_state nt = t;
    REQUIRE(l.apply(nf, nt, dec));
    INFO(l.check(nf) << l.check(nt));
    REQUIRE(l.check(nf).empty());
    REQUIRE(l.check(nt).empty());
    const std::array<memory_store::customer_commit, 2> commits{{
        {&nf, dec.from.entries, dec.from.read_version},
        {&nt, dec.to.entries, dec.to.read_version},
    }};
    REQUIRE(store.commit(commits));
    return dec;
  }

  loyalty::balances b(id128 who) const { return l.balance(load(who), 0); }

  const loyalty::lot* lot(id128 who, id128 lot_id) const {
    static customer_state keep;
    keep = load(who);
    for (const loyalty::lot& x : keep.wallets[0].lots) {
      if (x.id == lot_id) return &x;
    }
    return nullptr;
  }

  /// The customer's journal replayed from open() equals the stored state.
  void check_replay(id128 who) const {
    customer_state replay = l.open(who);
    for (const journal_entry& e : store.journal(who)) l.apply(replay, e);
    const customer_state stored = load(who);
    CHECK(l.check(replay).empty());
    ltest::same_ledger(replay, stored);
  }
};

// docs/ledger.md#two-customers-in-one-commit, verbatim.
// Moves points from one customer to another: load both, decide, store both, or retry.
loyalty::transfer_decision execute_transfer(const loyalty::ledger& book,
                                            loyalty::ledger_store& store, loyalty::id128 from,
                                            const loyalty::ledger_op& op, loyalty::timestamp now) {
  for (;;) {
    loyalty::customer_state a = store.load(from).value_or(book.open(from));
    loyalty::customer_state b = store.load(op.target).value_or(book.open(op.target));
    loyalty::transfer_decision t = book.decide_transfer(a, b, op, now);
    if (t.from.entries.empty() && t.to.entries.empty()) return t;  // exists, validation errors
    loyalty::customer_state na = a, nb = b;
    (void)book.apply(na, nb, t);  // cannot fail: both versions are the ones decided on
    const loyalty::ledger_store::customer_commit both[] = {
        {&na, t.from.entries, t.from.read_version}, {&nb, t.to.entries, t.to.read_version}};
    if (store.commit(both)) return t;
    // Either customer moved on: nothing was written. Load both again and decide again.
  }
}

/// A store whose next multi-customer commits lose a race: another writer stores first.
class racing_store final : public loyalty::ledger_store {
 public:
  memory_store inner;
  int races = 0;
  const loyalty::ledger* book = nullptr;

  std::optional<customer_state> load(id128 customer) override { return inner.load(customer); }
  bool commit(const customer_state& state, std::span<const journal_entry> entries,
              std::uint64_t expected_version) override {
    return inner.commit(state, entries, expected_version);
  }
  bool commit(std::span<const customer_commit> commits) override {
    if (races > 0) {
      --races;
      // Another writer credits the recipient in between: the transfer's decision is stale.
      const id128 who = commits.back().state->customer;
      customer_state s = inner.load(who).value_or(book->open(who));
      const loyalty::decision d =
          book->decide(s,
                       ledger_op::earn(id(7000 + static_cast<std::uint64_t>(races)), 0,
                                       decimal::from_int(1).value),
                       at("2026-05-01T12:00:00Z"));
      REQUIRE(book->apply(s, d));
      REQUIRE(inner.commit(s, d.entries, d.read_version));
    }
    return inner.commit(commits);
  }
};

}  // namespace

TEST_CASE("the documented transfer loop retries a lost race and lands once", "[ledger][transfer]") {
  const ledger l({loyalty::wallet_policy{}});
  racing_store store;
  store.book = &l;
  const id128 alice = id(1001), bob = id(1002);
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  customer_state a = l.open(alice);
  const loyalty::decision e = l.decide(a, ledger_op::earn(id(1), 0, d("50")), t0);
  REQUIRE(l.apply(a, e));
  REQUIRE(store.commit(a, e.entries, 0));
  store.races = 2;
  const ledger_op op = ledger_op::transfer(id(9), 0, d("20"), bob);
  CHECK(execute_transfer(l, store, alice, op, t0).result == ledger_result::ok);
  CHECK(store.races == 0);
  CHECK(execute_transfer(l, store, alice, op, t0).result == ledger_result::exists);
  CHECK(l.balance(store.load(alice).value(), 0).available == 30);
  CHECK(l.balance(store.load(bob).value(), 0).available == 22);  // 20 + the racers' 1 + 1
  CHECK(store.inner.journal(alice).size() == 2);
}

TEST_CASE("a transfer moves units lot by lot and keeps each lot's expiry", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  const timestamp june = at("2026-06-30T00:00:00Z");
  const timestamp dec = at("2026-12-31T00:00:00Z");
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("60"), june), t0) == ledger_result::ok);
  REQUIRE(k.run(k.alice, ledger_op::earn(id(2), 0, d("100"), dec), t0) == ledger_result::ok);
  REQUIRE(k.run(k.bob, ledger_op::earn(id(3), 0, d("5"), dec), t0) == ledger_result::ok);

  // 90 from Alice to Bob: all 60 of the June lot (soonest expiring first), then 30 of December.
  const transfer_decision t =
      k.transfer(k.alice, k.bob, ledger_op::transfer(id(9), 0, d("90"), k.bob), t0);
  REQUIRE(t.result == ledger_result::ok);
  CHECK(t.units == 90);
  REQUIRE(t.from.entries.size() == 1);
  CHECK(t.from.entries[0].kind == entry_kind::transfer_out);
  REQUIRE(t.from.entries[0].parts.size() == 2);
  CHECK(t.from.entries[0].parts[0].lot == id(1));
  CHECK(t.from.entries[0].parts[0].units == 60);
  CHECK(t.from.entries[0].parts[1].lot == id(2));
  CHECK(t.from.entries[0].parts[1].units == 30);
  REQUIRE(t.to.entries.size() == 1);
  CHECK(t.to.entries[0].kind == entry_kind::transfer_in);
  REQUIRE(t.to.entries[0].credits.size() == 2);

  CHECK(k.b(k.alice).available == 70);
  CHECK(k.b(k.alice).transferred_out == 90);
  CHECK(k.b(k.alice).earned == 160);
  CHECK(k.b(k.bob).available == 95);
  CHECK(k.b(k.bob).transferred_in == 90);
  CHECK(k.b(k.bob).earned == 5);

  // Bob's new lots carry the source lots' expiries: moving points never extends their life.
  const id128 from_june = id(9).child(0xC000'0000U);
  const id128 from_dec = id(9).child(0xC000'0001U);
  REQUIRE(k.lot(k.bob, from_june) != nullptr);
  CHECK(k.lot(k.bob, from_june)->remaining == 60);
  CHECK(k.lot(k.bob, from_june)->expires_at == june);
  REQUIRE(k.lot(k.bob, from_dec) != nullptr);
  CHECK(k.lot(k.bob, from_dec)->remaining == 30);
  CHECK(k.lot(k.bob, from_dec)->expires_at == dec);

  // On 30 June Bob's 60 from the June lot expire, at the June lot's instant, not later.
  const customer_state before = k.load(k.bob);
  const loyalty::decision just_before = k.l.advance(before, at("2026-06-29T23:59:59.999999Z"));
  CHECK(just_before.entries.empty());
  const loyalty::decision on_time = k.l.advance(before, june);
  customer_state after = before;
  REQUIRE(k.l.apply(after, on_time));
  REQUIRE(k.store.commit(after, on_time.entries, on_time.read_version));
  CHECK(k.b(k.bob).expired == 60);
  CHECK(k.b(k.bob).available == 35);
  // Bob spends what he was given like his own points.
  REQUIRE(k.run(k.bob, ledger_op::redeem(id(4), 0, d("35")), june) == ledger_result::ok);
  CHECK(k.b(k.bob).available == 0);
  CHECK(k.b(k.bob).spent == 35);

  k.check_replay(k.alice);
  k.check_replay(k.bob);
}

TEST_CASE("a transfer is idempotent on both sides", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  const ledger_op op = ledger_op::transfer(id(9), 0, d("40"), k.bob);
  REQUIRE(k.transfer(k.alice, k.bob, op, t0).result == ledger_result::ok);

  // The same body again: exists, with the original units, and no entries on either side.
  const transfer_decision again = k.transfer(k.alice, k.bob, op, t0);
  CHECK(again.result == ledger_result::exists);
  CHECK(again.units == 40);
  CHECK(again.from.entries.empty());
  CHECK(again.to.entries.empty());
  // The id is on both sides: a retry whose sender state lost it (an older copy) still finds it
  // on the recipient.
  const customer_state old_alice = k.l.open(k.alice);
  CHECK(k.l.decide_transfer(old_alice, k.load(k.bob), op, t0).result == ledger_result::exists);
  // Different bodies are named.
  CHECK(k.l.decide_transfer(k.load(k.alice), k.load(k.bob),
                            ledger_op::transfer(id(9), 0, d("41"), k.bob), t0)
            .result == ledger_result::exists_with_different_amount);
  // The id is used by the transfer on Alice's side, so an earn cannot reuse it.
  CHECK(k.l.decide(k.load(k.alice), ledger_op::earn(id(9), 0, d("1")), t0).result ==
        ledger_result::exists_with_different_kind);
  CHECK(k.b(k.alice).available == 60);
  CHECK(k.b(k.bob).available == 40);
}

TEST_CASE("a transfer beyond the balance burns the id on the sender", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("30")), t0) == ledger_result::ok);
  // 20 more than can be spent: pending and held units do not count.
  REQUIRE(k.run(k.alice,
                ledger_op::earn_pending(id(2), 0, d("50"), at("2026-06-01T00:00:00Z"),
                                        timestamp::max()),
                t0) == ledger_result::ok);
  REQUIRE(k.run(k.alice,
                ledger_op::reserve(id(3), 0, d("10"), at("2026-05-01T13:00:00Z"),
                                   loyalty::timeout_action::release),
                t0) == ledger_result::ok);
  const ledger_op op = ledger_op::transfer(id(9), 0, d("21"), k.bob);
  const transfer_decision t = k.transfer(k.alice, k.bob, op, t0);
  CHECK(t.result == ledger_result::insufficient_balance);
  REQUIRE(t.from.entries.size() == 1);
  CHECK(t.from.entries[0].kind == entry_kind::failed);
  CHECK(t.to.entries.empty());
  // The retry can never succeed later, even with a smaller amount after more points arrive.
  REQUIRE(k.run(k.alice, ledger_op::earn(id(4), 0, d("100")), t0) == ledger_result::ok);
  CHECK(k.transfer(k.alice, k.bob, op, t0).result == ledger_result::id_already_failed);
  CHECK(k.transfer(k.alice, k.bob, ledger_op::transfer(id(9), 0, d("1"), k.bob), t0).result ==
        ledger_result::id_already_failed);
  CHECK(k.b(k.alice).available == 120);
  CHECK(k.b(k.bob).available == 0);
  CHECK(k.load(k.bob).version == 0);  // Bob was never written
  // All 120 fit exactly.
  CHECK(k.transfer(k.alice, k.bob, ledger_op::transfer(id(10), 0, d("120"), k.bob), t0).result ==
        ledger_result::ok);
  CHECK(k.b(k.alice).available == 0);
  CHECK(k.b(k.bob).available == 120);
  k.check_replay(k.alice);
  k.check_replay(k.bob);
}

TEST_CASE("transfer validation errors do not burn the id", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  const customer_state a = k.load(k.alice);
  const customer_state b = k.load(k.bob);
  const auto result = [&](const ledger_op& op, const customer_state& to) {
    return k.l.decide_transfer(a, to, op, t0).result;
  };
  CHECK(result(ledger_op::transfer(id(9), 0, d("10"), id(5555)), b) ==
        ledger_result::invalid_recipient);  // target is not the state passed
  CHECK(result(ledger_op::transfer(id(9), 0, d("10"), k.alice), a) ==
        ledger_result::invalid_recipient);  // to oneself
  CHECK(result(ledger_op::transfer(id(9), 0, d("10"), id128{}), b) ==
        ledger_result::invalid_recipient);
  CHECK(result(ledger_op::transfer(id(9), 0, d("0"), k.bob), b) == ledger_result::invalid_amount);
  CHECK(result(ledger_op::transfer(id(9), 0, d("-5"), k.bob), b) == ledger_result::invalid_amount);
  CHECK(result(ledger_op::transfer(id(9), 0, d("0.5"), k.bob), b) ==
        ledger_result::invalid_amount);  // the wallet keeps whole points
  CHECK(result(ledger_op::transfer(id(9), 3, d("10"), k.bob), b) == ledger_result::unknown_wallet);
  CHECK(result(ledger_op::transfer(id(9), 0, d("10"), k.bob.child(1)), b) ==
        ledger_result::invalid_recipient);
  CHECK(result(ledger_op::transfer(id128{}, 0, d("10"), k.bob), b) == ledger_result::invalid_id);
  CHECK(result(ledger_op::transfer(k.bob, 0, d("10"), k.bob), b) == ledger_result::id_is_target);
  // The two-customer operation is refused by decide(), and decide_transfer() takes nothing else.
  CHECK(k.l.decide(a, ledger_op::transfer(id(9), 0, d("10"), k.bob), t0).result ==
        ledger_result::invalid_operation);
  CHECK(result(ledger_op::redeem(id(9), 0, d("10")), b) == ledger_result::invalid_operation);
  // None of these burned id 9.
  CHECK(k.transfer(k.alice, k.bob, ledger_op::transfer(id(9), 0, d("10"), k.bob), t0).result ==
        ledger_result::ok);
}

TEST_CASE("a transfer decided on stale states commits and applies nowhere", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  const customer_state a = k.load(k.alice);
  const customer_state b = k.load(k.bob);
  const transfer_decision dec =
      k.l.decide_transfer(a, b, ledger_op::transfer(id(9), 0, d("70"), k.bob), t0);
  REQUIRE(dec.result == ledger_result::ok);
  // Meanwhile Bob earns: his stored version moves on.
  REQUIRE(k.run(k.bob, ledger_op::earn(id(2), 0, d("1")), t0) == ledger_result::ok);
  customer_state na = a;
  customer_state nb = b;
  REQUIRE(k.l.apply(na, nb, dec));  // against the states it was decided on: fine
  const std::array<memory_store::customer_commit, 2> commits{{
      {&na, dec.from.entries, dec.from.read_version},
      {&nb, dec.to.entries, dec.to.read_version},
  }};
  // The store refuses both: Alice's side is not written although her version still matches.
  CHECK_FALSE(k.store.commit(commits));
  CHECK(k.load(k.alice).version == a.version);
  CHECK(k.b(k.alice).available == 100);
  CHECK(k.store.journal(k.alice).size() == 1);
  CHECK(k.b(k.bob).available == 1);
  // apply() refuses a decision made against an older version of either side, changing neither.
  customer_state ca = k.load(k.alice);
  customer_state cb = k.load(k.bob);
  CHECK_FALSE(k.l.apply(ca, cb, dec));
  CHECK(k.l.balance(ca, 0).available == 100);
  CHECK(k.l.balance(cb, 0).available == 1);
  // The host decides again on fresh states; that one lands.
  CHECK(k.transfer(k.alice, k.bob, ledger_op::transfer(id(9), 0, d("70"), k.bob), t0).result ==
        ledger_result::ok);
  CHECK(k.b(k.alice).available == 30);
  CHECK(k.b(k.bob).available == 71);
  // One commit per customer in a transaction.
  const customer_state x = k.load(k.alice);
  const std::array<memory_store::customer_commit, 2> twice{{
      {&x, {}, x.version},
      {&x, {}, x.version},
  }};
  CHECK_FALSE(k.store.commit(twice));
  k.check_replay(k.alice);
  k.check_replay(k.bob);
}

TEST_CASE("random transfers conserve points and replay exactly", "[ledger][transfer][property]") {
  const std::uint64_t seed = 20'261'122;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  pair_book k;
  const std::array<id128, 4> who{id(1001), id(1002), id(1003), id(1004)};
  timestamp now = at("2026-01-01T00:00:00Z");
  std::uint64_t next_id = 1;
  std::int64_t earned = 0;
  std::int64_t spent = 0;
  for (int step = 0; step < 4000; ++step) {
    INFO("step " << step);
    now.micros += static_cast<std::int64_t>(rng() % 6) * loyalty::duration::micros_per_hour;
    const id128 a = who[rng() % who.size()];
    const id128 op_id = id(next_id++);
    const std::uint64_t roll = rng() % 10;
    if (roll < 4) {
      const std::int64_t n = static_cast<std::int64_t>(rng() % 200) + 1;
      const timestamp exp{now.micros + static_cast<std::int64_t>(rng() % 2000 + 1) *
                                           loyalty::duration::micros_per_hour};
      const ledger_result r =
          k.run(a, ledger_op::earn(op_id, 0, decimal::from_int(n).value, exp), now);
      REQUIRE(r == ledger_result::ok);
      earned += n;
    } else if (roll < 5) {
      const std::int64_t n = static_cast<std::int64_t>(rng() % 150) + 1;
      const ledger_result r =
          k.run(a, ledger_op::redeem(op_id, 0, decimal::from_int(n).value), now);
      CHECK((r == ledger_result::ok || r == ledger_result::insufficient_balance));
      if (r == ledger_result::insufficient_balance) CHECK(k.b(a).available < n);
      if (r == ledger_result::ok) spent += n;
    } else if (roll < 9) {
      id128 b = who[rng() % who.size()];
      if (b == a) b = who[(static_cast<std::size_t>(b.low - 1001) + 1) % who.size()];
      const std::int64_t n = static_cast<std::int64_t>(rng() % 150) + 1;
      const std::int64_t before_a = k.b(a).available;
      const std::int64_t before_b = k.b(b).available;
      const ledger_op op = ledger_op::transfer(op_id, 0, decimal::from_int(n).value, b);
      const transfer_decision t = k.transfer(a, b, op, now);
      // Expiries due by now happen first on both sides; what is left moves exactly.
      const std::int64_t after_a = k.b(a).available;
      const std::int64_t after_b = k.b(b).available;
      if (t.result == ledger_result::ok) {
        CHECK(after_a <= before_a - n);
        CHECK(after_b - before_b <= n);
        // A retry of the same body is `exists` and moves nothing.
        const transfer_decision again = k.transfer(a, b, op, now);
        CHECK(again.result == ledger_result::exists);
        CHECK(k.b(a).available == after_a);
        CHECK(k.b(b).available == after_b);
      } else {
        CHECK(t.result == ledger_result::insufficient_balance);
        CHECK(after_a < n);
      }
    } else {
      for (const id128 c : who) {
        const customer_state s = k.load(c);
        const loyalty::decision dec = k.l.advance(s, now);
        customer_state n = s;
        REQUIRE(k.l.apply(n, dec));
        REQUIRE(k.store.commit(n, dec.entries, dec.read_version));
      }
    }
    // Conservation over all customers: what was earned is available, held, spent or expired;
    // transfers only move it.
    std::int64_t available = 0;
    std::int64_t expired = 0;
    std::int64_t in = 0;
    std::int64_t out = 0;
    for (const id128 c : who) {
      const loyalty::balances x = k.b(c);
      available += x.available + x.held + x.pending;
      expired += x.expired;
      in += x.transferred_in;
      out += x.transferred_out;
    }
    REQUIRE(in == out);
    REQUIRE(available + expired + spent == earned);
  }
  std::int64_t moved = 0;
  for (const id128 c : who) {
    k.check_replay(c);
    moved += k.b(c).transferred_in;
  }
  CHECK(moved > 10'000);  // the run did move points around
}

TEST_CASE("a transfer the recipient cannot hold is refused", "[ledger][transfer]") {
  pair_book k;
  const timestamp t0 = at("2026-05-01T12:00:00Z");
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  REQUIRE(k.run(k.alice, ledger_op::earn(id(1), 0, d("100")), t0) == ledger_result::ok);
  REQUIRE(k.run(k.bob, ledger_op::earn(id(2), 0, decimal::from_units(max - 50, 0).value), t0) ==
          ledger_result::ok);
  const transfer_decision t =
      k.transfer(k.alice, k.bob, ledger_op::transfer(id(9), 0, d("51"), k.bob), t0);
  CHECK(t.result == ledger_result::overflow);
  CHECK(t.to.entries.empty());
  CHECK(k.b(k.alice).available == 100);
  CHECK(k.transfer(k.alice, k.bob, ledger_op::transfer(id(10), 0, d("50"), k.bob), t0).result ==
        ledger_result::ok);
  CHECK(k.b(k.bob).available == max);
}
