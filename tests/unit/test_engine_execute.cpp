// engine::execute: ledger operations (redemptions, holds, refunds, adjustments) on a member,
// counted in the member's version so that a host committing through a member_store never loses
// a concurrent update.
#include <catch2/catch.hpp>

#include "engine_test_util.hpp"

using etest::harness;
using etest::program_text;
using loyalty::ledger_op;
using loyalty::ledger_result;

namespace {

constexpr const char* rules = R"(
rules:
  - {id: welcome, on: customer.registered, award: 100, into: points}
)";

loyalty::id128 op(std::uint64_t n) {
  return loyalty::id128{7, n};
}

loyalty::decimal points(std::int64_t n) {
  return loyalty::decimal::from_int(n).value;
}

}  // namespace

TEST_CASE("engine execute: a redemption, its retry and a failure that burns the id", "[engine]") {
  harness h(program_text(rules));
  REQUIRE(h.simple("customer.registered", "REG", "2026-03-01T10:00:00+01:00").result ==
          loyalty::process_result::ok);
  const std::uint64_t v0 = h.m.version;
  const loyalty::timestamp now = etest::at("2026-03-02T10:00:00+01:00");
  loyalty::engine_decision d;

  h.engine.execute(h.m, ledger_op::redeem(op(1), 0, points(30)), now, d);
  CHECK(d.ledger == ledger_result::ok);
  CHECK(d.amount.units() == 30);
  CHECK(d.read_version == v0);
  REQUIRE(d.entries.size() == 1);
  CHECK(d.entries[0].kind == loyalty::entry_kind::redeem);
  CHECK(h.m.version == v0 + 1);
  CHECK(h.available() == 70);
  CHECK(h.balance().spent == 30);

  // The same request again: exists, with the original units; nothing to persist.
  h.engine.execute(h.m, ledger_op::redeem(op(1), 0, points(30)), now, d);
  CHECK(d.ledger == ledger_result::exists);
  CHECK(d.amount.units() == 30);
  CHECK(d.entries.empty());
  CHECK(h.m.version == v0 + 1);

  // More than available: refused, and the id is burned (its entry is persisted).
  h.engine.execute(h.m, ledger_op::redeem(op(2), 0, points(1000)), now, d);
  CHECK(d.ledger == ledger_result::insufficient_balance);
  REQUIRE(d.entries.size() == 1);
  CHECK(d.entries[0].kind == loyalty::entry_kind::failed);
  CHECK(h.m.version == v0 + 2);
  h.engine.execute(h.m, ledger_op::redeem(op(2), 0, points(10)), now, d);
  CHECK(d.ledger == ledger_result::id_already_failed);
  CHECK(h.available() == 70);

  // A hold and its partial capture.
  h.engine.execute(h.m,
                   ledger_op::reserve(op(3), 0, points(50), loyalty::timestamp::max(),
                                      loyalty::timeout_action::none),
                   now, d);
  CHECK(d.ledger == ledger_result::ok);
  CHECK(h.balance().held == 50);
  h.engine.execute(h.m, ledger_op::capture(op(4), 0, op(3), points(20)), now, d);
  CHECK(d.ledger == ledger_result::ok);
  CHECK(h.balance().held == 0);
  CHECK(h.available() == 50);
  CHECK(h.balance().spent == 50);
}

TEST_CASE("engine execute: two workers redeeming for one member through a store", "[engine]") {
  harness h(program_text(rules));
  REQUIRE(h.simple("customer.registered", "REG", "2026-03-01T10:00:00+01:00").result ==
          loyalty::process_result::ok);
  loyalty::memory_member_store store;
  REQUIRE(store.commit(h.m, {}, 0));
  const loyalty::timestamp now = etest::at("2026-03-02T10:00:00+01:00");

  // Both load the member with 100 points and redeem 60.
  loyalty::member a = store.load(h.m.customer).value();
  loyalty::member b = store.load(h.m.customer).value();
  loyalty::engine_decision da;
  loyalty::engine_decision db;
  h.engine.execute(a, ledger_op::redeem(op(1), 0, points(60)), now, da);
  h.engine.execute(b, ledger_op::redeem(op(2), 0, points(60)), now, db);
  REQUIRE(da.ledger == ledger_result::ok);
  REQUIRE(db.ledger == ledger_result::ok);
  CHECK(store.commit(a, da.entries, da.read_version));
  // The second commit finds a newer version: nothing is stored, and the worker tries again
  // on a fresh copy, where 40 points are left.
  CHECK_FALSE(store.commit(b, db.entries, db.read_version));
  b = store.load(h.m.customer).value();
  h.engine.execute(b, ledger_op::redeem(op(2), 0, points(60)), now, db);
  CHECK(db.ledger == ledger_result::insufficient_balance);
  CHECK(store.commit(b, db.entries, db.read_version));
  const loyalty::member stored = store.load(h.m.customer).value();
  CHECK(h.engine.balance(stored, "points").available == 40);
  CHECK(h.engine.balance(stored, "points").spent == 60);
}
