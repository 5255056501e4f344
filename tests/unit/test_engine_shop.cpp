// The example shop program (examples/shop/program.yaml) run through the engine, event by event,
// with the exact balances each step must leave.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "loyalty/engine.hpp"

namespace {

using loyalty::decimal;
using loyalty::value;

std::shared_ptr<const loyalty::program> shop_program() {
  std::ifstream in(LOYALTY_SOURCE_DIR "/examples/shop/program.yaml", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto r = loyalty::load_program(text.str(), "program.yaml");
  REQUIRE(r.ok());
  return r.program;
}

loyalty::timestamp at(const char* text) {
  return loyalty::parse_timestamp(text).value();
}
decimal d(const char* text) {
  return decimal::parse(text).value;
}

/// Order lines in the record's field order: sku, category, price, qty, discount, gift_card.
struct lines {
  std::vector<value> rows;
  void add(const char* sku, const char* category, const char* price, std::int64_t qty,
           const char* discount, bool gift_card = false) {
    rows.push_back(value::of_string(sku));
    rows.push_back(value::of_string(category));
    rows.push_back(value::of_decimal(d(price)));
    rows.push_back(value::of_int(qty));
    rows.push_back(value::of_decimal(d(discount)));
    rows.push_back(value::of_bool(gift_card));
  }
  value list() const {
    return value::of_list(rows.data(), static_cast<std::uint32_t>(rows.size() / 6), 6);
  }
};

struct shop {
  std::shared_ptr<const loyalty::program> program = shop_program();
  loyalty::engine engine{program};
  loyalty::member alice = engine.open(loyalty::id128{0, 7});
  std::vector<std::int64_t> budgets{100'000'000};  // black_friday: units left

  loyalty::engine_decision order(const char* id, const char* when, const lines& l, const char* net,
                                 const char* channel = "web") {
    loyalty::event e(*program, "order.completed");
    e.reset(loyalty::event_id(id), at(when));
    const int ch = program->schema().enum_code("channel", channel);
    REQUIRE(e.set("event.lines", l.list()));
    REQUIRE(e.set("event.net", d(net)));
    REQUIRE(e.set("event.gross", d(net)));
    REQUIRE(e.set("event.tax", d("0.00")));
    REQUIRE(e.set("event.shipping", d("0.00")));
    REQUIRE(e.set("event.channel", value::of_enum(ch)));
    loyalty::process_options o;
    o.budgets = budgets;
    o.explain = true;
    return engine.process(alice, e, at(when), o);
  }

  loyalty::engine_decision simple(const char* type, const char* id, const char* when) {
    loyalty::event e(*program, type);
    e.reset(loyalty::event_id(id), at(when));
    return engine.process(alice, e, at(when));
  }

  std::int64_t available(const char* type) { return engine.balance(alice, type).available; }
  std::int64_t pending(const char* type) { return engine.balance(alice, type).pending; }

  decimal awarded(const loyalty::engine_decision& dec, const char* rule) const {
    const auto r = program->find_rule(rule);
    REQUIRE(r);
    for (const loyalty::award& a : dec.awards) {
      if (a.rule == *r) return a.amount;
    }
    return decimal();
  }
  loyalty::rule_outcome outcome(const loyalty::engine_decision& dec, const char* rule) const {
    const auto r = program->find_rule(rule);
    REQUIRE(r);
    for (const loyalty::rule_trace& t : dec.trace) {
      if (t.rule == *r) return t.outcome;
    }
    FAIL("no trace for rule " << rule);
    return loyalty::rule_outcome::condition_false;
  }
};

}  // namespace

TEST_CASE("shop: register, first order, return window, partial returns, birthday") {
  shop s;
  REQUIRE(s.alice.set_profile(*s.program, "customer.tier",
                              value::of_enum(s.program->schema().enum_code("tier", "bronze"))));

  // Registering: 100 points and a message; the birthday goes to the profile.
  loyalty::event reg(*s.program, "customer.registered");
  reg.reset(loyalty::event_id("reg-1"), at("2026-11-01T09:00:00+01:00"));
  REQUIRE(reg.set("event.birthday", value::of_date(loyalty::parse_date("1990-11-22").value())));
  REQUIRE(reg.set("event.joined", value::of_date(loyalty::parse_date("2023-11-24").value())));
  const auto r1 = s.engine.process(s.alice, reg, at("2026-11-01T09:00:00+01:00"));
  REQUIRE(r1.result == loyalty::process_result::ok);
  CHECK(s.available("points") == 100);
  REQUIRE(r1.messages.size() == 1);
  CHECK(r1.messages[0].text == "send_welcome_offer");
  CHECK(s.alice.profile_value(*s.program, "customer.birthday").as_date() ==
        loyalty::parse_date("1990-11-22").value());

  // First order: coffee 2 x 12.50, a gift box 30.00 less 5.00, a 50.00 gift card.
  lines l;
  l.add("COF-1", "coffee", "12.50", 2, "0.00");
  l.add("GIFT-BOX", "gifts", "30.00", 1, "5.00");
  l.add("GC-50", "gift_cards", "50.00", 1, "0.00", true);
  const auto o1 = s.order("INV-1", "2026-11-10T10:00:00+01:00", l, "100.00");
  REQUIRE(o1.result == loyalty::process_result::ok);
  CHECK(s.awarded(o1, "base_points") == d("50"));  // 25 + 25 + 0 (gift card), pending
  CHECK(s.awarded(o1, "coffee_bonus") == d("25"));
  CHECK(s.awarded(o1, "gift_box") == d("50"));
  CHECK(s.awarded(o1, "cashback") == d("2.00"));
  CHECK(s.awarded(o1, "first_purchase") == d("200"));
  CHECK(s.awarded(o1, "basket_100") == d("100"));
  CHECK(s.outcome(o1, "basket_50") == loyalty::rule_outcome::lost_in_group);
  CHECK(s.outcome(o1, "black_friday") == loyalty::rule_outcome::outside_window);
  CHECK(s.available("points") == 100 + 25 + 50 + 200 + 100);
  CHECK(s.pending("points") == 50);
  CHECK(s.available("cashback") == 200);  // cents

  // The same order again (a retry): nothing changes, the awards are reported as they were.
  const auto again = s.order("INV-1", "2026-11-10T10:05:00+01:00", l, "100.00");
  CHECK(again.result == loyalty::process_result::duplicate);
  CHECK(again.entries.empty());
  CHECK(s.awarded(again, "first_purchase") == d("200"));
  CHECK(s.available("points") == 475);

  // The return window closes: the base points become spendable.
  loyalty::event closed(*s.program, "order.return_window_closed");
  closed.reset(loyalty::event_id("INV-1/closed"), at("2026-11-24T00:00:00+01:00"));
  closed.set_original(loyalty::event_id("INV-1"));
  // ... but a return comes first: one of the two coffees.
  loyalty::event ret(*s.program, "order.returned");
  ret.reset(loyalty::event_id("RET-1"), at("2026-11-12T10:00:00+01:00"));
  ret.set_original(loyalty::event_id("INV-1"));
  ret.add_returned_line(0, 1);
  const auto rt = s.engine.process(s.alice, ret, at("2026-11-12T10:00:00+01:00"));
  REQUIRE(rt.result == loyalty::process_result::ok);
  // Half of line 0's share of each award: base 25 -> 12, coffee 25 -> 12, cashback 0.50 of
  // 2.00 (split 25 : 25 : 50 by line value) -> 0.25, basket 100 -> 25 for line 0 -> 12.
  // first_purchase keeps its points (on_return: keep).
  CHECK(rt.reversals.size() == 4);
  CHECK(s.pending("points") == 50 - 12);
  CHECK(s.available("points") == 475 - 12 - 12);
  CHECK(s.available("cashback") == 175);

  const auto cl = s.engine.process(s.alice, closed, at("2026-11-24T00:00:00+01:00"));
  REQUIRE(cl.result == loyalty::process_result::ok);
  CHECK(s.pending("points") == 0);
  CHECK(s.available("points") == 451 + 38);

  // The second coffee comes back after the window: the other half (13 each, the rounding
  // remainder goes to the last unit returned).
  loyalty::event ret2(*s.program, "order.returned");
  ret2.reset(loyalty::event_id("RET-2"), at("2026-11-25T10:00:00+01:00"));
  ret2.set_original(loyalty::event_id("INV-1"));
  ret2.add_returned_line(0, 1);
  const auto rt2 = s.engine.process(s.alice, ret2, at("2026-11-25T10:00:00+01:00"));
  REQUIRE(rt2.result == loyalty::process_result::ok);
  CHECK(s.available("points") == 489 - 13 - 13 - 13);
  CHECK(s.available("cashback") == 150);

  // A third coffee was never bought.
  loyalty::event ret3(*s.program, "order.returned");
  ret3.reset(loyalty::event_id("RET-3"), at("2026-11-25T11:00:00+01:00"));
  ret3.set_original(loyalty::event_id("INV-1"));
  ret3.add_returned_line(0, 1);
  const auto before = s.alice.version;
  const auto rt3 = s.engine.process(s.alice, ret3, at("2026-11-25T11:00:00+01:00"));
  CHECK(rt3.result == loyalty::process_result::over_return);
  CHECK(s.alice.version == before);

  // Birthday on 22 November: advance() on that day (Berlin) awards it once.
  const auto adv = s.engine.advance(s.alice, at("2026-11-22T00:30:00+01:00"));
  CHECK(adv.result == loyalty::process_result::ok);
  CHECK(s.available("points") == 450 + 250);
  const auto adv2 = s.engine.advance(s.alice, at("2026-11-22T23:00:00+01:00"));
  CHECK(adv2.awards.empty());
  // Joined 24 November 2023: three years on 24 November 2026, 300 points.
  const auto adv3 = s.engine.advance(s.alice, at("2026-11-24T08:00:00+01:00"));
  REQUIRE(adv3.awards.size() == 1);
  CHECK(adv3.awards[0].amount == d("300"));
}
