"""Model pages, the reproduction page and what is new, on the thesis's results and a fixture with
lineage (`lineage_records`): the pages' data, the built site, and the site in Chromium, where a
point of a chart and a row of a table open their model's page over http and over file://."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.site import lineage_records as fixture
from tests.site.chromium import served, watched_page
from tests.site.site_records import REPO, THESIS_RESULTS
from tests.site.test_browser import DRAWN
from thesislab.results.table import table
from thesislab.site.catalogue import Catalogue
from thesislab.site.links import MODELS_INDEX, model_page
from thesislab.site.pages import site_pages
from thesislab.store import Store, records


@pytest.fixture(scope="module")
def lineage_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The thesis's results and the fixture's."""
    root = tmp_path_factory.mktemp("lineage-results")
    fixture.write_lineage_results(Store(root))
    return [THESIS_RESULTS, root]


@pytest.fixture(scope="module")
def lineage_table(lineage_dirs):
    return table(lineage_dirs)


@pytest.fixture(scope="module")
def catalogue(lineage_dirs, lineage_table) -> Catalogue:
    return Catalogue.of(records(lineage_dirs), lineage_table)


def _config(frame, name: str) -> str:
    """The configuration of the fixture's (not the thesis's) network `name`."""
    own = frame[(frame["name"] == name) & (frame["source"] == "thesislab")]
    return str(own["config_id"].iloc[0])


def _page(pages, path: str):
    return next(page for page in pages if page.path == path)


def test_the_reproduction_counts_match_the_fixture(lineage_table, catalogue):
    page = _page(site_pages(lineage_table, catalogue), "reproduction.md")
    assert page.context["summary"] == {
        "thesis_configurations": 261,
        "reproduced": fixture.REPRODUCED,
        "accuracies": fixture.ACCURACIES,
        "within_spread": fixture.WITHIN_SPREAD,
        "latencies": fixture.LATENCIES,
    }
    rows = page.context["comparisons"].set_index("thesis_name")
    teacher, effnet = rows.loc[fixture.TEACHER], rows.loc[fixture.EFFNET]
    assert teacher["within_spread"] and not effnet["within_spread"]
    assert teacher["accuracy_change"] == pytest.approx(0.0015)
    assert teacher["device"] == fixture.PI and teacher["latency_ratio"] == pytest.approx(31 / 30.7)
    assert effnet["own_name"] == fixture.EFFNET  # not the run on another data set


def test_lineage_links_both_ways(lineage_table, catalogue):
    config = {name: _config(lineage_table, name) for name in fixture.OWN_NAMES}
    teacher, student = config[fixture.TEACHER], config[fixture.STUDENT]
    assert catalogue.teachers(student) == [teacher]
    assert catalogue.students_of[teacher] == [student]
    pruned = config[fixture.PRUNED]
    assert catalogue.parents(pruned) == [config[fixture.PARENT]]
    assert catalogue.children_of[config[fixture.PARENT]] == [pruned]
    assert sorted(catalogue.children_of[pruned]) == sorted(
        [config[fixture.FINE_TUNED], config[fixture.RETRAINED]]
    )
    assert catalogue.parents(config[fixture.RETRAINED]) == [pruned]
    assert len(catalogue.seeds[teacher]) == 2


def test_the_home_page_lists_the_newest_results_and_counts_records(lineage_table, catalogue):
    home = site_pages(lineage_table, catalogue)[0]
    news = home.context["news"]
    assert news["records"] == {"model": 397 + 9, "artifact": 376 + 3, "measurement": 254 + 5}
    latest = [(row["name"], row["created"]) for row in news["latest"]]
    assert latest == [(fixture.STUDENT, fixture.NEWEST), (fixture.RETRAINED, fixture.OLDER)]
    assert site_pages(lineage_table)[0].context["news"] is None


# ---- the built site ----


