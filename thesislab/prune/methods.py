"""The registry of pruning methods: name, settings model and the function that runs it.

To add a method, write its settings model in `settings` (derived from `settings.Settings`) and its
module (a function ``(Context, settings) -> Outcome``), and add it to `METHODS`. A method's
module, which brings Keras, is imported when the method runs: checking a study's settings loads
no TensorFlow.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydantic

from thesislab.errors import ThesislabError, validation_message
from thesislab.prune.settings import (
    FisherSettings,
    MorphNetSettings,
    NetAdaptSettings,
    RandomSettings,
    Settings,
    UniformSettings,
)

if TYPE_CHECKING:
    from thesislab.prune.search import Context, Outcome


@dataclass(frozen=True)
class Method:
    """A pruning method: its settings and how it runs."""

    name: str
    settings: type[Settings]
    function: str
    """Where the method's function is: ``module:name`` within `thesislab.prune`."""

    def run(self, context: Context, settings: Settings) -> Outcome:
        """Run the method on `context` with its (validated) `settings`."""
        module, name = self.function.split(":")
        implementation: Callable[[Context, Any], Outcome] = getattr(
            importlib.import_module(f"thesislab.prune.{module}"), name
        )
        return implementation(context, settings)

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
        Method("fisher", FisherSettings, "fisher:fisher"),
        Method("netadapt", NetAdaptSettings, "netadapt:netadapt"),
        Method("morphnet", MorphNetSettings, "morphnet:morphnet"),
        Method("uniform", UniformSettings, "uniform:uniform"),
        Method("random", RandomSettings, "uniform:random"),
    )
}


def get_method(name: str) -> Method:
    """The method called `name`."""
    if name not in METHODS:
        raise ThesislabError(
            f"unknown pruning method {name!r}: expected one of {', '.join(METHODS)}"
        )
    return METHODS[name]
