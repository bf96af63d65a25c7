#!/usr/bin/env bash
# Ablation of the numerical aids of the coupled model: each aid at its
# default, at half and at a tenth of it (one at a time), on the coupled 2D
# cell of coupled_2d.prm; prints a markdown table of the first-cycle
# discharge capacity and coulombic efficiency and their change against the
# default run, and before it a table of physical variants (elastic bodies,
# intact or frictionless interface, stress coupling, yield stress). About
# two minutes per run on one core; finished runs are not redone.
#   examples/ablation/run.sh [output-directory] [ranks]
# SSBSIM_BINARY overrides the program (default: the build's ssbsim).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/../../scripts/setup.sh" >&2 # the table alone on stdout
out="${1:-${SSBSIM_ROOT}/results/ablation}"
ranks="${2:-1}"
binary="${SSBSIM_BINARY:-${SSBSIM_BUILD}/ssbsim}"
mkdir -p "${out}"

# name|parameter|default value (in the parameter's unit)
aids=(
  "interface viscosity (s)|Mechanics/Interface viscosity|100"
  "interface damping (MPa s/nm)|Mechanics/Interface damping|0.01"
  "residual stiffness (x penalty)|Mechanics/Interface residual stiffness|1e-6"
  "contact smoothing (nm)|Mechanics/Interface contact smoothing|1"
  "friction viscosity (s)|Mechanics/Interface friction viscosity|1"
  "residual contact factor|Mechanics/Residual contact factor|1e-10"
  "coupling tolerance|Mechanics/Coupling tolerance|0.01"
  "penalty stiffness (GPa/um)|Mechanics/Interface penalty stiffness|1000"
  "stress factor change per step|Time stepping/Target stress factor change|0.2"
  "maximum time step (s)|Time stepping/Maximum time step|120"
)

run() { # directory, extra --set arguments...
  local dir="$1"
  shift
  # finished: cycles.csv holds the first cycle (a run starts it as a header)
  if ! grep -q '^1,' "${out}/${dir}/cycles.csv" 2> /dev/null; then
    mpirun -q --oversubscribe -np "${ranks}" "${binary}" \
      "${here}/coupled_2d.prm" --set "Output/Output directory=${out}/${dir}" "$@" \
      > "${out}/${dir}.log" 2>&1 || echo "ssbsim: ${dir} failed, see ${out}/${dir}.log" >&2
  fi
}

# the physics beside the default (not numerical aids): name|--set arguments
variants=(
  "elastic LPS|Mechanics/Electrolyte plasticity=false"
  "elastic particle, sigma_h bound 500 MPa|Mechanics/Particle plasticity=false|Particle/Stress coupling limit=500"
  "interface held intact|Mechanics/Hold interface intact=true"
  "frictionless interface|Mechanics/Interface friction coefficient=0"
  "no stress factor|Particle/Li migration activation volume=0"
  "converted yield 500 MPa|Mechanics/Converted yield stress=500"
  "converted yield 2000 MPa|Mechanics/Converted yield stress=2000"
  "sigma_h bound 1000 MPa|Particle/Stress coupling limit=1000"
)

run default
for variant in "${variants[@]}"; do
  IFS='|' read -r -a fields <<< "${variant}"
  sets=()
  for setting in "${fields[@]:1}"; do sets+=(--set "${setting}"); done
  run "variant_$(echo "${fields[0]}" | tr -c 'a-zA-Z0-9\n' '_')" "${sets[@]}"
done
for aid in "${aids[@]}"; do
  IFS='|' read -r name parameter value <<< "${aid}"
  for factor in 0.5 0.1; do
    scaled=$(/usr/bin/python3 -c "print('%g' % (${value} * ${factor}))")
    run "$(echo "${parameter##*/}" | tr ' ' '_')_x${factor}" --set "${parameter}=${scaled}"
  done
done

/usr/bin/python3 - "${out}" "${#variants[@]}" "${variants[@]}" "${aids[@]}" <<'PY'
import csv, os, re, sys
out, n = sys.argv[1], int(sys.argv[2])
variants, aids = sys.argv[3:3 + n], sys.argv[3 + n:]
def first_cycle(d):
    # the first row of cycles.csv, None if the run did not finish it
    f = os.path.join(out, d, "cycles.csv")
    rows = list(csv.DictReader(open(f))) if os.path.exists(f) else []
    return rows[0] if rows else None
def cycle(d):
    r = first_cycle(d)
    if r is None:
        return None
    return float(r["discharge_capacity_mAh_g"]), float(r["coulombic_efficiency"])
q0, e0 = cycle("default")
print("| run | discharge mAh/g | charge mAh/g | efficiency | hysteresis V "
      "| contact end of discharge | contact end of charge | cut steps |")
print("|---|---|---|---|---|---|---|---|")
for name, d in [("default", "default")] + [
        (v.split("|")[0], "variant_" + re.sub(r"[^a-zA-Z0-9\n]", "_", v.split("|")[0]))
        for v in variants]:
    c = first_cycle(d)
    if c is None:
        print("| %s | failed | | | | | | |" % name)
        continue
    stats = list(csv.DictReader(open(os.path.join(out, d, "statistics.csv"))))
    print("| %s | %.1f | %.1f | %.3f | %.3f | %.3g | %.3g | %d |" % (
        name, float(c["discharge_capacity_mAh_g"]), float(c["charge_capacity_mAh_g"]),
        float(c["coulombic_efficiency"]), float(c["hysteresis_V"]),
        float(c["contact_fraction_end_discharge"]), float(stats[-1]["contact_fraction"]),
        sum(int(r["rejected_attempts"]) for r in stats)))
print()
print("| aid (default) | factor | discharge mAh/g | change | efficiency | change |")
print("|---|---|---|---|---|---|")
print("| all at default | 1 | %.1f | | %.3f | |" % (q0, e0))
for aid in aids:
    name, parameter, value = aid.split("|")
    for factor in ("0.5", "0.1"):
        d = parameter.split("/")[-1].replace(" ", "_") + "_x" + factor
        r = cycle(d)
        if r is None:
            print("| %s (%s) | %s | failed | | | |" % (name, value, factor))
            continue
        q, e = r
        print("| %s (%s) | %s | %.1f | %+.1f %% | %.3f | %+.1f %% |"
              % (name, value, factor, q, 100 * (q / q0 - 1), e, 100 * (e / e0 - 1)))
PY
