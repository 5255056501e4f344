// loyalty explain PROGRAM EVENT [--state FILE]: why each rule did or did not fire for one event.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "cli/customer_run.hpp"
#include "cli/event_file.hpp"
#include "cli/explanation.hpp"
#include "cli/program_file.hpp"
#include "cli/test_file.hpp"
#include "text_util.hpp"

namespace loyalty::cli {

namespace {

constexpr std::string_view explain_help =
    "usage: loyalty explain [options] PROGRAM EVENT\n\n"
    "Processes one event for one customer and prints why each rule did or did not award:\n"
    "its outcome, the value of each 'when' clause, how many lines passed 'where', the amount\n"
    "before and after caps; then what a return reversed, the budgets used, the messages, and\n"
    "the customer's balances after the event (docs/testing.md#explain).\n\n"
    "EVENT is a file holding one event with the keys of an event file (docs/events.md): a\n"
    "JSON object, on one line or several, or a YAML mapping when the file ends in .yaml or\n"
    ".yml.\n\n"
    "options:\n"
    "  --state FILE   the customer's history: an event file (JSON Lines, or CSV when it ends\n"
    "                 in .csv) whose events of the same customer, up to the event's time, are\n"
    "                 processed first, in time order\n"
    "  -h, --help     show this help\n\n"
    "exit status: 0 explained (whatever the engine decided), 1 a file cannot be read or is\n"
    "             invalid, 2 usage error\n";

struct explain_options {
  std::string program;
  std::string event;
  std::string state;
};

bool is_yaml(std::string_view path) {
  return path.ends_with(".yaml") || path.ends_with(".yml");
}

// The event of EVENT. Its views point into `text` (JSON) or into `yaml_holder`.
bool read_event(const std::string& path, const program& p, std::string& text,
                raw_event& json_holder, std::unique_ptr<yaml_event>& yaml_holder,
                const raw_event*& out) {
  constexpr std::size_t max_event_bytes = std::size_t{1} << 20;
  std::string error;
  if (read_file(path, max_event_bytes, text, error) != read_status::ok) {
    fmt::print(stderr, "loyalty explain: cannot read event '{}': {}\n", path, error);
    return false;
  }
  if (is_yaml(path)) {
    std::vector<diagnostic> ds;
    yaml_holder = read_yaml_event(text, path, p, ds);
    fmt::print(stderr, "{}", render(ds));
    if (yaml_holder == nullptr) return false;
    out = &yaml_holder->event;
    return true;
  }
  if (!parse_json_event(text, json_holder, error)) {
    // The JSON reader counts columns over the whole text; an event file may span lines.
    std::size_t column = 0;
    const auto [end, ec] = std::from_chars(error.data() + std::min<std::size_t>(7, error.size()),
                                           error.data() + error.size(), column);
    if (error.starts_with("column ") && ec == std::errc() && column > 0) {
      const internal::text_position at = internal::position_of(text, column - 1);
      error = fmt::format(
          "{}:{}:{}{}", path, at.line, at.column,
          std::string_view(end, static_cast<std::size_t>(error.data() + error.size() - end)));
    } else {
      error = fmt::format("{}: {}", path, error);
    }
    fmt::print(stderr, "loyalty explain: {}\n", error);
    return false;
  }
  out = &json_holder;
  return true;
}

// Processes the customer's earlier events from the --state file. False when the file cannot be
// used.
bool replay_state(const std::string& path, const raw_event& ev, timestamp at, customer_run& run) {
  const std::unique_ptr<event_source> source = load_event_file(path, run.prog());
  if (source == nullptr) return false;
  raw_event raw;
  std::string error;
  std::size_t used = 0;
  std::size_t later = 0;
  std::size_t others = 0;
  std::vector<std::string> notes;
  for (const event_ref& ref : source->events()) {
    if (ref.bad_at) {
      fmt::print(stderr, "loyalty explain: {}:{}: 'at' is missing or not an instant\n", path,
                 ref.line);
      return false;
    }
    if (!source->parse(ref, raw, error)) {
      fmt::print(stderr, "loyalty explain: {}\n", error);
      return false;
    }
    if (raw.customer != ev.customer) {
      ++others;
      continue;
    }
    if (ref.at > at) {
      ++later;
      continue;
    }
    customer_run::outcome o;
    if (!run.process(raw, o, error)) {
      fmt::print(stderr, "loyalty explain: {}:{}: {}\n", path, ref.line, error);
      return false;
    }
    ++used;
    if (o.result != "ok") {
      notes.push_back(fmt::format("  {}:{}: {} '{}': {}{}", path, ref.line, raw.type, raw.id,
                                  o.result, o.detail.empty() ? "" : ": " + o.detail));
    }
  }
  std::string skipped;
  if (later > 0) skipped += fmt::format("{} later", later);
  if (others > 0) {
    skipped += fmt::format("{}{} of other customers", skipped.empty() ? "" : ", ", others);
  }
  fmt::print("state: {} earlier event{} of customer '{}' from {}{}\n", used, used == 1 ? "" : "s",
             ev.customer, path, skipped.empty() ? "" : fmt::format(" ({} skipped)", skipped));
  for (const std::string& n : notes) fmt::print("{}\n", n);
  return true;
}

int explain(const explain_options& options) {
  const std::shared_ptr<const program> p = load_program_file(options.program);
  if (p == nullptr) return exit_failure;
  std::string event_text;
  raw_event json_event;
  std::unique_ptr<yaml_event> yaml;
  const raw_event* ev = nullptr;
  if (!read_event(options.event, *p, event_text, json_event, yaml, ev)) return exit_failure;

  // Checked before anything runs: the customer and the time pick the history.
  event_builder check(*p);
  event_builder::kind what{};
  event_builder::redeem_request redeem;
  std::string error;
  if (!check.build(*ev, what, redeem, error)) {
    fmt::print(stderr, "loyalty explain: {}: {}\n", options.event, error);
    return exit_failure;
  }
  const timestamp at = check.at();
  customer_run run(p, ev->customer);
  if (!options.state.empty() && !replay_state(options.state, *ev, at, run)) return exit_failure;

  customer_run::outcome o;
  if (!run.process(*ev, o, error)) {
    fmt::print(stderr, "loyalty explain: {}: {}\n", options.event, error);
    return exit_failure;
  }
  if (o.day_advance != nullptr) {
    fmt::print("advance to {} (a new day):\n{}", local_time(o.day_start, p->zone()),
               explain_decision(*p, *o.day_advance, run.budgets_left(), 0, "  "));
  }
  fmt::print("event: {} '{}' of customer '{}' at {} ({})\n", ev->type, ev->id, ev->customer,
             local_time(at, p->zone()), p->time_zone());
  fmt::print("result: {}{}\n", o.result, o.detail.empty() ? "" : fmt::format(" ({})", o.detail));
  if (o.decision != nullptr) {
    const engine_decision& d = *o.decision;
    fmt::print("{}", explain_decision(*p, d, run.budgets_left(), o.lines, "  "));
    if (d.result == process_result::ok && d.trace.empty() && d.reversals.empty()) {
      fmt::print("  no rule runs on {}\n", ev->type);
    }
  }
  fmt::print("balances after the event:\n{}", explain_balances(run.eng(), run.state(), "  "));
  return exit_ok;
}

int run_explain(args_t args) {
  explain_options options;
  std::vector<std::string> positional;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!options_done && is_help(arg)) {
      fmt::print("{}", explain_help);
      return exit_ok;
    }
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg == "--state") {
      if (i + 1 >= args.size()) return usage_error("explain", "--state needs an event file");
      options.state = std::string(args[++i]);
    } else if (!options_done && arg.starts_with("--state=")) {
      options.state = std::string(arg.substr(8));
      if (options.state.empty()) return usage_error("explain", "--state needs an event file");
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      return usage_error("explain", fmt::format("unknown option '{}'", internal::printable(arg)));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.size() != 2) {
    return usage_error("explain", positional.size() < 2 ? "give a program file and an event file"
                                                        : "too many arguments");
  }
  options.program = positional[0];
  options.event = positional[1];
  return explain(options);
}

}  // namespace

const command explain_command = {"explain",
                                 "explain why each rule did or did not fire for one event",
                                 explain_help, run_explain};

}  // namespace loyalty::cli
