// The simulation behind `loyalty simulate` and `loyalty diff`.
#include "cli/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <functional>
#include <queue>
#include <span>
#include <thread>

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

constexpr std::int32_t no_day = INT32_MAX;

struct customer_info {
  std::string name;
  std::int32_t covered_day = 0;   // day boundaries up to the start of this day are done
  std::int32_t due_day = no_day;  // the next day boundary with work for advance()
  int first_order_month = -1;
  int last_order_month = -1;
  bool counted = false;  // has a processed event
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
  return r.ok() ? r.value : decimal::from_units(0, scale).value;
}

// a / b at `scale` places (half-even), 0 when b is 0.
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

// The first day whose start (in `zone`) is at or after `t`: the day boundary at which a host
// that advances every customer at every day boundary first sees `t` as past.
std::int32_t boundary_day(timestamp t, time_zone zone) {
  const civil_date d = local_date(t, zone);
  return start_of_day(d, zone) >= t ? d.days : d.days + 1;
}

// Customers by id: open addressing over a flat table (ids are hashes already), at most half
// full, so finding one touches one slot, usually.
class customer_table {
 public:
  // The index stored for `id`; when there is none, stores `next` and says so.
  std::pair<std::uint32_t, bool> find_or_insert(id128 id, std::uint32_t next) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(id.low) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.index == empty) {
        s = {id, next};
        ++size_;
        return {next, true};
      }
      if (s.id == id) return {s.index, false};
    }
  }

 private:
  static constexpr std::uint32_t empty = UINT32_MAX;
  struct slot {
    id128 id;
    std::uint32_t index = empty;
  };
  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const slot& s : old) {
      if (s.index == empty) continue;
      std::size_t i = static_cast<std::size_t>(s.id.low) & mask;
      while (slots_[i].index != empty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<slot> slots_;
  std::size_t size_ = 0;
};

// A due day: pending (min-heap by day, then customer, so the order is deterministic).
struct due_entry {
  std::int32_t day;
  std::uint32_t customer;
  friend bool operator>(const due_entry& a, const due_entry& b) noexcept {
    return a.day != b.day ? a.day > b.day : a.customer > b.customer;
  }
};

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
  customer_table index;
  std::vector<std::int64_t> customer_net;  // per customer and wallet: net units credited
  std::priority_queue<due_entry, std::vector<due_entry>, std::greater<>> due;

  std::vector<flows> totals;  // per wallet, over all customers
  std::vector<flows> before;  // one customer's balances before a change
  std::vector<month_accum> months;
  int first_month = 0;
  int current_month = 0;
  std::vector<rule_accum> rules;
  std::vector<std::int64_t> type_counts;  // per event type; the last: loyalty.redeem
  std::vector<std::uint32_t> value_slot;  // per event type: the order value field, or no_slot
  std::vector<bool> is_order;
  std::vector<bool> sets_profile;
  // Anniversary event types with rules: the profile index of their date.
  std::vector<std::size_t> anniversary_fields;

  std::int64_t events = 0, processed = 0, duplicates = 0, rejected = 0;
  std::int64_t counted_customers = 0, ordering_customers = 0;
  // The first rejected events: (position in time order, "PATH:LINE: why").
  std::vector<std::pair<std::size_t, std::string>> samples;
  std::size_t position = 0;  // of the event being processed, in time order
  std::int64_t redemptions = 0, refused = 0;
  std::optional<timestamp> first_at, last_at;
  std::string error;
  std::string path;
  decision ledger_decision;

  state(std::shared_ptr<const program> prog, simulation_options o)
      : p(std::move(prog)), options(std::move(o)), eng(p), builder(*p) {
    for (const budget& b : p->budgets()) budgets_left.push_back(b.limit);
    popts.budgets = budgets_left;
    const std::size_t wallets = p->point_types().size();
    totals.assign(wallets, flows{});
    before.assign(wallets, flows{});
    rules.assign(p->rules().size(), rule_accum{});
    type_counts.assign(p->event_types().size() + 1, 0);
    const auto fields = p->profile_fields();
    for (const event_type& t : p->event_types()) {
      is_order.push_back(t.lines_slot != event_type::no_slot && t.returns == no_index);
      sets_profile.push_back(!t.profile_updates.empty());
      value_slot.push_back(order_value_slot(t));
      if (t.anniversary_of == event_type::no_slot || t.rules.empty()) continue;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].slot == t.anniversary_of) anniversary_fields.push_back(i);
      }
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

  month_accum zero_row() const {
    month_accum m;
    const std::size_t w = totals.size();
    m.earned.assign(w, 0);
    m.redeemed.assign(w, 0);
    m.expired.assign(w, 0);
    m.reversed.assign(w, 0);
    m.outstanding.assign(w, 0);
    m.revenue = decimal::from_units(0, 2).value;
    return m;
  }

  month_accum& month_row(int at) {
    if (months.empty()) first_month = current_month = at;
    while (static_cast<int>(months.size()) <= at - first_month) months.push_back(zero_row());
    return months[static_cast<std::size_t>(at - first_month)];
  }

  std::uint32_t customer(std::string_view name, std::int32_t day) {
    const id128 id = event_builder::customer_id(name);
    const auto [at, inserted] =
        index.find_or_insert(id, static_cast<std::uint32_t>(members.size()));
    if (inserted) {
      members.push_back(eng.open(id));
      customer_info info;
      info.name = std::string(name);
      // The boundary that started this day passed before the customer was known.
      info.covered_day = day;
      customers.push_back(std::move(info));
      customer_net.resize(customer_net.size() + totals.size(), 0);
      if (options.every_day) schedule(at);
    }
    return at;
  }

  void snapshot(std::uint32_t c) {
    for (std::size_t w = 0; w < totals.size(); ++w) {
      before[w] = flows_of(members[c].ledger.wallets[w].totals);
    }
  }

  // Applies the change of one customer's balances (before -> now) to the totals and a month.
  void account(std::uint32_t c, int month) {
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

  // The next day boundary after the customer's covered day at which advance() has work: a lot
  // expiring or activating, a hold's deadline, a lapse, an anniversary of a customer date. Days
  // in between would be no-ops, so skipping them gives what daily advances give.
  std::int32_t next_due_day(std::uint32_t c) const {
    if (options.every_day) return customers[c].covered_day + 1;
    const member& m = members[c];
    const time_zone zone = p->zone();
    // The earliest instant at which the ledger has work; converted to a day once.
    timestamp first = timestamp::max();
    for (const wallet_state& w : m.ledger.wallets) {
      for (std::size_t i = w.first_open; i < w.lots.size(); ++i) {
        const lot& l = w.lots[i];
        if (l.remaining <= 0) continue;
        if (l.pending) first = std::min(first, l.activates_at);
        first = std::min(first, l.expires_at);
      }
      for (const hold& h : w.holds) {
        if (h.on_timeout != timeout_action::none) first = std::min(first, h.deadline);
      }
      if (w.last_activity) first = std::min(first, w.lapses_at);
    }
    std::int32_t best = first == timestamp::max() ? no_day : boundary_day(first, zone);
    const std::int32_t from = customers[c].covered_day + 1;
    for (const std::size_t f : anniversary_fields) {
      const value v = m.profile[f];
      if (v.is_null()) continue;
      const civil_date origin =
          v.kind() == value_kind::date ? v.as_date() : local_date(v.as_timestamp(), zone);
      // Both readings of 29 February: an extra advance on a day without work changes nothing.
      for (const feb29_rule rule : {feb29_rule::feb28, feb29_rule::mar1}) {
        best = std::min(best, next_anniversary(origin, civil_date{from}, rule).days);
      }
    }
    return best == no_day ? no_day : std::max(best, from);
  }

  // The local day of `t`, for events in time order: one time zone lookup per day, not per event.
  civil_date day_of(timestamp t) {
    if (t < day_start || t >= day_end) {
      cached_day = local_date(t, p->zone());
      day_start = start_of_day(cached_day, p->zone());
      day_end = start_of_day(civil_date{cached_day.days + 1}, p->zone());
    }
    return cached_day;
  }
  civil_date cached_day;
  timestamp day_start = timestamp::max();
  timestamp day_end = timestamp::min();

  // After an event: only its new entries can bring the due day forward (an entry that consumed
  // a lot can only delay it, and a due day found too early costs one advance() that does
  // nothing, after which the day is computed again in full).
  void schedule_after(std::uint32_t c, const std::vector<journal_entry>& entries) {
    timestamp first = timestamp::max();
    for (const journal_entry& e : entries) {
      first = std::min({first, e.expires_at, e.reissued_expires_at});
      if (e.marks_activity) first = std::min(first, e.lapses_at);
      if (e.kind == entry_kind::earn && e.op.activates_at > e.at) {
        first = std::min(first, e.op.activates_at);
      }
      if (e.kind == entry_kind::reserve) first = std::min(first, e.op.deadline);
    }
    if (first == timestamp::max()) return;
    customer_info& info = customers[c];
    const std::int32_t day = std::max(boundary_day(first, p->zone()), info.covered_day + 1);
    if (day >= info.due_day) return;
    info.due_day = day;
    due.push({day, c});
  }

  void schedule(std::uint32_t c) {
    customer_info& info = customers[c];
    const std::int32_t day = next_due_day(c);
    if (day == info.due_day) return;
    info.due_day = day;
    if (day != no_day) due.push({day, c});
  }

  // The end-of-day work for customer c at the boundary that starts local day `day`.
  void advance(std::uint32_t c, std::int32_t day) {
    customer_info& info = customers[c];
    info.covered_day = day;
    info.due_day = no_day;
    snapshot(c);
    eng.advance(members[c], start_of_day(civil_date{day}, p->zone()), popts, d);
    if (d.result == process_result::ok) {
      note_awards();
      account(c, current_month);
    }
    schedule(c);
  }

  void note_awards() {
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

  // Records the liability at the end of the current month and opens the next.
  void close_month() {
    month_accum& row = month_row(current_month);
    for (std::size_t w = 0; w < totals.size(); ++w) row.outstanding[w] = totals[w].outstanding;
    ++current_month;
  }

  // Every day boundary up to the start of `day`, in time order: each month's close first (its
  // liability is what is outstanding at its last instant), then the customers with work due.
  void run_boundaries(std::int32_t day) {
    for (;;) {
      const std::int32_t month_end = first_day(current_month + 1).days;
      const std::int32_t next_due = due.empty() ? no_day : due.top().day;
      if (month_end <= day && month_end <= next_due) {
        close_month();
        month_row(current_month);
        continue;
      }
      if (next_due > day) return;
      const due_entry e = due.top();
      due.pop();
      if (customers[e.customer].due_day != e.day) continue;  // rescheduled since
      advance(e.customer, e.day);
    }
  }

  void reject(std::size_t line, std::string_view why) {
    ++rejected;
    if (samples.size() < max_rejected_samples)
      samples.emplace_back(position, fmt::format("{}:{}: {}", path, line, why));
  }

  // A processed event: counted overall, by type (`type`; the last: loyalty.redeem) and month.
  void count(std::uint32_t c, timestamp at, std::size_t type, int month) {
    ++processed;
    ++type_counts[type];
    ++month_row(month).events;
    if (!first_at) first_at = at;
    last_at = at;
    if (!customers[c].counted) {
      customers[c].counted = true;
      ++counted_customers;
    }
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
      ++ordering_customers;
    }
    if (info.last_order_month == month - 1) ++row.retained;
    info.last_order_month = month;
  }

  void redeem(std::uint32_t c, const event_builder::redeem_request& r, timestamp at, int month) {
    member& m = members[c];
    const id128 id = event_id(raw.id);
    if (m.events.contains(id)) {
      ++duplicates;
      return;
    }
    snapshot(c);
    eng.ledger().decide(m.ledger, ledger_op::redeem(id, r.point_type, r.amount), at,
                        ledger_decision);
    count(c, at, type_counts.size() - 1, month);
    if (ledger_decision.result != ledger_result::ok) {
      // Not enough available: an outcome of the run, not a bad event. Nothing changes.
      ++refused;
      return;
    }
    if (!eng.ledger().apply(m.ledger, ledger_decision)) return;
    m.events.insert(id);
    ++m.version;
    ++redemptions;
    account(c, month);
    schedule(c);
  }

  void one(const event_source& source, const event_ref& ref) {
    ++events;
    if (ref.bad_at) {
      reject(ref.line, "'at' is missing or not an instant (2026-11-28T14:30:00+01:00)");
      return;
    }
    if (!source.parse(ref, raw, error)) {
      // parse() names the file and line itself.
      ++rejected;
      if (samples.size() < max_rejected_samples) samples.emplace_back(position, error);
      return;
    }
    event_builder::kind what{};
    event_builder::redeem_request req;
    if (!builder.build(raw, what, req, error)) {
      reject(ref.line, error);
      return;
    }
    const civil_date day = day_of(ref.at);
    const int month = month_index(day);
    if (months.empty()) month_row(month);
    run_boundaries(day.days);
    const std::uint32_t c = customer(raw.customer, day.days);
    if (what == event_builder::kind::redeem) {
      redeem(c, req, ref.at, month);
      return;
    }
    const event& e = builder.event();
    snapshot(c);
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
    count(c, ref.at, e.type(), month);
    note_awards();
    account(c, month);
    if (is_order[e.type()]) order_stats(c, e, month);
    if (sets_profile[e.type()]) {
      schedule(c);
    } else if (!d.entries.empty()) {
      schedule_after(c, d.entries);
    }
  }

  // Adds another shard's figures to this one's (customers are disjoint between shards).
  void merge(const state& o) {
    for (std::size_t w = 0; w < totals.size(); ++w) {
      flows& t = totals[w];
      const flows& f = o.totals[w];
      t.earned += f.earned;
      t.spent += f.spent;
      t.expired += f.expired;
      t.reversed += f.reversed;
      t.outstanding += f.outstanding;
      t.available += f.available;
      t.pending += f.pending;
      t.debt += f.debt;
    }
    if (!o.months.empty()) {
      if (months.empty()) {
        first_month = o.first_month;
        current_month = o.current_month;
      }
      if (first_month > o.first_month) {
        // Start earlier: this shard's rows move back by the difference.
        std::vector<month_accum> rows;
        const auto shift = static_cast<std::size_t>(first_month - o.first_month);
        for (std::size_t i = 0; i < shift + months.size(); ++i) rows.push_back(zero_row());
        for (std::size_t i = 0; i < months.size(); ++i) rows[shift + i] = std::move(months[i]);
        months = std::move(rows);
        first_month = o.first_month;
      }
      for (std::size_t i = 0; i < o.months.size(); ++i) {
        month_accum& m = month_row(o.first_month + static_cast<int>(i));
        const month_accum& x = o.months[i];
        for (std::size_t w = 0; w < totals.size(); ++w) {
          m.earned[w] += x.earned[w];
          m.redeemed[w] += x.redeemed[w];
          m.expired[w] += x.expired[w];
          m.reversed[w] += x.reversed[w];
          m.outstanding[w] += x.outstanding[w];
        }
        m.events += x.events;
        m.orders += x.orders;
        m.revenue = plus(m.revenue, x.revenue);
        m.active += x.active;
        m.fresh += x.fresh;
        m.retained += x.retained;
      }
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
      rules[i].fired += o.rules[i].fired;
      rules[i].awarded += o.rules[i].awarded;
      rules[i].reversed += o.rules[i].reversed;
    }
    for (std::size_t i = 0; i < type_counts.size(); ++i) type_counts[i] += o.type_counts[i];
    events += o.events;
    processed += o.processed;
    duplicates += o.duplicates;
    rejected += o.rejected;
    counted_customers += o.counted_customers;
    ordering_customers += o.ordering_customers;
    redemptions += o.redemptions;
    refused += o.refused;
    samples.insert(samples.end(), o.samples.begin(), o.samples.end());
    std::sort(samples.begin(), samples.end());
    if (samples.size() > max_rejected_samples) samples.resize(max_rejected_samples);
    if (o.first_at && (!first_at || *o.first_at < *first_at)) first_at = o.first_at;
    if (o.last_at && (!last_at || *o.last_at > *last_at)) last_at = o.last_at;
  }

  // Runs this shard's events: those of its customers (and, for shard 0, events without one).
  // Runs this group's events (`positions`: indices into the source's events, in time order);
  // `done` counts events run by every thread, for the progress bar.
  void run(const event_source& source, std::span<const std::uint32_t> positions,
           std::atomic<std::size_t>& done) {
    path = source.path();
    const auto& refs = source.events();
    std::size_t counted = 0;
    for (const std::uint32_t i : positions) {
      position = i;
      one(source, refs[i]);
      if (++counted == 1024) {
        done.fetch_add(counted, std::memory_order_relaxed);
        counted = 0;
      }
    }
    done.fetch_add(counted, std::memory_order_relaxed);
  }

  // The end of the run: every day boundary up to the end of `last_month`, then its close.
  void finish(int last_month) {
    if (months.empty()) return;
    run_boundaries(first_day(last_month + 1).days - 1);
    while (current_month <= last_month) close_month();
  }
};

