// Lists of records and the bounded list functions.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "loyalty/expression.hpp"

using loyalty::decimal;
using loyalty::eval_status;
using loyalty::field_type;
using loyalty::value;

namespace {

decimal d(const char* text) {
  return decimal::parse(text).value_or_throw();
}

struct lists_fixture {
  loyalty::schema s;
  // line = {sku, category, price, qty, discount?}
  std::array<value, 15> rows = {
      value::of_string("B-1"),
      value::of_string("books"),
      value::of_decimal(d("12.50")),
      value::of_int(2),
      value(),
      value::of_string("T-7"),
      value::of_string("toys"),
      value::of_decimal(d("30.00")),
      value::of_int(1),
      value::of_decimal(d("5.00")),
      value::of_string("B-2"),
      value::of_string("books"),
      value::of_decimal(d("8.9")),
      value::of_int(3),
      value(),
  };
  loyalty::expression_input in;

  lists_fixture() : s(make()), in(s) {
    REQUIRE(in.set(s.find_field("order.lines")->slot, value::of_list(rows.data(), 3, 5)));
    REQUIRE(in.set(s.find_field("order.total")->slot, d("84.20")));
  }

  static loyalty::schema make() {
    loyalty::schema s;
    REQUIRE(s.add_record("line", {{"sku", field_type::string()},
                                  {"category", field_type::string()},
                                  {"price", field_type::decimal(2)},
                                  {"qty", field_type::integer()},
                                  {"discount", field_type::decimal(2).or_null()}}));
    REQUIRE(s.add_field("order.lines", field_type::list("line")));
    REQUIRE(s.add_field("order.returns", field_type::list("line").or_null()));
    REQUIRE(s.add_field("order.total", field_type::decimal(2)));
    return s;
  }

