// The two evaluators and the batch API: which expressions run on the register machine, that its
// short-cuts (fused field tests, selects, threaded jumps, variables) keep the language's meaning,
// and that expression_batch gives per event exactly what expression_input gives.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "loyalty/expression.hpp"

using loyalty::decimal;
using loyalty::eval_status;
using loyalty::expression_evaluator;
using loyalty::field_type;
using loyalty::value;

namespace {

loyalty::schema shop() {
  loyalty::schema s;
  REQUIRE(s.add_enum("tier", {"bronze", "silver", "gold", "platinum"}));
  REQUIRE(s.add_record("line", {{"sku", field_type::string()}, {"price", field_type::decimal(2)}}));
  REQUIRE(s.add_field("order.total", field_type::decimal(2)));
  REQUIRE(s.add_field("order.items", field_type::integer()));
  REQUIRE(s.add_field("order.discount", field_type::decimal(2).or_null()));
  REQUIRE(s.add_field("order.coupon", field_type::string().or_null()));
  REQUIRE(s.add_field("order.lines", field_type::list("line").or_null()));
  REQUIRE(s.add_field("order.placed_at", field_type::timestamp()));
  REQUIRE(s.add_field("customer.tier", field_type::enumeration("tier")));
  REQUIRE(s.add_field("customer.vip", field_type::boolean()));
  return s;
}

std::uint32_t slot(const loyalty::schema& s, const char* path) {
  return s.find_field(path)->slot;
}

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

std::unique_ptr<loyalty::compiled_expression> compile(
    const loyalty::schema& s, const std::string& text,
    std::span<const loyalty::variable_def> variables = {}) {
  auto r = loyalty::compile_expression(text, s, {}, {}, variables);
  INFO(text);
  REQUIRE(r.expression);
  return std::move(r.expression);
}

std::string text_of(const value& v) {
  return v.is_null() ? "missing" : v.as_decimal().to_string();
}

}  // namespace

TEST_CASE("expressions over numbers, enums, booleans and instants run on registers", "[expr]") {
  const loyalty::schema s = shop();
  const auto on = [&](const std::string& text) { return compile(s, text)->evaluator(); };
  CHECK(on("if order.total >= 50 and customer.tier in ['gold', 'platinum'] then "
           "floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else 1.5) else 0") ==
        expression_evaluator::registers);
  CHECK(on("order.total - (order.discount ?? 0)") == expression_evaluator::registers);
  CHECK(on("order.placed_at >= '2026-11-27' and order.placed_at < now") ==
        expression_evaluator::registers);
  CHECK(on("max(order.items, 2) % 3 == 1 or not customer.vip") == expression_evaluator::registers);
  // Text, lists, calendar functions and time arithmetic keep the tree evaluator.
  CHECK(on("order.coupon == 'SUMMER'") == expression_evaluator::tree);
  CHECK(on("count(order.lines) > 2") == expression_evaluator::tree);
  CHECK(on("day_of_week(order.placed_at) == 6") == expression_evaluator::tree);
  CHECK(on("today > '2026-01-01'") == expression_evaluator::tree);
  CHECK(on("now - order.placed_at < 30d") == expression_evaluator::tree);
}

TEST_CASE("a conjunction of field tests keeps the short-circuit's errors", "[expr]") {
  const loyalty::schema s = shop();
  loyalty::expression_input in(s);
  REQUIRE(in.set(slot(s, "order.total"), d("20.00")));
  // order.items (required) is not set: reading it is the host's error, but only when the
  // short-circuit reaches it.
  const auto e1 = compile(s, "order.total > 50 and order.items > 2");
  REQUIRE(e1->evaluator() == expression_evaluator::registers);
  value out;
  CHECK(e1->evaluate(in, out) == eval_status::ok);
  CHECK_FALSE(out.as_bool());
  const auto e2 = compile(s, "order.total > 10 and order.items > 2");
  CHECK(e2->evaluate(in, out) == eval_status::missing_field);
  REQUIRE(in.set(slot(s, "order.items"), value::of_int(3)));
  CHECK(e2->evaluate(in, out) == eval_status::ok);
  CHECK(out.as_bool());
  // An optional field that is missing is not an error: orderings with it are false.
  const auto e3 = compile(s, "order.total > 10 and order.discount > 1");
  CHECK(e3->evaluate(in, out) == eval_status::ok);
  CHECK_FALSE(out.as_bool());
}

