// One customer's events through the engine, as a host runs them: advance() at the start of each
// new local day before the day's first event, campaign budgets counted down, loyalty.redeem
// done in the ledger, and every decision explained. Used by `loyalty test` (one per case) and
// `loyalty explain` (the --state history, then the event).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/event_file.hpp"
#include "loyalty/engine.hpp"

namespace loyalty::cli {

class customer_run {
 public:
  /// A new member for customer `customer` (hashed as event files do), with every budget full.
  customer_run(std::shared_ptr<const program> p, std::string_view customer);

  const program& prog() const noexcept { return *program_; }
  const engine& eng() const noexcept { return engine_; }
  const member& state() const noexcept { return member_; }
  member& state() noexcept { return member_; }
  /// Units left in each budget, in program::budgets() order.
  std::span<const std::int64_t> budgets_left() const noexcept { return budgets_left_; }
  void set_budget_left(std::uint16_t budget, std::int64_t units) { budgets_left_[budget] = units; }

  /// What process() did with one event.
  struct outcome {
    bool redeem = false;  ///< a loyalty.redeem: no engine decision, see `result`
    /// The engine's process_result ("ok", "duplicate", ...), or for a redemption "ok",
    /// "duplicate" or the ledger's refusal ("insufficient_balance").
    std::string result;
    std::string detail;  ///< what is wrong, for results other than ok
    timestamp at;
    std::string_view type;    ///< the event type
    std::uint32_t lines = 0;  ///< the event's lines
    /// The engine's decision (with explanations) for a program event; empty for a redemption.
    const engine_decision* decision = nullptr;
    /// The advance() run before the event because its day is new, when it did anything a
    /// reader should see (awards, reversals, messages); nullptr otherwise.
    const engine_decision* day_advance = nullptr;
    timestamp day_start;  ///< the instant of that advance()
  };

  /// Builds `raw` and processes it at its own time. False with `error` when the event does not
  /// fit the program (it then changes nothing).
  bool process(const raw_event& raw, outcome& out, std::string& error);

  /// The end-of-day work at `now` (expiry, activations, anniversaries); its decision.
  const engine_decision& advance(timestamp now);

 private:
  void advance_day_of(timestamp at, outcome& out);
  void count_budgets(const engine_decision& d);

  std::shared_ptr<const program> program_;
  engine engine_;
  member member_;
  event_builder builder_;
  std::vector<std::int64_t> budgets_left_;
  process_options options_;
  engine_decision decision_;
  engine_decision day_;
  decision ledger_decision_;
};

}  // namespace loyalty::cli
