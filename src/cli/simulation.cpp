// The simulation behind `loyalty simulate` and `loyalty diff`.
#include "cli/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "loyalty/format.hpp"

namespace loyalty::cli {

namespace {

constexpr std::size_t max_rejected_samples = 10;

// Months are counted as year * 12 + (month - 1).
int month_index(civil_date d) noexcept {
  return year(d) * 12 + (month(d) - 1);
}
civil_date first_day(int index) noexcept {
  return civil_date::from_ymd(index / 12, index % 12 + 1, 1).value();
}

struct month_accum {
  std::vector<std::int64_t> earned, redeemed, expired, reversed, outstanding;
  std::int64_t events = 0;
  std::int64_t orders = 0;
  decimal revenue;
  std::int64_t active = 0;
  std::int64_t fresh = 0;
  std::int64_t retained = 0;
};

struct rule_accum {
  std::int64_t fired = 0;
  std::int64_t awarded = 0;
  std::int64_t reversed = 0;
};

struct customer_info {
  std::string name;
  std::int32_t advanced_day = INT32_MIN;  // the last local day advance() covered
  int first_order_month = -1;
  int last_order_month = -1;
};

// A wallet's balances that the report follows.
struct flows {
  std::int64_t earned, spent, expired, reversed, outstanding, available, pending, debt;
};

flows flows_of(const balances& b) noexcept {
  return {b.earned,
          b.spent,
          b.expired,
          b.reversed,
          b.available + b.held + b.pending,
          b.available + b.held,
          b.pending,
          b.debt};
}

decimal units_at(std::int64_t units, int scale) {
  return decimal::from_units(units, scale).value;
}

// a * b, rounded half-even to `scale` places.
decimal times(decimal a, decimal b, int scale) {
  const decimal_result r = decimal::mul(a, b, scale, rounding_mode::half_even);
  return r.ok() ? r.value : decimal();
}

// a / b at 4 places, 0 when b is 0.
decimal ratio(decimal a, decimal b, int scale = 4) {
  if (b.is_zero()) return decimal::from_units(0, scale).value;
  const decimal_result r = decimal::div(a, b, scale, rounding_mode::half_even);
  return r.ok() ? r.value : decimal::from_units(0, scale).value;
}

decimal plus(decimal a, decimal b) {
  const decimal_result r = decimal::add(a, b);
  return r.ok() ? r.value : a;
}

decimal minus(decimal a, decimal b) {
  const decimal_result r = decimal::sub(a, b);
  return r.ok() ? r.value : a;
}

}  // namespace

struct simulation::state {
  std::shared_ptr<const program> p;
  simulation_options options;
  engine eng;
  event_builder builder;
  raw_event raw;
  engine_decision d;
  process_options popts;
  std::vector<std::int64_t> budgets_left;

  std::vector<member> members;
  std::vector<customer_info> customers;
  std::unordered_map<id128, std::uint32_t, id128_hash> index;
  std::vector<std::int64_t> customer_net;  // per customer and wallet: net units credited

  std::vector<flows> totals;  // per wallet, over all customers
  std::vector<month_accum> months;
  int first_month = 0;
  std::vector<rule_accum> rules;
  std::vector<std::int64_t> type_counts;  // per event type; the last: loyalty.redeem
  std::vector<std::uint32_t> value_slot;  // per event type: the order value field, or no_slot
  std::vector<bool> is_order;

  std::int64_t events = 0, processed = 0, duplicates = 0, rejected = 0;
  std::vector<std::string> samples;
  std::int64_t redemptions = 0, refused = 0;
  std::string first_event, last_event;
  std::string error;
  decision ledger_decision;

