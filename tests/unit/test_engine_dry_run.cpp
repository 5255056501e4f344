// Dry runs and time travel (docs/rules.md#dry-run): the host copies a member, runs process() or
// advance() on the copy with any `now`, reads the decision and the balances, and throws the copy
// away. The copy shows exactly what would happen; the stored member does not change.
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine_test_util.hpp"
#include "loyalty/engine.hpp"

using loyalty::decimal;
using loyalty::entry_kind;
using loyalty::member;
using loyalty::process_result;
using loyalty::timestamp;
using loyalty::value;

namespace {

// Points expire 6 months after they are earned, at the end of that month, Berlin time; order
// points are pending for 14 days; one order bonus per month; 2 % cashback.
const char* const program_yaml = R"(name: Dry run
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
    expiry: {policy: after, period: 6 months, round_to: month}
  - id: cashback
    currency: EUR
    rounding: half_even
schema:
  records:
    line: {sku: text, price: decimal(2), qty: integer}
events:
  order.completed:
    fields: {lines: list<line>, net: decimal(2)}
    lines: lines
    quantity: qty
  customer.registered:
rules:
  - id: welcome
    on: customer.registered
    award: 50
    into: points
  - id: base_points
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    pending: 14 days
  - id: cashback
    on: order.completed
    award: event.net * 0.02
    into: cashback
  - id: order_bonus
    on: order.completed
    award: 10
    into: points
    caps:
      - {count: 1, per: customer, period: month}
)";

timestamp at(const char* text) {
  const auto t = loyalty::parse_timestamp(text);
  REQUIRE(t.has_value());
  return *t;
}

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

struct line {
  const char* sku;
  const char* price;
  std::int64_t qty;
};

struct shop {
  std::shared_ptr<const loyalty::program> program;
  loyalty::engine engine;
  mutable std::deque<std::vector<value>> lines_memory;

  shop() : program(load()), engine(program) {}
  static std::shared_ptr<const loyalty::program> load() {
    loyalty::load_result r = loyalty::load_program(program_yaml, "dry_run.yaml");
    INFO(loyalty::render(r.diagnostics));
    REQUIRE(r.ok());
    return r.program;
  }

  loyalty::event order(const char* id, const char* when, const std::vector<line>& lines,
                       const char* net) const {
    loyalty::event e(*program, "order.completed");
    e.reset(loyalty::event_id(id), at(when));
    // An event's lines point into the host's memory, which must outlive processing.
    std::vector<value>& rows = lines_memory.emplace_back();
    for (const line& l : lines) {
      rows.push_back(value::of_string(l.sku));
      rows.push_back(value::of_decimal(d(l.price)));
      rows.push_back(value::of_int(l.qty));
    }
    REQUIRE(e.set("event.lines",
                  value::of_list(rows.data(), static_cast<std::uint32_t>(lines.size()), 3)));
    REQUIRE(e.set("event.net", d(net)));
    return e;
  }
  loyalty::event registered(const char* id, const char* when) const {
    loyalty::event e(*program, "customer.registered");
    e.reset(loyalty::event_id(id), at(when));
    return e;
  }
  /// available, pending, expired of a point type, in units.
  std::vector<std::int64_t> balance(const member& m, const char* type) const {
    const loyalty::balances b = engine.balance(m, type);
    return {b.available, b.pending, b.expired};
  }
};

std::vector<entry_kind> kinds(const loyalty::engine_decision& dec) {
  std::vector<entry_kind> k;
  for (const loyalty::journal_entry& e : dec.entries) k.push_back(e.kind);
  return k;
}

/// Alice: registered on 5 January 2026 (welcome 50, expiring at 1 August 00:00 CEST), one order
/// on 10 March (65 pending until 24 March, 10 order bonus, 1.30 cashback; the points expire at
/// 1 October 00:00 CEST).
member alice(const shop& s) {
  member m = s.engine.open(loyalty::id128{0, 0xA11CE});
  const loyalty::event reg = s.registered("REG-1", "2026-01-05T10:00:00+01:00");
  REQUIRE(s.engine.process(m, reg, reg.at()).result == process_result::ok);
  const loyalty::event inv = s.order("INV-1", "2026-03-10T10:00:00+01:00",
                                     {{"A", "40.00", 1}, {"B", "12.50", 2}}, "65.00");
  const loyalty::engine_decision dec = s.engine.process(m, inv, inv.at());
  REQUIRE(dec.result == process_result::ok);
  REQUIRE(m.version == 2);
  REQUIRE(s.balance(m, "points") == std::vector<std::int64_t>{60, 65, 0});
  REQUIRE(s.balance(m, "cashback") == std::vector<std::int64_t>{130, 0, 0});
  return m;
}

}  // namespace

