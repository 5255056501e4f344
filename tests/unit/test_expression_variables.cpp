// Named variables: usable by name, computed at most once per evaluation.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "loyalty/expression.hpp"

using loyalty::decimal;
using loyalty::field_type;
using loyalty::value;

namespace {

struct variables_fixture {
  loyalty::schema s;
  loyalty::expression_input in;
  std::vector<loyalty::variable_def> vars;

  variables_fixture() : s(make()), in(s) {
    REQUIRE(in.set(s.find_field("order.total")->slot, decimal::parse("120.00").value));
    REQUIRE(in.set(s.find_field("order.shipping")->slot, decimal::parse("4.90").value));
    vars = {
        {"net_total", "order.total - order.shipping", {"shop.yaml", 10, 16, {}}},
        {"big_order", "net_total >= 100", {"shop.yaml", 11, 16, {}}},
        {"base_points", "floor(net_total / 10)", {"shop.yaml", 12, 18, {}}},
    };
  }

  static loyalty::schema make() {
    loyalty::schema s;
    REQUIRE(s.add_field("order.total", field_type::decimal(2)));
    REQUIRE(s.add_field("order.shipping", field_type::decimal(2)));
    return s;
  }

  loyalty::compile_result compile(const std::string& text) {
    return loyalty::compile_expression(text, s, {"shop.yaml", 20, 11, {}}, {}, vars);
  }
};

}  // namespace

TEST_CASE("variables are usable by name and by later variables", "[expr][variables]") {
  variables_fixture f;
  const auto r = f.compile("if big_order then base_points * 2 else base_points");
  INFO(loyalty::render(r.diagnostics));
  REQUIRE(r.expression);
  value v;
  REQUIRE(r.expression->evaluate(f.in, v) == loyalty::eval_status::ok);
  CHECK(v.as_decimal().to_string() == "22");  // floor(115.10 / 10) = 11, doubled
  REQUIRE(f.in.set(f.s.find_field("order.total")->slot, decimal::parse("50.00").value));
  REQUIRE(r.expression->evaluate(f.in, v) == loyalty::eval_status::ok);
  CHECK(v.as_decimal().to_string() == "4");
}

TEST_CASE("a variable used many times is computed once per evaluation", "[expr][variables]") {
  // The iteration limit counts rows visited: a variable that scans 3 rows, used 4 times, fits a
  // limit of 3 only if it is computed once.
  loyalty::schema s;
  REQUIRE(s.add_record("line", {{"qty", field_type::integer()}}));
  REQUIRE(s.add_field("order.lines", field_type::list("line")));
  loyalty::expression_input in(s);
  const value rows[] = {value::of_int(1), value::of_int(2), value::of_int(3)};
  REQUIRE(in.set(s.find_field("order.lines")->slot, value::of_list(rows, 3, 1)));
  const std::vector<loyalty::variable_def> vars = {{"items", "sum(order.lines, l -> l.qty)", {}}};
  loyalty::expression_limits limits;
  limits.max_iterations = 3;
  const auto r = loyalty::compile_expression("items + items * items - items", s, {}, limits, vars);
  REQUIRE(r.expression);
  value v;
  REQUIRE(r.expression->evaluate(in, v) == loyalty::eval_status::ok);
  CHECK(v.as_int() == 36);  // 6 + 36 - 6
  // Inlined four times instead, the same work exceeds the limit.
  const auto inlined = loyalty::compile_expression(
      "sum(order.lines, l -> l.qty) + sum(order.lines, l -> l.qty)", s, {}, limits);
  REQUIRE(inlined.expression);
  CHECK(inlined.expression->evaluate(in, v) == loyalty::eval_status::iteration_limit);
  // And each evaluation starts afresh: a second evaluation sees new inputs.
  const value more[] = {value::of_int(10)};
  REQUIRE(in.set(s.find_field("order.lines")->slot, value::of_list(more, 1, 1)));
  REQUIRE(r.expression->evaluate(in, v) == loyalty::eval_status::ok);
  CHECK(v.as_int() == 100);
}

TEST_CASE("variables see only earlier variables, so there are no cycles", "[expr][variables]") {
  variables_fixture f;
  f.vars.push_back({"loop_a", "loop_b + 1", {"shop.yaml", 13, 13, {}}});
  f.vars.push_back({"loop_b", "loop_a + 1", {"shop.yaml", 14, 13, {}}});
  const auto r = f.compile("loop_a");
  REQUIRE_FALSE(r.expression);
  REQUIRE(r.diagnostics.size() == 1);
  // Reported inside the variable's own text, where loop_b is not yet defined.
  CHECK(r.diagnostics[0].code == "L0302");
  CHECK(r.diagnostics[0].line == 13);
  CHECK(r.diagnostics[0].column == 13);
}

TEST_CASE("an error inside a variable is reported once, at the variable", "[expr][variables]") {
  variables_fixture f;
  f.vars[0].text = "order.totl - order.shipping";
  const auto r = f.compile("net_total + net_total > base_points");
  REQUIRE_FALSE(r.expression);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].code == "L0302");
  CHECK(r.diagnostics[0].line == 10);
  CHECK(r.diagnostics[0].column == 16);
}

TEST_CASE("unused variables cost nothing and are not compiled", "[expr][variables]") {
  variables_fixture f;
  f.vars.push_back({"broken", "1 +", {}});
  const auto r = f.compile("order.total > 1");
  CHECK(r.expression != nullptr);
  CHECK(r.diagnostics.empty());
}
