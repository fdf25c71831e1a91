"""Values worked out per configuration, kept from one build of the site to the next.

A rebuild in the same process (`mkdocs serve`) reads only the record files that changed, into
new record objects; the other records are the very objects of the last build. A value that
depends only on some records (and plain values) is worked out again only where one of them is
not the object it was worked out from (`Memo.of`): one new record costs the values of its
configuration, not every configuration's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


def _same(before: tuple[object, ...], now: tuple[object, ...]) -> bool:
    return len(before) == len(now) and all(
        old is new or old == new for old, new in zip(before, now, strict=True)
    )


class Memo(Generic[T]):
    """The values of the last call, by key, with what each was worked out from."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[tuple[object, ...], T]] = {}

    def of(
        self, inputs: Iterable[tuple[str, tuple[object, ...]]], make: Callable[[str], T]
    ) -> dict[str, T]:
        """The value of each key of `inputs` (key, what its value depends on): `make(key)`,
        or the last call's value where it depended on the same objects (or equal values).
        The values of keys not asked for are dropped."""
        values: dict[str, tuple[tuple[object, ...], T]] = {}
        for key, depends in inputs:
            known = self._values.get(key)
            values[key] = (
                known if known is not None and _same(known[0], depends) else (depends, make(key))
            )
        self._values = values
        return {key: value for key, (_, value) in values.items()}
