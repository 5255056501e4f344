# Drives the package consumer tests (see tests/packaging/CMakeLists.txt). Each mode runs its
# commands in order, prints the output of a failing command and stops with an error.
#
#   cmake -DMODE=install -DBUILD_DIR=<loyalty build> -DPREFIX=<dir> [-DCONFIG=<cfg>] -P run_consumer.cmake
#     Installs the loyalty build into a fresh PREFIX and checks the package files are there.
#
#   cmake -DMODE=consumer -DSOURCE_DIR=<consumer project> -DBINARY_DIR=<dir>
#         -DGENERATOR=<gen> [-DMAKE_PROGRAM=<prog>] -DCXX_COMPILER=<c++> [-DCONFIG=<cfg>]
#         [-DPREFIX_PATH=<installed prefix>] [-DLOYALTY_SOURCE_DIR=<loyalty source>]
#         [-DSANITIZE=<list>] -P run_consumer.cmake
#     Configures SOURCE_DIR into a fresh BINARY_DIR, builds it and runs loyalty_consumer. With
#     PREFIX_PATH, also checks that find_package found loyalty in that prefix and nowhere else.
cmake_minimum_required(VERSION 3.25)

# run(<step name> <command...>): runs the command; on failure prints its output and stops.
function(run name)
  message("-- ${name}")
  execute_process(
    COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message("${output}")
    message(FATAL_ERROR "step '${name}' failed (${result}): ${command}")
  endif()
  set(run_output "${output}" PARENT_SCOPE)
endfunction()

function(require)
  foreach(var IN LISTS ARGN)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
      message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required for MODE=${MODE}")
    endif()
  endforeach()
endfunction()

if(MODE STREQUAL "install")
  require(BUILD_DIR PREFIX)
  set(config_args)
  if(CONFIG)
    set(config_args --config ${CONFIG})
  endif()
  file(REMOVE_RECURSE "${PREFIX}")
  run("install into ${PREFIX}" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
      ${config_args})
  file(GLOB_RECURSE package_config "${PREFIX}/*/loyaltyConfig.cmake")
  if(NOT package_config OR NOT EXISTS "${PREFIX}/include/loyalty/loyalty.hpp")
    message(FATAL_ERROR "the install lacks loyaltyConfig.cmake or include/loyalty/loyalty.hpp:\n"
                        "${run_output}")
  endif()
  message("installed: ${package_config}")

elseif(MODE STREQUAL "consumer")
  require(SOURCE_DIR BINARY_DIR GENERATOR CXX_COMPILER)
  set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
                     "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  if(MAKE_PROGRAM)
    list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  if(CONFIG)
    list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${CONFIG}")
  endif()
  if(PREFIX_PATH)
    list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}")
  endif()
  if(LOYALTY_SOURCE_DIR)
    list(APPEND configure_args "-DLOYALTY_SOURCE_DIR=${LOYALTY_SOURCE_DIR}")
  endif()
  if(SANITIZE)
    # A sanitized static libloyalty.a only links into a program built with the same runtimes.
    list(APPEND configure_args "-DCMAKE_CXX_FLAGS=-fsanitize=${SANITIZE}"
         "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE}")
  endif()

  file(REMOVE_RECURSE "${BINARY_DIR}")
  run("configure ${SOURCE_DIR}" "${CMAKE_COMMAND}" ${configure_args})

  if(PREFIX_PATH)
    # A loyalty installed elsewhere (say /usr/local) must not stand in for the one under test.
    file(STRINGS "${BINARY_DIR}/CMakeCache.txt" found_dir REGEX "^loyalty_DIR:")
    string(REGEX REPLACE "^loyalty_DIR:[A-Z]+=" "" found_dir "${found_dir}")
    file(REAL_PATH "${PREFIX_PATH}" prefix_real)
    file(REAL_PATH "${found_dir}" found_real)
    string(FIND "${found_real}/" "${prefix_real}/" at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "find_package(loyalty) found '${found_dir}', not the package in "
                          "'${PREFIX_PATH}'")
    endif()
    message("-- found loyalty in ${found_dir}")
  endif()

  set(config_args)
  if(CONFIG)
    set(config_args --config ${CONFIG})
  endif()
  run("build" "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})

  set(program "${BINARY_DIR}/loyalty_consumer")
  if(NOT EXISTS "${program}" AND CONFIG)
    set(program "${BINARY_DIR}/${CONFIG}/loyalty_consumer")  # multi-config generators
  endif()
  run("run loyalty_consumer" "${program}")
  message("${run_output}")

else()
  message(FATAL_ERROR "run_consumer.cmake: MODE must be install or consumer, got '${MODE}'")
endif()
