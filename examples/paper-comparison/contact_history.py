#!/usr/bin/python3
"""The particle's interface by side over a discharge, to CSV and PNG.

    contact_history.py RUN_DIRECTORY [--cycle N] [--cone DEGREES]
                       [--csv FILE.csv] [--output FILE.png]

Reads every interface output (RUN/interface.pvd, written with the field
output when mechanics is on) of the discharge of cycle N and splits the
particle's interface into three sides by the angle between the stack axis
x and the direction from the interface's centre (the middle of its
bounding box) to each face:

  separator side  within --cone degrees of -x (default 45),
  collector side  within --cone degrees of +x,
  flanks          the rest (the faces towards the lateral neighbours).

For each side and output it gives the area-weighted means of the ionic
contact (contact factor times ionic access: 0 on an ion-blocked cap), of
the debonded fraction d (the part of the area that the cohesive law has
split off, which the contact follows; NaN in outputs that lack it, before
session 46), of the damage (the law's strength loss D <= d) and of the
normal pressure (compression positive, MPa), and the side's share of the
interface area; the capacity (mAh/g) at each output comes from
statistics.csv. The area-weighted mean
of the three sides' contact is the run's contact_fraction at that time.

Where the particle takes its Li, and when it loses it: under the lateral
confinement of a pressed composite the faces along the stack axis open
early and the flanks stay pressed (doc/model.md section 7,
doc/calibration.md session 46). Faces are classified and weighted in the
reference configuration. Exit code 1 with a message when the run lacks
what is needed.
"""
import argparse
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cut_view import read, series  # noqa: E402  (exits without python3-vtk9)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import vtk  # noqa: E402
from vtk.util.numpy_support import vtk_to_numpy  # noqa: E402

SIDES = ("separator side", "flanks", "collector side")
COLUMNS = ("contact", "debonded", "damage", "pressure_MPa", "area_share")


def fail(message):
    print("contact_history.py: " + message, file=sys.stderr)
    sys.exit(1)


def discharge(run, cycle):
    """(time_s, capacity_mAh_g, contact_fraction) lists of the discharge
    (half cycle 1) of cycle `cycle` from statistics.csv, led by the state
    it starts from (the row before it, at capacity 0)."""
    path = os.path.join(run, "statistics.csv")
    if not os.path.exists(path):
        fail(f"{path} not found (is {run} an ssbsim output directory?)")
    every = list(csv.DictReader(open(path)))
    steps = [k for k, r in enumerate(every)
             if int(r["cycle"]) == cycle and int(r["half_cycle"]) == 1]
    if not steps:
        fail(f"--cycle {cycle}: no discharge of that cycle in {path}")
    rows = every[max(steps[0] - 1, 0):steps[-1] + 1]
    capacity = [float(r["capacity_mAh_g"]) for r in rows]
    if steps[0] > 0:
        capacity[0] = 0.
    return ([float(r["time_s"]) for r in rows], capacity,
            [float(r["contact_fraction"]) for r in rows])


def cell_array(grid, name):
    array = grid.GetCellData().GetArray(name)
    return None if array is None else vtk_to_numpy(array)


