// The expression language: every operator, function and null rule, with exact values.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "loyalty/expression.hpp"
#include "loyalty/format.hpp"

using loyalty::decimal;
using loyalty::eval_status;
using loyalty::field_type;
using loyalty::value;
using loyalty::value_kind;

namespace {

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

/// A shop schema and an input with typical values; tests change what they need.
struct fixture {
  loyalty::schema s;
  loyalty::expression_input in;

  fixture() : s(make_schema()), in(s) {
    set("order.total", value::of_decimal(d("64.90")));
    set("order.items", value::of_int(3));
    set("order.channel", value::of_enum(0));  // web
    set("order.coupon", value::of_string("SUMMER-10"));
    set("customer.tier", value::of_enum(2));  // gold
    set("customer.vip", value::of_bool(false));
    // order.discount, customer.email_opt_in and customer.nickname stay missing (optional).
  }

  static loyalty::schema make_schema() {
    loyalty::schema s;
    REQUIRE(s.add_enum("tier", {"bronze", "silver", "gold", "platinum"}));
    REQUIRE(s.add_enum("channel", {"web", "app", "store", "marketplace"}));
    REQUIRE(s.add_field("order.total", field_type::decimal(2)));
    REQUIRE(s.add_field("order.items", field_type::integer()));
    REQUIRE(s.add_field("order.channel", field_type::enumeration("channel")));
    REQUIRE(s.add_field("order.coupon", field_type::string()));
    REQUIRE(s.add_field("order.discount", field_type::decimal(2).or_null()));
    REQUIRE(s.add_field("customer.tier", field_type::enumeration("tier")));
    REQUIRE(s.add_field("customer.vip", field_type::boolean()));
    REQUIRE(s.add_field("customer.email_opt_in", field_type::boolean().or_null()));
    REQUIRE(s.add_field("customer.nickname", field_type::string().or_null()));
    return s;
  }

  void set(const char* path, value v) { REQUIRE(in.set(s.find_field(path)->slot, v)); }

  loyalty::compile_result compile(const std::string& text) {
    return loyalty::compile_expression(text, s, {"rule.yaml", 1, 1, {}});
  }

  // Text results point into the compiled expression: keep every one alive for the test.
  std::vector<std::unique_ptr<loyalty::compiled_expression>> kept;

  value eval(const std::string& text) {
    auto r = compile(text);
    INFO(text << "\n" << loyalty::render(r.diagnostics));
    REQUIRE(r.expression);
    kept.push_back(std::move(r.expression));
    const loyalty::compiled_expression& e = *kept.back();
    value v;
    const eval_status status = e.evaluate(in, v);
    INFO(loyalty::to_string(status));
    REQUIRE(status == eval_status::ok);
    return v;
  }

  std::string dec(const std::string& text) {
    const value v = eval(text);
    REQUIRE((v.kind() == value_kind::decimal || v.kind() == value_kind::integer));
    return v.as_decimal().to_string();
  }

  bool truth(const std::string& text) {
    const value v = eval(text);
    REQUIRE(v.kind() == value_kind::boolean);
    return v.as_bool();
  }

  eval_status status_of(const std::string& text) {
    const auto r = compile(text);
    INFO(loyalty::render(r.diagnostics));
    REQUIRE(r.expression);
    value v;
    return r.expression->evaluate(in, v);
  }

