# Sourced by the scripts: puts the CUDA toolkit on PATH when it is installed
# in the usual place but not on PATH, and names the build folder.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
PTXKIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PTXKIT_ROOT