TEST_CASE("the register machine's jumps, selects and conversions", "[expr]") {
  const loyalty::schema s = shop();
  loyalty::expression_input in(s);
  REQUIRE(in.set(slot(s, "order.total"), d("64.90")));
  REQUIRE(in.set(slot(s, "order.items"), value::of_int(3)));
  REQUIRE(in.set(slot(s, "customer.tier"), value::of_enum(2)));  // gold
  REQUIRE(in.set(slot(s, "customer.vip"), value::of_bool(false)));
  const auto eval = [&](const std::string& text) {
    const auto e = compile(s, text);
    REQUIRE(e->evaluator() == expression_evaluator::registers);
    value out;
    REQUIRE(e->evaluate(in, out) == eval_status::ok);
    return out;
  };
  // A select between constants at the result's scale.
  CHECK(text_of(eval("if customer.tier == 'gold' then 2 else 1.5")) == "2.0");
  CHECK(text_of(eval("if customer.tier == 'platinum' then 2 else 1.5")) == "1.5");
  // Nested and/or: the jumps are threaded, the answers unchanged.
  CHECK(eval("(order.items > 5 or customer.tier == 'gold') and not customer.vip").as_bool());
  CHECK_FALSE(eval("order.items > 5 or customer.vip or order.total < 10").as_bool());
  CHECK(text_of(eval("if order.items > 5 or customer.vip then 1 else if order.total > 60 then "
                     "2.5 else 3")) == "2.5");
  // ?? converts whichever side it takes.
  CHECK(text_of(eval("order.discount ?? 1")) == "1.00");
  // in over numbers compares exactly across scales, and stops at the first match.
  CHECK(eval("order.total in [1, 64.9, 1 / 0]").as_bool());
  // min/max bring every argument to the result's scale.
  CHECK(text_of(eval("max(order.items, 2.5)")) == "3.0");
  CHECK(eval("max(order.items, 2)").kind() == loyalty::value_kind::integer);
}

TEST_CASE("variables on the register machine are computed once and shared", "[expr]") {
  const loyalty::schema s = shop();
  const std::vector<loyalty::variable_def> vars = {
      {"net", "order.total - (order.discount ?? 0)", {}},
      {"base", "floor(net / 10)", {}},
  };
  const auto e = compile(s, "if base > 5 then base * 2 else base + net", vars);
  REQUIRE(e->evaluator() == expression_evaluator::registers);
  loyalty::expression_input in(s);
  REQUIRE(in.set(slot(s, "order.total"), d("64.90")));
  REQUIRE(in.set(slot(s, "order.discount"), d("10.00")));
  value out;
  REQUIRE(e->evaluate(in, out) == eval_status::ok);
  CHECK(text_of(out) == "59.90");  // base = floor(54.90 / 10) = 5, not > 5: 5 + 54.90
  REQUIRE(in.set(slot(s, "order.discount"), d("0.00")));
  REQUIRE(e->evaluate(in, out) == eval_status::ok);
  CHECK(text_of(out) == "12.00");  // base 6: 6 * 2
}

