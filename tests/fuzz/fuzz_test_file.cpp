// Fuzz target for the test files of `loyalty test` (src/cli/test_file.cpp) and the runner
// behind them: any text either reads as a test file or is explained by error diagnostics with
// catalogued codes; a test file that reads runs every case (with explanations) without
// crashing. The same text is also read as one YAML event, as `loyalty explain EVENT.yaml` does.
// Every path a test file names gets the café program below, the one of tests/cli/testfiles.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli/test_file.hpp"
#include "cli/test_runner.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view cafe_program = R"(name: Test Cafe
version: "1"
time_zone: Europe/Berlin
currencies: [EUR]

point_types:
  - id: beans
    rounding: floor
  - id: credit
    currency: EUR
    rounding: half_even

schema:
  records:
    item:
      sku: text
      price: decimal(2)
      qty: integer
  fields:
    customer.birthday: date?
    customer.vip: bool?

events:
  purchase:
    fields:
      items: list<item>
      total: decimal(2)
    lines: items
    quantity: qty
    line_value: line.price * line.qty
  refund:
    returns: purchase
  review:
    fields:
      stars: integer
  signup:
    fields:
      birthday: date?
    profile:
      customer.birthday: birthday

groups:
  - id: basket
    mode: first

budgets:
  - id: launch
    point_type: beans
    amount: 500

rules:
  - id: per_euro
    on: purchase
    per: line
    award: line.price * line.qty
    into: beans

  - id: vip_bonus
    on: purchase
    when: ['customer.vip ?? false', event.total >= 10]
    award: 10
    into: beans

  - id: credit_back
    on: purchase
    award: event.total * 0.05
    into: credit
    caps:
      - {max: 1.00, per: customer, period: month}

  - id: launch_week
    on: purchase
    active: {from: 2026-03-02, until: 2026-03-09}
    award: event.total * 2
    into: beans
    budget: launch

  - id: big_basket
    on: purchase
    when: event.total >= 50
    award: 20
    into: beans
    group: basket
  - id: small_basket
    on: purchase
    when: event.total >= 20
    award: 5
    into: beans
    group: basket

  - id: review
    on: review
    when: event.stars >= 4
    award: 5
    into: beans
    caps:
      - {count: 2, per: customer, period: week}

  - id: welcome
    on: signup
    message: send_welcome_mail

  - id: birthday
    on: {anniversary_of: customer.birthday}
    award: 50
    into: beans
)";

const loyalty::cli::test_program& cafe() {
  static const loyalty::cli::test_program p = [] {
    loyalty::cli::test_program t;
    t.path = "cafe.yaml";
    loyalty::load_result r = loyalty::load_program(cafe_program, t.path);
    t.loaded = std::move(r.program);
    t.diagnostics = std::move(r.diagnostics);
    return t;
  }();
  check(p.loaded != nullptr);
  return p;
}

void check_diagnostics(const std::vector<loyalty::diagnostic>& ds) {
  const auto catalog = loyalty::diagnostic_catalog();
  for (const loyalty::diagnostic& d : ds) {
    check(std::any_of(catalog.begin(), catalog.end(),
                      [&](const loyalty::diagnostic_info& i) { return i.code == d.code; }));
    check(d.line > 0 || d.column == 0);
    (void)loyalty::render(d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const loyalty::cli::program_source programs =
      [](const std::string&) -> const loyalty::cli::test_program& { return cafe(); };
  std::vector<loyalty::diagnostic> ds;
  const auto file = loyalty::cli::read_test_file(text, "fuzz.test.yaml", programs, ds);
  check((file != nullptr) != loyalty::has_errors(ds));
  check_diagnostics(ds);
  if (file != nullptr) {
    for (const loyalty::cli::test_case& c : file->cases) {
      (void)loyalty::cli::case_selected(c.name, "*a*");
      (void)loyalty::cli::run_test_case(*file, c, true);
    }
  }
  ds.clear();
  const auto event = loyalty::cli::read_yaml_event(text, "fuzz.yaml", *cafe().loaded, ds);
  check((event != nullptr) == !loyalty::has_errors(ds));
  check_diagnostics(ds);
  return 0;
}
