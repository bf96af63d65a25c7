#!/usr/bin/python3
"""Plots an ssbsim run: voltage against capacity per half cycle, and the
conversion, contact fraction and interfacial resistance against time.

    /usr/bin/python3 examples/first_cycle/plot.py results/fes2_solid_first_cycle

writes voltage_capacity.png and state.png into the results directory, and
with several particles (particles.csv) particles.png: each particle's Li
content and share of the current against the time.
"""
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in rows[0]}


def main(directory):
    directory = Path(directory)
    stats = read_csv(directory / "statistics.csv")

    fig, ax = plt.subplots(figsize=(6, 4))
    names = {1: "discharge", 2: "charge"}
    segments = {}
    for k in range(len(stats["time_s"])):
        kind = int(stats["half_cycle"][k])
        if kind not in names:
            continue
        key = (int(stats["cycle"][k]), kind)
        segments.setdefault(key, ([], []))
        segments[key][0].append(stats["capacity_mAh_g"][k])
        segments[key][1].append(stats["voltage_V"][k])
    for (cycle, kind), (q, v) in sorted(segments.items()):
        ax.plot(q, v, "-" if kind == 1 else "--",
                label=f"cycle {cycle} {names[kind]}")
    ax.set_xlabel("capacity (mAh/g)")
    ax.set_ylabel("voltage (V vs Li/Li$^+$)")
    ax.set_xlim(left=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / "voltage_capacity.png", dpi=150)

    fig, axes = plt.subplots(3, 1, figsize=(6, 7), sharex=True)
    hours = [t / 3600 for t in stats["time_s"]]
    axes[0].plot(hours, stats["conversion_fraction"])
    axes[0].set_ylabel("conversion fraction")
    axes[1].plot(hours, stats["contact_fraction"])
    axes[1].set_ylabel("contact fraction")
    axes[2].plot(hours, stats["interfacial_resistance_ohm_cm2"])
    axes[2].set_ylabel("R$_{int}$ ($\\Omega$ cm$^2$)")
    axes[2].set_xlabel("time (h)")
    fig.tight_layout()
    fig.savefig(directory / "state.png", dpi=150)
    print(f"wrote {directory / 'voltage_capacity.png'} and {directory / 'state.png'}")
    if (directory / "particles.csv").exists():
        plot_particles(directory, stats)


def plot_particles(directory, stats):
    """Each particle's Li content and share of the cell's current."""
    rows = read_csv(directory / "particles.csv")
    cell = dict(zip(stats["step"], stats["current_A"]))
    fig, axes = plt.subplots(2, 1, figsize=(6, 5.5), sharex=True)
    for k in sorted(set(rows["particle"])):
        idx = [i for i, p in enumerate(rows["particle"]) if p == k]
        hours = [rows["time_s"][i] / 3600 for i in idx]
        axes[0].plot(hours, [rows["li_content"][i] for i in idx],
                     label=f"particle {int(k)}")
        share = [rows["current_A"][i] / cell[rows["step"][i]]
                 if cell[rows["step"][i]] != 0 else float("nan") for i in idx]
        axes[1].plot(hours, share, label=f"particle {int(k)}")
    axes[0].set_ylabel("Li content $\\theta$")
    axes[0].legend()
    axes[1].set_ylabel("share of the cell current")
    axes[1].set_xlabel("time (h)")
    fig.tight_layout()
    fig.savefig(directory / "particles.png", dpi=150)
    print(f"wrote {directory / 'particles.png'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
