"""The tables behind the result pages, derived from `thesislab.results.table.table()`.

Everything here is plain pandas on the joined results table: which rows can be plotted, which rows
pair up (a student with and without its teacher, fp32 and int8 of one configuration), how far each
pruned model lies above or below uniform pruning at matched latency, how well lookup tables
predict latency (against what MACs alone would predict), how one configuration's latencies on
two devices compare (and how well MACs alone rank them) and which of the thesis's networks enter
or leave its Pareto front on another device. Pairs come back in long form, one row per point,
with a `pair` key and a `side`, so one chart builder can draw them all.
"""

from __future__ import annotations

import math
from contextlib import suppress
from typing import TYPE_CHECKING, Literal

from thesislab.errors import ThesislabError
from thesislab.importers.thesis2019 import DEVICE as THESIS_DEVICE
from thesislab.results.table import MEASURED, OF_ARCHITECTURE, architecture_known
from thesislab.site.palette import NO_METHOD
from thesislab.site.pareto import interpolate_front, pareto_front

if TYPE_CHECKING:
    import pandas as pd

REFERENCE_SOURCE = "thesis-2019"
"""Results of this source are drawn as a reference layer that can be hidden."""

BASELINE_METHOD = "uniform"
"""The pruning method the others are compared with."""


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The results table as pages need it: `pruning_method` never missing (`NO_METHOD` where no
    method produced the row) and `reference` added."""
    prepared = frame.copy()
    prepared["pruning_method"] = prepared["pruning_method"].fillna(NO_METHOD).astype(str)
    prepared["reference"] = prepared["source"] == REFERENCE_SOURCE
    prepared["distilled"] = prepared["distilled"].fillna(False).astype(bool)
    for column in ("name", "family", "stage", "source"):
        prepared[column] = prepared[column].astype(str)
    return prepared


def with_macs(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the MACs of every row whose architecture is known: its records' count, else
    counted from its spec (`models.counting.count_spec`, the count its records would hold).
    A pruned network recorded without its widths (the thesis's pruned rows) keeps none."""
    import pandas as pd

    from thesislab.models.counting import count_spec
    from thesislab.models.spec import ArchSpec

    missing = frame.loc[frame["macs"].isna(), ["stage", "architecture"]].drop_duplicates()
    counted: dict[tuple[str, str], int] = {}
    for stage, architecture in missing.itertuples(index=False):
        if architecture_known(str(stage), str(architecture)):
            with suppress(ThesislabError):  # a family this version does not know
                spec = ArchSpec.model_validate_json(str(architecture))
                counted[(str(stage), str(architecture))] = count_spec(spec).macs
    keys = zip(frame["stage"].astype(str), frame["architecture"].astype(str), strict=True)
    counts = pd.Series([counted.get(key) for key in keys], index=frame.index, dtype=float)
    return frame.assign(macs=frame["macs"].astype(float).fillna(counts))


