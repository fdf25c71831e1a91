"""Python's cyclic garbage collector, kept off the many long-lived objects a large results
folder is made of.

A results folder of 100,000 records is millions of small objects that live as long as the
process. Each full collection walks all of them (two seconds at that size, and one more as the
interpreter exits), and while they are being made the collector runs again and again, each time
over the objects made so far: reading the records and joining them took twice as long with it
running. So the collector is paused while records are read and the site is generated
(`paused`), and after a large read everything then alive is taken out of its sight for good
(`freeze_survivors`, Python's `gc.freeze`). Records hold no reference cycles: reference counting
frees a record replaced by a newer version of its file, frozen or not.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

LARGE_READ = 10_000
"""Records read at once from which the objects alive after it are frozen."""


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (as it was, after it; nesting is fine).
    Garbage in reference cycles made meanwhile waits for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_survivors(read: int) -> None:
    """After reading `read` records: from `LARGE_READ` on, leave every object alive now out of
    all later collections (cyclic garbage alive now with them: little, once per large read)."""
    if read >= LARGE_READ:
        gc.freeze()
