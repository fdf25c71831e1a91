"""Distillation: the teacher's id and the distillation settings reach the student's record."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.train.conftest import TINY_MOBILENET
from thesislab.data import load_data
from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name
from thesislab.train.recipe import load_recipe
from thesislab.train.run import train_model

pytestmark = pytest.mark.slow


def test_student_record_names_its_teacher(tmp_path: Path, small_data: Path) -> None:
    data = load_data(small_data)
    spec = parse_name(TINY_MOBILENET).spec
    teacher = train_model(spec, load_recipe(epochs=1, batch_size=32), data, tmp_path)

    recipe = load_recipe(
        epochs=1,
        batch_size=32,
        distillation={"teacher_id": teacher.record_id[:8], "kd_lambda": 0.2, "temperature": 2.0},
    )
    student = train_model(spec, recipe, data, tmp_path)

    lineage = student.record.lineage
    assert (lineage.teacher_id, lineage.distilled) == (teacher.record_id, True)
    assert student.record.recipe_fields["distillation"] == {
        "teacher_id": teacher.record_id,
        "kd_lambda": 0.2,
        "temperature": 2.0,
    }
    assert student.record_id != teacher.record_id
    assert student.record.accuracy is not None


def test_unknown_teacher(tmp_path: Path, small_data: Path) -> None:
    recipe = load_recipe(epochs=1, distillation={"teacher_id": "nosuchmodel"})
    with pytest.raises(ThesislabError, match="expected one record with id 'nosuchmodel'"):
        train_model(parse_name(TINY_MOBILENET).spec, recipe, load_data(small_data), tmp_path)
