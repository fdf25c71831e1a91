"""The comparison page: two to four model configurations side by side, named in its address
(`compare.html#ids=ID1,ID2`): what each is, its results on every device, its lineage and its
recipe, with the settings that differ marked.

Its script (`compare.js`) reads the facts of each configuration (`ModelPage.facts`, made with its
model page) from data files, one per prefix of the configurations' ids, so that it loads only
the files of the configurations it shows, whatever the number of results. A file is made again
only when a page of its configurations changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from thesislab.site.data_files import DataFile, data_file
from thesislab.site.page import Page
from thesislab.site.render import relative_url

if TYPE_CHECKING:
    from thesislab.site.model_pages import ModelPage

COMPARE = "compare.md"
FILE_SIZE = 200
"""Configurations per data file, at most (but for 16 ** 8 of them)."""
MOST = 4
"""How many configurations the page shows side by side."""

_made: dict[str, tuple[str, DataFile]] = {}
"""The last build's data file of each prefix, with a hash of its pages' keys."""


def prefix_length(count: int) -> int:
    """How many first characters of a configuration's id (hexadecimal) name its data file, for
    `count` configurations: the fewest that make files of `FILE_SIZE` or fewer, give or take
    chance."""
    length = 0
    while count > FILE_SIZE * 16**length and length < 8:
        length += 1
    return length


def data_files(models: list[ModelPage]) -> tuple[int, dict[str, DataFile]]:
    """The length of the prefixes, and the data file of each prefix, of the facts of `models`."""
    length = prefix_length(len(models))
    groups: dict[str, list[ModelPage]] = {}
    for model in sorted(models, key=lambda page: page.config_id):
        groups.setdefault(model.config_id[:length], []).append(model)
    made: dict[str, tuple[str, DataFile]] = {}
    for prefix, group in groups.items():
        digest = hashlib.sha256("\0".join(page.key for page in group).encode()).hexdigest()
        known = _made.get(prefix)
        if known is None or known[0] != digest:
            text = "[" + ",".join(page.facts for page in group) + "]"
            known = (digest, data_file(f"compare-{prefix or 'all'}", text))
        made[prefix] = known
    _made.clear()
    _made.update(made)
    return length, {prefix: file for prefix, (_, file) in made.items()}


def compare_page() -> Page:
    """The comparison page, knowing no configuration until their facts are added
    (`with_facts`)."""
    context = {"most": MOST, "prefix_length": 0, "files": "{}"}
    return Page(COMPARE, "Compare", "compare.j2", context=context)


def with_facts(page: Page, models: list[ModelPage]) -> None:
    """Add the facts of `models` to the comparison `page`: its data files, and where each lies."""
    length, files = data_files(models)
    located = {
        prefix: {"key": file.key, "src": relative_url(COMPARE, file.path)}
        for prefix, file in files.items()
    }
    page.context["prefix_length"] = length
    page.context["files"] = json.dumps(located, separators=(",", ":"))
    page.assets.update({file.path: file.content for file in files.values()})
