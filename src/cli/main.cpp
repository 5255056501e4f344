// loyalty: check, test and simulate loyalty programs from the command line.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "loyalty/version.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

const std::array commands = {&check_command,    &simulate_command, &diff_command,
                             &generate_command, &test_command,     &explain_command};

void print_usage(std::FILE* out) {
  fmt::print(out,
             "loyalty {}: loyalty and promotion programs from the command line\n\n"
             "usage: loyalty <command> [options] [args]\n\n"
             "commands:\n",
             version_string);
  for (const command* c : commands) fmt::print(out, "  {:<10} {}\n", c->name, c->summary);
  fmt::print(out,
             "\noptions:\n"
             "  -h, --help   show this help (also: loyalty <command> --help)\n"
             "  --version    print the version\n\n"
             "exit status: 0 success, 1 problems found, 2 usage error\n");
}

const command* find_command(std::string_view name) {
  for (const command* c : commands) {
    if (c->name == name) return c;
  }
  return nullptr;
}

int run_main(args_t args) {
  if (args.empty()) {
    print_usage(stderr);
    return exit_usage;
  }
  const std::string_view first = args[0];
  if (is_help(first)) {
    print_usage(stdout);
    return exit_ok;
  }
  if (first == "--version") {
    fmt::print("loyalty {}\n", version_string);
    return exit_ok;
  }
  if (first == "help") {
    if (args.size() == 1) {
      print_usage(stdout);
      return exit_ok;
    }
    if (const command* c = find_command(args[1])) {
      fmt::print("{}", c->help);
      return exit_ok;
    }
    return usage_error("help", fmt::format("unknown command '{}'", internal::printable(args[1])));
  }
  if (const command* c = find_command(first)) return c->run(args.subspan(1));
  std::vector<std::string_view> names;
  for (const command* c : commands) names.push_back(c->name);
  fmt::print(stderr, "loyalty: unknown command '{}'{}\nrun 'loyalty --help' for the commands\n",
             internal::printable(first),
             internal::did_you_mean(internal::closest_match(first, names)));
  return exit_usage;
}

}  // namespace

int usage_error(std::string_view command_name, std::string_view message) {
  fmt::print(stderr, "loyalty {}: {}\nrun 'loyalty {} --help' for usage\n", command_name, message,
             command_name);
  return exit_usage;
}

bool is_help(std::string_view arg) noexcept {
  return arg == "-h" || arg == "--help";
}

read_status read_file(const std::string& path, std::size_t max_bytes, std::string& out,
                      std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory";
    return read_status::unreadable;
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) {
    error = fmt::format("source of {} bytes exceeds the limit of {} bytes", size, max_bytes);
    return read_status::too_large;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return read_status::unreadable;
  }
  // Read one byte more than allowed, so a file that grew since file_size() is still caught by
  // the loader's own size check.
  // (Sized by the file when its size is known: an event file's limit is gigabytes.)
  out.assign(ec ? max_bytes + 1 : std::min<std::size_t>(size, max_bytes) + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) {
    error = "read error";
    return read_status::unreadable;
  }
  out.resize(static_cast<std::size_t>(in.gcount()));
  return read_status::ok;
}

}  // namespace loyalty::cli

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  try {
    return loyalty::cli::run_main(args);
  } catch (const std::exception& e) {
    fmt::print(stderr, "loyalty: internal error: {}\n", e.what());
    return 3;
  }
}
