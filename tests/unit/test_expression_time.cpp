// Dates, timestamps and durations in expressions, read in the program's time zone.
#include <catch2/catch.hpp>

#include <string>

#include "loyalty/expression.hpp"

using loyalty::eval_status;
using loyalty::field_type;
using loyalty::value;
using loyalty::value_kind;

namespace {

loyalty::timestamp ts(const char* text) {
  return loyalty::parse_timestamp(text).value();
}
loyalty::civil_date date(const char* text) {
  return loyalty::parse_date(text).value();
}

struct time_fixture {
  loyalty::schema s;
  loyalty::expression_input in;

  time_fixture() : s(make()), in(s) {
    REQUIRE(in.set(s.find_field("customer.birthday")->slot, value::of_date(date("1990-02-28"))));
    REQUIRE(in.set(s.find_field("customer.joined_at")->slot,
                   value::of_timestamp(ts("2023-11-22T09:00:00Z"))));
    REQUIRE(in.set(s.find_field("order.placed_at")->slot,
                   value::of_timestamp(ts("2026-03-28T23:30:00Z"))));  // 00:30 in Berlin, 29 Mar
    REQUIRE(in.set(s.find_field("bet.settle_delay")->slot,
                   value::of_duration(loyalty::duration::hours(36))));
    in.set_now(ts("2026-11-22T10:15:00+01:00"));  // a Sunday in Berlin
  }

