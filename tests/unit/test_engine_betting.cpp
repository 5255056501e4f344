// A program that is not a shop: tests/rules/valid/betting.yaml, a sportsbook's rewards on
// bet.placed and bet.settled events (stake, odds, outcome, sport; a slip's selections as lines),
// with points and a free-bet money wallet. The engine runs it like any other program.
#include "engine_test_util.hpp"

#include <deque>
#include <filesystem>

#include "golden_util.hpp"

using etest::d;
using loyalty::process_result;
using loyalty::rule_outcome;
using loyalty::value;

namespace {

struct sportsbook {
  std::shared_ptr<const loyalty::program> program = etest::load(loyalty::test::read_text(
      std::filesystem::path(LOYALTY_TEST_DIR) / "rules" / "valid" / "betting.yaml"));
  loyalty::engine engine{program};
  loyalty::member punter = engine.open(loyalty::id128{0, 7});
  std::deque<std::vector<value>> selections;  // the events' lines point here

  value sport(const char* name) const {
    const int code = program->schema().enum_code("sport", name);
    REQUIRE(code >= 0);
    return value::of_enum(code);
  }
  value outcome(const char* name) const {
    const int code = program->schema().enum_code("outcome", name);
    REQUIRE(code >= 0);
    return value::of_enum(code);
  }
  loyalty::process_options options() const {
    loyalty::process_options o;
    o.explain = true;
    return o;
  }

  loyalty::engine_decision placed(const char* id, const char* when, const char* stake) {
    loyalty::event e(*program, "bet.placed");
    e.reset(loyalty::event_id(id), etest::at(when));
    REQUIRE(e.set("event.stake", d(stake)));
    REQUIRE(e.set("event.odds", d("2.00")));
    REQUIRE(e.set("event.sport", sport("football")));
    return engine.process(punter, e, e.at(), options());
  }
  /// A settled bet of `legs` selections of `sport_name`.
  loyalty::event settled(const char* id, const char* when, const char* stake, const char* odds,
                         const char* result, const char* sport_name, int legs = 1) {
    loyalty::event e(*program, "bet.settled");
    e.reset(loyalty::event_id(id), etest::at(when));
    REQUIRE(e.set("event.stake", d(stake)));
    REQUIRE(e.set("event.odds", d(odds)));
    REQUIRE(e.set("event.outcome", outcome(result)));
    REQUIRE(e.set("event.sport", sport(sport_name)));
    std::vector<value>& rows = selections.emplace_back();
    for (int i = 0; i < legs; ++i) {
      rows.push_back(value::of_string("match winner"));
      rows.push_back(sport(sport_name));
      rows.push_back(value::of_decimal(d("1.85")));
    }
    REQUIRE(e.set("event.selections",
                  value::of_list(rows.data(), static_cast<std::uint32_t>(legs), 3)));
    return e;
  }
  loyalty::engine_decision settle(const char* id, const char* when, const char* stake,
                                  const char* odds, const char* result, const char* sport_name,
                                  int legs = 1) {
    const loyalty::event e = settled(id, when, stake, odds, result, sport_name, legs);
    return engine.process(punter, e, e.at(), options());
  }

  std::uint32_t rule(const char* id) const { return *program->find_rule(id); }
  /// What rule `id` credited in `dec`, as text at its point type's scale ("" if nothing).
  std::string awarded(const loyalty::engine_decision& dec, const char* id) const {
    for (const loyalty::award& a : dec.awards) {
      if (a.rule == rule(id)) return a.amount.to_string();
    }
    return "";
  }
  rule_outcome outcome_of(const loyalty::engine_decision& dec, const char* id) const {
    for (const loyalty::rule_trace& t : dec.trace) {
      if (t.rule == rule(id)) return t.outcome;
    }
    FAIL("no trace of " << id);
    return rule_outcome::condition_false;
  }
  std::int64_t available(const char* type) const { return engine.balance(punter, type).available; }
};

}  // namespace

