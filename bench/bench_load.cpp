// Load + check + compile of program files (load time, not the per-event path).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "loyalty/program.hpp"

namespace {

const char* const shop = R"(name: Corner Shop Rewards
version: "2026.11"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    name: Shop points
    rounding: floor
  - id: cashback
    name: Cashback
    currency: EUR
    rounding: half_even
)";

// The largest program the current schema allows: 64 point types over 8 currencies.
std::string largest_program() {
  std::string text =
      "name: Big\nversion: \"1\"\ntime_zone: America/New_York\n"
      "currencies: [USD, EUR, GBP, JPY, KWD, CHF, SEK, PLN]\npoint_types:\n";
  const char* codes[] = {"USD", "EUR", "GBP", "JPY", "KWD", "CHF", "SEK", "PLN"};
  for (int i = 0; i < 64; ++i) {
    text += fmt::format("  - id: wallet_{}\n    name: Wallet {}\n    rounding: half_even\n", i, i);
    if (i % 2 == 1) text += fmt::format("    currency: {}\n", codes[i % 8]);
  }
  return text;
}

// 1,000 rule-sized expressions (the benchmark's anchor rule with varied thresholds) in the
// program's variables section: the YAML, the schema and every expression are loaded, checked and
// compiled.
std::string program_with_1000_rules() {
  std::string text =
      "name: Big\nversion: \"1\"\ntime_zone: Europe/Berlin\npoint_types:\n"
      "  - {id: points, rounding: floor}\n"
      "schema:\n  enums:\n    tier: [bronze, silver, gold, platinum]\n"
      "    channel: [web, app, store, marketplace]\n"
      "  fields:\n    order.total: decimal(2)\n    order.channel: channel\n"
      "    customer.tier: tier\nvariables:\n";
  for (int i = 0; i < 1000; ++i) {
    text += fmt::format(
        "  rule_{}: \"if order.total >= {} and customer.tier in ['gold','platinum'] and "
        "order.channel != 'marketplace' then floor(order.total / {}) * (if customer.tier == "
        "'platinum' then 2 else 1.5) else 0\"\n",
        i, 10 + i % 90, 5 + i % 20);
  }
  return text;
}

void load(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    loyalty::load_result r = loyalty::load_program(text, "bench.yaml");
    if (!r.ok()) state.SkipWithError("program did not load");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}

void BM_load_example_program(benchmark::State& state) {
  load(state, shop);
}
BENCHMARK(BM_load_example_program);

void BM_load_64_point_types(benchmark::State& state) {
  load(state, largest_program());
}
BENCHMARK(BM_load_64_point_types);

void BM_load_1000_rules(benchmark::State& state) {
  load(state, program_with_1000_rules());
}
BENCHMARK(BM_load_1000_rules)->Unit(benchmark::kMillisecond);

}  // namespace
