#include "cli/explanation.hpp"

#include <fmt/format.h>

#include <array>

#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

decimal at_scale(std::int64_t units, int scale) {
  return decimal::from_units(units, scale).value;
}

std::string unit_of(const program& p, const earning_rule& r) {
  return r.point_type == no_index ? std::string() : p.point_types()[r.point_type].id;
}

// An amount as the point type writes it: "74 points", "2.00 cashback".
std::string amount_text(const program& p, const earning_rule& r, decimal amount) {
  const std::string unit = unit_of(p, r);
  if (r.point_type == no_index) return amount.to_string();
  const int scale = p.point_types()[r.point_type].scale;
  const decimal_result d = amount.rescale(std::max(scale, amount.scale()), rounding_mode::down);
  return fmt::format("{} {}", d.ok() ? d.value : amount, unit);
}

std::string cap_text(const program& p, const earning_rule& r, const cap& c) {
  std::string out;
  if (c.measure == cap_measure::count) {
    out = fmt::format("at most {} award{}", c.limit, c.limit == 1 ? "" : "s");
  } else {
    const int scale = r.point_type == no_index ? 0 : p.point_types()[r.point_type].scale;
    out = fmt::format("at most {} {}", at_scale(c.limit, scale), unit_of(p, r));
  }
  if (c.scope == cap_scope::event) {
    out += " per event";
  } else if (c.period == cap_period::lifetime) {
    out += " per customer";
  } else {
    out += fmt::format(" per customer per {}", to_string(c.period));
  }
  if (c.overflow == cap_overflow::reject) out += ", all or nothing";
  return out;
}

// What cut an award: "cap 1 (at most 3 awards per customer per month)" or "budget black_friday".
std::string limit_text(const program& p, const earning_rule& r, const rule_trace& t) {
  if (t.limited_by == -2 && r.budget != no_index) {
    return fmt::format("budget {}", p.budgets()[r.budget].id);
  }
  if (t.limited_by >= 0 && static_cast<std::size_t>(t.limited_by) < r.caps.size()) {
    return fmt::format("cap {} ({})", t.limited_by + 1,
                       cap_text(p, r, r.caps[static_cast<std::size_t>(t.limited_by)]));
  }
  return "its caps";
}

std::string window_text(const time_window& w, time_zone zone) {
  std::string out = "active";
  if (w.from != timestamp::min()) out += fmt::format(" from {}", local_time(w.from, zone));
  if (w.until != timestamp::max()) out += fmt::format(" until {}", local_time(w.until, zone));
  if (w.days != 0x7F) {
    constexpr std::array names = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    std::string days;
    for (std::size_t d = 0; d < names.size(); ++d) {
      if ((w.days & (1U << d)) != 0) days += days.empty() ? names[d] : std::string(", ") + names[d];
    }
    out += fmt::format(" on {}", days);
  }
  if (w.hours_from && w.hours_until) {
    auto hm = [](duration d) {
      const std::int64_t minutes = d.micros / duration::micros_per_minute;
      return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
    };
    out += fmt::format(" from {} to {} each day", hm(*w.hours_from), hm(*w.hours_until));
  }
  return out;
}

std::string pending_text(const program& p, const earning_rule& r) {
  switch (r.pending.kind) {
    case pending_kind::immediate:
      return "";
    case pending_kind::period:
      return fmt::format(", pending for {}", to_string(r.pending.period));
    case pending_kind::until_event:
      return fmt::format(", pending until {}", r.pending.until != no_index
                                                   ? p.event_types()[r.pending.until].id
                                                   : std::string("an event"));
  }
  return "";
}

std::string clause_value(const clause_trace& c) {
  if (c.status != eval_status::ok) return fmt::format("error ({})", to_string(c.status));
  if (c.result.is_null()) return "missing (null)";
  return c.result.as_bool() ? "true" : "false";
}

// The rule of the same group that won, if the decision shows one.
std::string group_winner(const program& p, const engine_decision& d, const earning_rule& r) {
  for (const rule_trace& t : d.trace) {
    const earning_rule& other = p.rules()[t.rule];
    if (other.group == r.group && t.outcome == rule_outcome::awarded) return other.id;
  }
  return "";
}

const award* award_of(const engine_decision& d, std::uint32_t rule) {
  for (const award& a : d.awards) {
    if (a.rule == rule) return &a;
  }
  return nullptr;
}

