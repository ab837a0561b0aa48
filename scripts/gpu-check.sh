#!/usr/bin/env bash
# gpu-check.sh OUTDIR: everything only a GPU can tell, in one go.
#   1. build (Release) with the dependencies in ./.deps when present
#   2. ptxkit-info
#   3. every test; on a GPU none of the GPU tests may be skipped
#   4. compute-sanitizer memcheck, racecheck, synccheck, initcheck over the
#      GPU tests, when compute-sanitizer is installed
#   5. a short benchmark pass (JSON + markdown report)
# Steps 1-3 use kernels with the mbarrier watchdog (below); steps 4 and 5 a
# second build of the plain kernels, since the sanitizer slows kernels 10-100x
# (a watchdog would trap healthy waits) and figures must come from the kernels
# that ship.
# Logs and a one-screen summary (OUTDIR/summary.txt) go to OUTDIR. Exits
# non-zero when any step failed. PTXKIT_GPU_CHECK_DRY_RUN=1 lists the steps'
# commands instead of running them (as if compute-sanitizer were installed).
set -uo pipefail
out=${1:?usage: scripts/gpu-check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"

build=${PTXKIT_GPU_BUILD:-build/gpu}
summary="$out/summary.txt"
: > "$summary"
status=0
dry_run=${PTXKIT_GPU_CHECK_DRY_RUN:-0}
note() { echo "$*" | tee -a "$summary"; }
step() {  # step NAME LOG COMMAND...
  local name=$1 log=$2; shift 2
  if [ "$dry_run" != 0 ]; then
    note "STEP  $name: $*"
    return 0
  fi
  local start=$SECONDS
  if "$@" > "$log" 2>&1; then
    note "PASS  $name ($((SECONDS - start)) s)"
  else
    note "FAIL  $name ($((SECONDS - start)) s): see $(basename "$log")"
    tail -n 30 "$log" | sed 's/^/      /' | tee -a "$summary"
    status=1
  fi
}

note "ptxkit gpu-check $(git rev-parse --short HEAD 2>/dev/null || echo unknown) on $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader \
  | sed 's/^/gpu: /' | tee -a "$summary"

prefix=()
[ -d .deps ] && prefix=(-DCMAKE_PREFIX_PATH="$PWD/.deps")
# Bring-up aids: the kernels' mbarrier waits trap after
# PTXKIT_KERNEL_WATCHDOG_SECONDS (default 10; 0 for the plain kernels, e.g.
# for figures to record), and every test process is killed after
# PTXKIT_TEST_TIMEOUT seconds (default 180), so that a hung kernel costs one
# test, not the session.
watchdog=${PTXKIT_KERNEL_WATCHDOG_SECONDS:-10}
note "kernel watchdog: ${watchdog} s (0: off); test timeout: ${PTXKIT_TEST_TIMEOUT:-180} s"
step configure "$out/configure.log" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPTXKIT_KERNEL_WATCHDOG_SECONDS="$watchdog" "${prefix[@]}"
step build "$out/build.log" cmake --build "$build" -j "$(nproc)"
[ $status -eq 0 ] || { note "build failed: stopping"; exit 1; }

step ptxkit-info "$out/info.log" "$build/tools/ptxkit-info/ptxkit-info"
[ "$dry_run" != 0 ] || sed -n '1,6p' "$out/info.log" | tee -a "$summary"

step tests "$out/ctest.log" ctest --test-dir "$build" --output-on-failure -j 4 --timeout "${PTXKIT_TEST_TIMEOUT:-180}"
[ "$dry_run" != 0 ] || grep -E "tests passed|tests failed" "$out/ctest.log" | tee -a "$summary"
# Devices.* need two GPUs: the only tests that may skip on a one-GPU machine.
if [ "$dry_run" = 0 ] && grep -q "devices: [1-9]" "$out/info.log" &&
   grep "(Skipped)" "$out/ctest.log" | grep -v -q " Devices\."; then
  note "FAIL  GPU tests were skipped on a machine with a GPU:"
  grep "(Skipped)" "$out/ctest.log" | grep -v " Devices\." | head -n 10 | tee -a "$summary"
  status=1
fi

# The plain kernels (no watchdog) for the sanitizer and the benchmarks: the
# same tree when the watchdog is off already.
plain=$build
if [ "$watchdog" != 0 ]; then
  plain=${build}-plain
  step "configure (plain kernels)" "$out/configure-plain.log" cmake -S . -B "$plain" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DPTXKIT_KERNEL_WATCHDOG_SECONDS=0 "${prefix[@]}"
  step "build (plain kernels)" "$out/build-plain.log" cmake --build "$plain" -j "$(nproc)"
  [ $status -eq 0 ] || { note "build of the plain kernels failed: stopping"; exit 1; }
fi

# Sanitizers multiply run time (racecheck most): PTXKIT_SANITIZER_FILTER
# (a gtest filter, default all) and PTXKIT_SANITIZER_TOOLS narrow them, and
# PTXKIT_SANITIZER_TIMEOUT (seconds per tool, default 900) bounds each.
if [ "$dry_run" != 0 ] || command -v compute-sanitizer >/dev/null 2>&1; then
  for tool in ${PTXKIT_SANITIZER_TOOLS:-memcheck racecheck synccheck initcheck}; do
    step "compute-sanitizer $tool" "$out/sanitizer-$tool.log" \
      timeout "${PTXKIT_SANITIZER_TIMEOUT:-900}" \
      compute-sanitizer --tool "$tool" --error-exitcode 1 --target-processes all \
      "$plain/tests/test_gpu" --gtest_filter="${PTXKIT_SANITIZER_FILTER:-*}"
  done
else
  note "SKIP  compute-sanitizer: not installed"
fi

if [ "$dry_run" != 0 ] || ls "$plain"/bench/bench_* >/dev/null 2>&1; then
  mkdir -p "$out/bench"
  for b in "$plain"/bench/bench_*; do
    [ -x "$b" ] || [ "$dry_run" != 0 ] || continue
    area=$(basename "$b"); area=${area#bench_}
    step "bench $area (quick)" "$out/bench/$area.log" \
      "$b" --mode=quick --benchmark_out="$out/bench/$area.json" --benchmark_out_format=json
    if [ "$dry_run" = 0 ] && [ -s "$out/bench/$area.json" ]; then
      python3 tools/report/report.py --area "$area" --out-dir "$out/bench" "$out/bench/$area.json" \
        > "$out/bench/report-$area.log" 2>&1 || note "WARN  report for $area failed"
    fi
  done
fi

note "gpu-check: $([ $status -eq 0 ] && echo PASSED || echo FAILED)"
exit $status
