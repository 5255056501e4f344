#include "cli/test_runner.hpp"

#include <fmt/format.h>

#include <cctype>

#include "cli/customer_run.hpp"
#include "cli/explanation.hpp"
#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += out.empty() ? s : ", " + s;
  return fmt::format("[{}]", out);
}

decimal zero_at(int scale) {
  return decimal::from_units(0, scale).value;
}

decimal plus(decimal a, decimal b) {
  const decimal_result r = decimal::add(a, b);
  return r.ok() ? r.value : a;
}

int rule_scale(const program& p, std::uint32_t rule) {
  const earning_rule& r = p.rules()[rule];
  return r.point_type == no_index ? 0 : p.point_types()[r.point_type].scale;
}

std::int64_t balance_units(const balances& b, balance_kind k) {
  switch (k) {
    case balance_kind::available:
      return b.available;
    case balance_kind::pending:
      return b.pending;
    case balance_kind::held:
      return b.held;
    case balance_kind::earned:
      return b.earned;
    case balance_kind::spent:
      return b.spent;
    case balance_kind::expired:
      return b.expired;
    case balance_kind::reversed:
      return b.reversed;
    case balance_kind::debt:
      return b.debt;
  }
  return 0;
}

/// Compares what one step did with what its expectation says; collects the differences.
class comparison {
 public:
  explicit comparison(const customer_run& run) : run_(run), p_(run.prog()) {}

  std::vector<std::string> mismatches;

  void result(const expectation& e, const customer_run::outcome& o) {
    if (o.result == e.result) return;
    mismatches.push_back(fmt::format("result: expected {}, got {}{}", e.result, o.result,
                                     o.detail.empty() ? "" : fmt::format(" ({})", o.detail)));
  }

  void decision(const expectation& e, const engine_decision& d) {
    for (const amount_check& c : e.awards) {
      decimal got = zero_at(rule_scale(p_, c.index));
      for (const award& a : d.awards) {
        if (a.rule == c.index && a.ledger == ledger_result::ok) got = plus(got, a.amount);
      }
      amount(fmt::format("awards.{}", p_.rules()[c.index].id), c.amount, got);
    }
    for (const amount_check& c : e.reversed) {
      decimal got = zero_at(rule_scale(p_, c.index));
      for (const reversal& r : d.reversals) {
        if (r.rule == c.index && r.ledger == ledger_result::ok) got = plus(got, r.reversed);
      }
      amount(fmt::format("reversed.{}", p_.rules()[c.index].id), c.amount, got);
    }
    for (const outcome_check& c : e.outcomes) {
      const rule_trace* t = nullptr;
      for (const rule_trace& x : d.trace) {
        if (x.rule == c.rule) t = &x;
      }
      if (t != nullptr && t->outcome == c.outcome) continue;
      mismatches.push_back(fmt::format(
          "outcomes.{}: expected {}, got {}", p_.rules()[c.rule].id, to_string(c.outcome),
          t != nullptr ? std::string(to_string(t->outcome)) : std::string("not evaluated")));
    }
    if (e.messages) {
      std::vector<std::string> got;
      for (const engine_message& m : d.messages) got.emplace_back(m.text);
      if (got != *e.messages) {
        mismatches.push_back(
            fmt::format("messages: expected {}, got {}", join(*e.messages), join(got)));
      }
    }
  }

  void state(const expectation& e) {
    for (const amount_check& c : e.balances) {
      const point_type& t = p_.point_types()[c.index];
      const balances b = run_.eng().balance(run_.state(), t.id);
      amount(fmt::format("balances.{}.{}", t.id, to_string(c.kind)), c.amount,
             decimal::from_units(balance_units(b, c.kind), t.scale).value);
    }
    for (const amount_check& c : e.budgets) {
      const budget& b = p_.budgets()[c.index];
      amount(fmt::format("budgets.{}", b.id), c.amount,
             decimal::from_units(run_.budgets_left()[c.index], p_.point_types()[b.point_type].scale)
                 .value);
    }
  }

 private:
  void amount(std::string path, decimal expected, decimal got) {
    if (expected == got) return;
    mismatches.push_back(fmt::format("{}: expected {}, got {}", path, expected, got));
  }

  const customer_run& run_;
  const program& p_;
};

class case_runner {
 public:
  case_runner(const test_file& f, const test_case& c, bool verbose)
      : f_(f), c_(c), verbose_(verbose), run_(c.program->loaded, test_customer) {}

  case_result run() {
    const program& p = run_.prog();
    std::string error;
    for (const auto& [field, text] : c_.profile) {
      if (!set_profile_text(p, run_.state(), field, text, error)) {
        fail(fmt::format("  profile: {}\n", error));
      }
    }
    for (const auto& [b, units] : c_.budgets) run_.set_budget_left(b, units);
    for (std::size_t i = 0; i < c_.history.size(); ++i) history(i, c_.history[i]);
    for (std::size_t i = 0; i < c_.steps.size(); ++i) step(i, c_.steps[i]);
    if (c_.expect) {
      comparison cmp(run_);
      cmp.state(*c_.expect);
      block(fmt::format("at the end ({}:{})", f_.path, c_.expect->line), cmp.mismatches,
            "    | balances:\n" + explain_balances(run_.eng(), run_.state(), "    |   "));
    }
    return std::move(out_);
  }

 private:
  void fail(std::string text) {
    out_.passed = false;
    out_.report += text;
  }

  // A step's heading line, its mismatches, and with --verbose what the engine did.
  void block(const std::string& heading, const std::vector<std::string>& mismatches,
             const std::string& explained) {
    if (!mismatches.empty()) out_.passed = false;
    if (mismatches.empty() && !verbose_) return;
    out_.report += fmt::format("  {}\n", heading);
    for (const std::string& m : mismatches) out_.report += fmt::format("    {}\n", m);
    if (verbose_) out_.report += explained;
  }

