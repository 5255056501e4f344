// `loyalty generate`: realistic event files for a shop program (docs/simulate.md#generate).
//
// Everything random comes from one xoshiro256** stream seeded by splitmix64, and every
// distribution is computed here with integer arithmetic or with IEEE additions, multiplications
// and divisions only (no std:: distributions, no libm), so the same seed gives the same file
// with any compiler and standard library. Money is integer cents from a fixed catalogue.
#pragma once

#include <cstdint>
#include <string>

#include "cli/event_file.hpp"
#include "loyalty/program.hpp"

namespace loyalty::cli {

/// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
class random_stream {
 public:
  explicit random_stream(std::uint64_t seed) noexcept;
  std::uint64_t next() noexcept;
  /// Uniform in [0, n), without modulo bias; n > 0.
  std::uint64_t below(std::uint64_t n) noexcept;
  /// Uniform in [0, 1), 53 bits.
  double unit() noexcept;
  /// True with probability per_mille / 1000.
  bool chance(std::uint32_t per_mille) noexcept { return below(1000) < per_mille; }

 private:
  std::uint64_t s_[4];
};

/// ln(x) for x > 0 and exp(y), from frexp/ldexp (exact) and series in basic IEEE arithmetic:
/// the same bits on every platform (the generator is compiled with -ffp-contract=off).
double portable_log(double x) noexcept;
double portable_exp(double y) noexcept;

struct generator_options {
  std::uint64_t seed = 1;
  std::int64_t customers = 1000;
  std::int64_t orders = -1;  ///< exact number of orders; -1: from `events`, or 12 per customer
  std::int64_t events = -1;  ///< approximate number of events (sets orders)
  civil_date start = civil_date::from_ymd(2026, 1, 1).value();
  std::int64_t days = 365;
  event_format format = event_format::jsonl;
  /// Pareto shape of customers' order rates: 2 gives about 60 % of the revenue from the top
  /// 25 % of customers, with customers' lifetimes added (docs/simulate.md#generate).
  double pareto_alpha = 2.0;
};

/// What a generation produced, for its summary line.
struct generator_summary {
  std::int64_t customers = 0;
  std::int64_t ordering_customers = 0;
  std::int64_t orders = 0;
  std::int64_t events = 0;
  std::int64_t returns = 0;
  std::int64_t revenue_cents = 0;  ///< sum of the orders' net values
  /// Revenue of the top quarter of customers (by revenue), in basis points of all revenue.
  std::int64_t top_quarter_share_bp = 0;
};

/// Writes the events for `p` into `out`. False with `error` when the program has no event type
/// the generator can use (an order type with lines).
bool generate_events(const program& p, const generator_options& options, std::string& out,
                     generator_summary& summary, std::string& error);

}  // namespace loyalty::cli
