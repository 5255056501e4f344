// Event files for the `loyalty` tool: JSON Lines and CSV (docs/events.md), read into raw events
// (text, not yet typed), then typed against a program into a loyalty::event.
//
// The tool is a host of the library: reading files is its job, never the library's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "loyalty/engine.hpp"
#include "loyalty/program.hpp"

namespace loyalty::cli {

/// A field of a raw event, as text. `quoted`: the text was a JSON/YAML string (so "12" is text,
/// while 12 is a number); CSV cells are never quoted in this sense.
struct raw_field {
  std::string_view name;  ///< "net", "customer.tier"; in a line: "sku"
  std::string_view text;  ///< the value, unescaped; empty and !quoted: null
  bool quoted = false;
  bool null = false;  ///< JSON null, YAML ~ or an empty CSV cell
};

/// One event as a file states it, before it is checked against a program. The views point into
/// the file's text or into `storage` (unescaped strings).
struct raw_event {
  std::string_view id;        ///< the host's event id ("INV-1001"); hashed by event_id()
  std::string_view type;      ///< "order.completed", or a tool operation ("loyalty.redeem")
  std::string_view customer;  ///< the customer's id, as text
  std::string_view at;        ///< ISO 8601: with an offset or Z, or local time in the program zone
  std::string_view original;  ///< refers_to / returns: the id of the earlier event
  std::vector<raw_field> fields;
  std::string_view lines_name;  ///< the key of the lines list ("lines"), when it has lines
  /// Line i's fields: line_fields[line_begin[i], line_begin[i + 1]) (line_begin has one entry
  /// per line plus a final end).
  std::vector<std::uint32_t> line_begin;
  std::vector<raw_field> line_fields;
  struct returned_line {
    std::int64_t line = 0;  ///< 0-based index into the original's lines
    std::int64_t quantity = 0;
  };
  std::vector<returned_line> returned;
  std::size_t source_line = 0;  ///< 1-based line of the file where the event starts
  std::string storage;          ///< unescaped text some views point into (never reallocated
                                ///< after the views are taken: reserve first)

  std::size_t lines() const noexcept { return line_begin.empty() ? 0 : line_begin.size() - 1; }
  void clear() noexcept;
};

/// The operations the tool performs itself, named by a reserved event type.
///   loyalty.redeem: fields point_type and amount: the customer spends `amount` (ledger redeem).
inline constexpr std::string_view redeem_type = "loyalty.redeem";

enum class event_format { jsonl, csv };

/// The format of a file by its name: .csv is CSV, anything else JSON Lines.
event_format format_of(std::string_view path) noexcept;

/// Where one event lies in its file, and when it happened.
struct event_ref {
  timestamp at;
  std::uint32_t offset = 0;  ///< first byte of its record (its first row, for CSV)
  std::uint32_t length = 0;  ///< bytes up to the end of its last row
  std::uint32_t line = 0;    ///< 1-based line of its first row
  /// The low bits of event_id(customer), to split customers between threads; 0 when unknown.
  std::uint32_t customer_hash = 0;
  bool bad_at = false;  ///< `at` is missing or unreadable: the event is rejected
};

/// An event file held in memory: split into events once, sorted by time, then parsed event by
/// event (so a million events take a few bytes each until they are processed).
class event_source {
 public:
  /// Takes the whole file text; `path` is for messages.
  event_source(std::string text, event_format format, std::string path);

  /// Splits the text into events and sorts them by `at` (stable: the file's order between
  /// events at the same instant); `zone` reads local times. False with `error` ("PATH:LINE:
  /// message") when the file is malformed (bad JSON, a CSV row with the wrong number of cells).
  bool index(time_zone zone, std::string& error);
  const std::vector<event_ref>& events() const noexcept { return refs_; }
  /// Parses one indexed event. False with `error` on a malformed record.
  bool parse(const event_ref& r, raw_event& out, std::string& error) const;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string text_;
  event_format format_;
  std::string path_;
  std::vector<std::string> columns_;  // CSV header
  std::vector<event_ref> refs_;
};

/// Parses one JSON object (an event) from `text`; used for `loyalty explain EVENT`.
bool parse_json_event(std::string_view text, raw_event& out, std::string& error);

/// Parses an instant as event files write it: 2026-11-27T10:15:00+01:00, ...Z, or a local time
/// 2026-11-27T10:15:00 (or 2026-11-27 10:15) in `zone`, or a date (its start in `zone`).
std::optional<timestamp> parse_instant(std::string_view text, time_zone zone) noexcept;

/// Types raw events against one program. Keeps per-type lookups, the lines' values and their
/// text alive between calls: one builder per thread, reused for every event.
class event_builder {
 public:
  explicit event_builder(const program& p);
  ~event_builder();
  event_builder(const event_builder&) = delete;
  event_builder& operator=(const event_builder&) = delete;

  /// What build() made of a raw event.
  enum class kind : std::uint8_t { program_event, redeem };
  struct redeem_request {
    std::uint16_t point_type = 0;
    decimal amount;
  };

  /// Fills `out` (an event of the raw event's type, reset and set) or `redeem`. False with
  /// `error` set ("field 'net': '12.345' has more than 2 decimal places") on anything the
  /// program cannot take: an unknown type or field, a value of the wrong type, a bad time.
  /// The event's text values point into `raw`: process it before `raw` changes.
  bool build(const raw_event& raw, kind& what, redeem_request& redeem, std::string& error);
  /// The event made by the last successful build() of a program event.
  const loyalty::event& event() const noexcept { return *current_; }
  /// The instant of the last build().
  timestamp at() const noexcept { return at_; }
  /// The customer id of a raw event: event_id(customer text) (the same hash as event ids).
  static id128 customer_id(std::string_view customer) noexcept;

 private:
  struct type_info;
  const type_info& info_of(std::uint16_t type);
  bool build_lines(const raw_event& raw, const type_info& info, loyalty::event& ev,
                   std::string& error);
  bool build_redeem(const raw_event& raw, redeem_request& redeem, std::string& error);

  const program& program_;
  std::vector<std::optional<loyalty::event>> events_;  // by type index
  std::vector<std::unique_ptr<type_info>> types_;      // by type index
  std::vector<value> cells_;
  loyalty::event* current_ = nullptr;
  timestamp at_;
};

/// Sets a `customer.*` profile field of a member from text (used by test files' starting state).
bool set_profile_text(const program& p, member& m, std::string_view field, std::string_view text,
                      std::string& error);

}  // namespace loyalty::cli
