// Fuzz target for the expression parser, checker and evaluator: any text either compiles or is
// explained by at least one error diagnostic; compiled expressions evaluate without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "loyalty/expression.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const loyalty::schema& fuzz_schema() {
  static const loyalty::schema s = [] {
    loyalty::schema x;
    x.add_enum("tier", {"bronze", "silver", "gold", "platinum"});
    x.add_field("order.total", loyalty::field_type::decimal(2));
    x.add_field("order.items", loyalty::field_type::integer());
    x.add_field("order.coupon", loyalty::field_type::string());
    x.add_field("order.discount", loyalty::field_type::decimal(2).or_null());
    x.add_field("customer.tier", loyalty::field_type::enumeration("tier"));
    x.add_field("customer.vip", loyalty::field_type::boolean());
    x.add_field("customer.opt_in", loyalty::field_type::boolean().or_null());
    return x;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const loyalty::schema& s = fuzz_schema();
  const loyalty::compile_result r = loyalty::compile_expression(text, s);
  check((r.expression != nullptr) != loyalty::has_errors(r.diagnostics));
  for (const loyalty::diagnostic& d : r.diagnostics) check(d.line >= 1 && d.column >= 1);
  if (r.expression) {
    loyalty::expression_input in(s);
    check(in.set(s.find_field("order.total")->slot,
                 loyalty::decimal::parse("92233720368547758.07").value));
    check(in.set(s.find_field("order.items")->slot, loyalty::value::of_int(INT64_MAX)));
    check(in.set(s.find_field("order.coupon")->slot, loyalty::value::of_string("Summer-10")));
    check(in.set(s.find_field("customer.tier")->slot, loyalty::value::of_enum(3)));
    check(in.set(s.find_field("customer.vip")->slot, loyalty::value::of_bool(true)));
    loyalty::value out;
    const loyalty::eval_status st = r.expression->evaluate(in, out);
    // The batch path: row 0 holds the same extreme values and must give the same answer; row 1
    // has no field set (required ones are missing).
    loyalty::expression_batch batch(s, 2);
    for (std::uint32_t slot = 0; slot < in.size(); ++slot) check(batch.set(0, slot, in.get(slot)));
    loyalty::value outs[2];
    loyalty::eval_status statuses[2];
    r.expression->evaluate(batch, outs, statuses);
    check(statuses[0] == st);
    check(st != loyalty::eval_status::ok || outs[0].kind() == out.kind());
  }
  return 0;
}
