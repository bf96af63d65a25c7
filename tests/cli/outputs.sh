#!/usr/bin/env bash
# The outputs in a directory belong to one run, however the run ends: a
# rerun into a directory that holds an earlier run's results (a complete
# run, a solver failure, Write solution = false, SIGTERM, a file that cannot
# be written on 1 or 2 ranks) leaves only its own outputs, every index file
# names only files that exist, no temporary file is left, a file ssbsim did
# not write is kept, and each stop reason has its exit code and one error
# line: 0 done, 2 the solver failed, 4 an output could not be written,
# 128 + signal when stopped by a signal. An error on one rank stops all
# ranks (a hang fails the test through its time limit).
set -u
: "${SSBSIM:?}" "${MPIRUN:?}"
source "$(dirname "${BASH_SOURCE[0]}")/scratch.sh"
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

cat > run.prm <<'PRM'
subsection Geometry
  set Dimension = 2
  set Type = layered
  set Global refinements = 1
end
subsection Operating conditions
  set C rate = 5
end
subsection Output
  set Solution output interval = 0
end
PRM

# earlier DIR: a complete earlier run there (two cycles, a solution record
# every step) and a file of the user's
earlier() {
  rm -rf "$1"
  "$SSBSIM" run.prm --set "Output/Output directory=$1" \
    --set "Operating conditions/Number of cycles=2" \
    --set "Output/Solution output interval=1" > /dev/null
  echo keep > "$1/notes.txt"
}

# check NAME DIR CYCLES_LINES: the directory holds this run's outputs only
check() {
  local name=$1 dir=$2 lines=$3
  find "$dir" -name "*.tmp" | grep -q . && fail "$name: temporary file left"
  [ -f "$dir/notes.txt" ] || fail "$name: a file ssbsim did not write was removed"
  [ "$(wc -l < "$dir/cycles.csv")" -eq "$lines" ] ||
    fail "$name: cycles.csv has $(wc -l < "$dir/cycles.csv") lines, expected $lines"
  local records=0
  if [ -f "$dir/solution.pvd" ]; then
    for pvtu in $(grep -o 'solution/solution-[0-9]*\.pvtu' "$dir/solution.pvd"); do
      [ -f "$dir/$pvtu" ] || fail "$name: solution.pvd names the missing $pvtu"
      records=$((records + 1))
    done
  fi
  local files
  files=$(find "$dir" -path "*/solution/solution-*.pvtu" | wc -l)
  [ "$files" -eq "$records" ] ||
    fail "$name: $files pvtu files, $records named by solution.pvd (an earlier run's left?)"
  # statistics: a header, the initial state, then rows with increasing time
  awk -F, 'NR > 2 && $1 < t { exit 1 } NR > 1 { t = $1 }' "$dir/statistics.csv" ||
    fail "$name: statistics.csv mixes runs"
}

# run_until NAME ROWS COMMAND...: start COMMAND in the background and wait
# until its out/statistics.csv has ROWS lines (the earlier run's
# cycles.csv, three lines, is gone then: the new one is a header); sets pid
run_until() {
  local rows=$2
  shift 2
  "$@" > stdout.txt 2> stderr.txt &
  pid=$!
  for _ in $(seq 1 300); do
    [ "$(cat out/cycles.csv 2> /dev/null | wc -l)" -eq 1 ] &&
      [ "$(wc -l < out/statistics.csv)" -ge "$rows" ] && return
    sleep 0.1
  done
  fail "$1: the run did not start within 30 s"
}

# expect_exit NAME CODE PATTERN: the exit code and one stderr line
expect_exit() {
  local name=$1 code=$2 pattern=$3 rc=$4
  [ "$rc" -eq "$code" ] || fail "$name: exit $rc, expected $code"
  [ "$(grep -c . stderr.txt)" -eq 1 ] && grep -Eq "^ssbsim: error: .*$pattern" stderr.txt ||
    { fail "$name: stderr is not one line matching '$pattern':"; cat stderr.txt; }
  echo "ok   $name: exit $rc, $(head -1 stderr.txt)"
}

slow=(--set "Operating conditions/C rate=0.2" --set "Time stepping/Maximum time step=10")

