// One scenario per kind of earning rule, each with its rules inline and exact balances computed
// by hand (engine_test_util.hpp has the common program header: points floor, cashback EUR).
#include "engine_test_util.hpp"

using etest::amounts;
using etest::d;
using etest::date;
using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::process_result;
using loyalty::rule_outcome;
using loyalty::value;

TEST_CASE("engine rules: points per euro of net, without tax, shipping and gift cards",
          "[engine]") {
  harness h(program_text(R"(
rules:
  # Order level: the net of the whole order.
  - id: net_points
    on: order.completed
    award: event.total - event.tax - event.shipping - event.gift_cards
    into: points
  # Line level: every line but gift cards, each line rounded down on its own.
  - id: line_points
    on: order.completed
    per: line
    where: not line.gift_card
    award: line.price * line.qty
    into: points
)"));
  lines l;
  l.add("SHIRT", "clothes", "12.99", 3);      // 38.97
  l.add("SOCKS", "clothes", "4.50", 1);       //  4.50
  l.add("GC-50", "gifts", "50.00", 1, true);  // 50.00, a gift card
  // total = lines 93.47 + shipping 4.95 = 98.42, of which 6.94 tax and 50.00 gift card:
  // net = 98.42 - 6.94 - 4.95 - 50.00 = 36.53 -> floor -> 36.
  const auto o =
      h.order("A-1", "2026-05-04T10:00:00+02:00", l,
              {.total = "98.42", .tax = "6.94", .shipping = "4.95", .gift_cards = "50.00"});
  REQUIRE(o.result == process_result::ok);
  CHECK(h.units(o, "net_points") == 36);
  // floor(38.97) + floor(4.50) = 38 + 4 = 42; the gift card line does not match.
  CHECK(h.units(o, "line_points") == 42);
  CHECK(h.trace_of(o, "line_points").lines_matched == 2);
  CHECK(h.available() == 36 + 42);
  CHECK(h.balance().earned == 78);
}

TEST_CASE("engine rules: category and SKU multipliers on lines", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
  # Coffee earns double: a second rule adds 2x on coffee lines.
  - id: coffee_double
    on: order.completed
    per: line
    where: line.category == 'coffee'
    award: line.price * line.qty
    multiplier: 2
    into: points
  # One SKU earns triple on top.
  - id: bean_triple
    on: order.completed
    per: line
    where: [line.category == 'coffee', line.sku == 'BEAN-1']
    award: line.price * line.qty
    multiplier: 3
    into: points
)"));
  lines l;
  l.add("BEAN-1", "coffee", "10.00", 2);  // 20.00
  l.add("MUG", "kitchen", "7.50", 1);     //  7.50
  l.add("TEA-1", "coffee", "3.30", 3);    //  9.90
  const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.40"});
  REQUIRE(o.result == process_result::ok);
  CHECK(h.units(o, "base") == 20 + 7 + 9);        // floor per line: 20, 7, 9
  CHECK(h.units(o, "coffee_double") == 40 + 19);  // 2 x 20.00 = 40; 2 x 9.90 = 19.80 -> 19
  CHECK(h.units(o, "bean_triple") == 60);         // 3 x 20.00
  CHECK(h.trace_of(o, "coffee_double").lines_matched == 2);
  CHECK(h.trace_of(o, "bean_triple").lines_matched == 1);
  CHECK(h.available() == 36 + 59 + 60);

  // An order without coffee: the coffee rules match no line and award nothing.
  lines tea;
  tea.add("MUG", "kitchen", "7.50", 2);
  const auto o2 = h.order("A-2", "2026-05-05T10:00:00+02:00", tea, {.total = "15.00"});
  CHECK(h.units(o2, "base") == 15);
  CHECK(h.award_of(o2, "coffee_double") == nullptr);
  CHECK(h.outcome(o2, "coffee_double") == rule_outcome::no_line_matched);
  CHECK(h.available() == 155 + 15);
}

