// loyalty check FILE...: load and check program files, print their diagnostics.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "diagnostic_codes.hpp"
#include "loyalty/program.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view check_help =
    "usage: loyalty check [options] FILE...\n\n"
    "Loads each program file, checks it and prints every problem found, compiler-style:\n"
    "  shop.yaml:4:1: error[L0102]: unknown key 'point_type' in the program (did you mean\n"
    "  'point_types'?)\n"
    "Each code is explained in docs/errors.md.\n\n"
    "options:\n"
    "  --warnings-as-errors   fail (exit 1) on warnings too\n"
    "  -q, --quiet            print only problems, not the per-file summary\n"
    "  -h, --help             show this help\n\n"
    "exit status: 0 no errors, 1 errors found (or warnings with --warnings-as-errors),\n"
    "             2 usage error\n";

struct check_options {
  bool warnings_as_errors = false;
  bool quiet = false;
  std::vector<std::string> files;
};

struct tally {
  std::size_t errors = 0;
  std::size_t warnings = 0;
};

// A diagnostic for a file the tool could not read (the library never reads files).
diagnostic file_problem(internal::diag id, const std::string& path, std::string message) {
  const diagnostic_info& i = internal::info(id);
  diagnostic d;
  d.code = std::string(i.code);
  d.level = i.level;
  d.source = path;
  d.message = std::move(message);
  return d;
}

std::vector<diagnostic> check_one(const std::string& path, bool quiet) {
  const load_options options;
  std::string text;
  std::string error;
  switch (read_file(path, options.limits.max_source_bytes, text, error)) {
    case read_status::ok:
      break;
    case read_status::unreadable:
      return {file_problem(internal::diag::file_unreadable, path,
                           fmt::format("cannot read '{}': {}", path, error))};
    case read_status::too_large:
      return {file_problem(internal::diag::source_too_large, path, error)};
  }
  load_result result = load_program(text, path, options);
  if (result.ok() && !quiet) {
    const program& p = *result.program;
    fmt::print("{}: ok: '{}' version {}, {} point type{}, time zone {}\n", path, p.name(),
               p.version(), p.point_types().size(), p.point_types().size() == 1 ? "" : "s",
               p.time_zone());
  }
  return std::move(result.diagnostics);
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

int run_check(args_t args) {
  check_options options;
  bool options_done = false;
  for (std::string_view arg : args) {
    if (!options_done && is_help(arg)) {
      fmt::print("{}", check_help);
      return exit_ok;
    }
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg == "--warnings-as-errors") {
      options.warnings_as_errors = true;
    } else if (!options_done && (arg == "-q" || arg == "--quiet")) {
      options.quiet = true;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      return usage_error("check", fmt::format("unknown option '{}'", internal::printable(arg)));
    } else {
      options.files.emplace_back(arg);
    }
  }
  if (options.files.empty()) return usage_error("check", "no program file given");

  tally total;
  for (const std::string& path : options.files) {
    const std::vector<diagnostic> ds = check_one(path, options.quiet);
    fmt::print("{}", render(ds));
    for (const diagnostic& d : ds) {
      if (d.level == severity::error) ++total.errors;
      if (d.level == severity::warning) ++total.warnings;
    }
  }
  if (total.errors > 0 || total.warnings > 0 || options.files.size() > 1) {
    fmt::print("checked {}: {}, {}\n", plural(options.files.size(), "file"),
               plural(total.errors, "error"), plural(total.warnings, "warning"));
  }
  const bool failed = total.errors > 0 || (options.warnings_as_errors && total.warnings > 0);
  return failed ? exit_failure : exit_ok;
}

}  // namespace

const command check_command = {"check", "check program files and print their diagnostics",
                               check_help, run_check};

}  // namespace loyalty::cli