# 1. a complete run with fewer records than the earlier one
earlier out
"$SSBSIM" run.prm --set "Output/Output directory=out" > /dev/null ||
  fail "complete rerun: exit $?"
check "complete rerun" out 2

# 2. a solver failure: exit 2, the results so far (the initial state)
earlier out
"$SSBSIM" run.prm --set "Output/Output directory=out" \
  --set "Solver/Maximum Newton iterations=1" --set "Time stepping/Minimum time step=1" \
  > /dev/null 2> stderr.txt
expect_exit "solver failure" 2 "the run stopped at t = 0.*Minimum time step" $?
check "solver failure" out 1
[ "$(wc -l < out/statistics.csv)" -eq 2 ] || fail "solver failure: statistics.csv"

# 3. Write solution = false: no solution.pvd naming files that are gone
earlier out
"$SSBSIM" run.prm --set "Output/Output directory=out" --set "Output/Write solution=false" \
  > stdout.txt 2> stderr.txt
[ ! -e out/solution.pvd ] || fail "Write solution = false: solution.pvd left"
grep -q "results in out/ (statistics.csv, cycles.csv)$" stdout.txt ||
  fail "Write solution = false: the last line names files not written"
check "Write solution = false" out 2

# 4. SIGTERM on one rank: exit 143 after the current step
earlier out
run_until "SIGTERM" 5 "$SSBSIM" run.prm --set "Output/Output directory=out" "${slow[@]}"
kill -TERM "$pid"
wait "$pid"
expect_exit "SIGTERM" 143 "stopped by SIGTERM at t = .*results so far are in 'out'" $?
check "SIGTERM" out 1

# 5. SIGINT under mpirun, sent to the ssbsim processes (as a batch system
# does): every rank stops after the same step, exit 130
earlier out
run_until "SIGINT, 2 ranks" 5 timeout 60 "$MPIRUN" -q --oversubscribe -np 2 \
  "$SSBSIM" run.prm --set "Output/Output directory=out" "${slow[@]}"
pkill -INT -f "^$SSBSIM run.prm --set Output/Output directory=out"
wait "$pid"
expect_exit "SIGINT, 2 ranks" 130 "stopped by SIGINT" $?
check "SIGINT, 2 ranks" out 1

# 6. statistics.csv (written by rank 0 alone) cannot be written any more:
# exit 4 on every rank within the time limit, no temporary file
earlier out
run_until "statistics unwritable, 2 ranks" 5 timeout 60 "$MPIRUN" -q --oversubscribe -np 2 \
  "$SSBSIM" run.prm --set "Output/Output directory=out" "${slow[@]}"
ln -s /nonexistent/statistics.csv out/link && mv -f out/link out/statistics.csv
wait "$pid"
expect_exit "statistics unwritable, 2 ranks" 4 "cannot append to 'out/statistics.csv'.*file system" $?
find out -name "*.tmp" | grep -q . && fail "statistics unwritable: temporary file left"

# 7. the solution series cannot be written (every rank writes a piece)
earlier out
run_until "solution unwritable, 2 ranks" 5 timeout 60 "$MPIRUN" -q --oversubscribe -np 2 \
  "$SSBSIM" run.prm --set "Output/Output directory=out" "${slow[@]}" \
  --set "Output/Solution output interval=1"
mv out/solution out/moved && ln -s /nonexistent out/solution
wait "$pid"
expect_exit "solution unwritable, 2 ranks" 4 "cannot write 'out/solution/solution-.*file system" $?

# 8. a discharge that ends at once: a warning, and no efficiency, mean
# discharge voltage or hysteresis (one step's mean of the rest voltage and
# the cutoff would be a number that means nothing)
"$SSBSIM" run.prm --set "Output/Output directory=cutoff" \
  --set "Operating conditions/Lower cutoff voltage=2.5" > /dev/null 2> stderr.txt
grep -q "^ssbsim: warning: cycle 1: the discharge ended at once" stderr.txt ||
  fail "discharge ended at once: no warning"
