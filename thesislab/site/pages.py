"""What each result page shows: its path, title, template, charts and the figures its text quotes.

`site_pages(frame)` turns the joined results table into the list of pages: the home section, an
overview and one page per architecture family, a comparison and one page per pruning method,
distillation, quantization, devices, lookup tables, the reproduction of the thesis and the
differences from it, the sample runs, the table of all results, the models index and the record
schema. Only published results (`thesislab.results.roles`) make the published pages.
Rendering them is `render`'s job; everything here is data.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from thesislab.differences import DIFFERENCES
from thesislab.records import json_schema
from thesislab.results.columns import View, columns
from thesislab.results.roles import Role
from thesislab.site import data_files, frames, reproduction
from thesislab.site.charts.data import Chart, ChartSpec, most_common
from thesislab.site.compare import COMPARE, compare_page
from thesislab.site.explore import explore_page
from thesislab.site.frames import ROW_KEY
from thesislab.site.latency_pages import devices_page, lookup_page
from thesislab.site.links import MODELS_INDEX, model_page
from thesislab.site.memo import Memo
from thesislab.site.page import HOME, LOOKUP, SAMPLES, UNFINISHED_STAGE, Page, slug
from thesislab.site.palette import NO_METHOD

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from thesislab.site.catalogue import Catalogue


def seed_spread(frame: pd.DataFrame) -> float:
    """The median standard deviation of accuracy over seeds, where several seeds were run."""
    spread = frame.loc[frame["n_seeds"] > 1, "accuracy_std"].dropna()
    return float(spread.median()) if len(spread) else math.nan


LATEST = 10
"""How many of the newest configurations the home page lists."""


_memo = Memo()
"""The pages and charts of the last build (`site_pages`), kept while their rows are the same."""


def _starts(device: str | None) -> dict[str, str]:
    """The starting values of a chart's selectors: the site's default device, where there is
    one."""
    return {} if device is None else {"device": device}


def _chart(spec: ChartSpec, rows: pd.DataFrame, device: str | None) -> Chart:
    """The chart of `rows` (a slice of the results table) starting on `device`: the last
    build's where its rows are the same."""
    made = partial(Chart, spec, rows, starts=_starts(device), keyed=ROW_KEY in rows.columns)
    return _memo.get(f"chart {spec.chart_id}", (spec, rows, device), made)


OVERVIEW = ChartSpec("overview", "All results")


def _home(
    frame: pd.DataFrame,
    final: pd.DataFrame,
    others: pd.DataFrame,
    catalogue: Catalogue | None,
    device: str | None = None,
) -> Page:
    """The home section, of the published results `frame`; `others` are the rest, counted."""

    def counted() -> dict[str, Any]:
        return {
            "counts": frames.counts(frame, ["source", "device"]),
            "results": len(frame),
            "configurations": frame["config_id"].nunique(),
            "families": frame["family"].nunique(),
            "devices": frame["device"].dropna().nunique(),
            "others": frames.counts(others, ["role"]).set_index("role").to_dict("index"),
        }

    return Page(
        HOME,
        "Home",
        "home.j2",
        charts={"overview": _chart(OVERVIEW, final, device)},
        context={
            **_memo.get("home", (frame, others), counted),
            "news": None if catalogue is None else _news(frame, catalogue),
            "samples": SAMPLES,
            "lookup": LOOKUP,
        },
    )


def _news(frame: pd.DataFrame, catalogue: Catalogue) -> dict[str, Any]:
    """What the home page says is new: the build's time, the records and the newest results."""
    from mkdocs.utils import get_build_datetime  # honours SOURCE_DATE_EPOCH

    latest = catalogue.latest(LATEST, frame["config_id"].unique().tolist())
    newest = frame[frame["config_id"].isin([config_id for config_id, _ in latest])]
    first_rows = newest.drop_duplicates("config_id").set_index("config_id")
    latest_rows = [
        {"created": created, "config_id": config_id, **first_rows.loc[config_id].to_dict()}
        for config_id, created in latest
    ]
    return {"built": get_build_datetime(), "records": catalogue.counts(), "latest": latest_rows}


