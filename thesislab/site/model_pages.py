"""The page of each model configuration: what it is, where it comes from, how it trained, what
was deployed from it and how fast that ran.

There is one page per configuration (its seeds together), so a results directory of thousands
of records has thousands of them. They are not MkDocs pages: each body is rendered from
`model.j2` straight to HTML, kept from one build to the next while the configuration's records
(content-addressed, so their ids name their content) and its neighbours stay the same, and
written into the built site inside the themed page of the models index (`Shell`), so that they
look like every other page without passing through Markdown and the theme one by one.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
import re
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from thesislab.models.names import format_name
from thesislab.records import Quantization
from thesislab.results.roles import Role
from thesislab.site import payload
from thesislab.site.frames import spec_counts
from thesislab.site.links import model_page
from thesislab.site.page import LOOKUP, SAMPLES
from thesislab.site.page_files import write_pages
from thesislab.site.render import environment, relative_url

if TYPE_CHECKING:
    from collections.abc import Collection

    import numpy as np
    import pandas as pd

    from thesislab.records import ArtifactRecord, MeasurementRecord, ModelRecord
    from thesislab.site.catalogue import Catalogue

TIME_FORMAT = "%Y-%m-%d %H:%M"
CURVES_CHART = "curves"
CURVE_SIZE = (300, 200)
RESULT_COLUMNS = (
    "role",
    "quantization",
    "device",
    "accuracy",
    "accuracy_std",
    "n_seeds",
    "latency_ms",
    "predicted_latency_ms",
    "latency_from",
)
"""Columns of a configuration's rows of the results table that its page shows."""

ROLE_PAGES: dict[str, str] = {Role.SAMPLE: SAMPLES, Role.CALIBRATION: LOOKUP}
"""The page on which the results of each role but `published` are shown."""


@dataclass(frozen=True)
class ModelPage:
    """The body of one model configuration's page."""

    config_id: str
    title: str
    body: str
    key: str
    """A hash of what the page shows (`_inputs`)."""
    names: tuple[str, ...]
    """Other names of the model (its spec's, in each style), which search finds it by."""
    summary: str
    """What it is, in a few words (family, stage, role), for search results."""
    facts: str
    """What the comparison page shows of it, as JSON (`_facts`)."""

    @cached_property
    def path(self) -> str:
        """Site path of the page."""
        return model_page(self.config_id)

    @cached_property
    def _entry(self) -> dict[str, str]:
        return {
            "location": self.path,
            "title": html.escape(self.title, quote=False),
            "text": html.escape(" · ".join([*self.names, self.summary]), quote=False),
        }

    def search_entry(self) -> dict[str, str]:
        """The page's entry in the site's search index (text as HTML, as search expects): one
        dict per page, which the index only reads."""
        return self._entry


def _names(model: ModelRecord) -> tuple[str, ...]:
    """The names of `model`'s spec besides its own: thesis-style and, for a WideResNet, dashed."""
    spec = model.architecture.model_copy(update={"widths": None})
    names = dict.fromkeys(format_name(spec, style=style) for style in ("thesis", "dashed"))
    return tuple(name for name in names if name != model.name)


def _summary(model: ModelRecord, role: str) -> str:
    words = [model.architecture.family, model.stage.replace("_", "-")]
    if model.lineage.pruning:
        words.append(f"pruned with {model.lineage.pruning.method}")
    if model.lineage.distilled:
        words.append("distilled")
    return ", ".join([*words, f"{role} result"])


