#!/usr/bin/python3
"""The paper in silico: simulated against measured (Sun et al. 2019).

    /usr/bin/python3 examples/paper-comparison/report.py OUT solid liquid [insitu_grown]

reads OUT/<scenario>/{statistics.csv, cycles.csv, eis/} and writes
OUT/report.md (a table of every target of issue 10 / PHYSICS.md section 6,
simulated against measured, with pass or miss) and the figures in OUT/:
voltage curves (Fig. 2A,B), Nyquist plots after the 1st and 2nd discharge
(Fig. 2C), capacity retention (Fig. 2D), converted fraction against depth
of discharge (Fig. 3E), converted depth along the axes against depth of
discharge (Fig. 4), contact fraction and interfacial resistance against
depth of discharge (Fig. 5), the contact over every cycle (what each
discharge restarts through), and the in-situ grown electrode's impedance
over cycles against the solid cell's, per gram of FeS2 (Fig. 6G).
"""
import csv
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

THEORETICAL = 893.5  # mAh/g, 4 Li per FeS2
CONVERTED_THROUGH = 0.97  # converted fraction past which no front is left to stall
COLOURS = {"solid": "tab:red", "liquid": "tab:blue", "insitu_grown": "tab:green"}
LABELS = {"solid": "solid (LPS)", "liquid": "liquid", "insitu_grown": "in-situ grown"}


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in rows[0]} if rows else {}


def prm_entry(path, path_name):
    """Value of the entry @p path_name ("Section/Entry", as --set names it)
    in the deal.II parameter file @p path (its last setting), None if the
    file or the entry is missing."""
    path = Path(path)
    if not path.exists():
        return None
    sections, found = [], None
    for line in path.read_text().splitlines():
        words = line.split("#")[0].strip()
        if words.startswith("subsection "):
            sections.append(words[len("subsection "):].strip())
        elif words == "end":
            sections.pop()
        elif words.startswith("set ") and "=" in words:
            name, value = words[len("set "):].split("=", 1)
            if "/".join(sections + [name.strip()]) == path_name:
                found = value.strip()
    return found


class Run:
    """One scenario's outputs."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.stats = read_csv(self.directory / "statistics.csv")
        self.cycles = read_csv(self.directory / "cycles.csv")

    def half_cycle(self, cycle, kind):
        """Rows of one half cycle (kind 1: discharge, 2: charge)."""
        s = self.stats
        rows = [k for k in range(len(s["time_s"]))
                if int(s["cycle"][k]) == cycle and int(s["half_cycle"][k]) == kind]
        return {key: [s[key][k] for k in rows] for key in s}

    def cycle_value(self, column, cycle=1):
        c = self.cycles
        for k, n in enumerate(c.get("cycle", [])):
            if int(n) == cycle:
                return c[column][k]
        return None

    def pristine_resistance(self):
        return self.stats["interfacial_resistance_ohm_cm2"][0]

    def eis(self, name):
        path = self.directory / "eis" / name
        return read_csv(path) if path.exists() else None

    def first_discharge(self):
        return self.half_cycle(1, 1)

    def parameter(self, path_name):
        """Value of the entry @p path_name ("Section/Entry", as --set names
        it) in the run's parameters.prm, None if the file or the entry is
        missing. The section matters: Geometry and Electrode both have a
        `Particle radius`."""
        return prm_entry(self.directory / "parameters.prm", path_name)

    def composite_cycles(self):
        """cycle_summary() of the composite around the resolved particle
        (electrode.csv of a run inside the composite); [] without one."""
        path = self.directory / "electrode.csv"
        return cycle_summary(half_cycles(read_csv(path))) if path.exists() else []


def depth_of_discharge(half):
    """Capacity of the discharge so far, as a fraction of theoretical."""
    return [q / THEORETICAL for q in half["capacity_mAh_g"]]


def deepest_front(half):
    """The largest converted depth along the axes at each step (m)."""
    return [max(x, y) for x, y in zip(half["converted_depth_x_m"],
                                      half["converted_depth_y_m"])]


def front_slowdown(half):
    """Front velocity (rate of the largest converted depth) over the last
    tenth of the discharge time against the first tenth after the front
    formed: the paper's front nearly stops (Fig. 3E). None if the
    particle converted through."""
    if half["conversion_fraction"][-1] > CONVERTED_THROUGH:
        return None  # converted through: no front left to stall
    return front_velocity_ratio(half["time_s"], deepest_front(half))


def conversion_slowdown(half):
    """The converted fraction's rate over the last tenth of the discharge
    time against the first tenth after the front formed: Fig. 3E's own
    quantity (the phase volume fraction against the state of discharge).
    In a cell of one particle under a constant current it is the current
    (1 but for the side reaction); it can fall only where something else
    carries the current, in the composite. None if the particle converted
    through."""
    if half["conversion_fraction"][-1] > CONVERTED_THROUGH:
        return None
    depth = deepest_front(half)
    started = [k for k in range(len(depth)) if depth[k] > 0]
    return front_velocity_ratio([half["time_s"][k] for k in started],
                                [half["conversion_fraction"][k] for k in started])


def front_velocity_ratio(t, depth):
    """The rate of @p depth over the last tenth of the time against the
    first tenth after it became positive; None with fewer than ten
    samples of a front."""
    started = [k for k in range(len(t)) if depth[k] > 0]
    if len(started) < 10:
        return None
    t0, t1 = t[started[0]], t[-1]
    span = 0.1 * (t1 - t0)

    def rate(a, b):
        ks = [k for k in started if a <= t[k] <= b]
        if len(ks) < 2 or t[ks[-1]] == t[ks[0]]:
            return None
        return (depth[ks[-1]] - depth[ks[0]]) / (t[ks[-1]] - t[ks[0]])

    first, last = rate(t0, t0 + span), rate(t1 - span, t1)
    if not first or last is None:
        return None
    return last / first


def converted_volume(depth, dim, shape):
    """Fraction of a unit disk (@p dim 2) or ball (3) converted by a front
    at @p depth (in radii, 0-2) from the surface: "planar", a flat front
    that entered through one side (a circular segment, a spherical cap);
    "point", a front around one point of the surface (the lens the disk
    or ball of radius @p depth about that point cuts out)."""
    h = min(max(depth, 0.), 2.)
    if shape == "planar":
        if dim == 2:
            return (math.acos(1 - h) - (1 - h) * math.sqrt(h * (2 - h))) / math.pi
        return h * h * (3 - h) / 4
    if shape == "point":
        if dim == 2:  # circles of radii h and 1, centres 1 apart
            if h == 0:
                return 0.
            return (h * h * math.acos(h / 2) + math.acos(1 - h * h / 2)
                    - 0.5 * h * math.sqrt(4 - h * h)) / math.pi
        return h ** 3 * (8 - 3 * h) / 16
    raise ValueError(f"shape must be planar or point, not {shape}")


def front_depth(converted, dim, shape):
    """The front's depth (radii) at which converted_volume() is @p converted."""
    low, high = 0., 2.
    for _ in range(60):
        middle = 0.5 * (low + high)
        if converted_volume(middle, dim, shape) < converted:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def shape_slowdown(converted, dim, shape):
    """front_velocity_ratio() of a front of @p shape (converted_volume())
    that converts the fraction @p converted at a constant rate, as a
    particle alone under a constant current does: what the geometry alone
    makes of its deepest point's slowing. Towards small @p converted a
    planar front gives (1 - 0.9^(2/3)) / 0.1^(2/3) = 0.315 in a disk and
    0.162 in a ball, a point 0.162 and 0.074 (depth ~ t^(1/2), t^(1/3))."""
    depth = [front_depth(f * converted, dim, shape) for f in (0.1, 0.9, 1.)]
    return (depth[2] - depth[1]) / depth[0]