  /// "L0302@1:7 L0303@1:20": every diagnostic's code and position.
  std::string problems(const std::string& text) {
    const auto r = compile(text);
    std::string out;
    for (const auto& diag : r.diagnostics) {
      out += (out.empty() ? "" : " ") + diag.code + "@" + std::to_string(diag.line) + ":" +
             std::to_string(diag.column);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("literals are exact", "[expr]") {
  fixture f;
  CHECK(f.dec("1.5") == "1.5");
  CHECK(f.dec("0.1 + 0.2") == "0.3");
  CHECK(f.dec("123456789012.345678") == "123456789012.345678");
  CHECK(f.eval("42").kind() == value_kind::integer);
  CHECK(f.eval("'gold'").as_string() == "gold");
  CHECK(f.eval("\"it's\"").as_string() == "it's");
  CHECK(f.eval("'a\\'b'").as_string() == "a'b");
  CHECK(f.truth("true"));
  CHECK(f.eval("null").is_null());
}

TEST_CASE("arithmetic follows decimal rules", "[expr]") {
  fixture f;
  CHECK(f.dec("order.total + 0.10") == "65.00");
  CHECK(f.dec("order.total - 100") == "-35.10");
  CHECK(f.dec("order.total * 1.5") == "97.350");
  CHECK(f.dec("order.items * 7") == "21");
  CHECK(f.eval("order.items * 7").kind() == value_kind::integer);
  CHECK(f.dec("order.items - 5") == "-2");
  CHECK(f.dec("-order.total") == "-64.90");
  CHECK(f.dec("7 % 3") == "1");
  CHECK(f.dec("-7 % 3") == "-1");
  CHECK(f.dec("order.total % 10") == "4.90");
  // Bare division keeps 6 more digits than its operands, rounded half_even.
  CHECK(f.dec("order.total / 3") == "21.63333333");
  CHECK(f.dec("1 / 3") == "0.333333");
  CHECK(f.dec("2 / 3") == "0.666667");
  CHECK(f.dec("2 + 3 * 4") == "14");
  CHECK(f.dec("(2 + 3) * 4") == "20");
  CHECK(f.dec("10 - 4 - 3") == "3");
}

TEST_CASE("rounding functions round exactly once", "[expr]") {
  fixture f;
  CHECK(f.dec("floor(order.total / 10)") == "6");
  CHECK(f.dec("ceil(order.total / 10)") == "7");
  CHECK(f.dec("floor(-order.total / 10)") == "-7");
  // floor of a division is exact: no intermediate rounding (1/3 * 3 never becomes 0.999999).
  CHECK(f.dec("floor(2 / 3 * 3)") == "2");
  CHECK(f.dec("floor(200 / 3)") == "66");
  CHECK(f.dec("round(2.345, 2, half_up)") == "2.35");
  CHECK(f.dec("round(2.345, 2, half_even)") == "2.34");
  CHECK(f.dec("round(2.345, 2, 'half_down')") == "2.34");
  CHECK(f.dec("round(-2.345, 2, half_up)") == "-2.35");
  CHECK(f.dec("round(2.341, 2, up)") == "2.35");
  CHECK(f.dec("round(-2.349, 2, down)") == "-2.34");
  CHECK(f.dec("round(-2.341, 2, floor)") == "-2.35");
  CHECK(f.dec("round(2.341, 2, ceiling)") == "2.35");
  CHECK(f.dec("round(order.total / 7, 4, half_even)") == "9.2714");
}

TEST_CASE("min, max, abs and clamp", "[expr]") {
  fixture f;
  CHECK(f.dec("min(order.total, 50)") == "50.00");  // at the larger scale
  CHECK(f.dec("max(order.total, 50)") == "64.90");
  CHECK(f.dec("min(3, 1.5, 2)") == "1.5");
  CHECK(f.dec("max(-3, -1.5, -2)") == "-1.5");
  CHECK(f.dec("abs(-4.25)") == "4.25");
  CHECK(f.dec("abs(order.items - 10)") == "7");
  CHECK(f.dec("clamp(order.total, 0, 50)") == "50.00");
  CHECK(f.dec("clamp(order.total, 70, 100)") == "70.00");
  CHECK(f.dec("clamp(order.total, 0, 100)") == "64.90");
  // One static type whichever operand wins: a decimal at the largest scale of the operands.
  CHECK(f.dec("max(2, 1.5)") == "2.0");
  CHECK(f.dec("clamp(order.items, 0.5, 10)") == "3.0");
  CHECK(f.eval("min(order.items, 5)").kind() == loyalty::value_kind::integer);
  // An operand that cannot be kept at that scale is an overflow, even when it would not win.
  CHECK(f.status_of("max(9000000000000000000, 0.5)") == eval_status::overflow);
}

TEST_CASE("comparisons across numbers, text, enums and booleans", "[expr]") {
  fixture f;
  CHECK(f.truth("order.total >= 50"));
  CHECK(f.truth("order.total > 64.89"));
  CHECK_FALSE(f.truth("order.total > 64.9"));
  CHECK(f.truth("order.total == 64.9"));  // numeric equality across scales
  CHECK(f.truth("order.items < 3.5"));
  CHECK(f.truth("order.coupon == 'SUMMER-10'"));
  CHECK(f.truth("order.coupon != 'summer-10'"));
  CHECK(f.truth("order.coupon < 'T'"));
  CHECK(f.truth("customer.tier == 'gold'"));
  CHECK(f.truth("customer.tier != 'platinum'"));
  // Enums are ordered by declaration: bronze < silver < gold < platinum.
  CHECK(f.truth("customer.tier >= 'silver'"));
  CHECK_FALSE(f.truth("customer.tier > 'gold'"));
  CHECK(f.truth("customer.vip == false"));
  CHECK(f.truth("order.channel != 'marketplace'"));
}

TEST_CASE("in and not in over literal lists", "[expr]") {
  fixture f;
  CHECK(f.truth("customer.tier in ['gold', 'platinum']"));
  CHECK_FALSE(f.truth("customer.tier in ['bronze', 'silver']"));
  CHECK(f.truth("customer.tier not in ['bronze', 'silver']"));
  CHECK(f.truth("order.items in [1, 2, 3]"));
  CHECK(f.truth("order.total in [64.9, 100]"));
  CHECK(f.truth("order.coupon in ['WINTER', 'SUMMER-10']"));
  CHECK_FALSE(f.truth("order.coupon in []"));
  CHECK(f.truth("order.items not in []"));
}

TEST_CASE("and, or, not are strictly boolean and short-circuit", "[expr]") {
  fixture f;
  CHECK(f.truth("order.total >= 50 and customer.tier == 'gold'"));
  CHECK_FALSE(f.truth("order.total >= 50 and customer.vip"));
  CHECK(f.truth("customer.vip or order.items == 3"));
  CHECK(f.truth("not customer.vip"));
  CHECK(f.truth("not not true"));
  CHECK(f.truth("true or false and false"));  // 'and' binds tighter
  // The right side is never evaluated: a division by zero there does not matter.
  CHECK_FALSE(f.truth("customer.vip and 1 / 0 > 1"));
  CHECK(f.truth("order.items == 3 or 1 / 0 > 1"));
}

TEST_CASE("if then else picks one branch", "[expr]") {
  fixture f;
  CHECK(f.dec("if customer.tier == 'platinum' then 2 else 1.5") == "1.5");
  CHECK(f.dec("if order.total > 50 then order.total * 0.1 else 0") == "6.490");
  CHECK(f.dec("if order.items > 5 then 1 else if order.items > 2 then 2 else 3") == "2");
  CHECK(f.dec("if true then 1 else 1 / 0") == "1.000000");  // at the scale of 1 / 0
  // The result keeps one scale whichever branch runs: 2 becomes 2.0 next to 1.5.
  CHECK(f.dec("if customer.tier == 'gold' then 2 else 1.5") == "2.0");
  CHECK(f.dec("order.discount ?? 0") == "0.00");
}

TEST_CASE("the anchor rule of the benchmark", "[expr]") {
  fixture f;
  const std::string rule =
      "if order.total >= 50 and customer.tier in ['gold','platinum'] and order.channel != "
      "'marketplace' then floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else "
      "1.5) else 0";
  CHECK(f.dec(rule) == "9.0");
  f.set("customer.tier", value::of_enum(3));  // platinum
  CHECK(f.dec(rule) == "12.0");
  f.set("order.channel", value::of_enum(3));  // marketplace
  CHECK(f.dec(rule) == "0.0");
}

TEST_CASE("null: missing optional fields", "[expr][null]") {
  fixture f;
  // Arithmetic with a missing value is missing.
  CHECK(f.eval("order.discount + 1").is_null());
  CHECK(f.eval("order.discount * order.total").is_null());
  CHECK(f.eval("-order.discount").is_null());
  CHECK(f.eval("floor(order.discount)").is_null());
  CHECK(f.eval("min(order.total, order.discount)").is_null());
  // ?? supplies a value for a missing one.
  CHECK(f.dec("order.total - (order.discount ?? 0)") == "64.90");
  f.set("order.discount", value::of_decimal(d("5.00")));
  CHECK(f.dec("order.total - (order.discount ?? 0)") == "59.90");
  f.in.clear(f.s.find_field("order.discount")->slot);
  // Comparisons: == and != treat missing as a value; ordering with missing is false.
  CHECK(f.truth("order.discount == null"));
  CHECK_FALSE(f.truth("order.discount != null"));
  CHECK_FALSE(f.truth("order.discount > 0"));
  CHECK_FALSE(f.truth("order.discount <= 0"));
  CHECK_FALSE(f.truth("order.discount == 0"));
  CHECK(f.truth("order.discount != 0"));
  CHECK_FALSE(f.truth("customer.nickname == 'bob'"));
  CHECK_FALSE(f.truth("starts_with(customer.nickname, 'b')"));
  CHECK_FALSE(f.truth("order.discount in [0, 1]"));
  CHECK(f.truth("(customer.email_opt_in ?? false) == false"));
  CHECK(f.truth("not (customer.email_opt_in ?? false)"));
}

TEST_CASE("text functions", "[expr]") {
  fixture f;
  CHECK(f.truth("lower(order.coupon) == 'summer-10'"));
  CHECK(f.truth("upper('mixed Case') == 'MIXED CASE'"));
  CHECK(f.truth("starts_with(order.coupon, 'SUMMER')"));
  CHECK(f.truth("ends_with(order.coupon, '-10')"));
  CHECK(f.truth("contains(order.coupon, 'MER')"));
  CHECK_FALSE(f.truth("contains(order.coupon, 'mer')"));
  CHECK(f.truth("contains(lower(order.coupon), 'mer')"));
}

TEST_CASE("evaluation errors are returned, never thrown", "[expr]") {
  fixture f;
  CHECK(f.status_of("order.total / 0") == eval_status::division_by_zero);
  CHECK(f.status_of("floor(order.total / 0)") == eval_status::division_by_zero);
  CHECK(f.status_of("order.items % 0") == eval_status::division_by_zero);
  CHECK(f.status_of("order.total * 100000000000000000") == eval_status::overflow);
  CHECK(f.status_of("9223372036854775807 + order.items") == eval_status::overflow);
  // The host broke the schema's contract: a required field is missing or of the wrong kind.
  f.in.clear(f.s.find_field("order.total")->slot);
  CHECK(f.status_of("order.total > 1") == eval_status::missing_field);
}

TEST_CASE("the input boundary keeps decimals at the declared scale and refuses misfits", "[expr]") {
  fixture f;
  const std::uint32_t total = f.s.find_field("order.total")->slot;  // decimal(2)
  const std::uint32_t items = f.s.find_field("order.items")->slot;  // integer
  CHECK(f.in.set(total, d("19.9")));
  CHECK(f.in.get(total).as_decimal().identical(d("19.90")));
  CHECK(f.in.set(total, d("19.900")));  // trailing zeros are exact
  CHECK(f.in.get(total).as_decimal().identical(d("19.90")));
  CHECK(f.in.set(total, value::of_int(20)));
  CHECK(f.in.get(total).as_decimal().identical(d("20.00")));
  // A cent fraction would have to be rounded: refused, and the slot is left missing.
  CHECK_FALSE(f.in.set(total, d("19.999")));
  CHECK(f.in.get(total).is_null());
  CHECK(f.status_of("order.total > 1") == eval_status::missing_field);
  CHECK_FALSE(f.in.set(total, value::of_string("64.90")));
  CHECK_FALSE(f.in.set(total, d("922337203685477580.7")));  // 19 digits at scale 2: too large
  CHECK_FALSE(f.in.set(items, d("1.5")));
  CHECK_FALSE(f.in.set(items, value::of_enum(1)));
  CHECK(f.in.set(items, value()));  // null clears
  CHECK(f.in.get(items).is_null());
}

TEST_CASE("result types are static", "[expr]") {
  fixture f;
  CHECK(f.compile("order.total * 2").expression->result_type().kind == value_kind::decimal);
  CHECK(f.compile("order.total * 2").expression->result_type().scale == 2);
  CHECK(f.compile("order.total * 1.5").expression->result_type().scale == 3);
  CHECK(f.compile("order.items + 1").expression->result_type().kind == value_kind::integer);
  CHECK(f.compile("order.discount ?? 0").expression->result_type().optional == false);
  CHECK(f.compile("order.discount + 1").expression->result_type().optional == true);
  CHECK(f.compile("customer.tier").expression->result_type().kind == value_kind::enumeration);
}

TEST_CASE("diagnostics point at the offending token", "[expr][diagnostics]") {
  fixture f;
  CHECK(f.problems("order.totl >= 50") == "L0302@1:1");
  CHECK(f.problems("order.total >= 50 and customer.tir == 'gold'") == "L0302@1:23");
  CHECK(f.problems("customer.tier == 'gld'") == "L0306@1:18");
  CHECK(f.problems("order.total >= 'fifty'") == "L0303@1:1");
  CHECK(f.problems("order.total and true") == "L0303@1:1");
  CHECK(f.problems("customer.email_opt_in and true") == "L0303@1:1");
  CHECK(f.problems("if order.total then 1 else 2") == "L0303@1:4");
  CHECK(f.problems("if true then 1 else 2") == "L0307@1:21");
  CHECK(f.problems("order.total ?? 0") == "L0307@1:16");
  CHECK(f.problems("flor(order.total)") == "L0304@1:1");
  CHECK(f.problems("min(order.total)") == "L0304@1:1");
  CHECK(f.problems("round(order.total, 2)") == "L0304@1:1");
  CHECK(f.problems("round(order.total, 2, nearest)") == "L0304@1:23");
  CHECK(f.problems("order.total >= ") == "L0301@1:16");
  CHECK(f.problems("order.total = 50") == "L0301@1:13");
  CHECK(f.problems("order.total >= 50 && true") == "L0301@1:19");
  CHECK(f.problems("1 < 2 < 3") == "L0301@1:7");
  CHECK(f.problems("if true then 1") == "L0301@1:15");
  CHECK(f.problems("'open") == "L0301@1:1");
  CHECK(f.problems("12abc") == "L0301@1:1");
  CHECK(f.problems("99999999999999999999") == "L0301@1:1");
  CHECK(f.problems("lower(order.coupon)") == "L0303@1:1");
  CHECK(f.problems("order.total * 0.0000000000000001 * 0.001") == "L0303@1:1");
  CHECK(f.problems("true < false") == "L0303@1:1");
  CHECK(f.problems("order.total > null") == "L0303@1:1");
  CHECK(f.problems("[1, 2]") == "L0303@1:1");
  // Every independent problem is reported in one pass.
  CHECK(f.problems("order.totl > 1 and customer.tier == 'gld' and flor(1) > 0") ==
        "L0302@1:1 L0306@1:37 L0304@1:47");
}

TEST_CASE("a diagnostic renders with the expression and a caret", "[expr][diagnostics]") {
  fixture f;
  const auto r = loyalty::compile_expression("order.totl >= 50", f.s,
                                             {"shop.yaml", 12, 11, "    when: order.totl >= 50"});
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(loyalty::render(r.diagnostics[0]) ==
        "shop.yaml:12:11: error[L0302]: unknown field 'order.totl' (did you mean 'order.total'?)\n"
        "  12 |     when: order.totl >= 50\n"
        "     |           ^~~~~~~~~~\n");
}

TEST_CASE("limits are diagnostics", "[expr][limits]") {
  fixture f;
  loyalty::expression_limits limits;
  limits.max_depth = 8;
  CHECK(loyalty::compile_expression("((((((((((1))))))))))", f.s, {}, limits).diagnostics[0].code ==
        "L0305");
  CHECK(loyalty::compile_expression("- - - - - - - - - - 1", f.s, {}, limits).diagnostics[0].code ==
        "L0305");
  // A flat chain is as deep as it is long (each operator nests the left side once more).
  CHECK(loyalty::compile_expression("1 + 2 + 3 + 4 + 5 + 6 + 7 + 8", f.s, {}, limits)
            .diagnostics.empty());
  const auto chain =
      loyalty::compile_expression("1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9", f.s, {}, limits);
  REQUIRE(chain.diagnostics.size() == 1);
  CHECK(chain.diagnostics[0].code == "L0305");
  CHECK(chain.diagnostics[0].message == "expression nested deeper than 8 levels");
  // With the default limits (64 levels, 4,096 characters), a 1,000-operator chain is a
  // diagnostic, not a recursion 1,000 deep (found by fuzz_expression).
  std::string long_chain = "order.items";
  for (int i = 0; i < 1000; ++i) long_chain += " / 2";
  const auto deep = loyalty::compile_expression(long_chain, f.s);
  REQUIRE_FALSE(deep.diagnostics.empty());
  CHECK(deep.diagnostics[0].code == "L0305");
  CHECK(deep.diagnostics[0].message == "expression nested deeper than 64 levels");
  limits.max_list_literal = 2;
  CHECK(loyalty::compile_expression("order.items in [1, 2, 3]", f.s, {}, limits)
            .diagnostics[0]
            .code == "L0305");
  limits.max_length = 5;
  CHECK(loyalty::compile_expression("order.items", f.s, {}, limits).diagnostics[0].code == "L0305");
}

TEST_CASE("schema rejects bad declarations", "[expr][schema]") {
  loyalty::schema s;
  CHECK(s.add_enum("tier", {"a", "b"}));
  CHECK_FALSE(s.add_enum("tier", {"c"}));      // exists
  CHECK_FALSE(s.add_enum("dup", {"a", "a"}));  // repeated value
  CHECK_FALSE(s.add_enum("Bad", {"a"}));       // not an identifier
  CHECK(s.add_field("order.total", field_type::decimal(2)));
  CHECK_FALSE(s.add_field("order.total", field_type::integer()));  // exists
  CHECK_FALSE(s.add_field("order..x", field_type::integer()));
  CHECK_FALSE(s.add_field("order.x", field_type::enumeration("nope")));
  CHECK_FALSE(s.add_field("order.y", field_type::decimal(19)));
  CHECK(s.find_field("order.total")->slot == 0);
  CHECK(s.enum_code(0, "b") == 1);
  CHECK(s.enum_code(0, "z") == -1);
  CHECK(s.enum_code("tier", "b") == 1);
  CHECK(s.enum_code("tier", "z") == -1);
  CHECK(s.enum_code("nope", "a") == -1);
}

TEST_CASE("the batch form evaluates each input in turn", "[expr]") {
  fixture f;
  const auto r = f.compile("floor(order.total / 10) + order.items");
  REQUIRE(r.expression);
  std::vector<loyalty::expression_input> inputs(3, f.in);
  const std::uint32_t total = f.s.find_field("order.total")->slot;
  REQUIRE(inputs[1].set(total, d("5.00")));
  inputs[2].clear(total);  // required and missing: this one fails, the others do not
  std::vector<value> out(3);
  std::vector<eval_status> status(3);
  r.expression->evaluate(inputs, out, status);
  CHECK(status[0] == eval_status::ok);
  CHECK(out[0].as_decimal().to_string() == "9");  // floor(64.90 / 10) + 3
  CHECK(status[1] == eval_status::ok);
  CHECK(out[1].as_decimal().to_string() == "3");
  CHECK(status[2] == eval_status::missing_field);
}
