"""The devices page on `device_records`: latency on one device against another (one point per
configuration timed on both), rank correlations equal to pandas' and scipy's, the ratios per
family and quantization, and the thesis's 2019 front at local latencies with the networks that
enter or leave it; then the page in Chromium."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from scipy import stats

from tests.site import device_records as fixture
from tests.site.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.site.site_records import REPO
from tests.site.test_browser import DRAWN
from tests.system_deps import require_executable
from thesislab.models.counting import count_spec
from thesislab.models.names import parse_name
from thesislab.results.columns import MISSING
from thesislab.results.table import MEASURED, OF_ARCHITECTURE, table
from thesislab.site import latency_frames
from thesislab.site.catalogue import Catalogue
from thesislab.site.latency_pages import ATLAS_COMMAND
from thesislab.site.model_pages import model_pages
from thesislab.site.pages import site_pages
from thesislab.site.render import render_page
from thesislab.store import Store, records

LOCAL_AGAINST_PI = f"{fixture.LOCAL} against {fixture.PI}"
PAIRS = [f"{fixture.BOX} against {fixture.PI}", LOCAL_AGAINST_PI, f"{fixture.LOCAL} against box"]
"""The pairs of devices, the thesis's device first, then by name."""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("device-results")
    fixture.write_device_results(Store(root))
    return root


@pytest.fixture(scope="module")
def results_frame(results):
    return table([results])


@pytest.fixture(scope="module")
def pages(results_frame):
    return site_pages(results_frame)


@pytest.fixture(scope="module")
def page(pages):
    return next(page for page in pages if page.path == "devices.md")


@pytest.fixture(scope="module")
def html(page, pages) -> str:
    return render_page(page, pages)


def _timed_on_both(frame, first: str, second: str):
    """Latencies of every (configuration, quantization) timed on both devices, straight from
    the results table."""
    latencies = frame.pivot_table(
        index=["config_id", "quantization"], columns="device", values="latency_ms"
    )
    return latencies[[first, second]].dropna()


def test_one_point_per_configuration_timed_on_both_devices(page, results_frame):
    chart = page.charts["comparison"]
    drawn = chart.drawn[chart.drawn["devices"] == LOCAL_AGAINST_PI]
    both = _timed_on_both(results_frame, fixture.PI, fixture.LOCAL)
    assert len(both) == len(fixture.THESIS_NETWORKS) - 1 + 1  # the Pi-only one out, ours in
    points = {
        (row.config_id, row.quantization): (row.first_latency_ms, row.latency_ms)
        for row in drawn.itertuples()
    }
    assert points == {key: (pi, local) for key, (pi, local) in both.iterrows()}
    assert not (drawn["name"] == fixture.PI_ONLY).any()
    assert not (drawn["stage"] == "untrained").any()  # timed on one device only
    assert chart.choices == {"devices": sorted(PAIRS)}
    assert chart.defaults == {"devices": LOCAL_AGAINST_PI}
    assert len(chart.datasets["points"]) == len(chart.drawn) == 6 + 1 + 1 + 1
    # The point measured on an untrained network of its architecture says so.
    borrowed = drawn[drawn["latency_from"] == OF_ARCHITECTURE]
    assert list(borrowed["name"]) == [fixture.UNTRAINED_LOCALLY]
    assert chart.spec.rule == "diagonal" and chart.spec.log_y
    assert set(chart.csv_rows().columns) >= {"first_latency_ms", "latency_ms", "devices"}


def test_the_printed_rank_correlations_are_pandas_and_scipy(page, html, results_frame):
    both = _timed_on_both(results_frame, fixture.PI, fixture.LOCAL)
    pi, local = both[fixture.PI], both[fixture.LOCAL]
    expected = {
        "spearman": pi.corr(local, method="spearman"),
        "kendall": pi.corr(local, method="kendall"),
    }
    assert expected["spearman"] == pytest.approx(stats.spearmanr(pi, local).statistic)
    assert expected["kendall"] == pytest.approx(stats.kendalltau(pi, local).statistic)
    assert expected["kendall"] < expected["spearman"] < 1  # the local ranking differs
    table = page.context["correlations"].set_index("devices")
    assert list(table.index) == PAIRS
    for method, value in expected.items():
        assert table.loc[LOCAL_AGAINST_PI, method] == pytest.approx(value)
        printed = re.findall(rf'<td class="tl-number tl-{method}">([^<]*)</td>', html)
        assert printed == [
            MISSING if math.isnan(value) else f"{value:,.3f}"
            for pair in PAIRS
            for value in [table.loc[pair, method]]
        ]
    assert f'<td>{LOCAL_AGAINST_PI}</td><td class="tl-number">7</td>' in html


