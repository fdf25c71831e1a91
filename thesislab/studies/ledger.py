"""The ledger of finished jobs: one small JSON file per job key in the results directory.

A job is done when its ledger entry exists and every record it produced is in the store, so a
study killed at any moment and started again skips exactly the jobs that finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thesislab.filesystem import atomic_write_bytes
from thesislab.records import ArtifactRecord
from thesislab.store import KINDS, Store


@dataclass(frozen=True)
class JobResult:
    """What a job produced: the ids of its records and named outputs for the jobs after it
    (`model_id`, `artifact_id`, ...)."""

    record_ids: tuple[str, ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()

    def output(self, name: str) -> str:
        """A named output, e.g. `model_id`."""
        return dict(self.outputs)[name]

    def to_json(self) -> dict[str, Any]:
        """Plain data for the ledger file."""
        return {"record_ids": list(self.record_ids), "outputs": dict(self.outputs)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobResult:
        """The inverse of `to_json`."""
        return cls(tuple(data["record_ids"]), tuple(sorted(data["outputs"].items())))


class Ledger:
    """Finished jobs of one results directory."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.directory = store.ledger_dir()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def _stored(self, record_id: str) -> bool:
        """Whether the record is in the store, and, for an artifact, its file too (a study
        whose files are not kept, as the latency atlas's, remakes them)."""
        kind = next((k for k in KINDS if self.store.path_of(k, record_id).exists()), None)
        if kind != "artifact":
            return kind is not None
        artifact = self.store.get(record_id, ArtifactRecord)
        return artifact.path is None or self.store.resolve(artifact.path).is_file()

    def result(self, key: str) -> JobResult | None:
        """The result of job `key` if it finished and its records are all present."""
        path = self._path(key)
        if not path.exists():
            return None
        result = JobResult.from_json(json.loads(path.read_text(encoding="utf-8")))
        return result if all(self._stored(i) for i in result.record_ids) else None

    def finish(self, key: str, label: str, result: JobResult) -> None:
        """Mark job `key` done with its result."""
        entry = {"key": key, "label": label, **result.to_json()}
        atomic_write_bytes(self._path(key), (json.dumps(entry, indent=2) + "\n").encode())
