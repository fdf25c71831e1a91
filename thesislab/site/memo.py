"""What a build worked out, kept for the next build of this process while what it was worked out
from stays the same.

A rebuild under `mkdocs serve` after one new record changes a few rows of the results table: the
pages and charts whose rows did not change need not be worked out again. `Memo` keeps each value
with a digest of its inputs (`fingerprint.inputs_digest`): slices of the results table, known by
the keys of their rows (the `ROW_KEY` column: `results.table.Joined.keys`), and plain values. A
value whose inputs the digest cannot take is worked out every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from thesislab.site.fingerprint import inputs_digest

T = TypeVar("T")


class Memo:
    """Values by name, each with the digest of the inputs it was worked out from."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[str, object]] = {}
        self._now: dict[str, tuple[str, object]] | None = None

    @contextmanager
    def build(self) -> Iterator[None]:
        """One build: the values it asks for replace those of the same names when it ends (the
        others stay: a value kept whole keeps those it was worked out from, one name each)."""
        self._now = {}
        try:
            yield
            self._last.update(self._now)
        finally:
            self._now = None

    def get(self, name: str, inputs: tuple[object, ...], make: Callable[[], T]) -> T:
        """The value `name` of `inputs`: the last build's where its inputs were the same, else
        `make()`'s. Outside a `build`, always `make()`'s."""
        if self._now is None:
            return make()
        digest = inputs_digest((name, inputs))
        known = self._last.get(name)
        value = known[1] if digest is not None and known and known[0] == digest else make()
        if digest is not None:
            self._now[name] = (digest, value)
        return cast(T, value)
