#!/usr/bin/env bash
# run.sh CASE [--set ...]: runs tests/regression/CASE.prm and compares
# statistics.csv and cycles.csv with the reference in tests/regression/CASE/
# (numdiff, relative 1e-6). Extra arguments go to ssbsim: the same
# reference must come out of either linear solver (Solver/Linear solver).
# After an intended change of results, regenerate the reference with
#   build/ssbsim tests/regression/CASE.prm --set "Output/Output directory=tests/regression/CASE"
# and say why in the commit message.
set -euo pipefail
: "${SSBSIM:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case_name=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$SSBSIM" "$here/$case_name.prm" --set "Output/Output directory=$work/out" "$@" > "$work/log"
for f in statistics.csv cycles.csv; do
  bash "$here/../cli/compare_csv.sh" "$here/$case_name/$f" "$work/out/$f" 1e-6
done
echo "regression $case_name $*: $(wc -l < "$work/out/statistics.csv") rows agree"
