#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "loyalty/diagnostic.hpp"

namespace {

loyalty::diagnostic sample() {
  loyalty::diagnostic d;
  d.code = "L0102";
  d.source = "shop.yaml";
  d.line = 12;
  d.column = 3;
  d.length = 10;
  d.message = "unknown key 'tiers_typo'";
  d.line_text = "  tiers_typo: 1";
  return d;
}

}  // namespace

TEST_CASE("a diagnostic renders compiler-style with the line and a caret", "[diagnostic]") {
  CHECK(loyalty::format_headline(sample()) ==
        "shop.yaml:12:3: error[L0102]: unknown key 'tiers_typo'");
  CHECK(loyalty::render(sample()) ==
        "shop.yaml:12:3: error[L0102]: unknown key 'tiers_typo'\n"
        "  12 |   tiers_typo: 1\n"
        "     |   ^~~~~~~~~~\n");
}

TEST_CASE("the caret keeps tabs and stops at the end of the line", "[diagnostic]") {
  loyalty::diagnostic d = sample();
  d.line_text = "\tab";
  d.column = 2;
  d.length = 40;
  d.level = loyalty::severity::warning;
  CHECK(loyalty::render(d) ==
        "shop.yaml:12:2: warning[L0102]: unknown key 'tiers_typo'\n"
        "  12 | \tab\n"
        "     | \t^~\n");
}

TEST_CASE("the caret counts characters, not bytes, before the column", "[diagnostic]") {
  loyalty::diagnostic d = sample();
  d.line_text = "name: caf\xC3\xA9 x";  // "café": the é is two bytes
  d.column = 13;                        // byte column of 'x'
  d.length = 1;
  CHECK(loyalty::render(d) ==
        "shop.yaml:12:13: error[L0102]: unknown key 'tiers_typo'\n"
        "  12 | name: caf\xC3\xA9 x\n"
        "     |            ^\n");
}

TEST_CASE("a diagnostic without a position renders its headline only", "[diagnostic]") {
  loyalty::diagnostic d = sample();
  d.line = 0;
  d.column = 0;
  CHECK(loyalty::render(d) == "shop.yaml: error[L0102]: unknown key 'tiers_typo'\n");
  d.line = 7;
  CHECK(loyalty::format_headline(d) == "shop.yaml:7: error[L0102]: unknown key 'tiers_typo'");
}

TEST_CASE("line numbers wider than the gutter widen it", "[diagnostic]") {
  loyalty::diagnostic d = sample();
  d.line = 123456;
  d.column = 1;
  d.length = 1;
  d.line_text = "x";
  CHECK(loyalty::render(d) ==
        "shop.yaml:123456:1: error[L0102]: unknown key 'tiers_typo'\n"
        "123456 | x\n"
        "       | ^\n");
}

TEST_CASE("has_errors ignores warnings and notes", "[diagnostic]") {
  std::vector<loyalty::diagnostic> ds(2, sample());
  ds[0].level = loyalty::severity::warning;
  ds[1].level = loyalty::severity::note;
  CHECK_FALSE(loyalty::has_errors(ds));
  ds[1].level = loyalty::severity::error;
  CHECK(loyalty::has_errors(ds));
}

TEST_CASE("the catalog is sorted, unique and well-formed", "[diagnostic]") {
  const auto catalog = loyalty::diagnostic_catalog();
  REQUIRE(catalog.size() >= 25);
  for (std::size_t i = 0; i < catalog.size(); ++i) {
    INFO(catalog[i].code);
    CHECK(catalog[i].code.size() == 5);
    CHECK(catalog[i].code[0] == 'L');
    CHECK_FALSE(catalog[i].title.empty());
    if (i > 0) CHECK(catalog[i - 1].code < catalog[i].code);
  }
  const auto l0204 =
      std::find_if(catalog.begin(), catalog.end(), [](const auto& i) { return i.code == "L0204"; });
  REQUIRE(l0204 != catalog.end());
  CHECK(l0204->level == loyalty::severity::warning);
}