TEST_CASE("engine dry run: balances at a future date, from a copy", "[engine]") {
  const shop s;
  const member stored = alice(s);
  const member before = stored;  // what the host has stored, to compare with at the end

  // Time travel to 15 August: advance() on a copy, as the daily job would have run it.
  member copy = stored;
  const loyalty::engine_decision dec = s.engine.advance(copy, at("2026-08-15T12:00:00+02:00"));
  REQUIRE(dec.result == process_result::ok);
  // The 65 pending points activated on 24 March; the 50 welcome points expired on 1 August.
  REQUIRE(kinds(dec) == std::vector<entry_kind>{entry_kind::activate, entry_kind::expire});
  CHECK(dec.entries[0].units == 65);
  CHECK(dec.entries[0].expires_at == at("2026-09-30T22:00:00Z"));
  CHECK(dec.entries[1].units == 50);
  const loyalty::lot& welcome = copy.ledger.wallets[0].lots.front();
  CHECK(welcome.source_event == loyalty::event_id("REG-1"));
  CHECK(dec.entries[1].parts == std::vector<loyalty::lot_part>{{welcome.id, 50}});
  CHECK(s.balance(copy, "points") == std::vector<std::int64_t>{75, 0, 50});
  CHECK(s.balance(copy, "cashback") == std::vector<std::int64_t>{130, 0, 0});
  CHECK(copy.version == 3);
  CHECK(copy.ledger.version == stored.ledger.version + 2);

  // Further, to 5 October: the 75 points of March expired on 1 October (00:00 CEST); an order
  // processed with that `now` shows those expiries first in its own decision.
  const loyalty::event late =
      s.order("INV-3", "2026-10-05T12:00:00+02:00", {{"C", "30.00", 1}}, "30.00");
  const loyalty::engine_decision order = s.engine.process(copy, late, late.at());
  REQUIRE(order.result == process_result::ok);
  REQUIRE(kinds(order) == std::vector<entry_kind>{entry_kind::expire, entry_kind::expire,
                                                  entry_kind::earn, entry_kind::earn,
                                                  entry_kind::earn});
  std::vector<std::int64_t> expired{order.entries[0].units, order.entries[1].units};
  std::sort(expired.begin(), expired.end());
  CHECK(expired == std::vector<std::int64_t>{10, 65});
  CHECK(order.entries[2].units == 30);  // base_points, pending until 19 October
  CHECK(order.entries[2].op.activates_at == at("2026-10-19T10:00:00Z"));
  CHECK(order.entries[2].expires_at == at("2027-04-30T22:00:00Z"));
  CHECK(order.entries[3].units == 60);  // cashback 0.60
  CHECK(order.entries[4].units == 10);  // a new month: the order bonus again
  CHECK(s.balance(copy, "points") == std::vector<std::int64_t>{10, 30, 125});
  CHECK(s.balance(copy, "cashback") == std::vector<std::int64_t>{190, 0, 0});

  // The copy is thrown away; the stored member never changed.
  etest::same_member(stored, before);
  CHECK(s.balance(stored, "points") == std::vector<std::int64_t>{60, 65, 0});
  CHECK(stored.version == 2);
}

TEST_CASE("engine dry run: previewing an order gives exactly what processing it gives",
          "[engine]") {
  const shop s;
  member stored = alice(s);
  const member before = stored;
  const loyalty::event inv =
      s.order("INV-2", "2026-03-15T18:00:00+01:00", {{"A", "19.99", 1}, {"D", "0.99", 1}}, "20.98");

  // The preview: the same call on a copy.
  member copy = stored;
  const loyalty::engine_decision preview = s.engine.process(copy, inv, inv.at());
  REQUIRE(preview.result == process_result::ok);
  // base_points 19 + 0 (rounded down per line), pending; the order bonus is used up for March;
  // cashback 20.98 * 0.02 = 0.4196 -> 0.42.
  REQUIRE(preview.awards.size() == 2);
  CHECK(preview.awards[0].amount == d("19"));
  CHECK(preview.awards[0].pending);
  CHECK(preview.awards[1].amount == d("0.42"));
  CHECK(s.balance(copy, "points") == std::vector<std::int64_t>{60, 84, 0});
  etest::same_member(stored, before);

  // Processing it for real, at the same `now`, gives the same decision: the same awards and
  // entries with the same ids, so the preview showed exactly what the customer gets.
  const loyalty::engine_decision real = s.engine.process(stored, inv, inv.at());
  REQUIRE(real.result == process_result::ok);
  REQUIRE(real.awards.size() == preview.awards.size());
  for (std::size_t i = 0; i < real.awards.size(); ++i) {
    CHECK(real.awards[i].rule == preview.awards[i].rule);
    CHECK(real.awards[i].op == preview.awards[i].op);
    CHECK(real.awards[i].amount == preview.awards[i].amount);
  }
  REQUIRE(real.entries.size() == preview.entries.size());
  for (std::size_t i = 0; i < real.entries.size(); ++i) {
    CHECK(real.entries[i].id == preview.entries[i].id);
    CHECK(real.entries[i].kind == preview.entries[i].kind);
    CHECK(real.entries[i].units == preview.entries[i].units);
  }
  etest::same_member(stored, copy);
}