for column in 4 5 7; do # efficiency, mean discharge voltage, hysteresis
  [ "$(cut -d, -f$column cutoff/cycles.csv | tail -1)" = nan ] ||
    fail "discharge ended at once: column $column of cycles.csv is $(cut -d, -f$column cutoff/cycles.csv | tail -1)"
done

# ssbsim --electrode: the homogenised composite writes its two tables and
# the parameters, nothing else, the same on 1 and 2 ranks (every rank
# computes it, rank 0 writes), and the Li its particles took, times the
# theoretical 893.5 mAh/g, is the charge passed (initial content 0)
cat > electrode.prm <<'PRM'
subsection Electrode
  set Layers = 10
  set Particle shells = 20
end
PRM
mkdir -p electrode1 && echo earlier > electrode1/statistics.csv
"$SSBSIM" --electrode electrode.prm --set "Output/Output directory=electrode1" > electrode1.log 2>&1 ||
  fail "--electrode: exit $? ($(tail -1 electrode1.log))"
"$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" --electrode electrode.prm \
  --set "Output/Output directory=electrode2" > electrode2.log 2>&1 ||
  fail "--electrode on 2 ranks: exit $?"
[ "$(cd electrode1 && ls | sort | tr '\n' ' ')" = "electrode-layers.csv electrode.csv parameters.prm " ] ||
  fail "--electrode left $(cd electrode1 && ls | tr '\n' ' ')"
for f in electrode.csv electrode-layers.csv; do
  cmp -s "electrode1/$f" "electrode2/$f" || fail "--electrode: $f differs between 1 and 2 ranks"
done
/usr/bin/python3 - electrode1/electrode.csv <<'PY' || fail "--electrode: Li taken is not the charge passed"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
last = rows[-1]
q, li = float(last["capacity_mAh_g"]), float(last["li_content"])
print(f"--electrode: {q:.2f} mAh/g passed, Li content {li:.5f} x 893.5 = {li * 893.5:.2f} mAh/g, "
      f"{float(last['voltage_V']):.3f} V at the end, {len(rows)} rows")
sys.exit(0 if q > 100 and abs(li * 893.5 / q - 1) < 1e-3 else 1)
PY

# Electrode/Particle radius sets the composite's particles apart from the
# resolved cell's: the same composite as with Geometry/Particle radius at
# that value, to the byte, and a different one from the default
"$SSBSIM" --electrode electrode.prm --set "Output/Output directory=electrode_r" \
  --set "Electrode/Particle radius=1.5" > electrode_r.log 2>&1 ||
  fail "--electrode with Electrode/Particle radius: exit $?"
"$SSBSIM" --electrode electrode.prm --set "Output/Output directory=electrode_g" \
  --set "Geometry/Particle radius=1.5" > electrode_g.log 2>&1 ||
  fail "--electrode with Geometry/Particle radius: exit $?"
cmp -s electrode_r/electrode.csv electrode_g/electrode.csv ||
  fail "--electrode: Electrode/Particle radius = 1.5 is not Geometry/Particle radius = 1.5"
! cmp -s electrode_r/electrode.csv electrode1/electrode.csv ||
  fail "--electrode: Electrode/Particle radius = 1.5 has no effect"

# the resolved cell's particle inside the composite (Electrode/Resolved
# particle depth): held at each step at the composite's voltage minus its
# LPS's potential at that depth (here a layer's centre), the composite's
# tables written beside the cell's
"$SSBSIM" run.prm --set "Output/Output directory=embedded" \
  --set "Electrode/Layers=10" --set "Electrode/Particle shells=20" \
  --set "Electrode/Thickness=10" \
  --set "Electrode/Resolved particle depth=0.5" > embedded.log 2>&1 ||
  fail "embedded particle: exit $? ($(tail -1 embedded.log))"
/usr/bin/python3 - embedded <<'PY' || fail "embedded particle: not held at the potential of its depth"
import csv, sys
d = sys.argv[1]
stats = list(csv.DictReader(open(d + "/statistics.csv")))
cell = {r["time_s"]: float(r["voltage_V"]) for r in csv.DictReader(open(d + "/electrode.csv"))}
first = {}
for r in csv.DictReader(open(d + "/electrode-layers.csv")):
    first.setdefault(r["time_s"], float(r["electrolyte_potential_V"]))
