#!/usr/bin/env bash
# README command 2: installs what is missing, builds everything and runs every test with ctest.
#
#   bash scripts/test.sh
#
# Environment:
#   LOYALTY_BUILD_DIR  build directory, relative to the repository root (default: build)
#   LOYALTY_WERROR     ON to treat compiler warnings as errors, as CI does (default: OFF)
#   LOYALTY_JOBS       parallel build jobs (default: number of processors)
#   CXX                C++ compiler, read when the build directory is first configured
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(loyalty_repo_root)"

build_dir=${LOYALTY_BUILD_DIR:-build}

step "install dependencies" bash scripts/install-deps.sh
step "configure ($build_dir)" cmake_configure "$build_dir" -DLOYALTY_WERROR="${LOYALTY_WERROR:-OFF}"
step "build" cmake --build "$build_dir" --parallel "$(loyalty_jobs)"
step "test" ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -j2
