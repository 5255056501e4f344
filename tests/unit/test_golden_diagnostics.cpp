// Golden tests: every tests/rules/invalid/NAME.yaml renders exactly NAME.diagnostics.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "golden_util.hpp"
#include "loyalty/program.hpp"

namespace fs = std::filesystem;
using loyalty::test::read_text;

namespace {

const fs::path rules_dir = fs::path(LOYALTY_TEST_DIR) / "rules";

}  // namespace

TEST_CASE("invalid programs render their golden diagnostics", "[golden]") {
  const auto files = loyalty::test::files_with_extension(rules_dir / "invalid", ".yaml");
  REQUIRE(files.size() >= 20);
  for (const fs::path& yaml : files) {
    DYNAMIC_SECTION(yaml.filename().string()) {
      const loyalty::load_result result =
          loyalty::load_program(read_text(yaml), yaml.filename().string());
      const std::string actual = loyalty::render(result.diagnostics);
      fs::path expected_path = yaml;
      expected_path.replace_extension(".diagnostics");
      if (loyalty::test::update_golden()) std::ofstream(expected_path, std::ios::binary) << actual;
      REQUIRE(fs::exists(expected_path));
      CHECK(actual == read_text(expected_path));
      CHECK_FALSE(result.diagnostics.empty());
      // A program is returned exactly when no diagnostic is an error (warnings may remain).
      CHECK(result.ok() == !loyalty::has_errors(result.diagnostics));
    }
  }
}

TEST_CASE("valid programs load without any diagnostic", "[golden]") {
  std::vector<fs::path> files = loyalty::test::files_with_extension(rules_dir / "valid", ".yaml");
  files.push_back(fs::path(LOYALTY_SOURCE_DIR) / "examples" / "shop" / "program.yaml");
  REQUIRE(files.size() >= 3);
  for (const fs::path& yaml : files) {
    DYNAMIC_SECTION(yaml.filename().string()) {
      const loyalty::load_result result =
          loyalty::load_program(read_text(yaml), yaml.filename().string());
      INFO(loyalty::render(result.diagnostics));
      CHECK(result.ok());
      CHECK(result.diagnostics.empty());
    }
  }
}

TEST_CASE("every diagnostic code is exercised by a golden file or a named test", "[golden]") {
  std::set<std::string> seen;
  const std::regex code_re(R"(\[(L\d{4})\])");
  for (const fs::path& f :
       loyalty::test::files_with_extension(rules_dir / "invalid", ".diagnostics")) {
    const std::string text = read_text(f);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), code_re);
         it != std::sregex_iterator(); ++it) {
      seen.insert((*it)[1].str());
    }
  }
  // Test files of `loyalty test` (L05xx) have their golden output in tests/cli/expected.
  for (const fs::path& f : loyalty::test::files_with_extension(
           fs::path(LOYALTY_TEST_DIR) / "cli" / "expected", ".txt")) {
    const std::string text = read_text(f);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), code_re);
         it != std::sregex_iterator(); ++it) {
      seen.insert((*it)[1].str());
    }
  }
  // Reported outside the loader's golden files: L0001 by the CLI (tests/cli), L0002 needs a
  // source larger than the default limit (test_program.cpp lowers the limit instead).
  seen.insert("L0001");
  seen.insert("L0002");

  for (const loyalty::diagnostic_info& info : loyalty::diagnostic_catalog()) {
    INFO(info.code);
    CHECK(seen.count(std::string(info.code)) == 1);
  }
}

TEST_CASE("docs/errors.md has an anchor and a section for every code", "[golden][docs]") {
  const std::string errors_md = read_text(fs::path(LOYALTY_SOURCE_DIR) / "docs" / "errors.md");
  REQUIRE_FALSE(errors_md.empty());
  for (const loyalty::diagnostic_info& info : loyalty::diagnostic_catalog()) {
    INFO(info.code);
    CHECK(errors_md.find("<a id=\"" + std::string(info.code) + "\"></a>") != std::string::npos);
    CHECK(errors_md.find("## " + std::string(info.code) + " ") != std::string::npos);
  }
}