def by_side(grid, cone):
    """{side: (contact, debonded, damage, pressure in MPa, area share)} of one
    interface output, and the interface's area-weighted mean contact."""
    sizes = vtk.vtkCellSizeFilter()
    sizes.SetInputData(grid)
    sizes.Update()
    measured = sizes.GetOutput()
    dim = 3 if grid.GetBounds()[5] > grid.GetBounds()[4] else 2
    size = vtk_to_numpy(measured.GetCellData().GetArray(
        "Area" if dim == 3 else "Length"))
    points = vtk_to_numpy(grid.GetPoints().GetData())
    centre = 0.5 * (points.min(axis=0) + points.max(axis=0))
    # each face's parametric centre: the mean of its vertices for the
    # output's linear segments, triangles and quadrilaterals
    centres = vtk.vtkCellCenters()
    centres.SetInputData(grid)
    centres.Update()
    direction = vtk_to_numpy(centres.GetOutput().GetPoints().GetData()) - centre
    angle = np.degrees(np.arccos(np.clip(
        direction[:, 0] / np.maximum(np.linalg.norm(direction, axis=1), 1e-300), -1, 1)))
    contact = cell_array(grid, "contact_factor")
    access = cell_array(grid, "ionic_access")
    if contact is None:
        fail("the interface output has no contact_factor")
    if access is not None:
        contact = contact * access
    damage = cell_array(grid, "damage")
    debonded = cell_array(grid, "debonded_fraction")
    if debonded is None:
        debonded = np.full(len(contact), math.nan)
    pressure = -cell_array(grid, "normal_traction") / 1e6
    masks = {"separator side": angle >= 180 - cone,
             "collector side": angle <= cone}
    masks["flanks"] = ~(masks["separator side"] | masks["collector side"])
    total = size.sum()
    result = {}
    for side in SIDES:
        w = size[masks[side]]
        if w.sum() == 0:
            result[side] = (math.nan,) * (len(COLUMNS) - 1) + (0.,)
            continue
        result[side] = tuple(float(np.average(v[masks[side]], weights=w))
                             for v in (contact, debonded, damage, pressure)) + (w.sum() / total,)
    return result, float(np.average(contact, weights=size))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="output directory of an ssbsim run")
    parser.add_argument("--cycle", type=int, default=1)
    parser.add_argument("--cone", type=float, default=45.,
                        help="half angle (degrees, 0-90) of the cones about "
                             "-x and +x that make the separator and collector "
                             "sides (default 45)")
    parser.add_argument("--csv", help="table (default RUN/contact_history.csv)")
    parser.add_argument("--output", help="PNG file (default RUN/contact_history.png)")
    args = parser.parse_args()
    if not 0 < args.cone < 90:
        fail(f"--cone {args.cone}: must lie strictly between 0 and 90 degrees")

    times, capacity, fraction = discharge(args.run, args.cycle)
    tolerance = 1e-9 * max(1., times[-1])
    outputs = [(t, f) for t, f in series(args.run, "interface")
               if times[0] - tolerance <= t <= times[-1] + tolerance]
    if not outputs:
        fail(f"{args.run}/interface.pvd has no output in the discharge of cycle "
             f"{args.cycle}: run with mechanics on and Output/Write solution = true")

    rows, largest = [], 0.
    for t, path in outputs:
        sides, mean = by_side(read(path), args.cone)
        q = float(np.interp(t, times, capacity))
        run_fraction = float(np.interp(t, times, fraction))
        largest = max(largest, abs(mean - run_fraction))
        rows.append([t, q] + [v for side in SIDES for v in sides[side]] + [mean, run_fraction])

    table = args.csv or os.path.join(args.run, "contact_history.csv")
    header = ["time_s", "capacity_mAh_g"] + \
        [f"{column}_{side.split()[0]}" for side in SIDES for column in COLUMNS] + \
        ["contact_mean", "contact_fraction_run"]
    with open(table, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)

    data = np.array(rows)
    width = len(COLUMNS)

    def column(s, name):
        return data[:, 2 + width * s + COLUMNS.index(name)]

    figure, panels = plt.subplots(1, 3, figsize=(14, 4.3), layout="constrained")
    for s, side in enumerate(SIDES):
        share = column(s, "area_share")[-1]
        line, = panels[0].plot(data[:, 1], column(s, "contact"), "o-", ms=3,
                               label=f"{side} ({100 * share:.0f} % of the area)")
        panels[1].plot(data[:, 1], column(s, "debonded"), "o-", ms=3, color=line.get_color())
        panels[1].plot(data[:, 1], column(s, "damage"), "--", color=line.get_color())
        panels[2].plot(data[:, 1], column(s, "pressure_MPa"), "o-", ms=3,
                       color=line.get_color())
    panels[0].plot(data[:, 1], data[:, -1], "k:", label="whole interface (run)")
    labels = ("ionic contact factor",
              "debonded fraction d (solid), strength loss D (dashed)",
              "normal pressure (MPa)")
    for k, (panel, label) in enumerate(zip(panels, labels)):
        if k < 2:
            panel.set_ylim(-0.05, 1.05)
        panel.set_xlabel("capacity, discharge %d (mAh/g)" % args.cycle)
        panel.set_ylabel(label)
        panel.grid(alpha=0.3)
    panels[0].legend(fontsize=8, loc="best")
    figure.suptitle(f"{os.path.basename(os.path.normpath(args.run))}: the interface by side "
                    f"(stack axis x, separator at -x; cones of {args.cone:g} degrees)")
    output = args.output or os.path.join(args.run, "contact_history.png")
    figure.savefig(output, dpi=120)
    print(f"{len(rows)} interface outputs of discharge {args.cycle}; at its end "
          + ", ".join(f"{side} contact {column(s, 'contact')[-1]:.3f}"
                      for s, side in enumerate(SIDES))
          + f"; sides' mean against the run's contact fraction: largest difference {largest:.2e}")
    print(f"wrote {table} and {output}")


if __name__ == "__main__":
    main()
