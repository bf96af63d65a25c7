#!/usr/bin/env bash
# How much the in-situ grown electrode's prediction owes to its random
# grain arrangement: runs inputs/fes2_insitu_grown.prm with the random
# seeds 1..N (each a different arrangement of the same grains, filled and
# empty pores) and writes OUT/seeds.md, a table of every seed's cycles,
# the electronic contact it restarts each discharge through, and the
# mean over the seeds (an electrode of N such microspheres side by side),
# with OUT/seeds_capacity.png. Impedance spectra and field output are
# off (the interfacial resistance comes from the contact); runs go
# SSBSIM_JOBS (default: the number of cores) at a time; finished runs are
# kept (delete OUT/seed-K to redo one). About 25 min per seed that lives
# five cycles, on one core.
#   examples/paper-comparison/seeds.sh OUT N [extra --set ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 OUTPUT_DIRECTORY NUMBER_OF_SEEDS [--set ...]" >&2
  exit 1
fi
source "${here}/../../scripts/setup.sh" >&2
out="$(mkdir -p "$1" && cd "$1" && pwd)"
n_seeds="$2"
shift 2
binary="${SSBSIM_BINARY:-${SSBSIM_BUILD}/ssbsim}"
jobs="${SSBSIM_JOBS:-$(nproc)}"

status=0
running=0
for seed in $(seq 1 "${n_seeds}"); do
  dir="${out}/seed-${seed}"
  if [ -f "${dir}/cycles.csv" ] && ! [ -f "${dir}.running" ]; then
    echo "seed ${seed}: done before, kept (${dir})"
    continue
  fi
  echo "seed ${seed}: running (log ${dir}.log)"
  (touch "${dir}.running" &&
     "${binary}" "${SSBSIM_ROOT}/inputs/fes2_insitu_grown.prm" \
       --set "Geometry/Random seed=${seed}" \
       --set "Impedance/After each discharge=false" \
       --set "Output/Solution output interval=0" \
       --set "Output/Output directory=${dir}" "$@" > "${dir}.log" 2>&1 &&
     rm -f "${dir}.running") &
  running=$((running + 1))
  if [ "${running}" -ge "${jobs}" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "${running}" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
if [ "${status}" -ne 0 ]; then
  echo "a seed's run failed: see the logs in ${out}" >&2
  exit 1
fi
/usr/bin/python3 "${here}/seeds.py" "${out}" "${n_seeds}"
