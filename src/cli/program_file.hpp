// Loading what the tool's commands share: a program file and an event file, with their problems
// printed for the user.
#pragma once

#include <memory>
#include <string>

#include "cli/event_file.hpp"
#include "loyalty/program.hpp"

namespace loyalty::cli {

/// Loads and checks a program file; prints its diagnostics to stderr. nullptr when it does not
/// load (errors) or cannot be read.
std::shared_ptr<const program> load_program_file(const std::string& path);

/// Reads and indexes an event file for `p`; prints the problem to stderr and returns nullptr
/// when it cannot be read or is malformed.
std::unique_ptr<event_source> load_event_file(const std::string& path, const program& p);

/// Writes `text` to `path`; prints the problem to stderr and returns false on failure.
bool write_file(const std::string& path, std::string_view text);

/// "1,234,567": a count with thousands separators.
std::string grouped(std::int64_t n);
/// "1,234,567.89": a decimal with thousands separators, every fractional digit kept.
std::string grouped(decimal d);

}  // namespace loyalty::cli
