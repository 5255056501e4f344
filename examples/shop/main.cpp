// Embedding loyalty in a shop backend: the host reads the program file itself (the library does
// no I/O), loads it once, and for each customer action builds an event, lets the engine decide,
// and persists what it returns. Here the "database" is a map of members in memory.
//
//   usage: shop_example PROGRAM.yaml
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "loyalty/loyalty.hpp"

namespace {

using loyalty::decimal;
using loyalty::value;

decimal money(const char* text) {
  return decimal::parse(text).value_or_throw();
}
loyalty::timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}

void print(const loyalty::program& p, const loyalty::engine_decision& d) {
  for (const loyalty::rule_trace& t : d.trace) {
    const loyalty::earning_rule& r = p.rules()[t.rule];
    if (t.outcome == loyalty::rule_outcome::awarded) {
      fmt::print(
          "  {:<15} awarded {} {}{}\n", r.id, t.awarded.to_string(),
          p.point_types()[r.point_type].id,
          t.uncapped == t.awarded ? "" : fmt::format(" (uncapped {})", t.uncapped.to_string()));
    } else {
      fmt::print("  {:<15} {}\n", r.id, loyalty::to_string(t.outcome));
    }
  }
  for (const loyalty::reversal& r : d.reversals) {
    fmt::print("  returned: {} of {} {} taken back\n", r.reversed.to_string(), p.rules()[r.rule].id,
               p.point_types()[r.wallet].id);
  }
  for (const loyalty::engine_message& m : d.messages) fmt::print("  message: {}\n", m.text);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: shop_example PROGRAM.yaml\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();

  // Load once at start-up; the program and the engine are immutable and shared by all threads.
  const loyalty::load_result loaded = loyalty::load_program(text.str(), argv[1]);
  fmt::print("{}", loyalty::render(loaded.diagnostics));
  if (!loaded.ok()) return 1;
  const loyalty::program& program = *loaded.program;
  const loyalty::engine engine(loaded.program);
  fmt::print("{} ({}): {} rules\n", program.name(), program.version(), program.rules().size());

  loyalty::memory_member_store db;  // a real host: its database
  const loyalty::id128 alice_id{0, 42};
  loyalty::engine_decision d;  // reused for every call: it keeps its memory
  loyalty::process_options options;
  std::vector<std::int64_t> budgets;  // the host's budget counters (units left)
  for (const loyalty::budget& b : program.budgets()) budgets.push_back(b.limit);
  options.budgets = budgets;
  options.explain = true;

  // Each step: load (or open) the member, process, commit; on a conflict reload and retry.
  auto handle = [&](const loyalty::event& e, loyalty::timestamp now) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::optional<loyalty::member> stored = db.load(alice_id);
      loyalty::member m = stored ? std::move(*stored) : engine.open(alice_id);
      if (!stored) {
        (void)m.set_profile(program, "customer.tier",
                            value::of_enum(program.schema().enum_code("tier", "silver")));
      }
      engine.process(m, e, now, options, d);
      if (d.result == loyalty::process_result::duplicate) {
        fmt::print("  duplicate: already processed, nothing changes ({} awards as before)\n",
                   d.awards.size());
        return;
      }
      if (d.result != loyalty::process_result::ok) {
        fmt::print("  {}: {}\n", loyalty::to_string(d.result), d.detail);
        return;
      }
      // Reserve the budgets the decision uses, then commit member and journal together.
      for (const loyalty::budget_use& u : d.budgets) budgets[u.budget] -= u.units;
      if (db.commit(m, d.entries, d.read_version)) {
        print(program, d);
        return;
      }
      for (const loyalty::budget_use& u : d.budgets) budgets[u.budget] += u.units;
    }
  };
  auto balances = [&] {
    const loyalty::member m = *db.load(alice_id);
    const auto p = engine.balance(m, "points");
    const auto c = engine.balance(m, "cashback");
    fmt::print("  balance: {} points available, {} pending; cashback {} EUR\n", p.available,
               p.pending, decimal::from_units(c.available, 2).value.to_string());
  };

  fmt::print("registered:\n");
  loyalty::event reg(program, "customer.registered");
  reg.reset(loyalty::event_id("reg-42"), at("2026-11-02T09:00:00+01:00"));
  (void)reg.set("event.joined", value::of_date(loyalty::parse_date("2026-11-02").value()));
  handle(reg, at("2026-11-02T09:00:00+01:00"));
  balances();

  // An order on Black Friday: 2 coffees, a gift box with a 5 EUR discount, a gift card.
  fmt::print("order INV-1001 (Black Friday, web, silver tier):\n");
  const std::vector<value> rows = {
      value::of_string("COF-1"),         value::of_string("coffee"),
      value::of_decimal(money("12.50")), value::of_int(2),
      value::of_decimal(money("0.00")),  value::of_bool(false),
      value::of_string("GIFT-BOX"),      value::of_string("gifts"),
      value::of_decimal(money("30.00")), value::of_int(1),
      value::of_decimal(money("5.00")),  value::of_bool(false),
      value::of_string("GC-50"),         value::of_string("gift_cards"),
      value::of_decimal(money("50.00")), value::of_int(1),
      value::of_decimal(money("0.00")),  value::of_bool(true)};
  loyalty::event order(program, "order.completed");
  order.reset(loyalty::event_id("INV-1001"), at("2026-11-28T14:30:00+01:00"));
  (void)order.set("event.lines", value::of_list(rows.data(), 3, 6));
  (void)order.set("event.net", money("100.00"));
  (void)order.set("event.gross", money("119.00"));
  (void)order.set("event.tax", money("19.00"));
  (void)order.set("event.shipping", money("0.00"));
  (void)order.set("event.channel", value::of_enum(program.schema().enum_code("channel", "web")));
  handle(order, at("2026-11-28T14:30:00+01:00"));
  balances();

  fmt::print("the same order again (a retried request):\n");
  handle(order, at("2026-11-28T14:31:00+01:00"));
  balances();

  fmt::print("one coffee returned:\n");
  loyalty::event ret(program, "order.returned");
  ret.reset(loyalty::event_id("RET-1001"), at("2026-12-01T10:00:00+01:00"));
  ret.set_original(loyalty::event_id("INV-1001"));
  ret.add_returned_line(0, 1);
  handle(ret, at("2026-12-01T10:00:00+01:00"));
  balances();

  fmt::print("return window closed:\n");
  loyalty::event closed(program, "order.return_window_closed");
  closed.reset(loyalty::event_id("INV-1001/closed"), at("2026-12-29T00:00:00+01:00"));
  closed.set_original(loyalty::event_id("INV-1001"));
  handle(closed, at("2026-12-29T00:00:00+01:00"));
  balances();
  fmt::print("journal: {} entries\n", db.journal(alice_id).size());
  return 0;
}
