#!/usr/bin/env bash
# The HTML report of `loyalty simulate`, opened in headless Chromium: the page must render its
# three charts (its inline script marks <body data-ok="1"> after checking them), log nothing to
# the console (no error, no uncaught exception), and give a screenshot of a real page.
#
#   html_report.sh TOOL PROGRAM WORKDIR
#
# Exit 77 (ctest SKIP_RETURN_CODE) only when chromium is not installed; CI installs it
# (scripts/install-deps.sh --ci).
set -euo pipefail
tool=$1
program=$2
work=$3

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "chromium is not installed: skipped (bash scripts/install-deps.sh --ci installs it)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
"$tool" generate -q --customers 300 --orders 3000 --seed 5 -o "$work/events.jsonl" "$program"
"$tool" simulate -q --html "$work/report.html" "$program" "$work/events.jsonl"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
grep -q 'https\?://[a-z]' <(grep -v 'xmlns="http://www.w3.org/2000/svg"' "$work/report.html") &&
  fail "the page refers to a network address"

run_browser() {
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

url="file://$(cd "$work" && pwd)/report.html"
run_browser --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log" || fail "chromium --dump-dom failed"
run_browser --screenshot="$work/report.png" --window-size=1200,2000 "$url" \
  >"$work/shot.out" 2>"$work/shot.log" || fail "chromium --screenshot failed"

grep -q '<body[^>]*data-ok="1"' "$work/dom.html" ||
  fail "the page's script did not mark data-ok=\"1\" (a chart is missing or empty)"
grep -q '<body[^>]*data-charts="3"' "$work/dom.html" || fail "the page does not have 3 charts"
charts=$(grep -o '<svg class="chart"' "$work/dom.html" | wc -l)
((charts == 3)) || fail "$charts <svg class=\"chart\"> elements, expected 3"
for id in chart-liability chart-flows chart-cost; do
  grep -q "id=\"$id\"[^>]*data-marks=\"[1-9]" "$work/dom.html" || fail "chart $id has no marks"
done
if grep -E ':CONSOLE|Uncaught' "$work/dom.log" "$work/shot.log" | grep -F "report.html"; then
  fail "the page logged to the console"
fi
[[ -f $work/report.png ]] || fail "no screenshot"
size=$(stat -c %s "$work/report.png")
((size > 40000)) || fail "the screenshot is only $size bytes"
echo "ok: 3 charts rendered, no console messages, screenshot $work/report.png ($size bytes)"
