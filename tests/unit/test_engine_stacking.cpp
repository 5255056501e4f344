// Stacking groups: first (the first rule that awards), best (the largest award after caps;
// ties go to the earlier rule) and all.
#include "engine_test_util.hpp"

using etest::harness;
using etest::program_text;
using loyalty::process_result;
using loyalty::rule_outcome;

namespace {
loyalty::engine_decision ping(harness& h, const std::string& id, const char* v) {
  auto e = h.make("ping", id, "2026-05-04T10:00:00+02:00");
  REQUIRE(e.set("event.value", etest::d(v)));
  return h.process(e);
}
}  // namespace

TEST_CASE("engine stacking: first awards the first rule that awards", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: thresholds
    mode: first
rules:
  # Once per customer: 100 points from 100 EUR.
  - id: big
    on: ping
    when: event.value >= 100
    award: 100
    into: points
    group: thresholds
    caps:
      - {count: 1, per: customer, period: lifetime}
  - id: mid
    on: ping
    when: event.value >= 50
    award: 40
    into: points
    group: thresholds
  - id: small
    on: ping
    award: 10
    into: points
    group: thresholds
  # Outside the group: always.
  - id: other
    on: ping
    award: 1
    into: points
)"));
  // 120: big wins; mid and small are not even evaluated.
  const auto a = ping(h, "1", "120");
  CHECK(h.units(a, "big") == 100);
  CHECK(h.award_of(a, "mid") == nullptr);
  CHECK(h.award_of(a, "small") == nullptr);
  CHECK(h.outcome(a, "mid") == rule_outcome::lost_in_group);
  CHECK(h.outcome(a, "small") == rule_outcome::lost_in_group);
  CHECK(h.units(a, "other") == 1);
  CHECK(a.awards.size() == 2);
  // 120 again: big is capped out, so mid awards.
  const auto b = ping(h, "2", "120");
  CHECK(h.outcome(b, "big") == rule_outcome::capped);
  CHECK(h.units(b, "mid") == 40);
  CHECK(h.outcome(b, "small") == rule_outcome::lost_in_group);
  // 20: neither threshold holds; small awards.
  const auto c = ping(h, "3", "20");
  CHECK(h.outcome(c, "big") == rule_outcome::condition_false);
  CHECK(h.outcome(c, "mid") == rule_outcome::condition_false);
  CHECK(h.units(c, "small") == 10);
  CHECK(h.available() == (100 + 1) + (40 + 1) + (10 + 1));
}

TEST_CASE("engine stacking: best awards the largest award after caps", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: best_offer
    mode: best
rules:
  # 10 % of the value, at most 30 points in a lifetime.
  - id: percent
    on: ping
    award: event.value * 0.1
    into: points
    group: best_offer
    caps:
      - {max: 30, per: customer, period: lifetime}
  - id: flat
    on: ping
    award: 15
    into: points
    group: best_offer
    message: flat_won
)"));
  // 200: percent 20 > flat 15.
  const auto a = ping(h, "1", "200");
  CHECK(h.units(a, "percent") == 20);
  CHECK(h.award_of(a, "flat") == nullptr);
  CHECK(h.outcome(a, "percent") == rule_outcome::awarded);
  CHECK(h.outcome(a, "flat") == rule_outcome::lost_in_group);
  CHECK(h.trace_of(a, "flat").awarded == etest::d("15"));  // what it would have awarded
  CHECK(a.messages.empty());                               // a losing rule sends nothing
  // 300: percent would be 30, but only 10 are left under its cap: flat's 15 wins.
  const auto b = ping(h, "2", "300");
  CHECK(h.units(b, "flat") == 15);
  CHECK(h.award_of(b, "percent") == nullptr);
  CHECK(h.outcome(b, "percent") == rule_outcome::lost_in_group);
  CHECK(h.trace_of(b, "percent").uncapped == etest::d("30"));
  CHECK(h.trace_of(b, "percent").awarded == etest::d("10"));
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].text == "flat_won");
  // The loser's cap counted nothing: percent still has 10 left.
  CHECK(h.m.counters[0].units == 20);
  // 100: percent 10 < flat 15.
  CHECK(h.units(ping(h, "3", "100"), "flat") == 15);
  CHECK(h.available() == 20 + 15 + 15);
}

TEST_CASE("engine stacking: best breaks a tie for the earlier rule", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: best_offer
    mode: best
rules:
  - id: nothing
    on: ping
    when: event.value > 1000
    award: 99
    into: points
    group: best_offer
  - id: percent
    on: ping
    award: event.value * 0.1
    into: points
    group: best_offer
  - id: flat
    on: ping
    award: 15
    into: points
    group: best_offer
  - id: bigger_later
    on: ping
    when: event.value >= 500
    award: 60
    into: points
    group: best_offer
)"));
  // 150: percent 15 == flat 15: percent, the earlier, wins.
  const auto a = ping(h, "1", "150");
  REQUIRE(a.awards.size() == 1);
  CHECK(h.units(a, "percent") == 15);
  CHECK(h.outcome(a, "nothing") == rule_outcome::condition_false);
  CHECK(h.outcome(a, "flat") == rule_outcome::lost_in_group);
  CHECK(h.outcome(a, "bigger_later") == rule_outcome::condition_false);
  // 500: percent 50, flat 15, bigger_later 60: the last one wins, the earlier leader loses.
  const auto b = ping(h, "2", "500");
  REQUIRE(b.awards.size() == 1);
  CHECK(h.units(b, "bigger_later") == 60);
  CHECK(h.outcome(b, "percent") == rule_outcome::lost_in_group);
  CHECK(h.outcome(b, "flat") == rule_outcome::lost_in_group);
  CHECK(h.outcome(b, "bigger_later") == rule_outcome::awarded);
  CHECK(h.available() == 75);
}

