"""Records with lineage for the model page and reproduction tests, written beside the thesis's.

- A teacher of the thesis's `mnasnet_d9_er4_w16_dropout` architecture, two seeds on CIFAR-10
  with per-epoch history, within the seeds' spread of the thesis's accuracy; fp32, measured on
  the thesis's device and locally.
- A distilled student of it (the point the click tests click: alone at 400 ms).
- The thesis's `effnet_d12_w32_e4_cosine`, one seed, far below the thesis's accuracy.
- The same effnet trained on another data set: not compared.
- A WideResNet pruned with Fisher pruning (explicit widths), then fine-tuned and retrained.

9 models, 3 artifacts and 5 measurements in all; only the student and the retrained network say
when they were created. The reproduction page counts 2 thesis configurations reproduced, 2
accuracies (1 within the spread) and 1 latency.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.record_writers import deploy, measure
from thesislab.models.spec import ArchSpec
from thesislab.records import Dataset, Environment, EpochStats, Lineage, ModelRecord, Pruning
from thesislab.store import Store

PI = "raspberry-pi-3b"
CIFAR10 = Dataset(name="cifar10")
TEACHER_ARCH = ArchSpec(
    family="mnasnet", params={"depth": 9, "dropout": 0.2, "expansion": 4, "width": 16}
)
THESIS_TEACHER_ACCURACY = 0.9272
THESIS_EFFNET_ACCURACY = 0.904833
TEACHER = "mnasnet_d9_er4_w16_dropout"
STUDENT = "mnasnet_d9_er4_w8_dropout_KD"
EFFNET = "effnet_d12_w32_e4_cosine"
PARENT = "res-16-2-lineage"
PRUNED = "res-16-2-lineage-fisher"
FINE_TUNED = "res-16-2-lineage-fisher-ft"
RETRAINED = "res-16-2-lineage-fisher-rt"
OWN_NAMES = (TEACHER, STUDENT, EFFNET, PARENT, PRUNED, FINE_TUNED, RETRAINED)
STUDENT_LATENCY_MS = 400.0
NEWEST = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
OLDER = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
"""The only dated records: the student's and the retrained network's."""
EPOCHS = 3
ENVIRONMENT = Environment(
    versions={
        "jax": "0.10.2",
        "jaxlib": "0.10.2",
        "keras": "3.15.1",
        "numpy": "2.4.6",
        "python": "3.11.7",
        "tensorflow-cpu": "2.21.0",
        "thesislab": "0.1.0",
    },
    backend="tensorflow",
    device="CPU: AMD EPYC (2 cores)",
    commit="8de53725203c0d3f",
)
"""The teacher's seeds record where they ran: the widest table of a model page."""

REPRODUCED = 2
ACCURACIES = 2
WITHIN_SPREAD = 1
LATENCIES = 1


def _history(final: float) -> list[EpochStats]:
    return [
        EpochStats(
            epoch=epoch,
            loss=2.0 / epoch,
            accuracy=final * epoch / EPOCHS,
            validation_accuracy=final * epoch / EPOCHS - 0.01,
            seconds=1.0,
        )
        for epoch in range(1, EPOCHS + 1)
    ]


def _deploy(store: Store, model: ModelRecord, latencies: dict[str, float]) -> str:
    """`model` with an fp32 artifact of its accuracy measured at `latencies` (ms by device);
    the model's id."""
    artifact_id = deploy(store, model, accuracy=model.accuracy)
    for device, ms in latencies.items():
        measure(store, artifact_id, device, ms)
    return store.write(model)


def write_lineage_results(store: Store) -> None:
    """The records of the fixture (see the module docstring)."""
    teachers = [
        _deploy(
            store,
            ModelRecord(
                name=TEACHER,
                architecture=TEACHER_ARCH,
                seed=seed,
                dataset=CIFAR10,
                accuracy=THESIS_TEACHER_ACCURACY + offset,
                history=_history(THESIS_TEACHER_ACCURACY + offset),
                environment=ENVIRONMENT,
                weights_path=f"files/models/{TEACHER}-seed{seed}.keras",
            ),
            {PI: 31.0, "local": 3.0},
        )
        for seed, offset in ((1, 0.001), (2, 0.002))
    ]
    _deploy(
        store,
        ModelRecord(
            name=STUDENT,
            architecture=TEACHER_ARCH.model_copy(update={"params": {"depth": 9, "width": 8}}),
            seed=1,
            dataset=CIFAR10,
            accuracy=0.93,
            history=_history(0.93),
            lineage=Lineage(distilled=True, teacher_id=teachers[0]),
            created_at=NEWEST,
        ),
        {PI: STUDENT_LATENCY_MS},
    )
    effnet = ArchSpec(family="effnet", params={"depth": 12, "expansion": 4, "width": 32})
    for name, dataset in ((EFFNET, CIFAR10), (f"{EFFNET}_sample", Dataset(name="sample"))):
        store.write(
            ModelRecord(
                name=name,
                architecture=effnet,
                seed=1,
                dataset=dataset,
                accuracy=THESIS_EFFNET_ACCURACY - 0.05,
            )
        )
    wide = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32})
    parent = store.write(
        ModelRecord(name=PARENT, architecture=wide, seed=1, dataset=CIFAR10, accuracy=0.9)
    )
    pruning = Pruning(method="fisher", settings={"target_macs": 0.5})
    narrow = wide.model_copy(update={"widths": [16, 24, 24, 48, 48, 96]})
    pruned = store.write(
        ModelRecord(
            name=PRUNED,
            architecture=narrow,
            seed=1,
            dataset=CIFAR10,
            accuracy=0.5,
            lineage=Lineage(stage="pruned", parent_id=parent, pruning=pruning),
        )
    )
    for name, stage in ((FINE_TUNED, "fine_tuned"), (RETRAINED, "retrained")):
        store.write(
            ModelRecord(
                name=name,
                architecture=narrow,
                seed=1,
                dataset=CIFAR10,
                accuracy=0.88,
                lineage=Lineage(stage=stage, parent_id=pruned, pruning=pruning),
                created_at=OLDER if stage == "retrained" else None,
            )
        )
