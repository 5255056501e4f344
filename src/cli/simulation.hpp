// A program run over an event file, as a host would run it: every event in time order, each
// customer advanced to every day boundary before its next event and every customer at each month
// end, with the campaign budgets kept globally. Measures what docs/simulate.md describes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/event_file.hpp"
#include "cli/report.hpp"
#include "loyalty/engine.hpp"

namespace loyalty::cli {

struct simulation_options {
  /// The event field that holds an order's value (revenue, average order value); empty: the
  /// first of net, total, amount, gross that the order type declares.
  std::string order_value_field;
  /// Called now and then with (events done, events in all); for a progress bar.
  std::function<void(std::size_t, std::size_t)> progress;
  /// Keep each customer's totals (for `loyalty diff`).
  bool per_customer = false;
  /// Threads (customers are split between them); 0: one per processor. Every figure is the
  /// same for any number.
  std::uint32_t threads = 0;
  /// Groups of customers, run one after another on each thread (a group's members stay in the
  /// caches); 0: about one per 2,000 events. Every figure is the same for any number.
  std::uint32_t groups = 0;
  /// Advance every customer at every day boundary, due or not (slow; the report must not
  /// change: a test checks that skipping the days without work changes nothing).
  bool every_day = false;
};

/// What one customer got over the run, for `loyalty diff`.
struct customer_totals {
  std::string customer;
  decimal awarded_value;  ///< money value of everything credited, net of reversals
};

class simulation {
 public:
  simulation(std::shared_ptr<const program> p, simulation_options options);
  ~simulation();
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  /// Runs every event of an indexed source. Rejected events are counted, never fatal.
  void run(const event_source& source);
  report make_report(std::string events_source) const;
  /// Per customer, in no particular order.
  std::vector<customer_totals> customers() const;
  /// True when a campaign budget ran short, so the run went in time order on one thread.
  bool sequential() const noexcept { return sequential_; }

 private:
  struct state;
  bool run_sharded(const event_source& source, std::uint32_t threads, std::uint32_t groups);
  std::shared_ptr<const program> p_;
  simulation_options options_;
  std::vector<std::unique_ptr<state>> shards_;  // one per group; the first has the totals
  bool sequential_ = false;
};

}  // namespace loyalty::cli