  std::string event_heading(std::string_view what, const test_step& s) {
    const program& p = run_.prog();
    const auto at = parse_instant(s.event.at, p.zone());
    return fmt::format("{}: {}{} at {} ({}:{})", what, s.event.type,
                       s.id_given ? fmt::format(" '{}'", s.event.id) : "",
                       at ? local_time(*at, p.zone()) : std::string(s.event.at), f_.path, s.line);
  }

  // What the engine did for one event, each line behind a "| " gutter.
  std::string explained(const customer_run::outcome& o) {
    constexpr std::string_view gutter = "    | ";
    const program& p = run_.prog();
    std::string out;
    if (o.day_advance != nullptr) {
      out +=
          fmt::format("{}advance to {} (a new day):\n", gutter, local_time(o.day_start, p.zone()));
      out += explain_decision(p, *o.day_advance, run_.budgets_left(), 0, "    |   ");
    }
    out += fmt::format("{}result: {}{}\n", gutter, o.result,
                       o.detail.empty() ? "" : fmt::format(" ({})", o.detail));
    if (o.decision != nullptr) {
      out += explain_decision(p, *o.decision, run_.budgets_left(), o.lines, gutter);
    }
    out += fmt::format("{}balances after:\n", gutter);
    out += explain_balances(run_.eng(), run_.state(), "    |   ");
    return out;
  }

  void history(std::size_t i, const test_step& s) {
    customer_run::outcome o;
    std::string error;
    const std::string heading = event_heading(fmt::format("history {}", i + 1), s);
    std::vector<std::string> mismatches;
    if (!run_.process(s.event, o, error)) {
      mismatches.push_back(fmt::format("the event does not build: {}", error));
    } else if (o.result != "ok") {
      mismatches.push_back(fmt::format("result: expected ok, got {}{}", o.result,
                                       o.detail.empty() ? "" : fmt::format(" ({})", o.detail)));
    }
    block(heading, mismatches, verbose_ && error.empty() ? explained(o) : "");
  }

  void step(std::size_t i, const test_step& s) {
    comparison cmp(run_);
    const program& p = run_.prog();
    std::string heading;
    std::string shown;
    switch (s.what) {
      case test_step::kind::event: {
        heading = event_heading(fmt::format("step {}", i + 1), s);
        customer_run::outcome o;
        std::string error;
        if (!run_.process(s.event, o, error)) {
          cmp.mismatches.push_back(fmt::format("the event does not build: {}", error));
          break;
        }
        cmp.result(s.expect, o);
        if (o.decision != nullptr) cmp.decision(s.expect, *o.decision);
        if (verbose_) shown = explained(o);
        break;
      }
      case test_step::kind::advance: {
        heading = fmt::format("step {}: advance to {} ({}:{})", i + 1, local_time(s.at, p.zone()),
                              f_.path, s.line);
        const engine_decision& d = run_.advance(s.at);
        cmp.decision(s.expect, d);
        if (verbose_) {
          shown = fmt::format("    | result: {}\n", to_string(d.result));
          shown += explain_decision(p, d, run_.budgets_left(), 0, "    | ");
          shown += "    | balances after:\n";
          shown += explain_balances(run_.eng(), run_.state(), "    |   ");
        }
        break;
      }
      case test_step::kind::check:
        heading = fmt::format("step {}: check ({}:{})", i + 1, f_.path, s.line);
        if (verbose_) {
          shown = "    | balances:\n" + explain_balances(run_.eng(), run_.state(), "    |   ");
        }
        break;
    }
    cmp.state(s.expect);
    block(heading, cmp.mismatches, shown);
  }

  const test_file& f_;
  const test_case& c_;
  bool verbose_;
  customer_run run_;
  case_result out_;
};

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Glob match of the whole text: '*' any run, '?' one byte. Iterative, with one backtrack point.
bool glob(std::string_view text, std::string_view pattern) {
  std::size_t t = 0;
  std::size_t p = 0;
  std::size_t star = std::string_view::npos;
  std::size_t mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

case_result run_test_case(const test_file& f, const test_case& c, bool verbose) {
  case_result out;
  if (c.expect_diagnostics) {
    std::vector<std::string> got;
    for (const diagnostic& d : c.program->diagnostics) got.push_back(d.code);
    const bool same = got == *c.expect_diagnostics;
    if (!same || verbose) {
      out.report += fmt::format("  diagnostics of {}: expected {}, got {}\n", c.program->path,
                                join(*c.expect_diagnostics), join(got));
      for (const diagnostic& d : c.program->diagnostics) {
        out.report += fmt::format("    | {}\n", format_headline(d));
      }
    }
    out.passed = same;
  }
  if (c.program->loaded == nullptr) return out;
  if (c.steps.empty() && c.history.empty() && !c.expect && c.profile.empty()) return out;
  case_result run = case_runner(f, c, verbose).run();
  out.passed = out.passed && run.passed;
  out.report += run.report;
  return out;
}

bool case_selected(std::string_view name, std::string_view filter) noexcept {
  if (filter.empty()) return true;
  if (filter.find_first_of("*?") != std::string_view::npos) return glob(name, filter);
  if (filter.size() > name.size()) return false;
  for (std::size_t i = 0; i + filter.size() <= name.size(); ++i) {
    std::size_t k = 0;
    while (k < filter.size() && lower(name[i + k]) == lower(filter[k])) ++k;
    if (k == filter.size()) return true;
  }
  return false;
}

}  // namespace loyalty::cli
