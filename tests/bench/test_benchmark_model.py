"""Parsing `benchmark_model` output: both summary formats, `INFO:` prefixes, exponents."""

from __future__ import annotations

import pytest

from thesislab.bench.benchmark_model import parse_benchmark_output
from thesislab.errors import ThesislabError

CURRENT = (
    "INFO: STARTING!\n"
    "INFO: Num runs: [50]\n"
    "INFO: Graph: [model.tflite]\n"
    "INFO: Loaded model model.tflite\n"
    "INFO: Initialized session in 3.405ms.\n"
    "INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds "
    "but terminate if exceeding 150 seconds.\n"
    "INFO: count=19 first=28125 curr=26100 min=25990 max=28125 avg=26370.2 std=470\n"
    "\n"
    "INFO: Running benchmark for at least 50 iterations and at least 1 seconds "
    "but terminate if exceeding 150 seconds.\n"
    "INFO: count=50 first=26018 curr=25828 min=25620 max=26453 avg=25903.3 std=178\n"
    "\n"
    "INFO: Inference timings in us: Init: 3405, First inference: 28125, "
    "Warmup (avg): 26370.2, Inference (avg): 25903.3\n"
    "INFO: Memory footprint delta from the start of the tool (MB): init=5.2 overall=7.1\n"
)

OLDER = """\
STARTING!
Num runs: [50]
Graph: [res-40-2_quantized.tflite]
Initialized session in 9.869ms
Running benchmark for at least 1 iterations and at least 0.5 seconds
count=2 first=268044 curr=261070 min=261070 max=268044 avg=264557 std=3487

Running benchmark for at least 50 iterations and at least 1 seconds
count=50 first=254016 curr=253394 min=251917 max=258473 avg=253817 std=1198

Average inference timings in us: Warmup: 264557, Init: 9869, {label}: 253817
"""


def test_current_format():
    result = parse_benchmark_output(CURRENT)
    assert result.mean_ms == pytest.approx(25.9033)
    assert result.count == 50
    assert result.std_ms == pytest.approx(0.178)
    assert result.init_ms == pytest.approx(3.405)
    assert result.first_ms == pytest.approx(28.125)
    assert result.median_ms is None and result.times_ms == ()


def test_exponent_form_without_prefix():
    text = (
        "count=50 first=1.3e+06 curr=1.2e+06 min=1.1e+06 max=1.4e+06 avg=1.2345e+06 std=2.5E+04\n"
        "Inference timings in us: Init: 1.5e+05, First inference: 1.3e+06, "
        "Warmup (avg): 1.3e+06, Inference (avg): 1.2345e+06\n"
    )
    result = parse_benchmark_output(text)
    assert result.mean_ms == pytest.approx(1234.5)
    assert result.std_ms == pytest.approx(25.0)
    assert result.init_ms == pytest.approx(150.0)
    assert result.first_ms == pytest.approx(1300.0)


@pytest.mark.parametrize("label", ["Inference", "no stats"])
def test_older_format(label: str):
    result = parse_benchmark_output(OLDER.format(label=label))
    assert result.mean_ms == pytest.approx(253.817)
    assert result.count == 50
    assert result.std_ms == pytest.approx(1.198)
    assert result.init_ms == pytest.approx(9.869)
    assert result.first_ms == pytest.approx(268.044)  # the warm-up line's first run


def test_percentiles_are_read_where_printed():
    text = (
        "count=50 first=10 curr=10 min=9 max=12 avg=10.2 std=0.5 p5=9.1 median=10.1 p95=11.5\n"
        "Inference timings in us: Init: 1, First inference: 10, Warmup (avg): 10, "
        "Inference (avg): 10.2\n"
    )
    result = parse_benchmark_output(text)
    assert (result.p5_ms, result.median_ms, result.p95_ms) == pytest.approx(
        (0.0091, 0.0101, 0.0115)
    )


def test_output_without_timings_is_an_error_naming_the_last_line():
    with pytest.raises(ThesislabError, match=r"received: ERROR: Could not open 'x\.tflite'\.$"):
        parse_benchmark_output("STARTING!\nERROR: Could not open 'x.tflite'.\n")
    with pytest.raises(ThesislabError, match=r"received: no output"):
        parse_benchmark_output("")
