"""A rebuild in the same process (as under `mkdocs serve`) after one new record renders the
generated pages that record changes, draws its charts and writes the model pages it changes, no
others; and whatever came between the builds (a record added, one removed, one corrupted), the
rebuilt site is the site a build in a new process makes of the same results."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.record_writers import measure
from tests.site.site_records import LOCAL, PI, REPO, SMALL_OWN, THESIS_RESULTS
from thesislab.models.spec import ArchSpec
from thesislab.records import ArtifactRecord, Lineage, ModelRecord, Pruning, configuration_id
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

BUILT_AT = "1767225600"
"""`SOURCE_DATE_EPOCH` of every build here: the home page and the sitemap say when."""


def _written(site: Path) -> dict[Path, tuple[int, int]]:
    """Each file of the site's models folder, with its (inode, mtime)."""
    return {
        path: (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in (site / MODELS_DIR).iterdir()
    }


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class _Serving:
    """Builds of one site, in place and in this process, as `mkdocs serve` makes them; each
    build's log lines of the thesislab plugin."""

    def __init__(
        self, results: Path, site: Path, cache: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        self.results = [THESIS_RESULTS, results]
        self.site, self.cache = site, cache
        self.caplog = caplog

    def build(self) -> list[str]:
        self.caplog.clear()
        with self.caplog.at_level(logging.DEBUG, logger="mkdocs.plugins.thesislab"):
            build_site(
                self.results,
                self.site,
                REPO / "mkdocs.yml",
                cache_dir=self.cache,
                wait_for_exports=False,  # as `mkdocs serve` builds: in place
            )
        worker.drain()
        return [message for message in self.caplog.messages if message.startswith("thesislab:")]

    def cold(self, out: Path) -> Path:
        """The site a build in a new process makes of the same results (with the same cache:
        vl-convert's PDFs of one chart vary in the order of their objects from one process to
        the next)."""
        code = (
            "from pathlib import Path\n"
            "from thesislab.site.build import build_site\n"
            f"build_site([Path(p) for p in {[str(path) for path in self.results]!r}], "
            f"Path({str(out)!r}), Path({str(REPO / 'mkdocs.yml')!r}), "
            f"cache_dir=Path({str(self.cache)!r}))\n"
        )
        built = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, built.stderr[-3000:]
        return out


def _line(messages: list[str], prefix: str) -> list[str]:
    """The names a debug line of the plugin lists after `prefix`."""
    (line,) = (message for message in messages if message.startswith(f"thesislab: {prefix} "))
    listed = line.removeprefix(f"thesislab: {prefix} ")
    return listed.split(", ") if listed else []


def _counts(messages: list[str]) -> tuple[int, ...]:
    """(pages rendered, pages, charts drawn, charts, model pages written, model pages) as the
    build logs them."""
    counted = [
        re.fullmatch(
            r"thesislab: rendered (\d+) of (\d+) pages, drew (\d+) of (\d+) charts, "
            r"wrote (\d+) of (\d+) model pages",
            message,
        )
        for message in messages
    ]
    (found,) = [match for match in counted if match is not None]
    return tuple(int(group) for group in found.groups())


def _add_new(results: Path) -> None:
    """`NEW`, deployed in fp32 and timed on the local machine."""
    store = Store(results)
    artifact = store.write(ArtifactRecord(model_id=store.write(NEW), quantization="fp32"))
    measure(store, artifact, LOCAL, 4.2)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache folder of this module's builds: each chart's PDF rendered once."""
    return tmp_path_factory.mktemp("rebuild-cache")


@pytest.fixture
def serving(own_results, tmp_path, cache, caplog, monkeypatch) -> _Serving:
    """Builds in place of a copy of the fixture's own results (beside the thesis's)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILT_AT)
    results = tmp_path / "results"
    shutil.copytree(own_results, results)
    return _Serving(results, tmp_path / "site", cache, caplog)


def test_a_rebuild_after_one_new_record_rewrites_only_what_it_changes(serving):
    first, before = serving.build(), _written(serving.site)
    _add_new(serving.results[1])
    second, after = serving.build(), _written(serving.site)

    page = serving.site / model_page(configuration_id(NEW))
    changed = {path for path, stamp in after.items() if before.get(path) != stamp}
    assert changed == {page, serving.site / MODELS_DIR / "index.html"}  # the index: MkDocs's
    assert NEW.name in page.read_text() and set(before) <= set(after)
    _, pages, _, charts, written, models = _counts(first)
    assert written == models == len(before) - 1  # a new site: every page but the index (MkDocs's)
    rendered, drawn = _line(second, "rendered pages"), _line(second, "drew charts")
    assert _counts(second) == (len(rendered), pages, len(drawn), charts, 1, models + 1)
    assert set(rendered) == {
        "index.md",  # the overview chart and what is new
        "families/index.md",
        "families/mobilenetv2.md",
        "devices.md",  # the results per device
        "results.md",
        "explore.md",  # they name the data files of their rows, one of which changed
        "compare.md",
        "models/index.md",
    }
    assert set(drawn) == {"overview", "families", "family-mobilenetv2"}  # the points it joins


def _one_record_at_a_time(results: Path) -> Iterator[None]:
    """Records added one at a time (each step adds one): a configuration, a seed of one there
    was, a quantized artifact and its measurement on another device, a network pruned from the
    new configuration and one distilled from it."""
    store = Store(results)
    model = store.write(NEW)
    yield
    artifact = store.write(ArtifactRecord(model_id=model, quantization="fp32"))
    yield
    measure(store, artifact, LOCAL, 4.2)
    yield
    store.write(SMALL_OWN.model_copy(update={"seed": 2, "accuracy": 0.927}))
    yield
    int8 = store.write(ArtifactRecord(model_id=model, quantization="int8", accuracy=0.905))
    yield
    measure(store, int8, PI, 12.5)
    yield
    pruned = Lineage(stage="retrained", parent_id=model, pruning=Pruning(method="uniform"))
    child = store.write(NEW.model_copy(update={"name": f"{NEW.name}_uniform", "lineage": pruned}))
    measure(store, store.write(ArtifactRecord(model_id=child, quantization="fp32")), LOCAL, 3.0)
    yield
    taught = Lineage(distilled=True, teacher_id=model)
    student = store.write(NEW.model_copy(update={"name": f"{NEW.name}_KD", "lineage": taught}))
    yield
    measure(store, store.write(ArtifactRecord(model_id=student, quantization="fp32")), LOCAL, 4.0)
    yield


@pytest.mark.slow  # a build in a new process
def test_a_rebuild_after_each_new_record_is_the_site_a_new_process_builds(serving, tmp_path):
    serving.build()
    for _ in _one_record_at_a_time(serving.results[1]):
        serving.build()
    assert _contents(serving.site) == _contents(serving.cold(tmp_path / "cold"))


@pytest.mark.slow  # a build in a new process
def test_a_rebuild_after_a_record_went_and_another_was_corrupted_is_the_site_a_new_process_builds(
    serving, tmp_path
):
    serving.build()
    measurements = sorted((serving.results[1] / "measurement").iterdir())
    measurements[0].unlink()
    corrupted = measurements[1]
    record = json.loads(corrupted.read_text())
    record["latency"]["median_ms"] = "fast"
    corrupted.write_text(json.dumps(record))  # in place: the same file, new content
    messages = serving.build()
    assert any(corrupted.name in message and "left out" in message for message in messages)
    assert _contents(serving.site) == _contents(serving.cold(tmp_path / "cold"))
