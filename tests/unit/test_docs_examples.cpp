// Every ```yaml block in docs/*.md is a program that is loaded here, so the docs cannot rot.
// A block loads with no diagnostic at all, unless the line before its fence says
// `<!-- expect: L0102 L0105 -->` (the exact codes, in order) or `<!-- fragment -->` (not loaded).
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "golden_util.hpp"
#include "loyalty/program.hpp"

namespace fs = std::filesystem;

namespace {

struct yaml_block {
  std::string where;  // file:line of the fence
  std::string text;
  bool fragment = false;
  std::string expected_codes;  // "L0102 L0105", empty for a clean load
};

std::vector<yaml_block> yaml_blocks(const fs::path& md) {
  std::vector<yaml_block> blocks;
  std::istringstream in(loyalty::test::read_text(md));
  std::string line;
  std::string previous;
  std::size_t number = 0;
  yaml_block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (open != nullptr) {
      if (line.rfind("```", 0) == 0) {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
    } else if (line == "```yaml") {
      yaml_block b;
      b.where = md.filename().string() + ":" + std::to_string(number);
      b.fragment = previous.find("<!-- fragment -->") != std::string::npos;
      const std::string tag = "<!-- expect: ";
      if (const auto at = previous.find(tag); at != std::string::npos) {
        const auto end = previous.find(" -->", at);
        b.expected_codes = previous.substr(at + tag.size(), end - at - tag.size());
      }
      blocks.push_back(std::move(b));
      open = &blocks.back();
    }
    previous = line;
  }
  return blocks;
}

}  // namespace

TEST_CASE("every yaml block in docs/ loads as documented", "[docs]") {
  const fs::path docs = fs::path(LOYALTY_SOURCE_DIR) / "docs";
  std::size_t loaded = 0;
  for (const fs::path& md : loyalty::test::files_with_extension(docs, ".md")) {
    for (const yaml_block& b : yaml_blocks(md)) {
      if (b.fragment) continue;
      DYNAMIC_SECTION(b.where) {
        const loyalty::load_result r = loyalty::load_program(b.text, "docs.yaml");
        std::string codes;
        for (const auto& d : r.diagnostics) codes += (codes.empty() ? "" : " ") + d.code;
        INFO(loyalty::render(r.diagnostics));
        CHECK(codes == b.expected_codes);
      }
      ++loaded;
    }
  }
  CHECK(loaded >= 5);
}
