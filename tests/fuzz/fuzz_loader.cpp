// Fuzz target for the program loader: arbitrary bytes never throw or crash, and a failed load
// always explains itself with at least one error diagnostic that names a catalogued code. A
// program that loads is then run: an empty event of each type through the engine, and advance(),
// neither of which may crash whatever the rules say.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "loyalty/engine.hpp"
#include "loyalty/program.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const loyalty::load_result r = loyalty::load_program(text, "fuzz.yaml");
  check(r.ok() != loyalty::has_errors(r.diagnostics));
  const auto catalog = loyalty::diagnostic_catalog();
  for (const loyalty::diagnostic& d : r.diagnostics) {
    check(std::any_of(catalog.begin(), catalog.end(),
                      [&](const loyalty::diagnostic_info& i) { return i.code == d.code; }));
    check(d.line > 0 || d.column == 0);
    (void)loyalty::render(d);
  }
  if (!r.ok()) return 0;
  const loyalty::engine engine(r.program);
  loyalty::member m = engine.open(loyalty::id128{0, 1});
  const loyalty::timestamp now{1'780'000'000'000'000};
  std::vector<std::int64_t> budgets(r.program->budgets().size(), 1'000'000);
  loyalty::process_options options;
  options.budgets = budgets;
  options.explain = true;
  for (std::size_t t = 0; t < r.program->event_types().size(); ++t) {
    if (r.program->event_types()[t].synthetic) continue;
    loyalty::event e(*r.program, static_cast<std::uint16_t>(t));
    e.reset(loyalty::id128{1, t + 1}, now);
    const loyalty::engine_decision d = engine.process(m, e, now, options);
    check(d.result != loyalty::process_result::ok || m.version > 0);
  }
  (void)engine.advance(m, now, options);
  check(engine.ledger().check(m.ledger).empty());
  return 0;
}
