// Helpers for the engine tests (tests/unit/test_engine_*.cpp): a small program header shared by
// most tests, to which each test appends its own `rules:` (and `groups:`, `budgets:`) as an
// inline YAML raw string, a harness that runs one member through one engine, and a field-by-field
// comparison of two members.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger_test_util.hpp"
#include "loyalty/engine.hpp"

namespace etest {

using loyalty::decimal;
using loyalty::value;

/// The common part of the test programs, in Berlin time:
///
///   point types  points (scale 0, floor; return policy @RETURN_POLICY@),
///                cashback (EUR, scale 2, half_even)
///   line         sku, category, price (decimal(2), unit price), qty, gift_card
///   customer     tier (bronze, silver, gold; optional), birthday, joined (optional dates)
///   events       order.completed (lines, total, tax, shipping, gift_cards; lines weigh
///                price * qty), order.returned (returns order.completed), order.closed
///                (refers_to order.completed), customer.registered (sets the profile),
///                review.approved, social.shared, referral.converted (role),
///                ping (optional value, flag, n, tag: for conditions and explanations)
inline constexpr std::string_view common_header = R"(name: Engine test
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
    return_policy: @RETURN_POLICY@
  - id: cashback
    currency: EUR
    rounding: half_even
schema:
  enums:
    tier: [bronze, silver, gold]
    role: [referrer, referred]
  records:
    line:
      sku: text
      category: text
      price: decimal(2)
      qty: integer
      gift_card: bool
  fields:
    customer.tier: tier?
    customer.birthday: date?
    customer.joined: date?
events:
  order.completed:
    fields:
      lines: list<line>
      total: decimal(2)
      tax: decimal(2)
      shipping: decimal(2)
      gift_cards: decimal(2)
    lines: lines
    quantity: qty
    line_value: line.price * line.qty
  order.returned:
    returns: order.completed
  order.closed:
    refers_to: order.completed
  customer.registered:
    fields:
      birthday: date?
      joined: date?
      tier: tier?
    profile:
      customer.birthday: birthday
      customer.joined: joined
      customer.tier: tier
  review.approved:
  social.shared:
  referral.converted:
    fields:
      role: role
  ping:
    fields:
      value: decimal(2)?
      flag: bool?
      n: integer?
      tag: text?
)";

/// common_header with `return_policy` filled in, followed by `rest` (rules, groups, budgets).
inline std::string program_text(std::string_view rest,
                                std::string_view return_policy = "within_balance") {
  std::string text(common_header);
  const std::string token = "@RETURN_POLICY@";
  text.replace(text.find(token), token.size(), return_policy);
  text += rest;
  return text;
}

inline std::shared_ptr<const loyalty::program> load(std::string_view yaml) {
  loyalty::load_result r = loyalty::load_program(yaml, "test.yaml");
  INFO(loyalty::render(r.diagnostics));
  REQUIRE(r.ok());
  return r.program;
}

inline loyalty::timestamp at(std::string_view text) {
  const auto t = loyalty::parse_timestamp(text);
  REQUIRE(t.has_value());
  return *t;
}
inline loyalty::civil_date date(std::string_view text) {
  const auto d = loyalty::parse_date(text);
  REQUIRE(d.has_value());
  return *d;
}
inline decimal d(std::string_view text) {
  const auto r = decimal::parse(text);
  REQUIRE(r.ok());
  return r.value;
}

/// Order lines in the record's field order: sku, category, price, qty, gift_card.
struct lines {
  std::vector<value> rows;
  lines& add(const char* sku, const char* category, const char* price, std::int64_t qty,
             bool gift_card = false) {
    rows.push_back(value::of_string(sku));
    rows.push_back(value::of_string(category));
    rows.push_back(value::of_decimal(d(price)));
    rows.push_back(value::of_int(qty));
    rows.push_back(value::of_bool(gift_card));
    return *this;
  }
  value list() const {
    return value::of_list(rows.data(), static_cast<std::uint32_t>(rows.size() / 5), 5);
  }
};

