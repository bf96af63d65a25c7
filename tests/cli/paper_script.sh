#!/usr/bin/env bash
# examples/paper-comparison/run.sh hands each run its settings: --set to
# every run, --in-composite only to the solid cell's particle inside its
# composite (an entry the other runs refuse); a scenario that fails
# stops it with exit code 1 before the report. The program is replaced
# by one that records its arguments and fails, so this takes seconds.
set -euo pipefail
: "${SSBSIM:?}"
source "$(dirname "${BASH_SOURCE[0]}")/scratch.sh"
# run.sh builds first (scripts/setup.sh): point it at the tested build,
# where that is a no-op
export SSBSIM_BUILD="$(cd "$(dirname "$SSBSIM")" && pwd)"

cat > record <<'SCRIPT'
#!/usr/bin/env bash
# one file of arguments per run, named by its output directory
for arg in "$@"; do
  case "$arg" in "Output/Output directory="*) directory="${arg#*=}" ;; esac
done
printf '%s\n' "$@" > "${directory}.args"
exit 1
SCRIPT
chmod +x record

fail() { echo "FAIL: $*"; exit 1; }

if SSBSIM_BINARY="$work/record" bash "$root/examples/paper-comparison/run.sh" out \
     --set "Kinetics/Exchange current density=0.5" \
     --in-composite "Electrode/Interface state=resolved particle" \
     --in-composite "Electrode/Reacting share=0.6" > log 2>&1; then
  fail "run.sh passed with every run failing"
fi
grep -q "a scenario failed" log || fail "no message on the failed runs: $(cat log)"
[ ! -e out/report.md ] || fail "a report written from failed runs"
[ ! -e out/solid_electrode.args ] || fail "the homogenised electrode ran after failed runs"

for name in solid liquid insitu_grown solid_in_composite; do
  [ -f "out/$name.args" ] || fail "$name did not run"
  grep -qx "Kinetics/Exchange current density=0.5" "out/$name.args" ||
    fail "$name did not get the --set"
  grep -qx "inputs/fes2_${name%_in_composite}.prm" <(sed "s|^$root/||" "out/$name.args") ||
    fail "$name did not run its input"
done
for entry in "Electrode/Interface state=resolved particle" "Electrode/Reacting share=0.6"; do
  grep -qx "$entry" out/solid_in_composite.args || fail "solid_in_composite lacks $entry"
  for name in solid liquid insitu_grown; do
    ! grep -qx "$entry" "out/$name.args" || fail "$name got the composite's $entry"
  done
done
# the composite's entries come after the common ones: they win
last_common=$(grep -nx "Kinetics/Exchange current density=0.5" out/solid_in_composite.args | cut -d: -f1)
first_own=$(grep -nx "Electrode/Interface state=resolved particle" out/solid_in_composite.args | cut -d: -f1)
[ "$first_own" -gt "$last_common" ] || fail "the composite's entries before the common ones"

# --in-composite without an entry: exit 1, naming the option
for bad in "" "Electrode/Reacting share"; do
  status=0
  SSBSIM_BINARY="$work/record" bash "$root/examples/paper-comparison/run.sh" bad \
    --in-composite ${bad:+"$bad"} > bad.log 2>&1 || status=$?
  [ "$status" -eq 1 ] || fail "--in-composite '$bad': exit $status, not 1"
  grep -q -- "--in-composite needs an entry" bad.log || fail "no message: $(cat bad.log)"
  [ ! -e bad/solid.args ] || fail "runs started on bad input"
done
echo "run.sh: settings routed, failures stop it"
