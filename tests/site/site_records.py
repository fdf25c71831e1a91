"""The site tests' own results: a few thesislab records written beside the thesis's.

They include a name and a family that are markup, a second device (`local`), an int8 artifact
paired with its fp32 one, a distilled student with its non-distilled twin and a pruned model with
a lookup-table prediction, so that every page has something to draw; and, newer and better than
any published result, a sample run (trained on the bundled sample) and, in a results directory of
its own, a calibration network of a lookup table, which no published page may show.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.record_writers import deploy, measure
from thesislab.data.sample import SAMPLE_NAME
from thesislab.models.registry import resolve
from thesislab.models.spec import ArchSpec
from thesislab.records import ArtifactRecord, Dataset, Lineage, ModelRecord, Pruning, Quantization
from thesislab.results.roles import ROLE_FILE
from thesislab.site.page import LOOKUP, SAMPLES
from thesislab.store import Store

REPO = Path(__file__).resolve().parents[2]
THESIS_RESULTS = REPO / "experiments" / "thesis-2019"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
HOSTILE_FAMILY = '<svg onload=alert(2)>"'
PI = "raspberry-pi-3b"
LOCAL = "local"

SMALL = ArchSpec(family="mobilenetv2", params={"depth": 9, "width": 16, "expansion": 4})
LARGE = ArchSpec(family="mobilenetv2", params={"depth": 12, "width": 24, "expansion": 6})

SAMPLE_RUN = "mobilenetv2_d6_er2_w16_sample_run"
CALIBRATION_NETWORK = "mobilenetv2_d9_er4_w16_random1_seed0"
OWN_PAGE = {SAMPLE_RUN: SAMPLES, CALIBRATION_NETWORK: LOOKUP}
"""The page (besides its model page) on which each kept-apart network of the fixture is shown."""
NEWEST_PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)
"""When the fixture's pruned network was made: its only published record that says when."""
NEWEST = datetime(2030, 1, 1, tzinfo=UTC)
"""When the sample run and the calibration network were made: after every published record."""


SMALL_OWN = ModelRecord(
    name="mobilenetv2_d9_er4_w16_own", architecture=SMALL, seed=1, accuracy=0.925
)
"""The fixture's own `SMALL` configuration (one seed), deployed in fp32 and int8."""


def _deploy(store: Store, model: ModelRecord, quantization: Quantization = "fp32") -> str:
    """An artifact of `model`, int8 a little less accurate than the model."""
    accuracy = (model.accuracy or 0.0) - (0.004 if quantization == "int8" else 0.0)
    return deploy(store, model, quantization, accuracy)


def write_own_results(store: Store) -> None:
    """The thesislab records of the fixture."""
    small = SMALL_OWN
    fp32 = _deploy(store, small)
    measure(store, fp32, LOCAL, 3.1)
    measure(store, fp32, PI, 30.0)
    measure(store, _deploy(store, small, "int8"), LOCAL, 1.2)
    teacher = ModelRecord(
        name=HOSTILE_NAME, architecture=LARGE, seed=1, accuracy=0.95, params=2_000_000
    )
    measure(store, _deploy(store, teacher), PI, 60.0)
    student = ModelRecord(
        name="mobilenetv2_d9_er4_w16_own_KD",
        architecture=SMALL,
        seed=1,
        accuracy=0.93,
        lineage=Lineage(distilled=True, teacher_id=store.write(teacher)),
    )
    measure(store, _deploy(store, student), LOCAL, 3.1)
    strange = ModelRecord(
        name="strange-family-net",
        architecture=ArchSpec(family=HOSTILE_FAMILY, params={"depth": 3}),
        accuracy=0.8,
    )
    measure(store, _deploy(store, strange), LOCAL, 2.0)
    pruned = ModelRecord(
        name="wrn-40-2-netadapt-own",
        architecture=ArchSpec(family="wideresnet", params={"depth": 40, "width": 32}),
        accuracy=0.93,
        lineage=Lineage(stage="retrained", pruning=Pruning(method="netadapt")),
        created_at=NEWEST_PUBLISHED,
    )
    measure(store, _deploy(store, pruned), LOCAL, 10.0, predicted_latency_ms=9.5)
    write_sample_run(store)


def write_sample_run(store: Store) -> None:
    """A model trained on the bundled sample, faster and more accurate than any published result
    on both devices, and the newest of them."""
    sample = ModelRecord(
        name=SAMPLE_RUN,
        architecture=ArchSpec(
            family="mobilenetv2", params={"depth": 6, "width": 16, "expansion": 2}
        ),
        seed=1,
        accuracy=0.99,
        dataset=Dataset(name=SAMPLE_NAME, fingerprint="abca95755c53f903e015"),
        created_at=NEWEST,
    )
    artifact = _deploy(store, sample)
    measure(store, artifact, LOCAL, 0.0123)
    measure(store, artifact, PI, 0.0123)


def write_calibration_results(store: Store) -> None:
    """A results directory declared `calibration`: an untrained network of the published
    `SMALL`'s architecture, measured in int8 on the Pi (where that configuration has no int8
    latency of its own) beside its lookup table's prediction."""
    store.root.mkdir(parents=True, exist_ok=True)
    (store.root / ROLE_FILE).write_text("role: calibration\n")
    network = ModelRecord(
        name=CALIBRATION_NETWORK,
        architecture=resolve(SMALL),
        seed=0,
        weights="untrained",
        created_at=NEWEST,
    )
    artifact = store.write(
        ArtifactRecord(model_id=store.write(network), quantization="int8", created_at=NEWEST)
    )
    measure(store, artifact, PI, 0.0456, predicted_latency_ms=0.05)
