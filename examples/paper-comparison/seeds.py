#!/usr/bin/python3
"""The in-situ grown electrode over random grain arrangements.

    /usr/bin/python3 examples/paper-comparison/seeds.py OUT N

reads OUT/seed-K/{statistics.csv, cycles.csv} and OUT/seed-K.log for
K = 1..N (seeds.sh runs them) and writes OUT/seeds.md and
OUT/seeds_capacity.png: per seed, the arrangement (grains, filled and
empty pores), the discharge capacity of every cycle, the electronic
contact at the end of every charge (the fraction of the outer surface
a discharge restarts through) and the first voltage of the discharge
after it, and the interfacial resistance's largest deviation from the
1st discharge (issue 10: within 0.30); then the mean over the seeds, a
first estimate for an electrode of N such microspheres side by side
(contacts add, so its resistance is the mean contact's; it ignores the
current that the live microspheres would take over from the dead ones,
which the row of particles of one run would carry).
"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import Run, fmt  # noqa: E402

ALIVE = 0.5  # a discharge below this fraction of the first counts as dead


def arrangement(log):
    """The geometry line that create_geometry printed, from 'N grains'."""
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if "porous microsphere of" in line and "grains" in line:
                return line.split(": ", 1)[-1].strip()
    return "?"


def seed_row(run):
    c = run.cycles
    n = len(c.get("cycle", []))
    q = [run.cycle_value("discharge_capacity_mAh_g", k) for k in range(1, n + 1)]
    f = [run.cycle_value("contact_fraction_end_discharge", k) for k in range(1, n + 1)]
    # electronic contact at the end of each charge and the first voltage
    # of the discharge that follows
    restart = []
    for k in range(1, n + 1):
        charge = run.half_cycle(k, 2)["electronic_contact_fraction"]
        after = run.half_cycle(k + 1, 1)["voltage_V"]
        if charge:
            restart.append((charge[-1], after[0] if after else None))
    alive = [v > ALIVE * q[0] for v in q] if q and q[0] else []
    deviation = max(abs(f[0] / v - 1) if v > 0 else float("inf") for v in f) if f else None
    return q, f, restart, alive, deviation


def main(out, n_seeds):
    out = Path(out)
    rows, mean_q, mean_f = [], {}, {}
    for seed in range(1, n_seeds + 1):
        d = out / f"seed-{seed}"
        if not (d / "cycles.csv").exists():
            print(f"seed {seed}: no results in {d}", file=sys.stderr)
            return 1
        run = Run(d)
        q, f, restart, alive, deviation = seed_row(run)
        rows.append((seed, arrangement(out / f"seed-{seed}.log"), q, f, restart, alive,
                     deviation))
        for k, (qk, fk) in enumerate(zip(q, f)):
            mean_q.setdefault(k, []).append(qk)
            mean_f.setdefault(k, []).append(fk)

    lines = ["# The in-situ grown electrode over random grain arrangements", "",
             f"{n_seeds} seeds of `inputs/fes2_insitu_grown.prm` (seeds.sh). "
             "A discharge below "
             f"{ALIVE:g} of the first counts as dead. Electronic contact: the "
             "fraction of the microsphere's outer surface touching at the end "
             "of each charge; V restart: the first voltage of the discharge "
             "after it. R_int deviation: the largest |R_k / R_1 - 1| over the "
             "discharges (issue 10: within 0.30; R_int = R_ct / contact).", "",
             "| seed | arrangement | discharge per cycle (mAh/g) | contact at end of "
             "discharge | electronic contact at end of charge | V restart (V) | "
             "cycles alive | R_int deviation |",
             "|---|---|---|---|---|---|---|---|"]
    for seed, geometry, q, f, restart, alive, deviation in rows:
        lines.append(
            f"| {seed} | {geometry} | {' / '.join(f'{v:.1f}' for v in q)} | "
            f"{' / '.join(fmt(v) for v in f)} | "
            f"{' / '.join(fmt(e) for e, _ in restart)} | "
            f"{' / '.join(fmt(v) for _, v in restart)} | "
            f"{sum(alive)} of {len(alive)} | {fmt(deviation)} |")
    n_cycles = len(mean_q)
    complete = [k for k in range(n_cycles) if len(mean_q[k]) == n_seeds]
    q_mean = [sum(mean_q[k]) / n_seeds for k in complete]
    f_mean = [sum(mean_f[k]) / n_seeds for k in complete]
    survivors = sum(all(r[5]) for r in rows)
    lines += ["",
              f"Seeds alive through every cycle: {survivors} of {n_seeds}.",
              "",
              "Mean over the seeds, a first estimate for an electrode of these "
              "microspheres side by side (the contacts add; the current that the "
              "live ones would take over from the dead ones is not in it):", "",
              "| cycle | discharge (mAh/g) | contact at end of discharge | R_int / R_int after the 1st |",
              "|---|---|---|---|"]
    for k, (qk, fk) in enumerate(zip(q_mean, f_mean)):
        lines.append(f"| {k + 1} | {qk:.1f} | {fmt(fk)} | "
                     f"{fmt(f_mean[0] / fk) if fk > 0 else 'inf'} |")
    (out / "seeds.md").write_text("\n".join(lines) + "\n")

    fig, ax = plt.subplots(figsize=(6, 4))
    for seed, _, q, *_ in rows:
        ax.plot(range(1, len(q) + 1), q, "o-", alpha=0.6, label=f"seed {seed}")
    ax.plot(range(1, len(q_mean) + 1), q_mean, "k-", lw=2.5, label="mean")
    ax.set_xlabel("cycle")
    ax.set_ylabel("discharge capacity (mAh/g)")
    ax.set_title("in-situ grown microsphere: random grain arrangements")
    ax.set_xticks(range(1, n_cycles + 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "seeds_capacity.png", dpi=120)
    print(f"seeds: {out / 'seeds.md'}, {out / 'seeds_capacity.png'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) < 1:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
