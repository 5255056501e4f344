#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test loyalty. Installs only what is missing,
# so a second run changes nothing and takes well under a second.
#
#   bash scripts/install-deps.sh          # build the library, the CLI and the tests
#   bash scripts/install-deps.sh --bench  # also Google Benchmark (bench/)
#   bash scripts/install-deps.sh --ci     # everything .ci/run needs: clang with sanitizers and
#                                         # libFuzzer, clang-format, Google Benchmark, Chromium
#
# Runs apt-get as root, through sudo otherwise. Never prompts (DEBIAN_FRONTEND=noninteractive).
set -euo pipefail

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

ci=0
bench=0
for arg in "$@"; do
  case $arg in
    --ci) ci=1 ;;
    --bench) bench=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "error: unknown option '$arg'" >&2
      usage >&2
      exit 2
      ;;
  esac
done

# python3 reads back the JSON reports in the CLI tests.
packages=(build-essential cmake ninja-build pkg-config libboost-dev libfmt-dev libyaml-cpp-dev
  catch2 librapidcheck-dev libhowardhinnant-date-dev tzdata python3)
if ((bench || ci)); then
  packages+=(libbenchmark-dev)
fi
if ((ci)); then
  # clang 14 is Debian 12's clang; libclang-rt-14-dev holds the ASan, UBSan and libFuzzer
  # runtimes. llvm provides llvm-symbolizer, so sanitizer reports show file:line. git lists the
  # files the clang-format stage checks.
  packages+=(clang clang-format libclang-rt-14-dev llvm git)
  # The HTML report of `loyalty simulate` is checked in headless Chromium
  # (tests/cli/html_report.sh; skipped where chromium is missing). Fonts for its text.
  packages+=(chromium fonts-dejavu-core)
fi

installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "All ${#packages[@]} packages are installed."
else
  echo "Installing: ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: not root and sudo is not installed; as root run:" >&2
      echo "  apt-get install ${missing[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends -o Dpkg::Use-Pty=0 \
    "${missing[@]}"
fi

if ((ci)); then
  # The fuzz and sanitizer stages need clang to link these runtimes; fail here, not an hour later.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cat >"$tmp/fuzz.cpp" <<'CPP'
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
CPP
  if ! clang++ -std=c++20 -fsanitize=fuzzer,address,undefined "$tmp/fuzz.cpp" -o "$tmp/fuzz" \
    || ! "$tmp/fuzz" -runs=1 >/dev/null 2>&1; then
    echo "error: clang++ cannot build and run a libFuzzer+ASan+UBSan program" >&2
    exit 1
  fi
  echo "clang++ links libFuzzer, ASan and UBSan."
fi
