"""The tables behind the devices and lookup-tables pages, derived from `results.table.table()`:
latencies compared across devices and against what a lookup table or MACs alone predict."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from thesislab.importers.thesis2019 import DEVICE as THESIS_DEVICE
from thesislab.results.table import MEASURED, OF_ARCHITECTURE
from thesislab.site.frames import REFERENCE_SOURCE, ROW_KEY, combined_keys
from thesislab.site.pareto import pareto_front

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

REFERENCE_DEVICE = THESIS_DEVICE.name
"""The device the thesis timed its networks on: the first of every pair of devices compared."""


def _device_order(device: str) -> tuple[bool, str]:
    return device != REFERENCE_DEVICE, device


def device_comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """Each (configuration, quantization) with a latency on several devices, once per pair of
    them: the row of the pair's second device (its `device` and `latency_ms`) with the first's
    `first_device` and `first_latency_ms`, the `ratio` of the second latency to the first, the
    pair's name `devices` ('B against A') and `latency_from` ('architecture' where either
    latency was measured on an untrained network of the same architecture and quantization).

    A pair's first device is the thesis's, the others come by name; pairs come in that order.
    Rows without `latency_from` count as measured on their own artifacts.
    """
    import numpy as np

    timed = frame[
        frame["latency_ms"].notna() & frame["device"].notna() & frame["quantization"].notna()
    ]
    origin = timed["latency_from"].fillna(MEASURED) if "latency_from" in timed else MEASURED
    order = {
        device: rank
        for rank, device in enumerate(sorted(timed["device"].unique(), key=_device_order))
    }
    timed = timed.assign(latency_from=origin, rank=timed["device"].map(order))
    keys = ["config_id", "quantization"]
    keyed = [ROW_KEY] if ROW_KEY in timed.columns else []
    first = timed[[*keys, "device", "latency_ms", "latency_from", "rank", *keyed]].rename(
        columns=lambda column: column if column in keys else f"first_{column}"
    )
    at = timed[[*keys, "rank"]].assign(row=np.arange(len(timed)))  # the merge, on a few columns
    matched = at.merge(first, on=keys)
    matched = matched[matched["first_rank"] < matched["rank"]]
    pairs = timed.iloc[matched["row"].to_numpy()].reset_index(drop=True)
    for column in first.columns.drop(keys):
        pairs[column] = matched[column].to_numpy()
    if keyed:  # a pair's row is its two rows'
        first_keys = pairs.pop(f"first_{ROW_KEY}").to_numpy()
        pairs[ROW_KEY] = combined_keys(pairs[ROW_KEY].to_numpy(), first_keys)
    from_architecture = (pairs["latency_from"] == OF_ARCHITECTURE) | (
        pairs["first_latency_from"] == OF_ARCHITECTURE
    )
    return (
        pairs.assign(
            latency_from=from_architecture.map({True: OF_ARCHITECTURE, False: MEASURED}),
            ratio=pairs["latency_ms"] / pairs["first_latency_ms"],
            devices=pairs["device"].astype(str) + " against " + pairs["first_device"].astype(str),
        )
        .sort_values(["first_rank", "rank", "family", "name", "quantization"])
        .drop(columns=["rank", "first_rank", "first_latency_from"])
        .reset_index(drop=True)
    )


def _tied_pairs(*columns: np.ndarray) -> int:
    """How many pairs of rows have equal values in every one of `columns`."""
    import numpy as np

    order = np.lexsort(columns)
    ordered = [column[order] for column in columns]
    starts = np.zeros(len(order), dtype=bool)  # where a run of equal rows starts
    starts[:1] = True
    for column in ordered:
        starts[1:] |= column[1:] != column[:-1]
    counts = np.diff(np.flatnonzero(np.append(starts, True)))
    return int((counts * (counts - 1) // 2).sum())


def _inversions(values: np.ndarray) -> int:
    """How many pairs i < j of `values` (whole numbers from 0 to len - 1) have values[i] >
    values[j]: a bottom-up merge sort, each level of merges counted at once."""
    import numpy as np

    count, size, width = 0, len(values), 1
    positions = np.arange(size)
    while width < size:
        block = positions // (2 * width)
        right = positions % (2 * width) >= width
        keys = block * size + values  # each block's values sorted (the level before merged them)
        left_keys, right_keys = keys[~right], keys[right]
        left_ends = np.searchsorted(left_keys, (block[right] + 1) * size)
        count += int((left_ends - np.searchsorted(left_keys, right_keys, side="right")).sum())
        values = np.sort(keys) - block * size
        width *= 2
    return count


def _kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b in O(n log n) (Knight's algorithm, as scipy computes it): the pairs
    discordant are the inversions of y's ranks in the order of (x, y)."""
    import numpy as np

    pairs = len(x) * (len(x) - 1) // 2
    order = np.lexsort((y, x))
    ranks = np.empty(len(y), dtype=np.int64)  # ties in y: the earlier row ranks lower
    ranks[np.argsort(y[order], kind="stable")] = np.arange(len(y))
    x_ties, y_ties, both_ties = _tied_pairs(x), _tied_pairs(y), _tied_pairs(x, y)
    discordant = _inversions(ranks)
    concordant_less_discordant = pairs - x_ties - y_ties + both_ties - 2 * discordant
    return concordant_less_discordant / math.sqrt((pairs - x_ties) * (pairs - y_ties))