TEST_CASE("engine rules: tier multiplier from the customer's profile", "[engine]") {
  const std::string yaml = program_text(R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    multiplier: "if customer.tier == 'gold' then 1.5 else if customer.tier == 'silver' then 1.25 else 1"
    into: points
)");
  lines l;
  l.add("X", "misc", "10.00", 3);  // 30.00
  l.add("Y", "misc", "9.99", 1);   //  9.99
  auto run = [&](harness& h) {
    const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "39.99"});
    REQUIRE(o.result == process_result::ok);
    return h.units(o, "base");
  };
  SECTION("gold: 30.00 x 1.5 = 45.00 -> 45; 9.99 x 1.5 = 14.985 -> 14") {
    harness h(yaml);
    REQUIRE(h.set_profile("customer.tier", h.tier("gold")));
    CHECK(run(h) == 59);
    CHECK(h.available() == 59);
  }
  SECTION("silver: 30.00 x 1.25 = 37.50 -> 37; 9.99 x 1.25 = 12.4875 -> 12") {
    harness h(yaml);
    REQUIRE(h.set_profile("customer.tier", h.tier("silver")));
    CHECK(run(h) == 49);
  }
  SECTION("bronze and no tier at all: x 1 -> 30 + 9") {
    harness h(yaml);
    CHECK(run(h) == 39);  // customer.tier missing: the comparisons are false
    harness b(yaml, {0, 2});
    REQUIRE(b.set_profile("customer.tier", b.tier("bronze")));
    CHECK(run(b) == 39);
  }
  SECTION("the tier set by an event's profile update counts for that very event's rules") {
    harness h(yaml);
    auto reg = h.make("customer.registered", "R-1", "2026-05-01T09:00:00+02:00");
    REQUIRE(reg.set("event.tier", h.tier("gold")));
    REQUIRE(h.process(reg).result == process_result::ok);
    CHECK(h.m.profile_value(*h.program, "customer.tier").as_enum() ==
          h.program->schema().enum_code("tier", "gold"));
    CHECK(run(h) == 59);
  }
}

TEST_CASE("engine rules: fixed points per product bought", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: gift_box
    on: order.completed
    per: line
    where: line.sku == 'GIFT-BOX'
    award: 50 * line.qty
    into: points
)"));
  lines l;
  l.add("GIFT-BOX", "gifts", "30.00", 3);
  l.add("CARD", "gifts", "2.00", 1);
  l.add("GIFT-BOX", "gifts", "30.00", 1);  // a second line of the same product
  const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "122.00"});
  CHECK(h.units(o, "gift_box") == 50 * 3 + 50 * 1);
  CHECK(h.available() == 200);
  // The award per line is remembered for returns: line 0 earned 150, line 2 earned 50.
  REQUIRE(h.m.orders.size() == 1);
  REQUIRE(h.m.awards(h.m.orders[0]).size() == 1);
  const auto u = h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[0]);
  CHECK(std::vector<std::int64_t>(u.begin(), u.end()) == std::vector<std::int64_t>{150, 0, 50});
}

TEST_CASE("engine rules: first purchase counts only processed orders", "[engine]") {
  const std::string yaml = program_text(R"(
rules:
  - id: first_purchase
    on: order.completed
    when: previous.order.completed == 0
    award: 200
    into: points
)");
  harness h(yaml);
  lines l;
  l.add("X", "misc", "5.00", 1);
  // An order the engine refuses (a required field missing) is not a previous order.
  auto bad = h.make("order.completed", "A-0", "2026-05-04T09:00:00+02:00");
  REQUIRE(bad.set("event.lines", l.list()));
  const auto r0 = h.process(bad);
  CHECK(r0.result == process_result::invalid_event);
  CHECK(h.m.event_counts[h.program->find_event_type("order.completed")] == 0);

  const auto o1 = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "5.00"});
  CHECK(h.units(o1, "first_purchase") == 200);
  REQUIRE(h.trace_of(o1, "first_purchase").clauses.size() == 1);
  CHECK(h.trace_of(o1, "first_purchase").clauses[0].result.as_bool());
  // The retry of the first order is a duplicate, not a second first order.
  const auto again = h.order("A-1", "2026-05-04T10:01:00+02:00", l, {.total = "5.00"});
  CHECK(again.result == process_result::duplicate);
  CHECK(h.units(again, "first_purchase") == 200);
  const auto o2 = h.order("A-2", "2026-05-05T10:00:00+02:00", l, {.total = "5.00"});
  CHECK(h.award_of(o2, "first_purchase") == nullptr);
  CHECK(h.outcome(o2, "first_purchase") == rule_outcome::condition_false);
  CHECK(h.available() == 200);
  // Other event types do not count as orders.
  harness fresh(yaml, {0, 2});
  REQUIRE(fresh.simple("review.approved", "RV-1", "2026-05-01T10:00:00+02:00").result ==
          process_result::ok);
  CHECK(fresh.units(fresh.order("B-1", "2026-05-04T10:00:00+02:00", l, {.total = "5.00"}),
                    "first_purchase") == 200);
}