def _models_index(frame: pd.DataFrame, catalogue: Catalogue) -> Page:
    """The list of every published configuration's page, by family; the list itself in data
    files (it grows with the results)."""
    import pandas as pd

    listed = catalogue.index(frame["config_id"].unique().tolist())
    families = Counter(family for family, *_ in listed)
    entries = pd.DataFrame(listed, columns=["family", "name", "page", "detail"])
    keys = pd.Series([hash(entry) for entry in listed], dtype="int64")
    chunks = data_files.chunked("models", entries, entries["page"], keys=keys)
    return Page(
        MODELS_INDEX,
        "Models",
        "models.j2",
        context={
            "families": sorted(families.items()),
            "chunks": chunks,
            "data_dir": data_files.DATA_DIR,
        },
        assets=data_files.assets(chunks),
    )


SAMPLES_CHART = ChartSpec(
    "samples",
    "Sample runs (trained on the bundled sample)",
    shape="quantization",
    shape_title="Quantization",
    frontier="none",
)


def _samples(rows: pd.DataFrame, device: str | None) -> Page:
    """The models trained on the bundled sample, kept off the published pages."""
    return Page(
        SAMPLES,
        "Sample runs",
        "samples.j2",
        charts={"samples": _chart(SAMPLES_CHART, rows, device)},
        context={"rows": rows.sort_values(["name", "quantization", "device"])},
        exported=False,
    )


