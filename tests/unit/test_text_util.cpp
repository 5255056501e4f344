#include <catch2/catch.hpp>

#include <array>
#include <string_view>

#include "text_util.hpp"

using namespace loyalty::internal;

TEST_CASE("edit distance counts insertions, deletions, substitutions and swaps", "[text]") {
  CHECK(edit_distance("tiers", "tiers", 5) == 0);
  CHECK(edit_distance("tier", "tiers", 5) == 1);
  CHECK(edit_distance("tiars", "tiers", 5) == 1);
  CHECK(edit_distance("scael", "scale", 5) == 1);  // adjacent swap
  CHECK(edit_distance("kitten", "sitting", 5) == 3);
  CHECK(edit_distance("", "abc", 5) == 3);
  CHECK(edit_distance("abcdefgh", "zzzzzzzz", 2) == 3);  // bounded: limit + 1
}

TEST_CASE("closest_match suggests only close candidates", "[text]") {
  constexpr std::array<std::string_view, 4> keys = {"name", "version", "time_zone", "point_types"};
  CHECK(closest_match("verison", keys) == "version");
  CHECK(closest_match("point_type", keys) == "point_types");
  CHECK(closest_match("NAME", keys) == "name");  // case-insensitive exact match
  CHECK(closest_match("tiers_typo", keys).empty());
  CHECK(closest_match("x", keys).empty());
  // Short words need an exact (case-insensitive) match: "PST" is not a typo of "EST".
  constexpr std::array<std::string_view, 3> zones = {"EST", "UTC", "Europe/Berlin"};
  CHECK(closest_match("PST", zones).empty());
  CHECK(closest_match("utc", zones) == "UTC");
  CHECK(closest_match("Europe/Berln", zones) == "Europe/Berlin");
  CHECK(did_you_mean("") == "");
  CHECK(did_you_mean("name") == " (did you mean 'name'?)");
}

TEST_CASE("position_of gives 1-based line and byte column", "[text]") {
  const std::string_view text = "ab\ncd\n\xC3\xA9x";
  CHECK(position_of(text, 0).line == 1);
  CHECK(position_of(text, 0).column == 1);
  CHECK(position_of(text, 4).line == 2);
  CHECK(position_of(text, 4).column == 2);
  CHECK(position_of(text, 8).line == 3);
  CHECK(position_of(text, 8).column == 3);
}

TEST_CASE("find_invalid_utf8 rejects every ill-formed sequence", "[text]") {
  const auto npos = std::string_view::npos;
  CHECK(find_invalid_utf8("plain ascii") == npos);
  CHECK(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\x81") == npos);
  CHECK(find_invalid_utf8("a\xFF") == 1);
  CHECK(find_invalid_utf8("a\xC0\xAF") == 1);         // overlong '/'
  CHECK(find_invalid_utf8("\xE0\x80\xAF") == 0);      // overlong
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);      // surrogate U+D800
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(find_invalid_utf8("ab\xC3") == 2);            // truncated
  CHECK(find_invalid_utf8("\xE2\x82x") == 0);         // bad continuation
  CHECK(find_invalid_utf8("\x80") == 0);              // lone continuation
}

TEST_CASE("find_control_character allows tab, LF and CR only", "[text]") {
  CHECK(find_control_character("a\tb\r\nc") == std::string_view::npos);
  CHECK(find_control_character(std::string_view("ab\0c", 4)) == 2);
  CHECK(find_control_character("a\x7F") == 1);
  CHECK(find_control_character("\x1B[31m") == 0);
}

TEST_CASE("printable escapes control bytes and cuts long text", "[text]") {
  CHECK(printable("a\x01z") == "a\\x01z");
  CHECK(printable("abcdef", 3) == "abc...");
  CHECK(printable("short", 10) == "short");
  // Cut before a character, never inside one: "é" is two bytes.
  CHECK(printable("ab\xC3\xA9"
                  "cd",
                  3) == "ab...");
  CHECK(printable("ab\xC3\xA9"
                  "cd",
                  4) == "ab\xC3\xA9...");
}
