#!/usr/bin/env bash
# Two values of one input entry on the same scenario, one run after the
# other: the wall time per accepted step of each and its ratio, the
# mechanics Newton iterations of each and their ratio, and the largest
# relative difference of the cell voltage over the common steps (an
# option that is only a numerical aid must give the same states). Runs
# one cycle whose half cycles are cut at SECONDS of simulated time
# (default 12000 s: a third of a C/10 discharge, then as long a charge),
# without impedance or fields.
#   benchmarks/compare_option.sh "Section/Entry" A B [FILE.prm] [ranks] [SECONDS] [--set ...]
# Default scenario: the in-situ grown microsphere (2D, 1520 cells).
set -euo pipefail
if [ $# -lt 3 ] || [[ "$1" != */* ]]; then
  echo "usage: $0 \"Section/Entry\" A B [FILE.prm] [ranks] [SECONDS] [--set ...]" >&2
  exit 1
fi
entry=$1 first=$2 second=$3
shift 3
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup.sh" >&2
cmake --build "${SSBSIM_BUILD}" --target ssbsim >&2
input="${1:-${SSBSIM_ROOT}/inputs/fes2_insitu_grown.prm}"
ranks="${2:-1}"
seconds="${3:-12000}"
shift $(( $# > 3 ? 3 : $# ))
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
for k in 0 1; do
  value=$([ "$k" = 0 ] && echo "${first}" || echo "${second}")
  mpirun -q --oversubscribe -np "${ranks}" "${SSBSIM_BUILD}/ssbsim" "${input}" \
    --set "Output/Output directory=${work}/${k}" --set "Output/Write solution=false" \
    --set "Impedance/After each discharge=false" \
    --set "Operating conditions/Number of cycles=1" \
    --set "Operating conditions/Maximum half cycle time=${seconds}" \
    --set "${entry}=${value}" "$@" > "${work}/${k}.log"
done

/usr/bin/python3 - "${work}" "${entry}" "${first}" "${second}" <<'PY'
import csv, re, sys
work, entry, values = sys.argv[1], sys.argv[2], sys.argv[3:5]
per_step, voltage, newton = {}, {}, {}
for k, value in enumerate(values):
    log = open(f"{work}/{k}.log").read()
    timing = re.search(r"wall time ([0-9.]+) s: (\d+) accepted steps \(([0-9.e+-]+) s per step\)(.*)", log)
    per_step[k] = float(timing.group(3))
    print(f"{entry} = {value}: {timing.group(0)}")
    rows = list(csv.DictReader(open(f"{work}/{k}/statistics.csv")))
    voltage[k] = {int(r["step"]): float(r["voltage_V"]) for r in rows}
    newton[k] = sum(int(r["mechanics_newton_iterations"]) for r in rows)
common = sorted(set(voltage[0]) & set(voltage[1]))
diff = max(abs(voltage[0][s] - voltage[1][s]) / abs(voltage[1][s]) for s in common)
print(f"steps: {len(voltage[0])} and {len(voltage[1])}; largest relative voltage "
      f"difference over {len(common)} common steps: {diff:.1e}")
print(f"mechanics Newton iterations: {newton[0]} and {newton[1]}"
      + (f", ratio {values[1]} / {values[0]}: {newton[1] / newton[0]:.2f}" if newton[0] else ""))
print(f"ratio {values[1]} / {values[0]}, wall time per accepted step: "
      f"{per_step[1] / per_step[0]:.2f}")
PY
