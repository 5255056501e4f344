// The HTML report of a simulation: one self-contained page (inline CSS, SVG charts drawn here,
// a few lines of inline JavaScript that check the charts and mark the page), which opens with no
// network access. Numbers shown are the exact decimals; only chart geometry uses double.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "cli/json_text.hpp"
#include "cli/program_file.hpp"
#include "cli/report.hpp"
#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

constexpr double chart_width = 1100;

// Pixels from an amount: geometry only, never money arithmetic.
double pixels_of(decimal d) {
  double scale = 1;
  for (int i = 0; i < d.scale(); ++i) scale *= 10;
  return static_cast<double>(d.units()) / scale;
}

std::string esc(std::string_view text) {
  std::string out;
  append_html_text(out, text);
  return out;
}

// A round axis step (1, 2 or 5 times a power of ten) for values up to `max` in about 4 steps.
double nice_step(double max) {
  if (max <= 0) return 1;
  const double raw = max / 4;
  double magnitude = 1;
  while (magnitude * 10 <= raw) magnitude *= 10;
  while (magnitude > raw) magnitude /= 10;
  for (const double f : {1.0, 2.0, 5.0, 10.0}) {
    if (magnitude * f >= raw) return magnitude * f;
  }
  return magnitude * 10;
}

std::string axis_label(double v) {
  if (v >= 1'000'000 && static_cast<std::int64_t>(v) % 100'000 == 0) {
    return fmt::format("{:.1f}M", v / 1'000'000);
  }
  if (v >= 10'000 && static_cast<std::int64_t>(v) % 1000 == 0) {
    return fmt::format("{}k", static_cast<std::int64_t>(v / 1000));
  }
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) {
    return grouped(static_cast<std::int64_t>(v));
  }
  return fmt::format("{:.2f}", v);
}

std::string month_label(const month_row& m) {
  return fmt::format("{:04}-{:02}", m.year, m.month);
}

struct plot {
  double left = 80, right = 20, top = 20, bottom = 50, height = 320;
  double inner_width() const { return chart_width - left - right; }
  double inner_height() const { return height - top - bottom; }
};

// The frame of a chart: the svg element, horizontal grid lines with labels; returns the scale
// max (the value at the top of the plot).
double frame(std::string& out, const plot& pl, std::string_view id, std::string_view label,
             double max_value, std::string_view unit) {
  const double step = nice_step(max_value);
  double top_value = step;
  while (top_value < max_value) top_value += step;
  fmt::format_to(std::back_inserter(out),
                 "<svg class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{}\" "
                 "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
                 "xmlns=\"http://www.w3.org/2000/svg\">\n",
                 id, esc(label), chart_width, pl.height, chart_width, pl.height);
  for (double v = 0; v <= top_value + step / 2; v += step) {
    const double y = pl.top + pl.inner_height() * (1 - v / top_value);
    fmt::format_to(std::back_inserter(out),
                   "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
                   "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                   pl.left, y, chart_width - pl.right, y, pl.left - 8, y + 4, axis_label(v));
  }
  if (!unit.empty()) {
    fmt::format_to(std::back_inserter(out),
                   "<text class=\"unit\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                   pl.left - 8, pl.top + pl.inner_height() + 20, esc(unit));
  }
  return top_value;
}

void empty_chart(std::string& out, std::string_view id, std::string_view label) {
  fmt::format_to(std::back_inserter(out),
                 "<svg class=\"chart empty\" id=\"{}\" role=\"img\" aria-label=\"{}\" "
                 "viewBox=\"0 0 {} 80\" width=\"{}\" height=\"80\" "
                 "xmlns=\"http://www.w3.org/2000/svg\"><text class=\"tick\" x=\"20\" y=\"45\">"
                 "no data</text></svg>\n",
                 id, esc(label), chart_width, chart_width);
}

// Month labels under a plot, thinned so that they never overlap.
void month_axis(std::string& out, const plot& pl, const std::vector<month_row>& months,
                double slot) {
  const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(70 / slot) + 1);
  for (std::size_t i = 0; i < months.size(); i += every) {
    const double x = pl.left + slot * (static_cast<double>(i) + 0.5);
    fmt::format_to(
        std::back_inserter(out),
        "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x,
        pl.height - pl.bottom + 20, month_label(months[i]));
  }
}

void liability_chart(std::string& out, const report& r) {
  constexpr std::string_view id = "chart-liability";
  const std::string label = fmt::format("Outstanding liability at each month end, {}", r.currency);
  if (r.months.empty()) return empty_chart(out, id, label);
  plot pl;
  double max = 0;
  for (const month_row& m : r.months) max = std::max(max, pixels_of(m.liability_value));
  const double top = frame(out, pl, id, label, max, r.currency);
  const double slot = pl.inner_width() / static_cast<double>(r.months.size());
  std::string line;
  std::string area = fmt::format("M{:.1f},{:.1f}", pl.left + slot / 2, pl.top + pl.inner_height());
  std::vector<std::pair<double, double>> points;
  for (std::size_t i = 0; i < r.months.size(); ++i) {
    const double x = pl.left + slot * (static_cast<double>(i) + 0.5);
    const double y =
        pl.top + pl.inner_height() * (1 - pixels_of(r.months[i].liability_value) / top);
    fmt::format_to(std::back_inserter(line), "{}{:.1f},{:.1f}", i == 0 ? "M" : " L", x, y);
    fmt::format_to(std::back_inserter(area), " L{:.1f},{:.1f}", x, y);
    points.emplace_back(x, y);
  }
  fmt::format_to(std::back_inserter(area), " L{:.1f},{:.1f} Z", points.back().first,
                 pl.top + pl.inner_height());
  fmt::format_to(std::back_inserter(out), "<path class=\"area\" d=\"{}\"/>\n", area);
  fmt::format_to(std::back_inserter(out), "<path class=\"line mark\" d=\"{}\"/>\n", line);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const month_row& m = r.months[i];
    fmt::format_to(std::back_inserter(out),
                   "<circle class=\"dot mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\"><title>{}: {} "
                   "{}</title></circle>\n",
                   points[i].first, points[i].second, month_label(m), m.liability_value,
                   esc(r.currency));
  }
  month_axis(out, pl, r.months, slot);
  out += "</svg>\n";
}

