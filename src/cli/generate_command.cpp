// loyalty generate PROGRAM: a realistic event file for a shop program.
#include <fmt/format.h>

#include <charconv>
#include <string>

#include "cli/cli.hpp"
#include "cli/generator.hpp"
#include "cli/program_file.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view generate_help =
    "usage: loyalty generate [options] PROGRAM\n\n"
    "Writes a realistic event file for a shop program like examples/shop/program.yaml:\n"
    "registrations with birthdays, orders from a product catalogue (customers' order rates are\n"
    "Pareto-distributed, so about a quarter of them bring about 60 % of the revenue), returns\n"
    "of about 4 % of the orders, the close of each order's return window, reviews, shares,\n"
    "referrals (for the event types the program declares) and loyalty.redeem events. The same\n"
    "options and seed always give the same file, byte for byte (docs/simulate.md#generate).\n\n"
    "options:\n"
    "  --customers N     customers (default 1000)\n"
    "  --orders N        orders, exactly (default 12 per customer)\n"
    "  --events N        about N events in all (instead of --orders)\n"
    "  --seed N          the random seed (default 1)\n"
    "  --start DATE      the first day, YYYY-MM-DD (default 2026-01-01)\n"
    "  --days N          the length of the period in days (default 365)\n"
    "  --format F        jsonl or csv (default: csv for an -o file ending in .csv, else jsonl)\n"
    "  -o, --output FILE write to FILE (default: standard output)\n"
    "  -q, --quiet       no summary on standard error\n"
    "  -h, --help        show this help\n\n"
    "exit status: 0 written, 1 the program does not load or cannot be used, or the file\n"
    "             cannot be written, 2 usage error\n";

bool parse_count(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= min && out <= max;
}

int run_generate(args_t args) {
  generator_options o;
  std::string program_path;
  std::string output;
  std::string format;
  bool quiet = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (is_help(a)) {
      fmt::print("{}", generate_help);
      return exit_ok;
    }
    const bool takes_value = a == "--customers" || a == "--orders" || a == "--events" ||
                             a == "--seed" || a == "--start" || a == "--days" || a == "--format" ||
                             a == "-o" || a == "--output";
    if (takes_value) {
      if (i + 1 >= args.size()) return usage_error("generate", fmt::format("{} needs a value", a));
      const std::string_view v = args[++i];
      const auto bad = [&](std::string_view what) {
        return usage_error("generate",
                           fmt::format("{} needs {}, not '{}'", a, what, internal::printable(v)));
      };
      std::int64_t n = 0;
      if (a == "--customers") {
        if (!parse_count(v, 1, 10'000'000, n)) return bad("a whole number from 1 to 10000000");
        o.customers = n;
      } else if (a == "--orders") {
        if (!parse_count(v, 0, 100'000'000, n)) return bad("a whole number from 0 to 100000000");
        o.orders = n;
      } else if (a == "--events") {
        if (!parse_count(v, 0, 200'000'000, n)) return bad("a whole number from 0 to 200000000");
        o.events = n;
      } else if (a == "--seed") {
        std::uint64_t seed = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seed);
        if (ec != std::errc() || end != v.data() + v.size()) return bad("a whole number");
        o.seed = seed;
      } else if (a == "--start") {
        const std::optional<civil_date> d = parse_date(v);
        if (!d) return bad("a date YYYY-MM-DD");
        o.start = *d;
      } else if (a == "--days") {
        if (!parse_count(v, 1, 3660, n)) return bad("a whole number from 1 to 3660");
        o.days = n;
      } else if (a == "--format") {
        if (v != "jsonl" && v != "csv") return bad("jsonl or csv");
        format = std::string(v);
      } else {
        output = std::string(v);
      }
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("generate", fmt::format("unknown option '{}'", internal::printable(a)));
    } else if (program_path.empty()) {
      program_path = std::string(a);
    } else {
      return usage_error("generate", "expected one program file");
    }
  }
  if (program_path.empty()) return usage_error("generate", "expected a program file");
  if (o.orders >= 0 && o.events >= 0) {
    return usage_error("generate", "give --orders or --events, not both");
  }
  o.format = format.empty()    ? (output.empty() ? event_format::jsonl : format_of(output))
             : format == "csv" ? event_format::csv
                               : event_format::jsonl;
  const std::shared_ptr<const program> p = load_program_file(program_path);
  if (!p) return exit_failure;
  std::string text;
  generator_summary s;
  std::string error;
  if (!generate_events(*p, o, text, s, error)) {
    fmt::print(stderr, "loyalty generate: {}: {}\n", program_path, error);
    return exit_failure;
  }
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else if (!write_file(output, text)) {
    return exit_failure;
  }
  if (!quiet) {
    fmt::print(stderr,
               "generated {} events{}: {} customers ({} with orders), {} orders, {} returns, "
               "revenue {}.{:02}; the top 25 % of customers bring {}.{:02} % of it\n",
               grouped(s.events), output.empty() ? "" : " into " + output, grouped(s.customers),
               grouped(s.ordering_customers), grouped(s.orders), grouped(s.returns),
               grouped(s.revenue_cents / 100), s.revenue_cents % 100, s.top_quarter_share_bp / 100,
               s.top_quarter_share_bp % 100);
  }
  return exit_ok;
}

}  // namespace

const command generate_command = {"generate", "write a realistic event file for a shop program",
                                  generate_help, run_generate};

}  // namespace loyalty::cli
