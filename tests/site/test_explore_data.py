"""What the explore and compare pages load, without a browser: the choices they offer are a
figure spec's, their data files hold the results table's rows and every configuration's facts,
a configuration's file is found from its id, and the files of a page stay small."""

from __future__ import annotations

import json
import re

import pandas as pd

from thesislab.figures.spec import COLOUR_FIELDS, X_FIELDS, Y_FIELDS
from thesislab.results.columns import value_texts
from thesislab.site import payload
from thesislab.site.catalogue import Catalogue
from thesislab.site.compare import FILE_SIZE, data_files, prefix_length
from thesislab.site.data_files import chunked
from thesislab.site.explore import COLOURS, X_AXES, Y_AXES, explore_page
from thesislab.site.frames import with_counts
from thesislab.site.model_pages import model_pages
from thesislab.store import records


def _payload(content: bytes) -> object:
    """The JSON a data file hands the site script."""
    found = re.fullmatch(
        r'\(window\.thesislabData = [^)]*\)\["[^"]+"\] = "([^"]+)";\n', content.decode()
    )
    assert found is not None
    return payload.decode(found.group(1))


def test_the_explore_page_offers_a_figure_spec_s_choices():
    assert [axis.name for axis in X_AXES] == list(X_FIELDS)
    assert [axis.name for axis in Y_AXES] == list(Y_FIELDS)
    assert COLOURS == COLOUR_FIELDS


def test_the_explore_data_files_hold_the_table_s_rows_in_order(results_table):
    page = explore_page(results_table, None, chunk_rows=100)
    chunks = [_payload(content) for content in page.assets.values()]
    assert len(chunks) > 1 and all(chunk["rows"] <= 100 for chunk in chunks)
    assert sum(chunk["rows"] for chunk in chunks) == len(results_table)
    counted = with_counts(results_table)
    for column in ("config_id", "device", "pruning_method", "distilled", "role"):
        decoded = [
            c["columns"][column]["values"][code]
            for c in chunks
            for code in c["columns"][column]["codes"]
        ]
        assert decoded == value_texts(counted[column]).tolist()
    macs = [value for chunk in chunks for value in chunk["columns"]["macs"]]
    for value, expected in zip(macs, counted["macs"], strict=True):
        assert (value is None) == (expected != expected)  # NaN: missing
        assert value is None or abs(value - expected) <= 1e-6 * expected


def test_one_more_configuration_changes_one_data_file_of_a_growing_table():
    configurations = [f"{index:05d}" for index in range(0, 40_000, 2)]
    rows = pd.DataFrame({"config_id": configurations, "value": range(len(configurations))})
    before = chunked("grown", rows, rows["config_id"])
    added = pd.concat([rows, pd.DataFrame({"config_id": ["10001"], "value": [-1]})])
    added = added.sort_values("config_id", ignore_index=True)
    after = chunked("grown", added, added["config_id"])
    assert len(before) > 3 and len(after) == len(before)
    assert len({file.key for file in after} - {file.key for file in before}) == 1
    decoded = [row for file in after for row in _payload(file.content)["data"]]
    assert [config_id for config_id, _ in decoded] == added["config_id"].tolist()


def test_every_configuration_s_facts_are_in_the_file_its_id_names(results_dirs, results_table):
    catalogue = Catalogue.of(records(results_dirs), results_table)
    pages = model_pages(results_table, catalogue, {})
    length, files = data_files(pages)
    assert length == prefix_length(len(pages))
    for page in pages:
        facts = {f["id"]: f for f in _payload(files[page.config_id[:length]].content)}
        assert facts[page.config_id]["name"] == page.title
    assert prefix_length(FILE_SIZE) == 0 and prefix_length(FILE_SIZE + 1) == 1
    assert prefix_length(FILE_SIZE * 16 + 1) == 2


def test_the_facts_count_what_the_records_lack(results_dirs, results_table):
    catalogue = Catalogue.of(records(results_dirs), results_table)
    counted = with_counts(results_table).drop_duplicates("config_id").set_index("config_id")
    for page in model_pages(results_table, catalogue, {}):
        facts = json.loads(page.facts)
        for field in ("params", "macs"):
            expected = counted.loc[page.config_id, field]
            assert facts[field] == (None if expected != expected else expected)