def _single_valued(values: pd.Series) -> bool:
    """Whether `values` hold fewer than two distinct values (missing ones aside)."""
    present = values.dropna()
    return present.empty or bool(present.min() == present.max())


def _rank_correlation(
    first: pd.Series, second: pd.Series, method: Literal["spearman", "kendall"]
) -> float:
    """Spearman's rho (Pearson's correlation of the average ranks) or Kendall's tau-b, without
    scipy (which pandas would need for them): NaN where either side has a single value."""
    values = (first.to_numpy(dtype=float).tobytes(), second.to_numpy(dtype=float).tobytes())
    return _correlation_of(*values, method)


@lru_cache(maxsize=256)
def _correlation_of(first: bytes, second: bytes, method: Literal["spearman", "kendall"]) -> float:
    """`_rank_correlation` of the values as bytes (float64): a rebuild works out only those of
    the groups whose values changed (a few of a device page's)."""
    import numpy as np
    import pandas as pd

    x = pd.Series(np.frombuffer(first, dtype=float))
    y = pd.Series(np.frombuffer(second, dtype=float))
    if len(x) < 2 or _single_valued(x) or _single_valued(y):
        return math.nan
    if method == "spearman":
        return float(x.rank().corr(y.rank()))
    return _kendall_tau_b(x.to_numpy(), y.to_numpy())


def _macs_ranking(group: pd.DataFrame) -> dict[str, float | int]:
    """How many of `group`'s rows have MACs (`frames.with_counts`), and the Spearman rank
    correlation of their MACs with their latency (on the second device of a pair): how well
    MACs alone rank them."""
    counted = group.loc[group["macs"].notna(), ["macs", "latency_ms"]]
    return {
        "macs_configurations": len(counted),
        "macs_spearman": _rank_correlation(
            counted["macs"].astype(float), counted["latency_ms"].astype(float), "spearman"
        ),
    }


_RANKED = ["first_latency_ms", "latency_ms", "ratio", "macs"]
"""The columns of `device_comparison` the rank correlations and ratios read."""


def rank_correlations(compared: pd.DataFrame) -> pd.DataFrame:
    """Per pair of devices of `device_comparison`: how many configurations both timed, the
    Spearman and Kendall (tau-b) rank correlations of their latencies on the two, the median
    ratio of the second device's latency to the first's, and beside them the rank correlation
    of the second device's latencies with MACs alone (`_macs_ranking`)."""
    import pandas as pd

    rows = []
    needed = ["devices", "first_device", "device", *_RANKED]
    for devices, group in compared[needed].groupby("devices", sort=False):
        first, second = group["first_latency_ms"].astype(float), group["latency_ms"].astype(float)
        rows.append(
            {
                "devices": devices,
                "first_device": group["first_device"].iloc[0],
                "device": group["device"].iloc[0],
                "configurations": len(group),
                "spearman": _rank_correlation(first, second, "spearman"),
                "kendall": _rank_correlation(first, second, "kendall"),
                "median_ratio": float(group["ratio"].median()),
                **_macs_ranking(group),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "devices",
            "first_device",
            "device",
            "configurations",
            "spearman",
            "kendall",
            "median_ratio",
            "macs_configurations",
            "macs_spearman",
        ],
    )


def ratio_summary(compared: pd.DataFrame) -> pd.DataFrame:
    """Per pair of devices, family and quantization: how many configurations, the Spearman and
    Kendall (tau-b) rank correlations of their latencies (and MACs alone's, `_macs_ranking`),
    and the median, 10th and 90th percentiles (linear interpolation) of the ratio of their
    latencies."""
    import pandas as pd

    keys = ["devices", "family", "quantization"]
    rows = []
    for values, group in compared[[*keys, *_RANKED]].groupby(keys, sort=False):
        first, second = group["first_latency_ms"].astype(float), group["latency_ms"].astype(float)
        rows.append(
            {
                **dict(zip(keys, values, strict=True)),
                "configurations": len(group),
                "spearman": _rank_correlation(first, second, "spearman"),
                "kendall": _rank_correlation(first, second, "kendall"),
                **_macs_ranking(group),
                "median": float(group["ratio"].median()),
                "p10": float(group["ratio"].quantile(0.1)),
                "p90": float(group["ratio"].quantile(0.9)),
            }
        )
    columns = [
        *keys,
        "configurations",
        "spearman",
        "kendall",
        "macs_configurations",
        "macs_spearman",
        "median",
        "p10",
        "p90",
    ]
    return pd.DataFrame(rows, columns=columns)