def test_macs_alone_rank_the_networks_beside_each_pair(page, html, results_frame):
    both = _timed_on_both(results_frame, fixture.PI, fixture.LOCAL)
    names = results_frame.drop_duplicates("config_id").set_index("config_id")["name"]
    macs = [count_spec(parse_name(names[config]).spec).macs for config, _ in both.index]
    expected = stats.spearmanr(macs, both[fixture.LOCAL]).statistic
    table = page.context["correlations"].set_index("devices")
    assert table.loc[LOCAL_AGAINST_PI, "macs_configurations"] == len(both)
    assert table.loc[LOCAL_AGAINST_PI, "macs_spearman"] == pytest.approx(expected)
    assert table.loc[LOCAL_AGAINST_PI, "spearman"] != pytest.approx(expected)
    printed = re.findall(r'<td class="tl-number tl-macs-spearman">([^<]*)', html)
    assert printed == [
        MISSING if math.isnan(value) else f"{value:,.3f}"
        for value in table.loc[PAIRS, "macs_spearman"]
    ]


def test_the_line_y_equals_x_is_promised_only_where_it_is_drawn(page, html, results_frame):
    comparison = page.charts["comparison"]
    assert len(comparison.at_start(comparison.datasets["diagonal"])) == 2
    assert "On the dashed line y = x (drawn where the two axes' ranges overlap)" in html
    local = results_frame["device"] == fixture.LOCAL
    faster = results_frame.assign(
        latency_ms=results_frame["latency_ms"].where(~local, results_frame["latency_ms"] / 1000)
    )
    pages = site_pages(faster)
    apart = next(page for page in pages if page.path == "devices.md")
    chart = apart.charts["comparison"]
    assert chart.at_start(chart.datasets["diagonal"]).empty
    text = render_page(apart, pages)
    assert "On the dashed line" not in text
    assert "latencies do not overlap for the pair shown first, so the line y = x" in text


def test_ratios_per_family_and_quantization(page):
    ratios = page.context["ratios"].set_index(["devices", "family", "quantization"])
    mobilenets = ratios.loc[(LOCAL_AGAINST_PI, "mobilenetv2", "fp32")]
    # mobilenetv2_d9_er4_w16: 2 / 10, ours: 2.5 / 25
    assert mobilenets["configurations"] == 2
    assert mobilenets["median"] == pytest.approx(0.15)
    assert (mobilenets["p10"], mobilenets["p90"]) == pytest.approx((0.11, 0.19))
    assert ratios.loc[(LOCAL_AGAINST_PI, "mobilenetv1", "fp32"), "median"] == pytest.approx(0.06)
    assert ratios.loc[(PAIRS[0], "mobilenetv2", "fp32"), "median"] == pytest.approx(12 / 25)


def test_the_front_on_another_device_matches_the_hand_checked_fixture(page, html):
    assert [front["device"] for front in page.context["fronts"]] == [fixture.LOCAL]  # not box
    front = page.context["fronts"][0]
    assert front["networks"] == len(fixture.THESIS_NETWORKS) - 1  # the thesis's only
    assert (front["before"], front["after"]) == (fixture.FRONT_AT_PI, fixture.FRONT_LOCALLY)
    assert front["of_architecture"] == 1
    changes = front["changes"]
    assert list(zip(changes["name"], changes["quantization"], changes["change"], strict=True)) == [
        (*network, latency_frames.ENTERS) for network in fixture.ENTERING
    ] + [(*network, latency_frames.LEAVES) for network in fixture.LEAVING]
    assert list(changes["latency_from"]) == [OF_ARCHITECTURE, MEASURED]
    chart = page.charts[front["chart"]]
    assert chart.spec.title == f"2019 accuracies at {fixture.LOCAL} latencies"
    assert len(chart.drawn) == front["networks"]
    assert set(chart.front_rows["config_id"] + chart.front_rows["quantization"]) == set(
        (chart.drawn["config_id"] + chart.drawn["quantization"])[chart.drawn["front_after"]]
    )
    assert f"2019 accuracies at {fixture.LOCAL} latencies" in html
    assert "the networks were trained for the thesis, not again" in html
    rows = re.findall(r"<tr><td><a [^>]*>([^<]*)</a></td><td>(enters|leaves)</td>", html)
    assert rows == [(fixture.UNTRAINED_LOCALLY, "enters"), ("mobilenetv2_d9_er4_w16", "leaves")]


def test_the_page_works_without_latency_from(results_frame):
    """A table from before latencies could come from an architecture: every row measured."""
    compared = latency_frames.device_comparison(results_frame.drop(columns="latency_from"))
    assert len(compared) == 9 and (compared["latency_from"] == MEASURED).all()


