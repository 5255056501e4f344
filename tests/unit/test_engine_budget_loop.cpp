// The host's budget loop of docs/rules.md#storing-a-decision, compiled and run: process with the
// units left, reserve what the decision uses, store the member; on a lost reservation or a
// version conflict, start again. The budget counter is the host's (global, shared by every
// customer); two workers race on it, interleaved deterministically.
#include "engine_test_util.hpp"

#include <functional>
#include <span>

using etest::at;
using etest::d;
using loyalty::budget_use;
using loyalty::engine_decision;
using loyalty::process_result;

namespace {

const char* const program_yaml = R"(name: Launch
version: "1"
time_zone: Europe/Berlin
point_types:
  - id: points
    rounding: floor
events:
  order.completed:
    fields: {net: decimal(2)}
budgets:
  - id: launch
    point_type: points
    amount: 100
rules:
  - id: base
    on: order.completed
    award: 1
    into: points
  - id: launch_bonus
    on: order.completed
    award: event.net
    into: points
    budget: launch
)";

/// The host's budget counters: in a database, one row per budget. reserve() takes every use or
/// none (UPDATE ... SET left = left - :units WHERE id = :id AND left >= :units, in one
/// transaction).
struct budget_counters {
  std::vector<std::int64_t> left;
  int reservations = 0;
  int refused = 0;

  bool reserve(std::span<const budget_use> uses) {
    for (const budget_use& u : uses) {
      if (left.at(u.budget) < u.units) {
        ++refused;
        return false;
      }
    }
    for (const budget_use& u : uses) left.at(u.budget) -= u.units;
    ++reservations;
    return true;
  }
  void release(std::span<const budget_use> uses) {
    for (const budget_use& u : uses) left.at(u.budget) += u.units;
  }
};

/// The loop of docs/rules.md#storing-a-decision. `meanwhile` (tests only) runs once, between
/// the first process() and its reservation: another worker's whole turn.
engine_decision execute(const loyalty::engine& eng, loyalty::member_store& store,
                        budget_counters& budgets, loyalty::id128 customer, const loyalty::event& e,
                        loyalty::timestamp now, int& attempts,
                        const std::function<void()>& meanwhile = {}) {
  engine_decision d;
  attempts = 0;
  for (;;) {
    ++attempts;
    loyalty::member m = store.load(customer).value_or(eng.open(customer));
    const std::vector<std::int64_t> left = budgets.left;  // the units left, read now
    loyalty::process_options options;
    options.budgets = left;
    eng.process(m, e, now, options, d);
    if (d.result != process_result::ok) return d;  // duplicate, or an error: m is unchanged
    if (attempts == 1 && meanwhile) meanwhile();
    if (!budgets.reserve(d.budgets)) continue;  // another customer took them: start again
    if (store.commit(m, d.entries, d.read_version)) return d;
    budgets.release(d.budgets);  // another writer stored this customer in between: start again
  }
}

struct host {
  std::shared_ptr<const loyalty::program> program = etest::load(program_yaml);
  loyalty::engine engine{program};
  loyalty::memory_member_store store;
  budget_counters budgets{{100}};

  loyalty::event order(const char* id, const char* net) const {
    loyalty::event e(*program, "order.completed");
    e.reset(loyalty::event_id(id), at("2026-05-04T10:00:00+02:00"));
    REQUIRE(e.set("event.net", d(net)));
    return e;
  }
  engine_decision run(loyalty::id128 customer, const loyalty::event& e, int& attempts,
                      const std::function<void()>& meanwhile = {}) {
    return execute(engine, store, budgets, customer, e, e.at(), attempts, meanwhile);
  }
  std::int64_t available(loyalty::id128 customer) {
    const auto m = store.load(customer);
    REQUIRE(m.has_value());
    return engine.balance(*m, "points").available;
  }
  const loyalty::award& award(const engine_decision& dec, const char* rule) const {
    const std::uint32_t r = *program->find_rule(rule);
    for (const loyalty::award& a : dec.awards) {
      if (a.rule == r) return a;
    }
    FAIL("no award of " << rule);
    return dec.awards.front();
  }
};

}  // namespace

