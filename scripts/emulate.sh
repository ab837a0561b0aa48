#!/usr/bin/env bash
# Runs the sm90 kernels on the CPU, in the PTX emulator of tools/emulator
# (README there): translates each kernel's inline PTX, builds its harness with
# g++ (into build/emulator) and runs every case in every execution model of
# the kernel (tools/emulator/<kernel>/models), printing one line per model.
# --mutants then builds each deliberate bug of tools/emulator/mutate.py and
# checks that the emulator catches it. Needs no GPU; takes minutes, so it is
# not part of CMake or CI.
#
# Exits non-zero on a build failure, a failing case (wrong result or emulator
# failure) or a mutant that survives without being listed as benign.
#
# Usage: scripts/emulate.sh [gemm|attention|moe|all] [--mutants]
# Environment: EMU_JOBS (parallel jobs, default: the number of CPUs),
#              CUDA_HOME (where include/cuda.h is, default /usr/local/cuda), CXX.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"

usage() { echo "usage: scripts/emulate.sh [gemm|attention|moe|all] [--mutants]" >&2; exit 2; }
kernels=()
mutants=0
for arg in "$@"; do
  case "$arg" in
    gemm) kernels+=(gemm_sm90) ;;
    attention) kernels+=(attention_sm90) ;;
    moe) kernels+=(moe_sm90) ;;
    all) kernels+=(gemm_sm90 attention_sm90 moe_sm90) ;;
    --mutants) mutants=1 ;;
    *) usage ;;
  esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(gemm_sm90 attention_sm90 moe_sm90)
njobs="${EMU_JOBS:-$(nproc)}"
status=0

# Runs model $2 (a line of the models file) of kernel $1 as job $3; writes
# its log and its wall time in seconds.
run_model() {
  local kernel=$1 line=$2 n=$3 vars opts start
  local out="build/emulator/$kernel/logs"
  IFS="|" read -r _ vars opts <<<"$line"
  start=$SECONDS
  # $vars and $opts are word lists from the models file (no quoting inside).
  # shellcheck disable=SC2086
  env $vars "build/emulator/$kernel/emu_$kernel" $opts >"$out/model-$n.log" 2>&1 || true
  echo $((SECONDS - start)) >"$out/model-$n.time"
}

# One line for model $3 of kernel $1 (named $2), from its log.
summarize() {
  local kernel=$1 name=$2 n=$3 log summary cases failing emu
  log="build/emulator/$kernel/logs/model-$n.log"
  summary=$(grep '^summary:' "$log" || true)
  if [ -z "$summary" ]; then
    printf '%-15s %-50s HARNESS DID NOT FINISH  (%s)\n' "$kernel" "$name" "$log"
    return 1
  fi
  cases=$(sed -E 's/^summary: ([0-9]+) case.*/\1/' <<<"$summary")
  failing=$(sed -E 's/^summary: [0-9]+ case\(s\), ([0-9]+) failing.*/\1/' <<<"$summary")
  if [ "$failing" = 0 ]; then
    printf '%-15s %-50s %3d/%d pass  %4ss\n' "$kernel" "$name" "$cases" "$cases" "$(cat "${log%.log}.time")"
    return 0
  fi
  emu=$(grep -c 'emulator/process failure' "$log" || true)
  printf '%-15s %-50s %3d/%d pass  FAILING cases%s (%s emulator failures)  %s\n' "$kernel" "$name" \
    $((cases - failing)) "$cases" "$(sed -E 's/^[^:]*:[^:]*//' <<<"$summary")" "$emu" "$log"
  return 1
}

for kernel in "${kernels[@]}"; do
  mkdir -p "build/emulator/$kernel/logs"
  rm -f "build/emulator/$kernel/logs/"model-*
  start=$SECONDS
  if ! make -f tools/emulator/Makefile KERNEL="$kernel" -j"$njobs" >"build/emulator/$kernel/build.log" 2>&1; then
    grep -E 'error|\*\*\*' "build/emulator/$kernel/build.log" | head -20 >&2 || true
    echo "$kernel: BUILD FAILED (build/emulator/$kernel/build.log)"
    status=1
    continue
  fi
  echo "$kernel: built in $((SECONDS - start))s; running the execution models ($njobs at a time)"
  names=()
  n=0
  while IFS= read -r line; do
    case "$line" in '#'* | '') continue ;; esac
    n=$((n + 1))
    names+=("$(sed -E 's/ *\|.*//' <<<"$line")")
    while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do wait -n || true; done
    run_model "$kernel" "$line" "$n" &
  done <"tools/emulator/$kernel/models"
  wait
  for i in $(seq 1 "$n"); do
    summarize "$kernel" "${names[$((i - 1))]}" "$i" || status=1
  done
  if [ "$mutants" = 1 ]; then
    python3 tools/emulator/mutate.py --kernel "$kernel" --jobs "$njobs" || status=1
  fi
done
exit $status
