#!/usr/bin/env bash
# The paper's comparison in reduced form (issue 10 §5): the scenario inputs
# inputs/fes2_solid.prm, inputs/fes2_liquid.prm and
# inputs/fes2_insitu_grown.prm, coarser (2D level 2; the microsphere at
# level 1) and one cycle (the solid cell two) without impedance, must
# order as the experiment:
# the in-situ grown electrode (Fig. 6) converts more than the solid cell,
# keeps more of it on charge, and shows a lower interfacial resistance per
# gram of FeS2, while per area of interface it lies above the liquid
# cell's (it loses contact and carries the reduction layer; per gram its
# 2.3 times the interface per gram of the dense particle puts it below
# the liquid's since session 35, when its kinetics became the liquid's,
# i0 1.0 A/m^2: the paper does not compare the two); the
# liquid cell, whose contact is never lost, keeps a higher coulombic
# efficiency and a lower interfacial resistance at the end of discharge
# than the solid cell, its contact stays 1, it consumes charge in its SEI
# and the solid cell its LPS reduction's (the reduction layer), and the
# solid cell's interfacial resistance
# has risen over its pristine value, and its hysteresis (interfacial
# resistance, contact loss, blocking) lies above the liquid cell's, which
# is the open-circuit branches' alone. And the cut view of
# the solid cell (examples/paper-comparison/cut_view.py) shows the state
# the run reports.
# Margins: an ordering must hold beyond the few per cent the numerical aids
# may move a result (doc/model.md, ablation). Session 11 (F-bar, V* = 2.4
# cm^3/mol) measured: in-situ grown 853.6 against solid 834.0 mAh/g
# (+2.4 %; session 10 with plain Q1: +12 %), solid interfacial resistance
# 1.063x pristine (session 10: 1.5x). Session 12 (the debonded faces
# conduct on their asperities, p / H): the solid cell's interfacial
# resistance rises by 70 % or more over its pristine value; session 15
# (200 MPa of stack pressure) by 41 %, so the test asks for 30 %; session
# 32 (the ion-blocked cap, whose area the pristine value leaves out
# too) by 35.5 %; session 35 (the LPS reduction layer in the set, i0 1.0
# A/m^2, kept expansion 86 %) by 2.15x, the paper's 2x
# (doc/calibration.md).
# Session 15 (the electronic contact on in the set): the solid cell runs
# two cycles, and its second discharge must give nothing, the paper's
# "little reversible capacity" (Fig. 2D); its first cycle is the same as
# with one.
set -euo pipefail
: "${SSBSIM:?}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# the material and interface set is the same in every scenario input
for scenario in solid liquid insitu_grown; do
  sed -n '/^# --- The calibrated material and interface set/,/^# --- end of the calibrated set/p' \
    "$root/inputs/fes2_${scenario}.prm" > "set_${scenario}.prm"
  [ -s "set_${scenario}.prm" ] || { echo "FAIL inputs/fes2_${scenario}.prm: no calibrated set"; exit 1; }
