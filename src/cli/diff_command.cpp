// loyalty diff OLD NEW EVENTS: two versions of a program over the same events, compared.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <thread>

#include "cli/cli.hpp"
#include "cli/program_file.hpp"
#include "cli/simulation.hpp"
#include "loyalty/format.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view diff_help =
    "usage: loyalty diff [options] OLD NEW EVENTS\n\n"
    "Runs two versions of a program over the same events (as 'loyalty simulate' does; the two\n"
    "runs go side by side on two threads) and reports how awards and liability change: in\n"
    "total, per rule, per month, and for the customers most affected. Money is in the\n"
    "report currency, through each point type's 'value'.\n\n"
    "options:\n"
    "  --top N         customers to list (default 10)\n"
    "  --order-value FIELD\n"
    "                  the order field that is its value (see loyalty simulate --help)\n"
    "  -h, --help      show this help\n\n"
    "exit status: 0 compared, 1 a program or the event file could not be loaded,\n"
    "             2 usage error\n";

struct run {
  std::shared_ptr<const program> p;
  std::unique_ptr<event_source> events;
  std::unique_ptr<simulation> sim;
  report r;
};

decimal zero() {
  return decimal::from_units(0, 2).value;
}
decimal add(decimal a, decimal b) {
  const decimal_result r = decimal::add(a, b);
  return r.ok() ? r.value : a;
}
decimal sub(decimal a, decimal b) {
  const decimal_result r = decimal::sub(a, b);
  return r.ok() ? r.value : a;
}
std::string signed_text(decimal d) {
  return d.sign() > 0 ? "+" + d.to_string() : d.to_string();
}
// "+21.6%", or "" when the old value is 0.
std::string change_pct(decimal before, decimal after) {
  if (before.is_zero()) return "";
  const decimal_result r =
      decimal::div(decimal::mul(sub(after, before), decimal::from_int(100).value).value,
                   decimal::abs(before), 1, rounding_mode::half_even);
  return r.ok() ? fmt::format(" ({}{}%)", r.value.sign() > 0 ? "+" : "", r.value) : "";
}

// The money value of a month's awards: earned minus reversed, per point type, at its value.
decimal awarded_value(const report& r, const month_row& m) {
  decimal v = zero();
  for (std::size_t w = 0; w < r.points.size() && w < m.earned.size(); ++w) {
    const decimal net = sub(m.earned[w], m.reversed[w]);
    const decimal_result x = decimal::mul(net, r.points[w].unit_value, 2, rounding_mode::half_even);
    if (x.ok()) v = add(v, x.value);
  }
  return v;
}

void line(std::string& out, std::string_view what, decimal a, decimal b) {
  fmt::format_to(std::back_inserter(out), "  {:<30} {:>16} {:>16} {:>16}{}\n", what, a, b,
                 signed_text(sub(b, a)), change_pct(a, b));
}

void totals(std::string& out, const run& a, const run& b) {
  fmt::format_to(std::back_inserter(out), "\n{:<32} {:>16} {:>16} {:>16}\n", "", "old", "new",
                 "change");
  line(out, fmt::format("liability {}", a.r.currency), a.r.liability_value, b.r.liability_value);
  line(out, fmt::format("net liability {}", a.r.currency), a.r.net_liability_value,
       b.r.net_liability_value);
  for (const point_summary& pa : a.r.points) {
    for (const point_summary& pb : b.r.points) {
      if (pa.id != pb.id) continue;
      line(out, pa.id + " earned", pa.earned, pb.earned);
      line(out, pa.id + " outstanding", pa.outstanding, pb.outstanding);
    }
  }
}

void rules(std::string& out, const run& a, const run& b) {
  // Rules by id, in the old program's order, then the new program's new rules.
  std::vector<std::string> ids;
  for (const rule_row& r : a.r.rules) ids.push_back(r.id);
  for (const rule_row& r : b.r.rules) {
    if (std::find(ids.begin(), ids.end(), r.id) == ids.end()) ids.push_back(r.id);
  }
  auto find = [](const report& r, const std::string& id) -> const rule_row* {
    for (const rule_row& x : r.rules) {
      if (x.id == id) return &x;
    }
    return nullptr;
  };
  fmt::format_to(std::back_inserter(out), "\ncost per rule ({}):\n  {:<30} {:>16} {:>16} {:>16}\n",
                 a.r.currency, "rule", "old", "new", "change");
  for (const std::string& id : ids) {
    const rule_row* x = find(a.r, id);
    const rule_row* y = find(b.r, id);
    const decimal cx = x != nullptr ? x->cost : zero();
    const decimal cy = y != nullptr ? y->cost : zero();
    const std::string note = x == nullptr ? " (new rule)" : y == nullptr ? " (removed)" : "";
    fmt::format_to(std::back_inserter(out), "  {:<30} {:>16} {:>16} {:>16}{}{}\n", id,
                   x != nullptr ? cx.to_string() : "-", y != nullptr ? cy.to_string() : "-",
                   signed_text(sub(cy, cx)), change_pct(cx, cy), note);
  }
}