worst, n = 0.0, 0
for r in stats[1:]:
    t = r["time_s"]
    if t in cell:
        worst = max(worst, abs(float(r["voltage_V"]) - (cell[t] - first[t])))
        n += 1
print(f"embedded particle: {n} steps, held within {worst:.2e} V of the composite's "
      f"voltage minus its LPS's potential at 0.5 um")
sys.exit(0 if n > 10 and n == len(stats) - 1 and worst < 1e-9 else 1)
PY

# the composite's particles handed the resolved particle's interface state
# (Electrode/Interface state = resolved particle): this particle keeps
# its pristine contact and has no film nor electronic contact, so the
# composite is the one of its own state to the digit. With an electronic
# contact resistance r_e the composite's particles get it in series: in a
# composite whose LPS conducts so well that its layers carry equal
# currents j (per particle surface), every layer's kinetics and content
# are those of the own state's at equal capacity, and the composite's
# voltage is lower by exactly j r_e (compared from the own state's first
# step to half its discharge, where linear interpolation between its
# steps is good to about 2 %)
embedded_as() {
  "$SSBSIM" run.prm --set "Output/Output directory=$1" \
    --set "Electrode/Layers=10" --set "Electrode/Particle shells=20" \
    --set "Electrode/Thickness=10" --set "Electrode/Resolved particle depth=0.5" \
    --set "Operating conditions/Number of cycles=1" "${@:2}" > "$1.log" 2>&1 ||
    fail "$1: exit $? ($(tail -1 "$1.log"))"
}
embedded_as embedded_own --set "Electrode/Interface state=own"
embedded_as embedded_state --set "Electrode/Interface state=resolved particle"
cmp -s embedded_own/electrode.csv embedded_state/electrode.csv ||
  fail "Interface state = resolved particle changes the composite of a pristine, film-free particle"
r_e=0.005 # Ohm m^2
embedded_as embedded_own_re --set "Kinetics/Electronic contact resistance=$r_e" \
  --set "Electrolyte/Conductivity=1e3"
embedded_as embedded_state_re --set "Kinetics/Electronic contact resistance=$r_e" \
  --set "Electrolyte/Conductivity=1e3" --set "Electrode/Interface state=resolved particle"
/usr/bin/python3 - "$root/examples/paper-comparison" "$r_e" embedded_own_re embedded_state_re <<'PY' ||
import sys
sys.path.insert(0, sys.argv[1])
import report
r_e = float(sys.argv[2])
def discharge(d):
    """the composite's first discharge: time, capacity and voltage (the
    time steps follow the particle, so the runs compare at equal capacity)"""
    cell = report.read_csv(d + "/electrode.csv")
    q = cell["capacity_mAh_g"]
    n = next((k for k in range(1, len(q)) if q[k] < q[k - 1]), len(q))
    return list(zip(*(cell[c][1:n] for c in ("time_s", "capacity_mAh_g", "voltage_V"))))
own, state = (discharge(d) for d in sys.argv[3:])
q_own, v_own = [q for _, q, _ in own], [v for _, _, v in own]
layers = report.Electrode(sys.argv[4])
drop, worst = [], 0.0
for t, q, v in state:
    if q_own[0] <= q <= q_own[-1] / 2:
        j = abs(sum(float(layers.rows[(t, x)]["current_A_m2"]) for x in layers.depths)
                / len(layers.depths))  # A/m^2 of particle surface, equal in every layer
        drop.append(report.interpolate(q, q_own, v_own) - v)
        worst = max(worst, abs(drop[-1] / (j * r_e) - 1))
print(f"composite with the particle's electronic contact in series: {len(drop)} discharge steps, "
      f"voltage lower at equal capacity by {min(drop):.4f} to {max(drop):.4f} V, "
      f"j r_e = {j:.3f} A/m^2 x {r_e} Ohm m^2 = {j * r_e:.4f} V (largest deviation {worst:.3f})")
sys.exit(0 if len(drop) >= 20 and worst < 0.03 else 1)
PY
  fail "Interface state = resolved particle: the electronic contact is not in series with the composite's kinetics"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
