"""A private sshd on 127.0.0.1 for tests: its own host key and authorized key, public-key login
only, listening on a free port, ended by its PID; and the processes of its sessions, to freeze
(as a link that stops answering leaves them) or end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ports import free_port, wait_for_port
from tests.system_deps import require_executable
from thesislab.bench.devices import DeviceSpec

SSHD = "/usr/sbin/sshd"


def keygen(path: Path) -> Path:
    """A new unencrypted Ed25519 key pair at `path` and `path.pub`."""
    ssh_keygen = require_executable("ssh-keygen", "openssh-client")
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", "thesislab-test", "-f", str(path)],
        check=True,
    )
    return path


@dataclass(frozen=True)
class SshServer:
    """A running private sshd and the files a client needs."""

    port: int
    pid: int
    host_public_key: str
    client_key: Path
    other_key: Path

    def known_hosts(self, path: Path, public_key: str | None = None) -> Path:
        """A known_hosts file at `path` holding this server's key (or `public_key` instead)."""
        key_type, key = (public_key or self.host_public_key).split()[:2]
        path.write_text(f"[127.0.0.1]:{self.port} {key_type} {key}\n")
        return path

    def spec(self, tmp_path: Path, **fields: Any) -> DeviceSpec:
        """A device for this server, trusted through a known_hosts file in `tmp_path`."""
        values: dict[str, Any] = {
            "name": "sshtest",
            "host": "127.0.0.1",
            "port": self.port,
            "key_file": str(self.client_key),
            "known_hosts": str(self.known_hosts(tmp_path / "known_hosts")),
            "workdir": str(tmp_path / "remote"),
            "python": sys.executable,
            "timeout_s": 10.0,
            **fields,
        }
        return DeviceSpec.model_validate(values)


@contextmanager
def running_sshd(directory: Path, *, sftp: bool = True) -> Iterator[SshServer]:
    """`sshd -D -e -f CONFIG` on a free 127.0.0.1 port, keys and config in `directory`; without
    `sftp`, it has no SFTP subsystem (as dropbear and minimal images)."""
    sshd = require_executable(SSHD, "openssh-server")
    directory.mkdir(parents=True, exist_ok=True)
    host_key = keygen(directory / "host_ed25519")
    client_key = keygen(directory / "client_ed25519")
    other_key = keygen(directory / "other_ed25519")
    (directory / "authorized_keys").write_text((directory / "client_ed25519.pub").read_text())
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\n"
        f"PidFile {directory / 'sshd.pid'}\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "PermitRootLogin prohibit-password\n"
        + ("Subsystem sftp internal-sftp\n" if sftp else "")
        + "LogLevel ERROR\n"
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    log = directory / "sshd.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)], stdout=log_handle, stderr=log_handle
        )
    try:
        wait_for_port(port, process, 15, log)
        yield SshServer(
            port=port,
            pid=process.pid,
            host_public_key=(directory / "host_ed25519.pub").read_text(),
            client_key=client_key,
            other_key=other_key,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, ...), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (_stat(int(entry.name)) or ["", ""])[1] == str(pid)
    ]


def session_processes(server: SshServer) -> list[int]:
    """The processes of the server's sessions (its descendants), parents first."""
    found: list[int] = []
    layer = _children(server.pid)
    while layer:
        found += layer
        layer = [child for pid in layer for child in _children(pid)]
    return found


@contextmanager
def frozen(server: SshServer) -> Iterator[list[int]]:
    """Stop every process of the server's sessions (SIGSTOP), as a link that freezes leaves
    them: open and silent; continue them (SIGCONT) on leaving, those still running (the same
    start time: never a process that took the PID of one that ended). The listening sshd keeps
    accepting connections. Yields the stopped processes."""
    started: dict[int, str] = {}
    try:
        while new := [pid for pid in session_processes(server) if pid not in started]:
            for pid in new:  # parents first: a stopped session starts no more processes
                fields = _stat(pid)
                if fields is None:  # it has just ended
                    continue
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    started[pid] = fields[19]
        yield list(started)
    finally:
        for pid, start in started.items():
            fields = _stat(pid)
            if fields is not None and fields[19] == start:
                os.kill(pid, signal.SIGCONT)


def gone(pid: int, within_s: float = 5.0) -> bool:
    """Whether process `pid` has ended (reaped, or a zombie) within `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        fields = _stat(pid)
        if fields is None or fields[0] == "Z":
            return True
        time.sleep(0.05)
    return False
