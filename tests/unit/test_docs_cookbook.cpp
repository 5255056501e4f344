// The cookbook's stated results (and those of rules.md's complete example), executed: each test
// loads the yaml block of one recipe of docs/cookbook.md (the first non-fragment block under the
// recipe's `## ` heading), processes the events the recipe's text describes and checks the numbers
// it states. If a recipe's text and the engine disagree, the doc is wrong (or the engine): a test
// here fails.
#include "engine_test_util.hpp"

#include <deque>
#include <filesystem>
#include <sstream>

#include "golden_util.hpp"

using etest::d;
using loyalty::engine_decision;
using loyalty::process_result;
using loyalty::rule_outcome;
using loyalty::value;

namespace {

/// The first ```yaml block under `## heading` in docs/`page` that is not a fragment.
std::string doc_yaml(std::string_view page, std::string_view heading) {
  std::istringstream in(loyalty::test::read_text(std::filesystem::path(LOYALTY_SOURCE_DIR) /
                                                 "docs" / std::string(page)));
  std::string line, previous, text;
  bool under = false, open = false;
  while (std::getline(in, line)) {
    if (open) {
      if (line.rfind("```", 0) == 0) return text;
      text += line + "\n";
    } else if (line.rfind("## ", 0) == 0) {
      under = line.substr(3) == heading;
    } else if (under && line == "```yaml" &&
               previous.find("<!-- fragment -->") == std::string::npos) {
      open = true;
    }
    previous = line;
  }
  FAIL("no yaml block under '## " << heading << "' in docs/" << page);
  return {};
}

/// A recipe of docs/cookbook.md.
std::string recipe(std::string_view heading) {
  return doc_yaml("cookbook.md", heading);
}

/// `text` with `insert` added after the first line equal to `after`.
std::string with_line_after(std::string text, std::string_view after, std::string_view insert) {
  const std::string key = std::string(after) + "\n";
  const auto at = text.find(key);
  REQUIRE(at != std::string::npos);
  text.insert(at + key.size(), std::string(insert) + "\n");
  return text;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

value txt(const char* s) {
  return value::of_string(s);
}
value num(const char* s) {
  return value::of_decimal(d(s));
}
value whole(std::int64_t n) {
  return value::of_int(n);
}
value flag(bool b) {
  return value::of_bool(b);
}

/// One recipe's program, its engine and one member at a time.
struct kitchen {
  std::shared_ptr<const loyalty::program> program;
  loyalty::engine engine;
  loyalty::member m;
  std::vector<std::int64_t> budgets;
  std::deque<std::vector<value>> rows;  // events' lines point here
  int next_id = 0;

  explicit kitchen(const std::string& yaml)
      : program(etest::load(yaml)), engine(program), m(engine.open(loyalty::id128{0, 1})) {}

  /// Starts over with a new member.
  void new_member(std::uint64_t n) { m = engine.open(loyalty::id128{0, n}); }

  value enum_value(const char* enum_name, const char* name) const {
    const int code = program->schema().enum_code(enum_name, name);
    REQUIRE(code >= 0);
    return value::of_enum(code);
  }
  loyalty::event make(const char* type, const char* when, const char* id = nullptr) {
    loyalty::event e(*program, type);
    const std::string own = id != nullptr ? std::string(id) : "E-" + std::to_string(++next_id);
    e.reset(loyalty::event_id(own), etest::at(when));
    return e;
  }
  /// Sets `event.lines` to the given lines, each with the record's fields in order.
  void lines(loyalty::event& e, const std::vector<std::vector<value>>& l) {
    std::vector<value>& r = rows.emplace_back();
    for (const auto& fields : l) r.insert(r.end(), fields.begin(), fields.end());
    const std::size_t width = l.empty() ? 1 : l.front().size();
    REQUIRE(e.set("event.lines", value::of_list(r.data(), static_cast<std::uint32_t>(l.size()),
                                                static_cast<std::uint8_t>(width))));
  }
  engine_decision process(const loyalty::event& e, const char* now = nullptr) {
    loyalty::process_options o;
    o.budgets = budgets;
    o.explain = true;
    return engine.process(m, e, now != nullptr ? etest::at(now) : e.at(), o);
  }
  engine_decision advance(const char* now) {
    loyalty::process_options o;
    o.budgets = budgets;
    return engine.advance(m, etest::at(now), o);
  }
  /// A return of `original`'s line `line`, `qty` units.
  engine_decision return_line(const char* original, const char* when, std::uint32_t line,
                              std::int64_t qty, const char* type = "order.returned") {
    loyalty::event e = make(type, when);
    e.set_original(loyalty::event_id(original));
    e.add_returned_line(line, qty);
    return process(e);
  }

  std::uint32_t rule(const char* id) const {
    const auto r = program->find_rule(id);
    REQUIRE(r.has_value());
    return *r;
  }
  /// What rule `id` credited, as text at its point type's scale; "" when it credited nothing.
  std::string awarded(const engine_decision& dec, const char* id) const {
    for (const loyalty::award& a : dec.awards) {
      if (a.rule == rule(id)) return a.amount.to_string();
    }
    return "";
  }
  /// What a return took back from rule `id`'s award; "" when it did not touch it.
  std::string reversed(const engine_decision& dec, const char* id) const {
    for (const loyalty::reversal& r : dec.reversals) {
      if (r.rule == rule(id)) return r.reversed.to_string();
    }
    return "";
  }
  rule_outcome outcome(const engine_decision& dec, const char* id) const {
    for (const loyalty::rule_trace& t : dec.trace) {
      if (t.rule == rule(id)) return t.outcome;
    }
    FAIL("no trace of rule " << id);
    return rule_outcome::condition_false;
  }
  std::int64_t available(const char* type = "points") const {
    return engine.balance(m, type).available;
  }
  std::int64_t pending(const char* type = "points") const {
    return engine.balance(m, type).pending;
  }
};

}  // namespace

TEST_CASE("docs: cookbook, points per euro on the net amount", "[docs]") {
  const std::string yaml = recipe("Points per euro on the net amount");
  // line: sku, price, qty, discount, gift_card
  SECTION("two coffees at 12.50 and a 50.00 gift card earn 25") {
    kitchen k(yaml);
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    k.lines(e, {{txt("COFFEE"), num("12.50"), whole(2), num("0.00"), flag(false)},
                {txt("GIFT-50"), num("50.00"), whole(1), num("0.00"), flag(true)}});
    const engine_decision dec = k.process(e);
    REQUIRE(dec.result == process_result::ok);
    CHECK(k.awarded(dec, "base_points") == "25");
  }
  SECTION("lines of 9.99 and 0.99 earn 9 + 0; rounding per order, 10") {
    const std::vector<std::vector<value>> two = {
        {txt("A"), num("9.99"), whole(1), num("0.00"), flag(false)},
        {txt("B"), num("0.99"), whole(1), num("0.00"), flag(false)}};
    kitchen per_line(yaml);
    loyalty::event e = per_line.make("order.completed", "2026-05-04T10:00:00+02:00");
    per_line.lines(e, two);
    CHECK(per_line.awarded(per_line.process(e), "base_points") == "9");
    kitchen per_order(with_line_after(yaml, "    into: points", "    rounding: {per: order}"));
    loyalty::event f = per_order.make("order.completed", "2026-05-04T10:00:00+02:00");
    per_order.lines(f, two);
    CHECK(per_order.awarded(per_order.process(f), "base_points") == "10");
  }
  SECTION("a discount comes off the line") {
    kitchen k(yaml);
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    k.lines(e, {{txt("BOX"), num("30.00"), whole(1), num("5.00"), flag(false)}});
    CHECK(k.awarded(k.process(e), "base_points") == "25");
  }
}

TEST_CASE("docs: cookbook, category and SKU multipliers", "[docs]") {
  kitchen k(recipe("Category and SKU multipliers"));
  // line: sku, category, price, qty
  loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
  k.lines(e, {{txt("BEAN-ETH"), txt("coffee"), num("10.00"), whole(1)},
              {txt("BEAN-BRA"), txt("coffee"), num("5.00"), whole(1)},
              {txt("MUG"), txt("kitchen"), num("5.00"), whole(1)}});
  // "A 10.00 bag of BEAN-ETH earns 30, a 5.00 bag of other coffee 10, a 5.00 mug 5."
  CHECK(k.awarded(k.process(e), "base_points") == "45");
}

TEST_CASE("docs: cookbook, tier multipliers", "[docs]") {
  kitchen k(recipe("Tier multipliers"));
  SECTION("a gold member's 59.90 order earns 89") {
    REQUIRE(k.m.set_profile(*k.program, "customer.tier", k.enum_value("tier", "gold")));
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    REQUIRE(e.set("event.net", d("59.90")));
    const engine_decision dec = k.process(e);
    REQUIRE(dec.result == process_result::ok);
    CHECK(k.awarded(dec, "base_points") == "89");
  }
  SECTION("without a tier, every event is invalid_event") {
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    REQUIRE(e.set("event.net", d("59.90")));
    const engine_decision dec = k.process(e);
    CHECK(dec.result == process_result::invalid_event);
    CHECK(dec.detail == "the required field 'customer.tier' is missing");
    CHECK(k.available() == 0);
  }
}

TEST_CASE("docs: cookbook, fixed points per product", "[docs]") {
  kitchen k(recipe("Fixed points per product"));
  // line: sku, qty
  loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00", "INV-1");
  k.lines(e, {{txt("GIFT-BOX"), whole(3)}, {txt("CARD"), whole(1)}});
  const engine_decision dec = k.process(e);
  CHECK(k.awarded(dec, "gift_box") == "150");
  // Returning one of the three takes back 50.
  const engine_decision ret = k.return_line("INV-1", "2026-05-10T10:00:00+02:00", 0, 1);
  REQUIRE(ret.result == process_result::ok);
  CHECK(k.reversed(ret, "gift_box") == "50");
  CHECK(k.available() == 100);
}

TEST_CASE("docs: cookbook, first-purchase bonus", "[docs]") {
  kitchen k(recipe("First-purchase bonus"));
  auto order = [&](const char* net, const char* when) {
    loyalty::event e = k.make("order.completed", when);
    REQUIRE(e.set("event.net", d(net)));
    return k.process(e);
  };
  // 200 points for a first order of at least 20 euros.
  CHECK(k.awarded(order("20.00", "2026-05-04T10:00:00+02:00"), "first_purchase") == "200");
  CHECK(k.awarded(order("80.00", "2026-05-05T10:00:00+02:00"), "first_purchase") == "");
  CHECK(k.available() == 200);
  // A first order of 15 euros uses up the bonus.
  k.new_member(2);
  CHECK(k.awarded(order("15.00", "2026-05-04T10:00:00+02:00"), "first_purchase") == "");
  const engine_decision second = order("30.00", "2026-05-05T10:00:00+02:00");
  CHECK(k.awarded(second, "first_purchase") == "");
  CHECK(k.outcome(second, "first_purchase") == rule_outcome::condition_false);
  CHECK(k.available() == 0);
}

TEST_CASE("docs: cookbook, birthday and membership anniversaries", "[docs]") {
  kitchen k(recipe("Birthday and membership anniversaries"));
  loyalty::event reg = k.make("customer.registered", "2024-03-01T10:00:00+01:00");
  REQUIRE(reg.set("event.birthday", value::of_date(etest::date("1992-02-29"))));
  REQUIRE(reg.set("event.joined", value::of_date(etest::date("2024-03-01"))));
  REQUIRE(k.process(reg).result == process_result::ok);
  // The first advance() covers its own day only; nothing on 1 March 2026 (two years).
  engine_decision day = k.advance("2026-03-01T08:00:00+01:00");
  CHECK(day.awards.empty());
  day = k.advance("2027-02-27T08:00:00+01:00");  // catches up a year of days: nothing
  CHECK(day.awards.empty());
  // A birthday on 29 February falls on 28 February in a common year.
  day = k.advance("2027-02-28T08:00:00+01:00");
  CHECK(k.awarded(day, "birthday") == "250");
  REQUIRE(day.messages.size() == 1);
  CHECK(day.messages[0].text == "send_birthday_card");
  // "use it within a month": 28 March 08:00, the clocks having moved to CEST that night.
  REQUIRE(day.entries.size() == 1);
  CHECK(day.entries[0].expires_at == etest::at("2027-03-28T08:00:00+02:00"));
  // Three years with us on 1 March 2027: 300. Running advance() again awards nothing twice.
  day = k.advance("2027-03-01T08:00:00+01:00");
  CHECK(k.awarded(day, "three_years_with_us") == "300");
  day = k.advance("2027-03-01T20:00:00+01:00");
  CHECK(day.awards.empty());
  CHECK(k.available() == 550);
  // The birthday points are gone a month later.
  (void)k.advance("2027-03-28T08:00:00+02:00");
  CHECK(k.available() == 300);
}

TEST_CASE("docs: cookbook, referral bonuses", "[docs]") {
  kitchen k(recipe("Referral bonuses"));
  auto referral = [&](const char* id, const char* role, const char* when) {
    loyalty::event e = k.make("referral.converted", when, id);
    REQUIRE(e.set("event.role", k.enum_value("role", role)));
    return k.process(e);
  };
  CHECK(k.awarded(referral("REF-1/referred", "referred", "2026-01-05T10:00:00+01:00"),
                  "referred_bonus") == "250");
  // At most 10 referrals a year for the referrer: the eleventh of 2026 is capped; 2027 starts
  // from zero.
  for (int i = 0; i < 10; ++i) {
    const std::string id = "REF-" + std::to_string(10 + i) + "/referrer";
    CHECK(k.awarded(referral(id.c_str(), "referrer", "2026-06-01T10:00:00+02:00"),
                    "referrer_bonus") == "500");
  }
  const engine_decision eleventh =
      referral("REF-99/referrer", "referrer", "2026-12-31T23:00:00+01:00");
  CHECK(k.outcome(eleventh, "referrer_bonus") == rule_outcome::capped);
  CHECK(k.awarded(referral("REF-100/referrer", "referrer", "2027-01-01T00:00:00+01:00"),
                  "referrer_bonus") == "500");
  CHECK(k.available() == 250 + 11 * 500);
}

TEST_CASE("docs: cookbook, reviews, shares and other actions, with limits", "[docs]") {
  kitchen k(recipe("Reviews, shares and other actions, with limits"));
  auto review = [&](const char* when) {
    loyalty::event e = k.make("review.approved", when);
    REQUIRE(e.set("event.rating", whole(5)));
    return k.process(e);
  };
  // The fourth review of a month is capped; a new month starts from zero.
  CHECK(k.awarded(review("2026-05-01T00:00:00+02:00"), "review") == "20");
  CHECK(k.awarded(review("2026-05-10T10:00:00+02:00"), "review") == "20");
  CHECK(k.awarded(review("2026-05-20T10:00:00+02:00"), "review") == "20");
  const engine_decision fourth = review("2026-05-31T23:59:59+02:00");
  CHECK(k.outcome(fourth, "review") == rule_outcome::capped);
  CHECK(k.awarded(review("2026-06-01T00:00:00+02:00"), "review") == "20");
  CHECK(k.available() == 80);
  // One share a day (Berlin days).
  auto share = [&](const char* when) {
    loyalty::event e = k.make("social.shared", when);
    REQUIRE(e.set("event.network", txt("mastodon")));
    return k.process(e);
  };
  CHECK(k.awarded(share("2026-05-04T09:00:00+02:00"), "social_share") == "5");
  CHECK(k.awarded(share("2026-05-04T23:59:00+02:00"), "social_share") == "");
  CHECK(k.awarded(share("2026-05-05T00:00:00+02:00"), "social_share") == "5");
  // The newsletter bonus once ever; other actions earn nothing.
  auto action = [&](const char* what, const char* when) {
    loyalty::event e = k.make("action.completed", when);
    REQUIRE(e.set("event.action", k.enum_value("action", what)));
    return k.process(e);
  };
  CHECK(k.awarded(action("newsletter_signup", "2026-05-04T10:00:00+02:00"), "newsletter") == "50");
  CHECK(k.awarded(action("newsletter_signup", "2027-05-04T10:00:00+02:00"), "newsletter") == "");
  CHECK(k.awarded(action("app_installed", "2026-05-04T10:00:00+02:00"), "newsletter") == "");
  CHECK(k.available() == 80 + 10 + 50);
}

TEST_CASE("docs: cookbook, cashback into a money wallet", "[docs]") {
  kitchen k(recipe("Cashback into a money wallet"));
  auto order = [&](const char* net, const char* when) {
    loyalty::event e = k.make("order.completed", when);
    REQUIRE(e.set("event.net", d(net)));
    return k.process(e);
  };
  // 84.97 x 0.02 = 1.6994, rounded half even: 1.70.
  CHECK(k.awarded(order("84.97", "2026-05-02T10:00:00+02:00"), "cashback") == "1.70");
  // At most 20.00 a month: the order that crosses it gets what is left.
  CHECK(k.awarded(order("450.00", "2026-05-10T10:00:00+02:00"), "cashback") == "9.00");
  CHECK(k.awarded(order("450.00", "2026-05-11T10:00:00+02:00"), "cashback") == "9.00");
  const engine_decision crossing = order("200.00", "2026-05-12T10:00:00+02:00");
  CHECK(k.awarded(crossing, "cashback") == "0.30");  // 20.00 - 1.70 - 9.00 - 9.00
  CHECK(crossing.awards.at(0).uncapped == d("4.00"));
  CHECK(k.outcome(order("100.00", "2026-05-31T10:00:00+02:00"), "cashback") ==
        rule_outcome::capped);
  CHECK(k.awarded(order("100.00", "2026-06-01T10:00:00+02:00"), "cashback") == "2.00");
  CHECK(k.available("cashback") == 2200);
}

TEST_CASE("docs: cookbook, limited-time campaigns", "[docs]") {
  kitchen k(recipe("Limited-time campaigns"));
  auto order = [&](const char* net, const char* channel, const char* when,
                   const char* now = nullptr) {
    loyalty::event e = k.make("order.completed", when);
    REQUIRE(e.set("event.net", d(net)));
    REQUIRE(e.set("event.channel", k.enum_value("channel", channel)));
    return k.process(e, now);
  };
  // Placed at 23:50 on Monday 30 November, processed the next morning: still Black Friday.
  engine_decision dec =
      order("10.00", "web", "2026-11-30T23:50:00+01:00", "2026-12-01T09:00:00+01:00");
  CHECK(k.awarded(dec, "black_friday") == "30");
  CHECK(k.outcome(dec, "evening_double") == rule_outcome::outside_window);
  dec = order("10.00", "store", "2026-11-28T12:00:00+01:00");
  CHECK(k.outcome(dec, "black_friday") == rule_outcome::condition_false);
  CHECK(k.outcome(order("10.00", "app", "2026-11-26T23:59:59+01:00"), "black_friday") ==
        rule_outcome::outside_window);
  CHECK(k.outcome(order("10.00", "app", "2026-12-01T00:00:00+01:00"), "black_friday") ==
        rule_outcome::outside_window);
  // Weekday evenings of December, 18:00 to 22:00.
  CHECK(k.awarded(order("10.00", "store", "2026-12-01T18:00:00+01:00"), "evening_double") == "10");
  CHECK(k.outcome(order("10.00", "store", "2026-12-01T22:00:00+01:00"), "evening_double") ==
        rule_outcome::outside_window);
  CHECK(k.outcome(order("10.00", "store", "2026-12-05T19:00:00+01:00"), "evening_double") ==
        rule_outcome::outside_window);  // a Saturday
  CHECK(k.available() == 40);
}

TEST_CASE("docs: cookbook, caps and budgets", "[docs]") {
  kitchen k(recipe("Caps and budgets"));
  k.budgets = {1000000};
  auto order = [&](const char* net, const char* when) {
    loyalty::event e = k.make("order.completed", when);
    REQUIRE(e.set("event.net", d(net)));
    return k.process(e);
  };
  // At most 3,000 per order and 10,000 per customer over the campaign.
  for (const char* when :
       {"2026-03-20T10:00:00+01:00", "2026-03-25T10:00:00+01:00", "2026-04-01T10:00:00+02:00"}) {
    const engine_decision dec = order("1500.00", when);
    CHECK(k.awarded(dec, "spring_triple") == "3000");
    CHECK(dec.awards.at(0).uncapped == d("4500"));
    REQUIRE(dec.budgets.size() == 1);
    CHECK(dec.budgets[0].units == 3000);
    k.budgets[0] -= dec.budgets[0].units;  // the host's counter
  }
  engine_decision dec = order("1500.00", "2026-04-10T10:00:00+02:00");
  CHECK(k.awarded(dec, "spring_triple") == "1000");
  k.budgets[0] -= dec.budgets.at(0).units;
  dec = order("1500.00", "2026-04-11T10:00:00+02:00");
  CHECK(k.outcome(dec, "spring_triple") == rule_outcome::capped);
  CHECK(dec.budgets.empty());
  CHECK(k.available() == 10000);
  CHECK(k.budgets[0] == 990000);
  // The budget is the last limit: with 500 left, a new customer's order gets 500.
  k.new_member(2);
  k.budgets = {500};
  dec = order("1500.00", "2026-04-12T10:00:00+02:00");
  CHECK(k.awarded(dec, "spring_triple") == "500");
}

TEST_CASE("docs: cookbook, stacking, the first or the best", "[docs]") {
  kitchen k(recipe("Stacking: the first or the best"));
  // line: category, price, qty
  auto order = [&](const char* net, const std::vector<std::vector<value>>& l) {
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    REQUIRE(e.set("event.net", d(net)));
    k.lines(e, l);
    return k.process(e);
  };
  engine_decision dec = order("120.00", {{txt("food"), num("120.00"), whole(1)}});
  CHECK(k.awarded(dec, "basket_100") == "100");
  CHECK(k.awarded(dec, "basket_50") == "");
  dec = order("60.00", {{txt("food"), num("60.00"), whole(1)}});
  CHECK(k.awarded(dec, "basket_100") == "");
  CHECK(k.awarded(dec, "basket_50") == "40");
  // 30 euros of books (15 points) and 50 of toys (20 points): only toys_promo awards.
  dec = order("80.00",
              {{txt("books"), num("15.00"), whole(2)}, {txt("toys"), num("50.00"), whole(1)}});
  CHECK(k.awarded(dec, "books_promo") == "");
  CHECK(k.outcome(dec, "books_promo") == rule_outcome::lost_in_group);
  CHECK(k.awarded(dec, "toys_promo") == "20");
  CHECK(k.awarded(dec, "basket_50") == "40");
}

TEST_CASE("docs: cookbook, pending until the return window closes", "[docs]") {
  const std::string yaml = recipe("Pending until the return window closes");
  // line: sku, price, qty
  SECTION("until order.return_window_closed, under only_pending") {
    kitchen k(yaml);
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00", "INV-1");
    k.lines(e, {{txt("A"), num("20.00"), whole(1)}, {txt("B"), num("30.00"), whole(1)}});
    const engine_decision dec = k.process(e);
    CHECK(k.awarded(dec, "base_points") == "50");
    CHECK(k.pending() == 50);
    CHECK(k.available() == 0);
    // A return while pending takes the returned line's share back in full.
    CHECK(k.reversed(k.return_line("INV-1", "2026-05-08T10:00:00+02:00", 0, 1), "base_points") ==
          "20");
    CHECK(k.pending() == 30);
    // The window closes: the rest becomes spendable.
    loyalty::event closed = k.make("order.return_window_closed", "2026-05-18T10:00:00+02:00");
    closed.set_original(loyalty::event_id("INV-1"));
    REQUIRE(k.process(closed).result == process_result::ok);
    CHECK(k.available() == 30);
    CHECK(k.pending() == 0);
    // only_pending: once the window has closed, a return takes nothing back.
    const engine_decision late = k.return_line("INV-1", "2026-05-20T10:00:00+02:00", 1, 1);
    REQUIRE(late.result == process_result::ok);
    CHECK(k.reversed(late, "base_points") == "0");
    CHECK(k.available() == 30);
  }
  SECTION("pending: 14 days, activated by advance()") {
    kitchen k(replaced(yaml, "pending: {until: order.return_window_closed}", "pending: 14 days"));
    loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00");
    k.lines(e, {{txt("A"), num("20.00"), whole(1)}});
    (void)k.process(e);
    CHECK(k.pending() == 20);
    (void)k.advance("2026-05-18T09:59:59+02:00");
    CHECK(k.pending() == 20);
    (void)k.advance("2026-05-18T10:00:00+02:00");
    CHECK(k.available() == 20);
  }
}

TEST_CASE("docs: cookbook, returns", "[docs]") {
  kitchen k(recipe("Returns"));
  // line: sku, price, qty
  loyalty::event e = k.make("order.completed", "2026-05-04T10:00:00+02:00", "INV-1001");
  REQUIRE(e.set("event.net", d("50.00")));
  k.lines(e, {{txt("A"), num("30.00"), whole(1)}, {txt("B"), num("20.00"), whole(1)}});
  const engine_decision dec = k.process(e);
  CHECK(k.awarded(dec, "base_points") == "50");  // 30 + 20
  CHECK(k.awarded(dec, "basket_bonus") == "40");
  CHECK(k.awarded(dec, "welcome_order") == "100");
  CHECK(k.available() == 190);
  // Line 1 comes back: 20 of base_points and 16 of basket_bonus (split 24 : 16); the welcome
  // bonus stays.
  const engine_decision ret = k.return_line("INV-1001", "2026-05-10T10:00:00+02:00", 1, 1);
  REQUIRE(ret.result == process_result::ok);
  CHECK(k.reversed(ret, "base_points") == "20");
  CHECK(k.reversed(ret, "basket_bonus") == "16");
  CHECK(k.reversed(ret, "welcome_order") == "");
  CHECK(k.available() == 154);
  // Returning more than was bought changes nothing.
  const engine_decision over = k.return_line("INV-1001", "2026-05-11T10:00:00+02:00", 1, 1);
  CHECK(over.result == process_result::over_return);
  CHECK(k.available() == 154);
}

TEST_CASE("docs: rules.md, a complete example", "[docs]") {
  kitchen k(doc_yaml("rules.md", "A complete example"));
  k.budgets = {200000};
  REQUIRE(k.m.set_profile(*k.program, "customer.tier", k.enum_value("tier", "gold")));
  // line: sku, category, price, qty. Two 12.50 books and a 15.00 calendar on 25 March.
  loyalty::event e = k.make("order.completed", "2026-03-25T10:00:00+01:00", "ORD-1");
  REQUIRE(e.set("event.net", d("40.00")));
  k.lines(e, {{txt("BOOK"), txt("books"), num("12.50"), whole(2)},
              {txt("CAL"), txt("calendars"), num("15.00"), whole(1)}});
  const engine_decision dec = k.process(e);
  REQUIRE(dec.result == process_result::ok);
  CHECK(k.awarded(dec, "base") == "40");
  CHECK(k.awarded(dec, "books_gold") == "25");
  CHECK(k.awarded(dec, "spring_campaign") == "50");
  REQUIRE(dec.budgets.size() == 1);
  CHECK(dec.budgets[0].units == 50);
  CHECK(k.available() == 115);
  // One of the two books comes back: 12 of base's 40 (the books line has 25 of it), 12 of
  // books_gold's 25 and 15 of spring_campaign's 50 (the books line has 31 of it).
  const engine_decision ret = k.return_line("ORD-1", "2026-04-02T10:00:00+02:00", 0, 1);
  REQUIRE(ret.result == process_result::ok);
  CHECK(k.reversed(ret, "base") == "12");
  CHECK(k.reversed(ret, "books_gold") == "12");
  CHECK(k.reversed(ret, "spring_campaign") == "15");
  CHECK(k.available() == 115 - 39);
}
