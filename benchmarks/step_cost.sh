#!/usr/bin/env bash
# Prints the cost of one electrochemistry time step of the default scenario
# as a multiple of one Poisson solve (Q1, AMG, CG: assembly + set-up +
# solve) on the same mesh, with the linear iterations per solve.
#   benchmarks/step_cost.sh [FILE.prm] [ranks]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh"
cmake --build "${SSBSIM_BUILD}" --target step_cost
input="${1:-${SSBSIM_ROOT}/inputs/fes2_solid_first_cycle.prm}"
mpirun -q --oversubscribe -np "${2:-${SSBSIM_CORES}}" "${SSBSIM_BUILD}/benchmarks/step_cost" "${input}" 10
