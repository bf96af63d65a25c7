"""contact_history.py on interfaces whose answer is known.

A 2D run directory whose interface is a circle of 64 equal segments (the
side cones' edges at +-45 degrees fall between segments, so the sides hold
exactly a quarter, a half and a quarter of the length), with the contact,
ionic access, damage and traction set per side, at two output times inside
the first discharge and one before it; a 3D interface, a triangulated
sphere without the debonded fraction (an output from before session 46),
whose 45-degree caps hold (1 - cos 45) / 2 = 0.1464 of its area each.
Then the refusals: a cone outside (0, 90) and a run without interface
output, each with exit code 1 and a message naming what is wrong.

Usage: /usr/bin/python3 contact_history_check.py <examples/paper-comparison>
"""
import csv
import math
import os
import subprocess
import sys
import tempfile

import vtk
from known_answer import check, finish

script = os.path.join(sys.argv[1], "contact_history.py")


def write_grid(grid, path):
    writer = vtk.vtkXMLPUnstructuredGridWriter()
    writer.SetFileName(path)
    writer.SetInputData(grid)
    writer.SetNumberOfPieces(1)
    writer.Write()


def cell_data(grid, values):
    for name, array in values.items():
        data = vtk.vtkDoubleArray()
        data.SetName(name)
        for v in array:
            data.InsertNextValue(v)
        grid.GetCellData().AddArray(data)


def side_of(x, y, z=0.):
    angle = math.degrees(math.acos(max(-1., min(1., x / math.sqrt(x * x + y * y + z * z)))))
    return "separator" if angle >= 135 else "collector" if angle <= 45 else "flanks"


# per side: contact factor, ionic access, damage, normal traction (Pa),
# debonded fraction
STATE = {"separator": (0.2, 1.0, 0.9, -1e8, 0.95),
         "flanks": (1.0, 1.0, 0.1, -3e9, 0.3),
         "collector": (0.5, 0.0, 1.0, 0., 1.0)}


def interface_2d(scale):
    """A circle of radius 2.5 um about (4, 4) um, 64 segments; the
    contact scaled by @p scale."""
    grid, points = vtk.vtkUnstructuredGrid(), vtk.vtkPoints()
    values = {"contact_factor": [], "ionic_access": [], "damage": [], "normal_traction": [],
              "debonded_fraction": []}
    n, r, c = 64, 2.5e-6, 4e-6
    for k in range(n):
        a, b = 2 * math.pi * k / n, 2 * math.pi * (k + 1) / n
        ids = [points.InsertNextPoint(c + r * math.cos(t), c + r * math.sin(t), 0.) for t in (a, b)]
        line = vtk.vtkLine()
        line.GetPointIds().SetId(0, ids[0])
        line.GetPointIds().SetId(1, ids[1])
        grid.InsertNextCell(line.GetCellType(), line.GetPointIds())
        m = 0.5 * (a + b)
        contact, access, damage, traction, debonded = STATE[side_of(math.cos(m), math.sin(m))]
        for name, v in zip(values, (scale * contact, access, damage, traction, debonded)):
            values[name].append(v)
    grid.SetPoints(points)
    cell_data(grid, values)
    return grid


def make_run(root, grids, times, statistics):
    os.makedirs(os.path.join(root, "interface"), exist_ok=True)
    entries = []
    for k, (t, grid) in enumerate(zip(times, grids)):
        name = f"interface/interface-{k:05d}.pvtu"
        write_grid(grid, os.path.join(root, name))
        entries.append(f'<DataSet timestep="{t}" group="" part="0" file="{name}"/>')
    with open(os.path.join(root, "interface.pvd"), "w") as stream:
        stream.write('<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1">\n'
                     "<Collection>\n" + "\n".join(entries) + "\n</Collection>\n</VTKFile>\n")
    with open(os.path.join(root, "statistics.csv"), "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["time_s", "cycle", "half_cycle", "capacity_mAh_g", "contact_fraction"])
        writer.writerows(statistics)


def run(*args):
    done = subprocess.run(["/usr/bin/python3", script, *args], capture_output=True, text=True)
    print(done.stdout + done.stderr, end="")
    return done


def table(path):
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(open(path))]