  state(std::shared_ptr<const program> prog, simulation_options o)
      : p(std::move(prog)), options(std::move(o)), eng(p), builder(*p) {
    for (const budget& b : p->budgets()) budgets_left.push_back(b.limit);
    popts.budgets = budgets_left;
    const std::size_t wallets = p->point_types().size();
    totals.assign(wallets, flows{});
    rules.assign(p->rules().size(), rule_accum{});
    type_counts.assign(p->event_types().size() + 1, 0);
    for (const event_type& t : p->event_types()) {
      is_order.push_back(t.lines_slot != event_type::no_slot && t.returns == no_index);
      value_slot.push_back(order_value_slot(t));
    }
  }

  std::uint32_t order_value_slot(const event_type& t) const {
    if (t.lines_slot == event_type::no_slot || t.returns != no_index) return event_type::no_slot;
    std::vector<std::string> names = {"net", "total", "amount", "gross"};
    if (!options.order_value_field.empty()) names = {options.order_value_field};
    for (const std::string& n : names) {
      const field_decl* f = t.schema.find_field("event." + n);
      if (f != nullptr && f->type.kind == value_kind::decimal) return f->slot;
    }
    return event_type::no_slot;
  }

  month_accum& month_row(int at) {
    if (months.empty()) first_month = at;
    while (static_cast<int>(months.size()) <= at - first_month) {
      month_accum m;
      const std::size_t w = totals.size();
      m.earned.assign(w, 0);
      m.redeemed.assign(w, 0);
      m.expired.assign(w, 0);
      m.reversed.assign(w, 0);
      m.outstanding.assign(w, 0);
      m.revenue = decimal::from_units(0, 2).value;
      months.push_back(std::move(m));
    }
    return months[static_cast<std::size_t>(at - first_month)];
  }

  std::uint32_t customer(std::string_view name) {
    const id128 id = event_builder::customer_id(name);
    const auto [it, inserted] = index.try_emplace(id, static_cast<std::uint32_t>(members.size()));
    if (inserted) {
      members.push_back(eng.open(id));
      customers.push_back(customer_info{std::string(name)});
      customer_net.resize(customer_net.size() + totals.size(), 0);
    }
    return it->second;
  }

  // Applies the change of one customer's balances (before -> now) to the totals and a month.
  void account(std::uint32_t c, const std::vector<flows>& before, int month) {
    month_accum& row = month_row(month);
    const member& m = members[c];
    for (std::size_t w = 0; w < totals.size(); ++w) {
      const flows a = before[w];
      const flows b = flows_of(m.ledger.wallets[w].totals);
      row.earned[w] += b.earned - a.earned;
      row.redeemed[w] += b.spent - a.spent;
      row.expired[w] += b.expired - a.expired;
      row.reversed[w] += b.reversed - a.reversed;
      flows& t = totals[w];
      t.earned += b.earned - a.earned;
      t.spent += b.spent - a.spent;
      t.expired += b.expired - a.expired;
      t.reversed += b.reversed - a.reversed;
      t.outstanding += b.outstanding - a.outstanding;
      t.available += b.available - a.available;
      t.pending += b.pending - a.pending;
      t.debt += b.debt - a.debt;
      customer_net[c * totals.size() + w] += (b.earned - a.earned) - (b.reversed - a.reversed);
    }
  }

  std::vector<flows> before_;
  const std::vector<flows>& snapshot(std::uint32_t c) {
    before_.resize(totals.size());
    for (std::size_t w = 0; w < totals.size(); ++w) {
      before_[w] = flows_of(members[c].ledger.wallets[w].totals);
    }
    return before_;
  }

  // The end-of-day work for customer c up to the start of local day `day`; its changes belong
  // to the day before.
  void advance(std::uint32_t c, std::int32_t day) {
    customer_info& info = customers[c];
    if (info.advanced_day >= day) return;
    info.advanced_day = day;
    const std::vector<flows> before = snapshot(c);
    eng.advance(members[c], start_of_day(civil_date{day}, p->zone()), popts, d);
    if (d.result != process_result::ok) return;
    // The work done at the start of a day closes the day before (expiry at a month end belongs
    // to that month); before the first month of the run, to the first month.
    const int month = std::max(month_index(civil_date{day - 1}), first_month);
    note_awards(month);
    account(c, before, month);
  }

