// Returns: whole and partial (by quantity), after the points were spent under each return
// policy, awards kept on return, points pending until an event, refused returns, and a return
// processed under a newer version of the program.
#include "engine_test_util.hpp"

using etest::d;
using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::process_result;
using loyalty::rule_outcome;

namespace {

const char* const return_rules = R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
  # An order-level award, split over the lines by their value for returns.
  - id: flat
    on: order.completed
    award: 9
    into: points
  - id: welcome_gift
    on: order.completed
    when: previous.order.completed == 0
    award: 100
    into: points
    on_return: keep
)";

/// The host spends `units` points of the member (a redemption, straight through the ledger).
void spend(harness& h, std::int64_t units, const char* when) {
  static std::uint64_t n = 0;
  const auto op = loyalty::ledger_op::redeem(loyalty::id128{77, ++n}, 0,
                                             loyalty::decimal::from_int(units).value);
  const loyalty::decision dec = h.engine.ledger().decide(h.m.ledger, op, etest::at(when));
  REQUIRE(dec.result == loyalty::ledger_result::ok);
  REQUIRE(h.engine.ledger().apply(h.m.ledger, dec));
}

std::int64_t reversed_units(const loyalty::engine_decision& dec) {
  std::int64_t n = 0;
  for (const loyalty::reversal& r : dec.reversals) n += r.reversed.units();
  return n;
}

}  // namespace

TEST_CASE("engine returns: partial returns by quantity add up to the award exactly", "[engine]") {
  harness h(program_text(return_rules));
  lines l;
  l.add("A", "misc", "3.34", 3);  // 10.02 -> 10 points for 3 units
  l.add("B", "misc", "7.00", 1);  //  7.00 ->  7 points
  const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "17.02"});
  REQUIRE(o.result == process_result::ok);
  CHECK(h.units(o, "base") == 17);
  CHECK(h.units(o, "flat") == 9);
  CHECK(h.units(o, "welcome_gift") == 100);
  CHECK(h.available() == 126);
  // flat's 9 split by line value 10.02 : 7.00: 5.298 and 3.702 -> 5 + 3, and the unit left goes
  // to the larger remainder (line 1): 5 and 4.
  REQUIRE(h.m.awards(h.m.orders[0]).size() == 3);
  CHECK(std::vector<std::int64_t>(h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[0]).begin(),
                                  h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[0]).end()) ==
        std::vector<std::int64_t>{10, 7});
  CHECK(std::vector<std::int64_t>(h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[1]).begin(),
                                  h.m.units(h.m.orders[0], h.m.awards(h.m.orders[0])[1]).end()) ==
        std::vector<std::int64_t>{5, 4});

  // Line 0, one unit at a time: base floor(10 x 1/3) = 3, floor(10 x 2/3) - 3 = 3, 10 - 6 = 4;
  // flat floor(5 x 1/3) = 1, floor(5 x 2/3) - 1 = 2, 5 - 3 = 2. welcome_gift is kept.
  const std::int64_t base_steps[] = {3, 3, 4};
  const std::int64_t flat_steps[] = {1, 2, 2};
  std::int64_t left = 126;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "R-" + std::to_string(i);
    const auto r = h.return_lines(id, "A-1", "2026-05-05T10:00:00+02:00", {{0, 1}});
    INFO("return " << i);
    REQUIRE(r.result == process_result::ok);
    REQUIRE(r.reversals.size() == 2);
    CHECK(h.reversal_of(r, "base")->requested.units() == base_steps[i]);
    CHECK(h.reversal_of(r, "base")->reversed.units() == base_steps[i]);
    CHECK(h.reversal_of(r, "flat")->reversed.units() == flat_steps[i]);
    CHECK(h.reversal_of(r, "welcome_gift") == nullptr);
    left -= base_steps[i] + flat_steps[i];
    CHECK(h.available() == left);
  }
  CHECK(left == 126 - 10 - 5);
  // Everything left (no lines named): line 1's 7 and 4.
  const auto rest = h.return_lines("R-rest", "A-1", "2026-05-06T10:00:00+02:00");
  REQUIRE(rest.result == process_result::ok);
  CHECK(h.reversal_of(rest, "base")->reversed.units() == 7);
  CHECK(h.reversal_of(rest, "flat")->reversed.units() == 4);
  CHECK(h.available() == 100);  // the welcome gift stays
  CHECK(h.balance().reversed == 17 + 9);
  CHECK(std::vector<std::int64_t>(h.m.returned(h.m.orders[0]).begin(),
                                  h.m.returned(h.m.orders[0]).end()) ==
        std::vector<std::int64_t>{3, 1});
  // Nothing is left: a further whole return takes nothing.
  const auto none = h.return_lines("R-none", "A-1", "2026-05-06T11:00:00+02:00");
  CHECK(none.result == process_result::ok);
  CHECK(none.reversals.empty());
  CHECK(h.available() == 100);
}

