#!/usr/bin/env bash
# Every class of bad input: one line "ssbsim: error: ..." on stderr naming
# the parameter, exit code 1, and no output of an earlier run touched.
set -u
: "${SSBSIM:?}" "${MPIRUN:?}"
source "$(dirname "${BASH_SOURCE[0]}")/scratch.sh"

mkdir -p out/solution
echo sentinel > out/statistics.csv
echo sentinel > out/solution/solution-00000.pvtu
failures=0

# expect NAME PATTERN COMMAND...: exit 1, exactly one stderr line matching
expect() {
  local name=$1 pattern=$2
  shift 2
  "$@" > stdout.txt 2> stderr.txt
  local rc=$?
  local lines
  lines=$(wc -l < stderr.txt)
  if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] ||
     ! grep -Eq "^ssbsim: error: .*${pattern}" stderr.txt; then
    echo "FAIL ${name}: exit ${rc}, ${lines} stderr line(s):"
    cat stderr.txt
    failures=$((failures + 1))
  else
    echo "ok   ${name}: $(cat stderr.txt)"
  fi
  if [ "$(cat out/statistics.csv)" != sentinel ] ||
     [ "$(cat out/solution/solution-00000.pvtu)" != sentinel ]; then
    echo "FAIL ${name}: an earlier run's output was overwritten"
    failures=$((failures + 1))
  fi
}

prm() { # prm FILE LINES...: a parameter file writing to out/
  local file=$1
  shift
  printf '%s\n' "$@" "subsection Output" "  set Output directory = out" "end" > "$file"
}

prm ok.prm "subsection Geometry" "  set Dimension = 2" "end"

expect "missing file" "does not exist" "$SSBSIM" nowhere.prm
expect "no input" "no input file" "$SSBSIM"
expect "unknown option" "unknown option '--frobnicate'" "$SSBSIM" --frobnicate ok.prm
prm unknown.prm "subsection Geometry" "  set Particle size = 3" "end"
expect "unknown name" "Particle size" "$SSBSIM" unknown.prm
prm range.prm "subsection Operating conditions" "  set Temperature = 1000" "end"
expect "out of range" "Temperature.*150\.\.\.500" "$SSBSIM" range.prm
prm type.prm "subsection Operating conditions" "  set Number of cycles = two" "end"
expect "wrong type" "Number of cycles.*Integer" "$SSBSIM" type.prm
prm selection.prm "subsection Geometry" "  set Type = cube" "end"
expect "bad selection" "Type.*sphere in box\|porous microsphere\|layered\|gmsh file" "$SSBSIM" selection.prm
prm grains.prm "subsection Geometry" "  set Type = porous microsphere" "  set Grain radius = 2" "end"
expect "grains larger than the microsphere" "parameter 'Geometry/Grain radius': must be at most half of 'Particle radius'" "$SSBSIM" grains.prm
prm orientation.prm "subsection Particle" "  set Orientation = random per grain" "end" \
  "subsection Mechanics" "  set Enable mechanics = true" "  set Swelling anisotropy = 1, 1, 2" "end"
prm history.prm "subsection Particle" "  set Blocking follows = conversion history" "end"
expect "blocking history without a history" "parameter 'Particle/Blocking follows': 'conversion history' needs Particle/Irreversible conversion = true" "$SSBSIM" history.prm
expect "random orientation with anisotropic swelling" "parameter 'Particle/Orientation': 'random per grain' orients the diffusivity only" "$SSBSIM" orientation.prm
prm fractions.prm "subsection Electrode" "  set Active material fraction = 0.7" \
  "  set Electrolyte fraction = 0.4" "end"
expect "electrode fractions over one" "parameter 'Electrode/Electrolyte fraction': plus Electrode/Active material fraction must not exceed 1" \
  "$SSBSIM" --electrode fractions.prm
expect "--electrode without a file" "option '--electrode' needs a value" "$SSBSIM" --electrode
prm embedded.prm "subsection Electrode" "  set Resolved particle depth = 2" "end" \
  "subsection Impedance" "  set After each discharge = true" "end"
expect "embedded particle with impedance" "parameter 'Electrode/Resolved particle depth': the particle inside the composite has no impedance yet" \
  "$SSBSIM" embedded.prm
prm deep.prm "subsection Electrode" "  set Thickness = 10" "  set Resolved particle depth = 20" "end"
expect "embedded particle beyond the composite" "parameter 'Electrode/Resolved particle depth': lies beyond the composite" \
  "$SSBSIM" deep.prm
