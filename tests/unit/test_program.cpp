#include <catch2/catch.hpp>

#include <string>

#include "loyalty/program.hpp"

using loyalty::load_program;
using loyalty::rounding_mode;

namespace {

const char* const casino = R"(name: Casino
version: "3.1"
time_zone: America/New_York
currencies: [USD, JPY, KWD]
point_types:
  - id: comp_points
    name: Comp points
    rounding: floor
  - id: bonus_usd
    currency: USD
    rounding: half_even
  - id: bonus_jpy
    currency: JPY
    rounding: half_up
  - id: bonus_kwd
    currency: KWD
    rounding: down
  - id: miles
    scale: 8
    rounding: ceiling
)";

std::string codes(const loyalty::load_result& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.code + " ";
  return out;
}

}  // namespace

TEST_CASE("a valid program loads with every field in place", "[program]") {
  const auto r = load_program(casino, "casino.yaml");
  INFO(loyalty::render(r.diagnostics));
  REQUIRE(r.ok());
  const loyalty::program& p = *r.program;
  CHECK(p.name() == "Casino");
  CHECK(p.version() == "3.1");
  CHECK(p.time_zone() == "America/New_York");
  REQUIRE(p.currencies().size() == 3);
  CHECK(p.currencies()[0]->code == "USD");
  CHECK(p.currencies()[2]->code == "KWD");
  REQUIRE(p.point_types().size() == 5);

  const loyalty::point_type* comp = p.find_point_type("comp_points");
  REQUIRE(comp != nullptr);
  CHECK(comp->name == "Comp points");
  CHECK(comp->scale == 0);
  CHECK(comp->rounding == rounding_mode::floor);
  CHECK_FALSE(comp->is_money());

  // Money wallets take their scale from the currency's minor unit unless told otherwise.
  CHECK(p.find_point_type("bonus_usd")->scale == 2);
  CHECK(p.find_point_type("bonus_usd")->money->code == "USD");
  CHECK(p.find_point_type("bonus_usd")->name == "bonus_usd");
  CHECK(p.find_point_type("bonus_jpy")->scale == 0);
  CHECK(p.find_point_type("bonus_jpy")->rounding == rounding_mode::half_up);
  CHECK(p.find_point_type("bonus_kwd")->scale == 3);
  CHECK(p.find_point_type("bonus_kwd")->rounding == rounding_mode::down);
  CHECK(p.find_point_type("miles")->scale == 8);
  CHECK(p.find_point_type("miles")->rounding == rounding_mode::ceiling);
  CHECK(p.find_point_type("nope") == nullptr);
}

TEST_CASE("every rounding mode name is accepted in a point type", "[program]") {
  for (const char* mode : {"half_even", "half_up", "half_down", "down", "up", "floor", "ceiling"}) {
    const std::string text = std::string("name: n\nversion: v\ntime_zone: UTC\npoint_types:\n") +
                             "  - id: p\n    rounding: " + mode + "\n";
    const auto r = load_program(text, "p.yaml");
    REQUIRE(r.ok());
    CHECK(loyalty::to_string(r.program->point_types()[0].rounding) == mode);
  }
}

TEST_CASE("a source over the size limit is one L0002 diagnostic without position", "[program]") {
  loyalty::load_options options;
  options.limits.max_source_bytes = 16;
  const auto r = load_program("name: a very long program name\n", "big.yaml", options);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].code == "L0002");
  CHECK(r.diagnostics[0].line == 0);
  CHECK(loyalty::render(r.diagnostics[0]) ==
        "big.yaml: error[L0002]: source of 31 bytes exceeds the limit of 16 bytes\n");
}

TEST_CASE("the limits are configurable", "[program]") {
  loyalty::load_options options;
  SECTION("depth") {
    options.limits.max_depth = 2;
    const auto r = load_program("a: [[1]]\n", "x.yaml", options);
    CHECK(codes(r) == "L0006 ");
  }
  SECTION("nodes") {
    options.limits.max_nodes = 5;
    const auto r = load_program("a: [1, 2, 3, 4]\n", "x.yaml", options);
    CHECK(codes(r) == "L0007 ");
  }
  SECTION("point types") {
    options.limits.max_point_types = 1;
    const auto r = load_program(
        "name: n\nversion: v\ntime_zone: UTC\npoint_types:\n"
        "  - {id: a, rounding: floor}\n  - {id: b, rounding: floor}\n",
        "x.yaml", options);
    CHECK(codes(r) == "L0106 ");
    CHECK(r.diagnostics[0].line == 6);
  }
  SECTION("schema fields and variables (mappings)") {
    options.limits.max_fields = 1;
    options.limits.max_variables = 1;
    const auto r = load_program(
        "name: n\nversion: v\ntime_zone: UTC\npoint_types: [{id: a, rounding: floor}]\n"
        "schema:\n  fields:\n    order.a: integer\n    order.b: integer\n"
        "variables:\n  x: order.a + 1\n  y: order.a + 2\n",
        "x.yaml", options);
    CHECK(codes(r) == "L0106 L0106 ");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics[0].line == 8);  // order.b
    CHECK(r.diagnostics[0].message == "'fields' has 2 entries; the limit is 1");
    CHECK(r.diagnostics[1].line == 11);  // y
  }
  SECTION("string length") {
    options.limits.max_string_bytes = 3;
    const auto r = load_program(
        "name: abcd\nversion: v\ntime_zone: UTC\npoint_types: [{id: a, rounding: floor}]\n",
        "x.yaml", options);
    CHECK(codes(r).find("L0107") != std::string::npos);
  }
}

