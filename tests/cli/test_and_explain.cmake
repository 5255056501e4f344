# Tests of `loyalty test` and `loyalty explain`, included by CMakeLists.txt. Their inputs are in
# testfiles/: cafe.yaml, a small program, with test files that pass (cafe.test.yaml), fail on
# purpose (failing.test.yaml) or have problems (invalid_*.test.yaml), and events to explain.
set(testfiles ${CMAKE_CURRENT_SOURCE_DIR}/testfiles)

# ---- loyalty test -------------------------------------------------------------------------
loyalty_cli_test(test_help ARGS "test|--help" EXIT 0
                 STDOUT_REGEX "usage: loyalty test \\[options\\] FILE")
loyalty_cli_test(test_no_files ARGS "test" EXIT 2 STDERR_REGEX "no test file given")
loyalty_cli_test(test_unknown_option ARGS "test|--fast|cafe.test.yaml" EXIT 2
                 STDERR_REGEX "unknown option '--fast'")
loyalty_cli_test(test_filter_without_pattern ARGS "test|cafe.test.yaml|--filter" EXIT 2
                 STDERR_REGEX "--filter needs a pattern")
loyalty_cli_test(test_missing_file ARGS "test|missing.test.yaml" EXIT 1 WORKDIR ${testfiles}
                 STDOUT_FILE ${expected}/test_missing_file.txt)
# The example shop program's own tests (examples/shop/program.test.yaml).
loyalty_cli_test(test_shop_example ARGS "test|examples/shop/program.test.yaml" EXIT 0
                 WORKDIR ${PROJECT_SOURCE_DIR} STDOUT_FILE ${expected}/test_shop_example.txt)
loyalty_cli_test(test_pass ARGS "test|cafe.test.yaml" EXIT 0 WORKDIR ${testfiles}
                 STDOUT_FILE ${expected}/test_pass.txt)
loyalty_cli_test(test_verbose ARGS "test|--verbose|cafe.test.yaml" EXIT 0 WORKDIR ${testfiles}
                 STDOUT_FILE ${expected}/test_verbose.txt)
# A file that fails on purpose: every difference is shown, and the exit status is 1.
loyalty_cli_test(test_failing ARGS "test|failing.test.yaml" EXIT 1 WORKDIR ${testfiles}
                 STDOUT_FILE ${expected}/test_failing.txt)
loyalty_cli_test(test_failing_verbose ARGS "test|-v|--filter|wrong balance|failing.test.yaml"
                 EXIT 1 WORKDIR ${testfiles} STDOUT_FILE ${expected}/test_failing_verbose.txt)
loyalty_cli_test(test_filter ARGS "test|--filter|REFUND|cafe.test.yaml|failing.test.yaml" EXIT 0
                 WORKDIR ${testfiles} STDOUT_FILE ${expected}/test_filter.txt)
# Only the passing case of the failing file is selected: exit 0.
loyalty_cli_test(test_filter_glob ARGS "test|--filter=*PASSES|failing.test.yaml" EXIT 0
                 WORKDIR ${testfiles}
                 STDOUT_REGEX "^PASS  this one passes\n1 passed, 0 failed, 5 not selected by --filter\n$")
loyalty_cli_test(test_filter_nothing ARGS "test|--filter|no such case|cafe.test.yaml" EXIT 1
                 WORKDIR ${testfiles}
                 STDOUT_REGEX "^no case name matches --filter 'no such case'\n0 passed, 0 failed, 7 not selected by --filter\n$")
foreach(name structure names program syntax)
  loyalty_cli_test(test_invalid_${name} ARGS "test|invalid_${name}.test.yaml" EXIT 1
                   WORKDIR ${testfiles} STDOUT_FILE ${expected}/test_invalid_${name}.txt)
endforeach()
# A file with errors does not stop the others.
loyalty_cli_test(test_several_files ARGS "test|invalid_syntax.test.yaml|cafe.test.yaml" EXIT 1
                 WORKDIR ${testfiles}
                 STDOUT_REGEX "error\\[L0004\\].*\ncafe.test.yaml\nPASS  .*\n7 passed, 0 failed, 1 test file not loaded\n$")

# ---- loyalty explain ----------------------------------------------------------------------
loyalty_cli_test(explain_help ARGS "explain|--help" EXIT 0
                 STDOUT_REGEX "usage: loyalty explain \\[options\\] PROGRAM EVENT")
