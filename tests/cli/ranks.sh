#!/usr/bin/env bash
# The same input on 1 and 2 MPI ranks gives the same statistics.csv and
# cycles.csv to a relative 1e-6 (2D disk and 3D sphere; the disk with its
# outer 1 um refined once more: the interface faces' centres gathered from
# every rank decide which cells are refined).
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
  set Interface refinements = $([ "$dim" = 2 ] && echo 1 || echo 0)
  set Interface refinement depth = 1 # um
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

# Two particles, each at its own potential behind its own electronic
# contact (inputs/fes2_two_particles_2d.prm, electrochemistry only, 1C):
# the potentials' rows are summed over the ranks, which own different
# parts of each particle's interface.
root=$(cd "$here/../.." && pwd)
particles=("$root/inputs/fes2_two_particles_2d.prm" --set "Mechanics/Enable mechanics=false"
           --set "Geometry/Global refinements=0" --set "Operating conditions/C rate=1"
           --set "Output/Write solution=false")
"$MPIRUN" -q --oversubscribe -np 1 "$SSBSIM" "${particles[@]}" --set "Output/Output directory=one_particles" > one_particles.log
"$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" "${particles[@]}" --set "Output/Output directory=two_particles" > two_particles.log
grep -q "2 particles, each at its own potential" one_particles.log
grep -q "particles 0-1 at the end of the discharge: Li content" one_particles.log
for f in statistics.csv cycles.csv; do
  bash "$here/compare_csv.sh" one_particles/$f two_particles/$f 1e-6
done
bash "$here/compare_csv.sh" one_particles/particles.csv two_particles/particles.csv 1e-6
echo "two particles: 1 and 2 ranks agree ($(wc -l < one_particles/statistics.csv) rows)"
# particles.csv: at every step the particles' currents add up to the
# cell's, and the smaller particle (its interface per volume 1.5 times
# the larger's) runs ahead in Li content while both react
/usr/bin/python3 - one_particles <<'PY'
import csv, sys
d = sys.argv[1]
cell = {int(r["step"]): float(r["current_A"]) for r in csv.DictReader(open(f"{d}/statistics.csv"))}
rows = list(csv.DictReader(open(f"{d}/particles.csv")))
by_step = {}
for r in rows:
    by_step.setdefault(int(r["step"]), []).append(r)
assert set(by_step) == set(cell), "particles.csv and statistics.csv cover different steps"
for step, rs in by_step.items():
    assert len(rs) == 2, f"step {step}: {len(rs)} particle rows"
    total = sum(float(r["current_A"]) for r in rs)
    scale = max(abs(cell[step]), max(abs(float(r["current_A"])) for r in rs), 1e-300)
    assert abs(total - cell[step]) <= 1e-8 * scale, f"step {step}: particles {total} A, cell {cell[step]} A"
# particle 0 is the larger disk (coarse-cell order of the mesh: it comes first)
discharge = [rs for s, rs in sorted(by_step.items()) if rs[0]["half_cycle"] == "1"]
half_time = 0.5 * float(discharge[-1][0]["time_s"])
mid = min(discharge, key=lambda rs: abs(float(rs[0]["time_s"]) - half_time))
big, small = float(mid[0]["li_content"]), float(mid[1]["li_content"])
print(f"two particles, mid discharge: Li content {big:.3f} (r 1.2 um) and {small:.3f} (r 0.8 um)")
assert small > big, "the smaller particle should be ahead"
PY

# Coupled runs (mechanics with plastic particle, 2D, C/10): the two
# partitions give different AMG hierarchies, so the Krylov round-off
# differs; with every step's staggered coupling and mechanics Newton
# converged (or the step cut), the cycle results must agree.
# - liquid electrolyte (free particle, contact 1): to 0.1 % in every
#   column (measured 1e-5).
# - solid electrolyte (cohesive-frictional interface, plastic LPS, the
#   debonded faces conducting on their asperities, p / H): to 0.1 % in
#   capacity, efficiency and voltage (measured before the asperity
#   contact: discharge 3e-5, charge 7e-4). Until the friction was
#   regularised (Duvaut-Lions, doc/model.md), mechanics Newton stalls on
#   one partition and not on the other parted the step sequences, and the
#   charge differed by 0.3 %.
cat > coupled.prm <<PRM
subsection Geometry
  set Dimension          = 2
  set Global refinements = 2
end
subsection Operating conditions
  set C rate = 0.1
end
subsection Mechanics
  set Enable mechanics = true
end
subsection Output
  set Write solution = false
  set Progress interval = 1000
