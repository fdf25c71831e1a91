"""What a result is for, which decides where it is shown: its role.

- `published`: a result a reader may compare and cite (the thesis's, a study's on real data).
  Published results alone make the published charts, frontier tables, "What is new", the models
  index and exported figures.
- `sample`: a model trained on the bundled sample of CIFAR-10 (the quickstart's), a check that
  the pipeline runs, not a result.
- `calibration`: a network measured to build or check a latency lookup table.

A model's role is derived from its record and declared by its results directory, never written
into the record: a model trained on the bundled sample is `sample`; any other takes the role its
directory declares in `ROLE_FILE` (`role: calibration`), else `published`. Artifacts and
measurements take their model's role; a configuration whose seeds differ takes the one that
keeps it off the published pages (`sample`, then `calibration`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import yaml

from thesislab.data.sample import SAMPLE_NAME
from thesislab.errors import ThesislabError
from thesislab.records import ModelRecord


class Role(StrEnum):
    """What a result is for."""

    PUBLISHED = "published"
    SAMPLE = "sample"
    CALIBRATION = "calibration"


ROLE_FILE = "results.yaml"
"""The file in which a results directory declares the role of its models."""

_PRECEDENCE = (Role.SAMPLE, Role.CALIBRATION, Role.PUBLISHED)
"""Of several roles, the first listed here is a configuration's."""


def declared_role(directory: Path) -> Role | None:
    """The role `directory`'s `ROLE_FILE` declares; None without the file."""
    path = directory / ROLE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0]
        raise ThesislabError(f"{path}: expected YAML with a 'role', received {reason}") from None
    role = data.get("role") if isinstance(data, dict) else None
    if role not in set(Role):
        choices = ", ".join(Role)
        raise ThesislabError(f"{path}: expected 'role:' one of {choices}, received {role!r}")
    return Role(role)


def model_role(model: ModelRecord, declared: Role | None) -> Role:
    """The role of `model`, found in a results directory that declares `declared`."""
    if model.dataset is not None and model.dataset.name == SAMPLE_NAME:
        return Role.SAMPLE
    return declared or Role.PUBLISHED


def combined_role(roles: Iterable[Role]) -> Role:
    """The role of a configuration whose seeds have `roles`."""
    present = set(roles)
    return next(role for role in _PRECEDENCE if role in present)
