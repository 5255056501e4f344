#include "cli/customer_run.hpp"

#include <fmt/format.h>

#include "loyalty/format.hpp"

namespace loyalty::cli {

customer_run::customer_run(std::shared_ptr<const program> p, std::string_view customer)
    : program_(std::move(p)),
      engine_(program_),
      member_(engine_.open(event_builder::customer_id(customer))),
      builder_(*program_) {
  for (const budget& b : program_->budgets()) budgets_left_.push_back(b.limit);
  options_.explain = true;
}

void customer_run::count_budgets(const engine_decision& d) {
  if (d.result != process_result::ok) return;
  for (const budget_use& b : d.budgets) budgets_left_[b.budget] -= b.units;
}

const engine_decision& customer_run::advance(timestamp now) {
  options_.budgets = budgets_left_;
  engine_.advance(member_, now, options_, decision_);
  count_budgets(decision_);
  return decision_;
}

// A host runs advance() once a day; before an event of a day advance() has not covered yet, the
// day's work is done first (at the start of that day), so expiry, activations and birthdays
// happen before the event, as they would have in production.
void customer_run::advance_day_of(timestamp at, outcome& out) {
  const civil_date day = local_date(at, program_->zone());
  if (member_.advanced_to && *member_.advanced_to >= day) return;
  out.day_start = start_of_day(day, program_->zone());
  options_.budgets = budgets_left_;
  engine_.advance(member_, out.day_start, options_, day_);
  count_budgets(day_);
  if (!day_.awards.empty() || !day_.reversals.empty() || !day_.messages.empty()) {
    out.day_advance = &day_;
  }
}

bool customer_run::process(const raw_event& raw, outcome& out, std::string& error) {
  out = outcome{};
  event_builder::kind what{};
  event_builder::redeem_request redeem;
  if (!builder_.build(raw, what, redeem, error)) return false;
  out.at = builder_.at();
  out.type = raw.type;
  advance_day_of(out.at, out);
  if (what == event_builder::kind::redeem) {
    out.redeem = true;
    const id128 id = event_id(raw.id);
    if (member_.events.contains(id)) {
      out.result = "duplicate";
      return true;
    }
    engine_.ledger().decide(member_.ledger, ledger_op::redeem(id, redeem.point_type, redeem.amount),
                            out.at, ledger_decision_);
    if (ledger_decision_.result != ledger_result::ok) {
      out.result = std::string(to_string(ledger_decision_.result));
      const point_type& t = program_->point_types()[redeem.point_type];
      out.detail =
          fmt::format("{} {} asked, {} available", redeem.amount, t.id,
                      decimal::from_units(engine_.balance(member_, t.id).available, t.scale).value);
      return true;
    }
    if (!engine_.ledger().apply(member_.ledger, ledger_decision_)) {
      out.result = "version_conflict";
      return true;
    }
    member_.events.insert(id);
    ++member_.version;
    out.result = "ok";
    return true;
  }
  const event& e = builder_.event();
  const event_type& t = e.type_info();
  if (t.lines_slot != event_type::no_slot) out.lines = e.input().get(t.lines_slot).count();
  options_.budgets = budgets_left_;
  engine_.process(member_, e, out.at, options_, decision_);
  count_budgets(decision_);
  out.result = std::string(to_string(decision_.result));
  out.detail = decision_.detail;
  if (decision_.result == process_result::unknown_original && t.refers_to != no_index) {
    // The engine only knows the original's hashed id; the file names it.
    out.detail = fmt::format("no '{}' event '{}' in this customer's history",
                             program_->event_types()[t.refers_to].id, raw.original);
  }
  out.decision = &decision_;
  return true;
}

}  // namespace loyalty::cli
