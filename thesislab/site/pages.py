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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from thesislab.differences import DIFFERENCES
from thesislab.records import json_schema
from thesislab.results.columns import View, columns
from thesislab.results.roles import Role
from thesislab.site import data_files, frames, reproduction
from thesislab.site.charts.data import Chart, ChartSpec, most_common
from thesislab.site.compare import COMPARE, compare_page
from thesislab.site.explore import explore_page
from thesislab.site.latency_pages import devices_page, lookup_page
from thesislab.site.links import MODELS_INDEX, model_page
from thesislab.site.page import HOME, LOOKUP, SAMPLES, UNFINISHED_STAGE, Page, slug
from thesislab.site.palette import NO_METHOD

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.site.catalogue import Catalogue


def seed_spread(frame: pd.DataFrame) -> float:
    """The median standard deviation of accuracy over seeds, where several seeds were run."""
    spread = frame.loc[frame["n_seeds"] > 1, "accuracy_std"].dropna()
    return float(spread.median()) if len(spread) else math.nan


LATEST = 10
"""How many of the newest configurations the home page lists."""


def _home(
    frame: pd.DataFrame, final: pd.DataFrame, others: pd.DataFrame, catalogue: Catalogue | None
) -> Page:
    """The home section, of the published results `frame`; `others` are the rest, counted."""
    return Page(
        HOME,
        "Home",
        "home.j2",
        charts={"overview": Chart(ChartSpec("overview", "All results"), final)},
        context={
            "counts": frames.counts(frame, ["source", "device"]),
            "results": len(frame),
            "configurations": frame["config_id"].nunique(),
            "families": frame["family"].nunique(),
            "devices": frame["device"].dropna().nunique(),
            "news": None if catalogue is None else _news(frame, catalogue),
            "others": frames.counts(others, ["role"]).set_index("role").to_dict("index"),
            "samples": SAMPLES,
            "lookup": LOOKUP,
        },
    )


def _news(frame: pd.DataFrame, catalogue: Catalogue) -> dict[str, Any]:
    """What the home page says is new: the build's time, the records and the newest results."""
    from mkdocs.utils import get_build_datetime  # honours SOURCE_DATE_EPOCH

    first_rows = frame.drop_duplicates("config_id").set_index("config_id")
    latest = [
        {"created": created, "config_id": config_id, **first_rows.loc[config_id].to_dict()}
        for config_id, created in catalogue.latest(LATEST, first_rows.index.tolist())
    ]
    return {"built": get_build_datetime(), "records": catalogue.counts(), "latest": latest}


def _models_index(frame: pd.DataFrame, catalogue: Catalogue) -> Page:
    """The list of every published configuration's page, by family; the list itself in data
    files (it grows with the results)."""
    import pandas as pd

    families = catalogue.by_family(set(frame["config_id"]))
    entries = pd.DataFrame(
        [{"family": family, **entry} for family, listed in families for entry in listed],
        columns=["family", "name", "page", "detail"],
    )
    chunks = data_files.chunked("models", entries, entries["page"])
    return Page(
        MODELS_INDEX,
        "Models",
        "models.j2",
        context={
            "families": [(family, len(listed)) for family, listed in families],
            "chunks": chunks,
            "data_dir": data_files.DATA_DIR,
        },
        assets=data_files.assets(chunks),
    )


def _samples(rows: pd.DataFrame) -> Page:
    """The models trained on the bundled sample, kept off the published pages."""
    return Page(
        SAMPLES,
        "Sample runs",
        "samples.j2",
        charts={
            "samples": Chart(
                ChartSpec(
                    "samples",
                    "Sample runs (trained on the bundled sample)",
                    shape="quantization",
                    shape_title="Quantization",
                    frontier="none",
                ),
                rows,
            )
        },
        context={"rows": rows.sort_values(["name", "quantization", "device"])},
        exported=False,
    )


def _reproduction(frame: pd.DataFrame, catalogue: Catalogue) -> Page:
    typical = seed_spread(frame)
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


