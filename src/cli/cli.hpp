// The `loyalty` command-line tool: shared pieces of its subcommands.
// The tool is a host of the library: it reads files and prints; the library does neither.
#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace loyalty::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the command ran and found a problem
inline constexpr int exit_usage = 2;    // the command line itself is wrong

using args_t = std::span<const std::string_view>;

struct command {
  std::string_view name;
  std::string_view summary;
  std::string_view help;  // full text of `loyalty NAME --help`
  int (*run)(args_t args);
};

/// Prints "loyalty NAME: MESSAGE" and a hint to stderr; returns exit_usage.
int usage_error(std::string_view command_name, std::string_view message);

/// True for "-h" and "--help".
bool is_help(std::string_view arg) noexcept;

enum class read_status { ok, unreadable, too_large };

/// Reads a whole file of at most `max_bytes`; a larger file is refused before it is read. On
/// failure sets `error` to the reason.
read_status read_file(const std::string& path, std::size_t max_bytes, std::string& out,
                      std::string& error);

// Subcommands.
extern const command check_command;
extern const command simulate_command;
extern const command diff_command;
extern const command test_command;
extern const command explain_command;
extern const command generate_command;

}  // namespace loyalty::cli
