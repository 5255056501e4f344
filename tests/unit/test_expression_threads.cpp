// One compiled expression, shared read-only by several threads, each with its own inputs.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "loyalty/expression.hpp"

TEST_CASE("a compiled expression evaluates concurrently from many threads", "[expr][threads]") {
  loyalty::schema s;
  REQUIRE(s.add_enum("tier", {"bronze", "silver", "gold", "platinum"}));
  REQUIRE(s.add_field("order.total", loyalty::field_type::decimal(2)));
  REQUIRE(s.add_field("customer.tier", loyalty::field_type::enumeration("tier")));
  const std::vector<loyalty::variable_def> vars = {{"base", "floor(order.total / 10)", {}}};
  const auto compiled = loyalty::compile_expression(
      "if customer.tier >= 'gold' then base * 2 else base", s, {}, {}, vars);
  REQUIRE(compiled.expression);
  const loyalty::compiled_expression& e = *compiled.expression;

  constexpr int threads = 4;
  constexpr int per_thread = 20'000;
  std::array<std::int64_t, threads> sums{};
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      loyalty::expression_input in(s);
      std::int64_t sum = 0;
      for (int i = 0; i < per_thread; ++i) {
        // Thread t sees totals t*1000 + i cents and alternating tiers.
        const bool ok = in.set(0, loyalty::decimal::from_units(t * 1000 + i, 2).value) &&
                        in.set(1, loyalty::value::of_enum(i % 4));
        loyalty::value v;
        if (!ok || e.evaluate(in, v) != loyalty::eval_status::ok) {
          ++failures;
          continue;
        }
        sum += v.as_decimal().units();
      }
      sums[static_cast<std::size_t>(t)] = sum;
    });
  }
  for (std::thread& th : pool) th.join();
  CHECK(failures == 0);
  // The same sums computed directly.
  for (int t = 0; t < threads; ++t) {
    std::int64_t expected = 0;
    for (int i = 0; i < per_thread; ++i) {
      const std::int64_t base = (t * 1000 + i) / 1000;  // floor of cents / 1000 = floor(total / 10)
      expected += (i % 4 >= 2) ? base * 2 : base;
    }
    INFO("thread " << t);
    CHECK(sums[static_cast<std::size_t>(t)] == expected);
  }
}