def _families(final: pd.DataFrame) -> list[Page]:
    measured = frames.measured(final)
    summary = []
    pages = []
    for family, rows in final.groupby("family"):
        page = Page(
            f"families/{slug(str(family))}.md",
            str(family),
            "family.j2",
            section="Families",
            charts={
                "family": Chart(
                    ChartSpec(
                        f"family-{slug(str(family))}",
                        str(family),
                        colour="pruning_method",
                        colour_title="Pruning",
                        shape="quantization",
                        shape_title="Quantization",
                    ),
                    rows,
                )
            },
            context={"family": family, "results": len(rows)},
        )
        pages.append(page)
        plotted = measured[measured["family"] == family]
        best = fastest = None
        if len(plotted):
            best = plotted.iloc[int(plotted["accuracy"].to_numpy().argmax())]
            fastest = plotted.iloc[int(plotted["latency_ms"].to_numpy().argmin())]
        summary.append(
            {
                "family": family,
                "page": page.path,
                "results": len(rows),
                "plotted": len(plotted),
                "best_accuracy": None if best is None else best["accuracy"],
                "best_latency": None if best is None else best["latency_ms"],
                "best_device": None if best is None else best["device"],
                "fastest": None if fastest is None else fastest["latency_ms"],
                "fastest_device": None if fastest is None else fastest["device"],
            }
        )
    overview = Page(
        "families/index.md",
        "Overview",
        "families.j2",
        section="Families",
        charts={
            "families": Chart(
                ChartSpec("families", "Frontier of each family", frontier="per_colour"), final
            )
        },
        context={"summary": summary},
    )
    return [overview, *pages]


_PRUNING_CHART: dict[str, Any] = {
    "colour": "pruning_method",
    "colour_title": "Pruning",
    "frontier": "per_colour",
    "selectors": ("device", "stage"),
}


def _pruning(frame: pd.DataFrame) -> list[Page]:
    pruned = frame[frame["pruning_method"] != NO_METHOD]
    compared = frames.versus_baseline(frame)
    summary = frames.baseline_summary(compared)
    context = {"baseline": frames.BASELINE_METHOD, "seed_spread": seed_spread(frame)}
    comparison = Page(
        "pruning/index.md",
        "Comparison",
        "pruning.j2",
        section="Pruning",
        charts={
            "methods": Chart(ChartSpec("pruning", "Pruning methods", **_PRUNING_CHART), pruned),
            "change": Chart(
                ChartSpec(
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
                    y_lacks="a uniform-pruned network to compare with: they lie outside the "
                    "latency range of uniform pruning's results",
                ),
                compared,
            ),
        },
        context={**context, "summary": summary},
    )
    pages = [comparison]
    for method, rows in pruned.groupby("pruning_method"):
        shown = pruned[pruned["pruning_method"].isin([method, frames.BASELINE_METHOD])]
        pages.append(
            Page(
                f"pruning/{slug(str(method))}.md",
                str(method),
                "method.j2",
                section="Pruning",
                charts={
                    "method": Chart(
                        ChartSpec(f"method-{slug(str(method))}", str(method), **_PRUNING_CHART),
                        shown,
                    )
                },
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
            "pairs": Chart(ChartSpec(name, title, paired=True, shape="side", **settings), pairs)
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
        "chunks": data_files.chunked("results", rows, prepared["config_id"]),
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


def site_pages(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> list[Page]:
    """Every generated page, in navigation order, from the joined results table; with the
    `catalogue` of its records, also the pages that need them (what is new on the home page,
    the reproduction of the thesis, the comparison of configurations and the models index).

    Published results make every page; calibration networks join them on the lookup tables'
    page alone, sample runs have a page of their own (when there are any); all results are in
    the table of all results and on the explore page (which starts from the published ones),
    each with its role."""
    prepared = frames.prepare(frame)
    published = prepared[prepared["role"] == Role.PUBLISHED]
    samples = prepared[prepared["role"] == Role.SAMPLE]
    final = published[published["stage"] != UNFINISHED_STAGE]
    device = default_device(final)
    reproduced = [] if catalogue is None else [_reproduction(published, catalogue)]
    compared = [] if catalogue is None else [compare_page()]
    models = [] if catalogue is None else [_models_index(published, catalogue)]
    pages = [
        _home(published, final, prepared[prepared["role"] != Role.PUBLISHED], catalogue),
        *_families(final),
        *_pruning(published),
        _paired_page(
            "distillation.md",
            "Distillation",
            frames.distillation_pairs(published),
            shape_title="Trained",
        ),
        _paired_page(
            "quantization.md",
            "Quantization",
            frames.quantization_pairs(published),
            shape_title="Quantization",
        ),
        devices_page(published),
        lookup_page(prepared[prepared["role"] != Role.SAMPLE]),
        *reproduced,
        Page(
            "differences.md",
            "Differences from the thesis",
            "differences.j2",
            context={
                "differences": DIFFERENCES,
                "reproducible": sum(d.reproduce is not None for d in DIFFERENCES),
            },
        ),
        *([_samples(samples)] if len(samples) else []),
        Page(
            "results.md",
            "All results",
            "results.j2",
            context=(results := results_table(prepared, COMPARE if compared else None)),
            assets=data_files.assets(results["chunks"]),
        ),
        explore_page(frame, device),
        *compared,
        *models,
        Page("schema.md", "Record schema", "schema.j2", context={"schema": json_schema()}),
    ]
    return [_starting_on(page, device) for page in pages]
