"""Pruning benchmark on WRN-16-2 ("all layers prunable", random weights, the bundled sample):

1. the wall time of one NetAdapt iteration (every prunable layer proposes a removal, each proposal
   is fine-tuned for `--short-term-steps` batches and scored on the held-out images);
2. the wall time of Fisher pruning 100 channels (a removal every `--prune-every` steps);
3. the prediction error of latency lookup tables built on this machine, against the latencies
   measured on this machine with the same protocol: on 20 random pruned WRN-16-2 networks (mean
   absolute percentage error and the largest), and on three pruned WRN-10-1 networks (halved,
   uneven, first block removed; each network's predicted and measured latency).

The thesis's settings (batches of 128, 100 steps per proposal or removal) take hours on a CPU:
the defaults here are smaller, and the per-step time is printed so they can be scaled. Prints the
figures, the machine and the load average (the CPU may be shared: say so when quoting them).

Run: .venv/bin/python -m benchmarks.pruning [--batch-size 64] [--short-term-steps 10]
     [--prune-every 5] [--points 4] [--networks 20] [--part netadapt|fisher|table]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from rich.console import Console

from thesislab.bench.devices import LOCAL
from thesislab.bench.protocol import resolve_protocol
from thesislab.data import load_data
from thesislab.deploy.convert import Variant, convert
from thesislab.models.names import format_name
from thesislab.models.spec import ArchSpec
from thesislab.prune.fisher import FisherSettings, fisher
from thesislab.prune.lut import build_table, count_models, measure_files
from thesislab.prune.netadapt import NetAdaptSettings, netadapt
from thesislab.prune.search import Context
from thesislab.prune.structure import structure_of
from thesislab.prune.target import Target, make_budget
from thesislab.train.network import build_network
from thesislab.train.recipe import Recipe

SPEC = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32, "all_prunable": True})
SMALL_SPEC = ArchSpec(family="wideresnet", params={"depth": 10, "width": 16})
SMALL_PRUNED = [[8, 16, 32], [4, 32, 12], [0, 20, 64]]
"""Pruned WRN-10-1 widths: halved, uneven, and with the first block removed."""
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


def random_widths(rng: np.random.Generator) -> list[int]:
    """Each prunable layer at a uniformly random width in [1, default]."""
    return [int(rng.integers(1, group.default + 1)) for group in structure_of(SPEC).groups]


def table_error(
    args: argparse.Namespace, results: Path, spec: ArchSpec, pruned: list[list[int]], label: str
) -> None:
    """Build the table of `spec`, then print how well it predicts the measured latencies of the
    networks with the `pruned` widths (each one's figures where they are few)."""
    protocol = resolve_protocol("quick", runs=args.runs, warmup_runs=5, passes=args.passes)
    models = count_models(spec, args.points)
    started = time.perf_counter()
    _, table = build_table(spec, LOCAL, protocol, results, points=args.points)
    built = time.perf_counter() - started
    structure = structure_of(spec)
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for number, widths in enumerate(pruned):
            files[str(number)] = Path(folder) / f"{number}.tflite"
            pruned_spec = spec.model_copy(update={"widths": widths})
            network = build_network(pruned_spec, Recipe(), mixed_precision=False)
            files[str(number)].write_bytes(convert(network, Variant("fp32")))
        medians = measure_files(files, LOCAL, protocol, None).medians
    measured = [medians[str(number)] for number in range(len(pruned))]
    predicted = [table.predict(structure, widths) for widths in pruned]
    errors = [abs(guess / actual - 1) for guess, actual in zip(predicted, measured, strict=True)]
    print(
        f"Lookup table of {format_name(spec)}: {models} models measured in {built:.0f} s "
        f"({args.points} points per axis, {protocol.passes} passes of {protocol.runs} runs, "
        f"1 thread); unpruned network {table.network_ms:.3f} ms; on {label} "
        f"({min(measured):.3f}-{max(measured):.3f} ms) the prediction error is "
        f"{100 * statistics.fmean(errors):.1f} % MAPE, {100 * max(errors):.1f} % at most"
    )
    if len(pruned) <= 5:
        for widths, guess, actual in zip(pruned, predicted, measured, strict=True):
            print(f"  {widths}: predicted {guess:.4f} ms, measured {actual:.4f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--short-term-steps", type=int, default=10)
    parser.add_argument("--prune-every", type=int, default=5)
    parser.add_argument("--points", type=int, default=4, help="lookup-table points per axis")
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--passes", type=int, default=3)
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
            rng = np.random.default_rng(0)
            networks = [random_widths(rng) for _ in range(args.networks)]
            random_label = f"{args.networks} random pruned networks"
            table_error(args, results, SPEC, networks, random_label)
            table_error(args, results, SMALL_SPEC, SMALL_PRUNED, "the three pruned networks")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
