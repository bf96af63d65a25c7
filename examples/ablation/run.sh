#!/usr/bin/env bash
# Ablation of the numerical aids of the coupled model: each aid at its
# default, at half and at a tenth of it (one at a time), on the coupled 2D
# cell of coupled_2d.prm; prints a markdown table of the first-cycle
# discharge capacity and coulombic efficiency and their change against the
# default run. About a minute per run on one core.
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
  "contact smoothing (nm)|Mechanics/Interface contact smoothing|0.5"
  "residual contact factor|Mechanics/Residual contact factor|1e-10"
  "coupling tolerance|Mechanics/Coupling tolerance|0.01"
  "penalty stiffness (GPa/um)|Mechanics/Interface penalty stiffness|1000"
)

run() { # directory, extra --set arguments...
  local dir="$1"
  shift
  if [ ! -f "${out}/${dir}/cycles.csv" ]; then
    mpirun -q --oversubscribe -np "${ranks}" "${binary}" \
      "${here}/coupled_2d.prm" --set "Output/Output directory=${out}/${dir}" "$@" \
      > "${out}/${dir}.log" 2>&1 || echo "ssbsim: ${dir} failed, see ${out}/${dir}.log" >&2
  fi
}

run default
for aid in "${aids[@]}"; do
  IFS='|' read -r name parameter value <<< "${aid}"
  for factor in 0.5 0.1; do
    scaled=$(/usr/bin/python3 -c "print('%g' % (${value} * ${factor}))")
    run "$(echo "${parameter##*/}" | tr ' ' '_')_x${factor}" --set "${parameter}=${scaled}"
  done
done

/usr/bin/python3 - "${out}" "${aids[@]}" <<'PY'
import csv, os, sys
out, aids = sys.argv[1], sys.argv[2:]
def cycle(d):
    f = os.path.join(out, d, "cycles.csv")
    if not os.path.exists(f):
        return None
    r = list(csv.DictReader(open(f)))[0]
    return float(r["discharge_capacity_mAh_g"]), float(r["coulombic_efficiency"])
q0, e0 = cycle("default")
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