  value eval(const std::string& text, eval_status expected = eval_status::ok) {
    const auto r = loyalty::compile_expression(text, s);
    INFO(text << "\n" << loyalty::render(r.diagnostics));
    REQUIRE(r.expression);
    value v;
    REQUIRE(r.expression->evaluate(in, v) == expected);
    return v;
  }
  std::string num(const std::string& text) { return eval(text).as_decimal().to_string(); }
  bool truth(const std::string& text) { return eval(text).as_bool(); }
  std::string codes(const std::string& text) {
    std::string out;
    for (const auto& diag : loyalty::compile_expression(text, s).diagnostics) {
      out += (out.empty() ? "" : " ") + diag.code + "@" + std::to_string(diag.column);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("any, all and none", "[expr][lists]") {
  lists_fixture f;
  CHECK(f.truth("any(order.lines, l -> l.category == 'toys')"));
  CHECK_FALSE(f.truth("any(order.lines, l -> l.category == 'games')"));
  CHECK(f.truth("all(order.lines, l -> l.qty >= 1)"));
  CHECK_FALSE(f.truth("all(order.lines, l -> l.qty >= 2)"));
  CHECK(f.truth("none(order.lines, l -> l.price > 100)"));
  CHECK_FALSE(f.truth("none(order.lines, l -> l.price > 10)"));
  CHECK(f.truth("any(order.lines, l -> starts_with(l.sku, 'T'))"));
}

TEST_CASE("count, sum, min and max", "[expr][lists]") {
  lists_fixture f;
  CHECK(f.eval("count(order.lines)").as_int() == 3);
  CHECK(f.eval("count(order.lines, l -> l.category == 'books')").as_int() == 2);
  CHECK(f.num("sum(order.lines, l -> l.price * l.qty)") == "81.70");  // 25.00 + 30.00 + 26.70
  CHECK(f.eval("sum(order.lines, l -> l.qty)").as_int() == 6);
  // Row values keep the scale the host wrote (checked, not converted, at the boundary).
  CHECK(f.eval("min(order.lines, l -> l.price)").as_decimal() == d("8.90"));
  CHECK(f.num("max(order.lines, l -> l.price * l.qty)") == "30.00");
  // Missing values are skipped, as in SQL aggregates.
  CHECK(f.num("sum(order.lines, l -> l.discount)") == "5.00");
  CHECK(f.num("min(order.lines, l -> l.discount)") == "5.00");
  CHECK(f.num("sum(order.lines, l -> l.discount ?? 0)") == "5.00");
}

TEST_CASE("filter narrows another list function without building a list", "[expr][lists]") {
  lists_fixture f;
  CHECK(f.num("sum(filter(order.lines, l -> l.category == 'books'), l -> l.price * l.qty)") ==
        "51.70");
  CHECK(f.eval("count(filter(order.lines, x -> x.qty > 1))").as_int() == 2);
  CHECK(f.truth("all(filter(order.lines, l -> l.category == 'books'), l -> l.price < 20)"));
  CHECK(f.eval("max(filter(order.lines, l -> l.category == 'games'), l -> l.price)").is_null());
  // Points per line, rounded per line, then added up.
  CHECK(f.num("sum(order.lines, l -> floor(l.price * l.qty / 10))") == "7");
}

TEST_CASE("empty and missing lists", "[expr][lists]") {
  lists_fixture f;
  REQUIRE(f.in.set(f.s.find_field("order.lines")->slot, value::of_list(f.rows.data(), 0, 5)));
  CHECK_FALSE(f.truth("any(order.lines, l -> l.qty > 0)"));
  CHECK(f.truth("all(order.lines, l -> l.qty > 0)"));
  CHECK(f.truth("none(order.lines, l -> l.qty > 0)"));
  CHECK(f.eval("count(order.lines)").as_int() == 0);
  CHECK(f.num("sum(order.lines, l -> l.price)") == "0.00");  // at the body's scale
  CHECK(f.eval("min(order.lines, l -> l.price)").is_null());
  // An optional list that is missing has no rows.
  CHECK(f.eval("count(order.returns)").as_int() == 0);
  // A required list that is missing is the host's error.
  f.in.clear(f.s.find_field("order.lines")->slot);
  f.eval("count(order.lines)", eval_status::missing_field);
}

TEST_CASE("nested list functions see the rows of every enclosing lambda", "[expr][lists]") {
  lists_fixture f;
  // Lines whose category appears on more than one line.
  CHECK(f.eval("count(order.lines, a -> count(order.lines, b -> b.category == a.category) > 1)")
            .as_int() == 2);
}

TEST_CASE("list rows are checked at the input boundary", "[expr][lists]") {
  lists_fixture f;
  const std::uint32_t slot = f.s.find_field("order.lines")->slot;
  std::array<value, 5> bad_scale = {value::of_string("X"), value::of_string("c"),
                                    value::of_decimal(d("1.005")), value::of_int(1), value()};
  CHECK_FALSE(f.in.set(slot, value::of_list(bad_scale.data(), 1, 5)));
  std::array<value, 5> missing_required = {value::of_string("X"), value::of_string("c"), value(),
                                           value::of_int(1), value()};
  CHECK_FALSE(f.in.set(slot, value::of_list(missing_required.data(), 1, 5)));
  CHECK_FALSE(f.in.set(slot, value::of_list(f.rows.data(), 3, 4)));  // wrong width
  CHECK_FALSE(f.in.set(slot, value::of_int(3)));
}

TEST_CASE("the iteration limit stops runaway nesting", "[expr][lists]") {
  lists_fixture f;
  loyalty::expression_limits limits;
  limits.max_iterations = 10;
  const auto r = loyalty::compile_expression(
      "count(order.lines, a -> count(order.lines, b -> count(order.lines, c -> true) > 0) > 0)",
      f.s, {}, limits);
  REQUIRE(r.expression);
  value v;
  CHECK(r.expression->evaluate(f.in, v) == eval_status::iteration_limit);
  limits.max_iterations = 3 + 9 + 27;
  const auto r2 = loyalty::compile_expression(
      "count(order.lines, a -> count(order.lines, b -> count(order.lines, c -> true) > 0) > 0)",
      f.s, {}, limits);
  CHECK(r2.expression->evaluate(f.in, v) == eval_status::ok);
  CHECK(v.as_int() == 3);
}

TEST_CASE("list function diagnostics", "[expr][lists][diagnostics]") {
  lists_fixture f;
  CHECK(f.codes("any(order.lines, l -> l.prise > 1)") == "L0302@23");
  CHECK(f.codes("any(order.lines, l -> l)") == "L0302@23");
  CHECK(f.codes("any(order.total, l -> true)") == "L0303@5");
  CHECK(f.codes("any(order.lines, l -> l.price)") == "L0303@23");
  CHECK(f.codes("sum(order.lines, l -> l.sku)") == "L0303@23");
  CHECK(f.codes("any(order.lines, true)") == "L0304@18");
  CHECK(f.codes("filter(order.lines, l -> true)") == "L0304@1");
  CHECK(f.codes("count()") == "L0304@1");
  CHECK(f.codes("l -> l.price") == "L0301@3");  // a lambda only as an argument
  CHECK(f.codes("order.lines == order.lines") == "L0303@1");
  CHECK(
      f.codes("any(order.lines, a -> any(order.lines, b -> any(order.lines, c -> any(order.lines, "
              "d -> any(order.lines, e -> true)))))") == "L0305@89");  // the fifth level
}
