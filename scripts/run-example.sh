#!/usr/bin/env bash
# README command 1: installs what is missing, builds the `loyalty` command-line tool and the shop
# example, checks the example shop program, runs a customer's events through the engine, then
# the main job: generates a year of events for 2,000 customers (about 50,000 events) and
# simulates the shop program over them, printing the report and writing it as HTML and JSON.
#
#   bash scripts/run-example.sh
#
# Environment:
#   LOYALTY_BUILD_DIR  build directory, relative to the repository root (default: build)
#   LOYALTY_JOBS       parallel build jobs (default: number of processors)
#   LOYALTY_CUSTOMERS  customers to generate (default 2000)
#   LOYALTY_EVENTS     about how many events to generate (default 50000)
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

# The main job: a year of a shop's events, and the program run over them.
report_dir=$build_dir/shop-report
mkdir -p "$report_dir"
step "run: loyalty generate (${LOYALTY_CUSTOMERS:-2000} customers, about ${LOYALTY_EVENTS:-50000} events)" \
  "$build_dir/bin/loyalty" generate --customers "${LOYALTY_CUSTOMERS:-2000}" \
  --events "${LOYALTY_EVENTS:-50000}" --seed 1 -o "$report_dir/events.jsonl" examples/shop/program.yaml
step "run: loyalty simulate examples/shop/program.yaml $report_dir/events.jsonl" \
  "$build_dir/bin/loyalty" simulate --html "$report_dir/report.html" \
  --json "$report_dir/report.json" examples/shop/program.yaml "$report_dir/events.jsonl"
printf '\nThe HTML report (charts; opens offline in any browser): %s\n' "$PWD/$report_dir/report.html"
printf 'The JSON report: %s\nThe events: %s\n' "$PWD/$report_dir/report.json" \
  "$PWD/$report_dir/events.jsonl"
