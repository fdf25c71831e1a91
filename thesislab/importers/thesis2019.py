"""Import of the 2019 thesis results (its CSV files) as model, artifact and measurement records.

Source: N. Greffe, "Machine learning under resource constraints", master thesis, ULiège 2019,
repository `NatGr/Master_Thesis`. Every latency was measured on a Raspberry Pi 3B with TFLite's
`benchmark_model`; accuracies are on the original CIFAR-10 test set.

Conversions: seconds become milliseconds, error percentages become accuracies, `NaN` and empty
cells become missing values, `_quantized` means an int8 artifact and `KD` in a name a distilled
model. An int8 row joins the float configuration it was quantized from (same architecture and
distillation; the same name, else the one in the same file). A row's accuracy columns
`acc1..accN` are seeds 1..N; a single `acc` column is a validation accuracy. Rows that repeat
across files produce identical records, which the store deduplicates. The import is all or
nothing: every file is parsed before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from thesislab.bench.protocol import PRESETS
from thesislab.errors import ThesislabError
from thesislab.importers.csv_rows import Format, Row, ThesisFile, read_thesis_file
from thesislab.models.names import ParsedName, family_aliases, parse_name
from thesislab.models.spec import ArchSpec, ParamValue
from thesislab.records import (
    ArtifactRecord,
    Dataset,
    DeviceInfo,
    ImportedRecipe,
    LatencyStats,
    Lineage,
    MeasurementRecord,
    ModelRecord,
    Pruning,
    Quantization,
    Record,
    Source,
    Stage,
    recipe_json,
    record_id,
)
from thesislab.store import Store

SOURCE = Source(
    name="thesis-2019",
    reference=(
        "N. Greffe, Machine learning under resource constraints, master thesis, ULiège, 2019; "
        "NatGr/Master_Thesis@c06b1c61ffaf28095cf277c86853f798bb1391c3"
    ),
)
DEVICE = DeviceInfo(
    name="raspberry-pi-3b", description="Raspberry Pi 3B, 4x Cortex-A53 at 1.2 GHz, 32-bit OS"
)
RUNTIME = "tflite-1.13.1 benchmark_model"
PROTOCOL = PRESETS["thesis2019"].model_copy(update={"min_secs": None, "warmup_min_secs": None})
"""The preset as first imported, before it recorded the least durations: keeps the ids of the
imported measurements."""
DATASET = Dataset(name="cifar10")

# `other` holds the expansion ratio or the number of groups, depending on the family.
_OTHER_PARAMETER = {
    "mobilenetv2": "expansion",
    "mnasnet": "expansion",
    "effnet": "expansion",
    "shufflenetv1": "groups",
}
_PRUNING_METHODS: dict[str, tuple[str, str | None]] = {
    "NetAdapt": ("netadapt", None),
    "MorphNet": ("morphnet", None),
    "morphnet": ("morphnet", None),
    "fisher_table": ("fisher", "latency-table cost"),
    "fisher_crowley": ("fisher", "Crowley et al."),
    "uniformly_pruned": ("uniform", None),
}
_PRUNING_STAGES: tuple[tuple[str, Stage], ...] = (
    ("no_fine_tune", "pruned"),
    ("fine_tune", "fine_tuned"),
    ("retrain_scratch", "retrained"),
)
_TEACHER_ROLES = frozenset({"teacher", "no_KD"})


@dataclass
class _Configuration:
    """Everything known about one model configuration, gathered across files."""

    name: str
    spec: ArchSpec
    recipe: ImportedRecipe
    lineage: Lineage
    accuracies: dict[int | None, float | None] = field(default_factory=dict)
    validation: float | None = None
    files: set[Path] = field(default_factory=set)

    def models(self) -> dict[int | None, ModelRecord]:
        seeds = self.accuracies or {None: None}
        return {
            seed: ModelRecord(
                name=self.name,
                architecture=self.spec,
                recipe=self.recipe,
                seed=seed,
                dataset=DATASET,
                lineage=self.lineage,
                accuracy=accuracy,
                validation_accuracy=self.validation,
                source=SOURCE,
            )
            for seed, accuracy in sorted(seeds.items(), key=lambda item: item[0] or 0)
        }


@dataclass
class _Deployment:
    """An artifact per seed (with its own accuracy where known) and one latency figure."""

    config_key: str
    quantization: Quantization
    accuracies: dict[int | None, float | None]
    latency_ms: float | None
    predicted_latency_ms: float | None = None


@dataclass(frozen=True)
class _QuantizedRow:
    """An int8 result, attached to its float configuration once every file is read."""

    row: Row
    candidate: _Configuration
    accuracies: dict[int | None, float | None]
    latency_ms: float | None


@dataclass
class _Plan:
    configurations: dict[str, _Configuration] = field(default_factory=dict)
    deployments: list[_Deployment] = field(default_factory=list)
    quantized: list[_QuantizedRow] = field(default_factory=list)

    def configuration(self, row: Row, candidate: _Configuration) -> str:
        """Register `candidate` (merging with an identical earlier one); return its key."""
        recipe = sorted(recipe_json(candidate.recipe).items())
        key = f"{candidate.name}|{recipe}|{candidate.lineage}"
        existing = self.configurations.get(key)
        if existing is None:
            candidate.files.add(row.path)
            self.configurations[key] = candidate
            return key
        existing.files.add(row.path)
        if existing.spec != candidate.spec:
            raise row.fail(
                f"{candidate.name!r} appears earlier with architecture {existing.spec.params}, "
                f"here with {candidate.spec.params}"
            )
        for seed, accuracy in candidate.accuracies.items():
            if existing.accuracies.get(seed) is None:
                existing.accuracies[seed] = accuracy
        return key

    def float_counterpart(self, quantized: _QuantizedRow) -> str | None:
        """The float configuration an int8 row was quantized from: the same architecture and
        distillation, trained (test accuracies known); the one of the same name, else the only
        one in the same file, else the only one anywhere. None when that is ambiguous."""
        wanted = quantized.candidate
        matches = [
            key
            for key, config in self.configurations.items()
            if config.spec == wanted.spec
            and config.lineage == wanted.lineage
            and any(value is not None for value in config.accuracies.values())
        ]
        same_name = [key for key in matches if self.configurations[key].name == wanted.name]
        same_file = [key for key in matches if quantized.row.path in self.configurations[key].files]
        for group in (same_name, same_file, matches):
            if len(group) == 1:
                return group[0]
        return None

    def attach_quantized(self) -> None:
        """Turn every int8 row into artifacts of its float configuration (or of its own)."""
        for quantized in self.quantized:
            key = self.float_counterpart(quantized) or self.configuration(
                quantized.row, quantized.candidate
            )
            self.deployments.append(
                _Deployment(key, "int8", quantized.accuracies, quantized.latency_ms)
            )


def _family(row: Row, arch_column: str) -> str:
    head = row.text(arch_column).split("_")[0]
    family = family_aliases().get(head)
    if family is None:
        raise row.fail(
            f"expected a known architecture in column '{arch_column}', received {head!r}"
        )
    return family


def _parsed(row: Row, column: str, *, base: ArchSpec | None = None) -> ParsedName:
    """The thesis name in `column`, read as every command reads names; refused at its row."""
    try:
        return parse_name(row.text(column), base=base)
    except ThesislabError as error:
        raise row.fail(str(error)) from None


def _architecture(row: Row, parsed: ParsedName) -> ArchSpec:
    """The spec of the name, completed by the row's columns."""
    family = _family(row, "arch")
    params: dict[str, ParamValue] = dict(parsed.spec.params)
    columns: dict[str, ParamValue] = {
        "depth": row.integer("depth"),
        "width": row.integer("width"),
        "se_ratio": row.integer("se") if "se" in row.cells else None,
    }
    if family in _OTHER_PARAMETER:
        columns[_OTHER_PARAMETER[family]] = row.integer("other")
    for key, value in columns.items():
        if params.get(key) is None and value is not None:
            params[key] = value
    return ArchSpec(family=family, params={k: v for k, v in params.items() if v is not None})


