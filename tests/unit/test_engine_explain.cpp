// Explanations (process_options::explain): the value of each `when` clause, the outcome of each
// rule for every rule_outcome the engine can give, and no trace at all without explain.
#include "engine_test_util.hpp"

using etest::harness;
using etest::lines;
using etest::program_text;
using loyalty::eval_status;
using loyalty::process_result;
using loyalty::rule_outcome;
using loyalty::value;
using loyalty::value_kind;

namespace {

struct ping_fields {
  const char* value = nullptr;
  int flag = -1;  // -1: missing
  std::int64_t n = -1;
  const char* tag = nullptr;
};

loyalty::engine_decision ping(harness& h, const std::string& id, const ping_fields& f,
                              const char* when = "2026-05-04T10:00:00+02:00") {
  auto e = h.make("ping", id, when);
  if (f.value != nullptr) REQUIRE(e.set("event.value", etest::d(f.value)));
  if (f.flag >= 0) REQUIRE(e.set("event.flag", value::of_bool(f.flag == 1)));
  if (f.n >= 0) REQUIRE(e.set("event.n", value::of_int(f.n)));
  if (f.tag != nullptr) REQUIRE(e.set("event.tag", value::of_string(f.tag)));
  return h.process(e);
}

/// "true", "false" or "null".
std::string clause_value(const loyalty::clause_trace& c) {
  if (c.result.is_null()) return "null";
  REQUIRE(c.result.kind() == value_kind::boolean);
  return c.result.as_bool() ? "true" : "false";
}

std::vector<std::string> clause_values(const loyalty::rule_trace& t) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < t.clauses.size(); ++i) {
    CHECK(t.clauses[i].clause == i);
    CHECK(t.clauses[i].status == eval_status::ok);
    out.push_back(clause_value(t.clauses[i]));
  }
  return out;
}

}  // namespace

TEST_CASE("engine explain: the value of each when clause", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: three
    on: ping
    when:
      - event.n > 1
      - event.flag
      - event.value >= 5
    award: 1
    into: points
)"));
  using strings = std::vector<std::string>;
  SECTION("all true") {
    const auto r = ping(h, "1", {.value = "5.00", .flag = 1, .n = 2});
    CHECK(clause_values(h.trace_of(r, "three")) == strings{"true", "true", "true"});
    CHECK(h.outcome(r, "three") == rule_outcome::awarded);
  }
  SECTION("the first false decides; the explanation still values every clause") {
    const auto r = ping(h, "1", {.value = "5.00", .flag = 1, .n = 1});
    CHECK(clause_values(h.trace_of(r, "three")) == strings{"false", "true", "true"});
    CHECK(h.outcome(r, "three") == rule_outcome::condition_false);
  }
  SECTION("a missing optional field makes a clause null, which does not hold") {
    const auto r = ping(h, "1", {.value = "5.00", .n = 2});
    CHECK(clause_values(h.trace_of(r, "three")) == strings{"true", "null", "true"});
    CHECK(h.outcome(r, "three") == rule_outcome::condition_false);
  }
  SECTION("a comparison with a missing value is false, not null") {
    const auto r = ping(h, "1", {.flag = 1, .n = 2});
    CHECK(clause_values(h.trace_of(r, "three")) == strings{"true", "true", "false"});
  }
  SECTION("the clauses' source text is kept for explanations") {
    const loyalty::earning_rule& rule = h.program->rules()[h.rule("three")];
    REQUIRE(rule.when.size() == 3);
    CHECK(rule.when[0].text == "event.n > 1");
    CHECK(rule.when[1].text == "event.flag");
  }
}

