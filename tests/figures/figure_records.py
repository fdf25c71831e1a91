"""The figure tests' results: a few configurations of three families, written by hand.

A MobileNetV2 of two seeds (fp32 on both devices, int8 on `local` only, artifacts of known sizes,
known training times), a WideResNet pruned with NetAdapt, a distilled MobileNetV1 trained in no
time at all (a value a logarithmic axis cannot show), a result of the 2019 thesis (drawn hollow)
and a run on the bundled sample, which no figure shows unless asked for.
"""

from __future__ import annotations

from tests.record_writers import measure
from thesislab.data.sample import SAMPLE_NAME
from thesislab.models.spec import ArchSpec
from thesislab.records import (
    ArtifactRecord,
    Dataset,
    Lineage,
    ModelRecord,
    Pruning,
    Quantization,
    Source,
)
from thesislab.store import Store

LOCAL = "local"
PI = "raspberry-pi-3b"

SMALL = "mobilenetv2_d9_er4_w16"
PRUNED = "wrn-40-2-netadapt"
STUDENT = "mobilenetv1_d8_w32_KD"
THESIS = "mobilenetv1_d8_w32"
SAMPLE = "mobilenetv2_d6_er2_w16_sample"


def _artifact(
    store: Store, model_id: str, quantization: Quantization, accuracy: float, size: int
) -> str:
    return store.write(
        ArtifactRecord(
            model_id=model_id, quantization=quantization, accuracy=accuracy, size_bytes=size
        )
    )


def write_figure_results(store: Store) -> None:
    """The records of the fixture (see the module's text)."""
    small = ArchSpec(family="mobilenetv2", params={"depth": 9, "width": 16, "expansion": 4})
    for seed, accuracy, seconds, size in [(1, 0.90, 100.0, 1000), (2, 0.92, 300.0, 3000)]:
        model = ModelRecord(
            name=SMALL,
            architecture=small,
            seed=seed,
            accuracy=accuracy,
            params=150_000,
            macs=9_000_000,
            training_time_s=seconds,
        )
        model_id = store.write(model)
        fp32 = _artifact(store, model_id, "fp32", accuracy, size)
        measure(store, fp32, LOCAL, 3.0)
        measure(store, fp32, PI, 30.0)
        measure(store, _artifact(store, model_id, "int8", accuracy - 0.01, size // 4), LOCAL, 1.0)
    pruned = ModelRecord(
        name=PRUNED,
        architecture=ArchSpec(family="wideresnet", params={"depth": 40, "width": 32}),
        seed=1,
        accuracy=0.93,
        params=600_000,
        macs=80_000_000,
        training_time_s=900.0,
        lineage=Lineage(stage="retrained", pruning=Pruning(method="netadapt")),
    )
    artifact = _artifact(store, store.write(pruned), "fp32", 0.93, 2_400_000)
    measure(store, artifact, LOCAL, 10.0)
    measure(store, artifact, PI, 80.0)
    mobilenetv1 = ArchSpec(family="mobilenetv1", params={"depth": 8, "width": 32})
    student = ModelRecord(
        name=STUDENT,
        architecture=mobilenetv1,
        seed=1,
        accuracy=0.91,
        params=200_000,
        macs=20_000_000,
        training_time_s=0.0,
        lineage=Lineage(distilled=True),
    )
    measure(store, _artifact(store, store.write(student), "fp32", 0.91, 800_000), LOCAL, 2.0)
    thesis = ModelRecord(
        name=THESIS,
        architecture=mobilenetv1,
        accuracy=0.905,
        params=200_000,
        source=Source(name="thesis-2019"),
    )
    measure(store, _artifact(store, store.write(thesis), "fp32", 0.905, 790_000), PI, 25.0)
    sample = ModelRecord(
        name=SAMPLE,
        architecture=ArchSpec(
            family="mobilenetv2", params={"depth": 6, "width": 16, "expansion": 2}
        ),
        seed=1,
        accuracy=0.99,
        params=50_000,
        dataset=Dataset(name=SAMPLE_NAME),
    )
    measure(store, _artifact(store, store.write(sample), "fp32", 0.99, 200_000), LOCAL, 0.5)
