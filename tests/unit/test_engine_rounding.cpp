// Rounding of awards: the mode (the point type's, or the rule's own), per line or once per
// order, and remainders carried over to the customer's next award.
#include "engine_test_util.hpp"

using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::process_result;
using loyalty::rule_outcome;
using loyalty::value;

namespace {
loyalty::engine_decision ping(harness& h, const char* id, const char* when, const char* v) {
  auto e = h.make("ping", id, when);
  REQUIRE(e.set("event.value", etest::d(v)));
  return h.process(e);
}
}  // namespace

TEST_CASE("engine rounding: floor (the point type's) versus the rule's half_up", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: floored
    on: ping
    award: event.value
    into: points
  - id: half_up
    on: ping
    award: event.value
    into: points
    rounding: half_up
  - id: half_up_map
    on: ping
    award: event.value * -1 + 10
    into: points
    rounding: {mode: half_up}
)"));
  // 2.50: floor 2, half_up 3; 10 - 2.50 = 7.50: half_up 8.
  const auto a = ping(h, "P-1", "2026-05-04T10:00:00+02:00", "2.50");
  CHECK(h.units(a, "floored") == 2);
  CHECK(h.units(a, "half_up") == 3);
  CHECK(h.units(a, "half_up_map") == 8);
  // 2.49: 2 and 2; 7.51: 8.
  const auto b = ping(h, "P-2", "2026-05-04T11:00:00+02:00", "2.49");
  CHECK(h.units(b, "floored") == 2);
  CHECK(h.units(b, "half_up") == 2);
  CHECK(h.units(b, "half_up_map") == 8);
  // 0.99: floor 0 (zero_award), half_up 1; 9.01 -> 9.
  const auto c = ping(h, "P-3", "2026-05-04T12:00:00+02:00", "0.99");
  CHECK(h.award_of(c, "floored") == nullptr);
  CHECK(h.outcome(c, "floored") == rule_outcome::zero_award);
  CHECK(h.units(c, "half_up") == 1);
  CHECK(h.units(c, "half_up_map") == 9);
  CHECK(h.available() == (2 + 3 + 8) + (2 + 2 + 8) + (0 + 1 + 9));
  // An award below zero awards nothing (10 - 12.00 = -2.00).
  const auto neg = ping(h, "P-4", "2026-05-04T13:00:00+02:00", "12.00");
  CHECK(h.award_of(neg, "half_up_map") == nullptr);
  CHECK(h.outcome(neg, "half_up_map") == rule_outcome::zero_award);
}

TEST_CASE("engine rounding: per line versus once per order", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: per_line_floor
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
  - id: per_order_floor
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    rounding: {per: order}
  - id: per_line_half_up
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    rounding: half_up
  - id: per_order_half_up
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    rounding: {mode: half_up, per: order}
)"));
  lines l;
  l.add("A", "misc", "1.50", 1);
  l.add("B", "misc", "1.50", 1);
  l.add("C", "misc", "1.50", 1);
  const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "4.50"});
  REQUIRE(o.result == process_result::ok);
  CHECK(h.units(o, "per_line_floor") == 3);     // 1 + 1 + 1
  CHECK(h.units(o, "per_order_floor") == 4);    // floor(4.50)
  CHECK(h.units(o, "per_line_half_up") == 6);   // 2 + 2 + 2
  CHECK(h.units(o, "per_order_half_up") == 5);  // half_up(4.50)
  CHECK(h.available() == 18);
  // The order-rounded award is remembered per line for returns, split by each line's exact
  // share (1.50 : 1.50 : 1.50 of 4, largest remainder, ties in line order): 2, 1, 1.
  REQUIRE(h.m.orders.size() == 1);
  const auto awards = h.m.awards(h.m.orders[0]);
  REQUIRE(awards.size() == 4);
  auto per_line = [&](const loyalty::order_award& a) {
    const auto u = h.m.units(h.m.orders[0], a);
    return std::vector<std::int64_t>(u.begin(), u.end());
  };
  CHECK(per_line(awards[0]) == std::vector<std::int64_t>{1, 1, 1});
  CHECK(per_line(awards[1]) == std::vector<std::int64_t>{2, 1, 1});
  CHECK(per_line(awards[2]) == std::vector<std::int64_t>{2, 2, 2});
  CHECK(per_line(awards[3]) == std::vector<std::int64_t>{2, 2, 1});
}

