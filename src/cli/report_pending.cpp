// TEMPORARY until the cli-report branch lands (deleted by that merge).
#include "cli/report.hpp"
namespace loyalty::cli {
std::string render_json(const report&) {
  return "{}\n";
}
std::string render_html(const report&) {
  return "<!doctype html>\n";
}
}  // namespace loyalty::cli
