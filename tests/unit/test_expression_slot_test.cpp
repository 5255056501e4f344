// slot_test (src/expr/slot_test.hpp): which expressions are recognised as one field tested
// against constants, and that the recognised test answers exactly what evaluation answers for
// every present value (the engine answers `where` and `when` clauses with it).
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expr/slot_test.hpp"
#include "loyalty/expression.hpp"

using loyalty::eval_status;
using loyalty::field_type;
using loyalty::value;
using loyalty::internal::expr::slot_test;
using loyalty::internal::expr::slot_test_of;

namespace {

loyalty::schema line_schema() {
  loyalty::schema s;
  REQUIRE(s.add_enum("channel", {"web", "app", "store", "marketplace"}));
  REQUIRE(s.add_field("line.sku", field_type::string()));
  REQUIRE(s.add_field("line.note", field_type::string().or_null()));
  REQUIRE(s.add_field("line.category", field_type::integer()));
  REQUIRE(s.add_field("line.price", field_type::decimal(2)));
  REQUIRE(s.add_field("line.gift", field_type::boolean()));
  REQUIRE(s.add_field("event.channel", field_type::enumeration("channel")));
  REQUIRE(s.add_field("event.day", field_type::date()));
  return s;
}

std::unique_ptr<loyalty::compiled_expression> compile(const loyalty::schema& s,
                                                      const std::string& text) {
  auto r = loyalty::compile_expression(text, s);
  INFO(text);
  REQUIRE(r.expression);
  return std::move(r.expression);
}

/// The test's answer and the evaluator's answer for `v` in the tested field.
void same_answer(const loyalty::schema& s, const loyalty::compiled_expression& e,
                 const slot_test& t, const value& v) {
  loyalty::expression_input in(s);
  REQUIRE(in.set(t.slot, v));
  value out;
  REQUIRE(e.evaluate(in, out) == eval_status::ok);
  REQUIRE_FALSE(out.is_null());
  CHECK(t.test(v) == out.as_bool());
}

}  // namespace

TEST_CASE("slot tests: integer comparisons answer as evaluation does", "[expression][slot_test]") {
  const loyalty::schema s = line_schema();
  for (const char* text :
       {"line.category == 3", "line.category != 3", "line.category < 3", "line.category <= 3",
        "line.category > 3", "line.category >= 3", "3 == line.category", "3 < line.category"}) {
    INFO(text);
    const auto e = compile(s, text);
    const std::optional<slot_test> t = slot_test_of(*e);
    REQUIRE(t);
    CHECK(t->how == slot_test::form::bits);
    CHECK(t->slot == s.find_field("line.category")->slot);
    for (std::int64_t v : {-1, 0, 2, 3, 4, 1000}) same_answer(s, *e, *t, value::of_int(v));
  }
}

TEST_CASE("slot tests: text equality, either way round", "[expression][slot_test]") {
  const loyalty::schema s = line_schema();
  for (const char* text : {"line.sku == 'SKU-1'", "line.sku != 'SKU-1'", "'SKU-1' == line.sku"}) {
    INFO(text);
    const auto e = compile(s, text);
    const std::optional<slot_test> t = slot_test_of(*e);
    REQUIRE(t);
    CHECK(t->how == slot_test::form::text);
    CHECK(t->text == "SKU-1");
    for (const char* sku : {"SKU-1", "SKU-10", "SKU-", "sku-1", "", "SKU-1 "}) {
      same_answer(s, *e, *t, value::of_string(sku));
    }
  }
  // Ordering text is left to evaluation.
  CHECK_FALSE(slot_test_of(*compile(s, "line.sku < 'M'")));
}

TEST_CASE("slot tests: enums, sets and booleans", "[expression][slot_test]") {
  const loyalty::schema s = line_schema();
  for (const char* text : {"event.channel == 'app'", "event.channel != 'marketplace'",
                           "event.channel in ['web', 'app']", "event.channel not in ['web', 'app']",
                           "line.gift == true"}) {
    INFO(text);
    const auto e = compile(s, text);
    const std::optional<slot_test> t = slot_test_of(*e);
    REQUIRE(t);
    if (t->kind == loyalty::value_kind::boolean) {
      for (bool b : {false, true}) same_answer(s, *e, *t, value::of_bool(b));
    } else {
      for (int code = 0; code < 4; ++code) same_answer(s, *e, *t, value::of_enum(code));
    }
  }
}

TEST_CASE("slot tests: what is left to evaluation", "[expression][slot_test]") {
  const loyalty::schema s = line_schema();
  // Decimals (a list row may hold fewer digits than declared), two fields, arithmetic, calls and
  // compound conditions are all evaluated.
  for (const char* text : {"line.price > 10", "line.category == line.category + 0",
                           "line.category + 1 == 4", "line.category == 3 and line.gift",
                           "lower(line.sku) == 'sku-1'", "line.sku == line.note"}) {
    INFO(text);
    CHECK_FALSE(slot_test_of(*compile(s, text)));
  }
}