class Electrode:
    """The homogenised composite cathode's first discharge (ssbsim
    --electrode: electrode.csv, electrode-layers.csv)."""

    def __init__(self, directory):
        self.directory = Path(directory)
        with open(self.directory / "electrode-layers.csv") as f:
            rows = list(csv.DictReader(f))
        self.times = sorted({float(r["time_s"]) for r in rows})
        self.depths = sorted({float(r["depth_m"]) for r in rows})
        self.rows = {(float(r["time_s"]), float(r["depth_m"])): r for r in rows}
        self.cell = read_csv(self.directory / "electrode.csv")

    parameter = Run.parameter

    def at_depth(self, x, column):
        """@p column at depth @p x (m) from the separator, linear between
        the layers' centres (the end layers' values beyond them), per time."""
        d = self.depths
        k = max([0] + [i for i in range(len(d) - 1) if d[i] <= x])
        w = min(1.0, max(0.0, (x - d[k]) / (d[k + 1] - d[k]))) if len(d) > 1 else 0.0
        return [(1 - w) * float(self.rows[(t, d[k])][column]) +
                w * float(self.rows[(t, d[min(k + 1, len(d) - 1)])][column])
                for t in self.times]

    def thickness(self):
        """The composite's thickness (m): the layers are of equal width."""
        return self.depths[-1] + self.depths[0]

    def mean_discharge_voltage(self):
        """The composite's voltage averaged over its first discharge's
        capacity (V), as the resolved cell's mean discharge voltage is."""
        first = next((h for h in half_cycles(self.cell) if h["kind"] == "discharge"), None)
        return first["mean_voltage_V"] if first else None

    def imaged_depth(self):
        """The particle at the separator: its centre one radius deep (m)."""
        return float(self.parameter("Geometry/Particle radius").split()[0]) * 1e-6

    def front_slowdown(self, x):
        """front_slowdown() of the particles at depth @p x; None if they
        converted through."""
        if self.at_depth(x, "li_content")[-1] > CONVERTED_THROUGH:
            return None
        return front_velocity_ratio(self.times, self.at_depth(x, "converted_depth_m"))


def half_cycles(table):
    """The half cycles of a cell's table (electrode.csv: time_s,
    capacity_mAh_g, voltage_V, li_content): the capacity restarts from 0
    with each half cycle, the Li content rises on a discharge and falls on
    a charge. A list, in order, of dicts with kind ('discharge' or
    'charge'), capacity_mAh_g (the last row's) and mean_voltage_V (the
    voltage averaged over the capacity the half's rows span, by the
    trapezoidal rule; None if they span none)."""
    q, v, x = table["capacity_mAh_g"], table["voltage_V"], table["li_content"]

    def direction(k):
        return (x[k] > x[k - 1]) - (x[k] < x[k - 1])

    spans, start, sign = [], 0, 0
    for k in range(1, len(q)):
        step = direction(k)
        if q[k] < q[k - 1] or (step and sign and step != sign):
            spans.append((start, k - 1, sign))
            start, sign = k, 0
        sign = sign or step
    spans.append((start, len(q) - 1, sign))
    halves = []
    for a, b, sign in spans:
        if not sign:
            continue  # no Li moved: the initial state, or a rest
        width = q[b] - q[a]
        area = sum((q[k + 1] - q[k]) * (v[k + 1] + v[k]) / 2 for k in range(a, b))
        halves.append({"kind": "discharge" if sign > 0 else "charge",
                       "capacity_mAh_g": q[b],
                       "mean_voltage_V": area / width if width > 0 else None})
    return halves