  void note_awards(int month) {
    (void)month;
    for (const award& a : d.awards) {
      if (a.ledger != ledger_result::ok || a.amount.is_zero()) continue;
      rule_accum& r = rules[a.rule];
      ++r.fired;
      r.awarded += a.amount.units();
    }
    for (const reversal& r : d.reversals) {
      if (r.ledger == ledger_result::ok) rules[r.rule].reversed += r.reversed.units();
    }
    for (const budget_use& b : d.budgets) budgets_left[b.budget] -= b.units;
  }

  // Month ends between the last event and `to_month`: every customer advanced to the first day
  // of the next month, and the month's closing liability recorded.
  void close_months(int& current, int to_month) {
    while (current < to_month) {
      const std::int32_t day = first_day(current + 1).days;
      for (std::uint32_t c = 0; c < members.size(); ++c) advance(c, day);
      month_accum& row = month_row(current);
      for (std::size_t w = 0; w < totals.size(); ++w) row.outstanding[w] = totals[w].outstanding;
      ++current;
      month_row(current);
    }
  }

  void reject(std::size_t line, std::string_view why) {
    ++rejected;
    if (samples.size() < max_rejected_samples)
      samples.push_back(fmt::format("line {}: {}", line, why));
  }

  void order_stats(std::uint32_t c, const event& e, int month) {
    month_accum& row = month_row(month);
    ++row.orders;
    const std::uint32_t slot = value_slot[e.type()];
    if (slot != event_type::no_slot) {
      const value v = e.input().get(slot);
      if (v.kind() == value_kind::decimal) row.revenue = plus(row.revenue, v.as_decimal());
    }
    customer_info& info = customers[c];
    if (info.last_order_month == month) return;
    ++row.active;
    if (info.first_order_month < 0) {
      info.first_order_month = month;
      ++row.fresh;
    }
    if (info.last_order_month == month - 1) ++row.retained;
    info.last_order_month = month;
  }

  void redeem(std::uint32_t c, const event_builder::redeem_request& r, timestamp at, int month) {
    member& m = members[c];
    const std::vector<flows> before = snapshot(c);
    const id128 id = event_id(raw.id);
    if (m.events.contains(id)) {
      ++duplicates;
      return;
    }
    eng.ledger().decide(m.ledger, ledger_op::redeem(id, r.point_type, r.amount), at,
                        ledger_decision);
    if (ledger_decision.result != ledger_result::ok) {
      ++refused;
      reject(raw.source_line,
             fmt::format("{} of {} {} refused: {}", redeem_type, r.amount,
                         p->point_types()[r.point_type].id, to_string(ledger_decision.result)));
      --rejected;  // a refused redemption is an outcome, not a bad event
      return;
    }
    if (!eng.ledger().apply(m.ledger, ledger_decision)) return;
    m.events.insert(id);
    ++m.version;
    ++redemptions;
    ++processed;
    account(c, before, month);
  }