// Earned, redeemed and expired of point type `w` per month, as grouped bars.
void flow_chart(std::string& out, const report& r, std::size_t w) {
  constexpr std::string_view id = "chart-flows";
  if (r.months.empty() || w >= r.points.size()) {
    return empty_chart(out, id, "Points earned and redeemed by month");
  }
  const point_summary& pt = r.points[w];
  const std::string label = fmt::format("{} earned, redeemed and expired by month", pt.name);
  plot pl;
  double max = 0;
  for (const month_row& m : r.months) {
    max =
        std::max({max, pixels_of(m.earned[w]), pixels_of(m.redeemed[w]), pixels_of(m.expired[w])});
  }
  const double top = frame(out, pl, id, label, max, pt.id);
  const double slot = pl.inner_width() / static_cast<double>(r.months.size());
  const double bar = slot * 0.8 / 3;
  struct series {
    const char* css;
    const char* name;
    const std::vector<decimal> month_row::*values;
  };
  const series all[] = {{"earned", "earned", &month_row::earned},
                        {"redeemed", "redeemed", &month_row::redeemed},
                        {"expired", "expired", &month_row::expired}};
  for (std::size_t i = 0; i < r.months.size(); ++i) {
    const month_row& m = r.months[i];
    for (std::size_t k = 0; k < 3; ++k) {
      const decimal v = (m.*all[k].values)[w];
      const double h = pl.inner_height() * pixels_of(v) / top;
      const double x =
          pl.left + slot * static_cast<double>(i) + slot * 0.1 + bar * static_cast<double>(k);
      fmt::format_to(std::back_inserter(out),
                     "<rect class=\"bar {} mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                     "height=\"{:.1f}\"><title>{} {}: {} {}</title></rect>\n",
                     all[k].css, x, pl.top + pl.inner_height() - h, bar, std::max(h, 0.0),
                     month_label(m), all[k].name, v, esc(pt.id));
    }
  }
  month_axis(out, pl, r.months, slot);
  double lx = pl.left + 10;
  for (const series& s : all) {
    fmt::format_to(std::back_inserter(out),
                   "<rect class=\"bar {}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\"/>"
                   "<text class=\"legend\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                   s.css, lx, pl.height - 18, lx + 16, pl.height - 8, s.name);
    lx += 110;
  }
  out += "</svg>\n";
}

void cost_chart(std::string& out, const report& r) {
  constexpr std::string_view id = "chart-cost";
  const std::string label = fmt::format("Cost per rule, {}", r.currency);
  if (r.rules.empty()) return empty_chart(out, id, label);
  std::vector<const rule_row*> rows;
  for (const rule_row& x : r.rules) rows.push_back(&x);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const rule_row* a, const rule_row* b) { return b->cost < a->cost; });
  plot pl;
  pl.left = 220;
  pl.right = 140;
  pl.top = 10;
  pl.bottom = 10;
  const double row_height = 26;
  pl.height = pl.top + pl.bottom + row_height * static_cast<double>(rows.size());
  double max = 0;
  for (const rule_row* x : rows) max = std::max(max, pixels_of(x->cost));
  const double top = max > 0 ? max : 1;
  fmt::format_to(std::back_inserter(out),
                 "<svg class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{}\" "
                 "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
                 "xmlns=\"http://www.w3.org/2000/svg\">\n",
                 id, esc(label), chart_width, pl.height, chart_width, pl.height);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const rule_row& x = *rows[i];
    const double y = pl.top + row_height * static_cast<double>(i);
    const double w = std::max(0.0, pl.inner_width() * pixels_of(x.cost) / top);
    fmt::format_to(std::back_inserter(out),
                   "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"
                   "<rect class=\"bar cost mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" "
                   "height=\"{:.1f}\"><title>{}: {} {} ({} awards)</title></rect>"
                   "<text class=\"value\" x=\"{:.1f}\" y=\"{:.1f}\">{} {}</text>\n",
                   pl.left - 8, y + 17, esc(x.id), pl.left, y + 4, std::max(w, 1.0), row_height - 8,
                   esc(x.id), x.cost, esc(r.currency), grouped(x.fired),
                   pl.left + std::max(w, 1.0) + 6, y + 17, grouped(x.cost), esc(r.currency));
  }
  out += "</svg>\n";
}