TEST_CASE("engine budget loop: two customers draw on one budget; the second gets the remainder",
          "[engine]") {
  host h;
  const loyalty::id128 ann{0, 1}, ben{0, 2};
  const loyalty::event ann_order = h.order("INV-A", "60.00");
  const loyalty::event ben_order = h.order("INV-B", "70.00");
  int ann_attempts = 0, ben_attempts = 0;
  engine_decision ann_dec;
  // Ben processes with 100 left and would get 70; before he reserves, Ann's whole turn runs:
  // she also sees 100, gets 60 and reserves them, leaving 40.
  const engine_decision ben_dec = h.run(ben, ben_order, ben_attempts, [&] {
    ann_dec = h.run(ann, ann_order, ann_attempts);
    CHECK(h.budgets.left == std::vector<std::int64_t>{40});
  });
  CHECK(ann_attempts == 1);
  REQUIRE(ann_dec.result == process_result::ok);
  CHECK(h.award(ann_dec, "launch_bonus").amount == d("60"));
  REQUIRE(ann_dec.budgets.size() == 1);
  CHECK(ann_dec.budgets[0].units == 60);
  // Ben's reservation of 70 failed; he processed again with the 40 left, and got them.
  CHECK(ben_attempts == 2);
  REQUIRE(ben_dec.result == process_result::ok);
  CHECK(h.award(ben_dec, "launch_bonus").amount == d("40"));
  CHECK(h.award(ben_dec, "launch_bonus").uncapped == d("70"));
  CHECK(h.award(ben_dec, "base").amount == d("1"));
  REQUIRE(ben_dec.budgets.size() == 1);
  CHECK(ben_dec.budgets[0].budget == 0);
  CHECK(ben_dec.budgets[0].units == 40);
  CHECK(h.budgets.left == std::vector<std::int64_t>{0});
  CHECK(h.budgets.reservations == 2);
  CHECK(h.budgets.refused == 1);
  // What was stored: the second decision only. Both rules' awards are one lot (one earn).
  CHECK(h.available(ann) == 61);
  CHECK(h.available(ben) == 41);
  REQUIRE(h.store.journal(ben).size() == 1);
  CHECK(h.store.journal(ben)[0].units == 41);
  CHECK(h.store.load(ben)->version == 1);
  CHECK(h.store.load(ann)->version == 1);

  // The budget is spent: a third customer's order earns only the unbudgeted point, and its
  // decision consumes nothing.
  const loyalty::id128 cem{0, 3};
  int cem_attempts = 0;
  const engine_decision cem_dec = h.run(cem, h.order("INV-C", "25.00"), cem_attempts);
  CHECK(cem_attempts == 1);
  CHECK(cem_dec.budgets.empty());
  CHECK(h.available(cem) == 1);
  CHECK(h.budgets.left == std::vector<std::int64_t>{0});
}

TEST_CASE("engine budget loop: a version conflict gives the reservation back", "[engine]") {
  host h;
  const loyalty::id128 ben{0, 2};
  const loyalty::event x = h.order("INV-X", "30.00");
  const loyalty::event y = h.order("INV-Y", "50.00");
  int x_attempts = 0, y_attempts = 0;
  // Two workers process Ben's orders at once, both from version 0. X's worker stores first
  // (30 reserved, version 1); Y's reservation of 50 succeeds (20 left) but its commit meets
  // version 1: it releases the 50, reloads Ben and processes Y again.
  const engine_decision y_dec = h.run(ben, y, y_attempts, [&] {
    const engine_decision x_dec = h.run(ben, x, x_attempts);
    REQUIRE(x_dec.result == process_result::ok);
    CHECK(h.award(x_dec, "launch_bonus").amount == d("30"));
    CHECK(h.budgets.left == std::vector<std::int64_t>{70});
  });
  CHECK(x_attempts == 1);
  CHECK(y_attempts == 2);
  REQUIRE(y_dec.result == process_result::ok);
  CHECK(y_dec.read_version == 1);
  CHECK(h.award(y_dec, "launch_bonus").amount == d("50"));
  CHECK(h.budgets.left == std::vector<std::int64_t>{20});
  CHECK(h.budgets.reservations == 3);  // X, Y (given back), Y again
  CHECK(h.budgets.refused == 0);
  CHECK(h.available(ben) == 82);  // 30 + 1 + 50 + 1
  CHECK(h.store.load(ben)->version == 2);
  REQUIRE(h.store.journal(ben).size() == 2);
  CHECK(h.store.journal(ben)[0].units == 31);
  CHECK(h.store.journal(ben)[1].units == 51);

  // A redelivered Y is a duplicate: nothing is reserved and nothing stored.
  int again_attempts = 0;
  const engine_decision again = h.run(ben, y, again_attempts);
  CHECK(again.result == process_result::duplicate);
  CHECK(again.budgets.empty());
  CHECK(again_attempts == 1);
  CHECK(h.budgets.left == std::vector<std::int64_t>{20});
  CHECK(h.budgets.reservations == 3);
  CHECK(h.store.load(ben)->version == 2);
}