end
PRM
# - the in-situ grown microsphere (inputs/fes2_insitu_grown.prm, level 1,
#   C/2): the generated microstructure and the grains' orientations are
#   the same on every partition; the same tolerances (measured: discharge
#   3.5e-5, charge 9e-5, contact 1.5e-4).
for electrolyte in solid liquid insitu_grown; do
if [ "$electrolyte" = insitu_grown ]; then
  run=("$root/inputs/fes2_insitu_grown.prm" --set "Geometry/Global refinements=1"
       --set "Operating conditions/Number of cycles=1" --set "Operating conditions/C rate=0.5"
       --set "Impedance/After each discharge=false" --set "Output/Write solution=false")
else
  run=(coupled.prm --set "Electrolyte/Type=$electrolyte"
       --set "Mechanics/Debonded contact hardness=1900")
fi
"$MPIRUN" -q --oversubscribe -np 1 "$SSBSIM" "${run[@]}" --set "Output/Output directory=one_$electrolyte" > one_$electrolyte.log
"$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" "${run[@]}" --set "Output/Output directory=two_$electrolyte" > two_$electrolyte.log
/usr/bin/python3 - one_$electrolyte/cycles.csv two_$electrolyte/cycles.csv $electrolyte <<'PY'
import csv, sys
one, two = (list(csv.DictReader(open(f)))[0] for f in sys.argv[1:3])
checks = {  # column: (kind, tolerance)
    "discharge_capacity_mAh_g": ("rel", 1e-3),
    "charge_capacity_mAh_g": ("rel", 1e-3),
    "coulombic_efficiency": ("rel", 1e-3),
    "mean_discharge_voltage_V": ("rel", 1e-3),
    "contact_fraction_end_discharge": ("abs", 1e-2),
}
bad = []
for column, (kind, tol) in checks.items():
    a, b = float(one[column]), float(two[column])
    err = abs(a - b) / (abs(a) if kind == "rel" else 1.)
    if not err <= tol:
        bad.append(f"{column}: {a} vs {b} ({kind} {err:.2e} > {tol})")
    print(f"coupled 2D {sys.argv[3]}: {column} {a} vs {b} ({kind} {err:.1e}, allowed {tol})")
if bad:
    sys.exit(f"coupled run ({sys.argv[3]} electrolyte), 1 vs 2 ranks differ:\n" + "\n".join(bad))
if sys.argv[3] == "liquid" and float(one["contact_fraction_end_discharge"]) != 1.0:
    sys.exit("liquid electrolyte: the contact fraction must stay 1")
PY
done

# The microsphere (level 1, 1C, one cycle, coupled) with one option set,
# run on 1 and 2 ranks into one_NAME/ and two_NAME/:
#   microsphere_on_ranks NAME "Section/Entry=value"
microsphere_on_ranks() {
  local run=("$root/inputs/fes2_insitu_grown.prm" --set "$2"
             --set "Geometry/Global refinements=1" --set "Operating conditions/C rate=1"
             --set "Operating conditions/Number of cycles=1"
             --set "Impedance/After each discharge=false" --set "Output/Write solution=false")
  "$MPIRUN" -q --oversubscribe -np 1 "$SSBSIM" "${run[@]}" --set "Output/Output directory=one_$1" > "one_$1.log"
  "$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" "${run[@]}" --set "Output/Output directory=two_$1" > "two_$1.log"
}

# Its empty pore kept as third medium: the medium's unknowns are the
# particle field's, identified across the grains' vertices on both ranks
# (measured: 4e-10).
microsphere_on_ranks pores "Geometry/Empty pores=third medium"
bash "$here/compare_csv.sh" one_pores/cycles.csv two_pores/cycles.csv 1e-6
echo "third medium: 1 and 2 ranks agree"

# Cohesive grain boundaries: each grain colour's own displacement field
# and the cohesive faces between colours, with the ghost faces, assembled
# alike on both ranks (measured: 7e-9 in cycles.csv, 1e-9 in
# statistics.csv); the grain boundaries must have opened as measured
# (strength loss at the end of the charge 0.8782 with the set of session
# 30, 0.7666 with session 35's (i0 1.0 A/m^2, the reduction layer, kept
# expansion 86 %), on either rank count; +-0.01 leaves room for the
# AMG's round-off, not for a change of the law or of its assembly), or
# this compares nothing that the continuous grains do not.
microsphere_on_ranks grains "Mechanics/Grain boundaries=cohesive"
bash "$here/compare_csv.sh" one_grains/cycles.csv two_grains/cycles.csv 1e-6
bash "$here/compare_csv.sh" one_grains/statistics.csv two_grains/statistics.csv 1e-6
/usr/bin/python3 - one_grains/statistics.csv <<'PY'
import csv, sys
damage = float(list(csv.DictReader(open(sys.argv[1])))[-1]["grain_boundary_damage"])
if not abs(damage - 0.767) <= 0.01:
    sys.exit(f"cohesive grain boundaries: strength loss {damage} at the end of the charge, expected 0.767 +- 0.01 (session 35)")
print(f"cohesive grain boundaries: strength loss {damage:.3f} at the end of the charge")
PY
echo "cohesive grain boundaries: 1 and 2 ranks agree"