def _reproduced(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the reproduction of the thesis compares: the thesis's, and thesislab's of the
    thesis's families (a network is the thesis's only within its family)."""
    thesis = frame["source"] == frames.REFERENCE_SOURCE
    return frame[frame["family"].isin(frame.loc[thesis, "family"].unique())]


def _reproduction(frame: pd.DataFrame, catalogue: Catalogue, typical: float) -> Page:
    """The reproduction of the thesis, from the thesis's results and thesislab's (`_reproduced`);
    `typical`: the typical spread over seeds (`seed_spread`) of all results."""
    compared = reproduction.comparisons(frame, catalogue, typical)
    return Page(
        "reproduction.md",
        "Reproduction",
        "reproduction.j2",
        context={
            "comparisons": compared,
            "summary": reproduction.summary(compared, frame),
            "typical": typical,
        },
    )


FAMILIES_CHART = ChartSpec("families", "Frontier of each family", frontier="per_colour")


def _family_chart(family: str) -> ChartSpec:
    return ChartSpec(
        f"family-{slug(family)}",
        family,
        colour="pruning_method",
        colour_title="Pruning",
        shape="quantization",
        shape_title="Quantization",
    )


def _family_summary(family: str, path: str, rows: pd.DataFrame) -> dict[str, Any]:
    """What the overview says of one family: its results, those plotted, the most accurate
    and the fastest."""
    plotted = frames.measured(rows)
    best = fastest = None
    if len(plotted):
        best = plotted.iloc[int(plotted["accuracy"].to_numpy().argmax())]
        fastest = plotted.iloc[int(plotted["latency_ms"].to_numpy().argmin())]
    return {
        "family": family,
        "page": path,
        "results": len(rows),
        "plotted": len(plotted),
        "best_accuracy": None if best is None else best["accuracy"],
        "best_latency": None if best is None else best["latency_ms"],
        "best_device": None if best is None else best["device"],
        "fastest": None if fastest is None else fastest["latency_ms"],
        "fastest_device": None if fastest is None else fastest["device"],
    }


def _families(final: pd.DataFrame, device: str | None) -> list[Page]:
    summary = []
    pages = []
    for name, rows in final.groupby("family"):
        family = str(name)
        path = f"families/{slug(family)}.md"
        pages.append(
            Page(
                path,
                family,
                "family.j2",
                section="Families",
                charts={"family": _chart(_family_chart(family), rows, device)},
                context={"family": name, "results": len(rows)},
            )
        )
        summary.append(
            _memo.get(f"summary {family}", (rows,), partial(_family_summary, family, path, rows))
        )
    overview = Page(
        "families/index.md",
        "Overview",
        "families.j2",
        section="Families",
        charts={"families": _chart(FAMILIES_CHART, final, device)},
        context={"summary": summary},
    )
    return [overview, *pages]


_PRUNING_CHART: dict[str, Any] = {
    "colour": "pruning_method",
    "colour_title": "Pruning",
    "frontier": "per_colour",
    "selectors": ("device", "stage"),
}


PRUNING_CHANGE = ChartSpec(
    "pruning-change",
    "Accuracy change against uniform pruning at matched latency",
    colour="pruning_method",
    colour_title="Pruning",
    y="accuracy_change",
    y_title="Accuracy − uniform's",
    y_format="+.1%",
    frontier="none",
    rule="zero",
    selectors=("device", "stage"),
    error_bars=False,
    y_lacks="a uniform-pruned network to compare with: they lie outside the latency range of "
    "uniform pruning's results",
)


def _pruning(pruned: pd.DataFrame, spread: float, device: str | None) -> list[Page]:
    """The pages on pruning, of the pruned results (`spread`: `seed_spread` of all), their
    charts starting on `device`."""
    compared = frames.versus_baseline(pruned)
    summary = frames.baseline_summary(compared)
    context = {"baseline": frames.BASELINE_METHOD, "seed_spread": spread}
    comparison = Page(
        "pruning/index.md",
        "Comparison",
        "pruning.j2",
        section="Pruning",
        charts={
            "methods": _chart(
                ChartSpec("pruning", "Pruning methods", **_PRUNING_CHART), pruned, device
            ),
            "change": Chart(PRUNING_CHANGE, compared, starts=_starts(device)),
        },
        context={**context, "summary": summary},
    )
    pages = [comparison]
    for method, rows in pruned.groupby("pruning_method"):
        shown = pruned[pruned["pruning_method"].isin([method, frames.BASELINE_METHOD])]
        spec = ChartSpec(f"method-{slug(str(method))}", str(method), **_PRUNING_CHART)
        pages.append(
            Page(
                f"pruning/{slug(str(method))}.md",
                str(method),
                "method.j2",
                section="Pruning",
                charts={"method": _chart(spec, shown, device)},
                context={
                    **context,
                    "method": method,
                    "results": len(rows),
                    "summary": summary[summary["pruning_method"] == method],
                },
            )
        )
    return pages


def _paired_page(
    path: str,
    title: str,
    pairs: pd.DataFrame,
    context: dict[str, Any] | None = None,
    **options: Any,
) -> Page:
    """A page about pairs of results: one chart joining each pair, and the table of pairs."""
    name = path.removesuffix(".md")
    settings: dict[str, Any] = {"frontier": "none", **options}
    return Page(
        path,
        title,
        f"{name}.j2",
        charts={
            "pairs": Chart(
                ChartSpec(name, title, paired=True, shape="side", **settings),
                pairs,
                keyed=ROW_KEY in pairs.columns,
            )
        },
        context={"pairs": frames.pair_table(pairs), **(context or {})},
    )


def results_table(prepared: pd.DataFrame, compare: str | None = None) -> dict[str, Any]:
    """The all-results table as the page script receives it: its columns (name, title, format)
    as JSON, its number of rows and its rows in data files (`data_files.chunked`); and the
    comparison page its rows can be picked for, if there is one."""
    shown = columns(View.SITE)
    described = [
        {"name": column.name, "title": column.title, "format": column.format} for column in shown
    ]
    rows = prepared[[column.name for column in shown]].assign(  # a row's name links to its page
        model_page=[model_page(config_id) for config_id in prepared["config_id"].tolist()],
        config_id=prepared["config_id"],
    )
    return {
        "columns": json.dumps(described, separators=(",", ":")),
        "rows": len(rows),
        "chunks": data_files.chunked(
            "results", rows, prepared["config_id"], keys=prepared.get(ROW_KEY)
        ),
        "data_dir": data_files.DATA_DIR,
        "compare": compare,
    }


def default_device(final: pd.DataFrame) -> str | None:
    """The device every chart starts on where it has results on it: the one with the most
    finished results that have both an accuracy and a latency; None without any."""
    devices = frames.measured(final)["device"].dropna()
    return most_common(devices) if len(devices) else None


def _starting_on(page: Page, device: str | None) -> Page:
    """`page` with its charts' device selectors starting on `device`."""
    if device is None or not page.charts:
        return page
    starts = {"device": device}
    charts = {role: replace(chart, starts=starts) for role, chart in page.charts.items()}
    return replace(page, charts=charts)


