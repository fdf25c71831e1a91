"""Fixtures of the latency tests: a tiny TFLite model and a private sshd on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.sshd import SshServer, running_sshd


@pytest.fixture(scope="session")
def tiny_tflite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A float32 TFLite file of a tiny untrained convolutional network (8x8x3 in, 4 out)."""
    import keras

    from thesislab.deploy.convert import Variant, convert

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(4)(x))
    path = tmp_path_factory.mktemp("tflite") / "tiny.tflite"
    path.write_bytes(convert(model, Variant("fp32")))
    return path


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A private sshd for the whole session."""
    with running_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server