@pytest.fixture(scope="module")
def lineage_site(lineage_dirs, site_port, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from thesislab.site.build import build_site

    out = tmp_path_factory.mktemp("lineage-built") / "site"
    cache = tmp_path_factory.mktemp("lineage-cache")
    url = f"http://127.0.0.1:{site_port}/"
    return build_site(lineage_dirs, out, REPO / "mkdocs.yml", cache_dir=cache, site_url=url)


@pytest.mark.slow
def test_every_configuration_has_a_themed_page(lineage_site, lineage_table):
    pages = {path.name for path in (lineage_site / "models").glob("*.html")}
    expected = {model_page(c).split("/")[1] for c in lineage_table["config_id"]}
    assert pages == expected | {"index.html"}
    student = _config(lineage_table, fixture.STUDENT)
    text = (lineage_site / model_page(student)).read_text()
    assert f"<title>{fixture.STUDENT} - thesislab results</title>" in text
    assert 'rel="canonical" href="http://127.0.0.1:' in text
    assert f"/models/{student}.html" in text
    assert 'class="md-nav__link md-nav__link--active"' in text  # the theme's navigation
    assert "../assets/thesislab/site.js" in text
    # an imported pruned network: its widths unknown, never said to be the family's defaults
    pruned = lineage_table[
        (lineage_table["source"] == "thesis-2019") & (lineage_table["stage"] == "retrained")
    ]["config_id"].iloc[0]
    imported = (lineage_site / model_page(pruned)).read_text()
    assert "Pruned: its widths were not recorded" in imported
    assert "default widths" not in imported and "<dt>tags</dt>" not in imported


@pytest.mark.slow
def test_the_reproduction_page_shows_the_fixture_counts(lineage_site):
    text = (lineage_site / "reproduction.html").read_text()
    summary = re.sub(r"<[^>]+>", "", text.split('class="tl-summary">', 1)[1].split("</p>", 1)[0])
    assert summary.startswith(
        f"thesislab has its own results for {fixture.REPRODUCED} of the 2019 thesis's 261 "
        f"configurations: {fixture.ACCURACIES} accuracies to compare, {fixture.WITHIN_SPREAD} "
        f"of them within the seeds' spread of the thesis's figure, and {fixture.LATENCIES} "
        "latency measured on the thesis's device."
    )
    table_text = text.split("tl-reproduction", 1)[1]
    assert table_text.count("<td>yes</td>") == 1 and table_text.count("<strong>no</strong>") == 1


# ---- in Chromium ----


@pytest.fixture(scope="module")
def lineage_http(lineage_site, site_port) -> Iterator[str]:
    with served(lineage_site, site_port) as address:
        yield address


@pytest.fixture(params=["http", "file"])
def site_root(request, lineage_http, lineage_site) -> str:
    return lineage_http if request.param == "http" else lineage_site.as_uri()


@pytest.fixture
def tab(browser):
    """A page at 1400 × 1000 whose errors and requests for other machines are recorded."""
    with watched_page(browser, 1400, 1000) as watched:
        yield watched


@pytest.mark.browser
@pytest.mark.slow
def test_a_model_page_shows_its_curves_and_links_back_and_forth(tab, site_root, lineage_table):
    page, watch = tab
    config = {name: _config(lineage_table, name) for name in fixture.OWN_NAMES}
    page.goto(f"{site_root}/{model_page(config[fixture.STUDENT])}")
    page.wait_for_function(DRAWN, timeout=30_000)
    curves = page.evaluate("window.thesislabViews.curves.data('curves').length")
    assert curves == fixture.EPOCHS * 3  # loss, training and validation accuracy
    assert page.locator("#chart-curves g.mark-line path").count() >= 2
    page.locator(".tl-teacher a", has_text=fixture.TEACHER).click()
    page.wait_for_url(f"**/{model_page(config[fixture.TEACHER])}")
    assert page.locator("h1").inner_text() == fixture.TEACHER
    assert "92.87 % ± 0.07 %" in page.locator("#results + div").inner_text()  # two seeds
    page.locator(".tl-students a", has_text=fixture.STUDENT).click()
    page.wait_for_url(f"**/{model_page(config[fixture.STUDENT])}")
    page.goto(f"{site_root}/{model_page(config[fixture.PARENT])}")
    page.locator(".tl-children a", has_text=fixture.PRUNED).click()
    page.wait_for_url(f"**/{model_page(config[fixture.PRUNED])}")
    assert "fisher" in page.locator(".tl-facts").first.inner_text()
    assert page.locator(".tl-width").count() == 6
    children = page.locator(".tl-children").inner_text()
    assert fixture.FINE_TUNED in children and fixture.RETRAINED in children
    page.locator(".tl-children a", has_text=fixture.RETRAINED).click()
    page.wait_for_url(f"**/{model_page(config[fixture.RETRAINED])}")
    page.locator(".tl-parent a", has_text=fixture.PRUNED).click()
    page.wait_for_url(f"**/{model_page(config[fixture.PRUNED])}")
    page.locator(".tl-parent a", has_text=fixture.PARENT).click()
    assert page.locator("h1").inner_text() == fixture.PARENT
    assert watch.errors == [] and watch.outside == []


@pytest.mark.browser
@pytest.mark.slow
def test_clicking_a_point_opens_its_model_page(tab, site_root, lineage_table):
    page, watch = tab
    student = _config(lineage_table, fixture.STUDENT)
    page.goto(f"{site_root}/index.html")
    page.wait_for_function(DRAWN, timeout=30_000)
    point = page.locator(f"#chart-overview g.role-mark path[aria-label*='{fixture.STUDENT}']")
    assert point.count() == 1
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    assert fixture.STUDENT in tooltip.inner_text()
    point.click(force=True)
    page.wait_for_url(f"**/{model_page(student)}")
    assert page.locator("h1").inner_text() == fixture.STUDENT
    page.wait_for_function(DRAWN, timeout=30_000)  # its own curves draw too
    assert watch.errors == [] and watch.outside == []


@pytest.mark.browser
@pytest.mark.slow
def test_a_row_of_the_results_table_opens_its_model_page(tab, site_root, lineage_table):
    page, watch = tab
    own = _config(lineage_table, fixture.EFFNET)
    page.goto(f"{site_root}/results.html")
    page.locator(".tl-filter").fill(f"{fixture.EFFNET} thesislab")
    page.wait_for_function("document.querySelector('.tl-count').textContent.startsWith('2 of')")
    link = page.locator(".tl-results tbody td a", has_text=re.compile(f"^{fixture.EFFNET}$"))
    link.click()
    page.wait_for_url(f"**/{model_page(own)}")
    assert page.locator("h1").inner_text() == fixture.EFFNET
    assert watch.errors == [] and watch.outside == []


@pytest.mark.browser
@pytest.mark.slow
def test_the_models_index_lists_every_published_configuration(tab, site_root, lineage_table):
    page, watch = tab
    page.goto(f"{site_root}/{MODELS_INDEX.removesuffix('.md')}.html")
    published = lineage_table[lineage_table["role"] == "published"]
    links = page.locator(".tl-model-list a")
    configurations = published["config_id"].nunique()
    page.wait_for_function(
        f"document.querySelectorAll('.tl-model-list a').length === {configurations}"
    )
    expected = {model_page(config_id).split("/")[1] for config_id in published["config_id"]}
    assert (
        set(links.evaluate_all("links => links.map(link => link.getAttribute('href'))")) == expected
    )
    family = str(published["family"].iloc[0])
    listed = page.locator(f".tl-model-list[data-family='{family}'] li").count()
    assert listed == published.loc[published["family"] == family, "config_id"].nunique()
    links.first.click()
    page.wait_for_url("**/models/*.html")
    assert watch.errors == [] and watch.outside == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("site_root", ["http"], indirect=True)
def test_a_model_page_shows_every_column_at_1400px_and_scrolls_at_800px(
    tab, site_root, lineage_table
):
    page, watch = tab
    page.goto(f"{site_root}/{model_page(_config(lineage_table, fixture.TEACHER))}")
    measurements = page.locator("table", has=page.locator("caption", has_text="Latency"))
    assert measurements.locator("tbody tr").count() == 4  # two seeds on two devices
    assert "tl-versions" in page.locator(".md-content").inner_html()  # the widest tables
    sizes = page.evaluate(
        "[...document.querySelectorAll('.md-content table')]"
        ".map(t => [t.scrollWidth, t.clientWidth])"
    )
    # results, seeds, artifacts, measurements, environment: none scrolls, no column is hidden
    assert len(sizes) == 5 and all(scroll <= shown + 1 for scroll, shown in sizes), sizes
    page.set_viewport_size({"width": 800, "height": 1000})
    assert measurements.evaluate("t => t.scrollWidth > t.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # the page does not
    first = measurements.locator("tbody td").first
    measurements.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
    assert measurements.evaluate("t => t.scrollLeft") > 0
    assert abs(first.bounding_box()["x"] - measurements.bounding_box()["x"]) < 1  # stays in view
    assert watch.errors == [] and watch.outside == []
