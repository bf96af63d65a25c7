#!/usr/bin/python3
"""Plots an ssbsim run: voltage against capacity per half cycle, and the
conversion, contact fraction and interfacial resistance against time.

    /usr/bin/python3 examples/first_cycle/plot.py results/fes2_solid_first_cycle

writes voltage_capacity.png and state.png into the results directory.
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


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
