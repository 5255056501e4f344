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

}  // namespace
