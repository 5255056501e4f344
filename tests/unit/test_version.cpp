#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "loyalty/version.hpp"

TEST_CASE("version.hpp matches the CMake project version", "[version]") {
  CHECK(loyalty::version_string == LOYALTY_PROJECT_VERSION);
  CHECK(fmt::format("{}.{}.{}", loyalty::version_major, loyalty::version_minor,
                    loyalty::version_patch) == LOYALTY_PROJECT_VERSION);
}
