// The engine end to end: order events through a realistic shop program (30 rules, 4 tiers),
// process() = evaluate every rule on the event, credit what they award through the ledger,
// remember the order for returns. With and without explanations, and the heap allocations per
// event (counted by replacing operator new in this program).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "loyalty/engine.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

// Out of line: g++ 12 would otherwise inline these into callers and warn that memory from a
// new-expression reaches free() (-Wmismatched-new-delete), which is what a replacement does.
[[gnu::noinline]] void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using loyalty::decimal;
using loyalty::value;

// 30 rules: base points per line with a tier multiplier, 8 category multipliers, 6 SKU bonuses,
// cashback with a monthly cap, first purchase, 2 spend thresholds (first group), 3 campaigns
// (one in its window), a channel bonus, a weekend bonus, a big-basket rule with a per-event cap,
// and 6 rules on other events (registration, review, share, referral, birthday, anniversary).
std::string shop_program() {
  std::string y = R"(
name: Bench Shop
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
    expiry: {policy: after, period: 24 months, round_to: month}
  - id: cashback
    currency: EUR
    rounding: half_even
schema:
  enums:
    tier: [bronze, silver, gold, platinum]
    channel: [web, app, store, marketplace]
  records:
    line: {sku: text, category: integer, price: decimal(2), qty: integer, discount: decimal(2)}
  fields:
    customer.tier: tier
    customer.birthday: date?
    customer.joined: date?
events:
  order.completed:
    fields: {lines: list<line>, net: decimal(2), tax: decimal(2), shipping: decimal(2), channel: channel}
    lines: lines
    quantity: qty
    line_value: line.price * line.qty - line.discount
  order.returned: {returns: order.completed}
  customer.registered: {}
  review.approved: {}
  social.shared: {}
  referral.converted: {}
variables:
  line_net: line.price * line.qty - line.discount
  tier_multiplier: "if customer.tier == 'platinum' then 2 else if customer.tier == 'gold' then 1.5 else if customer.tier == 'silver' then 1.25 else 1"
groups:
  - {id: threshold, mode: first}
budgets:
  - {id: spring, point_type: points, amount: 100000000}
rules:
  - id: base
    on: order.completed
    when: event.channel != 'marketplace'
    per: line
    award: line_net
    multiplier: tier_multiplier
    into: points
)";
  for (int c = 1; c <= 8; ++c) {
    y += "  - {id: category_" + std::to_string(c) +
         ", on: order.completed, per: line, where: line.category == " + std::to_string(c) +
         ", award: line_net * 0." + std::to_string(c) + ", into: points}\n";
  }
  for (int s = 1; s <= 6; ++s) {
    y += "  - {id: sku_" + std::to_string(s) +
         ", on: order.completed, per: line, where: \"line.sku == 'SKU-" + std::to_string(s) +
         "'\", award: 25 * line.qty, into: points}\n";
  }
  y += R"(  - id: cashback
    on: order.completed
    award: event.net * 0.02
    into: cashback
    caps: [{max: 50.00, per: customer, period: month}]
  - {id: first_purchase, on: order.completed, when: "previous.order.completed == 0", award: 200, into: points}
  - {id: over_100, on: order.completed, when: event.net >= 100, award: 100, into: points, group: threshold}
  - {id: over_50, on: order.completed, when: event.net >= 50, award: 40, into: points, group: threshold}
  - id: spring_campaign
    on: order.completed
    active: {from: 2026-03-01, until: 2026-06-01}
    award: event.net
    into: points
    budget: spring
  - id: black_friday
    on: order.completed
    active: {from: 2026-11-27, until: 2026-11-30}
    award: event.net * 3
    into: points
  - id: happy_hour
    on: order.completed
    active: {hours: "17:00-19:00"}
    award: 10
    into: points
  - {id: app_bonus, on: order.completed, when: "event.channel == 'app'", award: 15, into: points}
  - id: weekend
    on: order.completed
    active: {days: [sat, sun]}
    award: 5
    into: points
  - id: big_basket
    on: order.completed
    when: event.net >= 500
    award: event.net * 0.1
    into: points
    caps: [{max: 200, per: event}]
  - {id: welcome, on: customer.registered, award: 100, into: points, message: welcome_offer}
  - id: review
    on: review.approved
    award: 20
    into: points
    caps: [{count: 3, per: customer, period: month}]
  - id: share
    on: social.shared
    award: 5
    into: points
    caps: [{count: 1, per: customer, period: day, overflow: reject}]
  - {id: referral, on: referral.converted, award: 500, into: points}
  - {id: birthday, on: {anniversary_of: customer.birthday}, award: 250, into: points}
  - {id: anniversary, on: {anniversary_of: customer.joined}, when: event.years % 3 == 0, award: 300, into: points}
)";
  return y;
}

