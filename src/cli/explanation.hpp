// Engine decisions in words, for `loyalty explain` and `loyalty test --verbose`
// (docs/testing.md#explain): rule by rule, why each did or did not award, with the value of
// each `when` clause and the amount before and after caps; then what a return reversed, what
// the budgets gave, the messages, and the balances.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "loyalty/engine.hpp"

namespace loyalty::cli {

/// "2026-11-28 14:30" in `zone` (with ":SS" when the seconds are not 0).
std::string local_time(timestamp t, time_zone zone);

/// Every rule the decision evaluated, in order, then reversals, budget use and messages; each
/// line starts with `indent` and ends with '\n'. `budgets_left` are the units left after the
/// decision; `lines` the event's lines (for per-line rules).
std::string explain_decision(const program& p, const engine_decision& d,
                             std::span<const std::int64_t> budgets_left, std::uint32_t lines,
                             std::string_view indent);

/// One line per point type: "points: 775 available, 74 pending" (and held, debt when not 0).
std::string explain_balances(const engine& eng, const member& m, std::string_view indent);

}  // namespace loyalty::cli