/// The amounts of an order.completed event (`total` includes tax, shipping and gift cards).
struct amounts {
  const char* total = "0.00";
  const char* tax = "0.00";
  const char* shipping = "0.00";
  const char* gift_cards = "0.00";
};

/// One engine over one program, and one member it processes events for.
struct harness {
  std::shared_ptr<const loyalty::program> program;
  loyalty::engine engine;
  loyalty::member m;
  std::vector<std::int64_t> budgets;
  bool explain = true;

  explicit harness(std::string_view yaml, loyalty::id128 customer = {0, 1})
      : program(load(yaml)), engine(program), m(engine.open(customer)) {}

  loyalty::process_options options() const {
    loyalty::process_options o;
    o.budgets = budgets;
    o.explain = explain;
    return o;
  }

  /// A new event of `type` with id `id` at `when`.
  loyalty::event make(std::string_view type, std::string_view id, std::string_view when) const {
    loyalty::event e(*program, type);
    e.reset(loyalty::event_id(id), at(when));
    return e;
  }

  /// Processes `e` with `now` = the event's time.
  loyalty::engine_decision process(const loyalty::event& e) {
    return engine.process(m, e, e.at(), options());
  }
  loyalty::engine_decision process(const loyalty::event& e, std::string_view now) {
    return engine.process(m, e, at(now), options());
  }

  /// An order.completed event (not processed).
  loyalty::event order_event(std::string_view id, std::string_view when, const lines& l,
                             const amounts& a) const {
    loyalty::event e = make("order.completed", id, when);
    REQUIRE(e.set("event.lines", l.list()));
    REQUIRE(e.set("event.total", d(a.total)));
    REQUIRE(e.set("event.tax", d(a.tax)));
    REQUIRE(e.set("event.shipping", d(a.shipping)));
    REQUIRE(e.set("event.gift_cards", d(a.gift_cards)));
    return e;
  }
  loyalty::engine_decision order(std::string_view id, std::string_view when, const lines& l,
                                 const amounts& a = {}) {
    return process(order_event(id, when, l, a));
  }
  /// A return of `original`: (line, quantity) pairs; none: everything left.
  loyalty::engine_decision return_lines(
      std::string_view id, std::string_view original, std::string_view when,
      const std::vector<std::pair<std::uint32_t, std::int64_t>>& returned = {}) {
    loyalty::event e = make("order.returned", id, when);
    e.set_original(loyalty::event_id(original));
    for (const auto& [line, q] : returned) e.add_returned_line(line, q);
    return process(e);
  }
  /// order.closed for `original`: points pending until it become spendable.
  loyalty::engine_decision close(std::string_view id, std::string_view original,
                                 std::string_view when) {
    loyalty::event e = make("order.closed", id, when);
    e.set_original(loyalty::event_id(original));
    return process(e);
  }
  /// An event without fields (review.approved, social.shared, ping).
  loyalty::engine_decision simple(std::string_view type, std::string_view id,
                                  std::string_view when) {
    return process(make(type, id, when));
  }
  loyalty::engine_decision advance(std::string_view now) {
    return engine.advance(m, at(now), options());
  }

  loyalty::balances balance(std::string_view type = "points") const {
    return engine.balance(m, type);
  }
  std::int64_t available(std::string_view type = "points") const { return balance(type).available; }
  std::int64_t pending(std::string_view type = "points") const { return balance(type).pending; }

