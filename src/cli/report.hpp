// What `loyalty simulate` measured, and its three renderings: text, JSON and a self-contained
// HTML page with charts. docs/simulate.md defines every figure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/decimal.hpp"
#include "loyalty/time.hpp"

namespace loyalty::cli {

/// One point type's totals over the whole run. Amounts are decimals at the point type's scale;
/// `*_value` are money in the report currency (a point type's `value:` per point; money point
/// types count at face value).
struct point_summary {
  std::string id;    ///< "points"
  std::string name;  ///< "Shop points"
  bool money = false;
  bool has_value = false;  ///< the program gives its value (`value:`, or money in the currency)
  decimal unit_value;      ///< money per 1 of this type; 0 when has_value is false
  decimal earned, redeemed, expired, reversed;
  decimal available, pending, debt;  ///< at the end of the run, over all customers
  decimal outstanding;               ///< available + pending
  decimal outstanding_value;         ///< outstanding * unit_value
  /// expired / (expired + redeemed), at 4 decimal places; 0 when neither happened.
  decimal breakage_rate;
  decimal expected_breakage_value;  ///< outstanding_value * breakage_rate
  decimal net_liability_value;      ///< outstanding_value - expected_breakage_value
  decimal redemption_rate;          ///< redeemed / earned, 4 places; 0 when nothing was earned
};

/// One calendar month of the run (in the program's time zone).
struct month_row {
  int year = 0;
  int month = 0;  ///< 1..12
  /// Per point type, in point_summary order: moved during the month.
  std::vector<decimal> earned, redeemed, expired, reversed;
  /// Per point type: available + pending over all customers at the end of the month.
  std::vector<decimal> outstanding;
  decimal liability_value;  ///< money value of outstanding at the end of the month
  std::int64_t events = 0;
  std::int64_t orders = 0;
  decimal revenue;                      ///< order value of the month's orders
  std::int64_t active_customers = 0;    ///< customers with an order in the month
  std::int64_t new_customers = 0;       ///< customers whose first order is in the month
  std::int64_t retained_customers = 0;  ///< active in the previous month and in this one
  /// retained / active in the previous month, 4 places; null (has_retention false) in the
  /// first month or after a month without active customers.
  bool has_retention = false;
  decimal retention_rate;
  decimal churn_rate;  ///< 1 - retention_rate
};

/// One earning rule over the whole run.
struct rule_row {
  std::string id;
  std::string point_type;
  std::int64_t fired = 0;  ///< awards made (events where it credited something)
  decimal awarded;         ///< credited, at the point type's scale
  decimal reversed;        ///< taken back by returns
  decimal net;             ///< awarded - reversed
  decimal cost;            ///< net * the point type's unit_value: money
};

struct event_type_count {
  std::string type;
  std::int64_t count = 0;
};

struct report {
  std::string program_name;
  std::string program_version;
  std::string time_zone;
  std::string currency;  ///< of every *_value and revenue figure ("EUR")
  std::string events_source;
  std::string first_event;  ///< ISO 8601 local times of the first and last event
  std::string last_event;

  std::int64_t customers = 0;   ///< distinct customers in the events
  std::int64_t events = 0;      ///< read from the file
  std::int64_t processed = 0;   ///< processed with result ok
  std::int64_t duplicates = 0;  ///< recognised as already processed (retries)
  std::int64_t rejected = 0;    ///< refused by the program (invalid, unknown original, ...)
  std::vector<std::string> rejected_samples;  ///< the first few reasons, with the file line
  std::vector<event_type_count> event_types;  ///< events per type, in program order

  std::int64_t orders = 0;               ///< events of types with lines that return nothing
  std::int64_t ordering_customers = 0;   ///< customers with at least one order
  decimal revenue;                       ///< sum of order values
  decimal average_order_value;           ///< revenue / orders, 2 places
  decimal purchase_frequency;            ///< orders / ordering customers, 2 places
  std::int64_t redemptions = 0;          ///< loyalty.redeem events that spent
  std::int64_t redemptions_refused = 0;  ///< ... refused (not enough available)

  decimal liability_value;          ///< sum of point_summary::outstanding_value
  decimal expected_breakage_value;  ///< sum of point_summary::expected_breakage_value
  decimal net_liability_value;      ///< liability_value - expected_breakage_value
  std::vector<point_summary> points;
  std::vector<month_row> months;
  std::vector<rule_row> rules;
};

std::string render_text(const report& r);
std::string render_json(const report& r);
/// One HTML page, with its CSS and SVG charts inline: opens with no network access.
std::string render_html(const report& r);

}  // namespace loyalty::cli
