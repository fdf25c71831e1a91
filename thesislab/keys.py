"""Content keys: the sha256 of a value's canonical JSON, truncated.

Every name thesislab derives from content (record ids, run keys, job keys, lookup-table file
names) is `content_key` of that content, so equal content always gets the same name.
"""

from __future__ import annotations

import hashlib
import json

COMPACT = (",", ":")
"""Separators of the canonical JSON of records and runs."""

SPACED = (", ", ": ")
"""Python's default separators, which job keys and lookup-table names were first made with; they
keep them so that the keys already stored stay valid."""


def content_key(value: object, length: int = 20, separators: tuple[str, str] = COMPACT) -> str:
    """The first `length` hex digits of the sha256 of `value` as JSON with sorted keys."""
    text = json.dumps(value, sort_keys=True, separators=separators)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
