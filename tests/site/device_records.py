"""Records for the devices page: networks of the 2019 thesis timed on its Raspberry Pi and
locally, one of them locally only as an untrained network of its architecture, and one of
thesislab's own also timed on a third device.

Latencies (ms) and accuracies, chosen so that the Pareto front changes with the device:

    network                   quantization  accuracy  raspberry-pi-3b  local
    mobilenetv2_d9_er4_w16    int8          0.896       6              1.0   on both fronts
    mobilenetv2_d9_er4_w16    fp32          0.900      10              2.0   leaves (B is faster)
    shufflenetv2_d12_w64      fp32          0.920      20              1.5   on both
    mnasnet_d12_er6_w24       fp32          0.940      40              8.0   on both
    mobilenetv1_d12_w64       fp32          0.930      50              3.0*  enters
    res_d40_w32               fp32          0.950      80             20.0   on both
    res_d10_w16               fp32          0.910       5               -    Pi only: no pair
    mobilenetv2_d12_er6_w24   fp32          0.970      25              2.5   thesislab's (not the
                                                                             thesis's front), and
                                                                             12.0 on `box`

* measured on an untrained mobilenetv1_d12_w64, which has a row of its own (stage 'untrained',
no accuracy, local only).
"""

from __future__ import annotations

from tests.record_writers import measure, untrained
from thesislab.models.names import parse_name
from thesislab.records import ArtifactRecord, ModelRecord, Source
from thesislab.store import Store

PI = "raspberry-pi-3b"
LOCAL = "local"
BOX = "box"
THESIS = Source(name="thesis-2019", reference="NatGr/Master_Thesis")

UNTRAINED_LOCALLY = "mobilenetv1_d12_w64"
OWN = "mobilenetv2_d12_er6_w24"
PI_ONLY = "res_d10_w16"

THESIS_NETWORKS: list[tuple[str, str, float, float, float | None]] = [
    ("mobilenetv2_d9_er4_w16", "int8", 0.896, 6.0, 1.0),
    ("mobilenetv2_d9_er4_w16", "fp32", 0.900, 10.0, 2.0),
    ("shufflenetv2_d12_w64", "fp32", 0.920, 20.0, 1.5),
    ("mnasnet_d12_er6_w24", "fp32", 0.940, 40.0, 8.0),
    (UNTRAINED_LOCALLY, "fp32", 0.930, 50.0, 3.0),
    ("res_d40_w32", "fp32", 0.950, 80.0, 20.0),
    (PI_ONLY, "fp32", 0.910, 5.0, None),
]
"""(name, quantization, accuracy, latency on the Pi, latency locally) of the thesis's networks."""
OWN_LATENCIES = {PI: 25.0, LOCAL: 2.5, BOX: 12.0}

ENTERING = [(UNTRAINED_LOCALLY, "fp32")]
LEAVING = [("mobilenetv2_d9_er4_w16", "fp32")]
FRONT_AT_PI = 5
FRONT_LOCALLY = 5


def write_device_results(store: Store) -> None:
    """The records of the table above."""
    models: dict[str, str] = {}
    for name, quantization, accuracy, pi, local in THESIS_NETWORKS:
        if name not in models:
            record = ModelRecord(
                name=name, architecture=parse_name(name).spec, seed=1, source=THESIS
            )
            models[name] = store.write(record)
        artifact = ArtifactRecord(
            model_id=models[name], quantization=quantization, accuracy=accuracy, source=THESIS
        )
        artifact_id = store.write(artifact)
        measure(store, artifact_id, PI, pi)
        if name == UNTRAINED_LOCALLY and local is not None:
            untrained(store, name, LOCAL, local, quantization=quantization)
        elif local is not None:
            measure(store, artifact_id, LOCAL, local)
    own = ModelRecord(name=OWN, architecture=parse_name(OWN).spec, seed=1, accuracy=0.97)
    own_artifact = ArtifactRecord(model_id=store.write(own), quantization="fp32", accuracy=0.97)
    own_id = store.write(own_artifact)
    for device, ms in OWN_LATENCIES.items():
        measure(store, own_id, device, ms)
