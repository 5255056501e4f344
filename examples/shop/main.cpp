// Embedding loyalty in a shop backend: the host reads the program file itself (the library does
// no I/O), loads it once, and runs its events through the engine: a registration, an order with
// an explanation of every rule, a partial return, and the close of the return window.
// docs/rules.md walks through this output.
//
//   usage: shop_example PROGRAM.yaml
#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty/engine.hpp"
#include "loyalty/format.hpp"
#include "loyalty/loyalty.hpp"

namespace {

using loyalty::decimal;
using loyalty::value;

decimal dec(const char* text) {
  return decimal::parse(text).value_or_throw();
}
loyalty::timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}

/// Order lines, in the fields of the program's `line` record: sku, category, price, qty,
/// discount, gift_card.
struct order_lines {
  std::vector<value> cells;
  void add(const char* sku, const char* category, const char* price, std::int64_t qty,
           const char* discount, bool gift_card) {
    cells.insert(cells.end(),
                 {value::of_string(sku), value::of_string(category), value::of_decimal(dec(price)),
                  value::of_int(qty), value::of_decimal(dec(discount)), value::of_bool(gift_card)});
  }
  value list() const {
    return value::of_list(cells.data(), static_cast<std::uint32_t>(cells.size() / 6), 6);
  }
};

void print_decision(const loyalty::program& p, const char* what,
                    const loyalty::engine_decision& d) {
  fmt::print("{}: {}\n", what, loyalty::to_string(d.result));
  // With process_options::explain, one trace per rule evaluated, in file order.
  for (const loyalty::rule_trace& t : d.trace) {
    const loyalty::earning_rule& r = p.rules()[t.rule];
    std::string line = fmt::format("  {:<16} {}", r.id, loyalty::to_string(t.outcome));
    if (t.outcome == loyalty::rule_outcome::awarded) {
      line += fmt::format(" {} {}", t.awarded, p.point_types()[r.point_type].id);
      for (const loyalty::award& a : d.awards) {
        if (a.rule == t.rule && a.pending) line += " (pending)";
      }
    }
    fmt::print("{}\n", line);
    for (const loyalty::clause_trace& c : t.clauses) {
      const std::string v = c.result.is_null() ? "null" : (c.result.as_bool() ? "true" : "false");
      fmt::print("      {}: {}\n", r.when[c.clause].text, v);
    }
  }
  for (const loyalty::reversal& r : d.reversals) {
    fmt::print("  {:<16} reversed {} {}\n", p.rules()[r.rule].id, r.reversed,
               p.point_types()[r.wallet].id);
  }
  for (const loyalty::budget_use& b : d.budgets) {
    fmt::print("  budget {} uses {}\n", p.budgets()[b.budget].id, b.units);
  }
  for (const loyalty::engine_message& m : d.messages) fmt::print("  message {}\n", m.text);
}

void print_balances(const loyalty::engine& eng, const loyalty::member& m) {
  for (const loyalty::point_type& t : eng.program().point_types()) {
    const loyalty::balances b = eng.balance(m, t.id);
    fmt::print("  {}: {} available, {} pending\n", t.id,
               decimal::from_units(b.available, t.scale).value,
               decimal::from_units(b.pending, t.scale).value);
  }
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

  // Load once at start-up; the program and the engine are immutable and shared by every thread.
  const loyalty::load_result loaded = loyalty::load_program(text.str(), argv[1]);
  fmt::print("{}", loyalty::render(loaded.diagnostics));
  if (!loaded.ok()) return 1;
  const loyalty::program& program = *loaded.program;
  fmt::print("{} ({}), time zone {}\n", program.name(), program.version(), program.time_zone());
  const loyalty::engine eng(loaded.program);

  // A member is the host's copy of one customer's state. A real host loads it from storage,
  // and after each decision stores it with d.entries, if the stored version is still
  // d.read_version (otherwise: reload and process the event again).
  loyalty::member alice = eng.open(loyalty::id128{0, 42});
  if (!alice.set_profile(program, "customer.tier",
                         value::of_enum(program.schema().enum_code("tier", "gold")))) {
    return 1;
  }
  loyalty::process_options options;
  options.explain = true;
  std::vector<std::int64_t> budgets_left = {1'000'000};  // black_friday, from the host's counter
  options.budgets = budgets_left;

  loyalty::event reg(program, "customer.registered");
  reg.reset(loyalty::event_id("REG-42"), at("2026-11-02T09:00:00+01:00"));
  if (!reg.set("event.birthday", value::of_date(loyalty::parse_date("1990-11-30").value())) ||
      !reg.set("event.joined", value::of_date(loyalty::parse_date("2026-11-02").value()))) {
    return 1;
  }
  print_decision(program, "customer.registered REG-42",
                 eng.process(alice, reg, at("2026-11-02T09:00:00+01:00"), options));

  // Saturday of the Black Friday weekend, in the app: two coffees, a gift box with 5.00 off,
  // a 50.00 gift card.
  order_lines lines;
  lines.add("COF-1", "coffee", "12.50", 2, "0.00", false);
  lines.add("GIFT-BOX", "gifts", "30.00", 1, "5.00", false);
  lines.add("GC-50", "gift_cards", "50.00", 1, "0.00", true);
  loyalty::event order(program, "order.completed");
  order.reset(loyalty::event_id("INV-1001"), at("2026-11-28T14:30:00+01:00"));
  const bool ok =
      order.set("event.lines", lines.list()) && order.set("event.gross", dec("119.00")) &&
      order.set("event.net", dec("100.00")) && order.set("event.tax", dec("14.10")) &&
      order.set("event.shipping", dec("4.90")) &&
      order.set("event.channel", value::of_enum(program.schema().enum_code("channel", "app")));
  if (!ok) return 1;
  print_decision(program, "order.completed INV-1001",
                 eng.process(alice, order, at("2026-11-28T14:31:00+01:00"), options));
  print_balances(eng, alice);

  // One of the two coffees comes back (line 0, quantity 1).
  loyalty::event ret(program, "order.returned");
  ret.reset(loyalty::event_id("RET-1"), at("2026-12-01T10:00:00+01:00"));
  ret.set_original(loyalty::event_id("INV-1001"));
  ret.add_returned_line(0, 1);
  print_decision(program, "order.returned RET-1",
                 eng.process(alice, ret, at("2026-12-01T10:00:00+01:00"), options));
  print_balances(eng, alice);

  // The return window closes: the base points become spendable.
  loyalty::event closed(program, "order.return_window_closed");
  closed.reset(loyalty::event_id("INV-1001/closed"), at("2026-12-12T00:00:00+01:00"));
  closed.set_original(loyalty::event_id("INV-1001"));
  print_decision(program, "order.return_window_closed",
                 eng.process(alice, closed, at("2026-12-12T00:00:00+01:00"), options));
  print_balances(eng, alice);
  return 0;
}
