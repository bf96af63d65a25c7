#!/usr/bin/python3
"""The solid cell's particle inside its composite cathode, run for a list
of variants side by side: one column per variant of the table that
doc/calibration.md gives from session 37 on (the composite's first cycle
around the particle, and the particle's converted fraction, front
slowing and depth ratio: report.py's readings of Fig. 3E and Fig. 4).

Each variant runs inputs/fes2_solid.prm inside its composite at the
input's own interface faces (0.125 um), one cycle, no impedance, no field
output, the particle's centre one radius from the separator, then every
--set, then the variant's own entries: a later entry wins. --closure
adds the interface state closure of sessions 41-47 (Electrode/Interface
state = resolved particle, Electrode/Reacting share = 0.6). About 12
minutes a variant on one core; --jobs at a time. --coarse runs at
run.sh's solid_in_composite faces of 0.25 um instead (about 3 minutes):
for scouting only, as the particle's front reads differently there
(doc/calibration.md, session 49: 0.29 against 0.55 at path (1)'s best
point).

  examples/paper-comparison/scan.py OUT \\
      --variant "1.5 um; Electrode/Particle radius=1.5" \\
      --variant "1.75 um; Electrode/Particle radius=1.75" \\
      [--closure] [--coarse] [--jobs 2] [--set "Particle/Diffusivity converted=1e-15"]

A variant is a label and entries "Section/Entry=value", separated by
";" (the label may be left out: the entries name the column). Variant k
runs in OUT/variant-k (its log OUT/variant-k.log); one whose directory
holds the results of the same arguments is not run again. The table goes
to standard output and to OUT/scan.md, written only when every variant
has run. SSBSIM_BINARY overrides the program (default: the build's
ssbsim, SSBSIM_BUILD or build/).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INPUT = ROOT / "inputs" / "fes2_solid.prm"
# run.sh's solid_in_composite, but for the depth (the radius: below) and
# the faces (the input's unless COARSE)
BASE = ["Operating conditions/Number of cycles=1",
        "Impedance/After each discharge=false",
        "Output/Write solution=false"]
COARSE = ["Geometry/Interface refinements=2"]
CLOSURE = ["Electrode/Interface state=resolved particle",
           "Electrode/Reacting share=0.6"]
ENTRY = re.compile(r"^[^/=;]+(/[^/=;]+)+=[^;]*$")


class Refused(Exception):
    """Bad input: the message names the option."""


def parse_variant(text):
    """(label, entries) of a --variant: fields separated by ';', an
    optional first field without '=' the label."""
    fields = [f.strip() for f in text.split(";") if f.strip()]
    label = fields.pop(0) if fields and "=" not in fields[0] else None
    if not fields:
        raise Refused(f"--variant '{text}' has no entry: give "
                      "\"label; Section/Entry=value; ...\"")
    for f in fields:
        if not ENTRY.match(f):
            raise Refused(f"--variant '{text}': '{f}' is not an entry "
                          "\"Section/Entry=value\"")
    return (label or "; ".join(fields)), [re.sub(r"\s*=\s*", "=", f, count=1) for f in fields]


def input_radius(path):
    """Geometry/Particle radius (um) of the input file @p path."""
    radius = report.prm_entry(path, "Geometry/Particle radius")
    if radius is None:
        raise Refused(f"{path} has no Geometry/Particle radius")
    return radius


def arguments(entries, directory, radius):
    """ssbsim's arguments for one variant: the base, the particle one
    radius deep, @p entries in order (a later one wins), the output."""
    for e in entries:  # a --set of the radius moves the particle too
        if e.startswith("Geometry/Particle radius="):
            radius = e.split("=", 1)[1]
    sets = BASE + [f"Electrode/Resolved particle depth={radius}"] + entries + \
        [f"Output/Output directory={directory}"]
    return [str(INPUT)] + [a for s in sets for a in ("--set", s)]


def measure(directory):
    """The table's values of one finished variant: the composite's first
    cycle (electrode.csv) and the particle's first discharge
    (statistics.csv). Missing values are None."""
    run = report.Run(directory)
    cycles = run.composite_cycles()
    c = cycles[0] if cycles else {}
    values = {k: c.get(k) for k in ("discharge_mAh_g", "mean_discharge_V",
                                    "coulombic_efficiency", "hysteresis_V")}
    half = run.first_discharge()
    found = bool(half.get("time_s"))
    values.update({
        "converted": half["conversion_fraction"][-1] if found else None,
        "front": report.front_slowdown(half) if found else None,
        "rate": report.conversion_slowdown(half) if found else None,
        "depth_ratio": report.anisotropy(half) if found else None})
    return values


ROWS = [("composite discharge (mAh/g) @ mean V",
         lambda m: f"{report.fmt(m['discharge_mAh_g'], 4)} @ {report.fmt(m['mean_discharge_V'], 4)}"),
        ("composite efficiency", lambda m: report.fmt(m["coulombic_efficiency"])),
        ("composite hysteresis (V)", lambda m: report.fmt(m["hysteresis_V"])),
        ("imaged: converted", lambda m: report.fmt(m["converted"])),
        ("imaged: front velocity, end / start", lambda m: report.fmt(m["front"])),
        ("imaged: converted fraction's rate, end / start", lambda m: report.fmt(m["rate"])),
        ("imaged: depth ratio", lambda m: report.fmt(m["depth_ratio"]))]


def table(labels, measured):
    lines = ["| variant | " + " | ".join(labels) + " |",
             "|---" * (len(labels) + 1) + "|"]
    for name, cell in ROWS:
        lines.append(f"| {name} | " + " | ".join(cell(m) for m in measured) + " |")
    return lines


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="output directory")
    parser.add_argument("--variant", action="append", default=[], required=True,
                        help="\"label; Section/Entry=value; ...\" (repeat)")
    parser.add_argument("--set", action="append", default=[], dest="common",
                        help="\"Section/Entry=value\" for every variant (repeat)")
    parser.add_argument("--closure", action="store_true",
                        help="the interface state closure: " + ", ".join(CLOSURE))
    parser.add_argument("--coarse", action="store_true",
                        help="interface faces of 0.25 um (" + ", ".join(COARSE) +
                        "), for scouting: the front reads differently")
    parser.add_argument("--jobs", type=int, default=2, help="variants at a time (>= 1)")
    args = parser.parse_args(argv)
    try:
        if args.jobs < 1:
            raise Refused(f"--jobs {args.jobs}: give at least 1")
        for e in args.common:
            if not ENTRY.match(e):
                raise Refused(f"--set '{e}' is not an entry \"Section/Entry=value\"")
        variants = [parse_variant(v) for v in args.variant]
        radius = input_radius(INPUT)
    except Refused as error:
        print(f"scan.py: {error}", file=sys.stderr)
        return 1
    build = os.environ.get("SSBSIM_BUILD", str(ROOT / "build"))
    binary = os.environ.get("SSBSIM_BINARY", str(Path(build) / "ssbsim"))
    if not os.access(binary, os.X_OK):
        print(f"scan.py: no program at {binary}: build it (scripts/run or "
              "scripts/setup.sh) or set SSBSIM_BINARY", file=sys.stderr)
        return 1

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    extra = (COARSE if args.coarse else []) + (CLOSURE if args.closure else []) + \
        args.common
    todo, dirs = [], []
    for k, (label, entries) in enumerate(variants, 1):
        directory = out / f"variant-{k}"
        command = [binary] + arguments(extra + entries, directory, radius)
        recorded = "\n".join(command[1:]) + "\n"  # what a finished run leaves
        record = directory / "scan-arguments.txt"
        dirs.append(directory)
        if (directory / "statistics.csv").exists() and record.exists() and \
                record.read_text() == recorded:
            print(f"variant {k} ({label}): done before, kept ({directory})")
            continue
        todo.append((k, label, directory, command, recorded))

    failed, running, pending = [], [], list(todo)
    while pending or running:
        while pending and len(running) < args.jobs:
            k, label, directory, command, _ = item = pending.pop(0)
            # an earlier variant's record goes first: a run that fails here
            # must not leave its outputs under that variant's arguments
            (directory / "scan-arguments.txt").unlink(missing_ok=True)
            print(f"variant {k} ({label}): running (log {directory}.log)", flush=True)
            with open(f"{directory}.log", "w") as log:
                running.append((subprocess.Popen(command, stdout=log,
                                                 stderr=subprocess.STDOUT), item))
        done = [r for r in running if r[0].poll() is not None]
        if not done:
            time.sleep(0.2)
            continue
        for entry in done:
            running.remove(entry)
            process, (k, label, directory, _, recorded) = entry
            if process.returncode != 0:
                failed.append(f"variant {k} ({label}): exit code {process.returncode}, "
                              f"see {directory}.log")
            else:  # the record that lets a later scan keep it
                (directory / "scan-arguments.txt").write_text(recorded)
    if failed:
        print("scan.py: a variant failed, no table written:\n  " + "\n  ".join(failed),
              file=sys.stderr)
        return 1

    lines = table([label for label, _ in variants], [measure(d) for d in dirs])
    faces = [] if args.coarse else ["the input's interface faces"]
    lines += ["", "Every variant: " + ", ".join(faces + BASE) + ", the particle one radius deep" +
              ("; " + ", ".join(extra) if extra else "") + " (scan.py)."]
    text = "\n".join(lines) + "\n"
    temporary = out / "scan.md.part"
    temporary.write_text(text)
    temporary.replace(out / "scan.md")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
