"""Latency of every thesis architecture on this machine beside the thesis's Raspberry Pi 3B.

Reads the latency atlas (`experiments/latency-atlas/`: every architecture of the thesis's CSVs,
measured untrained in fp32 and int8) with the imported thesis results, or, with `--measure`,
measures the atlas's architectures afresh into a temporary results directory (thesislab's own
path: `thesislab bench --arch`, protocol `--protocol`). For every thesis configuration measured
on both devices, prints its two latencies and the ratio; then the rank correlations (Spearman and
Kendall) between the devices and the distribution of the ratio, per family and quantization and
overall, and the correlation of the Pi's latency with MACs and parameters for comparison.

Run: .venv/bin/python benchmarks/models.py [--measure] [--protocol thesis2019] [--device local]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from thesislab.models.registry import architecture_key
from thesislab.studies.check import load_study

REPO = Path(__file__).resolve().parents[1]
ATLAS = REPO / "experiments" / "latency-atlas"
THESIS = REPO / "experiments" / "thesis-2019"
PI = "raspberry-pi-3b"


def measure(results: Path, protocol: str, device: str) -> None:
    """Measure every architecture of the atlas study untrained, fp32 and int8, into `results`."""
    study = load_study(REPO / "experiments" / "latency-atlas.yaml")
    command = [sys.executable, "-c", "from thesislab.cli import main; main()", "bench"]
    for entry in study.architectures:
        command += ["--arch", entry.spec.model_dump_json()]
    command += ["--results", str(results), "--protocol", protocol, "--device", device]
    subprocess.run(command, check=True)


def paired(results: list[Path], device: str) -> pd.DataFrame:
    """One row per thesis configuration and quantization with a latency on the Pi and `device`."""
    from thesislab.results.table import table

    frame = table(results)
    thesis = frame[(frame["source"] == "thesis-2019") & frame["latency_ms"].notna()]
    wide = thesis.pivot_table(
        index=["config_id", "name", "family", "quantization"],
        columns="device",
        values="latency_ms",
    ).reset_index()
    if device not in wide or PI not in wide:
        raise SystemExit(f"no thesis configuration has a latency on both {PI} and {device}")
    wide = wide.dropna(subset=[PI, device])
    untrained = frame[frame["stage"] == "untrained"].copy()
    untrained["key"] = untrained["architecture"].map(architecture_key)
    counts = untrained.drop_duplicates("key").set_index("key")[["macs", "params"]]
    keys = thesis.drop_duplicates("config_id").set_index("config_id")["architecture"]
    wide["key"] = wide["config_id"].map(keys).map(architecture_key)
    wide = wide.join(counts, on="key")  # the thesis records hold no counts: the atlas's do
    return wide.assign(ratio=wide[device] / wide[PI])


def correlations(group: pd.DataFrame, device: str) -> dict[str, object]:
    """Rank correlations between the devices (from 3 networks on) and the ratio's quantiles for
    one group, each architecture and quantization counted once."""
    group = group.drop_duplicates(["key", "quantization"])
    ranked = len(group) >= 3
    return {
        "n": len(group),
        "spearman": group[PI].corr(group[device], method="spearman") if ranked else None,
        "kendall": group[PI].corr(group[device], method="kendall") if ranked else None,
        "ratio_median": group["ratio"].median(),
        "ratio_p10": group["ratio"].quantile(0.1),
        "ratio_p90": group["ratio"].quantile(0.9),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure afresh, not the atlas")
    parser.add_argument("--protocol", default="thesis2019", help="protocol with --measure")
    parser.add_argument("--device", default="local", help="the device to compare with the Pi")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} CPUs; {PI} figures from the thesis (TFLite 1.13)")
    with tempfile.TemporaryDirectory() as temporary:
        own = ATLAS
        if args.measure:
            own = Path(temporary)
            measure(own, args.protocol, args.device)
        pairs = paired([THESIS, own], args.device)
    pd.set_option("display.width", 120)
    shown = pairs[["name", "quantization", PI, args.device, "ratio"]].sort_values(PI)
    print(shown.to_string(index=False, float_format=lambda value: f"{value:.3f}"))
    groups = {"all": pairs}
    for (family, quantization), group in pairs.groupby(["family", "quantization"]):
        groups[f"{family} {quantization}"] = group
    summary = pd.DataFrame({name: correlations(g, args.device) for name, g in groups.items()}).T
    print(summary.to_string(float_format=lambda value: f"{value:.3f}"))
    distinct = pairs.drop_duplicates(["key", "quantization"])
    for column in ("macs", "params", args.device):
        rho = distinct[PI].corr(distinct[column], method="spearman")
        print(f"Spearman({PI} latency, {column}) = {rho:.3f}")


if __name__ == "__main__":
    main()
