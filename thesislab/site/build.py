"""Generating the result pages and their assets, and running a whole MkDocs build.

`generate` is what the MkDocs plugin calls: it joins the records into the results table, decides
the pages, renders their HTML and the bodies of the model pages, and produces the assets (the
site's script and stylesheet, and, in rendering processes while MkDocs builds, the Vega bundle
and one exports script per chart whose data changed since the last build of this process).
`build_site` is `thesislab site build`: the same MkDocs build as `mkdocs build`, with the results
directories and output folder overridable, built aside and swapped in when whole.
"""

from __future__ import annotations

import html
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from thesislab import collector
from thesislab.errors import ThesislabError
from thesislab.site import exports, worker
from thesislab.site.catalogue import Catalogue
from thesislab.site.charts.data import Chart
from thesislab.site.compare import COMPARE, with_facts
from thesislab.site.fingerprint import navigation_digest, page_digest
from thesislab.site.model_pages import ModelPage, model_pages
from thesislab.site.page import HOME, Page
from thesislab.site.pages import site_pages
from thesislab.site.render import ASSETS_DIR, Figure, figure, render_page

if TYPE_CHECKING:
    from thesislab.results.table import Joined

PACKAGE_ASSETS = Path(__file__).parent / "assets"
SCRIPTS = (f"{ASSETS_DIR}/vega.js", f"{ASSETS_DIR}/site.js")
STYLESHEETS = (f"{ASSETS_DIR}/site.css",)
PAGE_SCRIPTS = ("explore.js", "compare.js")
"""Scripts that the site's script loads, beside itself, on the pages that need them."""
PLUGIN_NAME = "thesislab"

log = logging.getLogger("mkdocs.plugins.thesislab")


@dataclass
class GeneratedSite:
    """The generated pages (HTML bodies by Markdown path) and assets (bytes by site path), some
    of them still being rendered in the background (`later`)."""

    pages: list[Page]
    html: dict[str, str] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)
    later: dict[str, Future[bytes]] = field(default_factory=dict)
    models: list[ModelPage] = field(default_factory=list)
    """The page of each model configuration, written into the site after the build."""
    rendered: list[str] = field(default_factory=list)
    """The pages rendered anew (the others showed what they showed in the last build)."""
    charts: int = 0
    """How many charts the pages draw."""
    drawn: list[str] = field(default_factory=list)
    """The charts (ids) drawn anew: figure and exports (the others showed what they showed in
    the last build)."""

    def write_later_assets(self, site_dir: Path, wait: bool = True) -> None:
        """Write the background assets into the built site: now, waiting for them, or (when not
        `wait`ing, as under `mkdocs serve`) each as soon as it is ready; but those of the same
        jobs as the last build's into this site, kept there (see `exported_into`). The pages are
        written: the rendering processes get the machine."""
        global _exported
        worker.hurry()
        before = _exported[1] if _exported is not None and _exported[0] == site_dir else {}
        for path, future in self.later.items():
            target = site_dir / path
            if before.get(path) is future and target.is_file():
                continue
            if wait:
                _write(target, future.result())
            else:
                future.add_done_callback(partial(_write_when_done, target))
        for gone in before.keys() - self.later.keys():
            (site_dir / gone).unlink(missing_ok=True)
        _exported = (site_dir, dict(self.later))

    def cancel(self) -> None:
        """Drop the background work that has not started (a newer build supersedes it)."""
        for future in self.later.values():
            future.cancel()

    def stub(self, page: Page) -> str:
        """The Markdown source standing in for a generated page: front matter with its title."""
        return f"---\ntitle: {json.dumps(safe_title(page.title))}\n---\n"

    def nav(self) -> list[dict[str, object]]:
        """Navigation entries for the generated pages (not the home page), in order."""
        entries: list[dict[str, object]] = []
        sections: dict[str, list[dict[str, object]]] = {}
        for page in self.pages:
            if page.path == HOME:
                continue
            entry: dict[str, object] = {safe_title(page.title): page.path}
            if page.section is None:
                entries.append(entry)
            elif page.section not in sections:
                sections[page.section] = [entry]
                entries.append({page.section: sections[page.section]})
            else:
                sections[page.section].append(entry)
        return entries


_exported: tuple[Path, dict[str, Future[bytes]]] | None = None
"""The site folder the last build wrote its background assets into, with the job of each (by
site path)."""


def exported_into(site_dir: Path) -> bool:
    """Whether the last build of this process wrote its background assets (the charts' exports)
    into `site_dir`: a rebuild keeps those of the same jobs there."""
    return _exported is not None and _exported[0] == site_dir and bool(_exported[1])


