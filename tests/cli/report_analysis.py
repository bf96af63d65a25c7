"""The paper comparison's readings of Fig. 3E against what they must give
on histories whose answer is known: front_velocity_ratio() on fronts that
grow as a power of time, and shape_slowdown()'s converted volumes against
a count of grid points and against its own small-front limits; and the
composite's per-cycle values (half_cycles(), cycle_summary()) on a
table of three cycles whose capacities and mean voltages are known.

Usage: /usr/bin/python3 report_analysis.py <examples/paper-comparison>
"""
import math
import sys

sys.path.insert(0, sys.argv[1])
import report  # noqa: E402
from known_answer import check, finish  # noqa: E402


# 1. A front that grows as t^p from t = 100 s, sampled every second over an
#    hour: over the last tenth of the time against the first it moves
#    (1 - 0.9^p) / 0.1^p as fast. Samples before the front formed (depth
#    0) are skipped, as in a run where it forms late.
t = [float(k) for k in range(3601)]
for p in (1., 0.5, 1. / 3.):
    depth = [0.] * 100 + [(s - 100. + 1e-12) ** p for s in t[100:]]
    check(f"front_velocity_ratio, depth ~ t^{p:.3g}",
          report.front_velocity_ratio(t, depth),
          (1 - 0.9 ** p) / 0.1 ** p, 2e-3)
check("front_velocity_ratio, too few samples of a front",
      0. if report.front_velocity_ratio(t[:20], [0.] * 15 + [1.] * 5) is None else 1., 0., 0.)

# 2. converted_volume() against a quadrature over slices across the
#    entry axis x (the flat front enters at x = -1; the point is (-1, 0,
#    0)): a slice of the disk / ball at x has the half-width / radius
#    r(x) = sqrt(1 - x^2), the point's disk or ball cuts it to the
#    concentric min(r, sqrt(depth^2 - (x + 1)^2)).
def sliced(depth, dim, shape, n=200000):
    total = 0.
    for k in range(n):
        x = -1 + (k + 0.5) * 2 / n
        r = math.sqrt(1 - x * x)
        if shape == "planar":
            r = r if x + 1 <= depth else 0.
        else:
            reach = depth * depth - (x + 1) ** 2
            r = min(r, math.sqrt(reach)) if reach > 0 else 0.
        total += (2 * r if dim == 2 else math.pi * r * r) * 2 / n
    return total / (math.pi if dim == 2 else 4 * math.pi / 3)


for dim in (2, 3):
    for depth in (0.3, 1.0, 1.6):
        for shape in ("planar", "point"):
            check(f"converted_volume, {shape}, dim {dim}, depth {depth}",
                  report.converted_volume(depth, dim, shape), sliced(depth, dim, shape), 1e-5)
    for shape in ("planar", "point"):
        check(f"converted_volume, {shape}, dim {dim}, through",
              report.converted_volume(2., dim, shape), 1., 1e-12)

# 3. shape_slowdown() for a small front: the volume grows as a power of
#    the depth (planar disk h^(3/2), planar ball and point disk h^2, point
#    ball h^3), at a constant rate of conversion the depth as t^(1/power).
for dim, shape, power in ((2, "planar", 1.5), (3, "planar", 2.), (2, "point", 2.),
                          (3, "point", 3.)):
    q = 1 / power
    check(f"shape_slowdown, {shape}, dim {dim}, small front",
          report.shape_slowdown(1e-6, dim, shape), (1 - 0.9 ** q) / 0.1 ** q, 1e-3)

# ... and on a sampled history of the same front, at a constant rate up
#    to the solid cell's converted fraction: the two readings agree.
for dim in (2, 3):
    for shape in ("planar", "point"):
        depth = [report.front_depth(0.627 * s / t[-1], dim, shape) for s in t]
        check(f"shape_slowdown against front_velocity_ratio, {shape}, dim {dim}",
              report.shape_slowdown(0.627, dim, shape),
              report.front_velocity_ratio(t, depth), 2e-3)

# 4. half_cycles() and cycle_summary() on a composite's electrode.csv of
#    three discharges whose answers are known. Each half's capacity
#    restarts near 0 and its voltage is linear in its capacity, so the
#    trapezoidal mean is exact. Cycle 1: a discharge to 600 mAh/g from
#    1.6 to 1.4 V (mean 1.5 V), a charge from its first step's 30 mAh/g
#    to 330 mAh/g from 1.9 to 2.1 V (mean 2.0 V over what the rows span):
#    efficiency 0.55, hysteresis 0.5 V. Cycle 2: a discharge to 300 mAh/g
#    at 1.45 V, a rest that moves nothing while the voltage relaxes (it
#    must not count), and a charge of a dead cell, 0.005 mAh/g at 2.05 V.
#    Cycle 3's discharge starts above where that charge ended (0.01 mAh/g,
#    1.3 V, to 20 mAh/g): only the Li content's turn splits them.
table = {"time_s": [], "capacity_mAh_g": [], "voltage_V": [], "li_content": []}


def rows(q0, q1, v0, v1, dli, n=6):
    for k in range(n + 1):
        li = table["li_content"][-1] + dli if table["li_content"] else 0.
        table["time_s"].append(float(len(table["time_s"])))
        table["capacity_mAh_g"].append(q0 + (q1 - q0) * k / n)
        table["voltage_V"].append(v0 + (v1 - v0) * k / n)
        table["li_content"].append(li)


rows(0., 600., 1.6, 1.4, 1e-3)
rows(30., 330., 1.9, 2.1, -1e-3)
rows(10., 300., 1.45, 1.45, 1e-3)
rows(300., 300., 1.5, 1.6, 0., n=3)
rows(0.001, 0.005, 2.05, 2.05, -1e-4)
rows(0.01, 20., 1.3, 1.3, 1e-4)
halves = report.half_cycles(table)
check("half_cycles: the halves found", len(halves), 5, 0)
check("half_cycles: discharges and charges alternate",
      sum(h["kind"] == ("discharge", "charge")[k % 2] for k, h in enumerate(halves)), 5, 0)
cycles = report.cycle_summary(halves)
expected = [(600., 1.5, 330., 2.0, 0.55, 0.5), (300., 1.45, 0.005, 2.05, 0.005 / 300., 0.6),
            (20., 1.3, None, None, None, None)]
check("cycle_summary: the cycles found", len(cycles), 3, 0)
for k, (c, e) in enumerate(zip(cycles, expected)):
    for key, value in zip(("discharge_mAh_g", "mean_discharge_V", "charge_mAh_g",
                           "mean_charge_V", "coulombic_efficiency", "hysteresis_V"), e):
        if value is None:
            check(f"cycle {k + 1}: {key} missing", 0. if c[key] is None else 1., 0., 0.)
        else:
            check(f"cycle {k + 1}: {key}", c[key], value, 1e-9 * max(1., abs(value)))

finish()
