#!/usr/bin/env bash
# Installs the Debian packages ptxkit builds with, when they are missing:
# CMake, Ninja, a C++20 compiler, GoogleTest/GoogleMock, Google Benchmark, fmt,
# Python 3 (build steps, report) and matplotlib (report plots).
# The CUDA toolkit (nvcc, ptxas, fatbinary, headers, cuBLAS for benchmarks) is
# not a Debian package of the version we need: it must already be installed
# (found on PATH or in /usr/local/cuda).
set -euo pipefail

packages=(cmake ninja-build g++ libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev python3 python3-matplotlib)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing ${missing[*]} and no apt-get here; install them or pass -DCMAKE_PREFIX_PATH" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "install-deps: the CUDA toolkit (12.4 or newer; nvcc, ptxas, fatbinary) was not found on PATH or in /usr/local/cuda" >&2
  exit 1
fi