loyalty_cli_test(explain_no_arguments ARGS "explain" EXIT 2
                 STDERR_REGEX "give a program file and an event file")
loyalty_cli_test(explain_too_many ARGS "explain|a.yaml|b.json|c.json" EXIT 2
                 STDERR_REGEX "too many arguments")
loyalty_cli_test(explain_unknown_option ARGS "explain|--why|cafe.yaml|purchase.json" EXIT 2
                 STDERR_REGEX "unknown option '--why'")
loyalty_cli_test(explain_state_without_file ARGS "explain|cafe.yaml|purchase.json|--state" EXIT 2
                 STDERR_REGEX "--state needs an event file")
loyalty_cli_test(explain_purchase ARGS "explain|cafe.yaml|purchase.json" EXIT 0 WORKDIR ${testfiles}
                 STDOUT_FILE ${expected}/explain_purchase.txt)
loyalty_cli_test(explain_state ARGS "explain|cafe.yaml|purchase.json|--state|state.jsonl" EXIT 0
                 WORKDIR ${testfiles} STDOUT_FILE ${expected}/explain_state.txt)
loyalty_cli_test(explain_yaml_event_csv_state ARGS "explain|cafe.yaml|refund.yaml|--state=state.csv"
                 EXIT 0 WORKDIR ${testfiles} STDOUT_FILE ${expected}/explain_refund.txt)
loyalty_cli_test(explain_duplicate ARGS "explain|cafe.yaml|p1.json|--state|state.jsonl" EXIT 0
                 WORKDIR ${testfiles} STDOUT_FILE ${expected}/explain_duplicate.txt)
loyalty_cli_test(explain_without_history ARGS "explain|cafe.yaml|refund.yaml" EXIT 0
                 WORKDIR ${testfiles}
                 STDOUT_REGEX "result: unknown_original \\(no 'purchase' event 'P-1' in this customer's history\\)")
# The example of docs/testing.md#explain: the shop's Black Friday order, after registering.
loyalty_cli_test(explain_shop_example
                 ARGS "explain|examples/shop/program.yaml|examples/shop/order.json|--state|examples/shop/history.jsonl"
                 EXIT 0 WORKDIR ${PROJECT_SOURCE_DIR} STDOUT_FILE ${expected}/explain_shop_example.txt)
loyalty_cli_test(explain_missing_program ARGS "explain|missing.yaml|purchase.json" EXIT 1
                 WORKDIR ${testfiles} STDERR_REGEX "cannot read program 'missing.yaml'")
loyalty_cli_test(explain_missing_event ARGS "explain|cafe.yaml|missing.json" EXIT 1
                 WORKDIR ${testfiles} STDERR_REGEX "cannot read event 'missing.json'")
loyalty_cli_test(explain_bad_json ARGS "explain|cafe.yaml|bad_event.json" EXIT 1
                 WORKDIR ${testfiles} STDERR_REGEX "bad_event.json:2:19: expected '}'")
loyalty_cli_test(explain_bad_yaml_event ARGS "explain|cafe.yaml|bad_event.yaml" EXIT 1
                 WORKDIR ${testfiles}
                 STDERR_REGEX "bad_event.yaml:2:7: error\\[L0503\\]: the program has no event type 'purchse' \\(did you mean 'purchase'\\?\\)")
loyalty_cli_test(explain_bad_state ARGS "explain|cafe.yaml|purchase.json|--state|bad_state.jsonl"
                 EXIT 1 WORKDIR ${testfiles}
                 STDERR_REGEX "bad_state.jsonl:2: unknown event type 'bonus'")

# Every test file, command and output shown in docs/testing.md and in the L05xx sections of
# docs/errors.md, run as written there (docs_runner.cpp describes the markers).
add_executable(loyalty_docs_runner ${CMAKE_CURRENT_SOURCE_DIR}/docs_runner.cpp)
target_compile_features(loyalty_docs_runner PRIVATE cxx_std_20)
target_link_libraries(loyalty_docs_runner PRIVATE loyalty_warnings)
foreach(page testing errors)
  add_test(NAME cli_docs_${page}
           COMMAND loyalty_docs_runner $<TARGET_FILE:loyalty_cli> ${PROJECT_SOURCE_DIR}/docs/${page}.md
                   ${PROJECT_SOURCE_DIR}/examples/shop ${CMAKE_CURRENT_BINARY_DIR}/docs_${page})
  set_tests_properties(cli_docs_${page} PROPERTIES LABELS "cli;docs")
endforeach()
