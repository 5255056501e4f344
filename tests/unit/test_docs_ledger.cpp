// The two worked examples of docs/ledger.md, run exactly as the page describes them (each step
// through the commit protocol's execute() and memory_store), with the page's numbers: the
// balances, the lots, the journal and the expiry instants. If one of these fails, the page or
// the library changed: fix whichever is wrong, never only the test.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger_test_util.hpp"
#include "loyalty/ledger.hpp"
#include "loyalty/program.hpp"

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

namespace {

decimal points(std::int64_t n) {
  return decimal::from_int(n).value;
}

timestamp at(const char* text) {
  const auto t = loyalty::parse_timestamp(text);
  REQUIRE(t.has_value());
  return *t;
}

std::string text(timestamp t) {
  return t == timestamp::max() ? std::string("never") : loyalty::to_string(t);
}

// ledger.md#the-commit-protocol, as printed there.
loyalty::decision execute(const ledger& book, loyalty::ledger_store& store, id128 customer,
                          const ledger_op& op, timestamp now) {
  for (;;) {
    customer_state state = store.load(customer).value_or(book.open(customer));
    loyalty::decision d = book.decide(state, op, now);
    if (d.entries.empty()) return d;  // exists, id_already_failed, a validation error
    customer_state next = state;
    (void)book.apply(next, d);  // cannot fail: next.version == d.read_version
    if (store.commit(next, d.entries, d.read_version)) return d;
  }
}

// "each advance(now) through the same load, decide, commit steps"
loyalty::decision execute_advance(const ledger& book, loyalty::ledger_store& store, id128 customer,
                                  timestamp now) {
  for (;;) {
    customer_state state = store.load(customer).value_or(book.open(customer));
    loyalty::decision d = book.advance(state, now);
    if (d.entries.empty()) return d;
    customer_state next = state;
    (void)book.apply(next, d);
    if (store.commit(next, d.entries, d.read_version)) return d;
  }
}

/// Names for the ids of an example, so that lots and entries print as the page writes them.
struct names {
  std::map<id128, std::string> of;
  std::string operator()(id128 id) const {
    const auto it = of.find(id);
    return it != of.end() ? it->second : id.to_string();
  }
};

/// A wallet's lots in consumption order, as the page writes them: "E2 0/0, E1 100/70, P1 40/0
/// pending".
std::string lots(const customer_state& s, std::uint16_t wallet, const names& n) {
  std::string out;
  for (const loyalty::lot& l : s.wallets[wallet].lots) {
    if (!out.empty()) out += ", ";
    out += n(l.id) + " " + std::to_string(l.remaining) + "/" + std::to_string(l.held);
    if (l.pending) out += " pending";
  }
  return out;
}

/// available, pending, held, earned, spent, expired, reversed: the page's balance columns.
std::vector<std::int64_t> columns(const loyalty::balances& b) {
  return {b.available, b.pending, b.held, b.earned, b.spent, b.expired, b.reversed};
}

/// One journal entry as the page lists it: "#5 reserve R1 120 E2 50, E1 70".
std::string line(const journal_entry& e, const names& n) {
  std::string out = "#" + std::to_string(e.sequence) + " " +
                    std::string(loyalty::to_string(e.kind)) + " " + n(e.id) + " " +
                    std::to_string(e.units);
  if (e.kind == entry_kind::failed) out += " " + std::string(loyalty::to_string(e.result));
  for (std::size_t i = 0; i < e.parts.size(); ++i) {
    out += (i == 0 ? " " : ", ") + n(e.parts[i].lot) + " " + std::to_string(e.parts[i].units);
  }
  if (e.reissued_units > 0) {
    out += "; re-issued " + std::to_string(e.reissued_units) + " as lot " + n(e.reissued_lot) +
           ", expires " + text(e.reissued_expires_at);
  }
  return out;
}

}  // namespace

