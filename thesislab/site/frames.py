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

import bisect
import hashlib
import math
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from thesislab.errors import ThesislabError
from thesislab.results.table import architecture_known
from thesislab.site.palette import NO_METHOD
from thesislab.site.pareto import front_accuracies, pareto_front

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from thesislab.models.counting import ModelCount

REFERENCE_SOURCE = "thesis-2019"
"""Results of this source are drawn as a reference layer that can be hidden."""

BASELINE_METHOD = "uniform"
"""The pruning method the others are compared with."""

ROW_KEY = "row_key"
"""The column of a slice of the results table holding the keys of its rows
(`results.table.Joined.keys`): equal keys, equal rows, within one process. A row worked out
from a few rows of the table alone (one side of a pair) carries the key of those
(`combined_keys`); one worked out from many (compared with a frontier) carries none."""


def combined_keys(*keys: np.ndarray) -> np.ndarray:
    """Keys (`ROW_KEY`) of rows each worked out from one row of each of `keys`' rows (in that
    order), from those rows' keys."""
    import numpy as np

    combined = np.zeros(len(keys[0]), dtype=np.uint64)
    for column in keys:  # FNV-1a over the keys, wrapping as unsigned 64-bit numbers do
        combined = (combined ^ np.asarray(column).astype(np.uint64)) * np.uint64(0x100000001B3)
    return combined.view(np.int64)


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


@cache
def spec_counts(stage: str, architecture: str) -> ModelCount | None:
    """The parameters and MACs of a network of `stage` whose architecture is the JSON text
    `architecture` (as the results table holds it), counted from its spec
    (`models.counting.count_spec`, the counts its records would hold); None where it is not
    known: a pruned network recorded without its widths (the thesis's pruned rows), a family
    this version does not know."""
    from thesislab.models.counting import count_spec
    from thesislab.models.spec import ArchSpec

    if not architecture_known(stage, architecture):
        return None
    with suppress(ThesislabError):
        return count_spec(ArchSpec.model_validate_json(architecture))
    return None


def with_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the parameters and MACs of every row whose architecture is known: its
    records' counts, else counted from its spec (`spec_counts`)."""
    import pandas as pd

    lacking = frame["macs"].isna() | frame["params"].isna()
    missing = frame.loc[lacking, ["stage", "architecture"]]
    keys = list(zip(missing["stage"].astype(str), missing["architecture"].astype(str), strict=True))
    counted = {key: spec_counts(*key) for key in dict.fromkeys(keys)}

    def counts(field: str) -> pd.Series:
        values = [getattr(counted[key], field, None) for key in keys]
        return pd.Series(values, index=missing.index, dtype=float)

    return frame.assign(
        params=frame["params"].astype(float).fillna(counts("params")),
        macs=frame["macs"].astype(float).fillna(counts("macs")),
    )


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


_identified: dict[bytes, np.ndarray] = {}
"""The identities of the last few sets of rows with keys (`ROW_KEY`), by a digest of their keys:
two charts of the same rows (the overview and the families' frontiers) hash them once."""


def identities(rows: pd.DataFrame) -> pd.Series:
    """A hash of each row's `IDENTITY`: the same for the same row whatever the other rows."""
    import numpy as np
    import pandas as pd

    global _identified
    digest = None
    if ROW_KEY in rows.columns:
        digest = hashlib.sha256(rows[ROW_KEY].to_numpy(dtype=np.int64).tobytes()).digest()
        if digest in _identified:
            return pd.Series(_identified[digest], index=rows.index)
    present = [column for column in IDENTITY if column in rows.columns]
    hashed = pd.util.hash_pandas_object(rows[present].astype(object), index=False)
    if digest is not None:
        _identified = {**dict(list(_identified.items())[-3:]), digest: hashed.to_numpy()}
    return hashed


def _long_form(
    frame: pd.DataFrame, first: list[int], second: list[int], prefix: str, sides: list[list[str]]
) -> pd.DataFrame:
    """Pairs in long form: the rows `first[i]` and `second[i]` of `frame`, each pair keyed by
    `prefix` and its second row's identity (so that a pair keeps its key as results come)."""
    import numpy as np
    import pandas as pd

    if not second:
        return frame.iloc[0:0].assign(pair="", side="", order=0)
    identity = [column for column in IDENTITY if column in frame.columns]
    keys = identities(frame.loc[second, identity]).to_numpy()
    pairs = [f"{prefix}-{key:016x}" for key in keys]
    parts = []
    for order, (indices, partners) in enumerate(((first, second), (second, first))):
        part = frame.loc[indices]
        part["pair"] = pairs
        part["side"] = [side[order] for side in sides]
        part["order"] = order
        if ROW_KEY in frame.columns:  # a pair's point is its row's and its partner's
            own, other = part[ROW_KEY].to_numpy(), frame.loc[partners, ROW_KEY].to_numpy()
            part[ROW_KEY] = combined_keys(own, other, np.full(len(own), order))
        parts.append(part)
    by_pair = np.lexsort((np.repeat([0, 1], len(keys)), np.concatenate([keys, keys])))
    return pd.concat(parts, ignore_index=True).take(by_pair).reset_index(drop=True)


