"""The built site: every page and asset in place, nothing loaded from elsewhere, values from result
files still text, and `thesislab site build` the same as `mkdocs build`."""

from __future__ import annotations

import base64
import filecmp
import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from tests.ports import free_port
from tests.site.site_records import HOSTILE_FAMILY, HOSTILE_NAME, REPO
from thesislab.errors import ThesislabError
from thesislab.figures.cli import chart_app
from thesislab.results.table import table
from thesislab.site.cli import site_app
from thesislab.site.links import model_page
from thesislab.site.page import slug
from thesislab.site.pages import site_pages

pytestmark = pytest.mark.slow


def _html_files(site):
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html"))


def test_the_site_builds_without_the_machine_learning_packages(built_site):
    assert "No module named 'tensorflow' (unimportable here)" in built_site.log
    assert (built_site.root / "index.html").is_file()


def test_every_page_is_built(built_site, results_table):
    expected = {page.path.removesuffix(".md") + ".html" for page in site_pages(results_table)}
    built = set(_html_files(built_site.root))
    assert expected <= built
    assert {"about.html", "404.html"} <= built


def test_each_chart_has_its_exports_script_with_a_pdf_and_the_data(built_site, results_table):
    exports = built_site.root / "assets" / "thesislab" / "exports"
    charts = [
        chart
        for page in site_pages(results_table)
        for chart in page.charts.values()
        if not chart.empty
    ]
    assert sorted(path.stem for path in exports.glob("*.js")) == sorted(
        chart.spec.chart_id for chart in charts
    )
    script = (exports / "quantization.js").read_text()
    files = json.loads(script.split('["quantization"] = ', 1)[1].rstrip(";\n"))
    assert base64.b64decode(files["pdf"]).startswith(b"%PDF")
    assert files["csv"].splitlines()[0].startswith("name,family,stage,pruning_method,")
    assert (built_site.root / "assets" / "thesislab" / "vega.js").stat().st_size > 500_000


def test_search_indexes_the_prose_and_model_pages_but_not_result_tables(built_site, results_table):
    index = json.loads((built_site.root / "search" / "search_index.json").read_text())
    text = {doc["location"]: doc["title"] + " " + doc["text"] for doc in index["docs"]}
    first = results_table.iloc[0]
    name = str(first["name"])
    pages_naming = {location.split("#")[0] for location, words in text.items() if name in words}
    # its page; the models index lists the names from data files, which search does not read
    assert pages_naming == {model_page(str(first["config_id"]))}
    model_pages = [
        doc
        for doc in index["docs"]
        if doc["location"].startswith("models/") and "index.html" not in doc["location"]
    ]
    assert len(model_pages) == results_table["config_id"].nunique()
    wideresnet = next(doc for doc in model_pages if doc["title"] == "res-10-KD")
    assert "res_d10_w16" in wideresnet["text"]  # the name of its spec finds it too
    assert "reflect-101" in text["differences.html"]  # a table of prose stays indexed
    cell = re.compile(f"<td[^>]*>(<a [^>]*>)?{re.escape(name)}<")
    in_tables = [
        path
        for path in _html_files(built_site.root)
        if cell.search((built_site.root / path).read_text())
    ]
    assert "index.html" in in_tables  # the pages keep their tables: only the index leaves them out


