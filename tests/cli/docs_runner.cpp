// Runs the command examples of a documentation page, so that its test files and outputs cannot
// rot (docs/testing.md).
//
//   docs_runner TOOL PAGE.md EXAMPLES_DIR WORK_DIR
//
// WORK_DIR is emptied, then gets a copy of EXAMPLES_DIR (examples/shop) as examples/shop/. In the
// page, a marker line before a fenced block says what to do with it:
//   <!-- file: NAME -->             the block is written to WORK_DIR/NAME (add <!-- fragment -->
//                                   on the same line for yaml blocks that are not programs)
//   <!-- run: ARGS -->              `TOOL ARGS` runs in WORK_DIR; its output must be the block
//   <!-- run (exit N): ARGS -->     ... and its exit status N (0 otherwise)
// Arguments are split at spaces; "double quotes" keep one together.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct block {
  std::size_t line = 0;  // of the opening fence
  std::string marker;    // the line before the fence
  std::string text;
};

std::vector<block> fenced_blocks(const std::string& page) {
  std::vector<block> out;
  std::istringstream in(page);
  std::string line;
  std::string previous;
  std::size_t number = 0;
  block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (open != nullptr) {
      if (line.rfind("```", 0) == 0) {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
    } else if (line.rfind("```", 0) == 0) {
      out.push_back(block{number, previous, {}});
      open = &out.back();
    }
    previous = line;
  }
  return out;
}

// The text between "<!-- KEY" and "-->", or nullopt-like empty with found = false.
bool marker_value(const std::string& marker, const std::string& key, std::string& value) {
  const std::string open = "<!-- " + key;
  const auto at = marker.find(open);
  if (at == std::string::npos) return false;
  const auto end = marker.find("-->", at);
  value = marker.substr(at + open.size(), end - at - open.size());
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return true;
}

std::string quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::vector<std::string> split_args(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  bool in_quotes = false;
  bool any = false;
  for (char c : text) {
    if (c == '"') {
      in_quotes = !in_quotes;
      any = true;
    } else if (c == ' ' && !in_quotes) {
      if (any) out.push_back(current);
      current.clear();
      any = false;
    } else {
      current += c;
      any = true;
    }
  }
  if (any) out.push_back(current);
  return out;
}

int run(const std::string& command, std::string& output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: docs_runner TOOL PAGE.md EXAMPLES_DIR WORK_DIR\n";
    return 2;
  }
  const std::string tool = fs::absolute(argv[1]).string();
  const fs::path page_path = argv[2];
  const fs::path work = argv[4];
  std::ifstream page_in(page_path, std::ios::binary);
  std::ostringstream page;
  page << page_in.rdbuf();
  fs::remove_all(work);
  fs::create_directories(work / "examples");
  fs::copy(argv[3], work / "examples" / "shop", fs::copy_options::recursive);

  int failures = 0;
  std::size_t runs = 0;
  for (const block& b : fenced_blocks(page.str())) {
    const std::string where = page_path.filename().string() + ":" + std::to_string(b.line);
    std::string value;
    if (marker_value(b.marker, "file:", value)) {
      std::ofstream(work / value.substr(value.find_first_not_of(' ')), std::ios::binary) << b.text;
      continue;
    }
    if (!marker_value(b.marker, "run", value)) continue;
    int expected_exit = 0;
    if (value.rfind(" (exit ", 0) == 0) {
      expected_exit = std::stoi(value.substr(7));
      value = value.substr(value.find(')') + 1);
    }
    if (value.empty() || value[0] != ':') {
      std::cerr << where << ": malformed run marker: " << b.marker << "\n";
      ++failures;
      continue;
    }
    std::string command = "cd " + quoted(work.string()) + " && " + quoted(tool);
    for (const std::string& arg : split_args(value.substr(1))) command += " " + quoted(arg);
    command += " 2>&1";
    std::string output;
    const int status = run(command, output);
    ++runs;
    if (status != expected_exit || output != b.text) {
      ++failures;
      std::cerr << where << ": `loyalty" << value.substr(1) << "` exited with " << status
                << " (expected " << expected_exit << ") and printed:\n"
                << output << "---- the page shows:\n"
                << b.text << "----\n";
    }
  }
  std::cout << "ran " << runs << " examples of " << page_path.filename().string() << "\n";
  return failures == 0 && runs > 0 ? 0 : 1;
}