std::string pct(decimal ratio) {
  const decimal_result r =
      decimal::mul(ratio, decimal::from_int(100).value, 1, rounding_mode::half_even);
  return r.ok() ? fmt::format("{} %", r.value) : "-";
}

void card(std::string& out, std::string_view label, std::string_view value) {
  fmt::format_to(std::back_inserter(out),
                 "<div class=\"card\"><div class=\"label\">{}</div><div class=\"figure\">{}</div>"
                 "</div>\n",
                 esc(label), esc(value));
}

void cards(std::string& out, const report& r) {
  const std::string cur = r.currency.empty() ? "" : " " + r.currency;
  out += "<section class=\"cards\">\n";
  card(out, "customers", grouped(r.customers));
  card(out, "events", grouped(r.events));
  card(out, "orders", grouped(r.orders));
  card(out, "revenue", grouped(r.revenue) + cur);
  card(out, "average order value", grouped(r.average_order_value) + cur);
  card(out, "orders per ordering customer", grouped(r.purchase_frequency));
  card(out, "outstanding liability", grouped(r.liability_value) + cur);
  card(out, "net of expected breakage", grouped(r.net_liability_value) + cur);
  if (!r.points.empty()) {
    card(out, r.points.front().id + " redemption rate", pct(r.points.front().redemption_rate));
    card(out, r.points.front().id + " breakage rate", pct(r.points.front().breakage_rate));
  }
  out += "</section>\n";
}

void table_row(std::string& out, std::initializer_list<std::string> cells, bool header = false) {
  out += "<tr>";
  bool first = true;
  for (const std::string& c : cells) {
    const char* tag = header ? "th" : "td";
    fmt::format_to(std::back_inserter(out), "<{}{}>{}</{}>", tag, first ? "" : " class=\"n\"",
                   esc(c), tag);
    first = false;
  }
  out += "</tr>\n";
}

void tables(std::string& out, const report& r) {
  out += "<section class=\"wide\"><h2>Point types</h2>\n<table>\n";
  table_row(out,
            {"point type", "earned", "redeemed", "expired", "reversed", "pending", "outstanding",
             "value " + r.currency, "redemption rate", "breakage rate",
             "expected breakage " + r.currency},
            true);
  for (const point_summary& p : r.points) {
    table_row(out, {p.id, grouped(p.earned), grouped(p.redeemed), grouped(p.expired),
                    grouped(p.reversed), grouped(p.pending), grouped(p.outstanding),
                    p.has_value ? grouped(p.outstanding_value) : "-", pct(p.redemption_rate),
                    pct(p.breakage_rate), grouped(p.expected_breakage_value)});
  }
  out += "</table></section>\n";
  out += "<section class=\"wide\"><h2>Months</h2>\n<table>\n";
  const std::string first = r.points.empty() ? std::string("-") : r.points.front().id;
  table_row(
      out,
      {"month", "events", "orders", "revenue", "active", "new", "retained", "retention", "churn",
       first + " earned", first + " redeemed", first + " expired", "liability " + r.currency},
      true);
  for (const month_row& m : r.months) {
    const auto front = [](const std::vector<decimal>& v) {
      return v.empty() ? std::string("-") : grouped(v.front());
    };
    table_row(out, {month_label(m), grouped(m.events), grouped(m.orders), grouped(m.revenue),
                    grouped(m.active_customers), grouped(m.new_customers),
                    grouped(m.retained_customers), m.has_retention ? pct(m.retention_rate) : "-",
                    m.has_retention ? pct(m.churn_rate) : "-", front(m.earned), front(m.redeemed),
                    front(m.expired), grouped(m.liability_value)});
  }
  out += "</table></section>\n";
  out += "<section class=\"wide\"><h2>Rules</h2>\n<table>\n";
  table_row(out, {"rule", "into", "awards", "awarded", "reversed", "net", "cost " + r.currency},
            true);
  for (const rule_row& x : r.rules) {
    table_row(out, {x.id, x.point_type, grouped(x.fired), grouped(x.awarded), grouped(x.reversed),
                    grouped(x.net), grouped(x.cost)});
  }
  out += "</table></section>\n";
}