expect "embedded particle among particles with their own potentials" "parameter 'Electrode/Resolved particle depth': the particle held at the potential of its depth needs one potential" \
  "$SSBSIM" ok.prm --set "Electrode/Resolved particle depth=2" --set "Geometry/Particle radii=1, 1" \
  --set "Kinetics/Electronic contact resistance=0.005"
expect "interface state from a resolved particle that is not inside" "parameter 'Electrode/Interface state': 'resolved particle' needs the resolved particle inside the composite" \
  "$SSBSIM" ok.prm --set "Electrode/Interface state=resolved particle"
prm unbalanced.prm "subsection Geometry" "  set Dimension = 2"
expect "unbalanced subsection" "subsection" "$SSBSIM" unbalanced.prm
prm liquid.prm "subsection Electrolyte" "  set Type = gel" "end"
expect "bad electrolyte type" "Type.*solid\|liquid" "$SSBSIM" liquid.prm
prm floating.prm "subsection Electrolyte" "  set Type = liquid" "end" \
  "subsection Mechanics" "  set Enable mechanics = true" \
  "  set Interface residual stiffness = 0" "end"
expect "liquid without residual stiffness" \
  "Interface residual stiffness.*must be > 0 with Electrolyte/Type = liquid" \
  "$SSBSIM" floating.prm
prm charged.prm "subsection Mechanics" "  set Charged product volume expansion = 200" "end"
expect "charged product larger than the swelling" \
  "Charged product volume expansion.*must not exceed Mechanics/Volume expansion" \
  "$SSBSIM" charged.prm
prm history.prm "subsection Mechanics" "  set Charged product volume expansion = 50" "end"
expect "charged product without conversion history" \
  "Charged product volume expansion.*needs Particle/Irreversible conversion = true" \
  "$SSBSIM" history.prm
prm cutoffs.prm "subsection Operating conditions" "  set Lower cutoff voltage = 3.5" "end"
expect "impossible cutoffs" "Lower cutoff voltage.*Upper cutoff voltage" "$SSBSIM" cutoffs.prm
expect "impedance frequencies" "Impedance/Minimum frequency.*Maximum frequency" \
  "$SSBSIM" ok.prm --set "Impedance/Minimum frequency=1e3" --set "Impedance/Maximum frequency=10"
prm box.prm "subsection Geometry" "  set Particle radius = 5" "  set Box size = 8" "end"
expect "particle larger than box" "Box size" "$SSBSIM" box.prm
expect "one of the particle radii larger than the box" "Box size.*Particle radii" \
  "$SSBSIM" ok.prm --set "Geometry/Particle radii=2.5, 4"
expect "particle radii for a layered electrode" "Geometry/Particle radii.*sphere in box or porous microsphere only" \
  "$SSBSIM" ok.prm --set "Geometry/Type=layered" --set "Geometry/Particle radii=1, 1"
expect "a microsphere of the row smaller than two grains" "Geometry/Grain radius.*each of 'Particle radii'" \
  "$SSBSIM" ok.prm --set "Geometry/Type=porous microsphere" --set "Geometry/Particle radii=2.5, 0.8"
prm steps.prm "subsection Time stepping" "  set Initial time step = 1000" "end"
expect "time steps out of order" "Initial time step" "$SSBSIM" steps.prm
prm ocv.prm "subsection Kinetics" "  set Discharge open circuit table = 0:2, 0:1" "end"
expect "bad open-circuit table" "Discharge open circuit table" "$SSBSIM" ocv.prm
prm ocvnan.prm "subsection Kinetics" "  set Discharge open circuit table = 0:2, 0.5:nan, 1:1" "end"
expect "NaN in an open-circuit table" "Discharge open circuit table.*not a finite" "$SSBSIM" --validate ocvnan.prm
prm ocvinf.prm "subsection Kinetics" "  set Charge open circuit table = 0:2, 0.5:inf, 1:1" "end"
expect "inf in an open-circuit table" "Charge open circuit table.*not a finite" "$SSBSIM" ocvinf.prm
prm ocvfile.prm "subsection Kinetics" "  set Charge open circuit file = none.csv" "end"
expect "missing open-circuit file" "Charge open circuit file" "$SSBSIM" ocvfile.prm
expect "--set out of range" "C rate.*Double" "$SSBSIM" ok.prm --set "Operating conditions/C rate=-1"
expect "negative electronic contact resistance" "Electronic contact resistance.*Double" \
  "$SSBSIM" ok.prm --set "Kinetics/Electronic contact resistance=-0.01"
