"""Speed of the results site: build it from N synthetic records, then again after one new record.

Writes N records (models, TFLite artifacts, latency measurements on two devices, some pruned,
distilled or int8) to a temporary results directory with the real `Store`, then prints, for
each N (1,000 and 10,000 unless given): the time of `table()` and of a cold build (empty cache
directory), each in a new process with its imports, and the build's peak memory; the time of a
rebuild in the same process after one new record, in place as under `mkdocs serve` (which does
not wait for the PDFs) until the pages are written, with how many pages it rendered, charts it
drew and model pages it wrote, and into a new folder as `thesislab site build` does, until the
new PDFs are written; the size of the largest page with the scripts and stylesheets it loads at
start; and the data files the pages whose data grows with the results load.

Run: .venv/bin/python benchmarks/site_build.py [N ...]
"""

from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from thesislab.models.spec import ArchSpec
from thesislab.records import (
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    Lineage,
    MeasurementRecord,
    ModelRecord,
    Protocol,
    Pruning,
    Source,
)
from thesislab.results.table import table
from thesislab.store import Store

FAMILIES = ("wideresnet", "mobilenetv1", "mobilenetv2", "mnasnet", "shufflenetv2", "effnet")
METHODS = ("netadapt", "morphnet", "fisher", "uniform", "random")
DEVICES = ("local", "raspberry-pi-4")


def write_synthetic(store: Store, count: int, seed: int = 0) -> int:
    """Write about `count` records (one configuration at a time) and return how many."""
    rng = random.Random(seed)
    written = 0
    index = 0
    while written < count:
        index += 1
        family = rng.choice(FAMILIES)
        width = rng.choice((16, 24, 32, 48, 64))
        depth = rng.choice((9, 12, 15, 18))
        pruned = rng.random() < 0.3
        lineage = Lineage(
            stage="retrained" if pruned else "trained",
            distilled=rng.random() < 0.15,
            pruning=Pruning(method=rng.choice(METHODS)) if pruned else None,
        )
        macs = depth * width * width * 1000 * rng.uniform(0.5, 1.5)
        model = ModelRecord(
            name=f"{family}_d{depth}_w{width}_run{index}",
            architecture=ArchSpec(family=family, params={"depth": depth, "width": width}),
            seed=index,
            lineage=lineage,
            accuracy=min(0.97, 0.80 + 0.03 * (macs / 4e7) ** 0.25 + rng.gauss(0, 0.01)),
            params=int(macs / 40),
            macs=int(macs),
            source=Source(name="thesislab"),
        )
        model_id = store.write(model)
        written += 1
        for quantization in ("fp32", "int8") if rng.random() < 0.5 else ("fp32",):
            artifact_id = store.write(
                ArtifactRecord(
                    model_id=model_id,
                    quantization=quantization,
                    accuracy=(model.accuracy or 0) - (0.004 if quantization == "int8" else 0),
                )
            )
            written += 1
            for device in DEVICES[: rng.choice((1, 2))]:
                latency = macs / 1e6 * (0.3 if quantization == "int8" else 1.0)
                latency *= 4.0 if device != "local" else 1.0
                store.write(
                    MeasurementRecord(
                        artifact_id=artifact_id,
                        device=DeviceInfo(name=device),
                        runtime="ai-edge-litert 2.3",
                        protocol=Protocol(threads=1, runs=50),
                        latency=LatencyStats(mean_ms=latency * 1.02, median_ms=latency),
                        predicted_latency_ms=latency * rng.uniform(0.9, 1.1) if pruned else None,
                    )
                )
                written += 1
    return written


def _largest_page(site: Path) -> tuple[str, int]:
    """The largest HTML page, counted with every local script and stylesheet it loads."""
    largest = ("", 0)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        size = len(text.encode())
        for reference in set(re.findall(r'(?:src|href)="([^"#?]+\.(?:js|css))', text)):
            asset = (page.parent / reference).resolve()
            if asset.is_file():
                size += asset.stat().st_size
        largest = max(largest, (str(page.relative_to(site)), size), key=lambda item: item[1])
    return largest


PEAK_MEMORY = "; import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
"""Appended to a timed program: it prints its process's peak resident memory (KiB)."""


def _in_new_process(code: str) -> tuple[float, float]:
    """Seconds a fresh interpreter takes to run `code` (imports included), and its peak
    resident memory in MB."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + PEAK_MEMORY], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, int(done.stdout.split()[-1]) * 1024 / 1e6


REPEATS = 2
"""Each timing is taken this many times; the machine is shared, so the fastest is reported (and
the slowest, to show the spread)."""


def _spread(times: list[float]) -> str:
    return f"{min(times):.2f} s (slowest {max(times):.2f})"


class _Messages(logging.Handler):
    """The thesislab plugin's log lines of the builds that run while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.lines.append(record.getMessage().removeprefix("thesislab: "))


def _data_files(site: Path) -> str:
    """How many data files the site has, and their size."""
    files = list((site / "assets" / "thesislab" / "data").glob("*.js"))
    return f"{len(files)} data files, {sum(f.stat().st_size for f in files) / 1e6:.2f} MB in all"


def run(count: int) -> None:
    """Print the figures for `count` synthetic records."""
    from thesislab.site import worker
    from thesislab.site.build import build_site

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        store = Store(root / "results" / "synthetic")
        total = write_synthetic(store, count)
        site = root / "site"
        rows = len(table([store.root]))
        table_s = [
            _in_new_process(
                f"from thesislab.results.table import table; table({str(store.root)!r})"
            )[0]
            for _ in range(REPEATS)
        ]
        cold = [
            _in_new_process(
                "from pathlib import Path; from thesislab.site.build import build_site; "
                f"build_site([Path({str(store.root)!r})], Path({str(site)!r}), "
                f"cache_dir=Path({str(root / f'cache-{attempt}')!r}))"
            )
            for attempt in range(REPEATS)
        ]
        cache = root / "cache-0"
        messages = _Messages()
        plugin_log = logging.getLogger("mkdocs.plugins.thesislab")
        plugin_log.setLevel(logging.INFO)
        plugin_log.addHandler(messages)
        rebuilds: dict[bool, list[float]] = {True: [], False: []}
        serving = {"cache_dir": cache, "wait_for_exports": False}  # as `mkdocs serve` builds
        build_site([store.root], site, **serving)  # its first build
        for attempt, wait in enumerate([False] * REPEATS + [True] * REPEATS):
            write_synthetic(Store(store.root), 1, seed=count + attempt + 1)
            start = time.perf_counter()
            build_site([store.root], site, cache_dir=cache, wait_for_exports=wait)
            rebuilds[wait].append(time.perf_counter() - start)
            worker.drain()  # the next rebuild starts with nothing left to render
        page, size = _largest_page(site)
        print(
            f"{total:>6} records, {rows} rows: table() {_spread(table_s)}; cold build "
            f"{_spread([seconds for seconds, _ in cold])} (both in a new process, imports "
            f"included), its peak memory {max(megabytes for _, megabytes in cold):.0f} MB; "
            "rebuild in the same process after one new record: "
            f"{_spread(rebuilds[False])} until the pages are written (as mkdocs serve does: "
            f"{messages.lines[1]}), {_spread(rebuilds[True])} with its new PDFs (as "
            "thesislab site build does, into a new folder); "
            f"largest page {page}: {size / 1e6:.2f} MB with its scripts and stylesheets; "
            f"{_data_files(site)}"
        )


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    for argument in sys.argv[1:] or ["1000", "10000"]:
        run(int(argument))