constexpr std::string_view style = R"(<style>
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430;
  background: #f5f6f8; margin: 0; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #5a6475; margin: 0; }
.cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px #0002; }
.card .label { color: #5a6475; font-size: 12px; }
.card .figure { font-size: 19px; font-weight: 600; margin-top: 2px; }
section.chart-box { background: #fff; border-radius: 8px; padding: 8px 12px 4px; box-shadow: 0 1px 2px #0002; }
svg.chart { display: block; max-width: 100%; height: auto; }
.grid { stroke: #e3e6eb; stroke-width: 1; }
.tick, .legend, .unit, .value { font-size: 12px; fill: #5a6475; }
.value { fill: #1d2430; }
.line { fill: none; stroke: #2f6fdf; stroke-width: 2.5; }
.area { fill: #2f6fdf22; }
.dot { fill: #2f6fdf; }
.bar.earned { fill: #2e9d6a; } .bar.redeemed { fill: #2f6fdf; } .bar.expired { fill: #9aa3b2; }
.bar.cost { fill: #e07a2f; }
.mark:hover { opacity: 0.75; }
table { border-collapse: collapse; background: #fff; width: 100%; box-shadow: 0 1px 2px #0002; }
th, td { padding: 5px 10px; border-bottom: 1px solid #e3e6eb; text-align: left; white-space: nowrap; }
th { background: #eef0f4; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; }
table { font-size: 13px; }
footer { color: #5a6475; margin-top: 24px; font-size: 12px; }
</style>
)";

// Runs once the page has loaded: checks that every chart drew its marks and has a size, then
// marks <body data-ok="1"> (the headless-browser test reads it).
constexpr std::string_view script = R"(<script>
(function () {
  var charts = document.querySelectorAll('svg.chart');
  var ok = charts.length === 3;
  for (var i = 0; i < charts.length; i++) {
    var svg = charts[i];
    var marks = svg.querySelectorAll('.mark').length;
    var box = svg.getBoundingClientRect();
    svg.setAttribute('data-marks', String(marks));
    if (!(box.width > 0 && box.height > 0)) ok = false;
    if (marks === 0 && !svg.classList.contains('empty')) ok = false;
  }
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-ok', ok ? '1' : '0');
})();
</script>
)";

}  // namespace

std::string render_html(const report& r) {
  std::string out;
  out.reserve(64 * 1024);
  const std::string title = fmt::format("{} {}: simulation", r.program_name, r.program_version);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  fmt::format_to(std::back_inserter(out), "<title>{}</title>\n", esc(title));
  out += style;
  out += "</head>\n<body data-ok=\"0\">\n<header>\n";
  fmt::format_to(std::back_inserter(out), "<h1>{}</h1>\n", esc(title));
  fmt::format_to(std::back_inserter(out),
                 "<p class=\"meta\">Events from {}: {} read, {} processed, {} duplicates, {} "
                 "rejected; {} to {} ({}). Money in {}.</p>\n",
                 esc(r.events_source), grouped(r.events), grouped(r.processed),
                 grouped(r.duplicates), grouped(r.rejected), esc(r.first_event), esc(r.last_event),
                 esc(r.time_zone), esc(r.currency));
  out += "</header>\n";
  cards(out, r);
  fmt::format_to(std::back_inserter(out),
                 "<h2>Liability over time</h2>\n<section class=\"chart-box\">\n");
  liability_chart(out, r);
  out += "</section>\n";
  std::size_t flows = 0;
  while (flows < r.points.size() && r.points[flows].money) ++flows;
  if (flows == r.points.size()) flows = 0;
  fmt::format_to(std::back_inserter(out),
                 "<h2>Points earned and redeemed by month</h2>\n<section class=\"chart-box\">\n");
  flow_chart(out, r, flows);
  out += "</section>\n<h2>Cost per rule</h2>\n<section class=\"chart-box\">\n";
  cost_chart(out, r);
  out += "</section>\n";
  tables(out, r);
  if (!r.rejected_samples.empty()) {
    out += "<section><h2>Rejected events (the first few)</h2>\n<ul>\n";
    for (const std::string& s : r.rejected_samples) {
      fmt::format_to(std::back_inserter(out), "<li><code>{}</code></li>\n", esc(s));
    }
    out += "</ul></section>\n";
  }
  out +=
      "<footer>Made by <code>loyalty simulate</code>. Every figure is defined in "
      "docs/simulate.md.</footer>\n";
  out += script;
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace loyalty::cli