with tempfile.TemporaryDirectory() as work:
    # 2D: the pristine state at t = 0 (half cycle 0), two outputs inside
    # the discharge at 100 and 300 s (contact scaled 1 and 0.5); the
    # run's contact fraction is the sides' area-weighted ionic contact
    expected = {side: STATE[side][0] * STATE[side][1] for side in STATE}
    mean = 0.25 * expected["separator"] + 0.5 * expected["flanks"] + 0.25 * expected["collector"]
    two = os.path.join(work, "two")
    make_run(two, [interface_2d(1.), interface_2d(1.), interface_2d(0.5)], [0., 100., 300.],
             [[0., 0, 0, 0., mean], [200., 1, 1, 20., mean], [400., 1, 1, 40., 0.5 * mean],
              [500., 1, 2, 10., 0.5 * mean]])
    done = run(two)
    check("2D: exit code", done.returncode, 0, 0)
    rows = table(os.path.join(two, "contact_history.csv"))
    check("2D: outputs inside the discharge (and its start)", len(rows), 3, 0)
    check("2D: capacity at the start", rows[0]["capacity_mAh_g"], 0., 0.)
    check("2D: capacity at 300 s, interpolated", rows[2]["capacity_mAh_g"], 30., 1e-12)
    for side in ("separator", "flanks", "collector"):
        share = 0.5 if side == "flanks" else 0.25
        # (VTK keeps the points in single precision)
        check(f"2D: {side} area share", rows[1][f"area_share_{side}"], share, 1e-6)
        check(f"2D: {side} ionic contact", rows[1][f"contact_{side}"], expected[side], 1e-12)
        check(f"2D: {side} ionic contact, halved", rows[2][f"contact_{side}"],
              0.5 * expected[side], 1e-12)
        check(f"2D: {side} damage", rows[1][f"damage_{side}"], STATE[side][2], 1e-12)
        check(f"2D: {side} debonded fraction", rows[1][f"debonded_{side}"], STATE[side][4], 1e-12)
        check(f"2D: {side} pressure (MPa)", rows[1][f"pressure_MPa_{side}"],
              -STATE[side][3] / 1e6, 1e-9)
    check("2D: sides' mean", rows[1]["contact_mean"], mean, 1e-6)
    check("2D: the run's contact fraction at 100 s", rows[1]["contact_fraction_run"], mean, 1e-12)
    check("2D: PNG written", float(os.path.getsize(os.path.join(two, "contact_history.png")) > 0), 1., 0.)

    # 3D: a sphere of radius 2.5 um, triangulated finely; caps of 45
    # degrees about -x and +x
    sphere = vtk.vtkSphereSource()
    sphere.SetRadius(2.5e-6)
    sphere.SetCenter(4e-6, 4e-6, 4e-6)
    sphere.SetThetaResolution(200)
    sphere.SetPhiResolution(200)
    sphere.Update()
    surface = vtk.vtkUnstructuredGrid()
    surface.SetPoints(sphere.GetOutput().GetPoints())
    polys = sphere.GetOutput()
    values = {"contact_factor": [], "ionic_access": [], "damage": [], "normal_traction": []}
    for c in range(polys.GetNumberOfCells()):
        cell = polys.GetCell(c)
        surface.InsertNextCell(cell.GetCellType(), cell.GetPointIds())
        middle = [sum(polys.GetPoint(cell.GetPointId(k))[i] for k in range(3)) / 3 - 4e-6
                  for i in range(3)]
        contact, access, damage, traction, _ = STATE[side_of(*middle)]
        for name, v in zip(values, (contact, access, damage, traction)):
            values[name].append(v)
    cell_data(surface, values)
    three = os.path.join(work, "three")
    make_run(three, [surface], [50.], [[0., 0, 0, 0., 0.], [100., 1, 1, 10., 0.]])
    done = run(three, "--csv", os.path.join(work, "three.csv"))
    rows = table(os.path.join(work, "three.csv"))
    cap = (1 - math.cos(math.pi / 4)) / 2
    check("3D: separator cap's area share", rows[0]["area_share_separator"], cap, 5e-3)
    check("3D: collector cap's area share", rows[0]["area_share_collector"], cap, 5e-3)
    check("3D: flanks' area share", rows[0]["area_share_flanks"], 1 - 2 * cap, 1e-2)
    check("3D: flanks' ionic contact", rows[0]["contact_flanks"], 1., 1e-12)
    check("3D: no debonded fraction in the output: NaN",
          float(math.isnan(rows[0]["debonded_flanks"])), 1., 0.)

    # refusals
    done = run(two, "--cone", "90")
    check("--cone 90 refused with exit code 1", done.returncode, 1, 0)
    check("--cone 90: the message names it", float("--cone 90" in done.stderr), 1., 0.)
    bare = os.path.join(work, "bare")
    os.makedirs(bare)
    with open(os.path.join(bare, "statistics.csv"), "w") as stream:
        stream.write("time_s,cycle,half_cycle,capacity_mAh_g,contact_fraction\n10,1,1,1,0.5\n")
    done = run(bare)
    check("a run without interface output refused with exit code 1", done.returncode, 1, 0)
    check("... saying how to get it", float("Write solution = true" in done.stderr), 1., 0.)

finish()
