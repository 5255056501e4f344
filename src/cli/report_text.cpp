// The text summary of a simulation: what `loyalty simulate` prints.
#include <fmt/format.h>

#include "cli/program_file.hpp"
#include "cli/report.hpp"
#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

std::string pct(decimal ratio) {
  const decimal_result r =
      decimal::mul(ratio, decimal::from_int(100).value, 1, rounding_mode::half_even);
  return r.ok() ? fmt::format("{}%", r.value) : "-";
}

void totals(std::string& out, const report& r) {
  fmt::format_to(std::back_inserter(out), "{} {} ({}), events from {}\n", r.program_name,
                 r.program_version, r.time_zone, r.events_source);
  fmt::format_to(
      std::back_inserter(out), "  events       {} read: {} processed, {} duplicates, {} rejected\n",
      grouped(r.events), grouped(r.processed), grouped(r.duplicates), grouped(r.rejected));
  if (!r.first_event.empty()) {
    fmt::format_to(std::back_inserter(out), "  period       {} to {}\n", r.first_event,
                   r.last_event);
  }
  fmt::format_to(std::back_inserter(out), "  customers    {} ({} with orders)\n",
                 grouped(r.customers), grouped(r.ordering_customers));
  fmt::format_to(std::back_inserter(out),
                 "  orders       {}, revenue {} {}, average order {} {}, {} orders per "
                 "ordering customer\n",
                 grouped(r.orders), grouped(r.revenue), r.currency, grouped(r.average_order_value),
                 r.currency, r.purchase_frequency);
  fmt::format_to(std::back_inserter(out), "  redemptions  {} ({} refused)\n",
                 grouped(r.redemptions), grouped(r.redemptions_refused));
  fmt::format_to(std::back_inserter(out),
                 "  liability    {} {}; expected breakage {} {}; net {} {}\n",
                 grouped(r.liability_value), r.currency, grouped(r.expected_breakage_value),
                 r.currency, grouped(r.net_liability_value), r.currency);
}

void points(std::string& out, const report& r) {
  fmt::format_to(std::back_inserter(out),
                 "\n{:<12} {:>14} {:>14} {:>12} {:>12} {:>14} {:>14} {:>10} {:>9}\n", "point type",
                 "earned", "redeemed", "expired", "reversed", "outstanding",
                 fmt::format("value {}", r.currency), "redemption", "breakage");
  for (const point_summary& p : r.points) {
    fmt::format_to(
        std::back_inserter(out), "{:<12} {:>14} {:>14} {:>12} {:>12} {:>14} {:>14} {:>10} {:>9}\n",
        p.id, grouped(p.earned), grouped(p.redeemed), grouped(p.expired), grouped(p.reversed),
        grouped(p.outstanding), !p.has_value ? std::string("-") : grouped(p.outstanding_value),
        pct(p.redemption_rate), pct(p.breakage_rate));
  }
}

void months(std::string& out, const report& r) {
  if (r.months.empty()) return;
  const std::string first = r.points.empty() ? std::string() : r.points.front().id;
  fmt::format_to(std::back_inserter(out),
                 "\n{:<8} {:>9} {:>8} {:>14} {:>7} {:>6} {:>9} {:>7} {:>12} {:>12} {:>12} {:>14}\n",
                 "month", "events", "orders", "revenue", "active", "new", "retention", "churn",
                 first + " in", first + " out", "expired", "liability");
  for (const month_row& m : r.months) {
    fmt::format_to(
        std::back_inserter(out),
        "{}-{:02} {:>9} {:>8} {:>14} {:>7} {:>6} {:>9} {:>7} {:>12} {:>12} {:>12} {:>14}\n", m.year,
        m.month, grouped(m.events), grouped(m.orders), grouped(m.revenue),
        grouped(m.active_customers), grouped(m.new_customers),
        m.has_retention ? pct(m.retention_rate) : std::string("-"),
        m.has_retention ? pct(m.churn_rate) : std::string("-"),
        grouped(m.earned.empty() ? decimal() : m.earned.front()),
        grouped(m.redeemed.empty() ? decimal() : m.redeemed.front()),
        grouped(m.expired.empty() ? decimal() : m.expired.front()), grouped(m.liability_value));
  }
}

void rules(std::string& out, const report& r) {
  if (r.rules.empty()) return;
  fmt::format_to(std::back_inserter(out), "\n{:<24} {:<10} {:>9} {:>14} {:>12} {:>14}\n", "rule",
                 "into", "awards", "awarded", "reversed", fmt::format("cost {}", r.currency));
  for (const rule_row& x : r.rules) {
    fmt::format_to(std::back_inserter(out), "{:<24} {:<10} {:>9} {:>14} {:>12} {:>14}\n", x.id,
                   x.point_type, grouped(x.fired), grouped(x.awarded), grouped(x.reversed),
                   grouped(x.cost));
  }
}

}  // namespace

std::string render_text(const report& r) {
  std::string out;
  totals(out, r);
  points(out, r);
  months(out, r);
  rules(out, r);
  if (!r.rejected_samples.empty()) {
    fmt::format_to(std::back_inserter(out), "\nrejected events (the first {}):\n",
                   r.rejected_samples.size());
    for (const std::string& s : r.rejected_samples) {
      fmt::format_to(std::back_inserter(out), "  {}\n", s);
    }
  }
  return out;
}

}  // namespace loyalty::cli
