// Runs the cases of a test file (cli/test_file.hpp) and compares what the engine did with what
// they expect.
#pragma once

#include <string>
#include <string_view>

#include "cli/test_file.hpp"

namespace loyalty::cli {

struct case_result {
  bool passed = true;
  /// Lines to print under the case's PASS/FAIL line: for each step that does not meet its
  /// expectations, the step and "path: expected X, got Y"; with `verbose`, every step with
  /// the engine's explanation.
  std::string report;
};

/// Runs one case on a fresh customer.
case_result run_test_case(const test_file& f, const test_case& c, bool verbose);

/// True when case `name` is selected by `filter`: a glob (with * or ?) matches the whole name,
/// anything else is a substring; both ignore ASCII case. An empty filter selects every case.
bool case_selected(std::string_view name, std::string_view filter) noexcept;

}  // namespace loyalty::cli