void months(std::string& out, const run& a, const run& b) {
  std::map<std::pair<int, int>, std::pair<const month_row*, const month_row*>> rows;
  for (const month_row& m : a.r.months) rows[{m.year, m.month}].first = &m;
  for (const month_row& m : b.r.months) rows[{m.year, m.month}].second = &m;
  fmt::format_to(std::back_inserter(out),
                 "\nper month ({}):\n  {:<8} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}\n",
                 a.r.currency, "month", "awarded old", "awarded new", "change", "liability old",
                 "liability new", "change");
  for (const auto& [key, pair] : rows) {
    const decimal ax = pair.first != nullptr ? awarded_value(a.r, *pair.first) : zero();
    const decimal bx = pair.second != nullptr ? awarded_value(b.r, *pair.second) : zero();
    const decimal al = pair.first != nullptr ? pair.first->liability_value : zero();
    const decimal bl = pair.second != nullptr ? pair.second->liability_value : zero();
    fmt::format_to(std::back_inserter(out),
                   "  {}-{:02}  {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}\n", key.first, key.second,
                   ax, bx, signed_text(sub(bx, ax)), al, bl, signed_text(sub(bl, al)));
  }
}

void customers(std::string& out, const run& a, const run& b, std::size_t top) {
  const std::vector<customer_totals> ca = a.sim->customers();
  const std::vector<customer_totals> cb = b.sim->customers();
  std::map<std::string_view, std::pair<decimal, decimal>> by_name;
  for (const customer_totals& c : ca) by_name[c.customer].first = c.awarded_value;
  for (const customer_totals& c : cb) by_name[c.customer].second = c.awarded_value;
  struct row {
    std::string_view name;
    decimal old_value, new_value, change;
  };
  std::vector<row> rows;
  for (const auto& [name, v] : by_name) {
    const decimal change = sub(v.second, v.first);
    if (!change.is_zero()) rows.push_back({name, v.first, v.second, change});
  }
  // Largest change first; ties by name, so the list is the same on every run.
  std::sort(rows.begin(), rows.end(), [](const row& x, const row& y) {
    const auto c = decimal::abs(x.change) <=> decimal::abs(y.change);
    return c != 0 ? c > 0 : x.name < y.name;
  });
  fmt::format_to(std::back_inserter(out),
                 "\ncustomers most affected (value awarded, {}): {} of {} changed\n  {:<20} {:>14} "
                 "{:>14} {:>14}\n",
                 a.r.currency, grouped(static_cast<std::int64_t>(rows.size())),
                 grouped(static_cast<std::int64_t>(by_name.size())), "customer", "old", "new",
                 "change");
  for (std::size_t i = 0; i < rows.size() && i < top; ++i) {
    fmt::format_to(std::back_inserter(out), "  {:<20} {:>14} {:>14} {:>14}\n", rows[i].name,
                   rows[i].old_value, rows[i].new_value, signed_text(rows[i].change));
  }
}

int run_diff(args_t args) {
  std::vector<std::string> positional;
  std::size_t top = 10;
  simulation_options so;
  so.per_customer = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (is_help(a)) {
      fmt::print("{}", diff_help);
      return exit_ok;
    }
    if (a == "--top" || a == "--order-value") {
      if (i + 1 >= args.size()) return usage_error("diff", fmt::format("{} needs a value", a));
      const std::string_view v = args[++i];
      if (a == "--order-value") {
        so.order_value_field = std::string(v);
        continue;
      }
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), top);
      if (ec != std::errc() || end != v.data() + v.size()) {
        return usage_error(
            "diff", fmt::format("--top needs a whole number, not '{}'", internal::printable(v)));
      }
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("diff", fmt::format("unknown option '{}'", internal::printable(a)));
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.size() != 3) {
    return usage_error("diff", "expected two program files and an event file");
  }
  run old_run;
  run new_run;
  for (run* r : {&old_run, &new_run}) {
    r->p = load_program_file(positional[r == &old_run ? 0 : 1]);
    if (!r->p) return exit_failure;
    r->events = load_event_file(positional[2], *r->p);
    if (!r->events) return exit_failure;
    r->sim = std::make_unique<simulation>(r->p, so);
  }
  // One program per thread: each simulation owns its members; the programs are immutable.
  std::thread second([&] { new_run.sim->run(*new_run.events); });
  old_run.sim->run(*old_run.events);
  second.join();
  old_run.r = old_run.sim->make_report(positional[2]);
  new_run.r = new_run.sim->make_report(positional[2]);
  std::string out = fmt::format("old: {} ({} {})\nnew: {} ({} {})\nevents: {} ({} events)\n",
                                positional[0], old_run.r.program_name, old_run.r.program_version,
                                positional[1], new_run.r.program_name, new_run.r.program_version,
                                positional[2], grouped(old_run.r.events));
  totals(out, old_run, new_run);
  rules(out, old_run, new_run);
  months(out, old_run, new_run);
  customers(out, old_run, new_run, top);
  fmt::print("{}", out);
  return exit_ok;
}

}  // namespace

const command diff_command = {"diff", "compare two versions of a program over the same events",
                              diff_help, run_diff};

}  // namespace loyalty::cli
