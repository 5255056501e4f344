// One engine (one compiled program) shared by 8 threads, each with its own members, events and
// decision: every thread's final balances equal those of the same work run on one thread.
// Tagged [threads]: the clang-tsan CI stage runs these under ThreadSanitizer.
#include "engine_test_util.hpp"

#include <array>
#include <atomic>
#include <thread>

using etest::program_text;
using loyalty::process_result;
using loyalty::value;

namespace {

constexpr int thread_count = 8;
constexpr int orders_per_thread = 2'000;
constexpr int members_per_thread = 4;

const char* const rules = R"(
groups:
  - id: basket
    mode: best
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    multiplier: "if customer.tier == 'gold' then 1.5 else 1"
    into: points
  - id: coffee
    on: order.completed
    per: line
    where: line.category == 'coffee'
    award: line.price * line.qty * 0.37
    into: points
    rounding: {carry: true}
  - id: cashback
    on: order.completed
    award: event.total * 0.02
    into: cashback
    caps:
      - {max: 5.00, per: customer, period: month}
  - id: big_basket
    on: order.completed
    when: event.total >= 50
    award: 25
    into: points
    group: basket
  - id: many_lines
    on: order.completed
    when: event.total >= 20
    award: 20
    into: points
    group: basket
  - id: held
    on: order.completed
    award: 3
    into: points
    pending: {until: order.closed}
)";

struct result {
  std::array<loyalty::balances, members_per_thread> points{};
  std::array<loyalty::balances, members_per_thread> cashback{};
  std::array<std::uint64_t, members_per_thread> versions{};
  int failures = 0;
};

/// Thread `t`'s work: its members, and 2,000 orders among them (with returns and closes),
/// all derived from t and the order number alone.
result work(const loyalty::engine& eng, int t) {
  const loyalty::program& p = eng.program();
  result out;
  std::vector<loyalty::member> members;
  for (int k = 0; k < members_per_thread; ++k) {
    members.push_back(eng.open(
        loyalty::id128{static_cast<std::uint64_t>(t + 1), static_cast<std::uint64_t>(k + 1)}));
    if (k % 2 == 1) {
      (void)members.back().set_profile(p, "customer.tier",
                                       value::of_enum(p.schema().enum_code("tier", "gold")));
    }
  }
  loyalty::event order(p, "order.completed");
  loyalty::event ret(p, "order.returned");
  loyalty::event close(p, "order.closed");
  loyalty::engine_decision dec;
  const loyalty::process_options options;
  const std::uint32_t lines_slot = *order.slot("event.lines");
  const std::uint32_t total_slot = *order.slot("event.total");
  const std::uint32_t tax_slot = *order.slot("event.tax");
  const std::uint32_t shipping_slot = *order.slot("event.shipping");
  const std::uint32_t gift_slot = *order.slot("event.gift_cards");
  const loyalty::decimal zero = loyalty::decimal::from_units(0, 2).value;
  std::vector<value> rows;
  const loyalty::timestamp start = loyalty::parse_timestamp("2026-01-01T08:00:00Z").value();
  auto id_of = [&](const char* kind, int i) {
    return loyalty::id128{static_cast<std::uint64_t>(t + 1) << 32 | static_cast<std::uint64_t>(i),
                          static_cast<std::uint64_t>(kind[0])};
  };
  for (int i = 0; i < orders_per_thread; ++i) {
    loyalty::member& m = members[static_cast<std::size_t>(i % members_per_thread)];
    const loyalty::timestamp at = start + loyalty::duration::hours(3 * i);
    // 1 to 3 lines; prices and quantities from (t, i).
    rows.clear();
    const int n = 1 + (i + t) % 3;
    std::int64_t total = 0;
    for (int j = 0; j < n; ++j) {
      const std::int64_t cents = 99 + ((i * 7919 + j * 104'729 + t * 31) % 4'000);
      const std::int64_t qty = 1 + (i + j) % 3;
      rows.push_back(value::of_string(j == 0 ? "SKU-A" : "SKU-B"));
      rows.push_back(value::of_string((i + j) % 2 == 0 ? "coffee" : "tea"));
      rows.push_back(value::of_decimal(loyalty::decimal::from_units(cents, 2).value));
      rows.push_back(value::of_int(qty));
      rows.push_back(value::of_bool(false));
      total += cents * qty;
    }
    order.reset(id_of("o", i), at);
    bool ok = order.set(lines_slot, value::of_list(rows.data(), static_cast<std::uint32_t>(n), 5));
    ok = ok &&
         order.set(total_slot, value::of_decimal(loyalty::decimal::from_units(total, 2).value));
    ok = ok && order.set(tax_slot, value::of_decimal(zero)) &&
         order.set(shipping_slot, value::of_decimal(zero)) &&
         order.set(gift_slot, value::of_decimal(zero));
    eng.process(m, order, at, options, dec);
    if (!ok || dec.result != process_result::ok) ++out.failures;
    // Every 5th order of the thread: return one unit of line 0 of the order 4 back (the same
    // member); every 3rd: close the order 8 back.
    if (i % 5 == 0 && i >= 4) {
      ret.reset(id_of("r", i), at + loyalty::duration::minutes(30));
      ret.set_original(id_of("o", i - 4));
      ret.add_returned_line(0, 1);
      eng.process(m, ret, ret.at(), options, dec);
      if (dec.result != process_result::ok) ++out.failures;
    }
    if (i % 3 == 0 && i >= 8) {
      close.reset(id_of("c", i), at + loyalty::duration::minutes(45));
      close.set_original(id_of("o", i - 8));
      eng.process(m, close, close.at(), options, dec);
      if (dec.result != process_result::ok) ++out.failures;
    }
  }
  for (std::size_t k = 0; k < members.size(); ++k) {
    out.points[k] = eng.balance(members[k], "points");
    out.cashback[k] = eng.balance(members[k], "cashback");
    out.versions[k] = members[k].version;
  }
  return out;
}

bool same(const loyalty::balances& a, const loyalty::balances& b) {
  return a.available == b.available && a.pending == b.pending && a.earned == b.earned &&
         a.reversed == b.reversed && a.spent == b.spent && a.debt == b.debt;
}

}  // namespace

