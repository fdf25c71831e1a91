"""Pruning benchmark on WRN-16-2 ("all layers prunable", random weights, the bundled sample):

1. the wall time of one NetAdapt iteration (every prunable layer proposes a removal, each proposal
   is fine-tuned for `--short-term-steps` batches and scored on the held-out images);
2. the wall time of Fisher pruning 100 channels (a removal every `--prune-every` steps);
3. the prediction error of thesislab's latency lookup tables on this machine, for WRN-40-2 (all
   layers prunable) and MobileNetV2: read from the committed records of
   `experiments/lookup-tables/` (20 random pruned networks of each, measured with the table's
   prediction by `thesislab lut check`), or, with `--measure`, from tables and networks built
   and measured afresh in a temporary directory (`--points`, `--networks`): mean relative error,
   the largest, and Pearson's correlation of predicted and measured latency.

The thesis's settings (batches of 128, 100 steps per proposal or removal) take hours on a CPU:
the defaults here are smaller, and the per-step time is printed so they can be scaled. Prints the
figures, the machine and the load average (the CPU may be shared: say so when quoting them).

Run: .venv/bin/python -m benchmarks.pruning [--batch-size 64] [--short-term-steps 10]
     [--prune-every 5] [--part netadapt|fisher|table] [--measure [--points 6] [--networks 20]]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rich.console import Console

from thesislab.bench.devices import LOCAL
from thesislab.bench.protocol import resolve_protocol
from thesislab.data import load_data
from thesislab.latency.build import CALIBRATION_NETWORKS, TABLE_PRESET, build_table, count_models
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of
from thesislab.prune.fisher import fisher
from thesislab.prune.netadapt import netadapt
from thesislab.prune.search import Context
from thesislab.prune.settings import FisherSettings, NetAdaptSettings
from thesislab.prune.target import Target, make_budget
from thesislab.train.network import build_network
from thesislab.training_recipe import Recipe

SPEC = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32, "all_prunable": True})
PARTS = ("netadapt", "fisher", "table")


def context(target: Target, results: Path) -> Context:
    """WRN-16-2 with random weights, the bundled sample, and the budget of `target`."""
    structure = structure_of(SPEC)
    widths = structure.default_widths
    network = build_network(SPEC, Recipe(), mixed_precision=False)
    budget = make_budget(target, structure, widths, results)
    quiet = Console(quiet=True)
    data = load_data()
    return Context(
        "benchmark", SPEC, structure, widths, network, None, budget, data, results, quiet
    )


def netadapt_iteration(args: argparse.Namespace, results: Path) -> None:
    # One iteration asking for 2.5 % of the MACs: the thesis's first iteration towards half the
    # cost (init_red_fact 20), here the whole way to a 97.5 % target.
    settings = NetAdaptSettings(
        batch_size=args.batch_size, short_term_steps=args.short_term_steps, init_red_fact=1.0001
    )
    started = time.perf_counter()
    outcome = netadapt(context(Target("macs", 0.975), results), settings)
    total = time.perf_counter() - started
    first = outcome.history[0]
    proposals = len(structure_of(SPEC).groups)
    steps = proposals * args.short_term_steps
    print(
        f"NetAdapt: {len(outcome.history)} iteration(s) in {total:.1f} s (setup, compilation and "
        f"the first fine-tune included); first iteration {first['seconds']:.1f} s for {proposals} "
        f"proposals x {args.short_term_steps} steps of batch {args.batch_size} "
        f"({first['seconds'] / steps:.3f} s per proposal step, holdout scoring included)"
    )


def fisher_100(args: argparse.Namespace, results: Path) -> None:
    total = sum(structure_of(SPEC).default_widths)
    keep = (total - 100 + 0.5) / total
    settings = FisherSettings(batch_size=args.batch_size, prune_every=args.prune_every)
    started = time.perf_counter()
    outcome = fisher(context(Target("channels", keep), results), settings)
    seconds = time.perf_counter() - started
    removed = total - sum(len(kept) for kept in outcome.kept)
    steps = removed * args.prune_every
    print(
        f"Fisher: {removed} channels removed in {seconds:.1f} s ({steps} steps of batch "
        f"{args.batch_size}, a removal every {args.prune_every}; {seconds / steps:.3f} s per step "
        "with setup and compilation)"
    )


TABLES = {
    "WRN-40-2": ArchSpec(
        family="wideresnet", params={"depth": 40, "width": 32, "all_prunable": True}
    ),
    "MobileNetV2": ArchSpec(family="mobilenetv2"),
}
"""The lookup tables of `experiments/lookup-tables/` (see its README for the commands)."""
COMMITTED = Path(__file__).resolve().parents[1] / "experiments" / "lookup-tables"


def table_error(args: argparse.Namespace) -> None:
    """Print each table's prediction error on its random pruned networks."""
    from thesislab.latency.check import check_table
    from thesislab.results.table import table

    with tempfile.TemporaryDirectory() as folder:
        results = COMMITTED if not args.measure else Path(folder)
        for label, spec in TABLES.items():
            if args.measure:
                started = time.perf_counter()
                build_table(
                    spec, LOCAL, resolve_protocol(TABLE_PRESET), results, points=args.points
                )
                check_table(results, spec, LOCAL, networks=args.networks)
                models = count_models(spec, args.points, CALIBRATION_NETWORKS)
                seconds = time.perf_counter() - started
                print(
                    f"{label}: table and {args.networks} networks in {seconds:.0f} s "
                    f"({models} models in the table)"
                )
        rows = table([results])
        rows = rows[rows["predicted_latency_ms"].notna() & (rows["device"] == LOCAL.name)]
        rows = rows[~rows["name"].str.contains("_unpruned_")]  # the session's speed reference
        for family, group in rows.groupby("family"):
            measured, predicted = group["latency_ms"], group["predicted_latency_ms"]
            errors = (predicted - measured).abs() / measured
            print(
                f"lookup table of {family} on {LOCAL.name}: {len(group)} random pruned networks "
                f"({measured.min():.3f}-{measured.max():.3f} ms measured): mean relative error "
                f"{errors.mean():.1%}, largest {errors.max():.1%}, Pearson "
                f"{measured.corr(predicted):.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--short-term-steps", type=int, default=10)
    parser.add_argument("--prune-every", type=int, default=5)
    parser.add_argument("--measure", action="store_true", help="build and measure afresh")
    parser.add_argument("--points", type=int, default=6, help="lookup-table points per axis")
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--part", choices=PARTS, help="run one part only (default: all)")
    args = parser.parse_args()
    parts = [args.part] if args.part else PARTS
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at start (a shared machine: other jobs may run)"
    )
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder)
        if "netadapt" in parts:
            netadapt_iteration(args, results)
        if "fisher" in parts:
            fisher_100(args, results)
        if "table" in parts:
            table_error(args)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
