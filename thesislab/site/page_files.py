"""Writing thousands of generated pages into the built site, each time MkDocs has emptied it.

Every build starts from an empty site folder, so every model page is written anew each time,
although a rebuild after one new record changes a handful of them. Writing them costs more than
rendering them (the file system frees and allocates the blocks of the previous build's copies),
so each page is kept in the cache folder, rewritten only when its content changed, and the site
gets a hard link to it: a metadata change, no data written. A copy whose (inode, mtime, size)
changed since it was written (a tool rewrote a built page in place, which also rewrites the
cache's copy) is written anew; where links cannot be made (no cache, another file system), the
pages are written as plain files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

Stamp = tuple[int, int, int]

_kept: dict[Path, tuple[str, Stamp]] = {}
"""The cache's copies written by this process: their version and (inode, mtime, size)."""


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _write_copy(path: Path, text: str) -> Stamp:
    """Write `text` to a new file at `path` (a new inode: links to the old one keep it)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    stamp = _stamp(path)
    assert stamp is not None
    return stamp


def _link(copy: Path, target: Path) -> bool:
    """Hard-link `target` to `copy`; False where this file system cannot."""
    try:
        os.link(copy, target)
    except FileExistsError:  # left by a build that did not empty the folder
        target.unlink()
        return _link(copy, target)
    except OSError:
        return False
    return True


def write_pages(
    pages: Iterable[tuple[str, str, Callable[[], str]]], site_dir: Path, cache_dir: Path | None
) -> None:
    """Write each page (its site path, its version: a hash of its content, and a function
    giving its text) into `site_dir`, through its copy in `cache_dir` when there is one."""
    linking = cache_dir is not None
    kept: set[Path] = set()
    folders: set[Path] = set()

    def folder_of(path: Path) -> None:
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)

    for path, version, text in pages:
        target = site_dir / path
        folder_of(target)
        if linking and cache_dir is not None:
            copy = cache_dir / path
            known = _kept.get(copy)
            if known is None or known[0] != version or known[1] != _stamp(copy):
                folder_of(copy)
                _kept[copy] = (version, _write_copy(copy, text()))
            kept.add(copy)
            linking = _link(copy, target)
            if linking:
                continue
        target.write_text(text(), encoding="utf-8")
    if linking and cache_dir is not None:
        _prune(kept)


def _prune(kept: set[Path]) -> None:
    """Remove the copies of pages that are gone (a configuration no longer in the results)."""
    for folder in {copy.parent for copy in kept}:
        with os.scandir(folder) as entries:
            gone = [folder / entry.name for entry in entries if entry.is_file()]
        for path in gone:
            if path not in kept:
                path.unlink()
                _kept.pop(path, None)