  void one(const event_source& source, const event_ref& ref, int& current) {
    ++events;
    if (ref.bad_at) {
      reject(ref.line, "'at' is missing or not an instant (2026-11-28T14:30:00+01:00)");
      return;
    }
    if (!source.parse(ref, raw, error)) {
      reject(ref.line, error);
      return;
    }
    event_builder::kind what{};
    event_builder::redeem_request req;
    if (!builder.build(raw, what, req, error)) {
      reject(ref.line, error);
      return;
    }
    const civil_date day = local_date(ref.at, p->zone());
    const int month = month_index(day);
    if (months.empty()) current = month;
    close_months(current, month);
    ++month_row(month).events;
    const std::uint32_t c = customer(raw.customer);
    advance(c, day.days);
    if (what == event_builder::kind::redeem) {
      ++type_counts.back();
      redeem(c, req, ref.at, month);
      return;
    }
    const event& e = builder.event();
    ++type_counts[e.type()];
    const std::vector<flows> before = snapshot(c);
    eng.process(members[c], e, ref.at, popts, d);
    if (d.result == process_result::duplicate) {
      ++duplicates;
      return;
    }
    if (d.result != process_result::ok) {
      reject(ref.line,
             fmt::format("{}{}{}", to_string(d.result), d.detail.empty() ? "" : ": ", d.detail));
      return;
    }
    ++processed;
    note_awards(month);
    account(c, before, month);
    if (is_order[e.type()]) order_stats(c, e, month);
  }
};

simulation::simulation(std::shared_ptr<const program> p, simulation_options options)
    : s_(std::make_unique<state>(std::move(p), std::move(options))) {}

simulation::~simulation() = default;

void simulation::run(const event_source& source) {
  state& s = *s_;
  const auto& refs = source.events();
  int current = 0;
  const std::size_t step = std::max<std::size_t>(refs.size() / 200, 1000);
  for (std::size_t i = 0; i < refs.size(); ++i) {
    s.one(source, refs[i], current);
    if (s.options.progress && i % step == 0) s.options.progress(i, refs.size());
  }
  if (s.months.empty()) return;
  // The run ends at the start of the month after the last event: every customer is advanced
  // to it, so expiry and pending lots due by then are settled.
  s.close_months(current, current + 1);
  s.months.pop_back();  // the month opened by the last close holds nothing
  if (s.options.progress) s.options.progress(refs.size(), refs.size());
  auto local = [&](timestamp t) {
    const civil_date d = local_date(t, s.p->zone());
    const duration tod = local_time_of_day(t, s.p->zone());
    const std::int64_t secs = tod.micros / 1'000'000;
    return fmt::format("{} {:02}:{:02}", to_string(d), secs / 3600, secs / 60 % 60);
  };
  for (const event_ref& r : refs) {
    if (r.bad_at) continue;
    s.first_event = local(r.at);
    break;
  }
  if (!refs.empty() && !refs.back().bad_at) s.last_event = local(refs.back().at);
}

report simulation::make_report(std::string events_source) const {
  const state& s = *s_;
  const program& p = *s.p;
  report r;
  r.program_name = p.name();
  r.program_version = p.version();
  r.time_zone = p.time_zone();
  r.currency = p.currencies().empty() ? "" : std::string(p.currencies().front()->code);
  r.events_source = std::move(events_source);
  r.first_event = s.first_event;
  r.last_event = s.last_event;
  r.customers = static_cast<std::int64_t>(s.members.size());
  r.events = s.events;
  r.processed = s.processed;
  r.duplicates = s.duplicates;
  r.rejected = s.rejected;
  r.rejected_samples = s.samples;
  for (std::size_t t = 0; t < p.event_types().size(); ++t) {
    if (s.type_counts[t] > 0) r.event_types.push_back({p.event_types()[t].id, s.type_counts[t]});
  }
  if (s.type_counts.back() > 0)
    r.event_types.push_back({std::string(redeem_type), s.type_counts.back()});
  const decimal zero2 = decimal::from_units(0, 2).value;
  r.revenue = zero2;
  for (const month_accum& m : s.months) {
    r.orders += m.orders;
    r.revenue = plus(r.revenue, m.revenue);
  }
  for (const customer_info& c : s.customers) r.ordering_customers += c.first_order_month >= 0;
  r.average_order_value = ratio(r.revenue, decimal::from_int(r.orders).value, 2);
  r.purchase_frequency =
      ratio(decimal::from_int(r.orders).value, decimal::from_int(r.ordering_customers).value, 2);
  r.redemptions = s.redemptions;
  r.redemptions_refused = s.refused;
  r.liability_value = zero2;
  r.net_liability_value = zero2;
  for (std::size_t w = 0; w < p.point_types().size(); ++w) {
    const point_type& t = p.point_types()[w];
    const flows& f = s.totals[w];
    point_summary ps;
    ps.id = t.id;
    ps.name = t.name;
    ps.money = t.is_money();
    ps.unit_value = t.value.value_or(decimal());
    ps.earned = units_at(f.earned, t.scale);
    ps.redeemed = units_at(f.spent, t.scale);
    ps.expired = units_at(f.expired, t.scale);
    ps.reversed = units_at(f.reversed, t.scale);
    ps.available = units_at(f.available, t.scale);
    ps.pending = units_at(f.pending, t.scale);
    ps.debt = units_at(f.debt, t.scale);
    ps.outstanding = units_at(f.outstanding, t.scale);
    ps.outstanding_value = times(ps.outstanding, ps.unit_value, 2);
    ps.breakage_rate = ratio(ps.expired, plus(ps.expired, ps.redeemed));
    ps.expected_breakage_value = times(ps.outstanding_value, ps.breakage_rate, 2);
    ps.net_liability_value = minus(ps.outstanding_value, ps.expected_breakage_value);
    ps.redemption_rate = ratio(ps.redeemed, ps.earned);
    r.liability_value = plus(r.liability_value, ps.outstanding_value);
    r.net_liability_value = plus(r.net_liability_value, ps.net_liability_value);
    r.points.push_back(std::move(ps));
  }
  const month_accum* previous = nullptr;
  for (std::size_t i = 0; i < s.months.size(); ++i) {
    const month_accum& m = s.months[i];
    month_row row;
    const civil_date first = first_day(s.first_month + static_cast<int>(i));
    row.year = year(first);
    row.month = month(first);
    row.liability_value = zero2;
    for (std::size_t w = 0; w < p.point_types().size(); ++w) {
      const point_type& t = p.point_types()[w];
      row.earned.push_back(units_at(m.earned[w], t.scale));
      row.redeemed.push_back(units_at(m.redeemed[w], t.scale));
      row.expired.push_back(units_at(m.expired[w], t.scale));
      row.reversed.push_back(units_at(m.reversed[w], t.scale));
      row.outstanding.push_back(units_at(m.outstanding[w], t.scale));
      row.liability_value =
          plus(row.liability_value, times(row.outstanding.back(), t.value.value_or(decimal()), 2));
    }
    row.events = m.events;
    row.orders = m.orders;
    row.revenue = m.revenue;
    row.active_customers = m.active;
    row.new_customers = m.fresh;
    row.retained_customers = m.retained;
    if (previous != nullptr && previous->active > 0) {
      row.has_retention = true;
      row.retention_rate =
          ratio(decimal::from_int(m.retained).value, decimal::from_int(previous->active).value);
      row.churn_rate = minus(decimal::from_int(1).value, row.retention_rate);
    }
    previous = &m;
    r.months.push_back(std::move(row));
  }
  for (std::size_t i = 0; i < p.rules().size(); ++i) {
    const earning_rule& rule = p.rules()[i];
    if (rule.point_type == no_index) continue;
    const point_type& t = p.point_types()[rule.point_type];
    const rule_accum& a = s.rules[i];
    rule_row row;
    row.id = rule.id;
    row.point_type = t.id;
    row.fired = a.fired;
    row.awarded = units_at(a.awarded, t.scale);
    row.reversed = units_at(a.reversed, t.scale);
    row.net = units_at(a.awarded - a.reversed, t.scale);
    row.cost = times(row.net, t.value.value_or(decimal()), 2);
    r.rules.push_back(std::move(row));
  }
  return r;
}

std::vector<customer_totals> simulation::customers() const {
  const state& s = *s_;
  std::vector<customer_totals> out;
  const std::size_t w = s.totals.size();
  for (std::size_t c = 0; c < s.customers.size(); ++c) {
    decimal v = decimal::from_units(0, 2).value;
    for (std::size_t k = 0; k < w; ++k) {
      const point_type& t = s.p->point_types()[k];
      v = plus(v,
               times(units_at(s.customer_net[c * w + k], t.scale), t.value.value_or(decimal()), 2));
    }
    out.push_back({s.customers[c].name, v});
  }
  return out;
}

}  // namespace loyalty::cli