TEST_CASE("bad input never throws and a failed load always explains itself", "[program]") {
  const char* inputs[] = {"",
                          "\n\n",
                          "[",
                          "{",
                          "? [a]\n: 1\n",
                          "*x",
                          "&a [*a]",
                          "a: !<tag:yaml.org,2002:binary> AAAA",
                          "\xEF\xBB\xBFname: bom",
                          "---\n...\n---\n",
                          "\"unterminated",
                          "- - - - - -",
                          "a: 99999999999999999999999999999999999999"};
  for (const char* in : inputs) {
    INFO(in);
    loyalty::load_result r;
    REQUIRE_NOTHROW(r = load_program(in, "fuzz.yaml"));
    CHECK_FALSE(r.ok());
    CHECK(loyalty::has_errors(r.diagnostics));
  }
}

TEST_CASE("diagnostics come out sorted by position", "[program]") {
  const auto r = load_program(
      "name: n\nversion: v\ntime_zone: Nowhere\npoint_types: [{id: A, rounding: floor}]\n"
      "name: again\n",
      "x.yaml");
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[0].line == 3);
  CHECK(r.diagnostics[1].line == 4);
  CHECK(r.diagnostics[2].line == 5);
}

TEST_CASE("the schema section declares enums and typed fields for expressions", "[program]") {
  const auto r = load_program(R"(name: Shop
version: "1"
time_zone: UTC
point_types: [{id: points, rounding: floor}]
schema:
  enums:
    tier: [bronze, silver, gold, platinum]
  fields:
    order.total: decimal(2)
    order.items: integer
    order.coupon: text?
    order.gift: bool
    customer.tier: tier
    customer.score: decimal(18)?
    order.lines: list<line>
  records:
    line:
      sku: text
      price: decimal(2)
      qty: integer
      category: text?
)",
                              "shop.yaml");
  INFO(loyalty::render(r.diagnostics));
  REQUIRE(r.ok());
  const loyalty::schema& s = r.program->schema();
  REQUIRE(s.enums().size() == 1);
  CHECK(s.enums()[0].values.size() == 4);
  REQUIRE(s.fields().size() == 7);
  REQUIRE(s.records().size() == 1);
  CHECK(s.records()[0].fields.size() == 4);
  CHECK(s.records()[0].fields[1].second.scale == 2);
  CHECK(s.records()[0].fields[3].second.optional);
  CHECK(s.find_field("order.lines")->type.kind == loyalty::value_kind::list);
  CHECK(s.find_field("order.total")->type.kind == loyalty::value_kind::decimal);
  CHECK(s.find_field("order.total")->type.scale == 2);
  CHECK_FALSE(s.find_field("order.total")->type.optional);
  CHECK(s.find_field("order.items")->type.kind == loyalty::value_kind::integer);
  CHECK(s.find_field("order.coupon")->type.kind == loyalty::value_kind::string);
  CHECK(s.find_field("order.coupon")->type.optional);
  CHECK(s.find_field("order.gift")->type.kind == loyalty::value_kind::boolean);
  CHECK(s.find_field("customer.tier")->type.kind == loyalty::value_kind::enumeration);
  CHECK(s.find_field("customer.score")->type.scale == 18);
  CHECK(s.find_field("customer.score")->slot == 5);

  // Expressions compile against the program's schema.
  const auto c = loyalty::compile_expression(
      "customer.tier >= 'gold' and sum(order.lines, l -> l.price * l.qty) > 10", s);
  CHECK(c.expression != nullptr);
}

