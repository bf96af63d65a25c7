#!/usr/bin/env bash
# Cost of one accepted coupled time step (electrochemistry + mechanics +
# staggered coupling, rejected attempts included) of a scenario, as a
# multiple of one Poisson solve (Q1, same AMG, CG: assembly + set-up +
# solve) on the same mesh, with the mechanics Newton and Krylov iterations
# and where the time goes. Runs the scenario for one cycle whose half
# cycles are cut at SECONDS of simulated time (default 9000 s: about a
# quarter of a C/10 discharge, then as long a charge), on the mesh of
# LEVEL global refinements (default 3: the 7168-cell mesh of the 3D
# scenario's converged runs; the default input itself uses level 2).
#   benchmarks/coupled_step.sh [FILE.prm] [ranks] [SECONDS] [LEVEL]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh" >&2
cmake --build "${SSBSIM_BUILD}" --target ssbsim step_cost >&2
input="${1:-${SSBSIM_ROOT}/inputs/fes2_solid_first_cycle.prm}"
ranks="${2:-${SSBSIM_CORES}}"
seconds="${3:-9000}"
level="${4:-3}"
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
# the input with the mesh level appended (a later set wins), read by both
# the Poisson reference and the run
cp "${input}" "${work}/input.prm"
printf '\nsubsection Geometry\n  set Global refinements = %s\nend\n' "${level}" \
  >> "${work}/input.prm"
input="${work}/input.prm"

mpirun -q --oversubscribe -np "${ranks}" "${SSBSIM_BUILD}/benchmarks/step_cost" \
  "${input}" 0 > "${work}/poisson.log"
mpirun -q --oversubscribe -np "${ranks}" "${SSBSIM_BUILD}/ssbsim" "${input}" \
  --set "Output/Output directory=${work}/run" --set "Output/Write solution=false" \
  --set "Operating conditions/Number of cycles=1" \
  --set "Operating conditions/Maximum half cycle time=${seconds}" \
  > "${work}/run.log"

/usr/bin/python3 - "${work}" <<'PY'
import csv, re, sys
work = sys.argv[1]
poisson_log = open(work + "/poisson.log").read()
print(poisson_log.strip())
poisson = float(re.search(r"poisson \(Q1, AMG, CG\): ([0-9.e+-]+) s", poisson_log).group(1))
log = open(work + "/run.log").read()
timing = re.search(r"wall time ([0-9.]+) s: (\d+) accepted steps \(([0-9.e+-]+) s per step\).*", log)
rows = [r for r in csv.DictReader(open(work + "/run/statistics.csv")) if int(r["step"]) > 0]
newton = [int(r["mechanics_newton_iterations"]) for r in rows]
krylov = [int(r["mechanics_linear_iterations"]) for r in rows]
per_solve = [k / n for k, n in zip(krylov, newton) if n > 0]
step_seconds = float(timing.group(3))
print(timing.group(0))
print("accepted steps: %d, capacity reached %.1f mAh/g (discharge) " % (
    len(rows), max(float(r["capacity_mAh_g"]) for r in rows if r["half_cycle"] == "1")))
print("mechanics Newton iterations per step: mean %.1f, max %d" % (
    sum(newton) / len(rows), max(newton)))
print("Krylov iterations per mechanics solve: mean %.1f, max (step mean) %.1f" % (
    sum(krylov) / max(1, sum(newton)), max(per_solve or [0])))
print("coupling iterations per step: mean %.2f, max %d" % (
    sum(int(r["coupling_iterations"]) for r in rows) / len(rows),
    max(int(r["coupling_iterations"]) for r in rows)))
print("ratio accepted coupled step / poisson: %.1f (target <= 30, aim 15)" % (
    step_seconds / poisson))
PY
