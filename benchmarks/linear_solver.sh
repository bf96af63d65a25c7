#!/usr/bin/env bash
# The two linear solvers (Solver/Linear solver: direct = sparse LU, Amesos
# KLU; iterative = ML AMG with GMRES / CG) on the same scenario, one after
# the other (compare_option.sh): the wall time per accepted step of each,
# its ratio, and the largest relative difference of the cell voltage over
# the common steps (the two must give the same states).
#   benchmarks/linear_solver.sh [FILE.prm] [ranks] [SECONDS] [--set ...]
# Default: the in-situ grown microsphere (2D, 1520 cells).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/compare_option.sh" "Solver/Linear solver" direct iterative "$@"
