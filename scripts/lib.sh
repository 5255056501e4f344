# shellcheck shell=bash
# Shared helpers for the scripts in scripts/ and .ci/run. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   step "configure" cmake -S . -B build
#
# `step` prints "==> name", runs the command and, when it fails, prints
# "error: step 'name' failed (exit N)" and exits the script with the same status.

# The repository root (the parent of scripts/), whatever the caller's working directory.
loyalty_repo_root() {
  (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
}

# step NAME COMMAND [ARGS...]
# The command runs in a subshell with errexit on, so a shell function given as COMMAND stops at
# its first failing command, as it would at top level (bash ignores `set -e` inside a function
# called from `if`, `||` or `&&`, so we must not call it from such a context).
step() {
  local name=$1
  shift
  printf '==> %s\n' "$name"
  local rc=0 had_errexit=0
  [[ $- == *e* ]] && had_errexit=1
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  ((had_errexit)) && set -e
  if ((rc != 0)); then
    printf "error: step '%s' failed (exit %d)\n" "$name" "$rc" >&2
    exit "$rc"
  fi
}

# Prints the number of jobs to build with: LOYALTY_JOBS, or the number of processors.
loyalty_jobs() {
  if [[ -n ${LOYALTY_JOBS:-} ]]; then
    printf '%s\n' "$LOYALTY_JOBS"
  else
    nproc 2>/dev/null || echo 2
  fi
}

# cmake_configure BUILD_DIR [CMAKE ARGS...]
# Configures the repository (the current directory) into BUILD_DIR. Uses Ninja when it is
# installed and the build directory is new; an existing build directory keeps its generator
# (CMake refuses to switch generators in place).
cmake_configure() {
  local build_dir=$1
  shift
  local generator=()
  if [[ ! -f $build_dir/CMakeCache.txt ]] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
  fi
  cmake -S . -B "$build_dir" "${generator[@]}" "$@"
}
