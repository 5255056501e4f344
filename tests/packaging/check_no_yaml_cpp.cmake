# Fails when any file under a directory includes <yaml-cpp/...> or mentions YAML::.
#
#   cmake -DROOT=<dir> -P check_no_yaml_cpp.cmake
#
# Public headers must not expose yaml-cpp: users of loyalty::loyalty compile without its headers,
# and yaml-cpp stays a private detail of src/yaml/. Every violation is reported as
# "file:line: message" before the script fails.
cmake_minimum_required(VERSION 3.25)

if(NOT ROOT OR NOT IS_DIRECTORY "${ROOT}")
  message(FATAL_ERROR "ROOT must name a directory, got '${ROOT}'")
endif()

file(GLOB_RECURSE files LIST_DIRECTORIES false "${ROOT}/*")
list(SORT files)
list(LENGTH files file_count)
if(file_count EQUAL 0)
  message(FATAL_ERROR "no files under ${ROOT}: nothing to check")
endif()

# CMake lists split on ';' and treat '[' ']' specially, so those characters are swapped for
# placeholders while the text is split into lines, and swapped back for printing.
set(semicolon "@LOYALTY_SEMICOLON@")
set(open_bracket "@LOYALTY_OPEN_BRACKET@")
set(close_bracket "@LOYALTY_CLOSE_BRACKET@")

set(violations 0)
foreach(file IN LISTS files)
  file(READ "${file}" text)
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REPLACE "[" "${open_bracket}" text "${text}")
  string(REPLACE "]" "${close_bracket}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(line_number 0)
  foreach(line IN LISTS lines)
    math(EXPR line_number "${line_number} + 1")
    set(problem "")
    if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]yaml-cpp/")
      set(problem "includes yaml-cpp")
    elseif(line MATCHES "YAML::")
      set(problem "mentions 'YAML::'")
    endif()
    if(problem)
      string(REPLACE "${semicolon}" ";" line "${line}")
      string(REPLACE "${open_bracket}" "[" line "${line}")
      string(REPLACE "${close_bracket}" "]" line "${line}")
      string(STRIP "${line}" line)
      message("${file}:${line_number}: error: public header ${problem}: ${line}")
      math(EXPR violations "${violations} + 1")
    endif()
  endforeach()
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "${violations} yaml-cpp reference(s) under ${ROOT}; keep yaml-cpp in src/yaml/")
endif()
message("ok: ${file_count} file(s) under ${ROOT} are free of yaml-cpp")