@cache
def curves_spec() -> str:
    """The Vega-Lite spec (without data) of the per-epoch curves: loss, and accuracy on the
    training and validation sets, one colour per seed. The same for every page."""
    import altair as alt

    width, height = CURVE_SIZE
    data = alt.NamedData(name="curves")
    colour = alt.Color("seed:N", title="Seed")
    epoch = alt.X(
        "epoch:Q",
        title="Epoch",
        # whole epochs only: a short run's scale still puts ticks between them, left unlabelled
        axis=alt.Axis(tickMinStep=1, format="d", labelExpr="datum.value % 1 ? '' : datum.label"),
    )
    tooltip = [
        alt.Tooltip("seed:N", title="Seed"),
        alt.Tooltip("epoch:Q", title="Epoch"),
        alt.Tooltip("split:N", title="Set"),
    ]

    def panel(metric: str, title: str, number_format: str) -> alt.Chart:
        return alt.Chart(
            data=data,
            mark=alt.MarkDef(type="line", point=True, strokeWidth=1.5),
            encoding=alt.FacetedEncoding(
                x=epoch,
                y=alt.Y(
                    "value:Q",
                    title=title,
                    scale=alt.Scale(zero=False),
                    axis=alt.Axis(format=number_format),
                ),
                color=colour,
                strokeDash=alt.StrokeDash(
                    "split:N",
                    title="Set",
                    scale=alt.Scale(range=[[1, 0], [4, 3]]),  # training solid, validation dashed
                    legend=alt.Legend(
                        symbolType="stroke", symbolStrokeColor="gray", symbolStrokeWidth=2
                    ),
                ),
                detail=alt.Detail("split:N"),
                tooltip=[*tooltip, alt.Tooltip("value:Q", title=title, format=number_format)],
            ),
            transform=[alt.FilterTransform(filter=f"datum.metric === '{metric}'")],
            width=width,
            height=height,
        )

    chart = alt.HConcatChart(
        hconcat=[panel("loss", "Loss", ".3f"), panel("accuracy", "Accuracy", ".1%")],
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(y="independent")),
    )
    return json.dumps(chart.to_dict(validate=False), separators=(",", ":"))


def _curves(catalogue: Catalogue, model_ids: list[str]) -> str | None:
    """The curves' data, compressed (`payload`), or None without any recorded history."""
    columns = ["seed", "epoch", "metric", "split", "value"]
    data: list[list[object]] = []
    for model_id in model_ids:
        model = catalogue.models[model_id]
        seed = str(model.seed) if model.seed is not None else model_id[:8]
        for stats in model.history:
            data.append([seed, stats.epoch, "loss", "training", stats.loss])
            if stats.accuracy is not None:
                data.append([seed, stats.epoch, "accuracy", "training", stats.accuracy])
            if stats.validation_accuracy is not None:
                data.append(
                    [seed, stats.epoch, "accuracy", "validation", stats.validation_accuracy]
                )
    if not data:
        return None
    tables = json.dumps({"curves": {"columns": columns, "data": data}}, separators=(",", ":"))
    return payload.encode(tables)


def _link(catalogue: Catalogue, config_id: str) -> dict[str, str]:
    model = catalogue.first(config_id)
    return {
        "name": model.name,
        "path": model_page(config_id),
        "stage": model.stage,
        "source": model.source.name,
    }


