"""Reading the output of TFLite's `benchmark_model` binary.

Two formats of its summary line are known, both in microseconds, possibly prefixed `INFO:` and
with numbers possibly in exponent form (`1.2345e+06`); each is one line in the output::

    Inference timings in us: Init: 3405, First inference: 28125,
        Warmup (avg): 26370.2, Inference (avg): 25903.3
    Average inference timings in us: Warmup: 264557, Init: 9869, Inference: 253817

Older binaries write `no stats:` for `Inference:`. The statistics of the timed runs come from
the last `count=… first=… curr=… min=… max=… avg=… std=…` line; an earlier one describes the
warm-up runs, and its `first=` is the first inference where the summary line does not give it.
"""

from __future__ import annotations

import re

from thesislab.bench.protocol import CallResult
from thesislab.errors import ThesislabError

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SUMMARY = re.compile(r"(?:Average )?[Ii]nference timings in us:(.*)")
_SUMMARY_FIELD = re.compile(rf"([A-Za-z][A-Za-z ()]*?):\s*({_NUMBER})")
_STAT_FIELD = re.compile(rf"\b([a-z0-9]+)=({_NUMBER})")
_MEAN_KEYS = ("Inference (avg)", "Inference", "no stats")
_MICROSECONDS_PER_MS = 1000.0


def _summary_fields(text: str) -> dict[str, float] | None:
    fields = None
    for line in text.splitlines():
        match = _SUMMARY.search(line)
        if match:
            fields = {
                key.strip(): float(value) for key, value in _SUMMARY_FIELD.findall(match.group(1))
            }
    return fields


def _stat_lines(text: str) -> list[dict[str, float]]:
    return [
        {key: float(value) for key, value in _STAT_FIELD.findall(line)}
        for line in text.splitlines()
        if re.search(r"\bcount=", line)
    ]


def parse_benchmark_output(text: str) -> CallResult:
    """The latency figures of one `benchmark_model` run (stdout and stderr together), in ms."""
    summary = _summary_fields(text)
    mean_key = next((key for key in _MEAN_KEYS if summary and key in summary), None)
    if summary is None or mean_key is None:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        received = lines[-1][:160] if lines else "no output"
        raise ThesislabError(
            "benchmark_model output: expected a line 'Inference timings in us: …' or "
            f"'Average inference timings in us: …', received: {received}"
        )
    stat_lines = _stat_lines(text)
    stats = stat_lines[-1] if stat_lines else {}
    warmup_first = stat_lines[0].get("first") if len(stat_lines) > 1 else None

    def milliseconds(value: float | None) -> float | None:
        return None if value is None else value / _MICROSECONDS_PER_MS

    mean_ms = summary[mean_key] / _MICROSECONDS_PER_MS
    return CallResult(
        mean_ms=mean_ms,
        count=int(stats.get("count", 1)),
        std_ms=milliseconds(stats.get("std")),
        median_ms=milliseconds(stats.get("median")),
        p5_ms=milliseconds(stats.get("p5")),
        p95_ms=milliseconds(stats.get("p95")),
        init_ms=milliseconds(summary.get("Init")),
        first_ms=milliseconds(summary.get("First inference", warmup_first)),
    )
