#!/usr/bin/python3
"""Cut view of a run's fields at a state of the cycle, to PNG, without ParaView.

    cut_view.py RUN_DIRECTORY [--cycle N] [--state discharged|charged]
                [--field conversion_extent] [--normal x|y|z]
                [--output FILE.png]

Loads RUN_DIRECTORY/solution.pvd with VTK (python3-vtk9), picks the field
output written at the end of the discharge (or charge) of cycle N, which
statistics.csv locates, cuts a 3D mesh by the plane through the particle's
centre normal to --normal (a 2D mesh is its own cut), and draws with
matplotlib (VTK's own rendering needs an X server):

  left:  the field on the deformed cut (the particle coloured, the
         electrolyte grey), the interface drawn on it coloured by its
         normal gap (nm; interface/ series, written when mechanics is on);
  right: the normal gap and the ionic contact factor along the interface
         against the polar angle in the cut plane (0 = towards +x: the
         separator is at -x, 180 degrees).

The core-shell front (conversion_extent) and where the particle separated
from the electrolyte are visible at once. Exit code 1 with a message when
the run directory lacks what is needed.
"""
import argparse
import csv
import math
import os
import sys
import xml.etree.ElementTree as ElementTree

try:
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy
except ImportError:
    sys.exit("cut_view.py: needs python3-vtk9 (apt-get install python3-vtk9; "
             "scripts/setup.sh installs it)")
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

PARTICLE, ELECTROLYTE = 1, 2  # material ids (include/ssbsim/core/geometry.h)


def fail(message):
    sys.exit("cut_view.py: " + message)


def state_time(run, cycle, state):
    """Time (s) of the last step of the discharge (half cycle 1) or charge
    (half cycle 2) of cycle `cycle`."""
    path = os.path.join(run, "statistics.csv")
    if not os.path.exists(path):
        fail(f"{path} not found (is {run} an ssbsim output directory?)")
    half = 1 if state == "discharged" else 2
    rows = [r for r in csv.DictReader(open(path))
            if int(r["cycle"]) == cycle and int(r["half_cycle"]) == half]
    if not rows:
        fail(f"cycle {cycle} has no {'discharge' if half == 1 else 'charge'} "
             f"in {path}")
    return float(rows[-1]["time_s"])


def series(run, name):
    """[(time, file)] of RUN/name.pvd, empty if absent."""
    path = os.path.join(run, name + ".pvd")
    if not os.path.exists(path):
        return []
    root = ElementTree.parse(path).getroot()
    return [(float(d.get("timestep")), os.path.join(run, d.get("file")))
            for d in root.iter("DataSet")]


def nearest(entries, time):
    return min(entries, key=lambda entry: abs(entry[0] - time))


def read(path):
    reader = vtk.vtkXMLPUnstructuredGridReader()
    reader.SetFileName(path)
    reader.Update()
    return reader.GetOutput()


def cut(grid, origin, normal):
    """The grid cut by a plane (3D) as triangles, or triangulated (2D)."""
    if grid.GetBounds()[5] - grid.GetBounds()[4] > 0:
        plane = vtk.vtkPlane()
        plane.SetOrigin(*origin)
        plane.SetNormal(*normal)
        cutter = vtk.vtkCutter()
        cutter.SetCutFunction(plane)
        cutter.SetInputData(grid)
        triangles = vtk.vtkTriangleFilter()
        triangles.SetInputConnection(cutter.GetOutputPort())
    else:
        surface = vtk.vtkGeometryFilter()
        surface.SetInputData(grid)
        triangles = vtk.vtkTriangleFilter()
        triangles.SetInputConnection(surface.GetOutputPort())
    triangles.Update()
    return triangles.GetOutput()


def in_plane_axes(normal):
    """Two unit vectors spanning the cut plane (x, y for a z normal)."""
    k = int(np.argmax(np.abs(normal)))
    return [i for i in range(3) if i != k]


