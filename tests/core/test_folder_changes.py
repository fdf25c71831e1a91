"""The names a folder's files changed under, as the kernel notices them: written, renamed,
removed; and no more notices once the folder is gone."""

from __future__ import annotations

import os
import shutil

import pytest

from thesislab.folder_changes import FolderChanges


@pytest.fixture
def noticing(tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    changes = FolderChanges.of(str(folder))
    if changes is None:
        pytest.skip("the kernel notices no change here (another platform or file system)")
    yield folder, changes
    changes.close()


def test_the_names_written_renamed_and_removed_since_the_last_look(noticing):
    folder, changes = noticing
    assert changes.take() == set()
    (folder / "a.json").write_text("{}")
    (folder / "b.json").write_text("{}")
    assert changes.take() == {"a.json", "b.json"}
    assert changes.take() == set()
    (folder / "a.json").replace(folder / "c.json")
    (folder / "b.json").unlink()
    (folder / "c.json").write_text('{"x": 1}')
    os.utime(folder / "c.json", (0, 0))
    assert changes.take() == {"a.json", "b.json", "c.json"}


def test_a_folder_noticed_already_is_not_given_to_another(noticing):
    folder, _ = noticing
    assert FolderChanges.of(str(folder)) is None


def test_once_the_folder_is_gone_its_changes_are_unknown(noticing):
    folder, changes = noticing
    shutil.rmtree(folder)
    assert changes.take() is None
    folder.mkdir()
    renewed = FolderChanges.of(str(folder))
    assert renewed is not None
    (folder / "d.json").write_text("{}")
    assert renewed.take() == {"d.json"}
    renewed.close()
