#!/usr/bin/env bash
# Shared by scripts/run and scripts/test: install what is missing (Debian 12),
# then configure and build ssbsim in Release with ninja and ccache.
# Source it; it defines SSBSIM_ROOT and SSBSIM_BUILD.
set -euo pipefail

SSBSIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SSBSIM_BUILD="${SSBSIM_BUILD:-${SSBSIM_ROOT}/build}"
# counted before OMP_NUM_THREADS is set below: nproc honours it
SSBSIM_CORES="$(nproc)"

ssbsim_packages=(
  cmake g++ ninja-build ccache pkg-config
  libdeal.ii-dev catch2 openmpi-bin
  numdiff gmsh python3-matplotlib python3-meshio python3-vtk9
)

ssbsim_install_missing() {
  local missing=()
  local p
  for p in "${ssbsim_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "ssbsim: installing missing packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "ssbsim: error: packages missing (${missing[*]}) and not root; install them with apt-get" >&2
      exit 1
    fi
  fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}

ssbsim_build() {
  export CCACHE_DIR="${CCACHE_DIR:-${HOME:-/tmp}/.cache/ccache}"
  if [ ! -f "${SSBSIM_BUILD}/build.ninja" ]; then
    cmake -S "${SSBSIM_ROOT}" -B "${SSBSIM_BUILD}" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "${SSBSIM_BUILD}" -j "${SSBSIM_CORES}"
}

# mpirun refuses to run as root unless told; tests and the default run use it.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One thread per MPI rank: the machine has few cores and ranks share them.
export OMP_NUM_THREADS=1
export DEAL_II_NUM_THREADS=1

ssbsim_install_missing
ssbsim_build