def _write_when_done(target: Path, future: Future[bytes]) -> None:
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        log.warning("thesislab: %s was not written: %s", target.name, error)
        return
    _write(target, future.result())


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


_made: tuple[Path | None, dict[str, tuple[str, Figure, Future[bytes]]]] = (None, {})
"""The cache folder of the last build, and its figure and exports job of each chart, with the
chart's digest: a rebuild in the same process with the same cache (as under `mkdocs serve`)
redoes only the charts whose data changed."""


@dataclass(frozen=True)
class _Rendered:
    """A generated page as the last build rendered it."""

    page: Page
    navigation: str
    """A digest of the generated pages' paths, titles and sections (`navigation_digest`)."""
    digest: str | None
    """A digest of what it shows (`fingerprint.page_digest`)."""
    html: str


_rendered: dict[str, _Rendered] = {}
"""The last build's HTML of each generated page: a rebuild in the same process renders only the
pages that changed (and works out what a page shows only where the page is not the last
build's, `site_pages`'s kept page)."""


_catalogued: tuple[int, Catalogue] | None = None
"""The catalogue of the last build, with the number of the join it catalogues: a rebuild in the
same process adds to it the records added since."""


def _touched(table: Joined) -> dict[str, list[str]] | None:
    """The configurations whose records changed since the last build (`Joined.changed`), where
    its join is the one `table` extends."""
    if _catalogued is None or table.extends != _catalogued[0]:
        return None
    return table.changed


def _catalogue_of(table: Joined, changed: dict[str, list[str]] | None) -> Catalogue:
    """The catalogue of `table`: the last build's, with the records of the configurations
    `changed` added, where there are such."""
    global _catalogued
    if _catalogued is not None and changed is not None:
        catalogue = _catalogued[1]
        catalogue.add(table.records, changed)
    else:
        catalogue = Catalogue.of(table.records, table.frame)
    _catalogued = (table.serial, catalogue)
    return catalogue


def _failed(job: Future[bytes]) -> bool:
    return job.cancelled() or (job.done() and job.exception() is not None)


def safe_title(title: str) -> str:
    """A page title as HTML text: themes insert titles into pages without escaping them."""
    return html.escape(title, quote=True)


def check_results(results_dirs: Iterable[Path]) -> None:
    """Raise the one-line error of a results folder that does not exist."""
    for path in results_dirs:
        if not path.is_dir():
            raise ThesislabError(f"results: expected an existing folder, received {path}")


def generate(results_dirs: list[Path], cache_dir: Path | None = None) -> GeneratedSite:
    """The result pages and their assets, from the records under `results_dirs`; a file that
    is not a valid record is left out with a warning naming it and its field."""
    with collector.paused():
        return _generate(results_dirs, cache_dir)


def _generate(results_dirs: list[Path], cache_dir: Path | None) -> GeneratedSite:
    global _made
    from thesislab.results.table import joined
    from thesislab.store import discover

    later = {SCRIPTS[0]: exports.vega_bundle(cache_dir)}
    invalid: list[ThesislabError] = []
    table = joined(discover(results_dirs), invalid)
    for error in invalid:  # a warning each: `--strict` turns them into a failed build
        log.warning("thesislab: left out %s", error)
    frame, touched = table.frame, _touched(table)
    catalogue = _catalogue_of(table, touched)
    pages = site_pages(frame, catalogue, table.keys)
    family_pages = {
        str(page.context["family"]): page.path for page in pages if page.template == "family.j2"
    }
    made = _made[1] if _made[0] == cache_dir else {}  # exports are rendered into the cache
    current: dict[str, tuple[str, Figure, Future[bytes]]] = {}
    changed: dict[str, tuple[Chart, Future[bytes]]] = {}
    for page, role, chart in ((p, r, c) for p in pages for r, c in p.charts.items()):
        if chart.empty:
            continue
        known = made.get(chart.spec.chart_id)
        if known and known[0] == chart.digest and not _failed(known[2]):
            current[chart.spec.chart_id] = known
            page.charts[role] = known[1].chart  # what was worked out about it holds
        else:  # all exports first: the rendering processes start while the pages are made
            changed[chart.spec.chart_id] = (chart, exports.exports_script(chart, cache_dir))
    for chart_id, (chart, job) in changed.items():
        current[chart_id] = (chart.digest, figure(chart), job)
    _made = (cache_dir, current)
    models = model_pages(frame, catalogue, family_pages, table.keys, touched)
    site = GeneratedSite(pages, later=later, models=models, charts=len(current), drawn=[*changed])
    figures = {chart_id: made[1] for chart_id, made in current.items()}
    rendered: dict[str, _Rendered] = {}
    navigation = navigation_digest(pages)
    for page in pages:
        if page.path == COMPARE:
            with_facts(page, site.models)
        before = _rendered.get(page.path)
        if before is None or before.page is not page or before.navigation != navigation:
            digest = page_digest(page, pages)
            if digest is None or before is None or before.digest != digest:
                site.rendered.append(page.path)
                before = _Rendered(page, navigation, digest, render_page(page, pages, figures))
            else:
                before = _Rendered(page, navigation, digest, before.html)
        rendered[page.path] = before
        site.html[page.path] = before.html
        site.assets.update(page.assets)
    _rendered.clear()
    _rendered.update(rendered)
    for _, made_figure, job in current.values():
        later[made_figure.exports] = job
    for name in ("site.js", "site.css", *PAGE_SCRIPTS):
        site.assets[f"{ASSETS_DIR}/{name}"] = (PACKAGE_ASSETS / name).read_bytes()
    return site


