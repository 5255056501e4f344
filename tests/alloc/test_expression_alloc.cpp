// Evaluation allocates nothing: every operator new in this test binary is counted
// (alloc_counter.cpp), and the count must not move while expressions are evaluated.
#include <catch2/catch.hpp>

#include <vector>

#include "alloc_counter.hpp"
#include "loyalty/expression.hpp"

TEST_CASE("evaluation performs no heap allocation", "[expr][alloc]") {
  loyalty::schema s;
  REQUIRE(s.add_enum("tier", {"bronze", "silver", "gold", "platinum"}));
  REQUIRE(s.add_enum("channel", {"web", "app", "store", "marketplace"}));
  REQUIRE(s.add_field("order.total", loyalty::field_type::decimal(2)));
  REQUIRE(s.add_field("order.channel", loyalty::field_type::enumeration("channel")));
  REQUIRE(s.add_field("order.coupon", loyalty::field_type::string()));
  REQUIRE(s.add_field("order.discount", loyalty::field_type::decimal(2).or_null()));
  REQUIRE(s.add_field("customer.tier", loyalty::field_type::enumeration("tier")));
  const char* const rules[] = {
      "if order.total >= 50 and customer.tier in ['gold','platinum'] and order.channel != "
      "'marketplace' then floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else "
      "1.5) else 0",
      "round((order.total - (order.discount ?? 0)) * 0.02, 2, half_even)",
      "lower(order.coupon) == 'summer-10' or contains(upper(order.coupon), 'WINTER')",
      "min(order.total, 100, max(order.total / 3, 5)) + clamp(order.total, 1, 2)",
      "order.total in [10, 20.5, 64.9] and order.coupon not in ['A', 'B']"};
  loyalty::expression_input in(s);
  REQUIRE(in.set(s.find_field("order.total")->slot, loyalty::decimal::parse("64.90").value));
  REQUIRE(in.set(s.find_field("order.channel")->slot, loyalty::value::of_enum(1)));
  REQUIRE(in.set(s.find_field("order.coupon")->slot, loyalty::value::of_string("Summer-10")));
  REQUIRE(in.set(s.find_field("customer.tier")->slot, loyalty::value::of_enum(3)));
  // The same event eight times, as a batch.
  loyalty::expression_batch batch(s, 8);
  for (std::size_t row = 0; row < batch.rows(); ++row) {
    for (const char* f : {"order.total", "order.channel", "order.coupon", "customer.tier"}) {
      const std::uint32_t slot = s.find_field(f)->slot;
      REQUIRE(batch.set(row, slot, in.get(slot)));
    }
  }
  std::vector<loyalty::value> outs(batch.rows());
  std::vector<loyalty::eval_status> statuses(batch.rows());
  int on_registers = 0;
  for (const char* rule : rules) {
    INFO(rule);
    const auto compiled = loyalty::compile_expression(rule, s);
    REQUIRE(compiled.expression);
    on_registers +=
        compiled.expression->evaluator() == loyalty::expression_evaluator::registers ? 1 : 0;
    loyalty::value out;
    const std::size_t before = alloc_test::count();
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(compiled.expression->evaluate(in, out) == loyalty::eval_status::ok);
      compiled.expression->evaluate(batch, outs, statuses);
      REQUIRE(statuses[7] == loyalty::eval_status::ok);
    }
    CHECK(alloc_test::count() == before);
  }
  // Both evaluators were measured: text makes the tree run rules 2 and 4.
  CHECK(on_registers == 3);
  // The counter itself works: compiling allocates.
  const std::size_t before = alloc_test::count();
  (void)loyalty::compile_expression("order.total > 1", s);
  CHECK(alloc_test::count() > before);
}