def _quantized(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the configurations with a quantized result: those quantization pairs are
    made of."""
    quantized = frame["quantization"].notna() & (frame["quantization"] != "fp32")
    return frame[frame["config_id"].isin(frame.loc[quantized, "config_id"].unique())]


def _predicted(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the lookup tables' page shows: with a predicted latency, or of calibration
    networks."""
    return frame[frame["predicted_latency_ms"].notna() | (frame["role"] == Role.CALIBRATION)]


def site_pages(
    frame: pd.DataFrame, catalogue: Catalogue | None = None, keys: np.ndarray | None = None
) -> list[Page]:
    """Every generated page, in navigation order, from the joined results table; with the
    `catalogue` of its records, also the pages that need them (what is new on the home page,
    the reproduction of the thesis, the comparison of configurations and the models index).

    Published results make every page; calibration networks join them on the lookup tables'
    page alone, sample runs have a page of their own (when there are any); all results are in
    the table of all results and on the explore page (which starts from the published ones),
    each with its role.

    Given the keys of the table's rows (`results.table.Joined.keys`), a page or chart whose
    rows are those of the last call is that call's: a rebuild in the same process (as under
    `mkdocs serve`) works out again only those whose rows changed."""
    prepared = frames.prepare(frame)
    if keys is not None:
        prepared[ROW_KEY] = keys
        frame = frame.assign(**{ROW_KEY: keys})
    with _memo.build():
        return _site_pages(frame, prepared, catalogue)


def _site_pages(
    frame: pd.DataFrame, prepared: pd.DataFrame, catalogue: Catalogue | None
) -> list[Page]:
    published = prepared[prepared["role"] == Role.PUBLISHED]
    samples = prepared[prepared["role"] == Role.SAMPLE]
    final = published[published["stage"] != UNFINISHED_STAGE]
    device = default_device(final)
    pruned = published[published["pruning_method"] != NO_METHOD]
    spread = seed_spread(published)

    def kept(name: str, inputs: tuple[object, ...], make: Callable[[], list[Page]]) -> list[Page]:
        """The pages `make()` makes of `inputs`, their charts starting on the device."""
        return _memo.get(
            name, (*inputs, device), lambda: [_starting_on(page, device) for page in make()]
        )

    pages = [
        _home(published, final, prepared[prepared["role"] != Role.PUBLISHED], catalogue, device),
        *_families(final, device),
        *_memo.get("pruning", (pruned, spread, device), lambda: _pruning(pruned, spread, device)),
        *kept("distillation", (published,), lambda: [_distillation_page(published)]),
        *kept(
            "quantization",
            (quantized := _quantized(published),),
            lambda: [_quantization_page(quantized)],
        ),
        *kept("devices", (published,), lambda: [devices_page(published)]),
        *kept(
            "lookup",
            (predicted := _predicted(prepared[prepared["role"] != Role.SAMPLE]),),
            lambda: [lookup_page(predicted)],
        ),
        *(
            []
            if catalogue is None
            else kept(
                "reproduction",
                (reproduced := _reproduced(published), spread),
                lambda: [_reproduction(reproduced, catalogue, spread)],
            )
        ),
        *kept("differences", (), lambda: [_differences_page()]),
        *([_samples(samples, device)] if len(samples) else []),
        *kept(
            "results",
            (prepared, catalogue is not None),
            lambda: [_results_page(prepared, COMPARE if catalogue is not None else None)],
        ),
        *kept("explore", (frame,), lambda: [explore_page(frame, device)]),
        *([] if catalogue is None else [compare_page()]),
        *(
            []
            if catalogue is None
            else kept(
                "models",
                ("\n".join(published["config_id"].unique()),),
                lambda: [_models_index(published, catalogue)],
            )
        ),
        *kept("schema", (), lambda: [_schema_page()]),
    ]
    return pages


def _distillation_page(published: pd.DataFrame) -> Page:
    pairs = frames.distillation_pairs(published)
    return _paired_page("distillation.md", "Distillation", pairs, shape_title="Trained")


def _quantization_page(quantized: pd.DataFrame) -> Page:
    pairs = frames.quantization_pairs(quantized)
    return _paired_page("quantization.md", "Quantization", pairs, shape_title="Quantization")


def _differences_page() -> Page:
    reproducible = sum(difference.reproduce is not None for difference in DIFFERENCES)
    context = {"differences": DIFFERENCES, "reproducible": reproducible}
    return Page("differences.md", "Differences from the thesis", "differences.j2", context=context)


def _schema_page() -> Page:
    return Page("schema.md", "Record schema", "schema.j2", context={"schema": json_schema()})


def _results_page(prepared: pd.DataFrame, compare: str | None) -> Page:
    results = results_table(prepared, compare)
    return Page(
        "results.md",
        "All results",
        "results.j2",
        context=results,
        assets=data_files.assets(results["chunks"]),
    )