def _warnings_to_stderr() -> logging.Handler:
    """Show MkDocs's warnings (a record left out, a broken link) as `mkdocs build` does."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s -  %(message)s"))
    logging.getLogger("mkdocs").addHandler(handler)
    return handler


def build_site(
    results_dirs: list[Path] | None = None,
    out: Path | None = None,
    config_file: Path = Path("mkdocs.yml"),
    cache_dir: Path | None = None,
    strict: bool = False,
    site_url: str | None = None,
    wait_for_exports: bool = True,
    added_results: list[Path] | None = None,
) -> Path:
    """Run the MkDocs build of `config_file`, optionally from other results directories (instead
    of the configured ones) or `added_results` (besides them), into another output folder, with
    another cache or site address; return the output folder.

    A file that is not a valid record is left out with a warning; under `strict`, any warning
    fails the build. The site is built in a folder beside the output folder, which it replaces
    once built: a failed build leaves the previous site as it was. `wait_for_exports=False`
    builds as `mkdocs serve` does, in place: the pages are written, the chart exports (PDF, CSV)
    follow as the rendering processes finish them.
    """
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    if not config_file.is_file():
        raise ThesislabError(f"expected a MkDocs configuration at {config_file}, found no file")
    overrides = {"site_dir": str(out.resolve())} if out else {}
    if site_url:
        overrides["site_url"] = site_url
    staging: Path | None = None
    try:
        config = load_config(str(config_file), strict=strict, **overrides)
        plugin = config.plugins.get(PLUGIN_NAME)
        if plugin is None:
            raise ThesislabError(f"expected the '{PLUGIN_NAME}' plugin in {config_file}")
        base = config_file.resolve().parent
        chosen = results_dirs or [base / path for path in plugin.config["results"]]
        every = dict.fromkeys(path.resolve() for path in [*chosen, *(added_results or [])])
        check_results(every)
        plugin.config["results"] = [str(path) for path in every]
        if cache_dir:
            plugin.config["cache_dir"] = str(cache_dir.resolve())
        site_dir = Path(config.site_dir)
        if wait_for_exports:
            site_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.", dir=site_dir.parent))
            config.site_dir = str(staging)
        config.plugins.on_startup(command="build" if wait_for_exports else "serve", dirty=False)
        shown = _warnings_to_stderr()
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
            logging.getLogger("mkdocs").removeHandler(shown)
        if staging is not None:
            _replace_folder(site_dir, staging)
            staging = None
    except MkDocsException as error:
        raise ThesislabError(f"site build failed: {error}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return site_dir


SERVE_PORT = 8000


def built_message(site_dir: Path) -> str:
    """What to do with a built site, as commands that work as printed (whatever the shell's
    path): open it from disk, or serve it, where search works too."""
    serve = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
    serve += ["--directory", str(site_dir), str(SERVE_PORT)]
    return (
        f"site built: open {site_dir / 'index.html'}, or serve it (search works over http) "
        f"with {shlex.join(serve)} and open http://127.0.0.1:{SERVE_PORT}/"
    )


def _replace_folder(folder: Path, new: Path) -> None:
    """Put the folder `new` in the place of `folder` (removed), by two renames."""
    if not folder.exists():
        new.rename(folder)
        return
    old = new.with_name(f"{new.name}.old")
    folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old)
