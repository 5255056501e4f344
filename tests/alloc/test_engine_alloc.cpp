// The engine's common path allocates nothing per event: process() with a reused event and a
// reused decision allocates only when a member's history outgrows its storage (orders, lots and
// ids remembered for returns and idempotency), which doubles or comes in chunks, so the count over
// many events is far below one per event. A retried event allocates nothing at all.
#include <catch2/catch.hpp>

#include <cstdint>

#include "../unit/engine_test_util.hpp"
#include "alloc_counter.hpp"

namespace {

// Per-line points with a category bonus and a SKU bonus, an order-level cashback with a monthly
// cap, a spend threshold and points pending until 14 days have passed.
constexpr const char* rules = R"(
rules:
  - {id: base, on: order.completed, per: line, award: line.price * line.qty, into: points}
  - {id: coffee, on: order.completed, per: line, where: "line.category == 'coffee'",
     award: line.qty * 5, into: points}
  - {id: gift_box, on: order.completed, per: line, where: "line.sku == 'GIFT-BOX'",
     award: 50, into: points}
  - {id: cashback, on: order.completed, award: event.total * 0.02, into: cashback,
     caps: [{max: 20.00, per: customer, period: month}]}
  - {id: big, on: order.completed, when: event.total >= 50, award: 25, into: points,
     pending: 14 days}
)";

}  // namespace

TEST_CASE("engine: process() allocates only to grow a member's history", "[engine][alloc]") {
  etest::harness h(etest::program_text(rules));
  etest::lines l;
  l.add("COF-1", "coffee", "12.50", 2).add("GIFT-BOX", "gifts", "30.00", 1);
  const loyalty::value lines = l.list();
  // One event and one decision for every order, as a host thread keeps them.
  loyalty::event e(*h.program, "order.completed");
  const std::uint32_t lines_slot = *e.slot("event.lines");
  const std::uint32_t total_slot = *e.slot("event.total");
  const std::uint32_t tax_slot = *e.slot("event.tax");
  const std::uint32_t shipping_slot = *e.slot("event.shipping");
  const std::uint32_t gift_cards_slot = *e.slot("event.gift_cards");
  const loyalty::decimal zero = etest::d("0.00");
  const loyalty::decimal total = etest::d("55.00");
  const loyalty::process_options options;  // explanations off
  loyalty::engine_decision d;
  const loyalty::timestamp t0 = etest::at("2026-01-01T10:00:00+01:00");
  // No assertion inside the measured loops: the test framework may allocate to record one.
  const auto order = [&](std::uint64_t n) {
    const loyalty::timestamp at{t0.micros + static_cast<std::int64_t>(n) * 3'600'000'000};
    e.reset(loyalty::id128{9, n}, at);
    const bool set = e.set(lines_slot, lines) && e.set(total_slot, total) &&
                     e.set(tax_slot, zero) && e.set(shipping_slot, zero) &&
                     e.set(gift_cards_slot, zero);
    h.engine.process(h.m, e, at, options, d);
    return set ? d.result : loyalty::process_result::invalid_event;
  };
  std::size_t refused = 0;
  for (std::uint64_t n = 1; n <= 50; ++n) {  // the decision's working memory grows
    refused += order(n) == loyalty::process_result::ok ? 0U : 1U;
  }

  constexpr std::uint64_t events = 4'000;
  const std::size_t before = alloc_test::count();
  for (std::uint64_t n = 51; n < 51 + events; ++n) {
    refused += order(n) == loyalty::process_result::ok ? 0U : 1U;
  }
  const std::size_t grown = alloc_test::count() - before;
  REQUIRE(refused == 0);
  // Every order credits two lots (points, cashback) and remembers itself: history storage grows
  // by doubling (a few dozen times in all) and by chunks of 64 ids (about 130 times). One
  // allocation per event would give 4,000.
  INFO("allocations over " << events << " orders: " << grown);
  CHECK(grown < events / 16);
  CHECK(h.available() > 0);

  // A retried order allocates nothing.
  std::size_t not_duplicate = 0;
  const std::size_t before_retry = alloc_test::count();
  for (std::uint64_t n = 100; n < 200; ++n) {
    not_duplicate += order(n) == loyalty::process_result::duplicate ? 0U : 1U;
  }
  const std::size_t retried = alloc_test::count() - before_retry;
  CHECK(not_duplicate == 0);
  CHECK(retried == 0);
}