TEST_CASE("engine threads: one engine shared by 8 threads gives single-threaded balances",
          "[engine][threads]") {
  const loyalty::engine eng(etest::load(program_text(rules)));
  std::array<result, thread_count> expected;
  for (int t = 0; t < thread_count; ++t) expected[static_cast<std::size_t>(t)] = work(eng, t);

  std::array<result, thread_count> got;
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  for (int t = 0; t < thread_count; ++t) {
    pool.emplace_back([&, t] {
      // Start together, so that the threads overlap.
      ++ready;
      while (ready.load() < thread_count) std::this_thread::yield();
      got[static_cast<std::size_t>(t)] = work(eng, t);
    });
  }
  for (std::thread& th : pool) th.join();

  for (std::size_t t = 0; t < thread_count; ++t) {
    INFO("thread " << t);
    CHECK(expected[t].failures == 0);
    CHECK(got[t].failures == 0);
    for (std::size_t k = 0; k < members_per_thread; ++k) {
      INFO("member " << k);
      CHECK(same(got[t].points[k], expected[t].points[k]));
      CHECK(same(got[t].cashback[k], expected[t].cashback[k]));
      CHECK(got[t].versions[k] == expected[t].versions[k]);
      // Something happened at all: points earned, some reversed, cashback capped but earned.
      CHECK(expected[t].points[k].earned > 0);
      CHECK(expected[t].points[k].reversed > 0);
      CHECK(expected[t].cashback[k].earned > 0);
    }
  }
  // Threads differ from each other (their orders do), so equal results are not a coincidence.
  CHECK_FALSE(same(expected[0].points[0], expected[1].points[0]));
}