done
# every input that carries the set (the scenarios and the studies beside
# them: two particles, the cubic habit) carries the solid input's
for input in "$root"/inputs/*.prm; do
  sed -n '/^# --- The calibrated material and interface set/,/^# --- end of the calibrated set/p' \
    "$input" > set_other.prm
  [ ! -s set_other.prm ] || cmp -s set_solid.prm set_other.prm ||
    { echo "FAIL the calibrated set of ${input#"$root"/} differs from the solid input's:"; diff set_solid.prm set_other.prm; exit 1; }
done
echo "ok   the solid, liquid and in-situ grown inputs share one material and interface set, and every input that carries it carries it unchanged"
for scenario in solid liquid insitu_grown; do
  # the solid cell writes its fields at the ends of the half cycles, for
  # the cut view below
  "$SSBSIM" "$root/inputs/fes2_${scenario}.prm" \
    --set "Geometry/Global refinements=$([ "$scenario" = insitu_grown ] && echo 1 || echo 2)" \
    --set "Operating conditions/Number of cycles=$([ "$scenario" = solid ] && echo 2 || echo 1)" \
    --set "Impedance/After each discharge=false" \
    --set "Output/Write solution=$([ "$scenario" = solid ] && echo true || echo false)" \
    --set "Output/Solution output interval=0" \
    --set "Output/Output directory=$scenario" > "$scenario.log"
done
/usr/bin/python3 - "$root/examples/paper-comparison" <<'PY'
import csv, sys
sys.path.insert(0, sys.argv[1])
import report  # its Run.parameter reads an entry of a run's parameters.prm
def rows(path):
    return list(csv.DictReader(open(path)))
def pristine(path):
    return float(rows(path)[0]["interfacial_resistance_ohm_cm2"])
def side_capacity(run):
    # Kinetics/Side reaction capacity (mAh/g) as the run read it
    value = report.Run(run).parameter("Kinetics/Side reaction capacity")
    if value is None:
        sys.exit("FAIL no Side reaction capacity in " + run + "/parameters.prm")
    return float(value)
solid_cycles = rows("solid/cycles.csv")
s, l, g = solid_cycles[0], rows("liquid/cycles.csv")[0], rows("insitu_grown/cycles.csv")[0]
r0s, r0l = pristine("solid/statistics.csv"), pristine("liquid/statistics.csv")
f = lambda row, c: float(row[c])
checks = [
    ("efficiency: liquid above solid",
     f(l, "coulombic_efficiency") > f(s, "coulombic_efficiency") + 0.2),
    ("interfacial resistance at the end of discharge: liquid below solid",
     f(l, "interfacial_resistance_end_discharge_ohm_cm2") <
     f(s, "interfacial_resistance_end_discharge_ohm_cm2")),
    ("solid: interfacial resistance risen over pristine by 30 %",
     f(s, "interfacial_resistance_end_discharge_ohm_cm2") > 1.3 * r0s),
    ("solid: dead after its first cycle (2nd discharge below 1e-3 mAh/g)",
     f(solid_cycles[1], "discharge_capacity_mAh_g") < 1e-3),
    ("liquid: interfacial resistance equal to pristine",
     abs(f(l, "interfacial_resistance_end_discharge_ohm_cm2") / r0l - 1) < 1e-6),
    ("liquid: contact 1 at the end of discharge",
     f(l, "contact_fraction_end_discharge") == 1.0),
    ("hysteresis: solid above liquid by 0.1 V",
     f(s, "hysteresis_V") > f(l, "hysteresis_V") + 0.1),
    ("liquid: SEI charge consumed; solid: its LPS reduction, passivated at its capacity",
     f(l, "side_reaction_discharge_mAh_g") > 0 and
     abs(f(s, "side_reaction_discharge_mAh_g") / side_capacity("solid") - 1) < 1e-6),
    ("discharge capacity: in-situ grown above solid by 1 %",
     f(g, "discharge_capacity_mAh_g") > 1.01 * f(s, "discharge_capacity_mAh_g")),
    ("efficiency: in-situ grown above solid",
     f(g, "coulombic_efficiency") > f(s, "coulombic_efficiency") + 0.2),
    ("interfacial resistance per gram at the end of discharge: in-situ grown below solid",
     f(g, "interfacial_resistance_end_discharge_ohm_g") <
     f(s, "interfacial_resistance_end_discharge_ohm_g")),
    ("interfacial resistance per area at the end of discharge: in-situ grown above liquid by 50 %",
     f(g, "interfacial_resistance_end_discharge_ohm_cm2") >
     1.5 * f(l, "interfacial_resistance_end_discharge_ohm_cm2")),
    # session 35: 0.349 against 0.302 V; the same kinetics as the liquid
    # now, the difference is the contact lost and the layer
    ("hysteresis: in-situ grown above liquid by 0.03 V (its contact loss and layer)",
     f(g, "hysteresis_V") > f(l, "hysteresis_V") + 0.03),
    # the solid cell is the input's own resolution: its measured values
    # (session 35, doc/calibration.md: the ion-blocked cap, the LPS
    # reduction layer, i0 1.0 A/m^2, kept expansion 86 %, interface faces
    # of 0.125 um), within what the numerical aids move
    # them (ablations: < 1 % capacity, < 3 % efficiency); the cell sits
    # near a bifurcation of its discharge (473 mAh/g at 5e-15 m^2/s of
    # converted diffusivity, session 12; the cap's capacity falls steeply
    # with its size, 541 -> 360 mAh/g from 0.30 to 0.33, session 32),
    # which this also guards
    ("solid: first discharge 565.2 mAh/g +- 2 %",
     abs(f(s, "discharge_capacity_mAh_g") / 565.2 - 1) < 0.02),
    ("solid: coulombic efficiency 0.578 +- 3 %",
     abs(f(s, "coulombic_efficiency") / 0.578 - 1) < 0.03),
    ("solid: hysteresis 0.549 V +- 0.02 V",
     abs(f(s, "hysteresis_V") - 0.549) < 0.02),
    ("solid: mean discharge voltage 1.444 V +- 0.005 V",
     abs(f(s, "mean_discharge_voltage_V") - 1.444) < 0.005),
    ("solid: contact at the end of discharge 0.515 +- 0.03",
     abs(f(s, "contact_fraction_end_discharge") - 0.515) < 0.03),
    ("solid: interfacial resistance 2.148x pristine +- 5 %",
     abs(f(s, "interfacial_resistance_end_discharge_ohm_cm2") / r0s / 2.148 - 1) < 0.05),
]
for name, ok in checks:
    print(("ok   " if ok else "FAIL ") + name)
for c in ("discharge_capacity_mAh_g", "charge_capacity_mAh_g", "coulombic_efficiency",
          "hysteresis_V", "contact_fraction_end_discharge",
          "interfacial_resistance_end_discharge_ohm_cm2",
          "interfacial_resistance_end_discharge_ohm_g", "side_reaction_discharge_mAh_g"):
    print(f"{c}: solid {s[c]}, liquid {l[c]}, in-situ grown {g[c]}")
if not all(ok for _, ok in checks):
    sys.exit(1)
PY

# The solid cell's composite cathode, homogenised (ssbsim --electrode,
# doc/model.md section 8; seconds each): the particle at the separator
# stalls its front as the reaction zone moves on (Fig. 3E). Measured in
# session 38 (doc/calibration.md; the reacting share 0.1 that reproduces
# the resolved particle's uptake), within what the discretisation moves
# it (session 37, at full share: 80 / 160 layers 0.154 / 0.155, 160 / 320
# shells 0.154 / 0.157, half the time steps 0.002). The composite's own
# mean discharge voltage is in the measured plateau; in a composite of 10 um
# there is no zone and its front slows as a single particle's (the
# resolved one: 0.51); without the stress on the transport every
# particle converts through.
"$SSBSIM" --electrode "$root/inputs/fes2_solid.prm" \
  --set "Output/Output directory=electrode" > electrode.log
"$SSBSIM" --electrode "$root/inputs/fes2_solid.prm" --set "Electrode/Thickness=10" \
  --set "Output/Output directory=electrode_thin" > electrode_thin.log
"$SSBSIM" --electrode "$root/inputs/fes2_solid.prm" \
  --set "Particle/Li migration activation volume=0" \
  --set "Output/Output directory=electrode_free" > electrode_free.log
/usr/bin/python3 - "$root/examples/paper-comparison" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import report
thick, thin, free = (report.Electrode(d) for d in ("electrode", "electrode_thin", "electrode_free"))
x = thick.imaged_depth()
r_thick, r_thin = thick.front_slowdown(x), thin.front_slowdown(x)
checks = [
    (f"composite: the separator-side particle's front slows to {r_thick:.3f} of its start (0.220 +- 0.02)",
     r_thick is not None and abs(r_thick - 0.220) < 0.02),
    (f"composite: its Li content at the end {thick.at_depth(x, 'li_content')[-1]:.3f} (a core left: 0.873 +- 0.01)",
     abs(thick.at_depth(x, 'li_content')[-1] - 0.873) < 0.01),
    (f"thin composite (10 um): the same particle's front slows only to {r_thin:.3f} (0.487 +- 0.03)",
     r_thin is not None and abs(r_thin - 0.487) < 0.03),
    (f"composite: mean discharge voltage {thick.mean_discharge_voltage():.3f} V (1.434 +- 0.01; the plateau 1.4-1.6)",
     abs(thick.mean_discharge_voltage() - 1.434) < 0.01),
    ("without the stress on the transport the separator-side particle converts through",
     free.at_depth(x, "converted_depth_m")[-1] > 0.99 * x),
]
for name, ok in checks:
    print(("ok   " if ok else "FAIL ") + name)
if not all(ok for _, ok in checks):
    sys.exit(1)
PY

# The resolved particle inside the composite (Electrode/Resolved particle
# depth; interface faces of 0.25 um, one cycle, about 2.5 min each). The
# reacting share is calibrated on it (session 38): held at the potential
# of a 10 um composite, where every depth sits at nearly one potential,
# it draws its own share of the current, 0.97 of it at a third of the
# composite's discharge (0.35 with the share at the contact, 0.46). At
# the separator of the 100 um composite its front slows to 0.391 and its
# converted fraction's rate to 0.397 (sessions 38-39; Fig. 3E asks < 0.2,
# reached at this radius only with an ionic path that takes the
# composite's plateau under 1.4 V; with particles of 2 um, 0.108).
for case in "thin 10" "separator 100"; do
  set -- $case
  "$SSBSIM" "$root/inputs/fes2_solid.prm" --set "Geometry/Interface refinements=2" \
    --set "Operating conditions/Number of cycles=1" --set "Impedance/After each discharge=false" \
    --set "Output/Write solution=false" --set "Electrode/Thickness=$2" \
    --set "Electrode/Resolved particle depth=2.5" --set "Output/Output directory=embedded_$1" > "embedded_$1.log"
done
/usr/bin/python3 - "$root/examples/paper-comparison" <<'PY'
import bisect, sys
sys.path.insert(0, sys.argv[1])
import report
def share_at(run, q):
    """The particle's charge over the composite's when the composite has
    passed q mAh/g (both per gram of FeS2)."""
    half, cell = report.Run(run).first_discharge(), report.read_csv(run + "/electrode.csv")
    k = next(k for k, c in enumerate(cell["capacity_mAh_g"]) if c >= q)
    j = bisect.bisect_left(half["time_s"], cell["time_s"][k])
    return half["capacity_mAh_g"][j] / cell["capacity_mAh_g"][k]
thin = share_at("embedded_thin", 250.)
separator = report.Run("embedded_separator").first_discharge()
ratio = report.front_slowdown(separator)
uptake = report.conversion_slowdown(separator)
checks = [
    (f"the resolved particle in a 10 um composite draws {thin:.3f} of its share at 250 mAh/g (0.97 +- 0.05)",
     abs(thin - 0.97) < 0.05),
    (f"the resolved particle at the separator of the 100 um composite slows to {ratio:.3f} (0.391 +- 0.03)",
     ratio is not None and abs(ratio - 0.391) < 0.03),
    # Fig. 3E's own axes: its converted fraction's rate against the
    # composite's discharge (session 39: 0.397)
    (f"its converted fraction's rate slows to {uptake:.3f} of its start (0.397 +- 0.03)",
     uptake is not None and abs(uptake - 0.397) < 0.03),
]
for name, ok in checks:
    print(("ok   " if ok else "FAIL ") + name)
if not all(ok for _, ok in checks):
    sys.exit(1)
PY

# The cut view (examples/paper-comparison/cut_view.py) of the solid cell at
# the end of its discharge: it must find that state's field output and the
# interface along the cut, whose length-weighted mean contact factor
# (times the ionic access: the ion-blocked cap is out of it) is, in 2D,
# the contact fraction the run reports for that state; a run
# without field output is refused with exit code 1.
view=$(/usr/bin/python3 "$root/examples/paper-comparison/cut_view.py" solid --output solid_cut.png)
echo "$view"
[ -s solid_cut.png ] || { echo "FAIL cut_view.py wrote no PNG"; exit 1; }
/usr/bin/python3 - "$view" <<'PY'
import csv, re, sys
seen = float(re.search(r"mean contact factor ([0-9.eE+-]+)", sys.argv[1]).group(1))
run = float(list(csv.DictReader(open("solid/cycles.csv")))[0]["contact_fraction_end_discharge"])
ok = abs(seen - run) < 1e-3
print(("ok   " if ok else "FAIL ") + f"cut view contact {seen} against the run's {run}")
sys.exit(0 if ok else 1)
PY
if /usr/bin/python3 "$root/examples/paper-comparison/cut_view.py" liquid > refused.log 2>&1; then
  echo "FAIL cut_view.py accepted a run without field output"; exit 1
fi
grep -q "solution.pvd not found" refused.log || { echo "FAIL cut_view.py: unclear refusal:"; cat refused.log; exit 1; }
echo "ok   cut_view.py refuses a run without field output: $(cat refused.log)"

# contact_history.py on the solid cell's field output (tests/cli/
# contact_history_check.py checks its sides on known interfaces): the
# sides' area-weighted contact at each output is the contact fraction the
# run reports then; report.py links the figure it writes here
history=$(/usr/bin/python3 "$root/examples/paper-comparison/contact_history.py" solid \
  --csv contact_history_solid.csv --output contact_history_solid.png)
echo "$history"
/usr/bin/python3 - "$history" <<'PY'
import re, sys
difference = float(re.search(r"largest difference ([0-9.eE+-]+)", sys.argv[1]).group(1))
outputs = int(re.match(r"(\d+) interface outputs", sys.argv[1]).group(1))
ok = difference < 1e-6 and outputs >= 2
print(("ok   " if ok else "FAIL ") + f"contact history: {outputs} outputs, sides' mean "
      f"against the run's contact fraction {difference:.2e}")
sys.exit(0 if ok else 1)
PY

# report.py on the reduced runs: report.md with the table of targets, and
# every figure it links to written
mv electrode solid_electrode  # where run.sh puts them
mv embedded_separator solid_in_composite
/usr/bin/python3 "$root/examples/paper-comparison/report.py" . solid liquid insitu_grown > report.log
grep -q "targets met" report.md || { echo "FAIL report.py: no table of targets"; exit 1; }
grep -q "## The composite cathode, homogenised" report.md ||
  { echo "FAIL report.py: no section on the homogenised composite"; exit 1; }
grep -q "converted fraction's rate, end / start" report.md ||
  { echo "FAIL report.py: no row for the resolved particle inside the composite"; exit 1; }
# the particle inside the composite ran on coarser interface faces than
# the solid cell (2 refinements against the input's 3): said, both read
# back from the runs' parameters.prm
grep -q "Its interface is refined 2 times, the solid cell's 3" report.md ||
  { echo "FAIL report.py: the composite particle's coarser faces not named"; exit 1; }
for png in $(grep -o '([a-z_]*\.png)' report.md | tr -d '()' | grep -v '^cut_view'); do
  [ -s "$png" ] || { echo "FAIL report.py: $png linked but not written"; exit 1; }
done
# the microsphere's arrangement, read back from the run's parameters.prm
grep -q "Geometry/Random seed = $(sed -n 's/^ *set Random seed *= *\([0-9]*\).*/\1/p' insitu_grown/parameters.prm)); whether" report.md ||
  { echo "FAIL report.py: the microsphere's random seed not reported"; exit 1; }
echo "ok   report.py: $(grep -o 'targets met' report.md | head -1), $(ls *.png | wc -l) figures"