namespace {
const char* const dates_rules = R"(
rules:
  - id: birthday
    on: {anniversary_of: customer.birthday}
    award: 250
    into: points
    message: send_birthday_card
  # 100 points per year of membership.
  - id: anniversary
    on: {anniversary_of: customer.joined}
    award: 100 * event.years
    into: points
)";
}  // namespace

TEST_CASE("engine rules: birthday and anniversary in advance()", "[engine]") {
  harness h(program_text(dates_rules));
  REQUIRE(h.set_profile("customer.birthday", value::of_date(date("1990-05-12"))));
  REQUIRE(h.set_profile("customer.joined", value::of_date(date("2024-05-10"))));

  SECTION("one advance a day: each date once, on its day in Berlin") {
    CHECK(h.advance("2026-05-09T12:00:00+02:00").awards.empty());
    // 2026-05-09T22:30:00Z is already 10 May in Berlin: two years of membership, 200 points.
    const auto a = h.advance("2026-05-09T22:30:00Z");
    REQUIRE(a.result == process_result::ok);
    REQUIRE(a.awards.size() == 1);
    CHECK(h.units(a, "anniversary") == 200);
    CHECK(h.available() == 200);
    // A second advance the same day repeats nothing.
    const auto again = h.advance("2026-05-10T23:59:59+02:00");
    CHECK(again.result == process_result::ok);
    CHECK(again.awards.empty());
    CHECK(again.entries.empty());
    CHECK(h.advance("2026-05-11T08:00:00+02:00").awards.empty());
    const auto b = h.advance("2026-05-12T08:00:00+02:00");
    CHECK(h.units(b, "birthday") == 250);
    REQUIRE(b.messages.size() == 1);
    CHECK(b.messages[0].text == "send_birthday_card");
    CHECK(h.available() == 450);
    // Next year: 3 years, 300 points.
    CHECK(h.advance("2027-05-09T08:00:00+02:00").awards.empty());
    CHECK(h.units(h.advance("2027-05-10T08:00:00+02:00"), "anniversary") == 300);
    CHECK(h.available() == 750);
  }
  SECTION("an advance after several days without one catches up on every day missed") {
    CHECK(h.advance("2026-05-08T08:00:00+02:00").awards.empty());
    // 9 .. 14 May in one call: the anniversary (10th) and the birthday (12th).
    const auto a = h.advance("2026-05-14T08:00:00+02:00");
    REQUIRE(a.awards.size() == 2);
    CHECK(h.units(a, "anniversary") == 200);
    CHECK(h.units(a, "birthday") == 250);
    CHECK(h.available() == 450);
    CHECK(h.advance("2026-05-14T20:00:00+02:00").awards.empty());
    CHECK(h.m.advanced_to == date("2026-05-14"));
    // An advance with an earlier `now` (a clock that went back) awards nothing again.
    CHECK(h.advance("2026-05-12T08:00:00+02:00").awards.empty());
    CHECK(h.available() == 450);
  }
}