  static loyalty::schema make() {
    loyalty::schema s;
    s.set_time_zone(loyalty::time_zone::locate("Europe/Berlin").value());
    REQUIRE(s.add_field("customer.birthday", field_type::date().or_null()));
    REQUIRE(s.add_field("customer.joined_at", field_type::timestamp()));
    REQUIRE(s.add_field("order.placed_at", field_type::timestamp()));
    REQUIRE(s.add_field("bet.settle_delay", field_type::duration()));
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
  std::string text(const std::string& expr) {
    const value v = eval(expr);
    switch (v.kind()) {
      case value_kind::date:
        return loyalty::to_string(v.as_date());
      case value_kind::timestamp:
        return loyalty::to_string(v.as_timestamp());
      case value_kind::duration:
        return loyalty::to_string(v.as_duration());
      case value_kind::integer:
        return std::to_string(v.as_int());
      case value_kind::boolean:
        return v.as_bool() ? "true" : "false";
      default:
        return v.is_null() ? "null" : "?";
    }
  }
  std::string codes(const std::string& expr) {
    std::string out;
    for (const auto& d : loyalty::compile_expression(expr, s).diagnostics) {
      out += (out.empty() ? "" : " ") + d.code + "@" + std::to_string(d.column);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("now, today and durations", "[expr][time]") {
  time_fixture f;
  CHECK(f.text("now") == "2026-11-22T09:15:00Z");
  CHECK(f.text("today") == "2026-11-22");
  CHECK(f.text("now + 30d") == "2026-12-22T09:15:00Z");
  CHECK(f.text("now - 1d12h") == "2026-11-20T21:15:00Z");
  CHECK(f.text("today + 30d") == "2026-12-22");
  CHECK(f.text("today - customer.birthday") == "13416d");  // 36 years (9 leap days) + 267
  CHECK(f.text("now - customer.joined_at") == "1096d15m");
  CHECK(f.text("bet.settle_delay * 2") == "3d");
  CHECK(f.text("-bet.settle_delay") == "-1d12h");
  CHECK(f.text("bet.settle_delay + 90m") == "1d13h30m");
  CHECK(f.eval("today + 36h", eval_status::type_mismatch).is_null());  // dates move by whole days
}

TEST_CASE("comparisons with literals typed by context", "[expr][time]") {
  time_fixture f;
  CHECK(f.text("order.placed_at >= '2026-03-28T23:00:00Z'") == "true");
  // A date against a timestamp is local midnight in the program's zone: 29 Mar 00:00 in Berlin.
  CHECK(f.text("order.placed_at >= '2026-03-29'") == "true");
  CHECK(f.text("order.placed_at >= '2026-03-30'") == "false");
  CHECK(f.text("customer.birthday < '2000-01-01'") == "true");
  CHECK(f.text("today == date('2026-11-22')") == "true");
  CHECK(f.text("bet.settle_delay > 24h") == "true");
  CHECK(f.text("now - customer.joined_at >= 1095d") == "true");
}

TEST_CASE("calendar functions read instants in the program's time zone", "[expr][time]") {
  time_fixture f;
  CHECK(f.text("date(order.placed_at)") == "2026-03-29");  // 23:30Z is after midnight in Berlin
  CHECK(f.text("day_of_week(today)") == "7");              // Sunday
  CHECK(f.text("day_of_week(order.placed_at)") == "7");
  CHECK(f.text("day_of_month(order.placed_at)") == "29");
  CHECK(f.text("month(today)") == "11");
  CHECK(f.text("year(customer.birthday)") == "1990");
  CHECK(f.text("quarter(today)") == "4");
  CHECK(f.text("days_between(customer.joined_at, now)") == "1096");
  CHECK(f.text("months_between(customer.joined_at, now)") == "36");
  CHECK(f.text("years_between(customer.birthday, today)") == "36");
  CHECK(f.text("add_months(date('2026-01-31'), 1)") == "2026-02-28");
  CHECK(f.text("start_of(month, today)") == "2026-11-01");
  CHECK(f.text("end_of(quarter, today)") == "2026-12-31");
  CHECK(f.text("start_of(week, today)") == "2026-11-16");
  // Instants: local midnight in Berlin, across the DST change at the end of March.
  CHECK(f.text("start_of(day, order.placed_at)") == "2026-03-28T23:00:00Z");
  CHECK(f.text("end_of(day, order.placed_at)") == "2026-03-29T21:59:59.999999Z");  // 23-hour day
  CHECK(f.text("end_of(month, now)") == "2026-11-30T22:59:59.999999Z");
}

TEST_CASE("birthdays and anniversaries name their 29 February rule", "[expr][time]") {
  time_fixture f;
  CHECK(f.text("completed_years(customer.birthday, today, feb28)") == "36");
  CHECK(f.text("age(customer.birthday, today, feb28)") == "36");
  CHECK(f.text("is_birthday(customer.birthday, date('2027-02-28'), feb28)") == "true");
  CHECK(f.text("completed_years(date(customer.joined_at), today, feb28)") == "3");
  CHECK(f.text("is_anniversary(date(customer.joined_at), today, feb28)") == "true");
  CHECK(f.text("next_anniversary(date('2024-02-29'), date('2025-01-01'), feb28)") == "2025-02-28");
  CHECK(f.text("next_anniversary(date('2024-02-29'), date('2025-01-01'), 'mar1')") == "2025-03-01");
  CHECK(f.text("is_birthday(date('2024-02-29'), date('2025-03-01'), mar1)") == "true");
  CHECK(f.text("is_birthday(date('2024-02-29'), date('2025-03-01'), feb28)") == "false");
  // A missing birthday is never today.
  f.in.clear(f.s.find_field("customer.birthday")->slot);
  CHECK(f.text("is_birthday(customer.birthday, today, feb28)") == "false");
  CHECK(f.text("age(customer.birthday, today, feb28)") == "null");
}

TEST_CASE("now must be passed in", "[expr][time]") {
  time_fixture f;
  loyalty::expression_input fresh(f.s);
  const auto r = loyalty::compile_expression("today", f.s);
  REQUIRE(r.expression);
  value v;
  CHECK(r.expression->evaluate(fresh, v) == eval_status::missing_field);
}

TEST_CASE("time diagnostics", "[expr][time][diagnostics]") {
  time_fixture f;
  CHECK(f.codes("order.placed_at >= '2026-13-01'") == "L0303@20");
  CHECK(f.codes("customer.birthday == '2026-02-30'") == "L0303@22");
  CHECK(f.codes("order.placed_at + order.placed_at") == "L0303@1");
  CHECK(f.codes("order.placed_at > customer.birthday") == "L0303@1");
  CHECK(f.codes("start_of(fortnight, today)") == "L0304@10");
  CHECK(f.codes("is_birthday(customer.birthday, today)") == "L0304@1");
  CHECK(f.codes("is_birthday(customer.birthday, today, feb29)") == "L0304@39");
  CHECK(f.codes("day_of_week(bet.settle_delay)") == "L0303@13");
  CHECK(f.codes("30x") == "L0301@1");
  CHECK(f.codes("dayz_between(today, now)") == "L0304@1");
}