def test_pages_load_nothing_from_elsewhere(built_site):
    for path in _html_files(built_site.root):
        text = (built_site.root / path).read_text()
        for reference in re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([^"]+)"', text):
            host = urlsplit(reference).hostname
            assert host in (None, "127.0.0.1"), (path, reference)  # the site's own address
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_values_from_result_files_stay_text_on_every_page(built_site):
    for path in _html_files(built_site.root):
        text = (built_site.root / path).read_text()
        assert HOSTILE_NAME not in text, path
        assert "<svg onload" not in text, path
    family_page = (built_site.root / "families" / f"{slug(HOSTILE_FAMILY)}.html").read_text()
    assert "&lt;svg onload=alert(2)&gt;" in family_page


def _build_with_mkdocs(out, env):
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


def _build_with_thesislab(out, env):
    code = "from thesislab.site.cli import site_app; site_app()"
    subprocess.run(
        [sys.executable, "-c", code, "build", "--out", str(out)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


def test_thesislab_site_build_is_mkdocs_build(tmp_path):
    # One build time for both builds: the home page says when the site was built.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1767225600"}
    _build_with_mkdocs(tmp_path / "mkdocs", env)
    _build_with_thesislab(tmp_path / "thesislab", env)
    comparison = filecmp.dircmp(tmp_path / "mkdocs", tmp_path / "thesislab", ignore=[])
    differing = []

    def walk(node, prefix=""):
        assert not node.left_only and not node.right_only, (prefix, node.left_only, node.right_only)
        differing.extend(prefix + name for name in node.diff_files)
        for name, child in node.subdirs.items():
            walk(child, f"{prefix}{name}/")

    walk(comparison)
    assert differing in ([], ["sitemap.xml.gz"])  # gzip records the time it was written


def test_site_build_reports_a_missing_configuration(tmp_path):
    with pytest.raises(ThesislabError, match="expected a MkDocs configuration"):
        CliRunner().invoke(
            site_app, ["build", "--config-file", str(tmp_path / "none.yml")], catch_exceptions=False
        )


@pytest.mark.parametrize(
    ("output_format", "magic"), [("pdf", b"%PDF"), ("svg", b"<svg"), ("png", b"\x89PNG")]
)
def test_chart_export_writes_each_format(results_dirs, tmp_path, output_format, magic):
    out = tmp_path / f"figure.{output_format}"
    arguments = ["export", "quantization", "--format", output_format, "--out", str(out)]
    for directory in results_dirs:
        arguments += ["--results", str(directory)]
    result = CliRunner().invoke(chart_app, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


def test_chart_export_of_a_page_writes_each_chart_and_checks_names(results_dirs, tmp_path):
    results = [item for directory in results_dirs for item in ("--results", str(directory))]
    arguments = ["export", "pruning/index", "--format", "svg", "--out", str(tmp_path), *results]
    result = CliRunner().invoke(chart_app, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pruning-change.svg", "pruning.svg"]
    with pytest.raises(ThesislabError, match="expected a chart id or page"):
        CliRunner().invoke(chart_app, ["export", "nope", *results], catch_exceptions=False)
    with pytest.raises(ThesislabError, match="expected --select FIELD=VALUE"):
        CliRunner().invoke(
            chart_app,
            ["export", "overview", "--select", "device", *results],
            catch_exceptions=False,
        )


@pytest.mark.parametrize(
    ("app", "command"), [(site_app, "build"), (chart_app, "export"), (chart_app, "list")]
)
def test_every_command_has_help_with_an_example(app, command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: thesislab" in result.output


def _corrupt_results(tmp_path, own_results):
    """A copy of the fixture's own results with a file that is not JSON and a record with a
    bad field; returns the results directory and the two file names."""
    results = tmp_path / "results"
    shutil.copytree(own_results, results)
    not_json = results / "model" / "truncated.json"
    not_json.write_text('{"kind": "model", "name": ')
    bad_field = next((results / "measurement").iterdir())
    record = json.loads(bad_field.read_text())
    record["latency"]["median_ms"] = "fast"
    bad_field.write_text(json.dumps(record))
    return results, not_json.name, bad_field.name


def _configuration(tmp_path, results):
    """mkdocs.yml of the repository, reading `results`."""
    text = (REPO / "mkdocs.yml").read_text()
    text = text.replace("docs_dir: docs", f"docs_dir: {REPO / 'docs'}")
    text = text.replace("        - experiments\n", f"        - {results}\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(text)
    return config


def _run(*arguments, cwd):
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )


def _contents(folder):
    """Every file under `folder`, by relative path, with its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_corrupt_record_is_left_out_with_a_warning_and_fails_strict_builds(tmp_path, own_results):
    results, not_json, bad_field = _corrupt_results(tmp_path, own_results)
    config = _configuration(tmp_path, results)
    cli = ["-c", "from thesislab.cli import main; main()", "site", "build", "-f", str(config)]
    site = tmp_path / "site"

    lenient = _run(*cli, "--out", str(site), cwd=tmp_path)
    assert lenient.returncode == 0, lenient.stderr
    warnings = [line for line in lenient.stderr.splitlines() if "left out" in line]
    assert len(warnings) == 2, lenient.stderr
    assert any(not_json in line and "not valid JSON" in line for line in warnings)
    assert any(bad_field in line and "latency.median_ms" in line for line in warnings)
    assert "Traceback" not in lenient.stderr
    clean = tmp_path / "clean"
    shutil.copytree(results, clean)
    (clean / "model" / not_json).unlink()
    (clean / "measurement" / bad_field).unlink()
    home = (site / "index.html").read_text()
    published = table([clean])
    assert f"<p>{(published['role'] == 'published').sum():,} results (" in home
    built = _contents(site)

    strict = _run(*cli, "--strict", "--out", str(site), cwd=tmp_path)
    assert strict.returncode == 1
    assert strict.stderr.strip().splitlines()[-1].startswith("error: site build failed")
    assert "strict" in strict.stderr and "Traceback" not in strict.stderr
    assert not_json in strict.stderr and bad_field in strict.stderr
    assert _contents(site) == built  # the failed build left the previous site as it was
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".site")) == []

    mkdocs = _run("-m", "mkdocs", "build", "--strict", "-f", str(config), cwd=tmp_path)
    assert mkdocs.returncode != 0
    assert not_json in mkdocs.stderr and bad_field in mkdocs.stderr
    assert "Traceback" not in mkdocs.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["site", "build", "--results", "{missing}"],
        ["results", "check", "--results", "{missing}"],
        ["chart", "export", "overview", "--results", "{missing}"],
        ["chart", "list", "--results", "{missing}"],
    ],
)
def test_a_results_folder_that_does_not_exist_is_a_one_line_error(tmp_path, command):
    missing = tmp_path / "no" / "such"
    arguments = [part.format(missing=missing) for part in command]
    failed = _run("-c", "from thesislab.cli import main; main()", *arguments, cwd=REPO)
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        f"error: --results: expected an existing folder, received {missing}"
    )
    assert not (tmp_path / "no").exists()


def test_a_configured_results_folder_that_does_not_exist_fails_the_build(tmp_path):
    config = _configuration(tmp_path, tmp_path / "gone")
    failed = _run(
        "-c",
        "from thesislab.cli import main; main()",
        "site",
        "build",
        "-f",
        str(config),
        cwd=tmp_path,
    )
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == (
        f"error: results: expected an existing folder, received {tmp_path / 'gone'}"
    )
    assert not (tmp_path / "site").exists()


def test_run_with_results_and_site_builds_from_that_folder_too(tmp_path, own_results):
    """A study whose jobs are all recorded in DIR (a copy of the quickstart's results, with a
    record of the fixture added): `run --results DIR --site` builds the site from the
    configured folder and DIR, and prints a command that serves it as printed."""
    runs = tmp_path / "runs"
    shutil.copytree(REPO / "experiments" / "quickstart", runs)
    added = next((own_results / "model").iterdir())
    shutil.copy(added, runs / "model" / added.name)
    configured = tmp_path / "configured"
    shutil.copytree(REPO / "experiments" / "lookup-tables", configured, ignore=_no_files)
    config = _configuration(tmp_path, configured)
    study = REPO / "experiments" / "quickstart.yaml"
    cli = ["-c", "from thesislab.cli import main; main()", "run", str(study)]
    ran = _run(*cli, "--results", str(runs), "--site", cwd=config.parent)
    assert ran.returncode == 0, ran.stderr
    site = tmp_path / "site"
    record = json.loads(added.read_text())
    built = {page.name for page in (site / "models").glob("*.html")}
    shown = [(site / "models" / name).read_text() for name in built]
    assert any(f"<h1>{html.escape(record['name'])}</h1>" in page for page in shown)
    assert (site / "samples.html").is_file()  # the quickstart's sample runs, from DIR
    assert "lookup-tables.html" in (site / "index.html").read_text()
    command = ran.stdout.strip().splitlines()[-1].split(" with ", 1)[1].split(" and open ")[0]
    serve = shlex.split(command)
    assert serve[0] == sys.executable and serve[-1] == "8000"
    port = free_port()
    server = subprocess.Popen(
        [*serve[:-1], str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        page = _fetch(f"http://127.0.0.1:{port}/samples.html")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "mobilenetv2_d6_er2_w16" in page


def _no_files(folder, names):
    return [name for name in names if name == "files"]


def _fetch(url: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