// The first line of a rule: "black_friday: awarded 300 points", "basket_50: lost_in_group: ...".
std::string headline(const program& p, const engine_decision& d, const rule_trace& t) {
  const earning_rule& r = p.rules()[t.rule];
  std::string out = fmt::format("{}: {}", r.id, to_string(t.outcome));
  switch (t.outcome) {
    case rule_outcome::awarded:
      out = fmt::format("{}: awarded {}", r.id, amount_text(p, r, t.awarded));
      if (const award* a = award_of(d, t.rule); a != nullptr && a->pending) {
        out += pending_text(p, r);
      }
      if (t.limited_by != -1) {
        out +=
            fmt::format(", cut from {} by {}", amount_text(p, r, t.uncapped), limit_text(p, r, t));
      }
      break;
    case rule_outcome::capped:
      out += fmt::format(": {} before caps, {} after {}", amount_text(p, r, t.uncapped),
                         amount_text(p, r, decimal()), limit_text(p, r, t));
      break;
    case rule_outcome::zero_award:
      out += ": the award comes to 0 after rounding";
      break;
    case rule_outcome::outside_window:
      out += fmt::format(": {}", window_text(r.window, p.zone()));
      break;
    case rule_outcome::no_line_matched:
      out += ": no line passes 'where'";
      break;
    case rule_outcome::lost_in_group: {
      const rule_group& g = p.groups()[r.group];
      const std::string winner = group_winner(p, d, r);
      out += winner.empty()
                 ? fmt::format(": another rule of group {} ({}) won", g.id, to_string(g.mode))
                 : fmt::format(": {} won group {} ({})", winner, g.id, to_string(g.mode));
      break;
    }
    case rule_outcome::message_only:
      out += fmt::format(": sends '{}'", r.message);
      break;
    case rule_outcome::evaluation_error:
      out += fmt::format(": {}", to_string(t.status));
      break;
    case rule_outcome::ledger_refused:
      if (const award* a = award_of(d, t.rule)) out += fmt::format(": {}", to_string(a->ledger));
      break;
    case rule_outcome::condition_false:
      break;
  }
  return out;
}

bool evaluated_lines(rule_outcome o) {
  return o == rule_outcome::awarded || o == rule_outcome::zero_award || o == rule_outcome::capped ||
         o == rule_outcome::no_line_matched;
}

}  // namespace

std::string local_time(timestamp t, time_zone zone) {
  const civil_date d = local_date(t, zone);
  const std::int64_t secs = local_time_of_day(t, zone).micros / duration::micros_per_second;
  std::string out = fmt::format("{} {:02}:{:02}", to_string(d), secs / 3600, secs / 60 % 60);
  if (secs % 60 != 0) out += fmt::format(":{:02}", secs % 60);
  return out;
}

std::string explain_decision(const program& p, const engine_decision& d,
                             std::span<const std::int64_t> budgets_left, std::uint32_t lines,
                             std::string_view indent) {
  std::string out;
  for (const rule_trace& t : d.trace) {
    const earning_rule& r = p.rules()[t.rule];
    out += fmt::format("{}{}\n", indent, headline(p, d, t));
    for (const clause_trace& c : t.clauses) {
      const std::string_view text =
          c.clause < r.when.size() ? std::string_view(r.when[c.clause].text) : "?";
      out += fmt::format("{}  when {}: {}\n", indent, text, clause_value(c));
    }
    if (!r.window.always() && t.outcome != rule_outcome::outside_window) {
      out += fmt::format("{}  {}: inside\n", indent, window_text(r.window, p.zone()));
    }
    if (r.per_line && evaluated_lines(t.outcome)) {
      std::string where;
      for (const clause& w : r.where)
        where += fmt::format("{}{}", where.empty() ? "" : " and ", w.text);
      if (where.empty()) {
        out += fmt::format("{}  per line: {} line{}, no 'where'\n", indent, lines,
                           lines == 1 ? "" : "s");
      } else {
        out += fmt::format("{}  per line: lines passing where {}: {} of {}\n", indent, where,
                           t.lines_matched, lines);
      }
    }
  }
  // A duplicate has no trace: what the first processing credited.
  if (d.trace.empty()) {
    for (const award& a : d.awards) {
      const earning_rule& r = p.rules()[a.rule];
      out += fmt::format("{}{}: awarded {}{}{}\n", indent, r.id, amount_text(p, r, a.amount),
                         a.pending ? pending_text(p, r) : "",
                         d.result == process_result::duplicate ? " (when first processed)" : "");
    }
  }
  for (const reversal& v : d.reversals) {
    const earning_rule& r = p.rules()[v.rule];
    out += fmt::format("{}{}: reversed {}", indent, r.id, amount_text(p, r, v.reversed));
    if (v.requested != v.reversed) {
      out += fmt::format(" of {} asked (return policy {})", amount_text(p, r, v.requested),
                         to_string(p.point_types()[v.wallet].returns));
    }
    out += '\n';
  }
  for (const budget_use& b : d.budgets) {
    const budget& bud = p.budgets()[b.budget];
    const int scale = p.point_types()[bud.point_type].scale;
    out += fmt::format("{}budget {}: {} used, {} left\n", indent, bud.id, at_scale(b.units, scale),
                       at_scale(budgets_left[b.budget], scale));
  }
  for (const engine_message& m : d.messages) {
    out += fmt::format("{}message '{}' from {}\n", indent, m.text, p.rules()[m.rule].id);
  }
  return out;
}

std::string explain_balances(const engine& eng, const member& m, std::string_view indent) {
  std::string out;
  for (const point_type& t : eng.program().point_types()) {
    const balances b = eng.balance(m, t.id);
    out += fmt::format("{}{}: {} available, {} pending", indent, t.id,
                       at_scale(b.available, t.scale), at_scale(b.pending, t.scale));
    if (b.held != 0) out += fmt::format(", {} held", at_scale(b.held, t.scale));
    if (b.debt != 0) out += fmt::format(", {} debt", at_scale(b.debt, t.scale));
    out += '\n';
  }
  return out;
}

}  // namespace loyalty::cli
