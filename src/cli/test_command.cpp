// loyalty test FILE...: run the cases of test files (docs/testing.md) against their programs.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "cli/test_file.hpp"
#include "cli/test_runner.hpp"
#include "diagnostic_codes.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view test_help =
    "usage: loyalty test [options] FILE...\n\n"
    "Runs the cases of each test file (docs/testing.md): events through the program the file\n"
    "names, each compared with what the case expects. One line per case, the differences\n"
    "under a failing one, then a count:\n"
    "  PASS  welcome bonus\n"
    "  FAIL  black friday order\n"
    "    step 2: order.completed 'INV-1' at 2026-11-28 14:30 (shop.test.yaml:31)\n"
    "      awards.black_friday: expected 310, got 300\n"
    "  1 passed, 1 failed\n"
    "A test file with problems is reported like a program file (file:line:col: error[L0506]:\n"
    "...), and none of its cases runs.\n\n"
    "options:\n"
    "  --filter PATTERN   run only the cases whose name contains PATTERN, ignoring case (a\n"
    "                     glob when it has * or ?: 'black*' matches the whole name)\n"
    "  -v, --verbose      print every step with the engine's explanation of it\n"
    "  -h, --help         show this help\n\n"
    "exit status: 0 every case passed, 1 a case failed or a test file cannot be loaded,\n"
    "             2 usage error\n";

struct test_options {
  std::string filter;
  bool filter_given = false;
  bool verbose = false;
  std::vector<std::string> files;
};

struct tally {
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t not_selected = 0;
  std::size_t broken_files = 0;
};

// Programs named by test files, each loaded once.
class program_cache {
 public:
  const test_program& get(const std::string& path) {
    std::unique_ptr<test_program>& slot = programs_[path];
    if (slot) return *slot;
    slot = std::make_unique<test_program>();
    slot->path = path;
    const load_options options;
    std::string text;
    if (read_file(path, options.limits.max_source_bytes, text, slot->error) != read_status::ok) {
      slot->readable = false;
      return *slot;
    }
    load_result r = load_program(text, path, options);
    slot->loaded = std::move(r.program);
    slot->diagnostics = std::move(r.diagnostics);
    return *slot;
  }

 private:
  std::map<std::string, std::unique_ptr<test_program>> programs_;
};

void print_unreadable(const std::string& path, const std::string& why) {
  const diagnostic_info& i = internal::info(internal::diag::file_unreadable);
  diagnostic d;
  d.code = std::string(i.code);
  d.source = path;
  d.message = fmt::format("cannot read '{}': {}", path, why);
  fmt::print("{}", render(d));
}

void run_file(const std::string& path, const test_options& options, program_cache& programs,
              tally& total) {
  std::string text;
  std::string error;
  const load_options limits;
  if (read_file(path, limits.limits.max_source_bytes, text, error) != read_status::ok) {
    print_unreadable(path, error);
    ++total.broken_files;
    return;
  }
  std::vector<diagnostic> ds;
  const program_source source = [&](const std::string& p) -> const test_program& {
    return programs.get(p);
  };
  const std::unique_ptr<test_file> f = read_test_file(std::move(text), path, source, ds);
  fmt::print("{}", render(ds));
  if (f == nullptr) {
    ++total.broken_files;
    return;
  }
  // With several files, each file's name heads its cases (when any is selected).
  bool named = options.files.size() == 1;
  for (const test_case& c : f->cases) {
    if (!case_selected(c.name, options.filter)) {
      ++total.not_selected;
      continue;
    }
    if (!named) fmt::print("{}\n", path);
    named = true;
    const case_result r = run_test_case(*f, c, options.verbose);
    fmt::print("{}  {}\n{}", r.passed ? "PASS" : "FAIL", c.name, r.report);
    ++(r.passed ? total.passed : total.failed);
  }
}

int run_test(args_t args) {
  test_options options;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!options_done && is_help(arg)) {
      fmt::print("{}", test_help);
      return exit_ok;
    }
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && (arg == "-v" || arg == "--verbose")) {
      options.verbose = true;
    } else if (!options_done && arg == "--filter") {
      if (i + 1 >= args.size()) return usage_error("test", "--filter needs a pattern");
      options.filter = std::string(args[++i]);
      options.filter_given = true;
    } else if (!options_done && arg.starts_with("--filter=")) {
      options.filter = std::string(arg.substr(9));
      options.filter_given = true;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      return usage_error("test", fmt::format("unknown option '{}'", internal::printable(arg)));
    } else {
      options.files.emplace_back(arg);
    }
  }
  if (options.files.empty()) return usage_error("test", "no test file given");
  if (options.filter_given && options.filter.empty()) {
    return usage_error("test", "--filter needs a pattern");
  }

  program_cache programs;
  tally total;
  for (const std::string& path : options.files) run_file(path, options, programs, total);
  const bool nothing_selected =
      options.filter_given && total.passed + total.failed == 0 && total.not_selected > 0;
  if (nothing_selected) {
    fmt::print("no case name matches --filter '{}'\n", internal::printable(options.filter));
  }
  std::string summary = fmt::format("{} passed, {} failed", total.passed, total.failed);
  if (total.not_selected > 0) {
    summary += fmt::format(", {} not selected by --filter", total.not_selected);
  }
  if (total.broken_files > 0) {
    summary += fmt::format(", {} test file{} not loaded", total.broken_files,
                           total.broken_files == 1 ? "" : "s");
  }
  fmt::print("{}\n", summary);
  const bool ok = total.failed == 0 && total.broken_files == 0 && !nothing_selected;
  return ok ? exit_ok : exit_failure;
}

}  // namespace

const command test_command = {"test", "run test files: events and the balances and awards expected",
                              test_help, run_test};

}  // namespace loyalty::cli