def measured(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with both an accuracy and a latency: the ones an accuracy-latency chart can show."""
    return frame[frame["accuracy"].notna() & frame["latency_ms"].notna()]


_MISSING = "\x00missing"
"""Stands in for a missing key value so that missing matches missing in joins."""


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.assign(**{key: frame[key].astype(object).fillna(_MISSING) for key in keys})


def _shared_prefix(left: str, right: str) -> int:
    length = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        length += 1
    return length


IDENTITY = ("config_id", "quantization", "device")
"""What tells one row of the results table from the others."""


def identities(rows: pd.DataFrame) -> pd.Series:
    """A hash of each row's `IDENTITY`: the same for the same row whatever the other rows."""
    import pandas as pd

    present = [column for column in IDENTITY if column in rows.columns]
    return pd.util.hash_pandas_object(rows[present].astype(object), index=False)


def _long_form(
    frame: pd.DataFrame, first: list[int], second: list[int], prefix: str, sides: list[list[str]]
) -> pd.DataFrame:
    """Pairs in long form: the rows `first[i]` and `second[i]` of `frame`, each pair keyed by
    `prefix` and its second row's identity (so that a pair keeps its key as results come)."""
    import pandas as pd

    if not second:
        return frame.iloc[0:0].assign(pair="", side="", order=0)
    pairs = [f"{prefix}-{key:016x}" for key in identities(frame.loc[second])]
    parts = []
    for order, indices in enumerate((first, second)):
        part = frame.loc[indices].copy()
        part["pair"] = pairs
        part["side"] = [side[order] for side in sides]
        part["order"] = order
        parts.append(part)
    return pd.concat(parts, ignore_index=True).sort_values(["pair", "order"], ignore_index=True)


def distillation_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Each distilled row with the non-distilled row of the same architecture it is compared to.

    The partner has the same architecture, stage, quantization and device; of several, the one
    whose name shares the longest prefix with the student's (same recipe), then the most seeds.
    Long form: sides 'without teacher' and 'with teacher'.
    """
    keys = ["architecture", "stage", "quantization", "device"]
    keyed = _keyed(frame, keys).assign(row=frame.index)
    students = keyed[keyed["distilled"]]
    baselines = keyed[~keyed["distilled"]]
    candidates = students.merge(baselines, on=keys, suffixes=("", "_baseline"))
    if candidates.empty:
        return _long_form(frame, [], [], "distillation", [])
    candidates["prefix"] = [
        _shared_prefix(student, baseline)
        for student, baseline in zip(candidates["name"], candidates["name_baseline"], strict=True)
    ]
    chosen = candidates.sort_values(
        ["row", "prefix", "n_seeds_baseline", "row_baseline"], ascending=[True, False, False, True]
    ).drop_duplicates("row")
    students_rows = [int(row) for row in chosen["row"]]
    return _long_form(
        frame,
        [int(row) for row in chosen["row_baseline"]],
        students_rows,
        "distillation",
        [["without teacher", "with teacher"]] * len(chosen),
    )


def quantization_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """fp32 and quantized rows of one model configuration on one device. Sides: quantizations."""
    keys = ["config_id", "device"]
    keyed = _keyed(frame[frame["quantization"].notna()], keys).assign(row=lambda rows: rows.index)
    fp32 = keyed[keyed["quantization"] == "fp32"].drop_duplicates(keys)
    quantized = keyed[keyed["quantization"] != "fp32"]
    matched = quantized.merge(fp32[[*keys, "row"]], on=keys, suffixes=("", "_fp32"))
    return _long_form(
        frame,
        [int(row) for row in matched["row_fp32"]],
        [int(row) for row in matched["row"]],
        "quantization",
        [["fp32", str(quantization)] for quantization in matched["quantization"]],
    )


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
    timed = frame[
        frame["latency_ms"].notna() & frame["device"].notna() & frame["quantization"].notna()
    ]
    origin = timed["latency_from"].fillna(MEASURED) if "latency_from" in timed else MEASURED
    order = {
        device: rank for rank, device in enumerate(sorted(set(timed["device"]), key=_device_order))
    }
    timed = timed.assign(latency_from=origin, rank=timed["device"].map(order))
    keys = ["config_id", "quantization"]
    first = timed[[*keys, "device", "latency_ms", "latency_from", "rank"]].rename(
        columns=lambda column: column if column in keys else f"first_{column}"
    )
    pairs = timed.merge(first, on=keys)
    pairs = pairs[pairs["first_rank"] < pairs["rank"]]
    from_architecture = (pairs["latency_from"] == OF_ARCHITECTURE) | (
        pairs["first_latency_from"] == OF_ARCHITECTURE
    )
    return (
        pairs.assign(
            latency_from=from_architecture.map({True: OF_ARCHITECTURE, False: MEASURED}),
            ratio=pairs["latency_ms"] / pairs["first_latency_ms"],
            devices=[
                f"{second} against {first}"
                for first, second in zip(pairs["first_device"], pairs["device"], strict=True)
            ],
        )
        .sort_values(["first_rank", "rank", "family", "name", "quantization"])
        .drop(columns=["rank", "first_rank", "first_latency_from"])
        .reset_index(drop=True)
    )


def _rank_correlation(
    first: pd.Series, second: pd.Series, method: Literal["spearman", "kendall"]
) -> float:
    """Spearman's rho (Pearson's correlation of the average ranks) or Kendall's tau-b, without
    scipy (which pandas would need for them): NaN where either side has a single value."""
    import numpy as np

    if len(first) < 2 or first.nunique() < 2 or second.nunique() < 2:
        return math.nan
    if method == "spearman":
        return float(first.rank().corr(second.rank()))
    x, y = first.to_numpy(dtype=float), second.to_numpy(dtype=float)
    upper, lower = np.triu_indices(len(x), 1)
    dx, dy = np.sign(x[upper] - x[lower]), np.sign(y[upper] - y[lower])
    untied = math.sqrt(float(np.count_nonzero(dx)) * float(np.count_nonzero(dy)))
    return float((dx * dy).sum() / untied)


def _macs_ranking(group: pd.DataFrame) -> dict[str, float | int]:
    """How many of `group`'s rows have MACs (`with_macs`), and the Spearman rank correlation of
    their MACs with their latency (on the second device of a pair): how well MACs alone rank
    them."""
    counted = group[group["macs"].notna()]
    return {
        "macs_configurations": len(counted),
        "macs_spearman": _rank_correlation(
            counted["macs"].astype(float), counted["latency_ms"].astype(float), "spearman"
        ),
    }


def rank_correlations(compared: pd.DataFrame) -> pd.DataFrame:
    """Per pair of devices of `device_comparison`: how many configurations both timed, the
    Spearman and Kendall (tau-b) rank correlations of their latencies on the two, the median
    ratio of the second device's latency to the first's, and beside them the rank correlation
    of the second device's latencies with MACs alone (`_macs_ranking`)."""
    import pandas as pd

    rows = []
    for devices, group in compared.groupby("devices", sort=False):
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
    for values, group in compared.groupby(keys, sort=False):
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


