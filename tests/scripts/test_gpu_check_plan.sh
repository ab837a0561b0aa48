#!/usr/bin/env bash
# scripts/gpu-check.sh runs compute-sanitizer and the benchmarks on kernels
# built without the mbarrier watchdog (the sanitizer's slowdown would trip
# it, and figures must come from the kernels that ship). Checked on its dry
# run, which lists every step's command.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

plan=$(cd "$root" && PTXKIT_GPU_CHECK_DRY_RUN=1 PTXKIT_GPU_BUILD=build/gpu-test bash scripts/gpu-check.sh "$tmp/a")
echo "$plan"
echo "$plan" | grep -q '^STEP  configure: .*-B build/gpu-test .*-DPTXKIT_KERNEL_WATCHDOG_SECONDS=10' \
  || fail "the tests' build does not have the watchdog"
echo "$plan" | grep -q '^STEP  configure (plain kernels): .*-B build/gpu-test-plain .*-DPTXKIT_KERNEL_WATCHDOG_SECONDS=0' \
  || fail "no build of the plain kernels"
sanitizer=$(echo "$plan" | grep '^STEP  compute-sanitizer' || true)
[ "$(echo "$sanitizer" | grep -c .)" -eq 4 ] || fail "expected four sanitizer steps"
echo "$sanitizer" | grep -v -q 'build/gpu-test-plain/tests/test_gpu' && fail "a sanitizer step runs the watchdog build"
echo "$plan" | grep '^STEP  bench' | grep -v -q 'build/gpu-test-plain/bench/' && fail "a benchmark runs the watchdog build"

# With the watchdog off, one build serves everything.
plan=$(cd "$root" && PTXKIT_GPU_CHECK_DRY_RUN=1 PTXKIT_GPU_BUILD=build/gpu-test PTXKIT_KERNEL_WATCHDOG_SECONDS=0 \
       bash scripts/gpu-check.sh "$tmp/b")
echo "$plan" | grep -q 'plain kernels' && fail "a second build with the watchdog off"
echo "$plan" | grep '^STEP  compute-sanitizer memcheck' | grep -q 'build/gpu-test/tests/test_gpu' \
  || fail "the sanitizer does not run the only build"
echo "gpu-check plan: OK"