TEST_CASE("wallet keys: expiry policies and wallet policies reach the ledger", "[program]") {
  const auto r = load_program(R"(name: Shop
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
  - id: miles
    rounding: floor
    consumption_order: fifo
    return_policy: allow_negative
    refund_min_validity: 7d12h
    held_at_expiry: honor
    expiry:
      policy: after
      period: 12 months
      round_to: quarter
      clock_starts: activation
  - id: vouchers
    rounding: floor
    return_policy: only_pending
    expiry: {policy: fixed_dates, dates: ["09-30", "03-31", "02-29"], min_validity: 30d}
  - id: stars
    rounding: floor
    expiry:
      policy: inactivity
      period: 18 months
      round_to: month
      reset_on: [earn, capture, record_activity]
  - id: cashback
    currency: EUR
    rounding: half_even
    refund_min_validity: 0s
    expiry: {policy: inactivity, period: 365 days, reset_on: []}
  - id: coins
    rounding: floor
    expiry: {policy: never}
)",
                              "shop.yaml");
  INFO(loyalty::render(r.diagnostics));
  REQUIRE(r.ok());
  const loyalty::program& p = *r.program;
  CHECK(p.zone().name() == "Europe/Berlin");
  const std::vector<loyalty::wallet_policy> w = loyalty::wallet_policies(p);
  REQUIRE(w.size() == 6);
  for (const loyalty::wallet_policy& x : w) CHECK(x.zone == p.zone());

  // Left out: the defaults of wallet_policy.
  const loyalty::wallet_policy defaults;
  CHECK(w[0].scale == 0);
  CHECK(w[0].order == defaults.order);
  CHECK(w[0].returns == defaults.returns);
  CHECK(w[0].refund_min_validity == defaults.refund_min_validity);
  CHECK(w[0].expiry == loyalty::expiry_policy::never());
  CHECK(w[0].reset_on == defaults.reset_on);
  CHECK(w[0].held_at_expiry == loyalty::held_expiry::expire);

  CHECK(w[1].order == loyalty::consumption_order::fifo);
  CHECK(w[1].returns == loyalty::return_policy::allow_negative);
  CHECK(w[1].refund_min_validity == loyalty::duration::days(7) + loyalty::duration::hours(12));
  CHECK(w[1].held_at_expiry == loyalty::held_expiry::honor);
  CHECK(w[1].expiry == loyalty::expiry_policy::after(loyalty::calendar_period::months(12),
                                                     loyalty::calendar_unit::quarter,
                                                     loyalty::clock_start::activation));

  CHECK(w[2].returns == loyalty::return_policy::only_pending);
  CHECK(w[2].expiry == loyalty::expiry_policy::fixed_dates({{2, 29}, {3, 31}, {9, 30}},
                                                           loyalty::duration::days(30)));

  CHECK(w[3].expiry == loyalty::expiry_policy::inactivity(loyalty::calendar_period::months(18),
                                                          loyalty::calendar_unit::month));
  CHECK(w[3].reset_on == loyalty::op_kind_set{loyalty::op_kind::earn, loyalty::op_kind::capture,
                                              loyalty::op_kind::record_activity});

  CHECK(w[4].scale == 2);
  CHECK(w[4].refund_min_validity == loyalty::duration{});
  CHECK(w[4].expiry == loyalty::expiry_policy::inactivity(loyalty::calendar_period::days(365)));
  CHECK(w[4].reset_on.empty());
  CHECK(w[5].expiry == loyalty::expiry_policy::never());

  // The ledger takes them as they are.
  const loyalty::ledger book(w);
  CHECK(book.wallets().size() == 6);
}

TEST_CASE("a point type's value is read exactly; money in the default currency is worth 1",
          "[program]") {
  const auto r = load_program(R"(name: Shop
version: "1"
time_zone: UTC
currencies: [EUR, USD]
point_types:
  - id: points
    rounding: floor
    value: 0.0125
  - id: miles
    rounding: floor
  - id: cashback
    currency: EUR
    rounding: half_even
  - id: dollars
    currency: USD
    rounding: half_even
  - id: vouchers
    currency: EUR
    rounding: half_even
    value: "0.5"
)",
                              "shop.yaml");
  REQUIRE(r.ok());
  const auto& p = *r.program;
  REQUIRE(p.find_point_type("points")->value.has_value());
  CHECK(p.find_point_type("points")->value->to_string() == "0.0125");
  CHECK_FALSE(p.find_point_type("miles")->value.has_value());
  CHECK(p.find_point_type("cashback")->value->to_string() == "1");
  CHECK_FALSE(p.find_point_type("dollars")->value.has_value());  // not the default currency
  CHECK(p.find_point_type("vouchers")->value->to_string() == "0.5");
}

TEST_CASE("a negative, non-numeric or too precise value is L0109", "[program]") {
  for (const char* v : {"-1", "cheap", "0.000000001", "1e-2"}) {
    const auto r = load_program(std::string(R"(name: Shop
version: "1"
time_zone: UTC
point_types:
  - id: points
    rounding: floor
    value: )") + v + "\n",
                                "shop.yaml");
    CAPTURE(v);
    CHECK_FALSE(r.ok());
    CHECK(codes(r) == "L0109 ");
  }
}
