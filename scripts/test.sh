#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (release
# preset) and runs every test. CPU tests always run; GPU tests run on a GPU
# and are reported as skipped, with the reason, without one.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PTXKIT_ROOT"
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
ctest --preset release "$@"