def cycle_summary(halves):
    """Per cycle of @p halves (half_cycles()): a discharge and the charge
    after it. A list of dicts with discharge_mAh_g, charge_mAh_g (None if
    the run ended before it), coulombic_efficiency (charge / discharge)
    and hysteresis_V (mean charge minus mean discharge voltage)."""
    cycles = []
    for k, h in enumerate(halves):
        if h["kind"] != "discharge":
            continue
        charge = halves[k + 1] if k + 1 < len(halves) and halves[k + 1]["kind"] == "charge" else None
        both = charge and h["capacity_mAh_g"] > 0
        cycles.append({
            "discharge_mAh_g": h["capacity_mAh_g"],
            "mean_discharge_V": h["mean_voltage_V"],
            "charge_mAh_g": charge["capacity_mAh_g"] if charge else None,
            "mean_charge_V": charge["mean_voltage_V"] if charge else None,
            "coulombic_efficiency": charge["capacity_mAh_g"] / h["capacity_mAh_g"] if both else None,
            "hysteresis_V": (charge["mean_voltage_V"] - h["mean_voltage_V"])
            if charge and None not in (charge["mean_voltage_V"], h["mean_voltage_V"]) else None})
    return cycles


def anisotropy(half):
    """Largest over smallest converted depth along the axes at the end of
    the discharge (2D: x and y); infinite if the front ran along one axis
    only (unidirectional), None if nothing converted."""
    axes = "xyz" if any(half.get("converted_depth_z_m", [])) else "xy"
    depths = [half[f"converted_depth_{a}_m"][-1] for a in axes]
    if not depths or max(depths) <= 0:
        return None
    if min(depths) <= 0:
        return float("inf")
    return max(depths) / min(depths)


def fmt(x, digits=3):
    if x is None:
        return "n/a"
    return f"{x:.{digits}g}"


def targets(runs):
    """(observation, simulated, measured, verdict) rows."""
    rows = []

    def add(name, value, measured, ok):
        verdict = "n/a" if value is None else ("pass" if ok(value) else "miss")
        rows.append((name, value, measured, verdict))

    solid, liquid = runs.get("solid"), runs.get("liquid")
    if solid:
        q1 = solid.cycle_value("discharge_capacity_mAh_g")
        add("solid: first discharge (mAh/g)", q1, "620 +- 15 % (Wang 2023)",
            lambda v: abs(v - 620) <= 0.15 * 620)
        v1 = solid.cycle_value("mean_discharge_voltage_V")
        add("solid: mean discharge voltage (V)", v1, "plateau 1.4-1.6 (Fig. 2A)",
            lambda v: 1.4 <= v <= 1.6)
        add("solid: first-cycle hysteresis (V)", solid.cycle_value("hysteresis_V"),
            "0.51 +- 0.08", lambda v: abs(v - 0.51) <= 0.08)
        add("solid: coulombic efficiency", solid.cycle_value("coulombic_efficiency"),
            "0.55 +- 0.08", lambda v: abs(v - 0.5477) <= 0.08)
        r0 = solid.pristine_resistance()
        r1 = solid.cycle_value("interfacial_resistance_end_discharge_ohm_cm2", 1)
        r2 = solid.cycle_value("interfacial_resistance_end_discharge_ohm_cm2", 2)
        add("solid: R_int after 1st discharge / pristine", r1 / r0 if r1 else None,
            ">= 2 (Fig. 2C)", lambda v: v >= 2)
        add("solid: R_int after 2nd / after 1st discharge",
            r2 / r1 if r1 and r2 is not None else None, ">= 2 (Fig. 2C)", lambda v: v >= 2)
        q3 = solid.cycle_value("discharge_capacity_mAh_g", 3)
        add("solid: cycle-3 / cycle-1 discharge", q3 / q1 if q3 is not None and q1 else None,
            "<= 0.40 (Fig. 2D)", lambda v: v <= 0.40)
        half = solid.first_discharge()
        add("solid: front velocity, end / start of discharge", front_slowdown(half),
            "< 0.20 (Fig. 3E)", lambda v: v < 0.2)
        add("solid: converted depth, largest / smallest axis", anisotropy(half),
            ">= 1.5 (Fig. 4)", lambda v: v >= 1.5)
        add("solid: contact fraction, end of 1st discharge",
            solid.cycle_value("contact_fraction_end_discharge"),
            "separation (Fig. 5C)", lambda v: v < 0.9)
    if liquid:
        add("liquid: first discharge (mAh/g)",
            liquid.cycle_value("discharge_capacity_mAh_g"), "plateau + SEI (Fig. 2B)",
            lambda v: v > 0)
        add("liquid: SEI charge, 1st discharge (mAh/g)",
            liquid.cycle_value("side_reaction_discharge_mAh_g"), "> 0 below 1.0 V",
            lambda v: v > 0)
        add("liquid: first-cycle hysteresis (V)", liquid.cycle_value("hysteresis_V"),
            "0.26 +- 0.05", lambda v: abs(v - 0.26) <= 0.05)
        add("liquid: coulombic efficiency", liquid.cycle_value("coulombic_efficiency"),
            ">= 0.85", lambda v: v >= 0.85)
        r0 = liquid.pristine_resistance()
        r2 = liquid.cycle_value("interfacial_resistance_end_discharge_ohm_cm2", 2)
        add("liquid: R_int after 2nd discharge / pristine", r2 / r0 if r2 else None,
            "within 20 % (Fig. 2C)", lambda v: abs(v - 1) <= 0.2)
        add("liquid: converted depth, largest / smallest axis",
            anisotropy(liquid.first_discharge()), "< 1.2 (uniform)", lambda v: v < 1.2)
    insitu = runs.get("insitu_grown")
    if insitu:
        n_in = len(insitu.cycles["cycle"])
        add("in-situ grown: first discharge (mAh/g)",
            insitu.cycle_value("discharge_capacity_mAh_g"), "above solid (Fig. 6F)",
            lambda v: not solid or v > solid.cycle_value("discharge_capacity_mAh_g"))
        r = [insitu.cycle_value("interfacial_resistance_end_discharge_ohm_g", c)
             for c in range(1, n_in + 1)]
        add(f"in-situ grown: R_int after discharges 1-{n_in}, largest deviation "
            "from the 1st", max(abs(v / r[0] - 1) for v in r) if r and r[0] else None,
            "within 0.30 (Fig. 6G)", lambda v: v <= 0.3)
    if insitu and solid:
        n = min(len(insitu.cycles["cycle"]), len(solid.cycles["cycle"]))
        above = all(insitu.cycle_value("discharge_capacity_mAh_g", c) >
                    solid.cycle_value("discharge_capacity_mAh_g", c) for c in range(1, n + 1))
        add("in-situ grown above solid at every cycle", 1.0 if above else 0.0,
            "yes (Fig. 6)", lambda v: v == 1.0)
        lower = all(insitu.cycle_value("interfacial_resistance_end_discharge_ohm_g", c) <
                    solid.cycle_value("interfacial_resistance_end_discharge_ohm_g", c)
                    for c in range(1, n + 1))
        add("in-situ grown: R_int (ohm g) below solid after every discharge",
            1.0 if lower else 0.0, "yes (Fig. 6G)", lambda v: v == 1.0)
    return rows


