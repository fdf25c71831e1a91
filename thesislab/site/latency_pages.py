"""The pages on latency itself: devices compared (the latency atlas) and lookup tables checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from thesislab.results.roles import Role
from thesislab.results.table import OF_ARCHITECTURE
from thesislab.site import frames, latency_frames
from thesislab.site.charts.data import Chart, ChartSpec
from thesislab.site.frames import ROW_KEY
from thesislab.site.page import LOOKUP, UNFINISHED_STAGE, Page, natural_order, slug

if TYPE_CHECKING:
    import pandas as pd


ATLAS_COMMAND = "thesislab run experiments/latency-atlas.yaml"
"""The study that times every thesis architecture on this machine (and on the devices it lists)."""


def _device_comparison(compared: pd.DataFrame) -> Chart:
    """Latency on the second device of a pair against the first, one point per configuration."""
    pairs = compared["devices"].unique()
    first, second = (
        (str(compared["first_device"].iloc[0]), str(compared["device"].iloc[0]))
        if len(pairs) == 1
        else ("the pair's first device", "its second device")
    )
    return Chart(
        ChartSpec(
            "devices",
            "Latency on one device against another",
            shape="quantization",
            shape_title="Quantization",
            x="first_latency_ms",
            x_title=f"Latency on {first} (ms, log scale)",
            y="latency_ms",
            y_title=f"Latency on {second} (ms, log scale)",
            log_y=True,
            frontier="none",
            rule="diagonal",
            selectors=("devices",),
            error_bars=False,
        ),
        compared,
        keyed=ROW_KEY in compared.columns,
    )


def _thesis_front(fronts: pd.DataFrame, device: str) -> Chart:
    """The thesis's 2019 accuracies at `device`'s latencies (`latency_frames.thesis_fronts`)."""
    return Chart(
        ChartSpec(
            f"devices-front-{slug(device)}",
            f"2019 accuracies at {device} latencies",
            shape="quantization",
            shape_title="Quantization",
            x_title=f"Latency on {device} (ms, log scale)",
        ),
        fronts.assign(reference=False),  # every point is the thesis's: no layer to hide
    )


def devices_page(frame: pd.DataFrame) -> Page:
    compared = latency_frames.device_comparison(frames.with_counts(frame))
    charts = {"comparison": _device_comparison(compared)}
    fronts = []
    finished = compared[compared["stage"] != UNFINISHED_STAGE]
    for device in sorted(set(finished["device"].unique()) - {latency_frames.REFERENCE_DEVICE}):
        rows = latency_frames.thesis_fronts(finished, device)
        if rows.empty:
            continue
        chart = _thesis_front(rows, device)
        charts[chart.spec.chart_id] = chart
        fronts.append(
            {
                "device": device,
                "chart": chart.spec.chart_id,
                "networks": len(rows),
                "of_architecture": int((rows["latency_from"] == OF_ARCHITECTURE).sum()),
                "before": int(rows["front_before"].sum()),
                "after": int(rows["front_after"].sum()),
                "changes": latency_frames.front_changes(rows),
            }
        )
    return Page(
        "devices.md",
        "Devices",
        "devices.j2",
        charts=charts,
        context={
            "counts": frames.counts(frame, ["device"]),
            "points": len(compared),
            "correlations": latency_frames.rank_correlations(compared),
            "ratios": latency_frames.ratio_summary(compared),
            "of_architecture": int((compared["latency_from"] == OF_ARCHITECTURE).sum()),
            "fronts": fronts,
            "reference_device": latency_frames.REFERENCE_DEVICE,
            "atlas": ATLAS_COMMAND,
        },
    )


def lookup_page(frame: pd.DataFrame) -> Page:
    """Predicted against measured latency, of published results and calibration networks."""
    rows = latency_frames.predicted(frames.with_counts(frame))
    networks = frame[frame["role"] == Role.CALIBRATION]
    error = (networks["predicted_latency_ms"] - networks["latency_ms"]) / networks["latency_ms"]
    networks = networks.assign(prediction_error=error.round(3) + 0.0)  # + 0.0: no '-0.0 %'
    return Page(
        LOOKUP,
        "Lookup tables",
        "lookup.j2",
        charts={
            "lookup": Chart(
                ChartSpec(
                    "lookup-tables",
                    "Predicted against measured latency",
                    colour="device",
                    colour_title="Device",
                    shape="source",
                    shape_title="Source",
                    selectors=("family",),
                    x="predicted_latency_ms",
                    x_title="Predicted latency (ms, log scale)",
                    y="latency_ms",
                    y_title="Measured latency (ms, log scale)",
                    log_y=True,
                    frontier="none",
                    rule="diagonal",
                    error_bars=False,
                ),
                rows,
                keyed=ROW_KEY in rows.columns,
            )
        },
        context={
            "summary": latency_frames.prediction_summary(rows),
            "networks": networks.sort_values(
                ["family", "name", "quantization", "device"], key=natural_order
            ),
        },
    )