def _accuracies(row: Row, columns: tuple[str, ...]) -> dict[int | None, float | None]:
    return {index: row.fraction(column) for index, column in enumerate(columns, start=1)}


def _seconds_to_ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000.0, 6)


def _plan_architectures(plan: _Plan, thesis_file: ThesisFile) -> None:
    single_validation = thesis_file.accuracy_columns == ("acc",)
    for row in thesis_file.rows:
        if row is None:
            continue
        file_name = row.text("file_name")
        parsed = _parsed(row, "file_name")
        tags = parsed.tags
        quantized = "quantized" in tags
        name = file_name.replace("_quantized", "")
        recipe_tags = [tag for tag in tags if tag != "quantized"]
        accuracies = _accuracies(row, thesis_file.accuracy_columns)
        latency = _seconds_to_ms(row.number("time")) if "time" in row.cells else None
        if all(value is None for value in accuracies.values()) and latency is None:
            continue
        candidate = _Configuration(
            name=name,
            spec=_architecture(row, parsed),
            recipe=ImportedRecipe(tags=recipe_tags, split="validation")
            if single_validation
            else ImportedRecipe(tags=recipe_tags),
            lineage=Lineage(distilled=any("KD" in tag for tag in recipe_tags)),
        )
        if quantized and not single_validation:
            plan.quantized.append(_QuantizedRow(row, candidate, accuracies, latency))
            continue
        if single_validation:
            candidate.validation = accuracies[1]
        else:
            candidate.accuracies = accuracies
        key = plan.configuration(row, candidate)
        if latency is not None:
            plan.deployments.append(_Deployment(key, "fp32", {}, latency))


