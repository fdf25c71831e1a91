"""Where commands run: this machine, or a remote one (see `ssh.py`), behind one small interface.

A host runs a command line with a timeout, after which the command is killed, and makes a local
file available to its commands (a remote host uploads it; this machine uses it where it is).
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.reasons import failure_reason
from thesislab.errors import ThesislabError


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