simulation::simulation(std::shared_ptr<const program> p, simulation_options options)
    : p_(std::move(p)), options_(std::move(options)) {}

simulation::~simulation() = default;

bool simulation::run_sharded(const event_source& source, std::uint32_t threads,
                             std::uint32_t groups) {
  // Customers are split into groups by a hash of their id; each thread runs its groups one
  // after another, each group's events in time order. A group's customers stay in the caches
  // while their events run, which a run over all customers at once cannot have. Customers meet
  // only in campaign budgets: with several groups each gets an unlimited budget, and the run
  // stands only if the groups together used no more than the real limit. Then no event found its
  // budget short, so every event was decided exactly as in one run in time order
  // (docs/simulate.md).
  const auto& refs = source.events();
  std::vector<std::uint32_t> first(groups + 1, 0);
  for (const event_ref& r : refs) ++first[r.customer_hash % groups + 1];
  for (std::uint32_t g = 0; g < groups; ++g) first[g + 1] += first[g];
  std::vector<std::uint32_t> positions(refs.size());
  {
    std::vector<std::uint32_t> next(first.begin(), first.end() - 1);
    for (std::size_t i = 0; i < refs.size(); ++i) {
      positions[next[refs[i].customer_hash % groups]++] = static_cast<std::uint32_t>(i);
    }
  }
  shards_.clear();
  for (std::uint32_t g = 0; g < groups; ++g) {
    shards_.push_back(std::make_unique<state>(p_, options_));
  }
  constexpr std::int64_t unlimited = INT64_MAX / 4;
  if (groups > 1) {
    for (auto& s : shards_) std::fill(s->budgets_left.begin(), s->budgets_left.end(), unlimited);
  }
  std::atomic<std::size_t> done{0};
  const auto work = [&](std::uint32_t thread) {
    for (std::uint32_t g = thread; g < groups; g += threads) {
      shards_[g]->run(
          source,
          std::span<const std::uint32_t>(positions.data() + first[g], first[g + 1] - first[g]),
          done);
      if (thread == 0 && options_.progress) {
        options_.progress(done.load(std::memory_order_relaxed), refs.size());
      }
    }
  };
  std::vector<std::thread> workers;
  for (std::uint32_t k = 1; k < threads; ++k) workers.emplace_back(work, k);
  work(0);
  for (std::thread& t : workers) t.join();
  int last_month = INT_MIN;
  for (const auto& s : shards_) {
    if (!s->months.empty()) last_month = std::max(last_month, s->current_month);
  }
  if (last_month != INT_MIN) {
    for (auto& s : shards_) s->finish(last_month);
  }
  if (groups > 1) {
    for (std::size_t b = 0; b < p_->budgets().size(); ++b) {
      std::int64_t used = 0;
      for (const auto& s : shards_) used += unlimited - s->budgets_left[b];
      if (used > p_->budgets()[b].limit) return false;
    }
  }
  for (std::size_t k = 1; k < shards_.size(); ++k) shards_[0]->merge(*shards_[k]);
  return true;
}

