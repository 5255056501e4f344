// Helpers for tests that compare against files in tests/.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace loyalty::test {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Files in `dir` whose extension is `ext`, sorted by name.
inline std::vector<std::filesystem::path> files_with_extension(const std::filesystem::path& dir,
                                                               const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ext) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Set LOYALTY_UPDATE_GOLDEN=1 to rewrite expected files from actual output (then review the diff).
inline bool update_golden() {
  const char* v = std::getenv("LOYALTY_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace loyalty::test