TEST_CASE("expression_batch checks values like expression_input", "[expr]") {
  const loyalty::schema s = shop();
  loyalty::expression_batch batch(s, 3);
  CHECK(batch.rows() == 3);
  CHECK(batch.get(0, slot(s, "order.total")).is_null());
  CHECK(batch.set(1, slot(s, "order.total"), d("19.9")));  // kept at the declared scale
  CHECK(batch.get(1, slot(s, "order.total")).as_decimal().to_string() == "19.90");
  CHECK_FALSE(batch.set(2, slot(s, "order.total"), d("1.005")));  // more digits than declared
  CHECK(batch.get(2, slot(s, "order.total")).is_null());
  CHECK_FALSE(batch.set(2, slot(s, "order.items"), value::of_bool(true)));  // wrong kind
  CHECK(batch.set(2, slot(s, "order.items"), value::of_int(4)));
  batch.clear(2, slot(s, "order.items"));
  CHECK(batch.get(2, slot(s, "order.items")).is_null());
  batch.set_now(loyalty::timestamp{86'400'000'000});
  CHECK(batch.now().as_timestamp().micros == 86'400'000'000);
}

TEST_CASE("a batch evaluates each event as expression_input does", "[expr]") {
  const loyalty::schema s = shop();
  const std::string anchor_text =
      "if order.total >= 50 and customer.tier in ['gold', 'platinum'] then floor(order.total / "
      "10) * (if customer.tier == 'platinum' then 2 else 1.5) else 0";
  const std::string texts[] = {
      anchor_text,
      "order.total / order.items",
      "if order.coupon == 'SUMMER' then order.total * 0.1 else order.total * 0.01",
  };
  // Row 0: a gold order; row 1: zero items (division by zero); row 2: no total (required,
  // missing); row 3: a platinum order with a coupon.
  struct row_data {
    const char* total;
    int items;
    int tier;
    const char* coupon;
  };
  const row_data rows[] = {{"64.90", 3, 2, nullptr},
                           {"10.00", 0, 0, nullptr},
                           {nullptr, 1, 1, nullptr},
                           {"120.00", 4, 3, "SUMMER"}};
  loyalty::expression_batch batch(s, 4);
  std::vector<loyalty::expression_input> inputs(4, loyalty::expression_input(s));
  for (std::size_t r = 0; r < 4; ++r) {
    const auto set = [&](const char* path, value v) {
      REQUIRE(batch.set(r, slot(s, path), v));
      REQUIRE(inputs[r].set(slot(s, path), v));
    };
    if (rows[r].total != nullptr) set("order.total", value::of_decimal(d(rows[r].total)));
    set("order.items", value::of_int(rows[r].items));
    set("customer.tier", value::of_enum(rows[r].tier));
    set("customer.vip", value::of_bool(false));
    if (rows[r].coupon != nullptr) set("order.coupon", value::of_string(rows[r].coupon));
  }
  for (const std::string& text : texts) {
    INFO(text);
    const auto e = compile(s, text);
    std::vector<value> out(4);
    std::vector<eval_status> status(4);
    e->evaluate(batch, out, status);
    for (std::size_t r = 0; r < 4; ++r) {
      INFO("row " << r);
      value one;
      CHECK(status[r] == e->evaluate(inputs[r], one));
      if (status[r] == eval_status::ok) {
        CHECK(out[r].is_null() == one.is_null());
        if (!one.is_null()) CHECK(out[r].as_decimal().identical(one.as_decimal()));
      }
    }
  }
  // The anchor rule, row by row, with exact values.
  const auto anchor = compile(s, texts[0]);
  std::vector<value> out(4);
  std::vector<eval_status> status(4);
  anchor->evaluate(batch, out, status);
  CHECK(status[0] == eval_status::ok);
  CHECK(text_of(out[0]) == "9.0");
  CHECK(status[1] == eval_status::ok);
  CHECK(text_of(out[1]) == "0.0");
  CHECK(status[2] == eval_status::missing_field);
  CHECK(status[3] == eval_status::ok);
  CHECK(text_of(out[3]) == "24.0");
  // Only as many events as the shortest span are evaluated.
  std::vector<value> two(2);
  std::vector<eval_status> two_status(2);
  anchor->evaluate(batch, two, two_status);
  CHECK(text_of(two[0]) == "9.0");
  // The division by zero of row 1.
  const auto ratio = compile(s, texts[1]);
  ratio->evaluate(batch, out, status);
  CHECK(status[1] == eval_status::division_by_zero);
  CHECK(text_of(out[0]) == "21.63333333");  // 64.90 / 3 at 2 + 6 digits
}
