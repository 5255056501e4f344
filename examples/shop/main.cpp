// Embedding loyalty in a shop backend: the host reads the program file itself (the library does
// no I/O), loads it once, and uses exact decimals for money.
//
//   usage: shop_example PROGRAM.yaml
#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>

#include "loyalty/loyalty.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: shop_example PROGRAM.yaml\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();

  // Load once at start-up; the program is immutable and can be shared by every thread.
  const loyalty::load_result loaded = loyalty::load_program(text.str(), argv[1]);
  fmt::print("{}", loyalty::render(loaded.diagnostics));
  if (!loaded.ok()) return 1;
  const loyalty::program& program = *loaded.program;
  fmt::print("{} ({}), time zone {}\n", program.name(), program.version(), program.time_zone());
  for (const loyalty::point_type& t : program.point_types()) {
    fmt::print("  {:<10} scale {}  rounding {:<9} {}\n", t.id, t.scale, t.rounding,
               t.is_money() ? fmt::format("money in {}", t.money->code) : "points");
  }

  // 2% cashback on a 3-line order, rounded the way the program says, then split back over the
  // lines by their value so each line knows its share (needed later for partial returns).
  using loyalty::decimal;
  const loyalty::point_type& cashback = *program.find_point_type("cashback");
  const std::array<decimal, 3> lines = {decimal::parse("19.99").value_or_throw(),
                                        decimal::parse("5.00").value_or_throw(),
                                        decimal::parse("0.49").value_or_throw()};
  const decimal total = lines[0] + lines[1] + lines[2];
  const decimal rate = decimal::parse("0.02").value_or_throw();
  const decimal earned =
      decimal::mul(total, rate, cashback.scale, cashback.rounding).value_or_throw();
  const std::vector<decimal> shares =
      loyalty::allocate(earned, lines, loyalty::remainder_policy::largest_remainder);
  fmt::print("order total {} EUR earns {} EUR cashback ({} x {} = {} exactly)\n", total, earned,
             total, rate, total * rate);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    fmt::print("  line {} ({:>5} EUR): {} EUR\n", i + 1, lines[i], shares[i]);
  }

  // The program's `base_points` variable, compiled once against its schema and evaluated for one
  // order. Field slots are looked up once; per event the host only sets values.
  const loyalty::schema& schema = program.schema();
  const auto compiled =
      loyalty::compile_expression("base_points", schema, {}, {}, program.variables());
  fmt::print("{}", loyalty::render(compiled.diagnostics));
  if (!compiled.expression) return 1;
  loyalty::expression_input order(schema);
  const auto slot = [&](const char* path) { return schema.find_field(path)->slot; };
  const auto code = [&](const char* enum_name, const char* v) {
    return loyalty::value::of_enum(schema.enum_code(enum_name, v));
  };
  const bool ok = order.set(slot("order.total"), total) &&
                  order.set(slot("order.shipping"), decimal::parse("4.90").value_or_throw()) &&
                  order.set(slot("order.channel"), code("channel", "web")) &&
                  order.set(slot("customer.tier"), code("tier", "platinum"));
  loyalty::value points;
  if (!ok || compiled.expression->evaluate(order, points) != loyalty::eval_status::ok) return 1;
  fmt::print("base_points for a platinum customer on the web: {}\n", points.as_decimal());
  return 0;
}
