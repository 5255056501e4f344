#!/usr/bin/env bash
# README command 1: installs what is missing, builds the `loyalty` command-line tool and the shop
# example, checks the example shop program and runs a customer's events through the engine.
#
#   bash scripts/run-example.sh
#
# Environment:
#   LOYALTY_BUILD_DIR  build directory, relative to the repository root (default: build)
#   LOYALTY_JOBS       parallel build jobs (default: number of processors)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(loyalty_repo_root)"

build_dir=${LOYALTY_BUILD_DIR:-build}

# The one place that says what the example shows: the `loyalty` arguments.
example_args=(check examples/shop/program.yaml)

step "install dependencies" bash scripts/install-deps.sh
step "configure ($build_dir)" cmake_configure "$build_dir"
step "build loyalty_cli shop_example" cmake --build "$build_dir" --target loyalty_cli shop_example \
  --parallel "$(loyalty_jobs)"
step "run: loyalty ${example_args[*]}" "$build_dir/bin/loyalty" "${example_args[@]}"
step "run: shop_example examples/shop/program.yaml" "$build_dir/bin/shop_example" \
  examples/shop/program.yaml