void simulation::run(const event_source& source) {
  std::uint32_t shards =
      options_.threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : options_.threads;
  shards = std::min<std::uint32_t>(shards, 64);
  // Groups of about 2,000 events (a few hundred customers), at least one per thread.
  std::uint32_t groups = options_.groups;
  if (groups == 0) {
    groups = static_cast<std::uint32_t>(
        std::clamp<std::size_t>(source.events().size() / 2'000, shards, 4'096));
  }
  groups = std::max(groups, shards);
  if (!run_sharded(source, shards, groups)) {
    // A budget ran short: its order across customers matters, so run in time order.
    run_sharded(source, 1, 1);
    sequential_ = true;
  }
  if (options_.progress) options_.progress(source.events().size(), source.events().size());
}

report simulation::make_report(std::string events_source) const {
  const state& s = *shards_.front();
  const program& p = *s.p;
  report r;
  r.program_name = p.name();
  r.program_version = p.version();
  r.time_zone = p.time_zone();
  r.currency = p.currencies().empty() ? "" : std::string(p.currencies().front()->code);
  r.events_source = std::move(events_source);
  const auto local = [&](std::optional<timestamp> t) -> std::string {
    if (!t) return {};
    const civil_date d = local_date(*t, p.zone());
    const std::int64_t secs = local_time_of_day(*t, p.zone()).micros / 1'000'000;
    return fmt::format("{} {:02}:{:02}", to_string(d), secs / 3600, secs / 60 % 60);
  };
  r.first_event = local(s.first_at);
  r.last_event = local(s.last_at);
  r.customers = s.counted_customers;
  r.events = s.events;
  r.processed = s.processed;
  r.duplicates = s.duplicates;
  r.rejected = s.rejected;
  for (const auto& [position, text] : s.samples) r.rejected_samples.push_back(text);
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
  r.ordering_customers = s.ordering_customers;
  r.average_order_value = ratio(r.revenue, decimal::from_int(r.orders).value, 2);
  r.purchase_frequency =
      ratio(decimal::from_int(r.orders).value, decimal::from_int(r.ordering_customers).value, 2);
  r.redemptions = s.redemptions;
  r.redemptions_refused = s.refused;
  r.liability_value = zero2;
  r.expected_breakage_value = zero2;
  r.net_liability_value = zero2;
  for (std::size_t w = 0; w < p.point_types().size(); ++w) {
    const point_type& t = p.point_types()[w];
    const flows& f = s.totals[w];
    point_summary ps;
    ps.id = t.id;
    ps.name = t.name;
    ps.money = t.is_money();
    ps.has_value = t.value.has_value();
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
    r.expected_breakage_value = plus(r.expected_breakage_value, ps.expected_breakage_value);
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
  std::vector<customer_totals> out;
  for (const auto& shard : shards_) {
    const state& s = *shard;
    const std::size_t w = s.totals.size();
    for (std::size_t c = 0; c < s.customers.size(); ++c) {
      decimal v = decimal::from_units(0, 2).value;
      for (std::size_t k = 0; k < w; ++k) {
        const point_type& t = s.p->point_types()[k];
        v = plus(
            v, times(units_at(s.customer_net[c * w + k], t.scale), t.value.value_or(decimal()), 2));
      }
      out.push_back({s.customers[c].name, v});
    }
  }
  return out;
}

}  // namespace loyalty::cli
