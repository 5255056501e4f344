// Writing JSON text: strings escaped per RFC 8259. Shared by the reports and the generator.
#pragma once

#include <string>
#include <string_view>

namespace loyalty::cli {

/// Appends `text` as a JSON string, quotes included: `"`, `\` and control characters escaped
/// (U+2028 and U+2029 too, so the text is also safe inside an HTML <script>), `<` as \u003c so
/// that "</script>" can never end a script element. Bytes that are not valid UTF-8 are replaced
/// by U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

/// `text` as a JSON string.
std::string json_string(std::string_view text);

/// Appends `text` escaped for HTML text and attribute values (& < > " ').
void append_html_text(std::string& out, std::string_view text);

}  // namespace loyalty::cli
