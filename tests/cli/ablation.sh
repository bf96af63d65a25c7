#!/usr/bin/env bash
# ablation.sh "Section/Entry" REL WORK [--set ...]: the coupled regression
# case run with a numerical aid's Bool entry true and false (outputs in
# WORK/true and WORK/false, logs WORK/true.log and WORK/false.log), and
# their statistics.csv and cycles.csv compared to relative REL: an aid
# must not decide the answer. For the tests of the aids (extrapolation.sh,
# factorization.sh), which then check what the aid saves.
set -euo pipefail
: "${SSBSIM:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
entry=$1 tolerance=$2 work=$3
shift 3
for value in true false; do
  "$SSBSIM" "$here/../regression/coupled_2d.prm" \
    --set "Output/Output directory=$work/$value" \
    --set "$entry=$value" "$@" > "$work/$value.log"
done
for f in statistics.csv cycles.csv; do
  bash "$here/compare_csv.sh" "$work/true/$f" "$work/false/$f" "$tolerance"
done