def finish(fig, ax, path, xlabel, ylabel, title):
    """Labels, legend and PNG of one figure."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def resistance_parts(run):
    """R_int at the end of the first discharge split as (R_ct + r_f) / f:
    (pristine, charge transfer over the contact left, the reduction layer
    over it), ohm cm^2; None without a layer column or a discharge."""
    half = run.first_discharge()
    film = half.get("film_resistance_ohm_cm2")
    if not film or not half["contact_fraction"] or half["contact_fraction"][-1] <= 0:
        return None
    r0 = run.pristine_resistance()
    r_ct = r0 * run.stats["contact_fraction"][0]
    c1 = half["contact_fraction"][-1]
    return r0, r_ct / c1, film[-1] / c1


def figure_voltage(runs, out):
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, run in runs.items():
        for kind, style in ((1, "-"), (2, "--")):
            half = run.half_cycle(1, kind)
            if half["time_s"]:
                ax.plot(half["capacity_mAh_g"], half["voltage_V"], style,
                        color=COLOURS.get(name), label=f"{LABELS.get(name, name)}, "
                        + ("discharge" if kind == 1 else "charge"))
    ax.axhspan(1.4, 1.6, color="0.9", zorder=0, label="measured plateau (Fig. 2A)")
    finish(fig, ax, out / "voltage_first_cycle.png", "capacity (mAh/g)", "voltage vs Li/Li+ (V)",
           "First cycle, C/10, 25 C (Fig. 2A,B)")


def arc_resistance(z):
    """Width of the spectrum's high-frequency arc, read as the paper reads
    its Nyquist plots (Fig. 2C): from the real part at the highest
    frequency to the real part where -Z'' has its first minimum below the
    arc's apex (going down in frequency; the lowest frequency if -Z''
    does not turn up again). None without a spectrum or an arc."""
    if not z:
        return None
    order = sorted(range(len(z["frequency_Hz"])), key=lambda k: -z["frequency_Hz"][k])
    re_ = [z["z_real_ohm_cm2"][k] for k in order]
    im = [-z["z_imag_ohm_cm2"][k] for k in order]
    apex = next((k for k in range(1, len(im) - 1) if im[k - 1] < im[k] >= im[k + 1]), None)
    if apex is None:
        return None
    end = next((k for k in range(apex + 1, len(im) - 1) if im[k - 1] > im[k] <= im[k + 1]),
               len(im) - 1)
    return re_[end] - re_[0]


def spectrum_arcs(runs):
    """The arc widths (ohm cm^2 of interface) of the pristine spectrum and
    of those after each discharge, per scenario."""
    arcs = {}
    for name, run in runs.items():
        names = ["pristine"] + [f"cycle{int(c)}-discharge" for c in run.cycles.get("cycle", [])]
        arcs[name] = {state: arc_resistance(run.eis(f"eis-{state}.csv")) for state in names}
    return arcs


def figure_nyquist(runs, out):
    fig, ax = plt.subplots(figsize=(5, 5))
    drawn = False
    for name, run in runs.items():
        for state, style, label in (("pristine", "x:", "pristine"),
                                    ("cycle1-discharge", "o-", "after discharge 1"),
                                    ("cycle2-discharge", "s--", "after discharge 2")):
            z = run.eis(f"eis-{state}.csv")
            if z:
                ax.plot(z["z_real_ohm_cm2"], [-v for v in z["z_imag_ohm_cm2"]], style,
                        color=COLOURS.get(name), markersize=3,
                        label=f"{LABELS.get(name, name)}, {label}")
                drawn = True
    if not drawn:
        plt.close(fig)
        return False
    ax.set_xscale("log")
    ax.set_yscale("log")
    finish(fig, ax, out / "nyquist.png", "Z' (ohm cm^2 of interface)", "-Z'' (ohm cm^2 of interface)",
           "Impedance: pristine, after discharge 1, 2 (Fig. 2C)")
    return True


def figure_impedance_cycles(runs, out):
    """Fig. 6G: the in-situ grown electrode's impedance after each
    discharge, against the solid cell's after its first two, per gram of
    FeS2 (the architectures differ in interfacial area per mass)."""
    insitu = runs.get("insitu_grown")
    if not insitu:
        return False
    fig, ax = plt.subplots(figsize=(5, 5))
    cycles = [int(c) for c in insitu.cycles["cycle"]]
    shades = plt.cm.Greens([0.4 + 0.6 * k / max(1, len(cycles) - 1) for k in range(len(cycles))])
    for cycle, shade in zip(cycles, shades):
        z = insitu.eis(f"eis-cycle{cycle}-discharge.csv")
        if z and "z_real_ohm_g" in z:
            ax.plot(z["z_real_ohm_g"], [-v for v in z["z_imag_ohm_g"]], "o-", color=shade,
                    markersize=3, label=f"in-situ grown, after discharge {cycle}")
    solid = runs.get("solid")
    for cycle, style in ((1, "s--"), (2, "^:")):
        z = solid.eis(f"eis-cycle{cycle}-discharge.csv") if solid else None
        if z and "z_real_ohm_g" in z:
            ax.plot(z["z_real_ohm_g"], [-v for v in z["z_imag_ohm_g"]], style,
                    color=COLOURS["solid"], markersize=3,
                    label=f"solid, after discharge {cycle}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    finish(fig, ax, out / "impedance_cycles.png", "Z' (ohm g of FeS2)", "-Z'' (ohm g of FeS2)",
           "Impedance over cycles (Fig. 6G)")
    return True


def figure_retention(runs, out):
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, run in runs.items():
        ax.plot(run.cycles["cycle"], run.cycles["discharge_capacity_mAh_g"], "o-",
                color=COLOURS.get(name), label=LABELS.get(name, name))
    if "solid" in runs:
        q1 = runs["solid"].cycle_value("discharge_capacity_mAh_g")
        ax.plot([3], [0.4 * q1], "v", color="k", label="solid, measured bound at cycle 3")
    finish(fig, ax, out / "capacity_retention.png", "cycle", "discharge capacity (mAh/g)",
           "Capacity retention (Fig. 2D)")


def figure_state(runs, out, column, ylabel, filename, title, log=False):
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, run in runs.items():
        half = run.first_discharge()
        ax.plot(depth_of_discharge(half), half[column], color=COLOURS.get(name),
                label=LABELS.get(name, name))
    if log:
        ax.set_yscale("log")
    finish(fig, ax, out / filename, "depth of discharge (of 894 mAh/g)", ylabel,
           title)


def interpolate(x, xs, ys):
    """ys at x, linear between the samples xs (ascending), the end values
    beyond them."""
    if x <= xs[0]:
        return ys[0]
    for k in range(1, len(xs)):
        if x <= xs[k]:
            w = (x - xs[k - 1]) / (xs[k] - xs[k - 1]) if xs[k] > xs[k - 1] else 1.0
            return (1 - w) * ys[k - 1] + w * ys[k]
    return ys[-1]


def figure_converted(runs, electrode, out, embedded=None):
    """Fig. 3E: converted fraction against depth of discharge, of the
    resolved cells, of the solid cell's particle inside its composite
    (@p embedded, dotted, against the composite's depth of discharge:
    the paper's axes) and, dashed, of the homogenised composite's
    particles at several depths from the separator: the separator's
    bends over as the zone moves on."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, run in runs.items():
        half = run.first_discharge()
        ax.plot(depth_of_discharge(half), half["conversion_fraction"],
                color=COLOURS.get(name), label=LABELS.get(name, name))
    composite = (read_csv(embedded.directory / "electrode.csv")
                 if embedded and (embedded.directory / "electrode.csv").exists() else None)
    if composite:
        half = embedded.first_discharge()
        dod = [interpolate(t, composite["time_s"], composite["capacity_mAh_g"]) / THEORETICAL
               for t in half["time_s"]]
        ax.plot(dod, half["conversion_fraction"], ":", color=COLOURS["solid"], lw=2,
                label="solid's particle inside its composite")
    if electrode:
        dod = [q / THEORETICAL for q in electrode.cell["capacity_mAh_g"]]
        depths = [electrode.imaged_depth(), 10e-6, 0.5 * electrode.thickness(),
                  electrode.depths[-1]]
        shades = plt.cm.Reds([0.9, 0.7, 0.5, 0.35])
        for x, shade in zip(depths, shades):
            ax.plot(dod, electrode.at_depth(x, "li_content"), "--", color=shade,
                    label=f"composite, particle {x * 1e6:.3g} um from the separator"
                    if x < electrode.depths[-1] else "composite, particle at the collector")
    finish(fig, ax, out / "converted_fraction.png", "depth of discharge (of 894 mAh/g)",
           "converted fraction (Li content)", "Converted fraction (Fig. 3E)")


def figure_zone(electrode, out):
    """The reaction zone of the homogenised composite: each depth's
    interface current over the mean, against depth of discharge and depth
    from the separator (log colour scale: it spans decades)."""
    if not electrode:
        return False
    from matplotlib.colors import LogNorm
    dod = [q / THEORETICAL for q in electrode.cell["capacity_mAh_g"]]
    grid = []
    for x in electrode.depths:
        grid.append([float(electrode.rows[(t, x)]["current_A_m2"]) for t in electrode.times])
    means = [sum(col) / len(col) for col in zip(*grid)]
    ratio = [[max(1e-3, v / m) if m else 1e-3 for v, m in zip(row, means)] for row in grid]
    fig, ax = plt.subplots(figsize=(6, 4))
    mesh = ax.pcolormesh(dod[1:], [x * 1e6 for x in electrode.depths],
                         [row[1:] for row in ratio], shading="nearest",
                         norm=LogNorm(vmin=0.05, vmax=5), cmap="RdBu_r")
    fig.colorbar(mesh, ax=ax, label="interface current / mean")
    ax.invert_yaxis()
    ax.set_xlabel("depth of discharge (of 894 mAh/g)")
    ax.set_ylabel("depth from the separator (um)")
    ax.set_title("Reaction zone of the composite (homogenised)")
    fig.tight_layout()
    fig.savefig(out / "reaction_zone.png", dpi=150)
    plt.close(fig)
    return True


def figure_depths(runs, out):
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, run in runs.items():
        half = run.first_discharge()
        dod = depth_of_discharge(half)
        for axis, style in (("x", "-"), ("y", "--"), ("z", ":")):
            values = half.get(f"converted_depth_{axis}_m")
            if values and any(values):
                ax.plot(dod, [v * 1e6 for v in values], style, color=COLOURS.get(name),
                        label=f"{LABELS.get(name, name)}, {axis}")
    finish(fig, ax, out / "converted_depth.png", "depth of discharge (of 894 mAh/g)", "converted depth from the surface (um)",
           "Front along the axes (Fig. 4: one direction leads)")


def figure_contact_cycles(runs, out):
    """Contact over every cycle against time, log axis: what each discharge
    restarts through at the end of the charge before it (the electronic
    contact, doc/model.md section 2). Dashed: the faces the electrons come
    through (a microsphere's outer surface), where they differ."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, run in runs.items():
        s = run.stats
        hours = [t / 3600 for t in s["time_s"]]
        ax.plot(hours, s["contact_fraction"], color=COLOURS.get(name),
                label=LABELS.get(name, name))
        electronic = s.get("electronic_contact_fraction")
        if electronic and any(abs(e - c) > 1e-6
                              for e, c in zip(electronic, s["contact_fraction"])):
            ax.plot(hours, electronic, "--", color=COLOURS.get(name),
                    label=f"{LABELS.get(name, name)}, electronic path")
    ax.set_yscale("log")
    finish(fig, ax, out / "contact_cycles.png", "time (h)", "contact fraction",
           "Contact over the cycles")


def composite_cycles(embedded):
    """report.md's lines on the cycles of the composite around the
    resolved particle (@p embedded's electrode.csv): what the cell-level
    targets read there, with the interface state its particles had."""
    cycles = embedded.composite_cycles()
    if not cycles:
        return []
    state = embedded.parameter("Electrode/Interface state") or "own"
    lines = ["", "The composite around it, per cycle (electrode.csv; its particles' "
             f"interface state: `{state}`, Electrode/Interface state; with `own` they "
             "keep their pristine contact and no layer, doc/model.md section 8):", "",
             "| cycle | discharge (mAh/g) | mean discharge V | charge (mAh/g) | "
             "mean charge V | efficiency | hysteresis (V) |", "|---|---|---|---|---|---|---|"]
    for k, c in enumerate(cycles):
        lines.append(f"| {k + 1} | {fmt(c['discharge_mAh_g'], 4)} | "
                     f"{fmt(c['mean_discharge_V'], 4)} | {fmt(c['charge_mAh_g'], 4)} | "
                     f"{fmt(c['mean_charge_V'], 4)} | {fmt(c['coulombic_efficiency'])} | "
                     f"{fmt(c['hysteresis_V'])} |")
    return lines + ["", "The cell-level targets above read the resolved cell alone. On "
                    "their own state the composite's particles lose nothing on a "
                    "cycle (efficiency near 1); given the resolved particle's "
                    "(`run.sh OUT --in-composite \"Electrode/Interface state=resolved "
                    "particle\"`) they carry its contact loss and layer: "
                    "doc/calibration.md, sessions 41-43."]


def main(out, names):
    out = Path(out)
    runs = {n: Run(out / n) for n in names if (out / n / "cycles.csv").exists()}
    electrode = (Electrode(out / "solid_electrode")
                 if (out / "solid_electrode" / "electrode-layers.csv").exists() else None)
    embedded = (Run(out / "solid_in_composite")
                if (out / "solid_in_composite" / "statistics.csv").exists() else None)
    if not runs:
        sys.exit(f"report.py: no scenario results in {out}")
    figure_voltage(runs, out)
    nyquist = figure_nyquist(runs, out)
    figure_retention(runs, out)
    cycles_6g = figure_impedance_cycles(runs, out)
    figure_converted(runs, electrode, out, embedded)
    zone = figure_zone(electrode, out)
    figure_depths(runs, out)
    figure_state(runs, out, "contact_fraction", "contact fraction",
                 "contact_fraction.png", "Contact with the electrolyte (Fig. 5)")
    figure_state(runs, out, "interfacial_resistance_ohm_cm2",
                 "interfacial resistance (ohm cm^2)", "interfacial_resistance.png",
                 "Interfacial resistance during the 1st discharge", log=True)
    figure_contact_cycles(runs, out)

    rows = targets(runs)
    lines = ["# The paper in silico: simulated against measured", "",
             "Sun et al. 2019 (`../shared/seed/`), targets of PHYSICS.md section 6 "
             "and issue 10. Scenarios: " + ", ".join(f"`{n}`" for n in runs) +
             (". Missing: " + ", ".join(f"`{n}`" for n in names if n not in runs)
              if len(runs) < len(names) else "") + ".", "",
             "| observation | simulated | measured | |", "|---|---|---|---|"]
    for name, value, measured, verdict in rows:
        lines.append(f"| {name} | {fmt(value)} | {measured} | {verdict} |")
    passed = sum(r[3] == "pass" for r in rows)
    lines += ["", f"{passed} of {len(rows)} targets met.", ""]
    solid = runs.get("solid")
    half = solid.first_discharge() if solid else None
    converted = half["conversion_fraction"][-1] if half else 0.
    if 0 < converted <= CONVERTED_THROUGH:  # a front left to stall
        dim = int(solid.parameter("Geometry/Dimension") or 2)
        body = "disk" if dim == 2 else "ball"
        lines += ["The solid cell's front (the Fig. 3E row) against its geometry: "
                  "alone under a constant current its particle converts at a "
                  f"constant rate (end / start {fmt(conversion_slowdown(half))}), so "
                  "its deepest point slows only as the front's shape makes it. A front "
                  f"that converts the same fraction ({fmt(converted)}) of a {body} at a "
                  f"constant rate slows to {fmt(shape_slowdown(converted, dim, 'planar'))} "
                  "entering flat through one side and to "
                  f"{fmt(shape_slowdown(converted, dim, 'point'))} spreading from one "
                  "point of its surface (`shape_slowdown`; doc/calibration.md, "
                  "session 41).", ""]
    if electrode:
        lines += ["## The composite cathode, homogenised", "",
                  "`ssbsim --electrode inputs/fes2_solid.prm` (solid_electrode/): the "
                  f"solid cell's particles across {fmt(electrode.thickness() * 1e6, 3)} um "
                  "of composite (doc/model.md section 8). Discharge "
                  f"{fmt(electrode.cell['capacity_mAh_g'][-1], 4)} mAh/g at a mean "
                  f"{fmt(electrode.mean_discharge_voltage(), 4)} V (reacting share "
                  f"{electrode.parameter('Electrode/Reacting share') or 'n/a'}). A particle's front "
                  "slows where the reaction zone, which starts at the separator, has "
                  "moved on:", "",
                  "| depth from the separator (um) | front velocity, end / start | "
                  "Li content at the end |", "|---|---|---|"]
        for x in (electrode.imaged_depth(), 5e-6, 10e-6, 25e-6, 50e-6):
            if x <= electrode.depths[-1]:
                lines.append(f"| {fmt(x * 1e6, 3)} | {fmt(electrode.front_slowdown(x))} | "
                             f"{fmt(electrode.at_depth(x, 'li_content')[-1])} |")
        lines.append("\nThe target above is the resolved particle's, alone under the "
                     "C-rate's current.")
        if embedded:
            half = embedded.first_discharge()
            lines += ["", "The resolved particle placed at the separator of this "
                      "composite (solid_in_composite/: Electrode/Resolved particle "
                      f"depth = {embedded.parameter('Electrode/Resolved particle depth') or 'n/a'} um, "
                      "held at the potential of its depth; doc/model.md section 8):", "",
                      "| front velocity, end / start | converted fraction's rate, "
                      "end / start (Fig. 3E's axes) | converted fraction at the end |",
                      "|---|---|---|",
                      f"| {fmt(front_slowdown(half))} | {fmt(conversion_slowdown(half))} | "
                      f"{fmt(half['conversion_fraction'][-1])} |", "",
                      "Fig. 3E asks < 0.2 of either; doc/calibration.md, sessions 38-40: "
                      "what moves them (converted_fraction.png, dotted: this "
                      "particle against the composite's depth of discharge)."]
            levels = [r.parameter("Geometry/Interface refinements") if r else None
                      for r in (embedded, solid)]
            if None not in levels and levels[0] != levels[1]:
                lines += ["", f"Its interface is refined {levels[0]} times, the solid "
                          f"cell's {levels[1]}: the front reads differently on the two "
                          "meshes (doc/calibration.md, session 49), so these rows are "
                          "for comparing variants, not for the target."]
            lines += composite_cycles(embedded)
        lines.append("")
    lines += ["## Per cycle", ""]
    for name, run in runs.items():
        lines += [f"### {LABELS.get(name, name)}", "",
                  "| cycle | discharge (mAh/g) | charge (mAh/g) | efficiency | "
                  "hysteresis (V) | contact, end of discharge | contact, end of charge | "
                  "R_int, end of discharge (ohm cm^2 of interface) | R_int (ohm g of FeS2) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        c = run.cycles
        for k in range(len(c["cycle"])):
            lines.append("| " + " | ".join([
                str(int(c["cycle"][k])), fmt(c["discharge_capacity_mAh_g"][k], 4),
                fmt(c["charge_capacity_mAh_g"][k], 4), fmt(c["coulombic_efficiency"][k]),
                fmt(c["hysteresis_V"][k]), fmt(c["contact_fraction_end_discharge"][k]),
                fmt(c.get("contact_fraction_end_charge", [None] * (k + 1))[k]),
                fmt(c["interfacial_resistance_end_discharge_ohm_cm2"][k], 4),
                fmt(c.get("interfacial_resistance_end_discharge_ohm_g", [None] * (k + 1))[k], 4)]) + " |")
        lines.append(f"\npristine interfacial resistance {fmt(run.pristine_resistance(), 4)} "
                     "ohm cm^2\n")
        seed = run.parameter("Geometry/Random seed") if name == "insitu_grown" else None
        if seed is not None:
            lines.append(f"one random arrangement of the microsphere's grains and pores "
                         f"(Geometry/Random seed = {seed}); whether a microsphere survives "
                         "its charges depends on it (doc/calibration.md, sessions 21-30): "
                         "`seeds.sh OUT N` runs N arrangements\n")
        folded = run.stats.get("folded_cells")
        if folded:
            worst = max(folded)
            first = next((run.stats["capacity_mAh_g"][k], int(run.stats["cycle"][k]))
                         for k, n in enumerate(folded) if n > 0) if worst > 0 else None
            lines.append(f"mechanics cells folded at a corner (det F <= 0 at a vertex; "
                         f"the material overlaps there): at most {int(worst)}" +
                         (f", the first at {first[0]:.0f} mAh/g of cycle {first[1]}" if first
                          else "") + "\n")
    parts = {name: resistance_parts(run) for name, run in runs.items()}
    if any(v and v[2] > 0 for v in parts.values()):
        lines += ["## What R_int after the first discharge is made of", "",
                  "R_int = (R_ct + r_f) / contact fraction: the charge transfer "
                  "over the touching area, and the layer the electrolyte's "
                  "reduction leaves there (Kinetics/Side reaction film "
                  "resistivity; doc/model.md section 2). Each part over the "
                  "pristine R_int says how much of the rise it carries.", "",
                  "| scenario | pristine (ohm cm^2) | R_ct / contact | r_f / contact | "
                  "contact part / pristine | layer part / pristine |",
                  "|---|---|---|---|---|---|"]
        for name, v in parts.items():
            if v:
                lines.append(f"| {name} | {fmt(v[0], 4)} | {fmt(v[1], 4)} | {fmt(v[2], 4)} | "
                             f"{fmt(v[1] / v[0])} | {fmt(v[2] / v[0])} |")
        lines.append("")
    arcs = spectrum_arcs(runs)
    if any(v is not None for a in arcs.values() for v in a.values()):
        lines += ["## The spectra's arcs", "",
                  "Width of the high-frequency arc of each spectrum (ohm cm^2 of "
                  "interface; `arc_resistance`: as a Nyquist plot is read, from the "
                  "real part at the highest frequency to the first minimum of -Z'' "
                  "below the apex). It holds the charge transfer over the touching "
                  "area and the electrolyte's constriction towards it; the targets "
                  "above use the contact-based R_int = (R_ct + r_f) / contact fraction "
                  "(cycles.csv). Each spectrum is of the cell relaxed at open "
                  "circuit (Impedance/Relaxation time, 1 h by default).", "",
                  "| scenario | state | arc (ohm cm^2) | arc / pristine arc |",
                  "|---|---|---|---|"]
        for name, states in arcs.items():
            first = states.get("pristine")
            for state, value in states.items():
                if value is not None:
                    lines.append(f"| {name} | {state} | {fmt(value, 4)} | "
                                 f"{fmt(value / first) if first else '-'} |")
        lines.append("")
    lines += ["## Figures", "",
              "![voltage](voltage_first_cycle.png)",
              "![nyquist](nyquist.png)" if nyquist else "(no impedance spectra written)",
              "![retention](capacity_retention.png)",
              "![impedance over cycles](impedance_cycles.png)" if cycles_6g else "",
              "![converted](converted_fraction.png)",
              "![reaction zone](reaction_zone.png)" if zone else "",
              "![depth](converted_depth.png)",
              "![contact](contact_fraction.png)",
              "![resistance](interfacial_resistance.png)",
              "![contact over the cycles](contact_cycles.png)", ""]
    if (out / "contact_history_solid.png").exists():
        lines += ["The solid particle's interface by side (towards the separator, "
                  "the lateral neighbours, the collector) over its first discharge "
                  "(contact_history.py, contact_history_solid.csv; doc/calibration.md, "
                  "session 46):", "",
                  "![contact by side](contact_history_solid.png)", ""]
    lines += ["Cut views at the end of the first discharge (run.sh writes them "
              "with cut_view.py after this report):", ""]
    lines += [f"![cut view {name}](cut_view_{name}.png)" for name in runs] + [""]
    (out / "report.md").write_text("\n".join(lines))
    print("\n".join(lines[:len(rows) + 8]))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
