// loyalty diff OLD NEW EVENTS: two versions of a program over the same events, compared.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <thread>

#include "cli/cli.hpp"
#include "cli/json_text.hpp"
#include "cli/program_file.hpp"
#include "cli/simulation.hpp"
#include "loyalty/format.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view diff_help =
    "usage: loyalty diff [options] OLD NEW EVENTS\n\n"
    "Runs two versions of a program over the same events (each exactly as 'loyalty simulate'\n"
    "runs one; the two runs go side by side on two threads) and reports how awards and\n"
    "liability change: in total and per point type, per rule, per month, and for the\n"
    "customers most affected. Money is in the old program's currency, through each point\n"
    "type's 'value' (docs/simulate.md#diff).\n\n"
    "options:\n"
    "  --top N              customers to list (default 10)\n"
    "  --json FILE          also write the comparison as JSON\n"
    "  --order-value FIELD  the order field that is its value (see loyalty simulate --help)\n"
    "  -h, --help           show this help\n\n"
    "exit status: 0 compared, 1 a program or the event file could not be loaded,\n"
    "             2 usage error\n";

struct run {
  std::string path;
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
  return d.sign() > 0 ? fmt::format("+{}", d) : d.to_string();
}
// " (+21.6%)", or "" when the old value is 0.
std::string change_pct(decimal before, decimal after) {
  if (before.is_zero()) return "";
  const decimal_result diff = decimal::mul(sub(after, before), decimal::from_int(100).value);
  if (!diff.ok()) return "";
  const decimal_result r =
      decimal::div(diff.value, decimal::abs(before), 1, rounding_mode::half_even);
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

// One compared figure: old, new.
struct pair_row {
  std::string what;
  std::optional<decimal> old_value, new_value;
  std::string note;
  decimal change() const { return sub(new_value.value_or(zero()), old_value.value_or(zero())); }
};

struct month_pair {
  std::string month;
  decimal awarded_old, awarded_new, liability_old, liability_new;
};

struct rule_pair {
  std::string id;
  const rule_row* old_row = nullptr;
  const rule_row* new_row = nullptr;
};

struct customer_pair {
  std::string_view name;
  decimal old_value, new_value, change;
};

struct comparison {
  std::vector<pair_row> totals;
  std::vector<rule_pair> rules;
  std::vector<month_pair> months;
  std::vector<customer_pair> customers;  // changed ones, most affected first
  std::size_t customers_compared = 0;
};

comparison compare(const run& a, const run& b) {
  comparison c;
  c.totals.push_back(
      {fmt::format("liability {}", a.r.currency), a.r.liability_value, b.r.liability_value, ""});
  c.totals.push_back({fmt::format("net liability {}", a.r.currency), a.r.net_liability_value,
                      b.r.net_liability_value, ""});
  std::vector<std::string> ids;
  for (const point_summary& p : a.r.points) ids.push_back(p.id);
  for (const point_summary& p : b.r.points) {
    if (std::find(ids.begin(), ids.end(), p.id) == ids.end()) ids.push_back(p.id);
  }
  for (const std::string& id : ids) {
    const auto find = [&](const report& r) -> const point_summary* {
      for (const point_summary& p : r.points) {
        if (p.id == id) return &p;
      }
      return nullptr;
    };
    const point_summary* x = find(a.r);
    const point_summary* y = find(b.r);
    const auto field = [](const point_summary* p, decimal point_summary::*f) {
      return p != nullptr ? std::optional<decimal>(p->*f) : std::nullopt;
    };
    for (const auto& [label, f] : {std::pair{"earned", &point_summary::earned},
                                   std::pair{"redeemed", &point_summary::redeemed},
                                   std::pair{"expired", &point_summary::expired},
                                   std::pair{"reversed", &point_summary::reversed},
                                   std::pair{"outstanding", &point_summary::outstanding}}) {
      c.totals.push_back({fmt::format("{} {}", id, label), field(x, f), field(y, f), ""});
    }
  }
  for (const rule_row& r : a.r.rules) c.rules.push_back({r.id, &r, nullptr});
  for (const rule_row& r : b.r.rules) {
    auto it = std::find_if(c.rules.begin(), c.rules.end(),
                           [&](const rule_pair& x) { return x.id == r.id; });
    if (it == c.rules.end()) {
      c.rules.push_back({r.id, nullptr, &r});
    } else {
      it->new_row = &r;
    }
  }
  std::map<std::pair<int, int>, std::pair<const month_row*, const month_row*>> rows;
  for (const month_row& m : a.r.months) rows[{m.year, m.month}].first = &m;
  for (const month_row& m : b.r.months) rows[{m.year, m.month}].second = &m;
  for (const auto& [key, pair] : rows) {
    c.months.push_back({fmt::format("{:04}-{:02}", key.first, key.second),
                        pair.first != nullptr ? awarded_value(a.r, *pair.first) : zero(),
                        pair.second != nullptr ? awarded_value(b.r, *pair.second) : zero(),
                        pair.first != nullptr ? pair.first->liability_value : zero(),
                        pair.second != nullptr ? pair.second->liability_value : zero()});
  }
  return c;
}

void compare_customers(comparison& c, const std::vector<customer_totals>& ca,
                       const std::vector<customer_totals>& cb) {
  std::map<std::string_view, std::pair<decimal, decimal>> by_name;
  for (const customer_totals& x : ca) by_name[x.customer] = {x.awarded_value, zero()};
  for (const customer_totals& x : cb) {
    auto [it, inserted] = by_name.try_emplace(x.customer, zero(), x.awarded_value);
    if (!inserted) it->second.second = x.awarded_value;
  }
  c.customers_compared = by_name.size();
  for (const auto& [name, v] : by_name) {
    const decimal change = sub(v.second, v.first);
    if (!change.is_zero()) c.customers.push_back({name, v.first, v.second, change});
  }
  // Largest change first; ties by name, so the list is the same on every run.
  std::stable_sort(c.customers.begin(), c.customers.end(),
                   [](const customer_pair& x, const customer_pair& y) {
                     const auto o = decimal::abs(x.change) <=> decimal::abs(y.change);
                     return o != 0 ? o > 0 : x.name < y.name;
                   });
}

std::string opt_text(const std::optional<decimal>& d) {
  return d ? d->to_string() : "-";
}

std::string render_text(const run& a, const run& b, const comparison& c, std::size_t top) {
  std::string out =
      fmt::format("old: {} ({} {})\nnew: {} ({} {})\nevents: {} ({} events)\n", a.path,
                  a.r.program_name, a.r.program_version, b.path, b.r.program_name,
                  b.r.program_version, a.r.events_source, grouped(a.r.events));
  const auto it = std::back_inserter(out);
  fmt::format_to(it, "\n{:<30} {:>16} {:>16} {:>16}\n", "totals", "old", "new", "change");
  for (const pair_row& row : c.totals) {
    fmt::format_to(
        it, "{:<30} {:>16} {:>16} {:>16}{}\n", row.what, opt_text(row.old_value),
        opt_text(row.new_value), signed_text(row.change()),
        row.old_value && row.new_value ? change_pct(*row.old_value, *row.new_value) : "");
  }
  fmt::format_to(it, "\n{:<24} {:>9} {:>9} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "per rule",
                 "awards", "awards", "net", "net", fmt::format("cost {}", a.r.currency), "cost",
                 "change");
  fmt::format_to(it, "{:<24} {:>9} {:>9} {:>12} {:>12} {:>12} {:>12}\n", "", "old", "new", "old",
                 "new", "old", "new");
  for (const rule_pair& x : c.rules) {
    const decimal cx = x.old_row != nullptr ? x.old_row->cost : zero();
    const decimal cy = x.new_row != nullptr ? x.new_row->cost : zero();
    const std::string note = x.old_row == nullptr   ? " (new rule)"
                             : x.new_row == nullptr ? " (removed)"
                                                    : change_pct(cx, cy);
    const auto count = [](const rule_row* r) { return r ? grouped(r->fired) : std::string("-"); };
    const auto net = [](const rule_row* r) { return r ? r->net.to_string() : std::string("-"); };
    const auto cost = [](const rule_row* r) { return r ? r->cost.to_string() : std::string("-"); };
    fmt::format_to(it, "{:<24} {:>9} {:>9} {:>12} {:>12} {:>12} {:>12} {:>12}{}\n", x.id,
                   count(x.old_row), count(x.new_row), net(x.old_row), net(x.new_row),
                   cost(x.old_row), cost(x.new_row), signed_text(sub(cy, cx)), note);
  }
  fmt::format_to(it, "\n{:<9} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}\n", "per month",
                 "awarded old", "awarded new", "change", "liability old", "liability new",
                 "change");
  for (const month_pair& m : c.months) {
    fmt::format_to(it, "{:<9} {:>14} {:>14} {:>14} {:>14} {:>14} {:>14}\n", m.month, m.awarded_old,
                   m.awarded_new, signed_text(sub(m.awarded_new, m.awarded_old)), m.liability_old,
                   m.liability_new, signed_text(sub(m.liability_new, m.liability_old)));
  }
  fmt::format_to(it,
                 "\ncustomers most affected (value awarded, {}): {} of {} changed\n{:<20} {:>14} "
                 "{:>14} {:>14}\n",
                 a.r.currency, grouped(static_cast<std::int64_t>(c.customers.size())),
                 grouped(static_cast<std::int64_t>(c.customers_compared)), "customer", "old", "new",
                 "change");
  for (std::size_t i = 0; i < c.customers.size() && i < top; ++i) {
    const customer_pair& x = c.customers[i];
    fmt::format_to(it, "{:<20} {:>14} {:>14} {:>14}\n", x.name, x.old_value, x.new_value,
                   signed_text(x.change));
  }
  return out;
}

void json_decimal(std::string& out, const std::optional<decimal>& d) {
  if (d) {
    append_json_string(out, d->to_string());
  } else {
    out += "null";
  }
}

std::string render_json(const run& a, const run& b, const comparison& c, std::size_t top) {
  std::string out = "{\n  \"report\": \"loyalty diff\",\n  \"format_version\": 1,\n";
  const auto it = std::back_inserter(out);
  const auto side = [&](std::string_view key, const run& r) {
    fmt::format_to(it, "  \"{}\": {{\"path\": ", key);
    append_json_string(out, r.path);
    out += ", \"name\": ";
    append_json_string(out, r.r.program_name);
    out += ", \"version\": ";
    append_json_string(out, r.r.program_version);
    out += "},\n";
  };
  side("old", a);
  side("new", b);
  out += "  \"events_source\": ";
  append_json_string(out, a.r.events_source);
  fmt::format_to(it, ",\n  \"events\": {},\n  \"currency\": ", a.r.events);
  append_json_string(out, a.r.currency);
  out += ",\n  \"totals\": [";
  for (std::size_t i = 0; i < c.totals.size(); ++i) {
    const pair_row& row = c.totals[i];
    out += i == 0 ? "\n    {\"what\": " : ",\n    {\"what\": ";
    append_json_string(out, row.what);
    out += ", \"old\": ";
    json_decimal(out, row.old_value);
    out += ", \"new\": ";
    json_decimal(out, row.new_value);
    out += ", \"change\": ";
    json_decimal(out, row.change());
    out += '}';
  }
  out += "\n  ],\n  \"rules\": [";
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    const rule_pair& x = c.rules[i];
    out += i == 0 ? "\n    {\"id\": " : ",\n    {\"id\": ";
    append_json_string(out, x.id);
    for (const auto& [key, row] : {std::pair{"old", x.old_row}, std::pair{"new", x.new_row}}) {
      fmt::format_to(it, ", \"{}\": ", key);
      if (row == nullptr) {
        out += "null";
        continue;
      }
      fmt::format_to(it, "{{\"awards\": {}, \"net\": ", row->fired);
      append_json_string(out, row->net.to_string());
      out += ", \"cost\": ";
      append_json_string(out, row->cost.to_string());
      out += '}';
    }
    out += ", \"cost_change\": ";
    json_decimal(out,
                 sub(x.new_row ? x.new_row->cost : zero(), x.old_row ? x.old_row->cost : zero()));
    out += '}';
  }
  out += "\n  ],\n  \"months\": [";
  for (std::size_t i = 0; i < c.months.size(); ++i) {
    const month_pair& m = c.months[i];
    out += i == 0 ? "\n    {\"month\": " : ",\n    {\"month\": ";
    append_json_string(out, m.month);
    for (const auto& [key, v] :
         {std::pair{"awarded_old", m.awarded_old}, std::pair{"awarded_new", m.awarded_new},
          std::pair{"liability_old", m.liability_old},
          std::pair{"liability_new", m.liability_new}}) {
      fmt::format_to(it, ", \"{}\": ", key);
      append_json_string(out, v.to_string());
    }
    out += '}';
  }
  fmt::format_to(it, "\n  ],\n  \"customers_compared\": {},\n  \"customers_changed\": {},\n",
                 c.customers_compared, c.customers.size());
  out += "  \"customers_most_affected\": [";
  for (std::size_t i = 0; i < c.customers.size() && i < top; ++i) {
    const customer_pair& x = c.customers[i];
    out += i == 0 ? "\n    {\"customer\": " : ",\n    {\"customer\": ";
    append_json_string(out, x.name);
    for (const auto& [key, v] : {std::pair{"old", x.old_value}, std::pair{"new", x.new_value},
                                 std::pair{"change", x.change}}) {
      fmt::format_to(it, ", \"{}\": ", key);
      append_json_string(out, v.to_string());
    }
    out += '}';
  }
  out += "\n  ]\n}\n";
  return out;
}

