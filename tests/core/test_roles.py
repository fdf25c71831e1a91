"""Roles: a model trained on the bundled sample is a sample run wherever it lies, a results
directory declares the role of its other models, and an untrained network lends its latency only
to configurations of its own role unless it is published."""

from __future__ import annotations

import pytest

from tests.record_writers import deploy, untrained
from thesislab.data.sample import SAMPLE_NAME
from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name
from thesislab.records import Dataset, ModelRecord
from thesislab.results.roles import ROLE_FILE, Role
from thesislab.results.table import table
from thesislab.store import Store

SAMPLE = Dataset(name=SAMPLE_NAME, fingerprint="abca95755c53f903e015")


def _trained(store: Store, name: str, seed: int = 1, dataset: Dataset | None = None) -> str:
    model = ModelRecord(
        name=name, architecture=parse_name(name).spec, seed=seed, accuracy=0.9, dataset=dataset
    )
    return deploy(store, model)


def _declare(store: Store, role: str) -> None:
    store.root.mkdir(parents=True, exist_ok=True)
    (store.root / ROLE_FILE).write_text(f"role: {role}\n")


def _roles(frame) -> dict[str, str]:
    return dict(zip(frame["name"], frame["role"], strict=True))


def test_a_model_trained_on_the_sample_is_a_sample_run_whatever_its_folder_declares(tmp_path):
    own = Store(tmp_path / "own")
    _trained(own, "mobilenetv2_d6_er2_w16", dataset=SAMPLE)
    _trained(own, "res_d10_w16", dataset=Dataset(name="cifar10"))
    declared = Store(tmp_path / "declared")
    _declare(declared, "published")
    _trained(declared, "shufflenetv2_d9_w24", dataset=SAMPLE)
    assert _roles(table([own.root, declared.root])) == {
        "mobilenetv2_d6_er2_w16": Role.SAMPLE,
        "res_d10_w16": Role.PUBLISHED,
        "shufflenetv2_d9_w24": Role.SAMPLE,
    }


def test_a_results_directory_declares_the_role_of_its_models(tmp_path):
    calibration = Store(tmp_path / "calibration")
    _declare(calibration, "calibration")
    untrained(calibration, "res_d40_w32", "local", 5.0)
    plain = Store(tmp_path / "plain")
    _trained(plain, "res_d10_w16")
    assert _roles(table([calibration.root, plain.root])) == {
        "res_d40_w32": Role.CALIBRATION,
        "res_d10_w16": Role.PUBLISHED,
    }


def test_the_committed_quickstart_runs_are_samples_and_lookup_networks_calibration():
    frame = table(["experiments/quickstart", "experiments/lookup-tables"])
    assert set(frame.loc[frame["source"] == "thesislab", "role"]) == {
        Role.SAMPLE,
        Role.CALIBRATION,
    }
    quickstart = table(["experiments/quickstart"])
    assert set(quickstart["role"]) == {Role.SAMPLE} and len(quickstart) == 6
    lookup = table(["experiments/lookup-tables"])
    assert set(lookup["role"]) == {Role.CALIBRATION} and len(lookup) == 42


def test_a_configuration_whose_seeds_lie_in_folders_of_two_roles_is_kept_off(tmp_path):
    published, calibration = Store(tmp_path / "published"), Store(tmp_path / "calibration")
    _declare(calibration, "calibration")
    _trained(published, "res_d10_w16", seed=1)
    _trained(calibration, "res_d10_w16", seed=2)
    frame = table([published.root, calibration.root])
    assert list(zip(frame["n_seeds"], frame["role"], strict=True)) == [(2, Role.CALIBRATION)]
    assert list(table([published.root])["role"]) == [Role.PUBLISHED]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "role: draft\n",
            "expected 'role:' one of published, sample, calibration, received 'draft'",
        ),
        ("[unclosed\n", "expected YAML with a 'role'"),
        ("roles: sample\n", "received None"),
    ],
)
def test_a_bad_role_file_is_a_one_line_error_naming_it(tmp_path, text, expected):
    store = Store(tmp_path / "results")
    _trained(store, "res_d10_w16")
    (store.root / ROLE_FILE).write_text(text)
    with pytest.raises(ThesislabError) as raised:
        table([store.root])
    message = str(raised.value)
    assert str(store.root / ROLE_FILE) in message and expected in message
    assert "\n" not in message


def test_an_untrained_network_lends_its_latency_to_its_own_role_or_from_published(tmp_path):
    published = Store(tmp_path / "published")
    _trained(published, "mobilenetv1_d12_w64")
    sample = Store(tmp_path / "sample")
    _trained(sample, "mobilenetv1_d15_w32", dataset=SAMPLE)
    calibration = Store(tmp_path / "calibration")
    _declare(calibration, "calibration")
    for name, ms in (("mobilenetv1_d12_w64", 7.0), ("mobilenetv1_d15_w32", 3.0)):
        untrained(calibration, name, "calibration-board", ms, name=f"{name}_unpruned_seed0")
    atlas = Store(tmp_path / "atlas")
    untrained(atlas, "mobilenetv1_d15_w32", "local", 4.0)
    frame = table([published.root, sample.root, calibration.root, atlas.root])
    lent = frame[frame["latency_from"] == "architecture"]
    assert sorted(zip(lent["name"], lent["device"], lent["role"], strict=True)) == [
        ("mobilenetv1_d15_w32", "local", Role.SAMPLE)
    ]
