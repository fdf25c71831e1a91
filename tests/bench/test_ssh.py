"""SSH devices against a real sshd on 127.0.0.1: uploads, remote runs, timeouts, failures."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import paramiko
import pytest

from tests.bench.sshd import SshServer, gone, running_sshd
from tests.ports import free_port
from thesislab.bench.check import check_device
from thesislab.bench.hosts import open_host, sha256_file
from thesislab.bench.measure import bench
from thesislab.bench.protocol import PRESETS
from thesislab.bench.runtimes import BenchmarkModel, runtime_for
from thesislab.bench.ssh import RECEIVE, RECEIVED_OTHER, SshHost, trust_host_key
from thesislab.errors import ThesislabError
from thesislab.records import ArtifactRecord, MeasurementRecord
from thesislab.store import Store

pytestmark = pytest.mark.ssh


def test_run_returns_output_and_status(ssh_server: SshServer, tmp_path: Path):
    host = SshHost(ssh_server.spec(tmp_path))
    try:
        result = host.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout_s=10)
    finally:
        host.close()
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_upload_verifies_and_reuses_identical_files(ssh_server: SshServer, tmp_path: Path):
    local = tmp_path / "model.tflite"
    local.write_bytes(os.urandom(300_000))
    host = SshHost(ssh_server.spec(tmp_path))
    try:
        first = host.put(local)
        again = host.put(local)
        local.write_bytes(b"changed")
        changed = host.put(local)
    finally:
        host.close()
    assert first.copied and not again.copied and changed.copied
    assert first.path == again.path != changed.path
    assert Path(first.path).parent == tmp_path / "remote"
    assert sha256_file(Path(changed.path)) == sha256_file(local)
    assert not list((tmp_path / "remote").glob("*.part"))


def test_the_device_keeps_an_upload_only_if_it_arrived_whole(tmp_path: Path):
    sent = tmp_path / "model.tflite"
    sent.write_bytes(os.urandom(1000))
    partial, kept = tmp_path / "remote.part", tmp_path / "remote"

    def receive(digest: str) -> subprocess.CompletedProcess[str]:
        with sent.open("rb") as stdin:
            argv = ["sh", "-c", RECEIVE, "sh", str(partial), digest, str(kept)]
            return subprocess.run(argv, stdin=stdin, capture_output=True, text=True, check=False)

    changed = receive("0" * 64)  # what arrived is not what was sent
    assert changed.returncode == RECEIVED_OTHER and changed.stdout == f"{sha256_file(sent)}\n"
    assert not partial.exists() and not kept.exists()
    whole = receive(sha256_file(sent))
    assert whole.returncode == 0, whole.stderr
    assert kept.read_bytes() == sent.read_bytes() and not partial.exists()


def test_short_commands_return_all_their_output(ssh_server: SshServer, tmp_path: Path):
    # sshd may send a command's exit status before the last of its output: a short command's
    # output must still arrive whole, every time
    local = tmp_path / "file"
    local.write_bytes(os.urandom(1000))
    expected = sha256_file(local)
    host = SshHost(ssh_server.spec(tmp_path))
    try:
        outputs = {host.run(["sha256sum", str(local)], timeout_s=10).stdout for _ in range(40)}
    finally:
        host.close()
    assert outputs == {f"{expected}  {local}\n"}


def test_a_device_without_sftp_receives_and_runs_an_artifact(tmp_path: Path, tiny_tflite: Path):
    store = Store(tmp_path / "results")
    relative = "files/tflite/tiny.tflite"
    (store.root / relative).parent.mkdir(parents=True)
    (store.root / relative).write_bytes(tiny_tflite.read_bytes())
    artifact = store.write(ArtifactRecord(model_id="m", quantization="fp32", path=relative))
    with running_sshd(tmp_path / "sshd", sftp=False) as server:
        spec = server.spec(tmp_path)
        host = SshHost(spec)
        try:
            with pytest.raises(paramiko.SSHException):
                host._client.open_sftp()  # the server really has no SFTP subsystem
        finally:
            host.close()
        protocol = PRESETS["quick"].model_copy(update={"runs": 5, "passes": 1})
        outcome = bench(store, [artifact], spec, protocol, seed=1)
    [(_, record)] = outcome.measurements
    assert record.device.name == "sshtest" and record.latency.mean_ms > 0
    [uploaded] = (tmp_path / "remote").glob("*-tiny.tflite")
    assert sha256_file(uploaded) == sha256_file(tiny_tflite)


def test_timeout_kills_the_remote_process(ssh_server: SshServer, tmp_path: Path):
    pid_file = tmp_path / "pid"
    host = SshHost(ssh_server.spec(tmp_path))
    try:
        started = time.monotonic()
        with pytest.raises(ThesislabError, match=r"timed out after 1 s and was killed"):
            host.run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], timeout_s=1)
        assert time.monotonic() - started < 5
        assert gone(int(pid_file.read_text()))
    finally:
        host.close()


def test_interrupted_run_kills_the_remote_process(ssh_server: SshServer, tmp_path: Path):
    pid_file = tmp_path / "pid"
    host = SshHost(ssh_server.spec(tmp_path))
    # a real SIGINT, which wakes the waiting main thread as Ctrl-C does; a shell that starts the
    # suite in the background leaves SIGINT ignored: Python's handler, as in a terminal
    main = threading.main_thread().ident
    interrupt = threading.Timer(1.0, signal.pthread_kill, (main, signal.SIGINT))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interrupt.start()
        with pytest.raises(KeyboardInterrupt):
            host.run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], timeout_s=30)
        assert gone(int(pid_file.read_text()))
    finally:
        interrupt.cancel()
        signal.signal(signal.SIGINT, previous)
        host.close()


def test_remote_litert_run(ssh_server: SshServer, tmp_path: Path, tiny_tflite: Path):
    spec = ssh_server.spec(tmp_path)
    runtime = runtime_for(spec)
    host = SshHost(spec)
    try:
        assert runtime.prepare(host).startswith("ai-edge-litert ")
        model = host.put(tiny_tflite)
        protocol = PRESETS["quick"].model_copy(update={"runs": 7, "warmup_runs": 2})
        result = runtime.call(host, model.path, protocol, timeout_s=60)
    finally:
        host.close()
    assert result.count == len(result.times_ms) == 7
    assert result.init_ms and result.first_ms and result.mean_ms > 0


def test_bench_over_ssh_writes_measurements(
    ssh_server: SshServer, tmp_path: Path, tiny_tflite: Path
):
    store = Store(tmp_path / "results")
    relative = "files/tflite/tiny.tflite"
    (store.root / relative).parent.mkdir(parents=True)
    (store.root / relative).write_bytes(tiny_tflite.read_bytes())
    artifact = store.write(ArtifactRecord(model_id="m", quantization="fp32", path=relative))
    protocol = PRESETS["quick"].model_copy(update={"runs": 5, "passes": 2, "remeasures": 0})
    calls: list[str] = []
    outcome = bench(
        store, [artifact[:8]], ssh_server.spec(tmp_path), protocol, seed=1, on_call=calls.append
    )
    assert calls == [artifact, artifact]
    [(identifier, record)] = outcome.measurements
    assert isinstance(store.get(identifier), MeasurementRecord)
    assert record.artifact_id == artifact and record.device.name == "sshtest"
    assert record.runtime.startswith("ai-edge-litert") and record.device.description
    assert len(record.latency.pass_means_ms) == 2 and record.protocol == protocol


def test_check_reports_the_device(ssh_server: SshServer, tmp_path: Path):
    spec = ssh_server.spec(tmp_path)
    host = open_host(spec)
    try:
        facts = check_device(host, runtime_for(spec))
    finally:
        host.close()
    assert facts.kernel.startswith("Linux") and facts.cores.isdigit()
    assert facts.runtime.startswith("ai-edge-litert")
    assert not facts.temperature  # no vcgencmd here: skipped


def test_missing_runtimes(ssh_server: SshServer, tmp_path: Path):
    python = ssh_server.spec(tmp_path, python="/nonexistent/python3")
    host = SshHost(python)
    try:
        with pytest.raises(ThesislabError, match=r"missing runtime on sshtest: expected"):
            runtime_for(python).prepare(host)
        with pytest.raises(ThesislabError, match=r"expected an executable benchmark_model"):
            BenchmarkModel("/nonexistent/benchmark_model").prepare(host)
    finally:
        host.close()


def test_unknown_host_is_rejected(ssh_server: SshServer, tmp_path: Path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(ThesislabError, match=r"^unknown host 127\.0\.0\.1:\d+: .*--trust-host-key"):
        SshHost(ssh_server.spec(tmp_path, known_hosts=str(empty)))


def test_changed_host_key_is_refused(ssh_server: SshServer, tmp_path: Path):
    other = (ssh_server.other_key.with_suffix(".pub")).read_text()
    known_hosts = ssh_server.known_hosts(tmp_path / "stale_known_hosts", public_key=other)
    spec = ssh_server.spec(tmp_path, known_hosts=str(known_hosts))
    with pytest.raises(ThesislabError, match=r"^host key of 127\.0\.0\.1:\d+ changed"):
        SshHost(spec)
    with pytest.raises(ThesislabError, match=r"changed"):
        trust_host_key(spec)  # trusting does not overwrite a recorded key either


def test_trusting_records_the_key_once(ssh_server: SshServer, tmp_path: Path):
    known_hosts = tmp_path / "ssh" / "known_hosts"
    spec = ssh_server.spec(tmp_path, known_hosts=str(known_hosts))
    fingerprint = trust_host_key(spec)
    assert fingerprint.startswith("SHA256:")
    assert trust_host_key(spec) == fingerprint
    assert len(known_hosts.read_text().splitlines()) == 1
    SshHost(spec).close()


def test_connection_refused(ssh_server: SshServer, tmp_path: Path):
    closed_port = free_port()
    with pytest.raises(
        ThesislabError, match=r"^cannot connect to 127\.0\.0\.1:\d+: connection refused"
    ):
        SshHost(ssh_server.spec(tmp_path, port=closed_port))


def test_bad_keys(ssh_server: SshServer, tmp_path: Path):
    with pytest.raises(ThesislabError, match=r"^SSH authentication failed .* refused key file"):
        SshHost(ssh_server.spec(tmp_path, key_file=str(ssh_server.other_key)))
    with pytest.raises(ThesislabError, match=r"expected a private key at .*, found none"):
        SshHost(ssh_server.spec(tmp_path, key_file=str(tmp_path / "absent")))
    garbage = tmp_path / "garbage_key"
    garbage.write_text("not a key\n")
    with pytest.raises(ThesislabError, match=r"^(cannot use key file|SSH authentication failed)"):
        SshHost(ssh_server.spec(tmp_path, key_file=str(garbage)))


def test_silent_server_times_out(ssh_server: SshServer, tmp_path: Path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        spec = ssh_server.spec(tmp_path, port=silent.getsockname()[1], timeout_s=1.0)
        with pytest.raises(ThesislabError, match=r"no SSH answer from .* within 1 s"):
            SshHost(spec)
