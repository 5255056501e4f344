// Fuzz target for the program loader: arbitrary bytes never throw or crash, and a failed load
// always explains itself with at least one error diagnostic that names a catalogued code.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

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
  return 0;
}