TEST_CASE("engine stacking: all awards every rule of the group", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: everything
    mode: all
rules:
  - {id: a, on: ping, award: 1, into: points, group: everything}
  - {id: b, on: ping, award: event.value, into: points, group: everything}
  - {id: c, on: ping, when: "event.value > 100", award: 5, into: points, group: everything}
  - {id: d, on: ping, award: 2, into: cashback, group: everything}
)"));
  const auto r = ping(h, "1", "7");
  CHECK(r.awards.size() == 3);
  CHECK(h.units(r, "a") == 1);
  CHECK(h.units(r, "b") == 7);
  CHECK(h.outcome(r, "c") == rule_outcome::condition_false);
  CHECK(h.units(r, "d") == 200);  // 2.00 EUR
  CHECK(h.available() == 8);
  CHECK(h.available("cashback") == 200);
}

TEST_CASE("engine stacking: two best groups whose rules interleave", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: g1
    mode: best
  - id: g2
    mode: best
rules:
  - {id: g1_big, on: ping, award: 50, into: points, group: g1}
  - {id: g2_x, on: ping, award: 5, into: points, group: g2}
  - {id: g1_small, on: ping, award: 10, into: points, group: g1}
  - {id: g2_y, on: ping, award: 6, into: points, group: g2}
)"));
  // Each group picks its own best: g1_big (50 > 10) and g2_y (6 > 5).
  const auto r = ping(h, "1", "1");
  CHECK(r.awards.size() == 2);
  CHECK(h.units(r, "g1_big") == 50);
  CHECK(h.units(r, "g2_y") == 6);
  CHECK(h.outcome(r, "g1_big") == rule_outcome::awarded);
  CHECK(h.outcome(r, "g1_small") == rule_outcome::lost_in_group);
  CHECK(h.outcome(r, "g2_x") == rule_outcome::lost_in_group);
  CHECK(h.outcome(r, "g2_y") == rule_outcome::awarded);
  CHECK(h.available() == 56);
}

TEST_CASE("engine stacking: a best group's winner never spends budget another rule took",
          "[engine]") {
  harness h(program_text(R"(
groups:
  - id: g
    mode: best
budgets:
  - {id: pot, point_type: points, amount: 1000}
rules:
  - {id: best1, on: ping, award: 100, into: points, group: g, budget: pot}
  - {id: other, on: ping, award: 100, into: points, budget: pot}
  - {id: best2, on: ping, award: 50, into: points, group: g, budget: pot}
)"));
  // 100 units left: best1 (100) leads group g when evaluated; `other` then takes all 100; at
  // the group's last rule best1 is measured again: nothing left, so it awards 0 (reduce).
  h.budgets = {100};
  const auto d = ping(h, "P-1", "1");
  REQUIRE(d.result == process_result::ok);
  REQUIRE(d.budgets.size() == 1);
  CHECK(d.budgets[0].units == 100);
  CHECK(h.units(d, "other") == 100);
  CHECK(h.units(d, "best1") == 0);
  CHECK(h.outcome(d, "best1") == rule_outcome::capped);
  CHECK(h.available() == 100);
  // With 130 left, best1 is cut to the 30 that `other` leaves.
  h.budgets = {130};
  const auto d2 = ping(h, "P-2", "1");
  CHECK(d2.budgets[0].units == 130);
  CHECK(h.units(d2, "best1") == 30);
  CHECK(h.available() == 230);
}

TEST_CASE("engine stacking: a best winner cut by the budget keeps its award on its own lines",
          "[engine]") {
  // books_promo (15 for the books line) leads its best group; `mid`, between the group's rules,
  // takes 10 of the budget's 20, so the winner is cut to 10 when it is credited. The cut comes
  // off the line that earned it: the toys line never carries any of books_promo.
  harness h(program_text(R"(
groups:
  - {id: promo, mode: best}
budgets:
  - {id: spring, point_type: points, amount: 20}
rules:
  - {id: books_promo, on: order.completed, per: line, where: "line.category == 'books'",
     award: 15, into: points, group: promo, budget: spring}
  - {id: mid, on: order.completed, award: 10, into: points, budget: spring}
  - {id: toys_promo, on: order.completed, per: line, where: "line.category == 'toys'",
     award: 5, into: points, group: promo, budget: spring}
)"));
  h.budgets = {20};
  const auto d =
      h.order("O1", "2026-05-04T10:00:00+02:00",
              etest::lines().add("B-1", "books", "10.00", 1).add("T-1", "toys", "10.00", 1));
  REQUIRE(d.result == process_result::ok);
  CHECK(h.units(d, "books_promo") == 10);
  CHECK(h.units(d, "mid") == 10);
  CHECK(h.award_of(d, "toys_promo") == nullptr);
  CHECK(h.available() == 20);
  // Returning the toys line takes back mid's share of it (5 of 10, by line value), and nothing of
  // books_promo.
  const auto r = h.return_lines("R1", "O1", "2026-05-05T10:00:00+02:00", {{1, 1}});
  REQUIRE(r.result == process_result::ok);
  REQUIRE(r.reversals.size() == 1);
  CHECK(r.reversals[0].rule == h.rule("mid"));
  CHECK(r.reversals[0].reversed.units() == 5);
  CHECK(h.available() == 15);
}
