#!/usr/bin/env bash
# The README's test command: installs what is missing, builds and runs every
# test (ctest).
# - With an NVIDIA GPU (nvidia-smi lists one): the release preset; the GPU
#   tests run on the GPU.
# - Without one: the sim preset; the GPU tests run on ptxsim, the software GPU
#   (docs/ptxsim.md), which interprets every kernel's PTX on the CPU with a
#   compute-sanitizer's checks.
# PTXKIT_TEST_PRESET=release|sim overrides the choice; extra arguments go to ctest.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"
bash scripts/install-deps.sh
preset="${PTXKIT_TEST_PRESET:-}"
if [ -z "$preset" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    preset=release
  else
    preset=sim
    echo "test.sh: no NVIDIA GPU here: building the sim preset; the GPU tests run on ptxsim, the software GPU" >&2
  fi
fi
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset" "$@"
