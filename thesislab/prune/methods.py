"""The registry of pruning methods: name, settings model and the function that runs it.

To add a method, write its module (a settings model derived from `search.Settings` and a function
``(Context, settings) -> Outcome``) and add it to `METHODS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from thesislab.errors import ThesislabError, validation_message
from thesislab.prune.fisher import FisherSettings, fisher
from thesislab.prune.morphnet import MorphNetSettings, morphnet
from thesislab.prune.netadapt import NetAdaptSettings, netadapt
from thesislab.prune.search import Context, Outcome, Settings
from thesislab.prune.uniform import RandomSettings, UniformSettings, random, uniform


@dataclass(frozen=True)
class Method:
    """A pruning method: its settings and how it runs."""

    name: str
    settings: type[Settings]
    run: Callable[[Context, Any], Outcome]

    def validate(self, settings: dict[str, Any]) -> Settings:
        """The settings, checked and completed with the defaults."""
        try:
            return self.settings.model_validate(settings)
        except pydantic.ValidationError as error:
            raise ThesislabError(
                f"{self.name} settings: {validation_message(error)}; "
                f"expected settings: {', '.join(self.settings.model_fields)}"
            ) from None


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("fisher", FisherSettings, fisher),
        Method("netadapt", NetAdaptSettings, netadapt),
        Method("morphnet", MorphNetSettings, morphnet),
        Method("uniform", UniformSettings, uniform),
        Method("random", RandomSettings, random),
    )
}


def get_method(name: str) -> Method:
    """The method called `name`."""
    if name not in METHODS:
        raise ThesislabError(
            f"unknown pruning method {name!r}: expected one of {', '.join(METHODS)}"
        )
    return METHODS[name]