def _setting(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _recipe(models: list[ModelRecord]) -> list[tuple[str, str]]:
    """The recipe's settings; where seeds differ, each seed's value."""
    recipes = [model.recipe_fields for model in models]
    keys = sorted({key for recipe in recipes for key, value in recipe.items() if value != []})
    settings = []
    for key in keys:
        values = list(dict.fromkeys(_setting(recipe.get(key)) for recipe in recipes))
        settings.append((key, " / ".join(values)))
    return settings


def _seeds(catalogue: Catalogue, model_ids: list[str]) -> list[dict[str, Any]]:
    seeds = []
    for model_id in model_ids:
        model = catalogue.models[model_id]
        environment = model.environment
        seeds.append(
            {
                "id": model_id,
                "model": model,
                "created": model.created_at.strftime(TIME_FORMAT) if model.created_at else None,
                "recorded": bool(environment or model.created_at or model.weights_path),
                "versions": ", ".join(
                    f"{package} {version}"
                    for package, version in sorted(environment.versions.items())
                )
                if environment
                else "",
            }
        )
    return seeds


@dataclass(frozen=True)
class _Artifact:
    id: str
    seed: int | None
    record: ArtifactRecord
    measurements: list[tuple[str, MeasurementRecord]]


_QUANTIZATIONS = get_args(Quantization)


def _artifacts(catalogue: Catalogue, model_ids: list[str]) -> list[_Artifact]:
    """Every artifact of the seeds, fp32 first, with its measurements by device."""
    artifacts = []
    for model_id in model_ids:
        seed = catalogue.models[model_id].seed
        for artifact_id in catalogue.artifacts_of.get(model_id, []):
            measurements = [
                (identifier, catalogue.measurements[identifier])
                for identifier in catalogue.measurements_of.get(artifact_id, [])
            ]
            measurements.sort(key=lambda item: (item[1].device.name, item[0]))
            artifacts.append(
                _Artifact(artifact_id, seed, catalogue.artifacts[artifact_id], measurements)
            )
    artifacts.sort(
        key=lambda item: (_QUANTIZATIONS.index(item.record.quantization), str(item.seed))
    )
    return artifacts


def _widths(catalogue: Catalogue, config_id: str, parents: list[str]) -> list[dict[str, int]]:
    """Each prunable layer's width, with its parent's where the parent's widths are known."""
    widths = catalogue.first(config_id).architecture.widths or []
    parent = catalogue.first(parents[0]).architecture.widths if parents else None
    widest = max([*widths, *(parent or [])], default=1)
    return [
        {
            "width": width,
            "parent": parent[index] if parent and len(parent) == len(widths) else 0,
            "height": round(100 * width / widest),
            "parent_height": round(100 * parent[index] / widest)
            if parent and len(parent) == len(widths)
            else 0,
        }
        for index, width in enumerate(widths)
    ]


def _context(
    catalogue: Catalogue, config_id: str, rows: list[dict[str, Any]], family_page: str | None
) -> dict[str, Any]:
    model_ids = catalogue.seeds[config_id]
    models = [catalogue.models[model_id] for model_id in model_ids]
    first = models[0]
    parents = catalogue.parents(config_id)
    children = [_link(catalogue, child) for child in catalogue.children_of.get(config_id, [])]
    students = [_link(catalogue, student) for student in catalogue.students_of.get(config_id, [])]
    role = str(rows[0]["role"])
    return {
        "config_id": config_id,
        "role": role,
        "role_page": ROLE_PAGES.get(role),
        "model": first,
        "family_page": family_page,
        "seeds": _seeds(catalogue, model_ids),
        "results": rows,
        "params": next((m.params for m in models if m.params is not None), None),
        "macs": next((m.macs for m in models if m.macs is not None), None),
        "widths": _widths(catalogue, config_id, parents),
        "teachers": [_link(catalogue, teacher) for teacher in catalogue.teachers(config_id)],
        "parents": [_link(catalogue, parent) for parent in parents],
        "children": sorted(children, key=lambda link: (link["stage"], link["name"])),
        "students": sorted(students, key=lambda link: link["name"]),
        "recipe": _recipe(models),
        "curves": _curves(catalogue, model_ids),
        "curves_sets": {
            "validation" if stats.validation_accuracy is not None else "training"
            for model in models
            for stats in model.history
        },
        "curves_spec": curves_spec(),
        "curves_chart": CURVES_CHART,
        "artifacts": _artifacts(catalogue, model_ids),
    }


def _facts(context: dict[str, Any]) -> str:
    """What the comparison page shows of a configuration, from its page's context: what it is,
    where it comes from, its recipe and its rows of the results table."""
    model: ModelRecord = context["model"]
    lineage = model.lineage
    architecture = json.dumps(model.architecture.model_dump(mode="json"), sort_keys=True)

    def count(field: str) -> int | None:
        """The records' count, else the spec's."""
        counted: int | None = context[field]
        if counted is None and (spec := spec_counts(model.stage, architecture)) is not None:
            counted = int(getattr(spec, field))
        return counted

    def links(items: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{"name": item["name"], "page": item["path"]} for item in items]

    facts = {
        "id": context["config_id"],
        "name": model.name,
        "page": model_page(context["config_id"]),
        "family": model.architecture.family,
        "architecture": model.architecture.params,
        "widths": model.architecture.widths,
        "params": count("params"),
        "macs": count("macs"),
        "stage": model.stage,
        "pruning": lineage.pruning.method if lineage.pruning else None,
        "distilled": lineage.distilled,
        "parents": links(context["parents"]),
        "teachers": links(context["teachers"]),
        "source": model.source.name,
        "role": context["role"],
        "seeds": len(context["seeds"]),
        "recipe": dict(context["recipe"]),
        "results": context["results"],
    }
    return json.dumps(facts, separators=(",", ":"), default=str)


def _inputs(
    catalogue: Catalogue, config_id: str, rows: tuple[tuple[Any, ...], ...], family_page: str | None
) -> tuple[Any, ...]:
    """What a configuration's page shows: its records (ids name their content), its
    neighbours' names, its rows of the results table and its family's page."""
    neighbours = [
        *catalogue.parents(config_id),
        *catalogue.teachers(config_id),
        *catalogue.children_of.get(config_id, []),
        *catalogue.students_of.get(config_id, []),
    ]
    named = tuple((neighbour, catalogue.first(neighbour).name) for neighbour in neighbours)
    return (tuple(catalogue.record_ids(config_id)), named, rows, family_page)


def _key(inputs: tuple[Any, ...]) -> str:
    """A hash of a page's `_inputs`."""
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()


@dataclass(frozen=True)
class _Rendered:
    inputs: tuple[Any, ...]
    page: ModelPage


@dataclass(frozen=True)
class _Kept:
    """The model pages of the last build, and what they were made of."""

    catalogue: Catalogue
    family_pages: dict[str, str]
    keys: np.ndarray
    """The keys of the results table's rows (`results.table.Joined.keys`)."""
    configurations: np.ndarray
    """The configuration of each row."""
    pages: dict[str, _Rendered]
    """The page of each configuration, with what it shows."""


_kept: _Kept | None = None
"""The last build's pages: a rebuild in the same process (as under `mkdocs serve`) renders only
the pages whose content changed, and looks only at those whose content may have."""


def _rows_by_configuration(frame: pd.DataFrame) -> dict[str, tuple[tuple[Any, ...], ...]]:
    """The `RESULT_COLUMNS` of each configuration's rows of the results table (missing values
    None), in the table's order."""
    shown = frame[list(RESULT_COLUMNS)].astype(object)
    values = shown.where(shown.notna(), None)
    columns = [values[column].tolist() for column in RESULT_COLUMNS]
    rows_of: dict[str, list[tuple[Any, ...]]] = {}
    configurations = frame["config_id"].astype(str).tolist()
    for config_id, *row in zip(configurations, *columns, strict=True):
        rows_of.setdefault(config_id, []).append(tuple(row))
    return {config_id: tuple(rows) for config_id, rows in rows_of.items()}


def _neighbours(catalogue: Catalogue, config_id: str) -> list[str]:
    """The configurations whose pages link to this one's, and the other way round."""
    return [
        *catalogue.parents(config_id),
        *catalogue.teachers(config_id),
        *catalogue.children_of.get(config_id, []),
        *catalogue.students_of.get(config_id, []),
    ]


def _looked_at(
    catalogue: Catalogue,
    family_pages: dict[str, str],
    keys: np.ndarray,
    configurations: np.ndarray,
    changed: Collection[str] | None,
) -> set[str] | None:
    """The configurations whose pages may have changed since the last build: those whose
    records (`changed`) or rows changed, and the neighbours of the first; None for all."""
    import numpy as np

    kept = _kept
    if kept is None or changed is None or kept.catalogue is not catalogue:
        return None
    if kept.family_pages != family_pages:
        return None
    looked = set(changed)
    looked.update(configurations[~np.isin(keys, kept.keys)].tolist())
    looked.update(kept.configurations[~np.isin(kept.keys, keys)].tolist())
    for config_id in changed:
        looked.update(_neighbours(catalogue, config_id))
    return looked


def model_pages(
    frame: pd.DataFrame,
    catalogue: Catalogue,
    family_pages: dict[str, str],
    keys: np.ndarray | None = None,
    changed: Collection[str] | None = None,
) -> list[ModelPage]:
    """The page of every configuration in `frame` (a results table); `family_pages`
    gives the site path of each family's page.

    Given the keys of the table's rows (`results.table.Joined.keys`) and the configurations
    whose records changed since the last call, which made the pages of the same `catalogue`
    (extended since), only those configurations, their neighbours and the configurations whose
    rows changed are looked at: the other pages are the last call's."""
    import numpy as np
    import pandas as pd

    global _kept
    template = environment().get_template("model.j2")
    configurations = frame["config_id"].to_numpy(dtype=object)
    if keys is None:
        keys, changed = np.arange(len(frame)), None  # no row is known: all are looked at
    looked = _looked_at(catalogue, family_pages, keys, configurations, changed)
    kept = {} if _kept is None else _kept.pages
    current = {} if looked is None else dict(kept)
    shown = frame if looked is None else frame[frame["config_id"].isin(list(looked))]
    for config_id, rows in _rows_by_configuration(shown).items():
        if config_id not in catalogue.seeds:
            continue
        model = catalogue.first(config_id)
        family_page = family_pages.get(model.architecture.family)
        inputs = _inputs(catalogue, config_id, rows, family_page)
        known = kept.get(config_id)
        if known is None or known.inputs != inputs:
            results = [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in rows]
            context = _context(catalogue, config_id, results, family_page)
            path = model_page(config_id)
            context["url"] = lambda target, path=path: relative_url(path, target)
            body = template.render(context)
            names, summary = _names(model), _summary(model, context["role"])
            facts = _facts(context)
            page = ModelPage(config_id, model.name, body, _key(inputs), names, summary, facts)
            known = _Rendered(inputs, page)
        current[config_id] = known
    _kept = _Kept(catalogue, dict(family_pages), keys, configurations, current)
    order = pd.unique(configurations).tolist()
    return [current[config_id].page for config_id in order if config_id in current]


_SLOTS = {
    "title": re.compile(r"<title>(.*?)</title>", re.S),
    "topic": re.compile(
        r'data-md-component="header-topic">\s*<span class="md-ellipsis">(.*?)</span>', re.S
    ),
    "canonical": re.compile(r'<link rel="canonical" href="[^"]*/(index\.html)"'),
    "article": re.compile(r'<article class="md-content__inner md-typeset">(.*)</article>', re.S),
}
"""Where a model page differs from the models index's: the title, the header's topic, the
canonical address (optional: only with a site address) and the article."""


@dataclass(frozen=True)
class Shell:
    """The themed HTML page of the models index, cut where a model page puts its own title,
    address and content (the models index lies in the same folder, so its relative links hold)."""

    pieces: tuple[str, ...]
    """The page's text around the slots, one more than `slots`."""
    slots: tuple[str, ...]
    site_title: str
    """What the theme writes after a page's title (' - site name')."""

    @classmethod
    def of(cls, output: str, page_title: str) -> Shell:
        """The shell of the models index's HTML `output`, whose title is `page_title`."""
        spans: list[tuple[int, int, str]] = []
        for slot, pattern in _SLOTS.items():
            found = pattern.search(output)
            if found is not None:
                spans.append((found.start(1), found.end(1), slot))
            elif slot != "canonical":
                raise ValueError(f"expected a {slot} in the theme's page, found none")
        spans.sort()
        pieces, start = [], 0
        for begin, end, _ in spans:
            pieces.append(output[start:begin])
            start = end
        pieces.append(output[start:])
        title = _SLOTS["title"].search(output)
        assert title is not None
        site_title = title.group(1).replace(html.escape(page_title), "", 1)
        return cls(tuple(pieces), tuple(slot for _, _, slot in spans), site_title)

    @cached_property
    def digest(self) -> str:
        """A hash of the shell: a model page's text is its digest and the page's `key`'s."""
        parts = [*self.pieces, *self.slots, self.site_title]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def page(self, model: ModelPage) -> str:
        """The whole HTML page of `model`."""
        name = html.escape(model.title)
        values = {
            "title": name + self.site_title,
            "topic": name,
            "canonical": posixpath.basename(model.path),
            "article": f"<h1>{name}</h1>\n{model.body}",
        }
        parts = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            parts += [values[slot], piece]
        return "".join(parts)


def write_model_pages(
    pages: list[ModelPage], shell: Shell, site_dir: Path, cache_dir: Path | None = None
) -> int:
    """Write the model pages into the built site (through their copies in `cache_dir`, see
    `thesislab.site.page_files`) where they changed; return how many were written."""
    theme = shell.digest
    return write_pages(
        ((page.path, f"{theme}-{page.key}", partial(shell.page, page)) for page in pages),
        site_dir,
        cache_dir,
    )