TEST_CASE("engine betting: a sportsbook program with exact balances", "[engine]") {
  sportsbook s;
  // May 2026 in Malta is CEST (+02:00): Monday 4 to Sunday 10 is one ISO week.

  // Five bets placed: the fifth earns 25 points; the sixth nothing.
  const char* const placed_at[] = {"2026-05-04T18:00:00+02:00", "2026-05-04T18:10:00+02:00",
                                   "2026-05-09T12:00:00+02:00", "2026-05-09T12:05:00+02:00",
                                   "2026-05-10T14:00:00+02:00", "2026-05-10T15:00:00+02:00"};
  for (int i = 0; i < 6; ++i) {
    const std::string id = "PLACE-" + std::to_string(i + 1);
    const auto dec = s.placed(id.c_str(), placed_at[i], "20.00");
    REQUIRE(dec.result == process_result::ok);
    CHECK(s.awarded(dec, "fifth_bet") == (i == 4 ? "25" : ""));
  }
  CHECK(s.available("points") == 25);

  // Monday: the first settled bet, 20.00 at 2.10, won: 2 points and the 5.00 welcome free bet.
  auto dec = s.settle("BET-1", "2026-05-04T21:00:00+02:00", "20.00", "2.10", "won", "football");
  REQUIRE(dec.result == process_result::ok);
  CHECK(s.awarded(dec, "settled_points") == "2");
  CHECK(s.awarded(dec, "first_bet_free_bet") == "5.00");
  REQUIRE(dec.messages.size() == 1);
  CHECK(dec.messages[0].text == "send_free_bet_welcome");
  CHECK(s.outcome_of(dec, "acca_boost") == rule_outcome::condition_false);
  CHECK(s.outcome_of(dec, "loss_refund") == rule_outcome::condition_false);

  // Tuesday: 25.00 at 1.40, lost: below the odds for points; 2.50 back in free bets.
  dec = s.settle("BET-2", "2026-05-05T20:00:00+02:00", "25.00", "1.40", "lost", "football");
  CHECK(s.awarded(dec, "settled_points") == "");
  CHECK(s.outcome_of(dec, "settled_points") == rule_outcome::condition_false);
  CHECK(s.awarded(dec, "first_bet_free_bet") == "");  // not the first settled bet
  CHECK(s.awarded(dec, "loss_refund") == "2.50");

  // Saturday: tennis, 35.00 at 1.80, won: 3 points, doubled at the weekend.
  dec = s.settle("BET-3", "2026-05-09T16:00:00+02:00", "35.00", "1.80", "won", "tennis");
  CHECK(s.awarded(dec, "settled_points") == "3");
  CHECK(s.awarded(dec, "tennis_weekend") == "3");

  // Saturday: an accumulator of three selections, 10.00 at 6.50, won: 1 point, and 2 per
  // selection.
  dec = s.settle("BET-4", "2026-05-09T18:00:00+02:00", "10.00", "6.50", "won", "football", 3);
  CHECK(s.awarded(dec, "settled_points") == "1");
  CHECK(s.awarded(dec, "acca_boost") == "6");
  CHECK(s.outcome_of(dec, "tennis_weekend") == rule_outcome::condition_false);

  // Sunday: a void bet earns nothing at all.
  dec = s.settle("BET-5", "2026-05-10T17:00:00+02:00", "50.00", "3.00", "void", "tennis");
  CHECK(dec.awards.empty());
  CHECK(dec.entries.empty());

  // Sunday: 200.00 at 2.00, lost: 20 points; 20.00 back, capped to the 17.50 left this week.
  dec = s.settle("BET-6", "2026-05-10T20:00:00+02:00", "200.00", "2.00", "lost", "basketball");
  CHECK(s.awarded(dec, "settled_points") == "20");
  CHECK(s.awarded(dec, "loss_refund") == "17.50");
  const loyalty::award* refund = nullptr;
  for (const loyalty::award& a : dec.awards) {
    if (a.rule == s.rule("loss_refund")) refund = &a;
  }
  REQUIRE(refund != nullptr);
  CHECK(refund->uncapped == d("20.00"));

  // The same settlement delivered again: a duplicate, nothing twice.
  const loyalty::event again =
      s.settled("BET-6", "2026-05-10T20:00:00+02:00", "200.00", "2.00", "lost", "basketball");
  CHECK(s.engine.process(s.punter, again, again.at()).result == process_result::duplicate);

  // Monday: a new week for the cap. 30.00 at 1.50, lost: 3 points, 3.00 back.
  dec = s.settle("BET-7", "2026-05-11T12:00:00+02:00", "30.00", "1.50", "lost", "football");
  CHECK(s.awarded(dec, "settled_points") == "3");
  CHECK(s.awarded(dec, "loss_refund") == "3.00");

  // 25 + 2 + 3 + 3 + 1 + 6 + 20 + 3 points; 5.00 + 2.50 + 17.50 + 3.00 in free bets (cents).
  CHECK(s.available("points") == 63);
  CHECK(s.available("free_bets") == 2800);
  CHECK(s.punter.event_counts[s.program->find_event_type("bet.settled")] == 7);

  // Free bets last 7 days: on Tuesday 12 May at 23:00 the first two (5.00 of Monday 21:00, 2.50
  // of Tuesday 20:00) have expired.
  const auto day = s.engine.advance(s.punter, etest::at("2026-05-12T23:00:00+02:00"));
  REQUIRE(day.result == process_result::ok);
  CHECK(s.available("free_bets") == 2050);
  CHECK(s.engine.balance(s.punter, "free_bets").expired == 750);
  CHECK(s.available("points") == 63);
  // 17.50 of Sunday 20:00 expire on Sunday 17 May at 20:00; 3.00 of Monday at noon on the 18th.
  (void)s.engine.advance(s.punter, etest::at("2026-05-17T19:59:59+02:00"));
  CHECK(s.available("free_bets") == 2050);
  (void)s.engine.advance(s.punter, etest::at("2026-05-17T20:00:00+02:00"));
  CHECK(s.available("free_bets") == 300);
  (void)s.engine.advance(s.punter, etest::at("2026-05-18T12:00:00+02:00"));
  CHECK(s.available("free_bets") == 0);
  CHECK(s.engine.balance(s.punter, "free_bets").expired == 2800);
}
