"""A rebuild after one new record, in the same process (as under `mkdocs serve`), renders the
generated pages that record changes and writes the model pages it changes, no others."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

from tests.record_writers import measure
from tests.site.site_records import LOCAL, REPO, THESIS_RESULTS
from thesislab.models.spec import ArchSpec
from thesislab.records import ArtifactRecord, ModelRecord, configuration_id
from thesislab.site import worker
from thesislab.site.build import build_site
from thesislab.site.links import MODELS_DIR, model_page
from thesislab.store import Store

NEW = ModelRecord(
    name="mobilenetv2_d15_w32_rebuild",
    architecture=ArchSpec(family="mobilenetv2", params={"depth": 15, "width": 32}),
    seed=7,
    accuracy=0.91,
)
"""One more published configuration, of a family the site already has a page for."""


def _written(site: Path) -> dict[Path, tuple[int, int]]:
    """Each file of the site's models folder, with its (inode, mtime)."""
    return {
        path: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (site / MODELS_DIR).iterdir()
    }


def test_a_rebuild_after_one_new_record_rewrites_only_what_it_changes(
    own_results, tmp_path, caplog: pytest.LogCaptureFixture
):
    results = tmp_path / "results"
    shutil.copytree(own_results, results)
    site, cache = tmp_path / "site", tmp_path / "cache"

    def build() -> tuple[str, str]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.thesislab"):
            build_site(
                [THESIS_RESULTS, results],
                site,
                REPO / "mkdocs.yml",
                cache_dir=cache,
                wait_for_exports=False,  # as `mkdocs serve` builds: in place
            )
        worker.drain()
        counts, pages = (m for m in caplog.messages if m.startswith("thesislab: rendered"))
        return counts, pages.removeprefix("thesislab: rendered ")

    (first, _), before = build(), _written(site)
    store = Store(results)
    artifact = store.write(ArtifactRecord(model_id=store.write(NEW), quantization="fp32"))
    measure(store, artifact, LOCAL, 4.2)
    (second, rendered), after = build(), _written(site)

    page = site / model_page(configuration_id(NEW))
    changed = {path for path, stamp in after.items() if before.get(path) != stamp}
    assert changed == {page, site / MODELS_DIR / "index.html"}  # the index: MkDocs's own
    assert NEW.name in page.read_text() and set(before) <= set(after)
    first_counts, second_counts = _counts(first), _counts(second)
    pages, models = first_counts[1], len(before) - 1  # less the index
    assert first_counts == (pages, pages, models, models)
    assert second_counts == (len(rendered.split(", ")), pages, 1, models + 1)
    assert set(rendered.split(", ")) == {
        "index.md",  # the overview chart and what is new
        "families/index.md",
        "families/mobilenetv2.md",
        "devices.md",  # the results per device
        "results.md",
        "explore.md",  # they name the data files of their rows, one of which changed
        "compare.md",
        "models/index.md",
    }


def _counts(message: str) -> tuple[int, ...]:
    """(pages rendered, pages, model pages written, model pages) as the build logs them."""
    found = re.fullmatch(
        r"thesislab: rendered (\d+) of (\d+) pages, wrote (\d+) of (\d+) model pages", message
    )
    assert found is not None, message
    return tuple(int(group) for group in found.groups())
