#!/usr/bin/env bash
# The paper in silico (Sun et al. 2019; issue 10): runs the scenarios of
# inputs/ (the solid-state cell and the liquid cell, three cycles each,
# and the in-situ grown microsphere, five cycles) and writes report.md
# with the table of simulated against measured values and the figures, in
# the output directory (default results/paper-comparison). 2D; about
# 20 minutes on 2 cores (session 32: solid 1162 s on its interface faces
# of 0.125 um, liquid 287 s, the microsphere's five cycles 853 s; the
# scenarios run side by side, one rank each), and beside them the solid
# cell's particle inside its homogenised composite (solid_in_composite,
# about 3 minutes alone).
# Finished runs are not redone (delete a scenario's directory to redo it).
#   examples/paper-comparison/run.sh [output-directory] [extra --set ...]
#       [--in-composite "Section/Entry=value" ...]
# --set goes to every run; --in-composite to solid_in_composite only (an
# entry the other runs refuse, e.g. Electrode/Interface state = resolved
# particle: doc/calibration.md, sessions 41-43).
# SSBSIM_BINARY overrides the program (default: the build's ssbsim).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/../../scripts/setup.sh" >&2
out="$(mkdir -p "${1:-${SSBSIM_ROOT}/results/paper-comparison}" && cd "${1:-${SSBSIM_ROOT}/results/paper-comparison}" && pwd)"
shift $(( $# > 0 ? 1 : 0 ))
binary="${SSBSIM_BINARY:-${SSBSIM_BUILD}/ssbsim}"
common=()    # for every run
composite=() # for solid_in_composite only
while [ $# -gt 0 ]; do
  if [ "$1" = "--in-composite" ]; then
    if [ $# -lt 2 ] || [[ "$2" != */*=* ]]; then
      echo "run.sh: --in-composite needs an entry \"Section/Entry=value\"" >&2
      exit 1
    fi
    composite+=(--set "$2")
    shift 2
  else
    common+=("$1")
    shift
  fi
done

scenarios=()
for name in solid liquid insitu_grown; do
  [ -f "${SSBSIM_ROOT}/inputs/fes2_${name}.prm" ] && scenarios+=("${name}")
done

pids=()
for name in "${scenarios[@]}"; do
  if [ -f "${out}/${name}/cycles.csv" ]; then
    echo "${name}: done before, kept (${out}/${name})"
    continue
  fi
  echo "${name}: running (log ${out}/${name}.log)"
  "${binary}" "${SSBSIM_ROOT}/inputs/fes2_${name}.prm" \
    --set "Output/Output directory=${out}/${name}" "${common[@]}" > "${out}/${name}.log" 2>&1 &
  pids+=($!)
done
# the solid cell's particle inside its composite cathode, at the
# separator (its centre one radius deep), one discharge and charge on
# interface faces of 0.25 um (the potential control has no impedance)
if [ -f "${SSBSIM_ROOT}/inputs/fes2_solid.prm" ] && [ ! -f "${out}/solid_in_composite/statistics.csv" ]; then
  radius=$(sed -n '/^subsection Geometry/,/^end/s/^ *set Particle radius *= *\([0-9.eE+-]*\).*/\1/p' "${SSBSIM_ROOT}/inputs/fes2_solid.prm")
  for arg in "${common[@]}"; do # a --set of the radius moves the particle too
    case "${arg}" in "Geometry/Particle radius="*) radius="${arg#*=}" ;; esac
  done
  echo "solid_in_composite: running (log ${out}/solid_in_composite.log)"
  "${binary}" "${SSBSIM_ROOT}/inputs/fes2_solid.prm" \
    --set "Geometry/Interface refinements=2" \
    --set "Operating conditions/Number of cycles=1" \
    --set "Impedance/After each discharge=false" \
    --set "Output/Write solution=false" \
    --set "Electrode/Resolved particle depth=${radius}" \
    --set "Output/Output directory=${out}/solid_in_composite" "${common[@]}" "${composite[@]}" \
    > "${out}/solid_in_composite.log" 2>&1 &
  pids+=($!)
fi
status=0
for pid in "${pids[@]}"; do wait "${pid}" || status=1; done
if [ "${status}" -ne 0 ]; then
  echo "a scenario failed: see the logs in ${out}" >&2
  exit 1
fi
# the solid cell's composite cathode, homogenised (seconds): the reaction
# zone across its thickness and the separator-side particle's front
if [ -f "${SSBSIM_ROOT}/inputs/fes2_solid.prm" ]; then
  "${binary}" --electrode "${SSBSIM_ROOT}/inputs/fes2_solid.prm" \
    --set "Output/Output directory=${out}/solid_electrode" "${common[@]}" \
    > "${out}/solid_electrode.log" 2>&1 ||
    { echo "the homogenised electrode failed: see ${out}/solid_electrode.log" >&2; exit 1; }
fi
# the solid particle's interface by side over its first discharge, from
# its field output (contact_history.py; report.md links the figure)
if [ -d "${out}/solid" ]; then
  /usr/bin/python3 "${here}/contact_history.py" "${out}/solid" \
    --csv "${out}/contact_history_solid.csv" \
    --output "${out}/contact_history_solid.png" > /dev/null ||
    echo "contact history of solid failed" >&2
fi
/usr/bin/python3 "${here}/report.py" "${out}" "${scenarios[@]}"
# cut views of the conversion front and the interface at the end of the
# first discharge (cut_view.py; python3-vtk9 reads the field output)
for name in "${scenarios[@]}"; do
  /usr/bin/python3 "${here}/cut_view.py" "${out}/${name}" \
    --output "${out}/cut_view_${name}.png" > /dev/null ||
    echo "cut view of ${name} failed" >&2
done
echo "report: ${out}/report.md, cut views: ${out}/cut_view_*.png"