TEST_CASE("docs: ledger.md worked example, earn to expiry, step by step", "[docs][ledger]") {
  ledger book({loyalty::wallet_policy{}});
  // The policy the page states: whole points, soonest_expiring_first, within_balance, 30 days.
  REQUIRE(book.wallets()[0].scale == 0);
  REQUIRE(book.wallets()[0].order == loyalty::consumption_order::soonest_expiring_first);
  REQUIRE(book.wallets()[0].returns == loyalty::return_policy::within_balance);
  REQUIRE(book.wallets()[0].refund_min_validity == loyalty::duration::days(30));
  memory_store store;
  const id128 alice{0, 0xA11CE};
  const id128 E1{0, 1}, E2{0, 2}, P1{0, 3}, R1{0, 4}, K1{0, 5}, F1{0, 6}, X1{0, 7};
  names n;
  n.of = {{E1, "E1"}, {E2, "E2"}, {P1, "P1"}, {R1, "R1"}, {K1, "K1"}, {F1, "F1"}, {X1, "X1"}};
  // The ids the ledger derives for its own entries, named as the page names them.
  n.of[P1.child(2)] = "P1.child(2)";
  n.of[F1.child(9)] = "F1.child(9)";
  n.of[E1.child(10)] = "E1.child(10)";

  struct step {
    int number;
    const char* now;
    std::optional<ledger_op> op;  // nullopt: advance
    ledger_result result;
    std::int64_t units;
    std::vector<std::int64_t> balances;
    const char* lots;
  };
  const std::vector<step> steps = {
      {1,
       "2026-01-10T09:00:00Z",
       ledger_op::earn(E1, 0, points(100), at("2026-04-01T00:00:00Z")),
       ledger_result::ok,
       100,
       {100, 0, 0, 100, 0, 0, 0},
       "E1 100/0"},
      {2,
       "2026-01-10T09:00:00Z",
       ledger_op::earn(E2, 0, points(50), at("2026-02-01T00:00:00Z")),
       ledger_result::ok,
       50,
       {150, 0, 0, 150, 0, 0, 0},
       "E2 50/0, E1 100/0"},
      {3,
       "2026-01-10T09:00:00Z",
       ledger_op::earn_pending(P1, 0, points(40), at("2026-01-25T00:00:00Z"),
                               at("2027-01-01T00:00:00Z")),
       ledger_result::ok,
       40,
       {150, 40, 0, 190, 0, 0, 0},
       "E2 50/0, E1 100/0, P1 40/0 pending"},
      {4,
       "2026-01-25T00:00:00Z",
       std::nullopt,
       ledger_result::ok,
       0,
       {190, 0, 0, 190, 0, 0, 0},
       "E2 50/0, E1 100/0, P1 40/0"},
      {5,
       "2026-01-26T12:00:00Z",
       ledger_op::reserve(R1, 0, points(120), at("2026-01-26T12:15:00Z"),
                          loyalty::timeout_action::release),
       ledger_result::ok,
       120,
       {70, 0, 120, 190, 0, 0, 0},
       "E2 50/50, E1 100/70, P1 40/0"},
      {6,
       "2026-01-26T12:01:00Z",
       ledger_op::redeem(X1, 0, points(80)),
       ledger_result::insufficient_balance,
       0,
       {70, 0, 120, 190, 0, 0, 0},
       "E2 50/50, E1 100/70, P1 40/0"},
      {7,
       "2026-01-26T12:05:00Z",
       ledger_op::capture(K1, 0, R1, points(100)),
       ledger_result::ok,
       100,
       {90, 0, 0, 190, 100, 0, 0},
       "E2 0/0, E1 50/0, P1 40/0"},
      {8,
       "2026-01-26T12:06:00Z",
       ledger_op::capture(K1, 0, R1, points(100)),
       ledger_result::exists,
       100,
       {90, 0, 0, 190, 100, 0, 0},
       "E2 0/0, E1 50/0, P1 40/0"},
      {9,
       "2026-01-26T12:07:00Z",
       ledger_op::redeem(X1, 0, points(80)),
       ledger_result::id_already_failed,
       0,
       {90, 0, 0, 190, 100, 0, 0},
       "E2 0/0, E1 50/0, P1 40/0"},
      {10,
       "2026-01-27T10:00:00Z",
       ledger_op::refund(F1, 0, K1, points(30)),
       ledger_result::ok,
       30,
       {120, 0, 0, 190, 70, 0, 0},
       "E2 0/0, F1 15/0, E1 65/0, P1 40/0"},
      {11,
       "2026-04-01T00:00:00Z",
       std::nullopt,
       ledger_result::ok,
       0,
       {40, 0, 0, 190, 70, 80, 0},
       "E2 0/0, F1 0/0, E1 0/0, P1 40/0"},
  };
  for (const step& s : steps) {
    INFO("step " << s.number);
    const loyalty::decision d = s.op ? execute(book, store, alice, *s.op, at(s.now))
                                     : execute_advance(book, store, alice, at(s.now));
    CHECK(d.result == s.result);
    CHECK(d.units == s.units);
    const customer_state state = store.load(alice).value();
    CHECK(columns(book.balance(state, 0)) == s.balances);
    CHECK(lots(state, 0, n) == s.lots);
    CHECK(book.check(state).empty());
  }

  // The journal at the end.
  const std::span<const journal_entry> journal = store.journal(alice);
  std::vector<std::string> printed;
  for (const journal_entry& e : journal) printed.push_back(line(e, n));
  CHECK(printed == std::vector<std::string>{
                       "#1 earn E1 100",
                       "#2 earn E2 50",
                       "#3 earn P1 40",
                       "#4 activate P1.child(2) 40 P1 40",
                       "#5 reserve R1 120 E2 50, E1 70",
                       "#6 failed X1 0 insufficient_balance",
                       "#7 capture K1 100 E2 50, E1 50",
                       "#8 refund F1 30 E1 15; re-issued 15 as lot F1, expires "
                       "2026-02-26T10:00:00Z",
                       "#9 expire F1.child(9) 15 F1 15",
                       "#10 expire E1.child(10) 65 E1 65",
                   });
  // "The refund of 30 is prorated over K1's parts, 50 and 50: 15 each."
  REQUIRE(journal.size() == 10);
  CHECK(journal[7].shares ==
        std::vector<loyalty::lot_part>{loyalty::lot_part{E2, 15}, loyalty::lot_part{E1, 15}});

  // "At the end: Σ remaining = 40 = 190 − 70 − 80 − 0 + 0."
  const customer_state stored = store.load(alice).value();
  std::int64_t remaining = 0;
  for (const loyalty::lot& l : stored.wallets[0].lots) remaining += l.remaining;
  CHECK(remaining == 40);

  // Replaying the ten entries from open() gives the same state: version 10, the same lots and
  // balances, and the same eight ids.
  customer_state rebuilt = book.open(alice);
  for (const journal_entry& e : journal) book.apply(rebuilt, e);
  CHECK(rebuilt.version == 10);
  CHECK(stored.version == 10);
  CHECK(lots(rebuilt, 0, n) == lots(stored, 0, n));
  CHECK(columns(book.balance(rebuilt, 0)) == columns(book.balance(stored, 0)));
  CHECK(book.check(rebuilt).empty());
  std::vector<std::string> ids;
  for (const auto& entry : rebuilt.ids.entries()) ids.push_back(n(entry.id));
  CHECK(ids == std::vector<std::string>{"E1", "E2", "P1", "P1.child(2)", "R1", "X1", "K1", "F1"});
  std::vector<std::string> stored_ids;
  for (const auto& entry : stored.ids.entries()) stored_ids.push_back(n(entry.id));
  CHECK(stored_ids == ids);
}