def thesis_fronts(compared: pd.DataFrame, device: str) -> pd.DataFrame:
    """The thesis's networks (configuration and quantization) with an accuracy and a latency on
    both the thesis's device and `device`, from `device_comparison`: their rows on `device`,
    with whether each is on the Pareto front of these networks at the thesis's device's
    latencies (`front_before`) and at `device`'s (`front_after`). Accuracy does not depend on
    the device: both fronts take the same."""
    rows = compared[
        (compared["first_device"] == REFERENCE_DEVICE)
        & (compared["device"] == device)
        & (compared["source"] == REFERENCE_SOURCE)
        & compared["accuracy"].notna()
    ].reset_index(drop=True)
    rows = rows.drop(columns=ROW_KEY, errors="ignore")  # fronts are of all rows together
    accuracy = list(rows["accuracy"])
    before = set(pareto_front(list(rows["first_latency_ms"]), accuracy))
    after = set(pareto_front(list(rows["latency_ms"]), accuracy))
    return rows.assign(
        front_before=[index in before for index in rows.index],
        front_after=[index in after for index in rows.index],
    )


ENTERS = "enters"


LEAVES = "leaves"


def front_changes(fronts: pd.DataFrame) -> pd.DataFrame:
    """The networks of `thesis_fronts` that enter or leave the Pareto front when the device
    changes, with their `change` (`ENTERS` or `LEAVES`): those entering first, then by accuracy,
    the most accurate first."""
    changed = fronts[fronts["front_before"] != fronts["front_after"]]
    return (
        changed.assign(change=changed["front_after"].map({True: ENTERS, False: LEAVES}))
        .sort_values(["change", "accuracy", "name"], ascending=[True, False, True])
        .reset_index(drop=True)
    )


def predicted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with both a predicted (lookup table) and a measured latency."""
    return frame[frame["predicted_latency_ms"].notna() & frame["latency_ms"].notna()]


WITHIN = {"within_5": 0.05, "within_10": 0.10}
"""The relative errors within which the share of a table's networks is given (column: bound):
the measure latency predictors report (nn-Meter: 99 % of networks within ±10 % on mobile
CPUs)."""


def _errors(predicted_latency_ms: pd.Series, measured_ms: pd.Series) -> dict[str, float]:
    """The mean relative error of `predicted_latency_ms` and the share of them within each of
    `WITHIN`; NaN without any."""
    errors = (predicted_latency_ms - measured_ms).abs() / measured_ms
    if errors.empty:
        return {"mean_relative_error": math.nan, **dict.fromkeys(WITHIN, math.nan)}
    shares = {column: float((errors <= bound).mean()) for column, bound in WITHIN.items()}
    return {"mean_relative_error": float(errors.mean()), **shares}


def proportional_to_macs(macs: pd.Series, measured_ms: pd.Series) -> pd.Series:
    """The latencies a latency proportional to MACs predicts, its factor fitted to
    `measured_ms` by least squares on the relative error (the error the tables are judged by):
    k = sum(m / l) / sum((m / l)^2)."""
    ratios = macs / measured_ms
    return float(ratios.sum() / (ratios**2).sum()) * macs


def _macs_alone(group: pd.DataFrame) -> dict[str, float | int]:
    """What MACs alone give on the networks of `group` whose MACs are known: their count, the
    Spearman correlation of MACs and measured latency, and the mean relative error and share
    within ±10 % of a latency proportional to MACs fitted on them (none for fewer than two)."""
    counted = group[group["macs"].notna()]
    macs, measured_ms = counted["macs"].astype(float), counted["latency_ms"].astype(float)
    fitted = (
        _errors(proportional_to_macs(macs, measured_ms), measured_ms)
        if len(counted) > 1
        else _errors(macs.iloc[:0], measured_ms.iloc[:0])
    )
    return {
        "macs_results": len(counted),
        "macs_spearman": _rank_correlation(macs, measured_ms, "spearman"),
        "macs_mean_relative_error": fitted["mean_relative_error"],
        "macs_within_10": fitted["within_10"],
    }


def prediction_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per device, family and source (the thesis's tables or thesislab's): how many networks,
    the Pearson and Spearman correlations of predicted and measured latency, the mean relative
    error and the shares of networks within ±5 % and ±10 % (`WITHIN`); and beside them what
    MACs alone give on the same networks (`_macs_alone`; MACs from `frames.with_counts`)."""
    import pandas as pd

    keys = ["device", "family", "source"]
    summary = []
    for values, group in rows.groupby(keys):
        measured_ms = group["latency_ms"].astype(float)
        predicted_latency_ms = group["predicted_latency_ms"].astype(float)
        correlation = (
            float(measured_ms.corr(predicted_latency_ms))
            if len(group) > 1 and measured_ms.nunique() > 1 and predicted_latency_ms.nunique() > 1
            else math.nan
        )
        summary.append(
            {
                **dict(zip(keys, values, strict=True)),
                "results": len(group),
                "correlation": correlation,
                "spearman": _rank_correlation(predicted_latency_ms, measured_ms, "spearman"),
                **_errors(predicted_latency_ms, measured_ms),
                **_macs_alone(group),
            }
        )
    columns = [
        *keys,
        "results",
        "correlation",
        "spearman",
        "mean_relative_error",
        *WITHIN,
        "macs_results",
        "macs_spearman",
        "macs_mean_relative_error",
        "macs_within_10",
    ]
    return pd.DataFrame(summary, columns=columns)
