"""Where commands run: this machine, or a remote one (see `ssh.py`), behind one small interface.

A host runs a command line with a timeout, after which the command is killed, and makes a local
file available to its commands (a remote host uploads it; this machine uses it where it is).
A remote host whose link drops or stops answering raises `LinkLostError`: nothing more can run
there in this session, unlike a command that fails, which says something about that command
alone. `during(step)` names the step of the work that the link was lost in.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.reasons import failure_reason
from thesislab.errors import ThesislabError

SETUP_TIMEOUT_S = 60.0
"""Seconds a setup command on a host (a check, a checksum, a move) may run. A link that drops or
freezes meanwhile is noticed sooner, by the device's own timeouts (see `ssh.py`)."""


@dataclass(frozen=True)
class CommandResult:
    """A finished command: exit status and its two output streams as text."""

    returncode: int
    stdout: str
    stderr: str

    def reason(self) -> str:
        """The line of its output that says why it failed (see `reasons.failure_reason`)."""
        return failure_reason(self.stderr, self.stdout, returncode=self.returncode)


@dataclass(frozen=True)
class HostFile:
    """A file as its host's commands see it, and whether it had to be copied there."""

    path: str
    copied: bool


class Host(Protocol):
    """A machine that runs commands."""

    name: str

    def run(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        """Run `argv` (killed after `timeout_s` seconds, raising `ThesislabError`)."""
        ...

    def put(self, path: Path) -> HostFile:
        """Make the local file `path` available to this host's commands."""
        ...

    def close(self) -> None:
        """Release the connection, if any."""
        ...


class LinkLostError(ThesislabError):
    """The link to a host dropped or stopped answering: nothing more can run there."""

    def __init__(self, host: str, detail: str, step: str | None = None) -> None:
        where = f" during {step}" if step else ""
        super().__init__(f"lost the link to {host}{where}: {detail}")
        self.host, self.detail, self.step = host, detail, step

    def noting(self, note: str) -> LinkLostError:
        """The same loss, its detail followed by `note`."""
        return LinkLostError(self.host, f"{self.detail}; {note}", self.step)


@contextmanager
def during(step: str) -> Iterator[None]:
    """Name `step` in a `LinkLostError` raised inside, unless an inner step already named itself."""
    try:
        yield
    except LinkLostError as lost:
        if lost.step is not None:
            raise
        raise LinkLostError(lost.host, lost.detail, step) from None


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalHost:
    """This machine: commands are child processes, files stay where they are."""

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, argv: Sequence[str], timeout_s: float) -> CommandResult:
        """Run `argv` as a child process; it is killed when `timeout_s` passes."""
        try:
            completed = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise ThesislabError(
                f"command on {self.name} timed out after {timeout_s:g} s and was killed: "
                f"{shlex.join(argv)[:120]}"
            ) from None
        except FileNotFoundError:
            raise ThesislabError(
                f"command on {self.name}: expected an executable {argv[0]!r}, found none"
            ) from None
        return CommandResult(completed.returncode, completed.stdout, completed.stderr)

    def put(self, path: Path) -> HostFile:
        """The file itself: nothing to copy."""
        return HostFile(str(path.resolve()), copied=False)

    def close(self) -> None:
        """Nothing to release."""


def open_host(spec: DeviceSpec) -> Host:
    """Connect to the device (SSH) or use this machine."""
    if not spec.is_remote:
        return LocalHost(spec.name)
    from thesislab.bench.ssh import SshHost

    return SshHost(spec)
