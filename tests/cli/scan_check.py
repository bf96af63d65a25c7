"""examples/paper-comparison/scan.py against a program whose outputs are
known: a stand-in for ssbsim writes, into the output directory it is
given, a composite (electrode.csv) whose first cycle's capacities and
voltages are set by its arguments, and a particle (statistics.csv) whose
deepest front grows as t^p and whose converted fraction grows linearly.
The table must read those back (the front's slowing (1 - 0.9^p) / 0.1^p,
the converted fraction's rate 1, the depth ratio 2, the composite's
efficiency and hysteresis), every variant must get its arguments in the
documented order (the base, the particle one radius deep, --coarse's
faces, the closure, --set, its own entries; the input's own interface
faces unless --coarse), a finished variant must not run again, and a
failed variant or bad input must end with exit code 1, a message naming
it, and no table. Seconds; the scratch directory is removed when every
check passed.

Usage: /usr/bin/python3 scan_check.py <examples/paper-comparison>
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here))
sys.path.insert(0, sys.argv[1])
import scan  # noqa: E402
from known_answer import check, expect, failures, finish  # noqa: E402

STAND_IN = r'''#!/usr/bin/python3
import sys
from pathlib import Path
args = sys.argv[1:]
entries = [args[k + 1] for k in range(1, len(args) - 1, 2) if args[k] == "--set"]
value = {}
for e in entries:
    name, v = e.split("=", 1)
    value[name] = v  # a later entry wins, as in ssbsim
out = Path(value["Output/Output directory"])
out.mkdir(parents=True, exist_ok=True)
with open(out.parent / "calls", "a") as f:
    f.write(out.name + "\n")
(out / "arguments").write_text("\n".join(args) + "\n")
if value.get("Fake/fail") == "true":
    sys.exit(3)
p = float(value.get("Fake/front exponent", "0.5"))
q = float(value.get("Fake/capacity", "600"))
rows = ["time_s,cycle,half_cycle,conversion_fraction,converted_depth_x_m,converted_depth_y_m,converted_depth_z_m"]
for s in range(3601):
    y = 1e-6 * ((s - 100. + 1e-12) / 3500.) ** p if s >= 100 else 0.
    rows.append(f"{s},1,1,{0.5 * s / 3600},{0.5 * y},{y},0")
rows.append("7200,1,2,0.25,0,0,0")
(out / "statistics.csv").write_text("\n".join(rows) + "\n")
(out / "cycles.csv").write_text("cycle\n1\n")
# the composite: a discharge of q at 1.5 V, the charge of half of it at 2.0 V
rows = ["time_s,capacity_mAh_g,voltage_V,li_content"]
for k in range(11):
    rows.append(f"{k},{q * k / 10},1.5,{0.1 * k}")
for k in range(1, 11):
    rows.append(f"{10 + k},{0.5 * q * k / 10},2.0,{1 - 0.05 * k}")
(out / "electrode.csv").write_text("\n".join(rows) + "\n")
'''


def run(out, *args):
    result = subprocess.run([sys.executable, str(Path(sys.argv[1]) / "scan.py"), str(out),
                             *args], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def given_arguments(directory):
    """(the input file, the --set entries in order) the stand-in got
    for the variant in @p directory."""
    given = (directory / "arguments").read_text().split("\n")[:-1]
    return given[0], [given[i + 1] for i in range(1, len(given) - 1, 2)]


work = Path(tempfile.mkdtemp(prefix="scan_check."))
stand_in = work / "ssbsim"
stand_in.write_text(STAND_IN)
stand_in.chmod(0o755)
os.environ["SSBSIM_BINARY"] = str(stand_in)
radius = scan.input_radius(scan.INPUT)

# 1. two variants with the closure and a common entry: the table's values
variants = ["sqrt; Fake/front exponent=0.5", "Fake/front exponent=1; Fake/capacity=800; "
            "Geometry/Particle radius=1.75"]
code, log = run(work / "a", "--closure", "--set", "Fake/capacity=700",
                "--variant", variants[0], "--variant", variants[1])
expect("two variants run", code == 0, log)
for k, (p, q) in enumerate([(0.5, 700.), (1., 800.)], 1):
    m = scan.measure(work / "a" / f"variant-{k}")
    check(f"variant {k}: front velocity ratio, t^{p}", m["front"], (1 - 0.9 ** p) / 0.1 ** p, 3e-3)
    check(f"variant {k}: converted fraction's rate", m["rate"], 1., 1e-9)
    check(f"variant {k}: depth ratio", m["depth_ratio"], 2., 1e-9)
    check(f"variant {k}: converted", m["converted"], 0.5, 1e-12)
    check(f"variant {k}: composite discharge", m["discharge_mAh_g"], q, 1e-9)
    check(f"variant {k}: composite mean discharge voltage", m["mean_discharge_V"], 1.5, 1e-12)
    check(f"variant {k}: composite efficiency", m["coulombic_efficiency"], 0.5, 1e-12)
    check(f"variant {k}: composite hysteresis", m["hysteresis_V"], 0.5, 1e-12)
table = (work / "a" / "scan.md").read_text() if (work / "a" / "scan.md").exists() else ""
expect("scan.md: the labels", "| variant | sqrt | Fake/front exponent=1; Fake/capacity=800; "
       "Geometry/Particle radius=1.75 |" in table, table)
expect("scan.md: the first variant's front and the second's composite",
       "| imaged: front velocity, end / start | 0.162 | 1 |" in table and
       "| composite discharge (mAh/g) @ mean V | 700 @ 1.5 | 800 @ 1.5 |" in table, table)
expect("standard output holds the table", table and table in log, log)

# 2. the arguments: the input, the base, the depth (the input's radius or
#    the variant's), the closure, --set, the variant's, the output last
for k, depth, own in [(1, radius, ["Fake/front exponent=0.5"]),
                      (2, "1.75", ["Fake/front exponent=1", "Fake/capacity=800",
                                   "Geometry/Particle radius=1.75"])]:
    first, entries = given_arguments(work / "a" / f"variant-{k}")
    expected = scan.BASE + [f"Electrode/Resolved particle depth={depth}"] + scan.CLOSURE + \
        ["Fake/capacity=700"] + own + [f"Output/Output directory={work / 'a' / f'variant-{k}'}"]
    expect(f"variant {k}: the input file first", first == str(scan.INPUT), first)
    expect(f"variant {k}: the entries in order", entries == expected,
           f"{entries} against {expected}")

# 3. run again: both kept; a changed variant runs again
calls = (work / "a" / "calls").read_text()
code, log = run(work / "a", "--closure", "--set", "Fake/capacity=700",
                "--variant", variants[0], "--variant", variants[1])
expect("a finished scan is kept", code == 0 and (work / "a" / "calls").read_text() == calls
       and log.count("done before, kept") == 2, log)
code, log = run(work / "a", "--set", "Fake/capacity=700",
                "--variant", variants[0], "--variant", variants[1])
expect("without the closure both run again",
       code == 0 and (work / "a" / "calls").read_text().count("\n") == calls.count("\n") + 2, log)
given = (work / "a" / "variant-1" / "arguments").read_text()
expect("without --closure no closure entry",
       not any(c in given for c in scan.CLOSURE), given)
expect("without --coarse the input's interface faces", "Interface refinements" not in given,
       given)

# 3b. --coarse: its faces before the closure, named under the table
code, log = run(work / "d", "--coarse", "--closure", "--variant", variants[0])
_, entries = given_arguments(work / "d" / "variant-1")
expected = scan.BASE + [f"Electrode/Resolved particle depth={radius}"] + scan.COARSE + \
    scan.CLOSURE + ["Fake/front exponent=0.5", f"Output/Output directory={work / 'd' / 'variant-1'}"]
expect("--coarse: the entries in order", code == 0 and entries == expected,
       f"{entries} against {expected}: {log}")
table = (work / "d" / "scan.md").read_text() if (work / "d" / "scan.md").exists() else ""
expect("--coarse: named under the table", scan.COARSE[0] in table.split("\n")[-2]
       and "the input's interface faces" not in table, table)
expect("default: the input's faces named under the table",
       "Every variant: the input's interface faces" in (work / "a" / "scan.md").read_text())

# 4. a failed variant: exit 1, its log named, no table; the other runs
code, log = run(work / "b", "--variant", variants[0], "--variant", "bad; Fake/fail=true")
expect("a failed variant: exit code 1", code == 1, f"exit {code}: {log}")
expect("a failed variant: named with its log",
       "variant 2 (bad): exit code 3, see" in log and "variant-2.log" in log, log)
expect("a failed variant: no table", not (work / "b" / "scan.md").exists()
       and not (work / "b" / "scan.md.part").exists())
expect("a failed variant: the other ran", (work / "b" / "variant-1" / "statistics.csv").exists())

# 4b. a variant that fails where another finished before: that one's
#     arguments then run again, not read from the failed run's outputs
calls = (work / "a" / "calls").read_text().count("\n")
code, log = run(work / "a", "--variant", "bad; Fake/fail=true")
expect("a failed run over a finished variant: exit code 1", code == 1, log)
code, log = run(work / "a", "--set", "Fake/capacity=700", "--variant", variants[0])
expect("the finished variant runs again after a failed run in its place",
       code == 0 and (work / "a" / "calls").read_text().count("\n") == calls + 2, log)

# 5. bad input: exit 1, the option named, nothing run
for args, words in [(["--variant", "just a label"], "--variant 'just a label' has no entry"),
                    (["--variant", "x; Electrode/Particle radius"], "is not an entry"),
                    (["--variant", "x; A/b=1", "--set", "nonsense"], "--set 'nonsense'"),
                    (["--variant", "x; A/b=1", "--jobs", "0"], "--jobs 0")]:
    code, log = run(work / "c", *args)
    expect(f"refused: {' '.join(args)}", code == 1 and words in log, f"exit {code}: {log}")
expect("refused input runs nothing", not (work / "c" / "calls").exists())
os.environ["SSBSIM_BINARY"] = str(work / "missing")
code, log = run(work / "c", "--variant", "x; A/b=1")
expect("no program: exit 1, named", code == 1 and "no program at" in log, log)

if not failures:
    shutil.rmtree(work)
finish()
