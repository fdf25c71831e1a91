"""Speed and weight of the explore page: its redraw after each change, in Chromium, and what it
loads, for N synthetic records (those of `benchmarks/site_build.py`).

For N = 1,000 and 10,000 (or the sizes given): builds the site, opens the explore page from disk
in Debian's Chromium, then changes the view as a reader does (x, colour, a filter, a log axis, y,
the device), `ROUNDS` times over, and prints each change's time from the control's change to the
chart drawn again (the view's run done), every round's and, over rounds 2 on, the median, the
90th percentile and the slowest; and the page's weight: its HTML, the scripts and stylesheets it
loads (the theme's, Vega, the site's, the explore script) and its data files, the first of which
it draws at once (at start) and the others once loaded (in all).

Run from the repository's root: .venv/bin/python -m benchmarks.explore [N ...]
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.site_build import write_synthetic
from tests.site.chromium import CHROMIUM, CHROMIUM_FLAGS
from thesislab.results.table import table
from thesislab.store import Store

ROUNDS = 5
CHANGES = (
    ("x", "select[name=x]", "macs"),
    ("colour", "select[name=colour]", "pruning_method"),
    ("filter", "fieldset[data-filter=quantization] input[value=int8]", None),
    ("log y", "input[name=log_y]", None),
    ("y", "select[name=y]", "error"),
    ("x back", "select[name=x]", "latency_ms"),
    ("device", "fieldset[data-filter=device] input[value=local]", None),
    ("colour back", "select[name=colour]", "family"),
    ("filter back", "fieldset[data-filter=quantization] input[value=int8]", None),
    ("log y back", "input[name=log_y]", None),
    ("y back", "select[name=y]", "accuracy"),
    ("device back", "fieldset[data-filter=device] input[value=local]", None),
)
"""Each change: its name, the control and, for a list, the value chosen (else a click). A round
ends where it started."""

CHANGE = """async ([selector, value]) => {
    const explore = window.thesislabExplore;
    const control = document.querySelector(selector);
    const started = performance.now();
    if (value === null) control.click();
    else {
        control.value = value;
        control.dispatchEvent(new Event("change", { bubbles: true }));
    }
    await explore.pending;
    return [performance.now() - started, explore.drawn.points.length];
}"""


def page_weight(site: Path) -> dict[str, int]:
    """The bytes of the explore page, the scripts and stylesheets it names, the explore script,
    its first data file (drawn as soon as loaded) and the others."""
    page = site / "explore.html"
    text = page.read_text(encoding="utf-8")
    assets = set(re.findall(r'(?:src|href)="([^"#?]+\.(?:js|css))', text))
    chunks = re.search(r'data-chunks="([^"]*)"', text)
    assert chunks is not None
    first, *others = [chunk["src"] for chunk in json.loads(html.unescape(chunks.group(1)))]
    return {
        "HTML": len(text.encode()),
        "scripts and styles": sum((page.parent / path).stat().st_size for path in assets),
        "explore.js": (site / "assets/thesislab/explore.js").stat().st_size,
        "first data file": (page.parent / first).stat().st_size,
        f"{len(others)} other data files": sum(
            (page.parent / path).stat().st_size for path in others
        ),
    }


def redraws(site: Path) -> tuple[int, dict[str, list[float]]]:
    """The points of the view at start (drawn, or sampled above `explore.MOST_POINTS`), and
    each change's redraw times (ms) over the rounds."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name, _, _ in CHANGES}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto((site / "explore.html").as_uri())
        page.wait_for_function("(window.thesislabExplore || {}).complete", timeout=120_000)
        page.evaluate("() => window.thesislabExplore.pending.then(() => true)")
        points = page.evaluate("window.thesislabExplore.drawn.count")
        for _ in range(ROUNDS):
            for name, selector, value in CHANGES:
                elapsed, _ = page.evaluate(CHANGE, [selector, value])
                times[name].append(elapsed)
        browser.close()
    return points, times


def run(count: int) -> None:
    """Print the figures for `count` synthetic records."""
    from thesislab.site.build import build_site

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        store = Store(root / "results" / "synthetic")
        total = write_synthetic(store, count)
        rows = len(table([store.root]))
        site = build_site([store.root], root / "site", cache_dir=root / "cache")
        weight = page_weight(site)
        points, times = redraws(site)
    every = sorted(time for name in times for time in times[name][1:])  # round 1 warms up
    print(
        f"{total:>6} records, {rows} rows, {points:,} points in the view at start: redraw after "
        f"a change median {statistics.median(every):.0f} ms, 90th percentile "
        f"{every[int(0.9 * len(every))]:.0f} ms, slowest {every[-1]:.0f} ms (rounds 2-{ROUNDS})"
    )
    for name, taken in times.items():
        print(f"    {name:<12} " + " ".join(f"{time:5.0f}" for time in taken) + " ms")
    parts = ", ".join(f"{part} {size / 1e3:.0f} kB" for part, size in weight.items())
    start = sum(list(weight.values())[:-1])
    print(
        f"    page weight {start / 1e6:.2f} MB at start, {sum(weight.values()) / 1e6:.2f} MB "
        f"in all: {parts}"
    )


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    for argument in sys.argv[1:] or ["1000", "10000"]:
        run(int(argument))
