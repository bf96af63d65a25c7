#!/usr/bin/env bash
# The same input on 1 and 2 MPI ranks gives the same statistics.csv and
# cycles.csv to a relative 1e-6 (2D disk and 3D sphere).
set -euo pipefail
: "${SSBSIM:?}" "${MPIRUN:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

for dim in 2 3; do
  cat > case.prm <<PRM
subsection Geometry
  set Dimension          = ${dim}
  set Global refinements = $([ "$dim" = 2 ] && echo 3 || echo 2)
end
subsection Operating conditions
  set C rate = 1
end
subsection Output
  set Write solution = false
  set Progress interval = 1000
end
PRM
  "$MPIRUN" -q --oversubscribe -np 1 "$SSBSIM" case.prm --set "Output/Output directory=one" > one.log
  "$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" case.prm --set "Output/Output directory=two" > two.log
  for f in statistics.csv cycles.csv; do
    bash "$here/compare_csv.sh" one/$f two/$f 1e-6
  done
  echo "${dim}D: 1 and 2 ranks agree ($(wc -l < one/statistics.csv) rows)"
  tail -1 one/cycles.csv
done
