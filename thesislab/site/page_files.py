"""Writing thousands of generated pages into the built site, only those that changed.

MkDocs empties the site folder before each build, so a rebuild after one new record would write
every model page anew (tens of thousands at a lab's scale), although it changes a handful.
So the folder of those pages is set aside before MkDocs empties the site (`set_aside`: into a
hidden folder, which MkDocs leaves alone) and put back after its build (`put_back`, beside what
MkDocs wrote there, the models index), and `write_pages` then writes only the pages whose
version changed since this process last wrote them there and removes those that are gone. The
charts' exports, a few megabytes each, are set aside the same way. A
page whose (inode, mtime, size) changed since (a tool rewrote it) is written anew.

Where the site is new (a build into a fresh folder, the first build of this process), every
page is written; writing costs more than rendering (the file system allocates every block), so
each page is kept in the cache folder too, rewritten only when its content changed, and the
site gets a hard link to it: a metadata change, no data written. Where links cannot be made (no
cache, another file system), the pages are written as plain files.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

Stamp = tuple[int, int, int]

KEPT = ".thesislab-kept"
"""The hidden folder in the site where the generated pages wait while MkDocs builds."""

_kept: dict[str, dict[str, tuple[str, Stamp]]] = {}
"""Per cache folder, the copies written by this process (by site path): their version and
(inode, mtime, size)."""
_written: tuple[Path, dict[str, tuple[str, Stamp]]] | None = None
"""The site folder this process last wrote pages into, and those pages (by site path): their
version and (inode, mtime, size)."""


def _stamp(path: str) -> Stamp | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _write_copy(path: str, text: str) -> Stamp:
    """Write `text` to a new file at `path` (a new inode: links to the old one keep it)."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
    stamp = _stamp(path)
    assert stamp is not None
    return stamp


def _link(copy: str, target: str) -> bool:
    """Hard-link `target` to `copy`; False where this file system cannot."""
    try:
        os.link(copy, target)
    except FileExistsError:  # left by a build that did not empty the folder
        os.unlink(target)
        return _link(copy, target)
    except OSError:
        return False
    return True


def wrote_into(site_dir: Path) -> bool:
    """Whether the last pages this process wrote went into `site_dir`."""
    return _written is not None and _written[0] == site_dir


def set_aside(site_dir: Path, folder: str, owned: bool) -> None:
    """Move `folder` of the site out of MkDocs's way (into a hidden folder, which MkDocs leaves
    alone) where this process wrote its files last build (`owned`); else it is left to MkDocs
    to empty, and written anew. Anything of it set aside before is removed."""
    kept = site_dir / KEPT / folder
    if kept.exists():
        shutil.rmtree(kept)
    if owned and (site_dir / folder).is_dir():
        kept.parent.mkdir(parents=True, exist_ok=True)
        (site_dir / folder).rename(kept)


def put_back(site_dir: Path, folder: str) -> None:
    """Put `folder` set aside back into the site, with what MkDocs wrote into it meanwhile."""
    kept = site_dir / KEPT / folder
    if not kept.is_dir():
        return
    built = site_dir / folder
    if built.is_dir():
        for entry in os.scandir(built):
            destination = kept / entry.name
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            os.replace(entry.path, destination)
        built.rmdir()
    built.parent.mkdir(parents=True, exist_ok=True)
    kept.rename(built)
    emptied = kept.parent
    while emptied != site_dir and not any(emptied.iterdir()):  # the hidden folder, once empty
        emptied.rmdir()
        emptied = emptied.parent


class _Writer:
    """Writes pages into one site folder, through copies in a cache folder where there is one."""

    def __init__(self, site_dir: Path, cache_dir: Path | None) -> None:
        self.site_dir = str(site_dir)
        self.cache_dir = None if cache_dir is None else str(cache_dir)
        self.linking = cache_dir is not None
        self.copies = _kept.setdefault(self.cache_dir, {}) if self.cache_dir else {}
        self.folders: set[str] = set()

    def _folder_of(self, path: str) -> None:
        folder = os.path.dirname(path)
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)

    def write(self, path: str, version: str, text: Callable[[], str]) -> Stamp:
        """Write the page at site path `path`; return its (inode, mtime, size)."""
        target = os.path.join(self.site_dir, path)
        self._folder_of(target)
        if self.linking and self.cache_dir is not None:
            copy = os.path.join(self.cache_dir, path)
            known = self.copies.get(path)
            if known is None or known[0] != version or known[1] != _stamp(copy):
                self._folder_of(copy)
                self.copies[path] = (version, _write_copy(copy, text()))
            self.linking = _link(copy, target)
            if self.linking:
                return self.copies[path][1]
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text())
        stamp = _stamp(target)
        assert stamp is not None
        return stamp

    def prune(self, paths: set[str]) -> None:
        """Remove the cache's copies of pages not among `paths` (configurations no longer in
        the results): those this process wrote, and at first whatever its folders hold."""
        if self.cache_dir is None or not self.linking:
            return
        for path in [path for path in self.copies if path not in paths]:
            os.unlink(os.path.join(self.cache_dir, path))
            del self.copies[path]
        scanned = _scanned.setdefault(self.cache_dir, set())
        for folder in {path.rpartition("/")[0] for path in paths} - scanned:
            with os.scandir(os.path.join(self.cache_dir, folder)) as entries:
                for entry in entries:
                    if entry.is_file() and posixpath.join(folder, entry.name) not in paths:
                        os.unlink(entry.path)
            scanned.add(folder)


_scanned: dict[str, set[str]] = {}
"""Per cache folder, its folders of copies this process has cleared of copies left by others."""


def write_pages(
    pages: Iterable[tuple[str, str, Callable[[], str]]], site_dir: Path, cache_dir: Path | None
) -> int:
    """Write each page (its site path, its version: a hash of its content, and a function
    giving its text) into `site_dir`, through its copy in `cache_dir` when there is one, unless
    this process wrote that version there last build; remove the pages it wrote there that are
    gone. Return how many pages were written."""
    global _written
    before = _written[1] if _written is not None and _written[0] == site_dir else {}
    _written = None
    writer = _Writer(site_dir, cache_dir)
    written: dict[str, tuple[str, Stamp]] = {}
    count = 0
    site = writer.site_dir + "/"
    for path, version, text in pages:
        known = before.pop(path, None)
        if known is not None and known[0] == version and known[1] == _stamp(site + path):
            written[path] = known
            continue
        written[path] = (version, writer.write(path, version, text))
        count += 1
    for gone in before:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(writer.site_dir, gone))
    _written = (site_dir, written)
    writer.prune(set(written))
    return count
