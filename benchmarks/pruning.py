"""Pruning benchmark on WRN-16-2 ("all layers prunable", random weights, the bundled sample):

1. the wall time of one NetAdapt iteration (every prunable layer proposes a removal, each proposal
   is fine-tuned for `--short-term-steps` batches and scored on the held-out images);
2. the wall time of Fisher pruning 100 channels (a removal every `--prune-every` steps);
3. the mean absolute percentage error of a latency lookup table built on this machine, on 20
   random pruned WRN-16-2 networks measured on this machine with the same protocol.

The thesis's settings (batches of 128, 100 steps per proposal or removal) take hours on a CPU:
the defaults here are smaller, and the per-step time is printed so they can be scaled. Prints the
figures, the machine and the load average (the CPU may be shared: say so when quoting them).

Run: .venv/bin/python -m benchmarks.pruning [--batch-size 64] [--short-term-steps 10]
     [--prune-every 5] [--points 4] [--networks 20]
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


def table_error(args: argparse.Namespace, results: Path) -> None:
    protocol = resolve_protocol("quick", runs=args.runs, warmup_runs=5, passes=args.passes)
    models = count_models(SPEC, args.points)
    started = time.perf_counter()
    _, table = build_table(SPEC, LOCAL, protocol, results, points=args.points)
    built = time.perf_counter() - started
    structure = structure_of(SPEC)
    rng = np.random.default_rng(0)
    specs = [SPEC.model_copy(update={"widths": random_widths(rng)}) for _ in range(args.networks)]
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for number, spec in enumerate(specs):
            files[str(number)] = Path(folder) / f"{number}.tflite"
            network = build_network(spec, Recipe(), mixed_precision=False)
            files[str(number)].write_bytes(convert(network, Variant("fp32")))
        measured = measure_files(files, LOCAL, protocol, None).medians
    errors = []
    for number, spec in enumerate(specs):
        predicted = table.predict(structure, list(spec.widths or []))
        errors.append(abs(predicted / measured[str(number)] - 1))
    print(
        f"Lookup table: {models} models measured in {built:.0f} s ({args.points} points per "
        f"axis, {protocol.passes} passes of {protocol.runs} runs, 1 thread); unpruned network "
        f"{table.network_ms:.3f} ms; on {len(specs)} random pruned networks "
        f"({min(measured.values()):.3f}-{max(measured.values()):.3f} ms) the prediction error is "
        f"{100 * statistics.fmean(errors):.1f} % MAPE, {100 * max(errors):.1f} % at most"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--short-term-steps", type=int, default=10)
    parser.add_argument("--prune-every", type=int, default=5)
    parser.add_argument("--points", type=int, default=4, help="lookup-table points per axis")
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at start (a shared machine: other jobs may run)"
    )
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder)
        netadapt_iteration(args, results)
        fisher_100(args, results)
        table_error(args, results)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