def test_a_model_page_marks_the_latency_of_its_architecture(results, results_frame):
    """The thesis configuration timed locally only as an untrained network says so on its page;
    one timed on its own artifacts does not."""
    catalogue = Catalogue.of(records([results]), results_frame)
    bodies = {page.config_id: page.body for page in model_pages(results_frame, catalogue, {})}
    thesis = results_frame[results_frame["source"] != "thesislab"]
    local = thesis[
        (thesis["name"] == fixture.UNTRAINED_LOCALLY) & (thesis["device"] == fixture.LOCAL)
    ]
    borrowed = bodies[local["config_id"].iloc[0]]
    note = "* Latency of the architecture"
    assert note in borrowed
    marked = re.findall(r'<td class="tl-number">([^<]*) \*</td>', borrowed)
    assert marked == [f"{value:.2f} ms" for value in local["latency_ms"]]
    own = results_frame[results_frame["name"] == fixture.OWN]["config_id"].iloc[0]
    assert note not in bodies[own] and " *</td>" not in bodies[own]


def test_without_two_devices_the_page_says_which_command_fixes_it(results_frame):
    on_the_pi = results_frame[results_frame["device"] == fixture.PI]
    pages = site_pages(on_the_pi)
    page = next(page for page in pages if page.path == "devices.md")
    text = render_page(page, pages)
    assert page.charts["comparison"].empty and page.context["fronts"] == []
    empty = re.findall(r'<p class="tl-empty">(.*?)</p>', text)
    assert empty == [
        "No model configuration has a latency on two devices yet: "
        f"<code>{ATLAS_COMMAND}</code> measures every architecture of the thesis on this machine."
    ]


@pytest.fixture(scope="module")
def device_site(results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from thesislab.site.build import build_site

    out = tmp_path_factory.mktemp("device-site") / "site"
    cache = tmp_path_factory.mktemp("device-site-cache")
    return build_site([results], out, REPO / "mkdocs.yml", cache_dir=cache)


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_draws_one_mark_per_configuration_of_the_chosen_pair(device_site, page):
    executable = require_executable(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    comparison = page.charts["comparison"]
    front_id = page.context["fronts"][0]["chart"]
    symbols = "#chart-{} g.points_marks path"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        view = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        view.on("pageerror", lambda error: errors.append(str(error)))
        view.goto((device_site / "devices.html").as_uri())
        view.wait_for_function(DRAWN, timeout=30_000)
        drawn = view.evaluate(
            "Object.fromEntries(Object.entries(window.thesislabViews)"
            ".map(([id, view]) => [id, view.data('points').length]))"
        )
        assert drawn == {"devices": len(comparison.shown), front_id: 6}
        on_the_default = (comparison.shown["devices"] == LOCAL_AGAINST_PI).sum()
        assert view.locator(symbols.format("devices")).count() == on_the_default == 7
        view.locator("#chart-devices select").select_option(PAIRS[0])
        view.wait_for_function(
            f"document.querySelectorAll('{symbols.format('devices')}').length === 1"
        )
        assert view.locator(symbols.format(front_id)).count() == 6
        browser.close()
    assert errors == []


def test_rank_correlations_per_family_and_quantization_are_pandas(page):
    ratios = page.context["ratios"].set_index(["devices", "family", "quantization"])
    grouped = page.charts["comparison"].rows.groupby(["devices", "family", "quantization"])
    checked = 0
    for key, group in grouped:
        first, second = group["first_latency_ms"], group["latency_ms"]
        for method in ("spearman", "kendall"):
            expected = first.corr(second, method=method)
            if math.isnan(expected):
                assert math.isnan(ratios.loc[key, method])
            else:
                assert ratios.loc[key, method] == pytest.approx(expected)
                checked += 1
    assert checked >= 2


def test_a_latency_copied_from_an_untrained_network_reproduces_nothing(results, results_frame):
    from thesislab.site.catalogue import Catalogue
    from thesislab.site.reproduction import comparisons
    from thesislab.store import records

    catalogue = Catalogue.of(records([results]), results_frame)
    compared = comparisons(results_frame, catalogue, typical_spread=0.01)
    # the thesis's networks were timed on the Pi; thesislab timed none of them there (its
    # untrained mobilenetv1_d12_w64 ran locally): no latency compared, not even with itself
    assert compared.empty
    untrained = catalogue.first(
        results_frame.loc[results_frame["stage"] == "untrained", "config_id"].iloc[0]
    )
    assert untrained.stage == "untrained" and untrained.lineage.stage == "trained"
