"""`thesislab bench` when the work stops halfway: a link that freezes or drops (a real sshd on
127.0.0.1 whose session processes are stopped or ended) and Ctrl-C end in one line that says
where it stopped and what was recorded; the same command then measures what is missing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.bench.sshd import SshServer, frozen, gone, running_sshd, session_processes
from thesislab.bench.devices import DeviceSpec, Inventory
from thesislab.records import ArtifactRecord, MeasurementRecord
from thesislab.store import Store

T = TypeVar("T")
TIMEOUT_S, KEEPALIVE_S = 3.0, 1.0
"""Short, and yet long enough for sshd on a busy machine to answer."""
CLI = "from thesislab.cli import main; main()"
# a shell that starts the suite in the background leaves SIGINT ignored: Ctrl-C as a terminal's
INTERRUPTIBLE_CLI = (
    f"import signal; signal.signal(signal.SIGINT, signal.default_int_handler); {CLI}"
)
CALL = ["--passes", "1", "--runs", "5", "--warmup", "1", "--min-secs", "1"]
"""One call of about two seconds per artifact: long enough to stop the work in the middle."""


def _artifacts(store: Store, model: Path, count: int) -> list[str]:
    """`count` artifacts (of models m1, m2, ...) that share the file `model`."""
    relative = f"files/tflite/{model.name}"
    (store.root / relative).parent.mkdir(parents=True, exist_ok=True)
    (store.root / relative).write_bytes(model.read_bytes())
    return [
        store.write(ArtifactRecord(model_id=f"m{index}", quantization="fp32", path=relative))
        for index in range(1, count + 1)
    ]


def _measurements(store: Store) -> dict[str, MeasurementRecord]:
    return store.of_kind(MeasurementRecord)


def _wait_for(condition: Callable[[], T], process: subprocess.Popen[str]) -> T:
    """The first true value of `condition`, asked while `process` runs (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"the condition never held: {process.communicate()[1][-2000:]}")


def _bench(
    store: Store, ids: list[str], tmp_path: Path, device: DeviceSpec, code: str = CLI
) -> subprocess.Popen[str]:
    """`thesislab bench` of `ids` on `device`, which the inventory in `tmp_path` holds."""
    inventory = Inventory.load(tmp_path / "devices.yaml")
    if device.is_remote:
        inventory.add(device, replace=True)
    command = [sys.executable, "-c", code, "bench", *ids, "-r", str(store.root)]
    command += ["-d", device.name, "--inventory", str(inventory.path), *CALL]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _runner(server: SshServer) -> int | None:
    """The PID of the LiteRT runner timing a model in one of the server's sessions, once it has
    loaded the model (long after its shell printed its PID)."""
    for pid in session_processes(server):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        if any(b"litert_runner" in arg for arg in argv) and ".tflite" in maps:
            return pid
    return None


def _uploading(directory: Path, name: str) -> bool:
    """Whether a megabyte of `name` has reached `directory` (long after the PID of the command
    that writes it was printed)."""
    return any(part.stat().st_size > 1 << 20 for part in directory.glob(f"*-{name}.part"))


@pytest.mark.ssh
def test_a_frozen_link_ends_in_one_line_and_the_same_command_measures_the_rest(
    tmp_path: Path, tiny_tflite: Path
):
    store = Store(tmp_path / "results")
    ids = _artifacts(store, tiny_tflite, 3)
    with running_sshd(tmp_path / "sshd") as server:
        device = server.spec(tmp_path, timeout_s=TIMEOUT_S, keepalive_s=KEEPALIVE_S)
        bench = _bench(store, ids, tmp_path, device)
        # the first artifact measured, the second one's runner at work: freeze the session
        runner = _wait_for(lambda: _runner(server) if _measurements(store) else None, bench)
        [(first_id, first)] = _measurements(store).items()
        with frozen(server):
            started = time.monotonic()
            _, stderr = bench.communicate(timeout=60)
            ended_within = time.monotonic() - started
            killed = gone(runner, within_s=0.5)  # before its session goes on
        assert bench.returncode == 1
        assert stderr.splitlines() == [
            "error: lost the link to sshtest during the measurement of tiny.tflite: no answer "
            f"within {TIMEOUT_S:g} s; its command there (PID {runner}) was killed over a new "
            "connection; 1 of 3 artifacts measured on sshtest and recorded; the same command "
            "measures the other 2"
        ]
        # noticed after a silence of KEEPALIVE_S, a probe unanswered for TIMEOUT_S, a new
        # connection to kill the runner: a few seconds, not the call's 600 s timeout
        assert ended_within < 3 * (KEEPALIVE_S + TIMEOUT_S), ended_within
        assert killed
        again = _bench(store, ids, tmp_path, device)
        stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    measurements = _measurements(store)
    assert measurements[first_id] == first  # kept, not measured again
    assert sorted(record.artifact_id for record in measurements.values()) == sorted(ids)
    assert "1 of 3 artifacts were measured on sshtest under this protocol before" in " ".join(
        stdout.split()
    )


@pytest.mark.ssh
@pytest.mark.parametrize("fault", ["drop", "freeze"])
def test_a_link_lost_during_an_upload_ends_in_one_line_naming_it(tmp_path: Path, fault: str):
    store = Store(tmp_path / "results")
    big = tmp_path / "big.tflite"
    big.write_bytes(os.urandom(48 << 20))  # far more than the SSH window and the socket buffers
    ids = _artifacts(store, big, 1)
    with running_sshd(tmp_path / "sshd") as server:
        device = server.spec(tmp_path, timeout_s=TIMEOUT_S, keepalive_s=KEEPALIVE_S)
        bench = _bench(store, ids, tmp_path, device)
        _wait_for(lambda: _uploading(tmp_path / "remote", "big.tflite"), bench)
        started = time.monotonic()
        if fault == "drop":
            for pid in session_processes(server)[:1]:  # the session's sshd: its connection ends
                os.kill(pid, signal.SIGTERM)
            _, stderr = bench.communicate(timeout=60)
        else:
            with frozen(server):
                _, stderr = bench.communicate(timeout=60)
        ended_within = time.monotonic() - started
    assert bench.returncode == 1
    # a dropped session's `cat` may end by itself (its input closed); a frozen one is killed
    detail, end = {
        "drop": ("the connection closed", "(killed over a new connection|already gone)"),
        "freeze": (f"no answer within {TIMEOUT_S:g} s", "killed over a new connection"),
    }[fault]
    assert re.fullmatch(
        f"error: lost the link to sshtest during the upload of big.tflite: {detail}; its "
        rf"command there \(PID \d+\) was {end}; 0 of 1 artifacts measured on sshtest and "
        "recorded; the same command measures the other 1\n",
        stderr,
    ), stderr
    assert ended_within < 3 * (KEEPALIVE_S + TIMEOUT_S), ended_within
    assert not _measurements(store)


def test_ctrl_c_says_what_was_recorded_and_exits_at_once(tmp_path: Path, tiny_tflite: Path):
    store = Store(tmp_path / "results")
    ids = _artifacts(store, tiny_tflite, 3)
    bench = _bench(store, ids, tmp_path, DeviceSpec(name="local"), INTERRUPTIBLE_CLI)
    _wait_for(lambda: _measurements(store), bench)
    bench.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, stderr = bench.communicate(timeout=60)
    assert time.monotonic() - started < 5
    assert bench.returncode == 130
    assert stderr.splitlines() == [
        "interrupted: 1 of 3 artifacts measured on local and recorded; the same command "
        "measures the other 2"
    ]
    assert len(_measurements(store)) == 1
