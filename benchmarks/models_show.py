"""Wall time of `thesislab models show NAME --json`, a command that reads a family's plan and counts
from it without importing a framework.

Runs the installed `thesislab` command `--runs` times for each name (a fresh process each time, as
a user would) and prints the median and fastest wall time, and whether the JSON report came back.

Run: .venv/bin/python benchmarks/models_show.py [NAME ...] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMAND = Path(sys.executable).with_name("thesislab")
DEFAULT_NAMES = ("res-40-2", "mobilenetv2_d12_er6_w24_se2", "nasnet_d12_w32", "condensenet_d42_w8")


def wall_times(name: str, runs: int) -> list[float]:
    """Seconds of each run of `models show NAME --json`; each must print a report."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [str(COMMAND), "models", "show", name, "--json"],
            check=True,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        json.loads(done.stdout)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT_NAMES)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    for name in arguments.names:
        times = wall_times(name, arguments.runs)
        print(
            f"{name:<32} median {statistics.median(times):.2f} s  fastest {min(times):.2f} s  "
            f"({arguments.runs} runs)"
        )


if __name__ == "__main__":
    main()
