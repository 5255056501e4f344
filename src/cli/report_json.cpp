// The JSON report of a simulation (docs/simulate.md#json): every amount, money value and rate is
// a JSON string holding the exact decimal ("12.30"), never a binary floating-point number.
#include <fmt/format.h>

#include "cli/json_text.hpp"
#include "cli/report.hpp"
#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

// A small writer: keys and commas in the right places, two-space indentation.
class json_out {
 public:
  explicit json_out(std::string& out) : out_(out) {}

  void open(char bracket) {
    out_ += bracket;
    first_ = true;
    ++depth_;
  }
  void close(char bracket) {
    --depth_;
    if (!first_) newline();
    out_ += bracket;
    first_ = false;
  }
  void key(std::string_view k) {
    item();
    append_json_string(out_, k);
    out_ += ": ";
  }
  // A value in a list.
  void item() {
    if (!first_) out_ += ',';
    newline();
    first_ = false;
  }
  void object(std::string_view k) {
    key(k);
    open('{');
  }
  void list(std::string_view k) {
    key(k);
    open('[');
  }
  void text(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  void number(std::string_view k, std::int64_t v) {
    key(k);
    fmt::format_to(std::back_inserter(out_), "{}", v);
  }
  void exact(std::string_view k, decimal v) { text(k, v.to_string()); }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void null(std::string_view k) {
    key(k);
    out_ += "null";
  }
  std::string& raw() { return out_; }

 private:
  void newline() {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
  }
  std::string& out_;
  bool first_ = true;
  int depth_ = 0;
};

void per_type(json_out& j, std::string_view k, const report& r, const std::vector<decimal>& v) {
  j.object(k);
  for (std::size_t w = 0; w < r.points.size() && w < v.size(); ++w) j.exact(r.points[w].id, v[w]);
  j.close('}');
}

void point_types(json_out& j, const report& r) {
  j.list("point_types");
  for (const point_summary& p : r.points) {
    j.item();
    j.open('{');
    j.text("id", p.id);
    j.text("name", p.name);
    j.boolean("money", p.money);
    if (p.has_value) {
      j.exact("unit_value", p.unit_value);
    } else {
      j.null("unit_value");
    }
    j.exact("earned", p.earned);
    j.exact("redeemed", p.redeemed);
    j.exact("expired", p.expired);
    j.exact("reversed", p.reversed);
    j.exact("available", p.available);
    j.exact("pending", p.pending);
    j.exact("debt", p.debt);
    j.exact("outstanding", p.outstanding);
    j.exact("outstanding_value", p.outstanding_value);
    j.exact("redemption_rate", p.redemption_rate);
    j.exact("breakage_rate", p.breakage_rate);
    j.exact("expected_breakage_value", p.expected_breakage_value);
    j.exact("net_liability_value", p.net_liability_value);
    j.close('}');
  }
  j.close(']');
}

void months(json_out& j, const report& r) {
  j.list("months");
  for (const month_row& m : r.months) {
    j.item();
    j.open('{');
    j.text("month", fmt::format("{:04}-{:02}", m.year, m.month));
    j.number("events", m.events);
    j.number("orders", m.orders);
    j.exact("revenue", m.revenue);
    j.number("active_customers", m.active_customers);
    j.number("new_customers", m.new_customers);
    j.number("retained_customers", m.retained_customers);
    if (m.has_retention) {
      j.exact("retention_rate", m.retention_rate);
      j.exact("churn_rate", m.churn_rate);
    } else {
      j.null("retention_rate");
      j.null("churn_rate");
    }
    per_type(j, "earned", r, m.earned);
    per_type(j, "redeemed", r, m.redeemed);
    per_type(j, "expired", r, m.expired);
    per_type(j, "reversed", r, m.reversed);
    per_type(j, "outstanding", r, m.outstanding);
    j.exact("liability_value", m.liability_value);
    j.close('}');
  }
  j.close(']');
}

void rules(json_out& j, const report& r) {
  j.list("rules");
  for (const rule_row& x : r.rules) {
    j.item();
    j.open('{');
    j.text("id", x.id);
    j.text("point_type", x.point_type);
    j.number("awards", x.fired);
    j.exact("awarded", x.awarded);
    j.exact("reversed", x.reversed);
    j.exact("net", x.net);
    j.exact("cost", x.cost);
    j.close('}');
  }
  j.close(']');
}

}  // namespace

std::string render_json(const report& r) {
  std::string out;
  json_out j(out);
  j.open('{');
  j.text("report", "loyalty simulate");
  j.number("format_version", 1);
  j.object("program");
  j.text("name", r.program_name);
  j.text("version", r.program_version);
  j.text("time_zone", r.time_zone);
  j.close('}');
  j.text("currency", r.currency);
  j.text("events_source", r.events_source);
  j.text("first_event", r.first_event);
  j.text("last_event", r.last_event);
  j.object("events");
  j.number("read", r.events);
  j.number("processed", r.processed);
  j.number("duplicates", r.duplicates);
  j.number("rejected", r.rejected);
  j.object("by_type");
  for (const event_type_count& t : r.event_types) j.number(t.type, t.count);
  j.close('}');
  j.list("rejected_samples");
  for (const std::string& s : r.rejected_samples) {
    j.item();
    append_json_string(j.raw(), s);
  }
  j.close(']');
  j.close('}');
  j.number("customers", r.customers);
  j.number("ordering_customers", r.ordering_customers);
  j.number("orders", r.orders);
  j.exact("revenue", r.revenue);
  j.exact("average_order_value", r.average_order_value);
  j.exact("purchase_frequency", r.purchase_frequency);
  j.number("redemptions", r.redemptions);
  j.number("redemptions_refused", r.redemptions_refused);
  j.exact("liability_value", r.liability_value);
  j.exact("expected_breakage_value", r.expected_breakage_value);
  j.exact("net_liability_value", r.net_liability_value);
  point_types(j, r);
  months(j, r);
  rules(j, r);
  j.close('}');
  out += '\n';
  return out;
}

}  // namespace loyalty::cli
