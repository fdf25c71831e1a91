"""Fixtures of the site tests: the results (the thesis's and a few of our own) and the site,
built once per session, served over http and opened in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port
from tests.site.chromium import CHROMIUM, CHROMIUM_FLAGS, served, watched_page
from tests.site.site_records import (
    OWN_PAGE,
    REPO,
    THESIS_RESULTS,
    write_calibration_results,
    write_own_results,
)
from tests.system_deps import require_executable
from tests.without_modules import MACHINE_LEARNING, run_without
from thesislab.results.table import table
from thesislab.site.catalogue import Catalogue
from thesislab.site.page import Page
from thesislab.site.pages import site_pages
from thesislab.store import Store, records


@dataclass
class BuiltSite:
    """The site built from the fixture's results."""

    results: list[Path]
    root: Path
    cache: Path
    log: str


@pytest.fixture(scope="session")
def own_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results directory of thesislab records (see `write_own_results`)."""
    root = tmp_path_factory.mktemp("own-results")
    write_own_results(Store(root))
    return root


@pytest.fixture(scope="session")
def calibration_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results directory declared `calibration` (see `write_calibration_results`)."""
    root = tmp_path_factory.mktemp("calibration-results")
    write_calibration_results(Store(root))
    return root


@pytest.fixture(scope="session")
def results_dirs(own_results: Path, calibration_results: Path) -> list[Path]:
    """The thesis's imported results, the fixture's own and its calibration network."""
    return [THESIS_RESULTS, own_results, calibration_results]


@pytest.fixture(scope="session")
def results_table(results_dirs: list[Path]):
    """`table()` of the fixture's results directories."""
    return table(results_dirs)


@pytest.fixture(scope="session")
def catalogued_pages(results_dirs: list[Path], results_table) -> list[Page]:
    """Every generated page of the fixture's results, as the site's build makes them (with the
    catalogue of their records)."""
    return site_pages(results_table, Catalogue.of(records(results_dirs), results_table))


@pytest.fixture(scope="session")
def kept_apart(results_table) -> dict[str, str]:
    """The configuration of each kept-apart network, by name."""
    rows = results_table[results_table["name"].isin(list(OWN_PAGE))]
    return dict(zip(rows["name"], rows["config_id"], strict=False))


@pytest.fixture(scope="session")
def site_port() -> int:
    """A free port on 127.0.0.1 for serving the site (its address is built into it)."""
    return free_port()


@pytest.fixture(scope="session")
def built_site(
    results_dirs: list[Path], site_port: int, tmp_path_factory: pytest.TempPathFactory
) -> BuiltSite:
    """The site, built once per test session with `build_site` (as `thesislab site build`), in
    a process where TensorFlow, Keras, LiteRT and JAX cannot be imported (the core install)."""
    out = tmp_path_factory.mktemp("built") / "site"
    cache = tmp_path_factory.mktemp("site-cache")
    url = f"http://127.0.0.1:{site_port}/"
    code = (
        "from pathlib import Path\n"
        "from thesislab.site.build import build_site\n"
        f"build_site([Path(path) for path in {[str(path) for path in results_dirs]!r}], "
        f"Path({str(out)!r}), "
        f"Path({str(REPO / 'mkdocs.yml')!r}), cache_dir=Path({str(cache)!r}), site_url={url!r})\n"
        "try:\n"
        "    import tensorflow\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    built = run_without(MACHINE_LEARNING, code)
    assert built.returncode == 0, built.stderr[-3000:]
    return BuiltSite(results_dirs, out, cache, built.stdout + built.stderr)


@pytest.fixture(scope="module")
def http_root(built_site, site_port) -> Iterator[str]:
    """The built site served by `http.server` on 127.0.0.1, stopped at teardown."""
    with served(built_site.root, site_port) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    """Chromium, started once per module (some tests start a Playwright of their own, which
    cannot run beside another)."""
    executable = require_executable(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=["http", "file"])
def root(request, http_root, built_site) -> str:
    """The site's address, over http://127.0.0.1 and over file://."""
    return http_root if request.param == "http" else built_site.root.as_uri()


@pytest.fixture
def watched(browser):
    """A page whose requests, console errors and dialogs are recorded; a request for anything
    but this machine is refused."""
    with watched_page(browser, 1280, 900, downloads=True) as watched:
        yield watched