expect "creep in an elastic electrolyte" \
  "Mechanics/Electrolyte creep rate.*Electrolyte plasticity = true" "$SSBSIM" ok.prm \
  --set "Mechanics/Electrolyte plasticity=false" --set "Mechanics/Electrolyte creep rate=1e-6"
expect "compaction in an elastic electrolyte" \
  "Mechanics/Electrolyte porosity.*Electrolyte plasticity = true" "$SSBSIM" ok.prm \
  --set "Mechanics/Electrolyte plasticity=false" --set "Mechanics/Electrolyte porosity=0.1"
expect "porosity out of range" "Electrolyte porosity" "$SSBSIM" ok.prm \
  --set "Mechanics/Electrolyte porosity=0.7"
expect "--set unknown name" "Geometry/Colour" "$SSBSIM" ok.prm --set "Geometry/Colour=red"
expect "--set without value" "Section/Name=value" "$SSBSIM" ok.prm --set "Geometry/Dimension"
expect "--set with an empty name" "empty section or parameter name" "$SSBSIM" ok.prm --set "Geometry/Dimension/=2"
expect "swelling without in-plane share" "Mechanics/Swelling anisotropy.*w_a \+ w_b > 0" "$SSBSIM" ok.prm --set "Mechanics/Swelling anisotropy=0, 0, 1"
expect "debonded cap off the plane" "Mechanics/Initially debonded direction.*x and y not both 0 in 2D" \
  "$SSBSIM" ok.prm --set "Mechanics/Initially debonded fraction=0.25" \
  --set "Mechanics/Initially debonded direction=0, 0, 1"
expect "grain boundaries with the third medium" \
  "Mechanics/Grain boundaries.*Empty pores = third medium.*allowed: 'continuous'" \
  "$SSBSIM" ok.prm --set "Mechanics/Enable mechanics=true" --set "Mechanics/Grain boundaries=cohesive" \
  --set "Geometry/Empty pores=third medium"
expect "grain boundaries neither continuous nor cohesive" "Grain boundaries" \
  "$SSBSIM" ok.prm --set "Mechanics/Grain boundaries=open"
expect "debonded fraction above 1" "Initially debonded fraction" \
  "$SSBSIM" ok.prm --set "Mechanics/Initially debonded fraction=1.5"
expect "debonded fractions not one per particle" \
  "Mechanics/Initially debonded fraction.*has 3 values for 2 particles" \
  "$SSBSIM" ok.prm --set "Geometry/Particle radii=1, 1" \
  --set "Mechanics/Initially debonded fraction=0, 0.1, 0.2"
expect "ion-blocked cap off the plane" "Kinetics/Ion-blocked direction.*x and y not both 0 in 2D" \
  "$SSBSIM" ok.prm --set "Kinetics/Ion-blocked fraction=0.5" \
  --set "Kinetics/Ion-blocked direction=0, 0, 1"
expect "ion-blocked fraction above 1" "Ion-blocked fraction" \
  "$SSBSIM" ok.prm --set "Kinetics/Ion-blocked fraction=1.2"
expect "ion-blocked fractions not one per particle" \
  "Kinetics/Ion-blocked fraction.*has 2 values for 1 particles" \
  "$SSBSIM" ok.prm --set "Kinetics/Ion-blocked fraction=0.1, 0.2"
expect "ion-blocked edge wider than a half turn" "Ion-blocked edge width" \
  "$SSBSIM" ok.prm --set "Kinetics/Ion-blocked edge width=200"

prm nomesh.prm "subsection Geometry" "  set Type = gmsh file" "  set Mesh file = absent.msh" "end"
expect "missing mesh file" "Mesh file.*absent.msh" "$SSBSIM" nomesh.prm

# a 2D mesh whose only cell carries material id 7
cat > wrong_ids.msh <<'MSH'
$MeshFormat
2.2 0 8
$EndMeshFormat
$Nodes
4
1 0 0 0
2 1 0 0
3 1 1 0
4 0 1 0
$EndNodes
$Elements
1
1 3 2 7 1 1 2 3 4
$EndElements
MSH
prm ids.prm "subsection Geometry" "  set Dimension = 2" "  set Type = gmsh file" \
  "  set Mesh file = wrong_ids.msh" "end"