TEST_CASE("engine rules: a 29 February birthday falls on 28 February in a common year",
          "[engine]") {
  harness h(program_text(dates_rules));
  REQUIRE(h.set_profile("customer.birthday", value::of_date(date("1992-02-29"))));
  CHECK(h.advance("2027-02-27T12:00:00+01:00").awards.empty());
  CHECK(h.units(h.advance("2027-02-28T12:00:00+01:00"), "birthday") == 250);
  CHECK(h.advance("2027-03-01T12:00:00+01:00").awards.empty());
  CHECK(h.available() == 250);
  // 2028 is a leap year: the 29th, not the 28th.
  CHECK(h.advance("2028-02-28T12:00:00+01:00").awards.empty());
  CHECK(h.units(h.advance("2028-02-29T12:00:00+01:00"), "birthday") == 250);
  CHECK(h.advance("2028-03-01T12:00:00+01:00").awards.empty());
  CHECK(h.available() == 500);
  // Catching up over the end of February of a common year finds the 28th.
  CHECK(h.advance("2029-02-20T12:00:00+01:00").awards.empty());
  CHECK(h.units(h.advance("2029-03-02T12:00:00+01:00"), "birthday") == 250);
  CHECK(h.available() == 750);
}

TEST_CASE("engine rules: referral rewards both sides by role", "[engine]") {
  const std::string yaml = program_text(R"(
rules:
  - id: referral
    on: referral.converted
    award: "if event.role == 'referrer' then 500 else 250"
    into: points
)");
  harness referrer(yaml, {0, 1});
  harness referred(yaml, {0, 2});
  // The host sends one event, with the same id, to each side with its role.
  auto send = [](harness& h, const char* role) {
    auto e = h.make("referral.converted", "REF-77", "2026-05-04T10:00:00+02:00");
    REQUIRE(e.set("event.role", value::of_enum(h.program->schema().enum_code("role", role))));
    return h.process(e);
  };
  CHECK(referrer.units(send(referrer, "referrer"), "referral") == 500);
  CHECK(referred.units(send(referred, "referred"), "referral") == 250);
  CHECK(referrer.available() == 500);
  CHECK(referred.available() == 250);
  // A referral without a role is invalid: role is required.
  auto bare = referrer.make("referral.converted", "REF-78", "2026-05-04T11:00:00+02:00");
  const auto r = referrer.process(bare);
  CHECK(r.result == process_result::invalid_event);
  CHECK(r.detail.find("event.role") != std::string::npos);
  CHECK(referrer.available() == 500);
}

TEST_CASE("engine rules: reviews and shares with count caps per period", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: review
    on: review.approved
    award: 20
    into: points
    caps:
      - {count: 3, per: customer, period: month}
  - id: share
    on: social.shared
    award: 5
    into: points
    caps:
      - {count: 1, per: customer, period: day, overflow: reject}
)"));
  // Four reviews in May: 20, 20, 20, then capped.
  CHECK(h.units(h.simple("review.approved", "RV-1", "2026-05-01T00:00:00+02:00"), "review") == 20);
  CHECK(h.units(h.simple("review.approved", "RV-2", "2026-05-10T10:00:00+02:00"), "review") == 20);
  CHECK(h.units(h.simple("review.approved", "RV-3", "2026-05-20T10:00:00+02:00"), "review") == 20);
  const auto fourth = h.simple("review.approved", "RV-4", "2026-05-31T23:59:59+02:00");
  CHECK(fourth.result == process_result::ok);
  CHECK(fourth.awards.empty());
  CHECK(h.outcome(fourth, "review") == rule_outcome::capped);
  CHECK(h.trace_of(fourth, "review").limited_by == 0);
  // 1 June in Berlin (31 May 22:00 UTC): a new month.
  CHECK(h.units(h.simple("review.approved", "RV-5", "2026-05-31T22:00:00Z"), "review") == 20);
  CHECK(h.available() == 80);

  // Shares: one a day; a share just after Berlin midnight is the next day, though UTC still
  // says 4 May.
  CHECK(h.units(h.simple("social.shared", "SH-1", "2026-05-04T08:00:00+02:00"), "share") == 5);
  const auto second = h.simple("social.shared", "SH-2", "2026-05-04T23:59:59+02:00");
  CHECK(second.awards.empty());
  CHECK(h.outcome(second, "share") == rule_outcome::capped);
  CHECK(h.units(h.simple("social.shared", "SH-3", "2026-05-04T22:00:00Z"), "share") == 5);
  CHECK(h.available() == 90);
}