def _plan_kd_pipeline(plan: _Plan, thesis_file: ThesisFile) -> None:
    teacher: _Configuration | None = None
    for row in thesis_file.rows:
        if row is None:
            teacher = None
            continue
        name = row.text("file_name")
        role = row.text("pipeline")
        parsed = _parsed(row, "file_name")
        distilled = role not in _TEACHER_ROLES
        teacher_id = None
        if distilled and teacher is not None:
            teacher_id = record_id(next(iter(teacher.models().values())))
        candidate = _Configuration(
            name=name,
            spec=parsed.spec,
            recipe=ImportedRecipe(tags=list(parsed.tags), kd_pipeline=role),
            lineage=Lineage(distilled=distilled, teacher_id=teacher_id),
            accuracies=_accuracies(row, thesis_file.accuracy_columns),
        )
        key = plan.configuration(row, candidate)
        if role == "teacher":
            teacher = plan.configurations[key]


def _plan_kd_net(plan: _Plan, thesis_file: ThesisFile) -> None:
    for row in thesis_file.rows:
        if row is None:
            continue
        tags = _parsed(row, "name").tags
        candidate = _Configuration(
            name=row.text("name"),
            spec=_parsed(row, "net").spec,
            recipe=ImportedRecipe(tags=list(tags)),
            lineage=Lineage(distilled="KD" in tags),
            accuracies=_accuracies(row, thesis_file.accuracy_columns),
        )
        key = plan.configuration(row, candidate)
        latency = _seconds_to_ms(row.number("time")) if "time" in row.cells else None
        if latency is not None:
            plan.deployments.append(_Deployment(key, "fp32", {}, latency))