def point_array(data, name):
    array = data.GetPointData().GetArray(name)
    return None if array is None else vtk_to_numpy(array)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="output directory of an ssbsim run")
    parser.add_argument("--cycle", type=int, default=1)
    parser.add_argument("--state", choices=["discharged", "charged"],
                        default="discharged")
    parser.add_argument("--field", default="conversion_extent",
                        help="point field of solution.pvd to colour the cut "
                             "(default conversion_extent)")
    parser.add_argument("--normal", choices=["x", "y", "z"], default="z",
                        help="normal of the cut plane of a 3D mesh")
    parser.add_argument("--output", help="PNG file (default "
                        "RUN/cut_view-<state>-<cycle>.png)")
    args = parser.parse_args()

    time = state_time(args.run, args.cycle, args.state)
    solutions = series(args.run, "solution")
    if not solutions:
        fail(f"{args.run}/solution.pvd not found: run with Output/Write "
             "solution = true")
    t_solution, solution_file = nearest(solutions, time)
    if abs(t_solution - time) > 1e-6 * max(1.0, time):
        print(f"cut_view.py: no field output at {time:.6g} s; the nearest is "
              f"at {t_solution:.6g} s", file=sys.stderr)
    grid = read(solution_file)
    if grid.GetPointData().GetArray(args.field) is None:
        names = [grid.GetPointData().GetArrayName(i)
                 for i in range(grid.GetPointData().GetNumberOfArrays())]
        fail(f"--field {args.field}: not in {solution_file} (allowed: "
             + ", ".join(names) + ")")

    # the particle's centre: the middle of its points' bounding box
    material = point_array(grid, "material_id")
    points = vtk_to_numpy(grid.GetPoints().GetData())
    inside = points[material == PARTICLE]
    centre = 0.5 * (inside.min(axis=0) + inside.max(axis=0))
    normal = np.eye(3)["xyz".index(args.normal)]
    a, b = in_plane_axes(normal)

    section = cut(grid, centre, normal)
    xyz = vtk_to_numpy(section.GetPoints().GetData()).copy()
    displacement = point_array(section, "displacement")
    if displacement is not None:
        xyz += displacement
    triangles = vtk_to_numpy(section.GetPolys().GetData()).reshape(-1, 4)[:, 1:]
    values = point_array(section, args.field)
    if values.ndim > 1:
        values = np.linalg.norm(values, axis=1)
    cut_material = point_array(section, "material_id")
    particle = np.all(cut_material[triangles] == PARTICLE, axis=1)

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5),
                                         layout="constrained")
    scale = 1e6  # um
    x, y = scale * xyz[:, a], scale * xyz[:, b]
    if np.any(~particle):
        left.tripcolor(x, y, triangles[~particle], np.ones(len(x)),
                       cmap="Greys", vmin=0, vmax=4, shading="flat")
    image = left.tripcolor(x, y, triangles[particle], values,
                           shading="gouraud", cmap="viridis")
    figure.colorbar(image, ax=left, label=args.field, shrink=0.9)

    interfaces = series(args.run, "interface")
    if interfaces:
        # line segments: the 3D interface cut by the plane, or the 2D one
        surface = cut(read(nearest(interfaces, t_solution)[1]), centre, normal)
        reference = vtk_to_numpy(surface.GetPoints().GetData())
        moved = reference + point_array(surface, "displacement")
        gaps = vtk_to_numpy(surface.GetCellData().GetArray("normal_gap")) * 1e9
        contacts = vtk_to_numpy(surface.GetCellData().GetArray("contact_factor"))
        # the contact with the electrolyte: the contact factor times the
        # ionic access (0 on an ion-blocked cap; outputs before session 32
        # have no access array: 1)
        access = surface.GetCellData().GetArray("ionic_access")
        if access is not None:
            contacts = contacts * vtk_to_numpy(access)
        segments, angles, lengths, kept = [], [], [], []
        for c in range(surface.GetNumberOfCells()):
            ids = surface.GetCell(c).GetPointIds()
            if ids.GetNumberOfIds() < 2:
                continue
            kept.append(c)
            p, q = ids.GetId(0), ids.GetId(ids.GetNumberOfIds() - 1)
            segments.append([[scale * moved[p, a], scale * moved[p, b]],
                             [scale * moved[q, a], scale * moved[q, b]]])
            lengths.append(np.linalg.norm(reference[q] - reference[p]))
            mid = 0.5 * (reference[p] + reference[q]) - centre
            angles.append(math.degrees(math.atan2(mid[b], mid[a])) % 360)
        gap, contact = gaps[kept], contacts[kept]
        # the length-weighted mean ionic contact factor along the cut (in 2D the
        # whole interface: the contact_fraction of statistics.csv)
        print(f"interface along the cut: {len(gap)} segments, mean contact "
              f"factor {np.average(contact, weights=lengths):.4f}, largest "
              f"normal gap {gap.max():.2f} nm")
        limit = max(1.0, float(np.abs(gap).max()))
        collection = LineCollection(segments, cmap="coolwarm", linewidths=3)
        collection.set_array(gap)
        collection.set_clim(-limit, limit)
        left.add_collection(collection)
        figure.colorbar(collection, ax=left, label="interface normal gap (nm)",
                        shrink=0.9, location="bottom", aspect=40)
        order = np.argsort(angles)
        angles = np.array(angles)[order]
        right.plot(angles, gap[order], "o-", ms=3, color="tab:red",
                   label="normal gap")
        right.set_ylabel("normal gap (nm)")
        right.axhline(0, color="k", lw=0.5)
        twin = right.twinx()
        twin.plot(angles, contact[order], "s-", ms=3, color="tab:blue",
                  label="contact factor x ionic access")
        twin.set_ylabel("ionic contact factor")
        twin.set_ylim(-0.05, 1.05)
        if a == 0:  # -x, where the separator is, lies at 180 degrees
            right.axvline(180, color="grey", ls=":", lw=1)
            right.text(181, right.get_ylim()[1], "separator side", va="top",
                       fontsize=8, color="grey")
        right.set_xlim(0, 360)
        right.set_xlabel("polar angle in the cut (degrees, 0 = +%s)"
                         % "xyz"[a])
        handles = right.get_legend_handles_labels()[0] + \
            twin.get_legend_handles_labels()[0]
        right.legend(handles, [h.get_label() for h in handles], loc="best",
                     fontsize=8)
        right.set_title("interface along the cut")
    else:
        right.axis("off")
        right.text(0.5, 0.5, "no interface/ output (mechanics off)",
                   ha="center", va="center")

    left.set_aspect("equal")
    shape = "deformed" if displacement is not None else "reference"
    left.set_xlabel("%s (um, %s)" % ("xyz"[a], shape))
    left.set_ylabel("%s (um, %s)" % ("xyz"[b], shape))
    where = "" if grid.GetBounds()[5] == grid.GetBounds()[4] else \
        f", cut {args.normal} = {scale * centre['xyz'.index(args.normal)]:.2f} um"
    left.set_title(f"end of {'discharge' if args.state == 'discharged' else 'charge'}"
                   f" {args.cycle}\n(t = {t_solution:.0f} s{where}; grey: electrolyte)")
    output = args.output or os.path.join(
        args.run, f"cut_view-{args.state}-{args.cycle}.png")
    figure.savefig(output, dpi=130)
    print(f"{args.field} in the particle's cut: {values[np.unique(triangles[particle])].min():.4g}"
          f" to {values[np.unique(triangles[particle])].max():.4g}")
    print("wrote " + output)


if __name__ == "__main__":
    main()