TEST_CASE("engine returns: a whole return in one event", "[engine]") {
  harness h(program_text(return_rules));
  lines l;
  l.add("A", "misc", "10.00", 3);  // 30
  l.add("B", "misc", "7.00", 1);   //  7
  (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
  CHECK(h.available() == 37 + 9 + 100);
  const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00");
  REQUIRE(r.result == process_result::ok);
  CHECK(reversed_units(r) == 37 + 9);
  CHECK(r.awards.empty());  // returns have no rules of their own here
  CHECK(h.available() == 100);
  CHECK(h.balance().reversed == 46);
}

TEST_CASE("engine returns: after the points were spent, under each return policy", "[engine]") {
  const char* const rules = R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
)";
  lines l;
  l.add("A", "misc", "10.00", 3);  // 30
  l.add("B", "misc", "7.00", 1);   //  7
  lines next;
  next.add("C", "misc", "50.00", 1);  // 50
  // Each: 37 earned, 35 spent (2 left), then line 0 (30 points) is returned.
  SECTION("only_pending: active points stay with the customer") {
    harness h(program_text(rules, "only_pending"));
    (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
    spend(h, 35, "2026-05-04T12:00:00+02:00");
    const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00", {{0, 3}});
    REQUIRE(r.result == process_result::ok);
    REQUIRE(r.reversals.size() == 1);
    CHECK(r.reversals[0].requested.units() == 30);
    CHECK(r.reversals[0].reversed.units() == 0);
    CHECK(r.reversals[0].ledger == loyalty::ledger_result::ok);
    CHECK(h.available() == 2);
    CHECK(h.balance().reversed == 0);
    CHECK(h.balance().debt == 0);
  }
  SECTION("within_balance: up to what is available (2); the customer keeps the shortfall") {
    harness h(program_text(rules, "within_balance"));
    (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
    spend(h, 35, "2026-05-04T12:00:00+02:00");
    const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00", {{0, 3}});
    REQUIRE(r.reversals.size() == 1);
    CHECK(r.reversals[0].requested.units() == 30);
    CHECK(r.reversals[0].reversed.units() == 2);
    CHECK(h.available() == 0);
    CHECK(h.balance().reversed == 2);
    CHECK(h.balance().debt == 0);
    // The next order's 50 points are all spendable.
    (void)h.order("A-2", "2026-05-06T10:00:00+02:00", next, {.total = "50.00"});
    CHECK(h.available() == 50);
  }
  SECTION("allow_negative: 2 taken, the other 28 become debt, repaid by the next earn") {
    harness h(program_text(rules, "allow_negative"));
    (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
    spend(h, 35, "2026-05-04T12:00:00+02:00");
    const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00", {{0, 3}});
    REQUIRE(r.reversals.size() == 1);
    CHECK(r.reversals[0].requested.units() == 30);
    // The ledger takes the 2 available and records the other 28 as debt; `reversed` reports
    // what was taken.
    CHECK(r.reversals[0].reversed.units() == 2);
    REQUIRE(r.entries.size() == 1);
    CHECK(r.entries[0].units == 2);
    CHECK(r.entries[0].debt_units == 28);
    CHECK(h.available() == 0);
    CHECK(h.balance().debt == 28);
    // 50 points: 28 repay the debt, 22 are spendable.
    const auto o2 = h.order("A-2", "2026-05-06T10:00:00+02:00", next, {.total = "50.00"});
    CHECK(h.units(o2, "base") == 50);
    CHECK(h.balance().debt == 0);
    CHECK(h.available() == 22);
  }
}

TEST_CASE("engine returns: points pending until the return window closes", "[engine]") {
  const char* const rules = R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    pending: {until: order.closed}
  - id: instant
    on: order.completed
    award: 5
    into: points
)";
  lines l;
  l.add("A", "misc", "10.00", 3);  // 30
  l.add("B", "misc", "7.00", 1);   //  7
  // only_pending: the strictest policy still takes back points that are pending.
  harness h(program_text(rules, "only_pending"));
  SECTION("a partial return before the window closes, then the rest activates") {
    const auto o = h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
    CHECK(h.award_of(o, "base")->pending);
    CHECK(h.pending() == 37);
    CHECK(h.available() == 5);
    const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00", {{1, 1}});
    REQUIRE(r.result == process_result::ok);
    CHECK(h.reversal_of(r, "base")->reversed.units() == 7);
    // instant's 5 split 30 : 7 by value: 4.05 and 0.95 -> 4 and 1; line 1's 1 is active:
    // only_pending keeps it.
    CHECK(h.reversal_of(r, "instant")->requested.units() == 1);
    CHECK(h.reversal_of(r, "instant")->reversed.units() == 0);
    CHECK(h.pending() == 30);
    CHECK(h.available() == 5);
    const auto c = h.close("C-1", "A-1", "2026-05-18T00:00:00+02:00");
    REQUIRE(c.result == process_result::ok);
    CHECK(h.pending() == 0);
    CHECK(h.available() == 35);
    // After the window, a return under only_pending takes nothing back.
    const auto late = h.return_lines("R-2", "A-1", "2026-05-19T10:00:00+02:00", {{0, 1}});
    CHECK(h.reversal_of(late, "base")->requested.units() == 10);
    CHECK(h.reversal_of(late, "base")->reversed.units() == 0);
    CHECK(h.available() == 35);
  }
  SECTION("everything returned before the window closes: nothing to activate") {
    (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
    const auto r = h.return_lines("R-1", "A-1", "2026-05-05T10:00:00+02:00");
    CHECK(h.reversal_of(r, "base")->reversed.units() == 37);
    CHECK(h.pending() == 0);
    const auto c = h.close("C-1", "A-1", "2026-05-18T00:00:00+02:00");
    CHECK(c.result == process_result::ok);
    CHECK(h.pending() == 0);
    CHECK(h.available() == 5);
    CHECK(h.balance().reversed == 37);
  }
}

TEST_CASE("engine returns: refused returns change nothing", "[engine]") {
  harness h(program_text(return_rules));
  lines l;
  l.add("A", "misc", "10.00", 3);
  l.add("B", "misc", "7.00", 1);
  (void)h.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
  REQUIRE(h.return_lines("R-0", "A-1", "2026-05-05T09:00:00+02:00", {{0, 2}}).result ==
          process_result::ok);
  const loyalty::member before = h.m;
  const std::int64_t available = h.available();
  auto unchanged = [&] {
    CHECK(h.m.version == before.version);
    CHECK(h.m.ledger.version == before.ledger.version);
    CHECK(h.m.events.size() == before.events.size());
    CHECK(h.m.order_values == before.order_values);
    CHECK(h.available() == available);
  };
  struct bad {
    const char* what;
    std::vector<std::pair<std::uint32_t, std::int64_t>> lines;
  };
  const bad cases[] = {
      {"2 more of line 0: 2 returned before, 3 bought", {{0, 2}}},
      {"4 of line 0 in two parts", {{0, 1}, {0, 1}}},
      {"no line 2", {{2, 1}}},
      {"a quantity of 0", {{1, 0}}},
      {"a negative quantity", {{1, -1}}},
  };
  int n = 0;
  for (const bad& b : cases) {
    INFO(b.what);
    const auto r =
        h.return_lines("R-bad-" + std::to_string(++n), "A-1", "2026-05-05T10:00:00+02:00", b.lines);
    CHECK(r.result == process_result::over_return);
    CHECK_FALSE(r.detail.empty());
    CHECK(r.entries.empty());
    CHECK(r.reversals.empty());
    unchanged();
  }
  const auto unknown = h.return_lines("R-x", "A-404", "2026-05-05T10:00:00+02:00");
  CHECK(unknown.result == process_result::unknown_original);
  unchanged();
  const auto close = h.close("C-x", "A-404", "2026-05-05T10:00:00+02:00");
  CHECK(close.result == process_result::unknown_original);
  unchanged();
  // The refused events were not recorded: the same ids work once they are valid.
  CHECK(h.return_lines("R-bad-1", "A-1", "2026-05-05T11:00:00+02:00", {{0, 1}}).result ==
        process_result::ok);
}

TEST_CASE("engine returns: a return under a newer program reverses what was awarded", "[engine]") {
  // Version 1: base earns 1 point per euro; the welcome gift is kept on return.
  etest::harness v1(program_text(R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
  - id: welcome_gift
    on: order.completed
    when: previous.order.completed == 0
    award: 100
    into: points
    on_return: keep
)"));
  lines l;
  l.add("A", "misc", "10.00", 3);  // 30
  l.add("B", "misc", "7.00", 1);   //  7
  const auto o = v1.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "37.00"});
  CHECK(v1.units(o, "base") == 37);
  CHECK(v1.available() == 137);

  // Version 2 (same event types): base now earns double, the rules are in another order and
  // there is a new one. The return must reverse base's actual 30 for line 0 and keep the gift.
  const auto p2 = etest::load(program_text(R"(
rules:
  - id: welcome_gift
    on: order.completed
    when: previous.order.completed == 0
    award: 100
    into: points
    on_return: keep
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty * 2
    into: points
  - id: newsletter
    on: review.approved
    award: 1
    into: points
)"));
  const loyalty::engine e2(p2);
  loyalty::event ret(*p2, "order.returned");
  ret.reset(loyalty::event_id("R-1"), etest::at("2026-05-05T10:00:00+02:00"));
  ret.set_original(loyalty::event_id("A-1"));
  ret.add_returned_line(0, 3);
  loyalty::process_options opt;
  const auto r = e2.process(v1.m, ret, ret.at(), opt);
  REQUIRE(r.result == process_result::ok);
  REQUIRE(r.reversals.size() == 1);
  CHECK(r.reversals[0].rule == *p2->find_rule("base"));
  CHECK(r.reversals[0].requested.units() == 30);
  CHECK(r.reversals[0].reversed.units() == 30);
  CHECK(e2.balance(v1.m, "points").available == 107);
}

TEST_CASE("engine returns: points pending under an older program activate under a newer one",
          "[engine]") {
  etest::harness v1(program_text(R"(
rules:
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    pending: {until: order.closed}
)"));
  lines l;
  l.add("A", "misc", "10.00", 3);  // 30, pending
  (void)v1.order("A-1", "2026-05-04T10:00:00+02:00", l, {.total = "30.00"});
  REQUIRE(v1.pending() == 30);
  // Version 2 puts a rule before base: base is rule 1 now.
  const auto p2 = etest::load(program_text(R"(
rules:
  - id: review
    on: review.approved
    award: 1
    into: points
  - id: base
    on: order.completed
    per: line
    award: line.price * line.qty
    into: points
    pending: {until: order.closed}
)"));
  const loyalty::engine e2(p2);
  loyalty::event close(*p2, "order.closed");
  close.reset(loyalty::event_id("C-1"), etest::at("2026-05-18T00:00:00+02:00"));
  close.set_original(loyalty::event_id("A-1"));
  const auto r = e2.process(v1.m, close, close.at());
  REQUIRE(r.result == process_result::ok);
  REQUIRE(r.entries.size() == 1);
  CHECK(r.entries[0].kind == loyalty::entry_kind::activate);
  CHECK(e2.balance(v1.m, "points").pending == 0);
  CHECK(e2.balance(v1.m, "points").available == 30);
}