int run_diff(args_t args) {
  std::vector<std::string> positional;
  std::size_t top = 10;
  std::string json;
  simulation_options so;
  so.per_customer = true;
  so.threads = 1;  // the two runs already go side by side
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (is_help(a)) {
      fmt::print("{}", diff_help);
      return exit_ok;
    }
    if (a == "--top" || a == "--order-value" || a == "--json") {
      if (i + 1 >= args.size()) return usage_error("diff", fmt::format("{} needs a value", a));
      const std::string_view v = args[++i];
      if (a == "--order-value") {
        so.order_value_field = std::string(v);
        continue;
      }
      if (a == "--json") {
        json = std::string(v);
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
  old_run.path = positional[0];
  new_run.path = positional[1];
  for (run* r : {&old_run, &new_run}) {
    r->p = load_program_file(r->path);
    if (!r->p) return exit_failure;
  }
  for (run* r : {&old_run, &new_run}) {
    // Each program reads local times in its own zone, so each indexes the file itself.
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
  comparison c = compare(old_run, new_run);
  // The comparison keeps views of the names: the lists live until the end.
  const std::vector<customer_totals> old_customers = old_run.sim->customers();
  const std::vector<customer_totals> new_customers = new_run.sim->customers();
  compare_customers(c, old_customers, new_customers);
  fmt::print("{}", render_text(old_run, new_run, c, top));
  if (!json.empty() && !write_file(json, render_json(old_run, new_run, c, top))) {
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace

const command diff_command = {"diff", "compare two versions of a program over the same events",
                              diff_help, run_diff};

}  // namespace loyalty::cli
