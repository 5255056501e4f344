// The batch path's column loops (src/expr/columns.hpp): which expressions run in columns, that an
// event meeting anything exceptional on ANY path (a missing field, an overflow or a division by
// zero, even in a branch the short-circuit skips) gets exactly the register machine's answer, that
// chunks of 64 events join up, and that the division by an invariant divisor is exact.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "expr/columns.hpp"
#include "loyalty/expression.hpp"

using loyalty::decimal;
using loyalty::eval_status;
using loyalty::field_type;
using loyalty::value;

namespace {

loyalty::schema shop() {
  loyalty::schema s;
  REQUIRE(s.add_enum("tier", {"bronze", "silver", "gold", "platinum"}));
  REQUIRE(s.add_field("order.total", field_type::decimal(2)));
  REQUIRE(s.add_field("order.items", field_type::integer()));
  REQUIRE(s.add_field("order.discount", field_type::decimal(2).or_null()));
  REQUIRE(s.add_field("order.code", field_type::string().or_null()));
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

std::string show(eval_status st, const value& v) {
  if (st != eval_status::ok) return std::string(loyalty::to_string(st));
  if (v.is_null()) return "missing";
  switch (v.kind()) {
    case loyalty::value_kind::boolean:
      return v.as_bool() ? "true" : "false";
    case loyalty::value_kind::integer:
      return std::to_string(v.as_int());
    case loyalty::value_kind::enumeration:
      return "enum " + std::to_string(v.as_enum());
    default:
      return v.as_decimal().to_string();
  }
}

/// One event: total, items, discount (nullptr: missing), tier, vip.
struct event {
  const char* total;
  std::int64_t items;
  const char* discount;
  int tier;
  bool vip;
};

/// Evaluates `text` over `events` as one batch and returns the results as text; checks each
/// against expression_input on the register machine (or tree) first.
std::vector<std::string> run_batch(const loyalty::schema& s, const std::string& text,
                                   const std::vector<event>& events, bool expect_columns = true,
                                   std::span<const loyalty::variable_def> variables = {}) {
  const auto e = compile(s, text, variables);
  INFO(text);
  CHECK(e->batch_in_columns() == expect_columns);
  loyalty::expression_batch batch(s, events.size());
  std::vector<std::string> expected;
  for (std::size_t r = 0; r < events.size(); ++r) {
    loyalty::expression_input in(s);
    const auto set = [&](const char* path, value v) {
      REQUIRE(batch.set(r, slot(s, path), v));
      REQUIRE(in.set(slot(s, path), v));
    };
    set("order.total", value::of_decimal(d(events[r].total)));
    set("order.items", value::of_int(events[r].items));
    if (events[r].discount != nullptr) {
      set("order.discount", value::of_decimal(d(events[r].discount)));
    }
    set("customer.tier", value::of_enum(events[r].tier));
    set("customer.vip", value::of_bool(events[r].vip));
    value one;
    const eval_status st = e->evaluate(in, one);
    expected.push_back(show(st, one));
  }
  std::vector<value> out(events.size());
  std::vector<eval_status> status(events.size());
  e->evaluate(batch, out, status);
  std::vector<std::string> got;
  for (std::size_t r = 0; r < events.size(); ++r) got.push_back(show(status[r], out[r]));
  CHECK(got == expected);
  return got;
}

}  // namespace

TEST_CASE("which expressions a batch runs in columns", "[expr][columns]") {
  const loyalty::schema s = shop();
  const auto columns = [&](const std::string& text) {
    return compile(s, text)->batch_in_columns();
  };
  CHECK(
      columns("if order.total >= 50 and customer.tier in ['gold', 'platinum'] then "
              "floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else 1.5) else 0"));
  CHECK(columns("order.discount ?? 0"));
  CHECK(columns("min(order.total, 100) + max(order.items, 1) * 2"));
  CHECK(columns("order.items % 3 == 1 or not customer.vip"));
  // A constant alone needs no loop; text and calendar functions stay on the tree evaluator.
  CHECK_FALSE(columns("42"));
  CHECK_FALSE(columns("order.code == 'X'"));
  // A null constant has no column form: such a batch runs event by event.
  CHECK_FALSE(columns("if customer.vip then order.discount else null"));
}

TEST_CASE("column results equal the register machine's, exactly", "[expr][columns]") {
  const loyalty::schema s = shop();
  const std::vector<event> events = {
      {"64.90", 3, "5.00", 2, false}, {"10.00", 1, nullptr, 0, true},
      {"-7.35", 2, "0.01", 3, true},  {"120.00", 4, nullptr, 3, false},
      {"0.00", 7, "0.00", 1, false},  {"49.99", -2, "1.50", 2, true},
  };
  // The anchor rule: 64.90 gold → floor(6.49) * 1.5 = 9.0; platinum 120 → 12 * 2 = 24.0.
  CHECK(run_batch(s,
                  "if order.total >= 50 and customer.tier in ['gold', 'platinum'] then "
                  "floor(order.total / 10) * (if customer.tier == 'platinum' then 2 else 1.5) "
                  "else 0",
                  events) == std::vector<std::string>{"9.0", "0.0", "0.0", "24.0", "0.0", "0.0"});
  // Every rounding mode of a division by a constant, on negative and positive values.
  CHECK(run_batch(s, "round(order.total / 3, 1, 'half_even')", events) ==
        std::vector<std::string>{"21.6", "3.3", "-2.4", "40.0", "0.0", "16.7"});
  CHECK(run_batch(s, "round(order.total / -4, 0, 'floor')", events) ==
        std::vector<std::string>{"-17", "-3", "1", "-30", "0", "-13"});
  CHECK(run_batch(s, "round(order.total, 0, 'ceiling')", events) ==
        std::vector<std::string>{"65", "10", "-7", "120", "0", "50"});
  for (const char* mode : {"half_up", "half_down", "down", "up"}) {
    run_batch(s, std::string("round(order.total / 7, 1, '") + mode + "')", events);
    run_batch(s, std::string("round(order.total, 1, '") + mode + "')", events);
  }
  // Division by an expression, by a wide constant, and a remainder.
  run_batch(s, "order.total / order.items", {events[0], events[2], events[5]});
  // 2 + 6 result digits and a divisor at scale 10: the quotient needs 128 bits, so no columns
  run_batch(s, "order.total / 0.0000000001", events, false);
  run_batch(s, "order.total % 0.3 + order.items % 2", events);
  // Comparisons across scales and every comparison operator.
  for (const char* cmp : {"==", "!=", "<", "<=", ">", ">="}) {
    run_batch(s, std::string("order.total ") + cmp + " 49.990", events);
    run_batch(s, std::string("order.items ") + cmp + " 3", events);
  }
  run_batch(s, "order.total in [64.9, 10, 1.5 * 33]", events);
  run_batch(s, "order.total not in [64.9, 10]", events);
  run_batch(s, "customer.tier not in ['gold']", events);
  run_batch(s, "clamp(order.total, 0, 50.5) - abs(-order.total)", events);
  CHECK(run_batch(s, "order.discount == null", events) ==
        std::vector<std::string>{"false", "true", "false", "true", "false", "false"});
  CHECK(run_batch(s, "order.discount ?? 1.5", events) ==
        std::vector<std::string>{"5.00", "1.50", "0.01", "1.50", "0.00", "1.50"});
}

TEST_CASE("an event meeting anything exceptional, on any path, gets the register machine's answer",
          "[expr][columns]") {
  const loyalty::schema s = shop();
  const std::vector<event> events = {
      {"10.00", 0, nullptr, 0, false},                 // items 0
      {"10.00", 2, nullptr, 0, true},                  //
      {"92233720368547758.07", 5, "1.00", 1, true},    // the largest total
      {"-92233720368547758.07", 5, "1.00", 1, false},  // the smallest
  };
  // Division by zero only where the branch is taken: row 0 skips it (vip false) → 0.
  CHECK(run_batch(s, "if customer.vip then order.total / order.items else 0", events) ==
        std::vector<std::string>{"0.00000000", "5.00000000", "overflow", "0.00000000"});
  // The columns compute both sides of `and`; the short-circuit does not: no error for row 0.
  CHECK(run_batch(s, "customer.vip and order.total / order.items > 1", events) ==
        std::vector<std::string>{"false", "true", "overflow", "false"});
  // Overflow in the branch the short-circuit takes is an error; in the other, nothing.
  CHECK(run_batch(s, "if order.items > 4 then order.total * 100 else order.total", events) ==
        std::vector<std::string>{"10.00", "10.00", "overflow", "overflow"});
  CHECK(run_batch(s, "if order.items > 4 then 1 else order.total * 100", events) ==
        std::vector<std::string>{"1000.00", "1000.00", "1.00", "1.00"});
  // A missing optional value, combined or replaced.
  CHECK(run_batch(s, "order.discount + 1", events) ==
        std::vector<std::string>{"missing", "missing", "2.00", "2.00"});
  CHECK(run_batch(s, "(order.discount ?? 0) + 1", events) ==
        std::vector<std::string>{"1.00", "1.00", "2.00", "2.00"});
  CHECK(run_batch(s, "order.discount > 0 or order.items == 2", events) ==
        std::vector<std::string>{"false", "true", "true", "true"});
}

TEST_CASE("a missing required field and a batch without `now`", "[expr][columns]") {
  const loyalty::schema s = shop();
  const auto e = compile(s, "order.total * 2 + order.items");
  REQUIRE(e->batch_in_columns());
  loyalty::expression_batch batch(s, 3);
  REQUIRE(batch.set(0, slot(s, "order.total"), value::of_decimal(d("1.25"))));
  REQUIRE(batch.set(0, slot(s, "order.items"), value::of_int(4)));
  REQUIRE(batch.set(1, slot(s, "order.items"), value::of_int(4)));  // no total
  REQUIRE(batch.set(2, slot(s, "order.total"), value::of_decimal(d("3.00"))));
  REQUIRE(batch.set(2, slot(s, "order.items"), value::of_int(-1)));
  std::vector<value> out(3);
  std::vector<eval_status> status(3);
  e->evaluate(batch, out, status);
  CHECK(show(status[0], out[0]) == "6.50");
  CHECK(status[1] == eval_status::missing_field);
  CHECK(show(status[2], out[2]) == "5.00");

  const auto now = compile(s, "now");
  REQUIRE(now->batch_in_columns());
  now->evaluate(batch, out, status);
  CHECK(status == std::vector<eval_status>(3, eval_status::missing_field));
  batch.set_now(loyalty::timestamp{86'400'000'000});
  now->evaluate(batch, out, status);
  CHECK(status == std::vector<eval_status>(3, eval_status::ok));
  CHECK(out[2].as_timestamp().micros == 86'400'000'000);
}

TEST_CASE("columns join up across chunks of 64 events", "[expr][columns]") {
  const loyalty::schema s = shop();
  std::vector<event> events;
  const char* totals[] = {"1.00", "55.55", "64.90", "100.00", "12.34", "99.99", "50.00"};
  for (std::size_t r = 0; r < 200; ++r) {
    // every 17th event has no discount, every 29th zero items
    events.push_back({totals[r % 7], r % 29 == 0 ? 0 : static_cast<std::int64_t>(r % 5 + 1),
                      r % 17 == 0 ? nullptr : "2.50", static_cast<int>(r % 4), r % 3 == 0});
  }
  const auto got = run_batch(s,
                             "if order.total >= 50 and customer.tier in ['gold', 'platinum'] then "
                             "floor((order.total - (order.discount ?? 0)) / order.items) else -1",
                             events);
  REQUIRE(got.size() == 200);
  CHECK(got[0] == "-1");                 // bronze
  CHECK(got[2] == "20");                 // 64.90 gold, 2.50 off, 3 items: floor(62.40 / 3)
  CHECK(got[29] == "-1");                // no items, but silver: the division is not reached
  CHECK(got[58] == "division by zero");  // no items, gold: it is
  CHECK(got[87] == "division by zero");  // in the second chunk
  CHECK(got[199] == "19");               // 100.00 platinum, 2.50 off, 5 items
}

TEST_CASE("variables are computed once and shared by the column code", "[expr][columns]") {
  const loyalty::schema s = shop();
  const std::vector<loyalty::variable_def> vars = {
      {"net", "order.total - (order.discount ?? 0)", {}},
      {"big", "net >= 50", {}},
  };
  const std::vector<event> events = {{"64.90", 3, "5.00", 2, false},
                                     {"10.00", 1, nullptr, 0, true},
                                     {"55.00", 2, "6.00", 3, true}};
  CHECK(run_batch(s, "if big then net * 2 else net", events, true, vars) ==
        std::vector<std::string>{"119.80", "10.00", "49.00"});
}

TEST_CASE("division by an invariant divisor is exact for every dividend", "[expr][columns]") {
  using loyalty::internal::expr::invariant_divisor;
  constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::uint64_t> divisors = {1,
                                         2,
                                         3,
                                         5,
                                         7,
                                         10,
                                         100,
                                         641,
                                         1'000'000'007,
                                         std::uint64_t{1} << 32,
                                         (std::uint64_t{1} << 32) + 1,
                                         1'000'000'000'000'000'000ULL,
                                         (std::uint64_t{1} << 62) - 1,
                                         std::uint64_t{1} << 62,
                                         9'223'372'036'854'775'807ULL};
  std::mt19937_64 rng(20261122);
  for (int k = 0; k < 200; ++k) divisors.push_back((rng() >> (rng() % 63)) | 1U);
  for (const std::uint64_t dv : divisors) {
    const invariant_divisor div = invariant_divisor::of(dv);
    std::vector<std::uint64_t> dividends = {
        0, 1, dv - 1, dv, dv + 1, 2 * dv - 1, 2 * dv, top / 2, top / 2 + 1, top - 1, top};
    for (int k = 0; k < 500; ++k) dividends.push_back(rng() >> (rng() % 64));
    for (const std::uint64_t n : dividends) {
      INFO(n << " / " << dv);
      REQUIRE(div.divide(n) == n / dv);
    }
  }
}
