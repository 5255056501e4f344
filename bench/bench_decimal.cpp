// Benchmarks for the exact decimal type and allocation: the per-event arithmetic of a rule.
//
// Inputs cycle through a small table so that every iteration does real work on varied values
// (ties, negative numbers, different magnitudes) rather than one constant.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "loyalty/allocate.hpp"
#include "loyalty/decimal.hpp"

namespace {

using loyalty::decimal;
using loyalty::rounding_mode;

constexpr std::size_t input_count = 16;  // power of two: index with a mask

decimal d(std::string_view text) {
  return decimal::parse(text).value_or_throw();
}

/// Order totals at scale 2, positive and negative, some at rounding ties.
std::array<decimal, input_count> totals() {
  constexpr std::array<std::string_view, input_count> texts = {
      "19.99", "125.00", "-42.50",  "0.05",   "999999.99", "7.25",   "-0.01", "1234.56",
      "3.35",  "88.88",  "-250.00", "12.345", "60.00",     "-19.99", "0.50",  "100000.01"};
  std::array<decimal, input_count> values;
  for (std::size_t i = 0; i < input_count; ++i) values[i] = d(texts[i]);
  return values;
}

void bm_add(benchmark::State& state) {
  const auto values = totals();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto sum =
        decimal::add(values[i & (input_count - 1)], values[(i + 5) & (input_count - 1)]);
    benchmark::DoNotOptimize(sum);
    ++i;
  }
}
BENCHMARK(bm_add);

void bm_add_cross_scale(benchmark::State& state) {
  const auto values = totals();
  const decimal bonus = d("1.5");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decimal::add(values[i & (input_count - 1)], bonus));
    ++i;
  }
}
BENCHMARK(bm_add_cross_scale);

void bm_mul_rounded(benchmark::State& state) {
  const auto values = totals();
  const decimal rate = d("1.075");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        decimal::mul(values[i & (input_count - 1)], rate, 2, rounding_mode::half_even));
    ++i;
  }
}
BENCHMARK(bm_mul_rounded);

/// Products above 2^63 units take the exact 128-bit path.
void bm_mul_rounded_wide(benchmark::State& state) {
  const auto values = totals();
  const decimal rate = d("123456789.123456789");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        decimal::mul(values[i & (input_count - 1)], rate, 2, rounding_mode::half_even));
    ++i;
  }
}
BENCHMARK(bm_mul_rounded_wide);

void bm_div(benchmark::State& state) {
  const auto values = totals();
  const decimal divisor = d("3");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        decimal::div(values[i & (input_count - 1)], divisor, 2, rounding_mode::half_up));
    ++i;
  }
}
BENCHMARK(bm_div);

void bm_rescale(benchmark::State& state) {
  const auto values = totals();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(values[i & (input_count - 1)].rescale(1, rounding_mode::half_even));
    ++i;
  }
}
BENCHMARK(bm_rescale);

/// A typical earning rule: 1.5 points per full 10 spent, floor(total / 10) * 1.5.
void bm_earn_step(benchmark::State& state) {
  const auto values = totals();
  const decimal ten = d("10");
  const decimal rate = d("1.5");
  std::size_t i = 0;
  for (auto _ : state) {
    const auto tens = decimal::div(values[i & (input_count - 1)], ten, 0, rounding_mode::floor);
    benchmark::DoNotOptimize(decimal::mul(tens.value, rate));
    ++i;
  }
}
BENCHMARK(bm_earn_step);

void bm_compare_cross_scale(benchmark::State& state) {
  const auto values = totals();
  const decimal threshold = d("50");
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(values[i & (input_count - 1)] < threshold);
    ++i;
  }
}
BENCHMARK(bm_compare_cross_scale);

void bm_parse(benchmark::State& state) {
  constexpr std::array<std::string_view, 4> texts = {"1234.56", "-0.05", "19.99", "100000"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decimal::parse(texts[i & 3]));
    ++i;
  }
}
BENCHMARK(bm_parse);

void bm_format_to(benchmark::State& state) {
  const auto values = totals();
  char buffer[decimal::max_chars];
  std::size_t i = 0;
  for (auto _ : state) {
    char* end = values[i & (input_count - 1)].format_to(buffer);
    benchmark::DoNotOptimize(end);
    benchmark::ClobberMemory();
    ++i;
  }
}
BENCHMARK(bm_format_to);

void bm_allocate_5(benchmark::State& state) {
  const auto policy = static_cast<loyalty::remainder_policy>(state.range(0));
  const auto values = totals();
  const std::array<decimal, 5> weights = {d("19.99"), d("5.00"), d("0.99"), d("120.00"), d("7.5")};
  std::array<decimal, 5> parts;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        loyalty::allocate(values[i & (input_count - 1)], weights, policy, parts));
    benchmark::ClobberMemory();
    ++i;
  }
  state.SetLabel(std::string(loyalty::to_string(policy)));
}
BENCHMARK(bm_allocate_5)->Arg(0)->Arg(1);

}  // namespace
