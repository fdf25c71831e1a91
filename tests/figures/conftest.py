"""Fixtures of the figure tests: the results of `figure_records`, their table, and the command
line run as a reader runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.figures.figure_records import write_figure_results
from thesislab.cli import app
from thesislab.results.table import table
from thesislab.store import Store


@pytest.fixture(scope="session")
def figure_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results directory of the fixture's records."""
    root = tmp_path_factory.mktemp("figure-results")
    write_figure_results(Store(root))
    return root


@pytest.fixture(scope="session")
def figure_table(figure_results: Path):
    """`table()` of the fixture's results."""
    return table(figure_results)


@pytest.fixture
def thesislab(figure_results: Path):
    """Run `thesislab ARGS --results <the fixture>`; its output (a ThesislabError is raised)."""

    def run(*arguments: str) -> str:
        result = CliRunner().invoke(
            app, [*arguments, "--results", str(figure_results)], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.output

    return run
