#!/usr/bin/env bash
# Fuzzes the C API's argument checking (tests/fuzz/fuzz_c_api.cpp) with
# libFuzzer, the library's host code under ASan + UBSan: configures build/fuzz
# with clang, builds the target, and runs it for SECONDS (default 60) on the
# corpus in build/fuzz/corpus (kept between runs). Exits non-zero on a crash,
# a sanitizer report or a violated property; the input that triggered it is
# saved in build/fuzz/artifacts/ (replay: build/fuzz/tests/fuzz/fuzz_c_api FILE;
# once fixed, add it to tests/fuzz/regressions/, which seeds every run and is
# replayed by ctest -L fuzz).
#
# The kernels are never loaded (the fuzzer runs without a driver): when
# build/release holds built kernel modules (CI builds it first), the fuzz build
# reuses them (PTXKIT_PREBUILT_KERNELS_DIR) instead of running nvcc again;
# PTXKIT_FUZZ_KERNELS names another tree's kernels/ folder, or "" to compile
# the kernels in build/fuzz.
#
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"

seconds="${1:-60}"
build=build/fuzz
kernels="${PTXKIT_FUZZ_KERNELS-auto}"
if [ "$kernels" = auto ]; then
  kernels=""
  if [ -f build/release/kernels/embedded_module_list.cpp ]; then kernels="$PTXKIT_ROOT/build/release/kernels"; fi
fi

for tool in clang clang++; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fuzz.sh: $tool not found (libFuzzer needs clang)" >&2; exit 1; }
done

cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_PREFIX_PATH="$PTXKIT_ROOT/.deps" \
  -DPTXKIT_BUILD_FUZZ=ON -DPTXKIT_BUILD_BENCH=OFF -DPTXKIT_BUILD_TOOLS=OFF \
  -DPTXKIT_PREBUILT_KERNELS_DIR="$kernels" >/dev/null
cmake --build "$build" --target fuzz_c_api

mkdir -p "$build/corpus" "$build/artifacts"
export PTXKIT_LIBCUDA_PATH=/nonexistent/libcuda.so.1  # the target forces it too: fake pointers never meet a driver
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
# Known findings (PTXKIT_FUZZ_KNOWN_ISSUES in tests/fuzz/CMakeLists.txt) are
# suppressed until their fixes land; any other report stops the run.
supp="$PTXKIT_ROOT/$build/tests/fuzz/known_issues.supp"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp:${UBSAN_OPTIONS:-}"
if grep -qv '^#' "$supp"; then
  echo "fuzz.sh: known findings suppressed until fixed:"
  grep -v '^#' "$supp" | sed 's/^/  /'
fi
echo "== fuzz_c_api for ${seconds}s (corpus $build/corpus)"
"$build/tests/fuzz/fuzz_c_api" -max_total_time="$seconds" -max_len=512 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$build/corpus" tests/fuzz/regressions
