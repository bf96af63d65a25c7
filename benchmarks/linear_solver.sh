#!/usr/bin/env bash
# The two linear solvers (Solver/Linear solver: direct = sparse LU, Amesos
# KLU; iterative = ML AMG with GMRES / CG) on the same scenario, one after
# the other: the wall time per accepted step of each, its ratio, and the
# largest relative difference of the cell voltage over the common steps
# (the two must give the same states). Runs one cycle whose half cycles
# are cut at SECONDS of simulated time (default 12000 s: a third of a
# C/10 discharge, then as long a charge), without impedance or fields.
#   benchmarks/linear_solver.sh [FILE.prm] [ranks] [SECONDS] [--set ...]
# Default: the in-situ grown microsphere (2D, 1520 cells).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh" >&2
cmake --build "${SSBSIM_BUILD}" --target ssbsim >&2
input="${1:-${SSBSIM_ROOT}/inputs/fes2_insitu_grown.prm}"
ranks="${2:-1}"
seconds="${3:-12000}"
shift $(( $# > 3 ? 3 : $# ))
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
for solver in direct iterative; do
  mpirun -q --oversubscribe -np "${ranks}" "${SSBSIM_BUILD}/ssbsim" "${input}" \
    --set "Output/Output directory=${work}/${solver}" --set "Output/Write solution=false" \
    --set "Impedance/After each discharge=false" \
    --set "Operating conditions/Number of cycles=1" \
    --set "Operating conditions/Maximum half cycle time=${seconds}" \
    --set "Solver/Linear solver=${solver}" "$@" > "${work}/${solver}.log"
done

/usr/bin/python3 - "${work}" <<'PY'
import csv, re, sys
work = sys.argv[1]
per_step, voltage = {}, {}
for solver in ("direct", "iterative"):
    log = open(f"{work}/{solver}.log").read()
    timing = re.search(r"wall time ([0-9.]+) s: (\d+) accepted steps \(([0-9.e+-]+) s per step\)(.*)", log)
    per_step[solver] = float(timing.group(3))
    print(f"{solver:9s}: {timing.group(0)}")
    voltage[solver] = {int(r["step"]): float(r["voltage_V"])
                       for r in csv.DictReader(open(f"{work}/{solver}/statistics.csv"))}
common = sorted(set(voltage["direct"]) & set(voltage["iterative"]))
diff = max(abs(voltage["direct"][s] - voltage["iterative"][s]) / abs(voltage["iterative"][s])
           for s in common)
print(f"steps: {len(voltage['direct'])} direct, {len(voltage['iterative'])} iterative; "
      f"largest relative voltage difference over {len(common)} common steps: {diff:.1e}")
print(f"ratio iterative / direct, wall time per accepted step: "
      f"{per_step['iterative'] / per_step['direct']:.2f}")
PY
