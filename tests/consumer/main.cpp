// An application using loyalty through its package (find_package) or its source tree
// (add_subdirectory), with nothing but the public headers. Exits non-zero on any unexpected value.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "loyalty/format.hpp"
#include "loyalty/loyalty.hpp"

// yaml-cpp is a private dependency of the library: no public header may pull it in. Every
// yaml-cpp header includes yaml-cpp/dll.h, which defines YAML_CPP_API.
#ifdef YAML_CPP_API
#error "a public loyalty header includes yaml-cpp"
#endif

namespace {

constexpr std::string_view program_yaml = R"(name: consumer
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]
point_types:
  - id: points
    rounding: floor
  - id: cashback
    currency: EUR
    rounding: half_even
)";

int failures = 0;

void expect_equal(std::string_view what, const std::string& actual, std::string_view expected) {
  if (actual != expected) {
    fmt::print(stderr, "FAILED: {}: got '{}', expected '{}'\n", what, actual, expected);
    ++failures;
  }
}

loyalty::decimal d(std::string_view text) {
  return loyalty::decimal::parse(text).value_or_throw();
}

void check_program() {
  const loyalty::load_result result = loyalty::load_program(program_yaml, "consumer.yaml");
  if (!result.ok()) {
    fmt::print(stderr, "FAILED: the program did not load:\n{}",
               loyalty::render(result.diagnostics));
    ++failures;
    return;
  }
  std::string ids;
  for (const loyalty::point_type& type : result.program->point_types()) {
    ids += ids.empty() ? "" : " ";
    ids += type.id;
  }
  fmt::print("point types: {}\n", ids);
  expect_equal("point type ids", ids, "points cashback");
  const loyalty::point_type* cashback = result.program->find_point_type("cashback");
  const bool is_money = cashback != nullptr && cashback->is_money();
  expect_equal("cashback currency", is_money ? std::string(cashback->money->code) : "(none)",
               "EUR");
  expect_equal("cashback scale", is_money ? std::to_string(cashback->scale) : "(none)", "2");
}

void check_decimals() {
  // 0.1 + 0.2 is exactly 0.3, and 19.99 * 1.5 keeps every digit: no binary floating point.
  const loyalty::decimal sum = d("0.1") + d("0.2");
  expect_equal("0.1 + 0.2", fmt::format("{}", sum), "0.3");
  const loyalty::decimal product = d("19.99") * d("1.5");
  fmt::print("19.99 * 1.5 = {}\n", product);
  expect_equal("19.99 * 1.5", fmt::format("{}", product), "29.985");
  expect_equal("aligned", fmt::format("[{:>8}]", product), "[  29.985]");
  const loyalty::decimal_result third =
      loyalty::decimal::div(d("10.00"), d("3"), 2, loyalty::rounding_mode::half_even);
  expect_equal("10.00 / 3", third.ok() ? fmt::format("{}", third.value) : "(error)", "3.33");
  expect_equal("rounding mode", fmt::format("{}", loyalty::rounding_mode::half_even), "half_even");
}

}  // namespace

int main() {
  try {
    fmt::print("loyalty {}\n", loyalty::version_string);
    check_program();
    check_decimals();
  } catch (const std::exception& e) {
    fmt::print(stderr, "FAILED: unexpected exception: {}\n", e.what());
    return 1;
  }
  if (failures != 0) {
    fmt::print(stderr, "{} check(s) failed\n", failures);
    return 1;
  }
  fmt::print("ok\n");
  return 0;
}
