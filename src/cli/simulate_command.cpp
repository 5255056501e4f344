// loyalty simulate PROGRAM EVENTS: a program run over an event file, with its report.
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <string>

#include "cli/cli.hpp"
#include "cli/program_file.hpp"
#include "cli/simulation.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view simulate_help =
    "usage: loyalty simulate [options] PROGRAM EVENTS\n\n"
    "Runs the program over every event of EVENTS (JSON Lines, or CSV for a .csv file; see\n"
    "docs/events.md) in time order, as a host would: every customer is advanced at each day\n"
    "boundary (on the days something is due for it: expiry, pending points, anniversaries),\n"
    "and campaign budgets are shared in time order. Prints a summary: customers, events, points\n"
    "earned, redeemed, expired and reversed, outstanding liability with its expected breakage,\n"
    "redemption rate, average order value, purchase frequency, retention and churn by month and\n"
    "cost per rule (docs/simulate.md defines every figure).\n\n"
    "options:\n"
    "  --json FILE          also write the report as JSON\n"
    "  --html FILE          also write the report as one self-contained HTML page with charts\n"
    "  --order-value FIELD  the order field that is its value (default: the first of net,\n"
    "                       total, amount, gross)\n"
    "  --threads N          threads to run customers on (default: one per processor); the\n"
    "                       report is the same for any number\n"
    "  --groups N           groups of customers run one after another on each thread\n"
    "                       (default: one per 2,000 events); the report is the same for any\n"
    "                       number\n"
    "  --every-day          advance every customer at every day boundary, not only on the\n"
    "                       days something is due (slower; the report is the same)\n"
    "  -q, --quiet          print nothing but errors (with --json or --html)\n"
    "  --progress / --no-progress\n"
    "                       a progress bar on stderr (default: only when it is a terminal,\n"
    "                       and not with --quiet)\n"
    "  -h, --help           show this help\n\n"
    "exit status: 0 the run completed (rejected events are counted in the report), 1 the\n"
    "             program or the event file could not be loaded, 2 usage error\n";

struct simulate_options {
  std::string program;
  std::string events;
  std::string json;
  std::string html;
  std::string order_value;
  bool quiet = false;
  int progress = -1;  // -1: when stderr is a terminal
  std::uint32_t threads = 0;
  std::uint32_t groups = 0;
  bool every_day = false;
};

// Parses the command line; returns -1 to go on, or the exit status.
int parse(args_t args, simulate_options& o) {
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = std::string(args[++i]);
      return true;
    };
    if (is_help(a)) {
      fmt::print("{}", simulate_help);
      return exit_ok;
    }
    if (a == "--threads" || a == "--groups") {
      const bool threads = a == "--threads";
      const std::uint32_t max = threads ? 64 : 1'000'000;
      std::uint32_t& into = threads ? o.threads : o.groups;
      std::string v;
      if (!value(v)) return usage_error("simulate", fmt::format("{} needs a value", a));
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), into);
      if (ec != std::errc() || end != v.data() + v.size() || into < 1 || into > max) {
        return usage_error("simulate", fmt::format("{} needs a whole number from 1 to {}, "
                                                   "not '{}'",
                                                   a, max, internal::printable(v)));
      }
    } else if (a == "--json" || a == "--html" || a == "--order-value") {
      std::string& into = a == "--json" ? o.json : a == "--html" ? o.html : o.order_value;
      if (!value(into)) return usage_error("simulate", fmt::format("{} needs a value", a));
    } else if (a == "--every-day") {
      o.every_day = true;
    } else if (a == "-q" || a == "--quiet") {
      o.quiet = true;
    } else if (a == "--progress" || a == "--no-progress") {
      o.progress = a == "--progress" ? 1 : 0;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("simulate", fmt::format("unknown option '{}'", internal::printable(a)));
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.size() != 2) {
    return usage_error("simulate", "expected a program file and an event file");
  }
  o.program = positional[0];
  o.events = positional[1];
  return -1;
}

void progress_bar(std::size_t done, std::size_t all) {
  constexpr int width = 40;
  const int filled = all == 0 ? width : static_cast<int>(done * width / all);
  fmt::print(stderr, "\r[{:#<{}}{:<{}}] {:>3}% {} events", "", filled, "", width - filled,
             all == 0 ? 100 : done * 100 / all, grouped(static_cast<std::int64_t>(done)));
  if (done == all) fmt::print(stderr, "\n");
}

int run_simulate(args_t args) {
  simulate_options o;
  if (const int status = parse(args, o); status >= 0) return status;
  const auto started = std::chrono::steady_clock::now();
  const std::shared_ptr<const program> p = load_program_file(o.program);
  if (!p) return exit_failure;
  std::unique_ptr<event_source> source = load_event_file(o.events, *p);
  if (!source) return exit_failure;
  const auto read = std::chrono::steady_clock::now();
  simulation_options so;
  so.order_value_field = o.order_value;
  so.threads = o.threads;
  so.groups = o.groups;
  so.every_day = o.every_day;
  if (o.progress == 1 || (o.progress == -1 && !o.quiet && ::isatty(STDERR_FILENO) == 1)) {
    so.progress = progress_bar;
  }
  auto sim = std::make_unique<simulation>(p, so);
  sim->run(*source);
  const auto ran = std::chrono::steady_clock::now();
  const report r = sim->make_report(o.events);
  // Tearing down every customer's history and the file's text takes longer than the exit that
  // frees them: keep them (reachable from here, so leak checkers stay quiet).
  static simulation* kept_simulation = nullptr;
  static event_source* kept_source = nullptr;
  kept_simulation = sim.release();
  kept_source = source.release();
  (void)kept_simulation;
  (void)kept_source;
  const auto secs = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  const auto done = std::chrono::steady_clock::now();
  if (!o.quiet) fmt::print("{}", render_text(r));
  if (!o.json.empty() && !write_file(o.json, render_json(r))) return exit_failure;
  if (!o.html.empty() && !write_file(o.html, render_html(r))) return exit_failure;
  if (o.quiet) return exit_ok;
  fmt::print(stderr,
             "simulated {} events in {:.2f} s (reading and ordering them {:.2f} s, running them "
             "{:.2f} s){}{}\n",
             grouped(r.events), secs(started, done), secs(started, read), secs(read, ran),
             o.json.empty() ? "" : "; JSON report: " + o.json,
             o.html.empty() ? "" : "; HTML report: " + o.html);
  return exit_ok;
}

}  // namespace

const command simulate_command = {"simulate", "run a program over an event file and report",
                                  simulate_help, run_simulate};

}  // namespace loyalty::cli