struct fixture {
  std::shared_ptr<const loyalty::program> program;
  loyalty::engine engine;
  std::vector<loyalty::member> members;
  std::vector<std::vector<value>> orders;  // line rows, 3 lines each
  loyalty::event order;
  std::uint32_t lines_slot, net_slot, tax_slot, ship_slot, channel_slot;
  std::vector<std::int64_t> budgets{100'000'000};

  static std::shared_ptr<const loyalty::program> load() {
    auto r = loyalty::load_program(shop_program(), "bench.yaml");
    if (!r.ok()) {
      std::fprintf(stderr, "%s", loyalty::render(r.diagnostics).c_str());
      std::abort();
    }
    return r.program;
  }

  explicit fixture(std::size_t customers)
      : program(load()), engine(program), order(*program, "order.completed") {
    lines_slot = *order.slot("event.lines");
    net_slot = *order.slot("event.net");
    tax_slot = *order.slot("event.tax");
    ship_slot = *order.slot("event.shipping");
    channel_slot = *order.slot("event.channel");
    static const char* skus[] = {"SKU-1", "SKU-2", "SKU-7", "SKU-9", "SKU-4", "SKU-12"};
    for (int o = 0; o < 64; ++o) {
      std::vector<value> rows;
      for (int l = 0; l < 3; ++l) {
        rows.push_back(value::of_string(skus[(o + l) % 6]));
        rows.push_back(value::of_int((o * 3 + l) % 10));
        rows.push_back(value::of_decimal(decimal::from_units(1999 + 100 * ((o + l) % 7), 2).value));
        rows.push_back(value::of_int(1 + (o + l) % 3));
        rows.push_back(value::of_decimal(decimal::from_units(l == 0 ? 200 : 0, 2).value));
      }
      orders.push_back(std::move(rows));
    }
    const int tiers = 4;
    for (std::size_t c = 0; c < customers; ++c) members.push_back(fresh(c, tiers));
  }

  loyalty::member fresh(std::size_t c, int tiers) {
    loyalty::member m = engine.open(loyalty::id128{1, c + 1});
    (void)m.set_profile(*program, "customer.tier",
                        value::of_enum(static_cast<int>(c % static_cast<std::size_t>(tiers))));
    return m;
  }

  void process(std::uint64_t n, bool explain, loyalty::engine_decision& d) {
    loyalty::member& m = members[n % members.size()];
    // Members are replaced after 256 orders, so their history stays that of a real customer.
    if (m.version >= 256) m = fresh(n % members.size(), 4);
    const std::vector<value>& rows = orders[n % orders.size()];
    const loyalty::timestamp at{1'780'000'000'000'000 + static_cast<std::int64_t>(n) * 60'000'000};
    order.reset(loyalty::id128{2, n + 1}, at);
    (void)order.set(lines_slot, value::of_list(rows.data(), 3, 5));
    (void)order.set(net_slot,
                    decimal::from_units(4000 + static_cast<std::int64_t>(n % 50) * 500, 2).value);
    (void)order.set(tax_slot, decimal::from_units(760, 2).value);
    (void)order.set(ship_slot, decimal::from_units(490, 2).value);
    (void)order.set(channel_slot, value::of_enum(static_cast<int>(n % 4)));
    loyalty::process_options o;
    o.budgets = budgets;
    o.explain = explain;
    engine.process(m, order, at, o, d);
  }
};

void run(benchmark::State& state, bool explain) {
  fixture f(static_cast<std::size_t>(state.range(0)));
  loyalty::engine_decision d;
  std::uint64_t n = 0;
  for (int i = 0; i < 2000; ++i) f.process(n++, explain, d);  // warm up: buffers at size
  std::uint64_t awards = 0;
  const std::uint64_t before = allocations.load();
  for (auto _ : state) {
    f.process(n++, explain, d);
    awards += d.awards.size();
  }
  const std::uint64_t allocs = allocations.load() - before;
  state.SetItemsProcessed(state.iterations());
  state.counters["awards_per_event"] =
      benchmark::Counter(static_cast<double>(awards) / static_cast<double>(state.iterations()));
  state.counters["allocs_per_event"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}

void BM_order(benchmark::State& state) {
  run(state, false);
}
void BM_order_explained(benchmark::State& state) {
  run(state, true);
}
BENCHMARK(BM_order)->ArgName("customers")->Arg(64)->Arg(10'000);
BENCHMARK(BM_order_explained)->ArgName("customers")->Arg(64);

}  // namespace