def pair_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair: both points' name, configuration, family, device, side, accuracy and
    latency side by side (suffixes `_a` and `_b`), with the accuracy change and the speed-up
    from a to b, in name order."""
    columns = ["pair", "name", "config_id", "family", "device", "side", "accuracy", "latency_ms"]
    table = (
        pairs[pairs["order"] == 0][columns]
        .merge(pairs[pairs["order"] == 1][columns], on="pair", suffixes=("_a", "_b"))
        .sort_values(["name_a", "name_b", "device_a", "device_b", "pair"], ignore_index=True)
        .drop(columns="pair")
    )
    table["accuracy_change"] = table["accuracy_b"] - table["accuracy_a"]
    table["speed_up"] = table["latency_ms_a"] / table["latency_ms_b"]
    return table


def versus_baseline(frame: pd.DataFrame) -> pd.DataFrame:
    """Pruned rows with `accuracy_change`: accuracy minus uniform pruning's frontier accuracy at
    the same latency on the same device, interpolated between uniform's frontier points (NaN
    outside their latency range).

    Uniform pruning's frontier is taken over all its stages: a uniformly narrowed network trained
    from scratch is the baseline every pruning pipeline has to beat.
    """
    pruned = measured(frame[frame["pruning_method"] != NO_METHOD]).copy()
    pruned["accuracy_change"] = math.nan
    for _, rows in pruned.groupby("device"):
        baseline = rows[rows["pruning_method"] == BASELINE_METHOD]
        front = baseline.iloc[
            pareto_front(list(baseline["latency_ms"]), list(baseline["accuracy"]))
        ]
        latencies, accuracies = list(front["latency_ms"]), list(front["accuracy"])
        changes = []
        for latency, accuracy in zip(rows["latency_ms"], rows["accuracy"], strict=True):
            best = interpolate_front(latencies, accuracies, float(latency))
            changes.append(math.nan if best is None else float(accuracy) - best)
        pruned.loc[rows.index, "accuracy_change"] = changes
    return pruned


def baseline_summary(compared: pd.DataFrame) -> pd.DataFrame:
    """Per method, stage and device: how many points, how many above uniform, median change."""
    import pandas as pd

    rows = []
    for (method, stage, device), group in compared.groupby(["pruning_method", "stage", "device"]):
        changes = group["accuracy_change"].dropna()
        rows.append(
            {
                "pruning_method": method,
                "stage": stage,
                "device": device,
                "results": len(group),
                "compared": len(changes),
                "above": int((changes > 0).sum()),
                "median_change": float(changes.median()) if len(changes) else math.nan,
                "best_change": float(changes.max()) if len(changes) else math.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "pruning_method",
            "stage",
            "device",
            "results",
            "compared",
            "above",
            "median_change",
            "best_change",
        ],
    )


def predicted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with both a predicted (lookup table) and a measured latency."""
    return frame[frame["latency_predicted_ms"].notna() & frame["latency_ms"].notna()]


WITHIN = {"within_5": 0.05, "within_10": 0.10}
"""The relative errors within which the share of a table's networks is given (column: bound):
the measure latency predictors report (nn-Meter: 99 % of networks within ±10 % on mobile
CPUs)."""


def _errors(predicted_ms: pd.Series, measured_ms: pd.Series) -> dict[str, float]:
    """The mean relative error of `predicted_ms` and the share of them within each of
    `WITHIN`; NaN without any."""
    errors = (predicted_ms - measured_ms).abs() / measured_ms
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
    MACs alone give on the same networks (`_macs_alone`; MACs from `with_macs`)."""
    import pandas as pd

    keys = ["device", "family", "source"]
    summary = []
    for values, group in rows.groupby(keys):
        measured_ms = group["latency_ms"].astype(float)
        predicted_ms = group["latency_predicted_ms"].astype(float)
        correlation = (
            float(measured_ms.corr(predicted_ms))
            if len(group) > 1 and measured_ms.nunique() > 1 and predicted_ms.nunique() > 1
            else math.nan
        )
        summary.append(
            {
                **dict(zip(keys, values, strict=True)),
                "results": len(group),
                "correlation": correlation,
                "spearman": _rank_correlation(predicted_ms, measured_ms, "spearman"),
                **_errors(predicted_ms, measured_ms),
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


def counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Number of results (rows) and of model configurations per value of `by`.

    Missing values count under '(none)', e.g. results without a latency have no device.
    """
    filled = frame.assign(**{column: frame[column].fillna("(none)").astype(str) for column in by})
    grouped = filled.groupby(by)
    return (
        grouped.size()
        .rename("results")
        .to_frame()
        .join(grouped["config_id"].nunique().rename("configurations"))
        .reset_index()
    )
