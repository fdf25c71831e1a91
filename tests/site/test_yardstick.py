"""Predictions with their yardstick: beside a lookup table's errors, the share of its networks
within ±5 % and ±10 % and what MACs alone give on the same networks; beside each device pair's
rank correlation, that of MACs alone. Checked on hand-made networks and against scipy."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from thesislab.models.counting import count_spec
from thesislab.models.spec import ArchSpec
from thesislab.site import frames, latency_frames
from thesislab.site.pages import site_pages
from thesislab.site.render import render_page

MEASURED = [10.0, 20.0, 40.0, 80.0, 100.0, 50.0]
PREDICTED = [10.4, 21.5, 40.0, 95.0, 100.0, 49.0]
"""Relative errors 4 %, 7.5 %, 0, 18.75 %, 0 and 2 %: four within ±5 %, five within ±10 %."""
MACS = [1e6, 3e6, 2e6, 8e6, 9e6, None]
"""Ranked 1, 3, 2, 4, 5 where the latencies rank 1 to 5; the last network's MACs unknown."""


def _table(device: str = "box", family: str = "mobilenetv2") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "device": device,
            "family": family,
            "source": "thesislab",
            "latency_ms": MEASURED,
            "predicted_latency_ms": PREDICTED,
            "macs": MACS,
        }
    )


def test_a_tables_errors_and_the_share_within_5_and_10_percent():
    summary = latency_frames.prediction_summary(_table()).iloc[0]
    assert summary["results"] == 6
    assert summary["mean_relative_error"] == pytest.approx((0.04 + 0.075 + 0.1875 + 0.02) / 6)
    assert summary["within_5"] == pytest.approx(4 / 6)
    assert summary["within_10"] == pytest.approx(5 / 6)
    assert summary["spearman"] == pytest.approx(stats.spearmanr(PREDICTED, MEASURED).statistic)


def test_what_macs_alone_give_on_the_same_networks():
    summary = latency_frames.prediction_summary(_table()).iloc[0]
    macs, measured = np.array(MACS[:5]), np.array(MEASURED[:5])
    assert summary["macs_results"] == 5
    assert summary["macs_spearman"] == pytest.approx(0.9)  # 1 - 6 * 2 / (5 * 24)
    assert summary["macs_spearman"] == pytest.approx(stats.spearmanr(macs, measured).statistic)

    def squared_error(factor: float) -> float:
        return float((((factor * macs - measured) / measured) ** 2).sum())

    fitted = latency_frames.proportional_to_macs(pd.Series(macs), pd.Series(measured)).to_numpy()
    factor = fitted[0] / macs[0]
    assert np.allclose(fitted, factor * macs)
    for nudge in (0.99, 1.01):  # the fit's factor is the best one for the relative error
        assert squared_error(factor) < squared_error(factor * nudge)
    errors = np.abs(fitted - measured) / measured
    assert summary["macs_mean_relative_error"] == pytest.approx(errors.mean())
    assert summary["macs_within_10"] == pytest.approx((errors <= 0.10).mean())
    assert summary["macs_mean_relative_error"] > summary["mean_relative_error"]


def test_latencies_proportional_to_macs_are_fitted_exactly():
    exact = _table().assign(macs=[latency * 1e5 for latency in MEASURED])
    summary = latency_frames.prediction_summary(exact).iloc[0]
    assert summary["macs_spearman"] == pytest.approx(1)
    assert summary["macs_mean_relative_error"] == pytest.approx(0, abs=1e-12)
    assert summary["macs_within_10"] == 1


def test_without_macs_there_is_nothing_to_compare():
    unknown = _table().assign(macs=math.nan)
    summary = latency_frames.prediction_summary(unknown).iloc[0]
    assert summary["macs_results"] == 0
    assert math.isnan(summary["macs_spearman"]) and math.isnan(summary["macs_mean_relative_error"])


def test_macs_and_parameters_are_counted_where_the_architecture_is_known(results_table):
    counted = frames.with_counts(results_table)
    thesis = results_table["source"] == "thesis-2019"
    trained = counted[thesis & (results_table["stage"] == "trained")]
    assert results_table.loc[trained.index, "macs"].isna().all()  # none in the records ...
    rows = trained[["architecture", "params", "macs"]].head(5).itertuples(index=False)
    for architecture, params, macs in rows:
        count = count_spec(ArchSpec.model_validate_json(architecture))
        assert (params, macs) == (count.params, count.macs)  # ... counted
    pruned = counted[thesis & (results_table["stage"] != "trained")]
    assert len(pruned) > 0 and pruned[["params", "macs"]].isna().all(axis=None)  # widths unknown
    recorded = results_table.assign(macs=results_table["macs"].astype(float))
    recorded.loc[trained.index[0], "macs"] = 123.0  # a count in the records is kept
    assert frames.with_counts(recorded).loc[trained.index[0], "macs"] == 123.0


def test_the_lookup_page_shows_the_yardstick(results_table):
    pages = site_pages(results_table)
    page = next(page for page in pages if page.path == "lookup-tables.md")
    summary = page.context["summary"]
    text = render_page(page, pages)
    assert '<th colspan="4">MACs alone</th>' in text
    assert "Within ±5 %" in text and "Within ±10 %" in text
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>(.*?)</tr>", text)
    assert len(rows) == len(summary)
    thesis = summary[summary["source"] == "thesis-2019"].iloc[0]
    assert thesis["macs_results"] == 0  # pruned networks recorded without their widths
    assert "MACs are unknown for pruned networks recorded without their widths" in text
    cells = next(cells for device, _, source, cells in rows if source == "thesis-2019")
    assert re.findall(r'<td class="tl-number">([^<]*)</td>', cells)[-3:] == ["–", "–", "–"]
