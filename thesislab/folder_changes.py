"""The names a folder's files changed under since it was last looked at, as the kernel tells.

Looking again at every file of a large folder to find the few that changed costs one `stat` per
file (100,000 files: about a third of a second). On Linux the kernel notices every change made
to a local file system (inotify): a file created, written, truncated, touched, renamed or
removed. `FolderChanges.of(folder)` starts noticing the changes to the files directly in one
folder; each `take()` reads, without waiting, the names changed since the last one, or says
that some may have gone unnoticed (the kernel's queue overflowed, the folder went), after which
the folder is to be read whole again.

There is no notice of a change made on another machine to a network file system (NFS, SMB,
FUSE), nor on another platform: `of` gives None there, and the folder is read whole every time.
Every folder watched shares one inotify instance of the process, and has one `FolderChanges`
(whose changes are its taker's alone); a forked child does not read the notices of its parent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import struct
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

_IN_MODIFY = 0x00000002
_IN_ATTRIB = 0x00000004
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_MOVE_SELF = 0x00000800
_IN_UNMOUNT = 0x00002000
_IN_Q_OVERFLOW = 0x00004000
_IN_IGNORED = 0x00008000
_IN_ONLYDIR = 0x01000000
_WATCHED = (
    _IN_MODIFY
    | _IN_ATTRIB
    | _IN_CLOSE_WRITE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
    | _IN_ONLYDIR
)
_LOST = _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_UNMOUNT | _IN_IGNORED
"""Notices after which the folder's next changes go unnoticed."""
_EVENT = struct.Struct("iIII")
"""An inotify event's header: watch descriptor, mask, cookie, length of the name after it."""

LOCAL_FILE_SYSTEMS = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "f2fs", "bcachefs"}
)
"""File systems whose every change the kernel notices (no other machine writes to them)."""


@dataclass
class FolderChanges:
    """The names changed in one folder since the last `take()`."""

    folder: str
    _watch: int
    _changed: set[str] = field(default_factory=set)
    _lost: bool = False

    @classmethod
    def of(cls, folder: str) -> FolderChanges | None:
        """Start noticing the changes to `folder`'s files; None where they cannot be noticed
        (another platform, a network file system, the kernel's limit of watches reached)."""
        notices = _Notices.of_process()
        if notices is None or _file_system(folder) not in LOCAL_FILE_SYSTEMS:
            return None
        return notices.watch(folder)

    def take(self) -> set[str] | None:
        """The names changed since the last call (or since `of`); None where some changes may
        have gone unnoticed: the folder is to be read whole, and looked at with a new `of`."""
        notices = _Notices.of_process()
        if notices is None or not notices.read():
            return None
        with notices.lock:
            if self._lost:
                return None
            changed, self._changed = self._changed, set()
        return changed

    def close(self) -> None:
        """Stop noticing the folder's changes."""
        notices = _Notices.of_process()
        if notices is not None:
            notices.forget(self)


class _Notices:
    """The process's inotify instance and the folders it watches."""

    _current: _Notices | None = None
    _started = threading.Lock()

    def __init__(self, descriptor: int, libc: ctypes.CDLL) -> None:
        self.descriptor = descriptor
        self.libc = libc
        self.process = os.getpid()
        self.folders: dict[int, FolderChanges] = {}
        self.lock = threading.Lock()

    @classmethod
    def of_process(cls) -> _Notices | None:
        """This process's instance, started on first use; None where there is none."""
        with cls._started:
            if cls._current is not None and cls._current.process == os.getpid():
                return cls._current
            cls._current = None  # a forked child: its parent's notices are not its own
            if not sys.platform.startswith("linux"):
                return None
            name = ctypes.util.find_library("c")
            libc = ctypes.CDLL(name, use_errno=True)
            descriptor = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if descriptor < 0:
                return None
            cls._current = cls(descriptor, libc)
            return cls._current

    def watch(self, folder: str) -> FolderChanges | None:
        """The changes of `folder`, noticed from now; None where another `FolderChanges`
        notices them already (its changes are its taker's alone)."""
        watch = self.libc.inotify_add_watch(self.descriptor, os.fsencode(folder), _WATCHED)
        if watch < 0:
            return None
        with self.lock:
            known = self.folders.get(watch)  # a folder watched again: the same descriptor
            if known is not None and not known._lost:
                return None
            changes = FolderChanges(folder, watch)
            self.folders[watch] = changes
            return changes

    def forget(self, changes: FolderChanges) -> None:
        with self.lock:
            if self.folders.get(changes._watch) is changes:
                del self.folders[changes._watch]
                self.libc.inotify_rm_watch(self.descriptor, changes._watch)

    def read(self) -> bool:
        """Read the notices waiting; False where some were lost (the queue overflowed)."""
        with self.lock:
            while True:
                try:
                    data = os.read(self.descriptor, 1 << 16)
                except BlockingIOError:
                    return True
                at = 0
                while at < len(data):
                    watch, mask, _, length = _EVENT.unpack_from(data, at)
                    name = data[at + _EVENT.size : at + _EVENT.size + length].rstrip(b"\0")
                    at += _EVENT.size + length
                    if mask & _IN_Q_OVERFLOW:
                        for changes in self.folders.values():
                            changes._lost = True
                        return False
                    noticing = self.folders.get(watch)
                    if noticing is None:
                        continue
                    if mask & _LOST:
                        noticing._lost = True
                    elif name:
                        noticing._changed.add(os.fsdecode(name))


def _file_system(folder: str) -> str | None:
    """The type of the file system `folder` lies on (/proc/self/mountinfo); None if unknown."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = os.path.realpath(folder)
    best, kind = "", None
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields:
            continue
        point = _unescaped(fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[fields.index("-") + 1]
    return kind


def _unescaped(field: str) -> str:
    """A mountinfo field with its octal escapes (a space is \\040) decoded."""
    return re.sub(r"\\([0-7]{3})", lambda escape: chr(int(escape.group(1), 8)), field)
