"""The results directory: one JSON file per record, written atomically, loaded with validation.

Layout::

    RESULTS/model/<id>.json
    RESULTS/artifact/<id>.json
    RESULTS/measurement/<id>.json
    RESULTS/files/models/...     Keras weights the model records point to
    RESULTS/files/tflite/...     TFLite files the artifact records point to
    RESULTS/checkpoints/...      checkpoints of unfinished training runs
    RESULTS/lut/<device>/...     per-layer latency lookup tables
    RESULTS/jobs/<key>.json      the ledger of a study's finished jobs
    RESULTS/locks/<name>.lock    the jobs (and devices) a run of a study holds while it runs them

Every path in a results directory comes from `Store`; no other module joins a folder name to it.

Ids are derived from content, so writing the same record twice is a no-op and parallel writers of
different records never collide. A write goes to a hidden temporary file in the same directory,
is flushed and fsynced, then renamed over its final name: a killed writer leaves no partial record.
`Store.check()` finds the files whose name is not the id of their content (hand-edited or
corrupted records).

A store keeps one scan of its files (each read and validated once per file version), which
`load()`, `get()` and `table()` all read. `table()` joins the three kinds into one row per (model
configuration, artifact, device). Reading a large directory is mostly parsing: records are parsed
by pydantic's JSON parser (the standard library's says where a file is not JSON), with the
cyclic garbage collector paused, and the records of a large read are frozen out of its sight
(`thesislab.collector`). A repeated scan of the process's shared store looks again only at the
files the kernel says changed since (`thesislab.folder_changes`), where it says so; elsewhere
at every file's (mtime, size).
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar, overload

import pydantic
import pydantic_core

from thesislab import collector
from thesislab.errors import ThesislabError, validation_message
from thesislab.filesystem import atomic_write_bytes
from thesislab.folder_changes import FolderChanges
from thesislab.records import (
    RECORD_ADAPTER,
    ArtifactRecord,
    MeasurementRecord,
    ModelRecord,
    Record,
    RecordKind,
    canonical_json,
    configuration_id,
    record_id,
    upgrade,
)

KINDS: tuple[RecordKind, ...] = ("model", "artifact", "measurement")
FILES_DIR = "files"
WEIGHTS_DIR = "models"
TFLITE_DIR = "tflite"
CHECKPOINTS_DIR = "checkpoints"
LUT_DIR = "lut"
LEDGER_DIR = "jobs"
LOCKS_DIR = "locks"

RESULTS_ROOT = Path("experiments")
"""The folder the commands that read results look in by default (every results directory under
it), and the one a study's results directory goes in when the study has no file."""

DEFAULT_RESULTS = RESULTS_ROOT / "local"
"""The results directory the commands that write a record (train, prune, lut) use by default."""

R = TypeVar("R", ModelRecord, ArtifactRecord, MeasurementRecord)


def _stamp(path: str) -> tuple[int, int]:
    """A file's (mtime, size): it changes when the file is rewritten."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


def _parsed(path: Path | str, data: bytes) -> object:
    """A record file's JSON data; an error says where it is not JSON."""
    try:
        return pydantic_core.from_json(data)
    except ValueError:  # the standard library's parser names the line and what it expected
        pass
    try:
        return json.loads(data.decode("utf-8"))
    except json.JSONDecodeError as error:
        raise ThesislabError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    except UnicodeDecodeError as error:
        raise ThesislabError(f"{path}: not valid JSON (not UTF-8 at byte {error.start})") from None


def read_record(path: Path | str) -> Record:
    """Load and validate one record file; errors name the file and the field."""
    with open(path, "rb") as handle:
        raw = _parsed(path, handle.read())
    try:
        return RECORD_ADAPTER.validate_python(upgrade(raw))
    except ThesislabError as error:
        raise ThesislabError(f"{path}: {error}") from None
    except pydantic.ValidationError as error:
        raise ThesislabError(f"{path}: invalid {validation_message(error)}") from None