  std::uint32_t rule(std::string_view id) const {
    const auto r = program->find_rule(id);
    REQUIRE(r.has_value());
    return *r;
  }
  /// The award of rule `id` in `dec`, or nullptr.
  const loyalty::award* award_of(const loyalty::engine_decision& dec, std::string_view id) const {
    const std::uint32_t r = rule(id);
    for (const loyalty::award& a : dec.awards) {
      if (a.rule == r) return &a;
    }
    return nullptr;
  }
  /// What rule `id` credited in `dec` (0 when it did not award).
  decimal awarded(const loyalty::engine_decision& dec, std::string_view id) const {
    const loyalty::award* a = award_of(dec, id);
    return a != nullptr ? a->amount : decimal();
  }
  /// The same in units of the point type's scale (cents for cashback).
  std::int64_t units(const loyalty::engine_decision& dec, std::string_view id) const {
    return awarded(dec, id).units();
  }
  const loyalty::rule_trace& trace_of(const loyalty::engine_decision& dec,
                                      std::string_view id) const {
    const std::uint32_t r = rule(id);
    for (const loyalty::rule_trace& t : dec.trace) {
      if (t.rule == r) return t;
    }
    FAIL("no trace for rule " << id);
    return dec.trace.front();
  }
  loyalty::rule_outcome outcome(const loyalty::engine_decision& dec, std::string_view id) const {
    return trace_of(dec, id).outcome;
  }
  /// The reversal of rule `id`'s award in `dec`, or nullptr.
  const loyalty::reversal* reversal_of(const loyalty::engine_decision& dec,
                                       std::string_view id) const {
    const std::uint32_t r = rule(id);
    for (const loyalty::reversal& x : dec.reversals) {
      if (x.rule == r) return &x;
    }
    return nullptr;
  }
  bool set_profile(std::string_view field, value v) { return m.set_profile(*program, field, v); }
  value tier(std::string_view name) const {
    const int code = program->schema().enum_code("tier", name);
    REQUIRE(code >= 0);
    return value::of_enum(code);
  }
};

/// Every field of two members, one by one: the ledger state (same_ledger) and the engine's own
/// (profile, events, counters, carries, orders).
inline void same_member(const loyalty::member& a, const loyalty::member& b) {
  CHECK(a.customer == b.customer);
  CHECK(a.version == b.version);
  CHECK(a.advanced_to == b.advanced_to);
  ltest::same_ledger(a.ledger, b.ledger);
  // The engine's state.
  REQUIRE(a.profile.size() == b.profile.size());
  for (std::size_t i = 0; i < a.profile.size(); ++i) {
    CHECK(a.profile[i].kind() == b.profile[i].kind());
  }
  CHECK(a.profile_text == b.profile_text);
  std::vector<loyalty::id128> ea = a.events.ids();
  std::vector<loyalty::id128> eb = b.events.ids();
  std::sort(ea.begin(), ea.end());
  std::sort(eb.begin(), eb.end());
  CHECK(ea == eb);
  CHECK(a.event_counts == b.event_counts);
  REQUIRE(a.counters.size() == b.counters.size());
  for (std::size_t i = 0; i < a.counters.size(); ++i) {
    CHECK(a.counters[i].period == b.counters[i].period);
    CHECK(a.counters[i].units == b.counters[i].units);
    CHECK(a.counters[i].count == b.counters[i].count);
  }
  REQUIRE(a.carries.size() == b.carries.size());
  for (std::size_t i = 0; i < a.carries.size(); ++i) CHECK(a.carries[i].identical(b.carries[i]));
  REQUIRE(a.orders.size() == b.orders.size());
  for (std::size_t i = 0; i < a.orders.size(); ++i) {
    const loyalty::order_record& x = a.orders[i];
    const loyalty::order_record& y = b.orders[i];
    CHECK(x.event == y.event);
    CHECK(x.lines == y.lines);
    CHECK(x.first_value == y.first_value);
    REQUIRE(x.awards == y.awards);
    CHECK(x.first_award == y.first_award);
  }
  CHECK(a.order_values == b.order_values);
  REQUIRE(a.order_awards.size() == b.order_awards.size());
  for (std::size_t k = 0; k < a.order_awards.size(); ++k) {
    CHECK(a.order_awards[k].op == b.order_awards[k].op);
    CHECK(a.order_awards[k].rule_key == b.order_awards[k].rule_key);
    CHECK(a.order_awards[k].first_unit == b.order_awards[k].first_unit);
    CHECK(a.order_awards[k].reversed == b.order_awards[k].reversed);
    CHECK(a.order_awards[k].pending_until_event == b.order_awards[k].pending_until_event);
  }
}

}  // namespace etest