TEST_CASE("engine rounding: carry keeps the rounded-off remainder for the next award", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: drip
    on: ping
    award: event.value * 0.04
    into: points
    rounding: {carry: true}
)"));
  // 10.00 x 0.04 = 0.4 points each: 0.4 -> 0 (carry 0.4), 0.8 -> 0 (0.8), 1.2 -> 1 (0.2),
  // 0.6 -> 0 (0.6), 1.0 -> 1 (0).
  const std::int64_t expected[] = {0, 0, 1, 0, 1};
  std::int64_t total = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "P-" + std::to_string(i);
    const auto r = ping(h, id.c_str(), "2026-05-04T10:00:00+02:00", "10.00");
    INFO("event " << i);
    REQUIRE(r.result == process_result::ok);
    CHECK(h.units(r, "drip") == expected[i]);
    total += expected[i];
    CHECK(h.available() == total);
  }
  CHECK(h.available() == 2);  // floor(5 x 0.4)
  REQUIRE(h.m.carries.size() == 1);
  CHECK(h.m.carries[0].is_zero());
  // An award below zero (-30.00 x 0.04 = -1.2, floor -2) awards nothing and carries nothing:
  // no 0.8 "remainder" of a negative award to credit later.
  const auto neg = ping(h, "P-neg", "2026-05-04T11:00:00+02:00", "-30.00");
  CHECK(h.outcome(neg, "drip") == rule_outcome::zero_award);
  CHECK(h.m.carries[0].is_zero());
  const auto after = ping(h, "P-after", "2026-05-04T12:00:00+02:00", "10.00");
  CHECK(h.outcome(after, "drip") == rule_outcome::zero_award);  // 0.4 -> 0
  CHECK(h.m.carries[0] == etest::d("0.4"));
  CHECK(h.available() == 2);

  // A rule without carry loses the remainders: five times floor(0.4) = 0.
  harness plain(program_text(R"(
rules:
  - id: drip
    on: ping
    award: event.value * 0.04
    into: points
)"));
  for (int i = 0; i < 5; ++i) {
    const std::string id = "P-" + std::to_string(i);
    (void)ping(plain, id.c_str(), "2026-05-04T10:00:00+02:00", "10.00");
  }
  CHECK(plain.available() == 0);
}

TEST_CASE("engine rounding: carry on a per-line rule runs through the lines and orders",
          "[engine]") {
  harness h(program_text(R"(
rules:
  - id: lines_carry
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    rounding: {carry: true}
)"));
  lines l;
  l.add("A", "misc", "1.50", 1);  // 1.5 -> 1, carry 0.5
  l.add("B", "misc", "1.20", 1);  // 1.7 -> 1, carry 0.7
  l.add("C", "misc", "0.40", 1);  // 1.1 -> 1, carry 0.1
  const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "3.10"});
  CHECK(h.units(o, "lines_carry") == 3);
  {
    const auto u = h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[0]);
    CHECK(std::vector<std::int64_t>(u.begin(), u.end()) == std::vector<std::int64_t>{1, 1, 1});
  }
  // The next order starts from 0.1: 0.95 + 0.1 = 1.05 -> 1, carry 0.05.
  lines m;
  m.add("D", "misc", "0.95", 1);
  const auto o2 = h.order("A-2", "2026-05-05T10:00:00+02:00", m, {.total = "0.95"});
  CHECK(h.units(o2, "lines_carry") == 1);
  CHECK(h.available() == 4);
  CHECK(h.m.carries[0] == etest::d("0.05"));
}
