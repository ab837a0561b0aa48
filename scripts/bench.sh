#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the
# benchmarks (a quick subset; --full for the whole shape suites), then writes
# docs/results/<area>.md and plots. Without a GPU it builds, says so, and stops.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"

mode=quick
for arg in "$@"; do
  case "$arg" in
    --full) mode=full ;;
    --quick) mode=quick ;;
    -h|--help) echo "usage: scripts/bench.sh [--quick|--full]"; exit 0 ;;
    *) echo "bench.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release

build=build/release
"$build/tools/ptxkit-info/ptxkit-info"
if ! "$build/tools/ptxkit-info/ptxkit-info" | grep -q '^devices: [1-9]'; then
  echo
  echo "bench.sh: no usable NVIDIA GPU on this machine (see 'driver:' above): the library, tests and"
  echo "benchmarks are built; run scripts/bench.sh on a machine with a GPU to measure."
  exit 0
fi

out="$build/bench-results"
mkdir -p "$out"
ran=()
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  area=${name#bench_}
  echo "== $name ($mode)"
  "$b" --mode="$mode" --benchmark_out="$out/$area.json" --benchmark_out_format=json
  ran+=("$area")
done
for area in "${ran[@]}"; do
  python3 tools/report/report.py --area "$area" --out-dir docs/results "$out/$area.json"
done
echo "bench.sh: results in docs/results/ (${ran[*]})"