expect "mesh without material ids" "Mesh file.*material id 7" "$SSBSIM" ids.prm
prm dim.prm "subsection Geometry" "  set Dimension = 3" "  set Type = gmsh file" \
  "  set Mesh file = wrong_ids.msh" "end"
expect "2D mesh read as 3D" "Mesh file.*Dimension" "$SSBSIM" dim.prm

# a mesh of triangles (deal.II reads them as simplex cells): refused, also
# by --validate and under MPI (it was a segmentation fault)
cat > triangles.msh <<'MSH'
$MeshFormat
2.2 0 8
$EndMeshFormat
$Nodes
4
1 0 0 0
2 1 0 0
3 1 1 0
4 0 1 0
$EndNodes
$Elements
3
1 1 2 1 1 1 2
2 2 2 2 1 1 2 3
3 2 2 1 1 1 3 4
$EndElements
MSH
prm triangles.prm "subsection Geometry" "  set Dimension = 2" "  set Type = gmsh file" \
  "  set Mesh file = triangles.msh" "end"
expect "triangle mesh" "Mesh file.*not quadrilaterals" "$SSBSIM" triangles.prm
expect "triangle mesh, --validate" "Mesh file.*not quadrilaterals" "$SSBSIM" --validate triangles.prm
expect "triangle mesh on 2 ranks" "Mesh file.*not quadrilaterals" \
  "$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" triangles.prm

# include statements that form a cycle (deal.II recursed until the stack
# overflowed); a file included twice without a cycle is fine
printf 'include self.prm\n' > self.prm
expect "file including itself" "self.prm.*cycle" "$SSBSIM" --validate self.prm
printf 'include cycle_b.prm\n' > cycle_a.prm
printf '# a comment\n  include   cycle_a.prm # and another\n' > cycle_b.prm
expect "include cycle" "cycle_a.prm' includes '.*cycle_b.prm' includes '.*cycle_a.prm'" \
  "$SSBSIM" cycle_a.prm
printf 'include ok.prm\ninclude ok.prm\n' > twice.prm
"$SSBSIM" --validate twice.prm > /dev/null || { echo "FAIL a file included twice"; failures=$((failures + 1)); }

# numbers that are not numbers in an open-circuit CSV file
printf 'theta,U\n0,2\n0.5,nan\n1,1\n' > nan.csv
printf 'theta,U\n0,2\n0.5,inf\n1,1\n' > inf.csv
for bad in nan inf; do
  prm "ocv${bad}file.prm" "subsection Kinetics" "  set Discharge open circuit file = ${bad}.csv" "end"
  expect "${bad} in an open-circuit file" "Discharge open circuit file.*line 3" \
    "$SSBSIM" --validate "ocv${bad}file.prm"
done

# a mesh that cannot fit: refused before it is built, naming the estimate
expect "3D mesh too large" "Global refinements' = 9: the mesh would have .* cells, about .* GB per rank on 1 rank.*GB are available" \
  "$SSBSIM" --validate ok.prm --set "Geometry/Dimension=3" --set "Mechanics/Enable mechanics=true" \
  --set "Geometry/Global refinements=9"
expect "mesh over the memory limit" "Global refinements' = 4.*0.5 GB are available per rank \('Solver/Memory per rank'\)" \
  "$SSBSIM" ok.prm --set "Geometry/Dimension=3" --set "Mechanics/Enable mechanics=true" \
  --set "Geometry/Global refinements=4" --set "Solver/Memory per rank=0.5"
expect "mesh too large on 2 ranks" "Global refinements' = 4.*on 2 rank" \
  "$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" ok.prm --set "Geometry/Dimension=3" \
  --set "Mechanics/Enable mechanics=true" --set "Geometry/Global refinements=4" \
  --set "Solver/Memory per rank=0.5"

# under MPI: still one line, exit 1, no abort trace
expect "bad input on 2 ranks" "Temperature" \
  "$MPIRUN" -q --oversubscribe -np 2 "$SSBSIM" range.prm

# --validate writes nothing
rm -rf fresh
prm fresh.prm "subsection Geometry" "  set Dimension = 2" "end"
sed -i 's/= out$/= fresh/' fresh.prm
"$SSBSIM" --validate fresh.prm > /dev/null || { echo "FAIL validate of a good file"; failures=$((failures + 1)); }
[ -e fresh ] && { echo "FAIL --validate created the output directory"; failures=$((failures + 1)); }

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
