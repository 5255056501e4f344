// Test files for `loyalty test` (docs/testing.md): YAML read through the library's reader (the
// load phase), then checked against the programs they name (the check phase), every problem a
// positioned diagnostic. What comes out is typed and ready to run (cli/test_runner.hpp).
//
//   std::vector<loyalty::diagnostic> ds;
//   auto file = read_test_file(text, "shop.test.yaml", programs, ds);
//   if (file == nullptr) print(ds);  // the file has errors: none of its cases runs
//
// Reading does no I/O: the caller hands in the text and a program_source that loads the
// programs the file names.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/event_file.hpp"
#include "loyalty/diagnostic.hpp"
#include "loyalty/engine.hpp"
#include "loyalty/program.hpp"

namespace loyalty::internal {
struct raw_node;
}

namespace loyalty::cli {

/// A program a test file names, as the command loaded it.
struct test_program {
  std::string path;                       ///< as opened, relative to the working directory
  std::shared_ptr<const program> loaded;  ///< null when it cannot be read or does not load
  std::vector<diagnostic> diagnostics;    ///< what loading it reported
  bool readable = true;                   ///< false: `error` says why it could not be read
  std::string error;
};

/// Gives the program at `path` (relative to the working directory), loading it once.
using program_source = std::function<const test_program&(const std::string& path)>;

/// The balances an expectation can name (loyalty::balances, at the point type's scale).
enum class balance_kind : std::uint8_t {
  available,
  pending,
  held,
  earned,
  spent,
  expired,
  reversed,
  debt
};
std::string_view to_string(balance_kind k) noexcept;

/// One expected amount: of a rule's award or reversal, a point type's balance, a budget.
struct amount_check {
  std::uint32_t index = 0;                      ///< rule, point type or budget index in the program
  balance_kind kind = balance_kind::available;  ///< balances only
  decimal amount;                               ///< at the scale of its point type
};

struct outcome_check {
  std::uint32_t rule = 0;
  rule_outcome outcome = rule_outcome::awarded;
};

/// What one `expect:` asserts. Only what is written is checked.
struct expectation {
  std::uint32_t line = 0;              ///< of the `expect` key, for messages
  std::string result = "ok";           ///< checked after every event, `ok` unless written
  std::vector<amount_check> awards;    ///< per rule: credited by this event (or advance)
  std::vector<amount_check> reversed;  ///< per rule: taken back by this return
  std::vector<outcome_check> outcomes;
  std::vector<amount_check> balances;  ///< per point type and kind, after the step
  std::vector<amount_check> budgets;   ///< units left per budget, after the step
  std::optional<std::vector<std::string>> messages;
};

struct test_step {
  enum class kind : std::uint8_t { event, advance, check };
  kind what = kind::check;
  std::uint32_t line = 0;  ///< of the step in the test file
  raw_event event;         ///< kind event; its views point into the test file's tree
  bool id_given = false;   ///< the event names its id (otherwise the reader made one up)
  timestamp at;            ///< kind advance: to when
  expectation expect;      ///< kind event: at least the result
  bool has_expect = false;
};

struct test_case {
  std::string name;
  std::uint32_t line = 0;
  const test_program* program = nullptr;  ///< never null once read
  std::string program_shown;              ///< the program's path as the test file writes it
  std::optional<std::vector<std::string>> expect_diagnostics;
  std::vector<std::pair<std::string, std::string>> profile;     ///< customer.* field, value text
  std::vector<std::pair<std::uint16_t, std::int64_t>> budgets;  ///< units left at the start
  std::vector<test_step> history;                               ///< events only
  std::vector<test_step> steps;
  std::optional<expectation> expect;  ///< at the end of the case
};

struct test_file {
  test_file();
  ~test_file();
  test_file(const test_file&) = delete;
  test_file& operator=(const test_file&) = delete;

  std::string path;
  std::string text;
  std::unique_ptr<internal::raw_node> tree;  ///< what the raw events' views point into
  std::deque<std::string> ids;               ///< event ids the reader made up (stable addresses)
  std::vector<test_case> cases;
};

/// The id of the one customer of a test case (events name no customer in test files).
inline constexpr std::string_view test_customer = "test-customer";

/// Reads a test file and checks it against the programs it names. Appends every problem to
/// `out` (sorted by position); nullptr when any is an error. `path` names the file in messages,
/// and programs are looked up relative to its directory.
std::unique_ptr<test_file> read_test_file(std::string text, const std::string& path,
                                          const program_source& programs,
                                          std::vector<diagnostic>& out);

/// One event written in YAML (a test-style event, for `loyalty explain EVENT.yaml`).
struct yaml_event {
  yaml_event();
  ~yaml_event();
  yaml_event(const yaml_event&) = delete;
  yaml_event& operator=(const yaml_event&) = delete;

  std::string text;
  std::unique_ptr<internal::raw_node> tree;
  raw_event event;
};

/// Reads one event written as a YAML mapping, with the keys of an event file, checked against
/// `p`. nullptr (and diagnostics in `out`) when it has errors.
std::unique_ptr<yaml_event> read_yaml_event(std::string text, const std::string& path,
                                            const program& p, std::vector<diagnostic>& out);

}  // namespace loyalty::cli