TEST_CASE("engine rules: cashback percentage into a money wallet, half_even cents", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: cashback
    on: order.completed
    award: (event.total - event.tax - event.shipping) * 0.02
    into: cashback
)"));
  lines l;
  l.add("X", "misc", "1.00", 1);
  // 2 % of 12.25 = 0.2450 -> 0.24 (half to even), of 12.75 = 0.2550 -> 0.26,
  // of 12.35 = 0.2470 -> 0.25; of (20.00 - 3.00 - 4.50) = 12.50 -> 0.2500 -> 0.25.
  const auto a = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "12.25"});
  CHECK(h.units(a, "cashback") == 24);
  CHECK(h.awarded(a, "cashback").to_string() == "0.24");
  CHECK(h.award_of(a, "cashback")->wallet == 1);
  CHECK(h.units(h.order("A-2", "2026-05-04T11:00:00+02:00", l, {.total = "12.75"}), "cashback") ==
        26);
  CHECK(h.units(h.order("A-3", "2026-05-04T12:00:00+02:00", l, {.total = "12.35"}), "cashback") ==
        25);
  CHECK(h.units(h.order("A-4", "2026-05-04T13:00:00+02:00", l,
                        {.total = "20.00", .tax = "3.00", .shipping = "4.50"}),
                "cashback") == 25);
  CHECK(h.available("cashback") == 24 + 26 + 25 + 25);
  CHECK(h.available("points") == 0);
}

TEST_CASE("engine rules: a message-only rule", "[engine]") {
  const std::string yaml = program_text(R"(
rules:
  - id: welcome
    on: customer.registered
    message: send_welcome_offer
  - id: welcome_points
    on: customer.registered
    when: customer.birthday != null
    award: 10
    into: points
    message: birthday_known
)");
  harness h(yaml);
  const auto r = h.simple("customer.registered", "REG-1", "2026-05-04T10:00:00+02:00");
  REQUIRE(r.result == process_result::ok);
  CHECK(r.awards.empty());
  CHECK(r.entries.empty());
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].rule == h.rule("welcome"));
  CHECK(r.messages[0].text == "send_welcome_offer");
  CHECK(h.outcome(r, "welcome") == rule_outcome::message_only);
  CHECK(h.outcome(r, "welcome_points") == rule_outcome::condition_false);
  CHECK(h.available() == 0);
  CHECK(h.m.version == 1);  // processed all the same

  // With a birthday (set by the event itself): both messages, in rule order, and 10 points.
  harness b(yaml, {0, 2});
  auto reg = b.make("customer.registered", "REG-1", "2026-05-04T10:00:00+02:00");
  REQUIRE(reg.set("event.birthday", value::of_date(date("1990-01-01"))));
  const auto r2 = b.process(reg);
  REQUIRE(r2.messages.size() == 2);
  CHECK(r2.messages[0].text == "send_welcome_offer");
  CHECK(r2.messages[1].text == "birthday_known");
  CHECK(b.units(r2, "welcome_points") == 10);
  CHECK(b.available() == 10);
}

TEST_CASE("engine rules: a customer field the event sets wins over the member's profile",
          "[engine]") {
  harness h(program_text(R"(
rules:
  - id: tiered
    on: ping
    award: "if customer.tier == 'gold' then 10 else 1"
    into: points
)"));
  REQUIRE(h.m.set_profile(*h.program, "customer.tier",
                          value::of_enum(h.program->schema().enum_code("tier", "bronze"))));
  auto e = h.make("ping", "P-1", "2026-05-04T10:00:00+02:00");
  REQUIRE(e.set("customer.tier", value::of_enum(h.program->schema().enum_code("tier", "gold"))));
  CHECK(h.units(h.process(e), "tiered") == 10);
  // The profile itself is unchanged: the next event without its own value reads bronze.
  auto e2 = h.make("ping", "P-2", "2026-05-04T11:00:00+02:00");
  CHECK(h.units(h.process(e2), "tiered") == 1);
}