@dataclass(frozen=True)
class _Baselines:
    """The non-distilled rows of one architecture, stage, quantization and device, in name
    order: their names, and for each its order of preference among those of one name prefix
    (the most seeds, then the first row) and its row."""

    names: list[str]
    preference: list[tuple[int, int]]
    rows: list[int]

    def partner(self, name: str) -> int:
        """The row of the baseline whose name shares the longest prefix with `name`, of those
        the preferred: names sharing a prefix lie side by side in name order, and the longest
        prefix shared with any of them is shared with one of the two around `name`."""
        at = bisect.bisect_left(self.names, name)
        around = self.names[max(0, at - 1) : at + 1]
        prefix = name[: max(_shared_prefix(name, other) for other in around)]
        first = bisect.bisect_left(self.names, prefix)
        last = first
        while last < len(self.names) and self.names[last].startswith(prefix):
            last += 1
        best = min(range(first, last), key=self.preference.__getitem__)
        return self.rows[best]


_partners: dict[int, dict[int, int]] = {}
"""The partner of each student (both by row key, `ROW_KEY`) in each group of rows of one
architecture, stage, quantization and device, by a hash of the group's row keys, as the last
call found them: a rebuild in the same process looks for partners only in the groups whose rows
changed."""


def distillation_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Each distilled row with the non-distilled row of the same architecture it is compared to.

    The partner has the same architecture, stage, quantization and device; of several, the one
    whose name shares the longest prefix with the student's (same recipe), then the most seeds.
    Long form: sides 'without teacher' and 'with teacher'.
    """
    global _partners
    keys = ["architecture", "stage", "quantization", "device"]
    known = ROW_KEY in frame.columns
    read = [*keys, "name", "n_seeds", "distilled", *([ROW_KEY] if known else [])]
    keyed = _keyed(frame[read], keys).assign(row=frame.index)
    baselines = keyed[~keyed["distilled"]].sort_values(["name", "row"])
    students = keyed[keyed["distilled"]]
    names, rows = baselines["name"].tolist(), baselines["row"].tolist()
    seeds = baselines["n_seeds"].tolist()
    student_names, student_rows = students["name"].tolist(), students["row"].tolist()
    row_keys = baselines[ROW_KEY].tolist() if known else rows
    student_keys = students[ROW_KEY].tolist() if known else student_rows
    row_of = dict(zip(row_keys, rows, strict=True))
    among = baselines.groupby(keys, sort=False).indices  # in name order within each
    partner_of: dict[int, int] = {}
    found: dict[int, dict[int, int]] = {}
    for key, at in students.groupby(keys, sort=False).indices.items():
        if key not in among:
            continue
        group = list(among[key])
        digest = hash((tuple(row_keys[i] for i in group), tuple(student_keys[i] for i in at)))
        chosen = _partners.get(digest) if known else None
        if chosen is None:
            baseline = _Baselines(
                [names[i] for i in group],
                [(-int(seeds[i]), int(rows[i])) for i in group],
                [int(row_keys[i]) for i in group],
            )
            chosen = {student_keys[i]: baseline.partner(student_names[i]) for i in at}
        found[digest] = chosen
        partner_of.update((student_rows[i], row_of[chosen[student_keys[i]]]) for i in at)
    if known:
        _partners = found
    first = [partner_of[row] for row in student_rows if row in partner_of]
    second = [row for row in student_rows if row in partner_of]
    return _long_form(
        frame, first, second, "distillation", [["without teacher", "with teacher"]] * len(second)
    )


def quantization_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """fp32 and quantized rows of one model configuration on one device. Sides: quantizations."""
    keys = ["config_id", "device"]
    timed = frame.loc[frame["quantization"].notna(), [*keys, "quantization"]]
    keyed = _keyed(timed, keys).assign(row=lambda rows: rows.index)
    fp32 = keyed[keyed["quantization"] == "fp32"].drop_duplicates(keys)
    quantized = keyed[keyed["quantization"] != "fp32"]
    matched = quantized.merge(fp32[[*keys, "row"]], on=keys, suffixes=("", "_fp32"))
    return _long_form(
        frame,
        matched["row_fp32"].astype(int).tolist(),
        matched["row"].astype(int).tolist(),
        "quantization",
        [["fp32", str(quantization)] for quantization in matched["quantization"].tolist()],
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
    pruned = measured(frame[frame["pruning_method"] != NO_METHOD]).drop(
        columns=ROW_KEY, errors="ignore"
    )
    pruned["accuracy_change"] = math.nan
    for _, rows in pruned.groupby("device"):
        baseline = rows[rows["pruning_method"] == BASELINE_METHOD]
        front = baseline.iloc[
            pareto_front(list(baseline["latency_ms"]), list(baseline["accuracy"]))
        ]
        best = front_accuracies(
            front["latency_ms"].tolist(),
            front["accuracy"].tolist(),
            rows["latency_ms"].to_numpy(dtype=float),
        )
        pruned.loc[rows.index, "accuracy_change"] = rows["accuracy"].to_numpy(float) - best
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


def counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Number of results (rows) and of model configurations per value of `by`.

    Missing values count under '(none)', e.g. results without a latency have no device.
    """
    filled = frame[list(dict.fromkeys([*by, "config_id"]))].assign(
        **{column: frame[column].fillna("(none)").astype(str) for column in by}
    )
    grouped = filled.groupby(by)
    return (
        grouped.size()
        .rename("results")
        .to_frame()
        .join(grouped["config_id"].nunique().rename("configurations"))
        .reset_index()
    )