TEST_CASE("docs: ledger.md expiry worked example in Europe/Berlin", "[docs][ledger]") {
  // The program of ledger.md#expiry-policies.
  const char* const yaml = R"(name: Corner Shop Rewards
version: "1"
time_zone: Europe/Berlin
point_types:
  - id: points            # wallet 0
    rounding: floor
    expiry: {policy: after, period: 12 months, round_to: month, clock_starts: activation}
  - id: status            # wallet 1
    rounding: floor
    expiry: {policy: inactivity, period: 6 months, round_to: day, reset_on: [earn, redeem]}
)";
  const loyalty::load_result loaded = loyalty::load_program(yaml, "expiry.yaml");
  INFO(loyalty::render(loaded.diagnostics));
  REQUIRE(loaded.ok());
  const ledger book(loyalty::wallet_policies(*loaded.program));
  memory_store store;
  const id128 alice{0, 0xA11CE};
  const id128 E1{0, 1}, P1{0, 2}, S1{0, 3}, R1{0, 4}, A1{0, 5};
  names n;
  n.of = {{E1, "E1"}, {P1, "P1"}, {S1, "S1"}, {R1, "R1"}, {A1, "A1"}};

  auto lot_of = [&](id128 lot_id, std::uint16_t wallet) {
    const customer_state s = store.load(alice).value();
    for (const loyalty::lot& l : s.wallets[wallet].lots) {
      if (l.id == lot_id) return l;
    }
    FAIL("no lot " << n(lot_id));
    return loyalty::lot{};
  };
  auto kinds = [](const loyalty::decision& d) {
    std::vector<entry_kind> k;
    for (const journal_entry& e : d.entries) k.push_back(e.kind);
    return k;
  };
  auto wallet = [&](std::uint16_t w) { return store.load(alice).value().wallets[w]; };
  auto check_state = [&] { CHECK(book.check(store.load(alice).value()).empty()); };

  // 1. earn E1 100 at 2026-01-15 10:00 Berlin: 12 months, to the end of January 2027.
  const timestamp jan15 = at("2026-01-15T10:00:00+01:00");
  auto d = execute(book, store, alice, ledger_op::earn(E1, 0, points(100)), jan15);
  REQUIRE(d.result == ledger_result::ok);
  CHECK(kinds(d) == std::vector<entry_kind>{entry_kind::earn});
  CHECK(text(d.entries[0].expires_at) == "2027-01-31T23:00:00Z");
  CHECK(text(lot_of(E1, 0).expires_at) == "2027-01-31T23:00:00Z");
  check_state();

  // 2. earn_pending P1 50: pending, no expiry yet (the clock starts at activation).
  d = execute(book, store, alice,
              ledger_op::earn_pending(P1, 0, points(50), at("2026-02-14T00:00:00+01:00")), jan15);
  REQUIRE(d.result == ledger_result::ok);
  CHECK(kinds(d) == std::vector<entry_kind>{entry_kind::earn});
  CHECK(lot_of(P1, 0).pending);
  CHECK(lot_of(P1, 0).expires_at == timestamp::max());
  check_state();

  // 3. earn S1 20 into status: the earn resets the clock; status lapses 2026-07-16 00:00.
  d = execute(book, store, alice, ledger_op::earn(S1, 1, points(20)), jan15);
  REQUIRE(d.result == ledger_result::ok);
  CHECK(kinds(d) == std::vector<entry_kind>{entry_kind::earn});
  CHECK(d.entries[0].marks_activity);
  CHECK(text(d.entries[0].lapses_at) == "2026-07-15T22:00:00Z");
  CHECK(text(wallet(1).lapses_at) == "2026-07-15T22:00:00Z");
  check_state();

  // 4. advance at 2026-02-14 00:00: P1 activates and expires 2027-03-01 00:00.
  d = execute_advance(book, store, alice, at("2026-02-14T00:00:00+01:00"));
  CHECK(kinds(d) == std::vector<entry_kind>{entry_kind::activate});
  CHECK(n(d.entries[0].parts.at(0).lot) == "P1");
  CHECK(text(d.entries[0].expires_at) == "2027-02-28T23:00:00Z");
  CHECK_FALSE(lot_of(P1, 0).pending);
  CHECK(text(lot_of(P1, 0).expires_at) == "2027-02-28T23:00:00Z");
  check_state();

  // 5. redeem R1 30: soonest expiring first, so E1.
  d = execute(book, store, alice, ledger_op::redeem(R1, 0, points(30)),
              at("2026-03-01T12:00:00+01:00"));
  REQUIRE(d.result == ledger_result::ok);
  REQUIRE(kinds(d) == std::vector<entry_kind>{entry_kind::redeem});
  CHECK(d.entries[0].parts == std::vector<loyalty::lot_part>{{E1, 30}});
  check_state();

  // 6. record_activity A1 at 2026-05-02 18:30 (CEST): status lapses 2026-11-03 00:00 CET.
  d = execute(book, store, alice, ledger_op::record_activity(A1, 1),
              at("2026-05-02T18:30:00+02:00"));
  REQUIRE(d.result == ledger_result::ok);
  REQUIRE(kinds(d) == std::vector<entry_kind>{entry_kind::record_activity});
  CHECK(d.entries[0].marks_activity);
  CHECK(text(d.entries[0].lapses_at) == "2026-11-02T23:00:00Z");
  check_state();

  // 7. the same id again a minute later: exists, no entries, the clock is not reset again.
  d = execute(book, store, alice, ledger_op::record_activity(A1, 1),
              at("2026-05-02T18:31:00+02:00"));
  CHECK(d.result == ledger_result::exists);
  CHECK(d.entries.empty());
  CHECK(text(wallet(1).lapses_at) == "2026-11-02T23:00:00Z");

  // 8. a microsecond before the lapse: nothing.
  d = execute_advance(book, store, alice, at("2026-11-02T23:59:59.999999+01:00"));
  CHECK(d.entries.empty());
  CHECK(book.balance(store.load(alice).value(), 1).available == 20);

  // 9. at the lapse: a lapse (at 2026-11-02T23:00Z) and S1's 20 expire; the clock stops.
  d = execute_advance(book, store, alice, at("2026-11-03T00:00:00+01:00"));
  REQUIRE(kinds(d) == std::vector<entry_kind>{entry_kind::lapse, entry_kind::expire});
  CHECK(text(d.entries[0].expires_at) == "2026-11-02T23:00:00Z");
  CHECK(d.entries[1].parts == std::vector<loyalty::lot_part>{{S1, 20}});
  CHECK(book.balance(store.load(alice).value(), 1).available == 0);
  CHECK(book.balance(store.load(alice).value(), 1).expired == 20);
  CHECK_FALSE(wallet(1).last_activity.has_value());
  CHECK(wallet(1).lapses_at == timestamp::max());
  check_state();

  // 10. 2027-02-01 00:00: E1's 70 expire; points available 50.
  d = execute_advance(book, store, alice, at("2027-02-01T00:00:00+01:00"));
  REQUIRE(kinds(d) == std::vector<entry_kind>{entry_kind::expire});
  CHECK(d.entries[0].parts == std::vector<loyalty::lot_part>{{E1, 70}});
  CHECK(book.balance(store.load(alice).value(), 0).available == 50);
  check_state();

  // 11. 2027-03-01 00:00: P1's 50 expire; available 0, expired 120, spent 30.
  d = execute_advance(book, store, alice, at("2027-03-01T00:00:00+01:00"));
  REQUIRE(kinds(d) == std::vector<entry_kind>{entry_kind::expire});
  CHECK(d.entries[0].parts == std::vector<loyalty::lot_part>{{P1, 50}});
  const loyalty::balances points_end = book.balance(store.load(alice).value(), 0);
  CHECK(points_end.available == 0);
  CHECK(points_end.expired == 120);
  CHECK(points_end.spent == 30);
  check_state();

  // Ten entries; the replay gives the same state: version 10, the same lots with the same
  // expires_at, the status wallet's clock stopped.
  const std::span<const journal_entry> journal = store.journal(alice);
  CHECK(journal.size() == 10);
  const customer_state stored = store.load(alice).value();
  customer_state rebuilt = book.open(alice);
  for (const journal_entry& e : journal) book.apply(rebuilt, e);
  CHECK(rebuilt.version == 10);
  CHECK(stored.version == 10);
  ltest::same_ledger(rebuilt, stored);
  CHECK_FALSE(rebuilt.wallets[1].last_activity.has_value());
  CHECK(rebuilt.wallets[1].lapses_at == timestamp::max());
  CHECK(book.check(rebuilt).empty());
}