@dataclass
class _Scanned:
    """A record file as last read: its (mtime, size), its record and, for a model record, the id
    of its configuration once asked for."""

    stamp: tuple[int, int]
    record: Record
    configuration_id: str | None = None


def _is_record_file(name: str) -> bool:
    return not name.startswith(".") and name.endswith(".json")


@dataclass
class _Listing:
    """A record folder's file names as last read (in order), and the changes to its files
    noticed since."""

    names: list[str]
    changes: FolderChanges


@dataclass
class Store:
    """A results directory: its record files and every other path in it."""

    root: Path
    _scanned: dict[str, _Scanned] = field(default_factory=dict, repr=False)
    """Record files read so far, by path: a file is read and validated again only when its
    (mtime, size) changed, so a repeated `load()` or `table()` reads new files only."""

    watched: bool = field(default=False, repr=False)
    """Whether the kernel's notices of changes to its folders (`folder_changes`) spare a scan
    the look at every file (a shared store's)."""
    _listings: dict[str, _Listing] = field(default_factory=dict, repr=False)
    """The record file names of each folder as last read, with their folder's changes."""

    _shared: ClassVar[dict[Path, Store]] = {}

    @classmethod
    def shared(cls, root: Path | str) -> Store:
        """This process's store of `root`, whose scan `table()` keeps from one call to the next
        (a rebuild under `mkdocs serve` reads only the records added since, and looks only at
        the files changed since, where the kernel notices their changes)."""
        key = Path(root).resolve()
        if key not in cls._shared:
            cls._shared[key] = cls(Path(root), watched=True)
        return cls._shared[key]

    def path_of(self, kind: RecordKind, identifier: str) -> Path:
        """Where the record `identifier` of `kind` lives."""
        return self.root / kind / f"{identifier}.json"

    def files_dir(self) -> Path:
        """The directory for weights and TFLite files that records point to."""
        return self.root / FILES_DIR

    def weights_path(self, name: str) -> Path:
        """Where the Keras weights file `name` (without suffix) of a model record lives."""
        return self.files_dir() / WEIGHTS_DIR / f"{name}.keras"

    def tflite_path(self, name: str) -> Path:
        """Where the TFLite file `name` (without suffix) of an artifact record lives."""
        return self.files_dir() / TFLITE_DIR / f"{name}.tflite"

    def checkpoint_path(self, name: str) -> Path:
        """Where the checkpoint `name` (without suffix) of an unfinished training run lives."""
        return self.root / CHECKPOINTS_DIR / f"{name}.npz"

    def lut_dir(self, device: str) -> Path:
        """The directory of the latency lookup tables measured on `device`."""
        return self.root / LUT_DIR / device

    def ledger_dir(self) -> Path:
        """The directory of the ledger of a study's finished jobs."""
        return self.root / LEDGER_DIR

    def locks_dir(self) -> Path:
        """The directory of the locks of the jobs (and devices) runs of a study hold."""
        return self.root / LOCKS_DIR

    def relative(self, path: Path) -> str:
        """`path` as a record stores it: relative to the results directory, with `/`."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        """The file a record's relative path (`weights_path`, `path`) names."""
        return self.root / relative

    def write(self, record: Record) -> str:
        """Write `record` (a no-op if it already exists) and return its id."""
        identifier = record_id(record)
        path = self.path_of(record.kind, identifier)
        if not path.exists():
            text = json.dumps(json.loads(canonical_json(record)), indent=2, sort_keys=True)
            atomic_write_bytes(path, (text + "\n").encode())
            self._scanned[str(path)] = _Scanned(_stamp(str(path)), record)
        return identifier

    @staticmethod
    def _record_names(directory: str) -> list[str]:
        """The names of the record files in `directory`, in order (none where it is not)."""
        if not os.path.isdir(directory):
            return []
        names = [name for name in os.listdir(directory) if _is_record_file(name)]
        names.sort()
        return names

    def _names_since(self, directory: str) -> tuple[list[str], set[str] | None]:
        """The names of the record files in `directory`, in order, and those of them changed
        since the last call, as the kernel noticed (`folder_changes`, for a shared store); None
        for all (the folder was read whole)."""
        listing = self._listings.pop(directory, None)
        changed = None if listing is None else listing.changes.take()
        if listing is None or changed is None:
            if listing is not None:
                listing.changes.close()
            watched = self.watched and os.path.isdir(directory)
            changes = FolderChanges.of(directory) if watched else None  # before reading it
            names = self._record_names(directory)
            if changes is not None:
                self._listings[directory] = _Listing(names, changes)
            return names, None
        for name in filter(_is_record_file, changed):
            at = bisect.bisect_left(listing.names, name)
            listed = at < len(listing.names) and listing.names[at] == name
            present = os.path.isfile(os.path.join(directory, name))
            if present and not listed:
                listing.names.insert(at, name)
            elif listed and not present:
                del listing.names[at]
        self._listings[directory] = listing
        return listing.names, changed

    def _record_paths(self, kinds: Iterable[RecordKind]) -> Iterator[tuple[str, str]]:
        """(id, file path) of every record file of `kinds`, in file name order."""
        for kind in kinds:
            directory = os.path.join(self.root, kind)
            folder = directory + os.sep
            for name in self._record_names(directory):
                yield name[:-5], folder + name  # less ".json"

    def _scan(self, path: str) -> _Scanned:
        """The record file `path`, read again only if its (mtime, size) changed since it was
        last read."""
        stamp = _stamp(path)
        known = self._scanned.get(path)
        if known is None or known.stamp != stamp:
            known = _Scanned(stamp, read_record(path))
            self._scanned[path] = known
        return known

    def load(
        self, kinds: Iterable[RecordKind] = KINDS, invalid: list[ThesislabError] | None = None
    ) -> dict[str, Record]:
        """Every record of the given kinds, by id, each validated.

        An invalid file raises its error, or, given an `invalid` list, is added to it (the error
        names the file and the field) and left out.
        """
        loaded: dict[str, Record] = {}
        for kind in kinds:
            loaded.update(self._load_kind(kind, invalid))
        return loaded

    def of_kind(
        self, record_type: type[R], invalid: list[ThesislabError] | None = None
    ) -> dict[str, R]:
        """Every record of one type, by id (`invalid` as for `load`)."""
        return self._load_kind(record_type.model_fields["kind"].default, invalid, record_type)

    @overload
    def _load_kind(
        self, kind: RecordKind, invalid: list[ThesislabError] | None
    ) -> dict[str, Record]: ...

    @overload
    def _load_kind(
        self, kind: RecordKind, invalid: list[ThesislabError] | None, record_type: type[R]
    ) -> dict[str, R]: ...

    def _load_kind(
        self,
        kind: RecordKind,
        invalid: list[ThesislabError] | None,
        record_type: type[R] | None = None,
    ) -> dict[str, Record] | dict[str, R]:
        """The records of `kind`'s folder (of `record_type`, where given), in file name order:
        the scan of a large folder, kept to the fewest steps per file."""
        loaded: dict[str, Record] = {}
        scanned = self._scanned
        known = len(scanned)
        directory = os.path.join(self.root, kind)
        folder = directory + os.sep
        names, changed = self._names_since(directory)
        with collector.paused():
            for name in names:
                path = folder + name
                found = scanned.get(path)
                if found is None or (
                    (changed is None or name in changed) and found.stamp != _stamp(path)
                ):
                    try:
                        found = self._scan(path)
                    except ThesislabError as error:
                        if invalid is None:
                            raise
                        invalid.append(error)
                        continue
                if record_type is None or isinstance(found.record, record_type):
                    loaded[name[:-5]] = found.record  # less ".json"
        collector.freeze_survivors(len(scanned) - known)
        return loaded

    def configuration_id(self, model_id: str) -> str:
        """`configuration_id` of the model record `model_id` (full id) as last loaded (read
        now if it never was), computed once per file version."""
        path = os.path.join(self.root, "model", f"{model_id}.json")
        scanned = self._scanned.get(path) or self._scan(path)
        if scanned.configuration_id is None:
            if not isinstance(scanned.record, ModelRecord):
                raise ThesislabError(
                    f"expected a model record for {model_id!r}, "
                    f"received a record of kind {scanned.record.kind!r}"
                )
            scanned.configuration_id = configuration_id(scanned.record)
        return scanned.configuration_id

    @overload
    def get(self, identifier: str) -> Record: ...

    @overload
    def get(self, identifier: str, record_type: type[R]) -> R: ...

    def get(self, identifier: str, record_type: type[R] | None = None) -> Record:
        """The record with this id (a unique prefix of at least 6 characters also works); with
        `record_type`, a `ThesislabError` unless it is a record of that type."""
        exact = [self.path_of(kind, identifier) for kind in KINDS] if identifier.isalnum() else []
        matches = [str(path) for path in exact if path.is_file()] or [
            path
            for key, path in self._record_paths(KINDS)
            if key == identifier or (len(identifier) >= 6 and key.startswith(identifier))
        ]
        if not matches and not self.root.is_dir():
            raise ThesislabError(
                f"expected an existing results folder, received {self.root} (looking for the "
                f"record {identifier!r})"
            )
        if len(matches) != 1:
            found = "no record" if not matches else f"{len(matches)} records"
            raise ThesislabError(
                f"expected one record with id {identifier!r} in {self.root}, found {found}"
            )
        record = self._scan(matches[0]).record
        if record_type is not None and not isinstance(record, record_type):
            expected = record_type.model_fields["kind"].default
            article = "an" if expected[0] in "aeiou" else "a"
            raise ThesislabError(
                f"expected {article} {expected} record for {identifier!r}, "
                f"received a record of kind {record.kind!r}"
            )
        return record

    def exists(self, record: Record) -> bool:
        """Whether this exact record is already stored."""
        return self.path_of(record.kind, record_id(record)).exists()

    def check(self) -> tuple[int, list[str]]:
        """The number of record files, and every problem among them, one line each naming the
        file: not valid JSON or not a valid record, a record in another kind's folder, or a name
        that is not the id of the file's content (a hand-edited or corrupted record)."""
        checked = 0
        problems: list[str] = []
        for kind in KINDS:
            for identifier, path in self._record_paths([kind]):
                checked += 1
                try:
                    record = read_record(path)
                except ThesislabError as error:
                    problems.append(str(error))
                    continue
                actual = record_id(record)
                if record.kind != kind:
                    problems.append(
                        f"{path}: expected a {kind} record, received a {record.kind} record"
                    )
                elif actual != identifier:
                    problems.append(
                        f"{path}: expected the name {actual}.json (the id of its content), "
                        f"received {os.path.basename(path)}"
                    )
        return checked, problems


def records(
    results_dirs: Iterable[Path | str], invalid: list[ThesislabError] | None = None
) -> dict[str, Record]:
    """Every record of the results directories, by id, read as `table()` reads them (once per
    file version, so that after `table()` this only looks at the folders). Invalid files as in
    `table()`."""
    found: dict[str, Record] = {}
    for directory in results_dirs:
        found.update(Store.shared(directory).load(KINDS, invalid))
    return found


def discover(paths: Iterable[Path]) -> list[Path]:
    """Results directories at or one level under `paths` (those holding record folders), each
    once."""

    def holds_records(directory: Path) -> bool:
        return any((directory / kind).is_dir() for kind in KINDS)

    found: dict[Path, Path] = {}
    for path in paths:
        if holds_records(path):
            found.setdefault(path.resolve(), path)
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                if holds_records(child):
                    found.setdefault(child.resolve(), child)
    return list(found.values())
