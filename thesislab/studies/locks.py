"""Locks of a results directory: one run at a time per job, and per device, of a study.

The runner takes a job's lock before it starts the job and lets go of it after it has written
the job's ledger entry, so a second run of the same study on the same folder (another terminal,
another machine sharing the folder) that finds the lock taken waits, then finds the job done (or
runs it itself, where the first run stopped without finishing it). A bench job also takes its
device's lock, so that two runs never measure on one device at once.

A lock is a file, `RESULTS/locks/<name>.lock`, created with ``O_CREAT | O_EXCL``, that says who
holds it (process id, host, start time), and held with an exclusive `flock` on it for as long
as its job runs. The kernel lets go of a `flock` when its process ends, however it ends, so a
lock left by a run killed outright (`kill -9`) is stale: its file is still there, nobody holds
it, and the next run takes it over. The file's process id only names the holder in messages:
whether a lock is held is the `flock`'s answer, which a reused process id cannot fool and which,
on a folder shared between machines (NFS), the server's lock manager gives for the other hosts.
Lock files are opened close-on-exec, so a process a job starts never inherits one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from thesislab.store import Store


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its file says (nothing while its taker is still writing it)."""

    pid: int | None = None
    host: str | None = None
    started: str | None = None

    def __str__(self) -> str:
        if self.pid is None:
            return "another run (starting)"
        return f"the run of process {self.pid} on {self.host}, started {self.started}"


class Lock:
    """A lock this process holds."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        """Let go: the file goes first, then the `flock` (a run that opened the file meanwhile
        finds it gone and creates a new one)."""
        if self._descriptor is None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._descriptor)
        self._descriptor = None


def _holder(descriptor: int) -> Holder:
    try:
        data = json.loads(os.pread(descriptor, 4096, 0))
        return Holder(int(data["pid"]), str(data["host"]), str(data["started"]))
    except (ValueError, KeyError, TypeError):
        return Holder()


def _still_at(descriptor: int, path: Path) -> bool:
    """Whether the open file is the one at `path` (not one a holder removed meanwhile)."""
    try:
        at_path = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(descriptor)
    return (opened.st_dev, opened.st_ino) == (at_path.st_dev, at_path.st_ino)


class Locks:
    """The locks of one results directory."""

    def __init__(self, store: Store) -> None:
        self.directory = store.locks_dir()

    def take(self, name: str) -> Lock | Holder:
        """The lock `name`, held by this process from now on (a stale one taken over), or who
        holds it."""
        path = self.directory / f"{name}.lock"
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                try:
                    descriptor = os.open(path, os.O_RDWR)
                except FileNotFoundError:
                    continue  # let go of meanwhile: create it
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(descriptor)
                os.close(descriptor)
                return holder
            if not _still_at(descriptor, path):
                os.close(descriptor)
                continue
            started = datetime.now().astimezone().isoformat(timespec="seconds")
            holder_text = json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
            )
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, holder_text.encode(), 0)
            return Lock(path, descriptor)

    def take_all(self, names: list[str]) -> list[Lock] | Holder:
        """Every lock of `names`, or none of them and who holds the first one taken."""
        taken: list[Lock] = []
        for name in names:
            lock = self.take(name)
            if isinstance(lock, Holder):
                for held in taken:
                    held.release()
                return lock
            taken.append(lock)
        return taken