def _plan_pruning(plan: _Plan, thesis_file: ThesisFile) -> None:
    base = parse_name("res-40-2").spec
    for row in thesis_file.rows:
        if row is None:
            continue
        name = row.text("file_name")
        spec = _parsed(row, "file_name", base=base).spec
        thesis_method = row.text("method")
        criterion = row.cells.get("criterion", "").strip()
        pruning = None
        if thesis_method != "unpruned":
            if thesis_method not in _PRUNING_METHODS:
                known = ", ".join([*sorted(_PRUNING_METHODS), "unpruned"])
                raise row.fail(
                    f"expected a pruning method among {known}, received {thesis_method!r}"
                )
            method, variant = _PRUNING_METHODS[thesis_method]
            settings: dict[str, object] = {"run": name, "thesis_method": thesis_method}
            if variant:
                settings["variant"] = variant
            if criterion and criterion.lower() != "nan":
                settings["criterion"] = criterion
            pruning = Pruning(method=method, settings=settings)
        measured = _seconds_to_ms(row.number("measured_time"))
        predicted = _seconds_to_ms(row.number("table_time"))
        for column, stage in _PRUNING_STAGES:
            error_percent = row.number(column)
            if error_percent is None:
                continue
            if not 0.0 <= error_percent <= 100.0:
                raise row.fail(
                    f"expected a test error in percent in column '{column}', "
                    f"received {error_percent}"
                )
            candidate = _Configuration(
                name=name,
                spec=spec,
                recipe=ImportedRecipe(tags=[]),
                lineage=Lineage(stage="trained" if pruning is None else stage, pruning=pruning),
                accuracies={None: round(1.0 - error_percent / 100.0, 6)},
            )
            key = plan.configuration(row, candidate)
            if measured is not None:
                plan.deployments.append(_Deployment(key, "fp32", {}, measured, predicted))


_PLANNERS = {
    Format.ARCHITECTURES: _plan_architectures,
    Format.KD_PIPELINE: _plan_kd_pipeline,
    Format.KD_NET: _plan_kd_net,
    Format.PRUNING: _plan_pruning,
}


def _records(plan: _Plan) -> Iterator[Record]:
    models = {key: config.models() for key, config in plan.configurations.items()}
    for seeds in models.values():
        yield from seeds.values()
    for deployment in plan.deployments:
        seed_models = models[deployment.config_key]
        accuracies = deployment.accuracies or dict.fromkeys(seed_models)
        artifacts = [
            ArtifactRecord(
                model_id=record_id(
                    seed_models[seed] if seed in seed_models else next(iter(seed_models.values()))
                ),
                quantization=deployment.quantization,
                io_dtype="uint8" if deployment.quantization == "int8" else "float32",
                accuracy=accuracy,
                source=SOURCE,
            )
            for seed, accuracy in accuracies.items()
        ]
        yield from artifacts
        if deployment.latency_ms is not None:
            yield MeasurementRecord(
                artifact_id=record_id(artifacts[0]),
                device=DEVICE,
                runtime=RUNTIME,
                protocol=PROTOCOL,
                latency=LatencyStats(mean_ms=deployment.latency_ms),
                predicted_latency_ms=deployment.predicted_latency_ms,
                source=SOURCE,
            )


def plan_import(paths: Iterable[Path]) -> list[Record]:
    """Parse every file and return the records they describe; raises before any is written."""
    plan = _Plan()
    for path in sorted(paths):
        thesis_file = read_thesis_file(path)
        _PLANNERS[thesis_file.format](plan, thesis_file)
    plan.attach_quantized()
    unique = {record_id(record): record for record in _records(plan)}
    return list(unique.values())


@dataclass(frozen=True)
class ImportSummary:
    """What an import found and wrote."""

    files: int
    records: int
    written: int


def import_thesis(source_dir: Path, store: Store) -> ImportSummary:
    """Import every CSV of `source_dir` into `store`, all or nothing."""
    if not source_dir.is_dir():
        raise ThesislabError(f"expected a directory of thesis CSV files, received {source_dir}")
    paths = sorted(source_dir.glob("*.csv"))
    if not paths:
        raise ThesislabError(f"expected CSV files in {source_dir}, found none")
    records = plan_import(paths)
    new = [record for record in records if not store.exists(record)]
    for record in new:
        store.write(record)
    return ImportSummary(files=len(paths), records=len(records), written=len(new))
