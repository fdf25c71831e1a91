"""Finding the models a pruning run already produced: by stage, parent and a predicate on the
record, so that every entry point is idempotent."""

from __future__ import annotations

from collections.abc import Callable

from thesislab.records import ModelRecord, Stage
from thesislab.store import Store


def find_models(
    store: Store, stage: Stage, parent_id: str, accept: Callable[[ModelRecord], bool]
) -> list[tuple[str, ModelRecord]]:
    """Model records of `stage` whose parent is `parent_id` and that `accept` takes, by id."""
    return [
        (identifier, record)
        for identifier, record in sorted(store.of_kind(ModelRecord).items())
        if record.lineage.stage == stage
        and record.lineage.parent_id == parent_id
        and accept(record)
    ]
