// The anchor rule from issue 3 over 1,000,000 generated events, through the per-event API, next
// to the same rule hand-written in C++ with the same exact decimals.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "loyalty/expression.hpp"

namespace {

constexpr const char* anchor_rule =
    "if order.total >= 50 and customer.tier in ['gold','platinum'] and order.channel != "
    "'marketplace' then floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else "
    "1.5) else 0";

struct event {
  std::int64_t total_cents;
  int tier;     // 0 bronze .. 3 platinum
  int channel;  // 0 web .. 3 marketplace
};

const std::vector<event>& events() {
  static const std::vector<event> all = [] {
    std::mt19937_64 rng(42);  // fixed seed: the same events every run
    std::uniform_int_distribution<std::int64_t> total(100, 30'000);
    std::uniform_int_distribution<int> four(0, 3);
    std::vector<event> v(1'000'000);
    for (event& e : v) e = {total(rng), four(rng), four(rng)};
    return v;
  }();
  return all;
}

loyalty::schema shop_schema() {
  loyalty::schema s;
  s.add_enum("tier", {"bronze", "silver", "gold", "platinum"});
  s.add_enum("channel", {"web", "app", "store", "marketplace"});
  s.add_field("order.total", loyalty::field_type::decimal(2));
  s.add_field("order.channel", loyalty::field_type::enumeration("channel"));
  s.add_field("customer.tier", loyalty::field_type::enumeration("tier"));
  return s;
}

void BM_anchor_rule_per_event(benchmark::State& state) {
  const loyalty::schema s = shop_schema();
  const auto compiled = loyalty::compile_expression(anchor_rule, s);
  if (!compiled.expression) {
    state.SkipWithError("rule did not compile");
    return;
  }
  const std::uint32_t total = s.find_field("order.total")->slot;
  const std::uint32_t channel = s.find_field("order.channel")->slot;
  const std::uint32_t tier = s.find_field("customer.tier")->slot;
  loyalty::expression_input in(s);
  const auto& evs = events();
  std::int64_t checksum = 0;
  for (auto _ : state) {
    for (const event& e : evs) {
      const bool ok = in.set(total, loyalty::value::of_decimal(
                                        loyalty::decimal::from_units(e.total_cents, 2).value)) &&
                      in.set(channel, loyalty::value::of_enum(e.channel)) &&
                      in.set(tier, loyalty::value::of_enum(e.tier));
      if (!ok) state.SkipWithError("input refused");
      loyalty::value out;
      if (compiled.expression->evaluate(in, out) == loyalty::eval_status::ok) {
        checksum += out.as_decimal().rescale(1, loyalty::rounding_mode::down).value.units();
      }
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.counters["points_x10"] =
      static_cast<double>(checksum) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(evs.size()));
}
BENCHMARK(BM_anchor_rule_per_event)->Unit(benchmark::kMillisecond);

// The batch API: the host fills an expression_batch (one column per field) from a batch of
// decoded events, then one call evaluates them all.
void BM_anchor_rule_batch(benchmark::State& state) {
  const loyalty::schema s = shop_schema();
  const auto compiled = loyalty::compile_expression(anchor_rule, s);
  const std::uint32_t total = s.find_field("order.total")->slot;
  const std::uint32_t channel = s.find_field("order.channel")->slot;
  const std::uint32_t tier = s.find_field("customer.tier")->slot;
  constexpr std::size_t batch = 256;  // 3 columns of 256 values: 12 KB, in L1
  loyalty::expression_batch inputs(s, batch);
  std::vector<loyalty::value> out(batch);
  std::vector<loyalty::eval_status> status(batch);
  const auto& evs = events();
  std::int64_t checksum = 0;
  for (auto _ : state) {
    for (std::size_t start = 0; start < evs.size(); start += batch) {
      const std::size_t n = std::min(batch, evs.size() - start);
      for (std::size_t i = 0; i < n; ++i) {
        const event& e = evs[start + i];
        const bool ok =
            inputs.set(
                i, total,
                loyalty::value::of_decimal(loyalty::decimal::from_units(e.total_cents, 2).value)) &&
            inputs.set(i, channel, loyalty::value::of_enum(e.channel)) &&
            inputs.set(i, tier, loyalty::value::of_enum(e.tier));
        if (!ok) state.SkipWithError("input refused");
      }
      compiled.expression->evaluate(inputs, std::span(out).first(n), std::span(status).first(n));
      for (std::size_t i = 0; i < n; ++i) {
        checksum += out[i].as_decimal().rescale(1, loyalty::rounding_mode::down).value.units();
      }
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.counters["points_x10"] =
      static_cast<double>(checksum) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(evs.size()));
}
BENCHMARK(BM_anchor_rule_batch)->Unit(benchmark::kMillisecond);

// Evaluation alone: one prepared input, evaluated repeatedly.
void BM_anchor_rule_evaluate_only(benchmark::State& state) {
  const loyalty::schema s = shop_schema();
  const auto compiled = loyalty::compile_expression(anchor_rule, s);
  loyalty::expression_input in(s);
  const bool ok =
      in.set(s.find_field("order.total")->slot, loyalty::decimal::from_units(12'345, 2).value) &&
      in.set(s.find_field("order.channel")->slot, loyalty::value::of_enum(0)) &&
      in.set(s.find_field("customer.tier")->slot, loyalty::value::of_enum(3));
  if (!ok) state.SkipWithError("input refused");
  loyalty::value out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(compiled.expression->evaluate(in, out));
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_anchor_rule_evaluate_only);

// Batch evaluation alone: 256 prepared events (the first of the generated ones), evaluated
// repeatedly: the column loops without the host's filling and reading.
void BM_anchor_rule_batch_evaluate_only(benchmark::State& state) {
  const loyalty::schema s = shop_schema();
  const auto compiled = loyalty::compile_expression(anchor_rule, s);
  constexpr std::size_t batch = 256;
  loyalty::expression_batch inputs(s, batch);
  const auto& evs = events();
  for (std::size_t i = 0; i < batch; ++i) {
    const event& e = evs[i];
    const bool ok =
        inputs.set(
            i, s.find_field("order.total")->slot,
            loyalty::value::of_decimal(loyalty::decimal::from_units(e.total_cents, 2).value)) &&
        inputs.set(i, s.find_field("order.channel")->slot, loyalty::value::of_enum(e.channel)) &&
        inputs.set(i, s.find_field("customer.tier")->slot, loyalty::value::of_enum(e.tier));
    if (!ok) state.SkipWithError("input refused");
  }
  std::vector<loyalty::value> out(batch);
  std::vector<loyalty::eval_status> status(batch);
  for (auto _ : state) {
    compiled.expression->evaluate(inputs, out, status);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}
BENCHMARK(BM_anchor_rule_batch_evaluate_only);

// Parse + check + compile of one rule (load time).
void BM_compile_anchor_rule(benchmark::State& state) {
  const loyalty::schema s = shop_schema();
  for (auto _ : state) {
    auto r = loyalty::compile_expression(anchor_rule, s);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_compile_anchor_rule);

// The ceiling: the same rule written by hand, with the same exact decimal library.
void BM_anchor_rule_hand_written(benchmark::State& state) {
  const auto& evs = events();
  const loyalty::decimal ten = loyalty::decimal::from_int(10).value;
  const loyalty::decimal one_and_half = loyalty::decimal::parse("1.5").value;
  const loyalty::decimal two = loyalty::decimal::from_int(2).value;
  std::int64_t checksum = 0;
  for (auto _ : state) {
    for (const event& e : evs) {
      loyalty::decimal points = loyalty::decimal::from_int(0).value;
      if (e.total_cents >= 5000 && e.tier >= 2 && e.channel != 3) {
        const loyalty::decimal t = loyalty::decimal::from_units(e.total_cents, 2).value;
        const loyalty::decimal base =
            loyalty::decimal::div(t, ten, 0, loyalty::rounding_mode::floor).value;
        points = loyalty::decimal::mul(base, e.tier == 3 ? two : one_and_half).value;
      }
      checksum += points.rescale(1, loyalty::rounding_mode::down).value.units();
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.counters["points_x10"] =
      static_cast<double>(checksum) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(evs.size()));
}
BENCHMARK(BM_anchor_rule_hand_written)->Unit(benchmark::kMillisecond);

}  // namespace