TEST_CASE("engine explain: every rule outcome", "[engine]") {
  harness h(program_text(R"(
groups:
  - id: one_of
    mode: first
rules:
  - id: awarded
    on: ping
    when: event.tag == 'a'
    award: 7
    into: points
  - id: message_only
    on: ping
    when: event.tag == 'a'
    message: hello
  - id: outside_window
    on: ping
    active:
      from: "2027-01-01"
    award: 1
    into: points
  - id: condition_false
    on: ping
    when: event.tag == 'b'
    award: 1
    into: points
  - id: zero_award
    on: ping
    when: event.tag == 'a'
    award: 0.99
    into: points
  - id: capped
    on: ping
    when: event.tag == 'a'
    award: 5
    into: points
    caps:
      - {count: 1, per: customer, period: day, overflow: reject}
  - id: group_winner
    on: ping
    award: 2
    into: points
    group: one_of
  - id: lost_in_group
    on: ping
    award: 3
    into: points
    group: one_of
  - id: evaluation_error
    on: ping
    when: event.tag == 'a'
    award: 100 / event.n
    into: points
  # Pending 14 days but expiring after 7: the ledger refuses the dates.
  - id: ledger_refused
    on: ping
    when: event.tag == 'a'
    award: 4
    into: points
    pending: 14 days
    expiry: {policy: after, period: 7 days, clock_starts: earn}
)"));
  // One capped award first, so that `capped` has no room left today.
  REQUIRE(ping(h, "0", {.n = 1, .tag = "a"}).result == process_result::ok);
  const auto r = ping(h, "1", {.n = 0, .tag = "a"});
  REQUIRE(r.result == process_result::ok);
  CHECK(r.trace.size() == h.program->rules().size());
  CHECK(h.outcome(r, "awarded") == rule_outcome::awarded);
  CHECK(h.trace_of(r, "awarded").awarded == etest::d("7"));
  CHECK(h.outcome(r, "message_only") == rule_outcome::message_only);
  CHECK(h.outcome(r, "outside_window") == rule_outcome::outside_window);
  CHECK(h.trace_of(r, "outside_window").clauses.empty());
  CHECK(h.outcome(r, "condition_false") == rule_outcome::condition_false);
  CHECK(h.outcome(r, "zero_award") == rule_outcome::zero_award);
  CHECK(h.trace_of(r, "zero_award").uncapped.is_zero());
  CHECK(h.outcome(r, "capped") == rule_outcome::capped);
  CHECK(h.trace_of(r, "capped").uncapped == etest::d("5"));
  CHECK(h.trace_of(r, "capped").limited_by == 0);
  CHECK(h.outcome(r, "group_winner") == rule_outcome::awarded);
  CHECK(h.outcome(r, "lost_in_group") == rule_outcome::lost_in_group);
  CHECK(h.outcome(r, "evaluation_error") == rule_outcome::evaluation_error);
  CHECK(h.trace_of(r, "evaluation_error").status == eval_status::division_by_zero);
  CHECK(h.outcome(r, "ledger_refused") == rule_outcome::ledger_refused);
  REQUIRE(h.award_of(r, "ledger_refused") != nullptr);
  CHECK(h.award_of(r, "ledger_refused")->ledger == loyalty::ledger_result::invalid_dates);
  CHECK(h.award_of(r, "ledger_refused")->amount.is_zero());
  // Only what was credited counts: 7 + 2.
  CHECK(h.units(r, "awarded") == 7);
  CHECK(h.units(r, "group_winner") == 2);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].text == "hello");
  // The first ping: awarded 7, capped 5, group 2, 100 / 1 = 100; ledger_refused nothing.
  CHECK(h.available() == (7 + 5 + 2 + 100) + (7 + 2));
}

TEST_CASE("engine explain: per-line rules report the lines that matched", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: coffee
    on: order.completed
    per: line
    where: line.category == 'coffee'
    award: line.price * line.qty
    into: points
)"));
  lines l;
  l.add("A", "coffee", "3.50", 2);
  l.add("B", "tea", "4.00", 1);
  l.add("C", "coffee", "2.25", 1);
  const auto r = h.order("O-1", "2026-05-04T10:00:00+02:00", l, {.total = "13.25"});
  const auto& t = h.trace_of(r, "coffee");
  CHECK(t.outcome == rule_outcome::awarded);
  CHECK(t.lines_matched == 2);
  CHECK(t.uncapped == etest::d("9"));  // floor(7.00) + floor(2.25)
  CHECK(t.awarded == etest::d("9"));
  CHECK(t.limited_by == -1);
  CHECK(t.clauses.empty());  // no `when`
  lines none;
  none.add("B", "tea", "4.00", 1);
  const auto r2 = h.order("O-2", "2026-05-04T11:00:00+02:00", none, {.total = "4.00"});
  CHECK(h.outcome(r2, "coffee") == rule_outcome::no_line_matched);
  CHECK(h.trace_of(r2, "coffee").lines_matched == 0);
}

TEST_CASE("engine explain: without explain the trace is empty", "[engine]") {
  harness h(program_text(R"(
rules:
  - id: a
    on: ping
    when: event.n > 1
    award: 1
    into: points
  - id: b
    on: ping
    award: 100 / event.n
    into: points
)"));
  h.explain = false;
  const auto r = ping(h, "1", {.n = 2});
  CHECK(r.result == process_result::ok);
  CHECK(r.trace.empty());
  CHECK(r.awards.size() == 2);
  const auto r2 = ping(h, "2", {.n = 0});
  CHECK(r2.trace.empty());
  CHECK(r2.awards.empty());
  CHECK(h.advance("2026-05-05T10:00:00+02:00").trace.empty());
  // The decision object is reused by the host: a call with explain leaves a trace, and one
  // without clears it.
  loyalty::engine_decision reused;
  auto e = h.make("ping", "3", "2026-05-06T10:00:00+02:00");
  REQUIRE(e.set("event.n", value::of_int(4)));
  loyalty::process_options with;
  with.explain = true;
  h.engine.process(h.m, e, e.at(), with, reused);
  CHECK(reused.trace.size() == 2);
  auto e2 = h.make("ping", "4", "2026-05-06T11:00:00+02:00");
  REQUIRE(e2.set("event.n", value::of_int(4)));
  h.engine.process(h.m, e2, e2.at(), {}, reused);
  CHECK(reused.trace.empty());
  CHECK(reused.awards.size() == 2);
}
