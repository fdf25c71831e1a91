"""Fisher pruning (Theis et al., 2018), as Crowley et al. (2018) and the 2019 thesis ran it.

The trained network is fine-tuned (the thesis: SGD, learning rate 8e-4, weight decay 5e-4) through
its masked view; every `prune_every` steps the channel of least Fisher saliency (summed signal
over the steps since the last removal, divided by their number) is masked out, until the budget is
met. A prunable layer tied by residual sums is one set of channels: its saliency is that of the
mask shared by all the places its channels enter a convolution. With ``normalize`` set to
``params``, ``macs`` or ``latency_ms`` (the thesis's "fisher_table", with a latency lookup table),
the saliency is divided by what removing the channel saves in that cost, so that cheap-to-keep
channels survive. A removable layer may lose its last channel, which removes its block.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from thesislab.errors import ThesislabError
from thesislab.prune.masking import masked_network
from thesislab.prune.search import (
    Context,
    Outcome,
    SearchSettings,
    minimum_width,
    narrowed,
    search_recipe,
)
from thesislab.prune.target import Cost, cost_function
from thesislab.prune.trainer import SearchTrainer

PROGRESS_EVERY = 25
"""Removals between progress lines."""


class FisherSettings(SearchSettings):
    """Fisher pruning's settings (defaults: Crowley et al.'s)."""

    prune_every: int = Field(default=100, ge=1, description="Training steps between removals.")
    normalize: Literal["none", "params", "macs", "latency_ms"] = Field(
        default="none", description="Divide saliency by the cost a removal saves."
    )
    device: str | None = Field(
        default=None, description="Device of the latency table (default: the target's)."
    )


def _choice(
    trainer: SearchTrainer,
    context: Context,
    widths: list[int],
    alive: list[np.ndarray],
    cost: Cost | None,
) -> tuple[int, np.ndarray]:
    """The prunable layer and channels (one step of it) whose removal costs least."""
    saliency = trainer.fisher()
    best: tuple[float, int, np.ndarray] | None = None
    for position, group in enumerate(trainer.masked.groups):
        layer = context.structure.groups[group]
        if widths[group] - layer.multiple_of < minimum_width(layer):
            continue
        candidates = np.flatnonzero(alive[group])
        order = candidates[np.argsort(saliency[position][candidates], kind="stable")]
        channels = order[: layer.multiple_of]
        score = float(np.sum(saliency[position][channels])) / max(trainer.steps, 1)
        if cost is not None:
            saved = cost(widths) - cost(narrowed(widths, group, layer.multiple_of))
            if saved <= 0:
                continue
            score /= saved
        if best is None or score < best[0]:
            best = (score, group, channels)
    if best is None:
        raise ThesislabError(
            f"fisher pruning: every layer is at its narrowest before reaching target "
            f"{context.budget.target} ({context.budget.describe(widths)})"
        )
    return best[1], best[2]


def fisher(context: Context, settings: FisherSettings) -> Outcome:
    """Remove the least salient channel every `prune_every` steps until the budget is met."""
    structure = context.structure
    cost = None
    if settings.normalize != "none":
        device = settings.device or context.budget.target.device
        cost = cost_function(settings.normalize, structure, context.results, device)
    widths = list(context.widths)
    alive = [np.ones(width, dtype=bool) for width in widths]
    masked = masked_network(context.network, structure, widths)
    trainer = SearchTrainer(masked, search_recipe(settings, context.recipe), context.data.train)
    history: list[list[object]] = []
    removals = 0
    while not context.budget.within(widths):
        trainer.run(settings.prune_every)
        group, channels = _choice(trainer, context, widths, alive, cost)
        alive[group][channels] = False
        widths = narrowed(widths, group, len(channels))
        trainer.set_mask(group, alive[group])
        trainer.reset_fisher()
        removals += 1
        history.extend([structure.groups[group].name, int(channel)] for channel in channels)
        if removals % PROGRESS_EVERY == 0:
            context.console.print(
                f"fisher: {len(history)} channels removed, {context.budget.describe(widths)}"
            )
    trainer.sync()
    kept = [np.flatnonzero(mask) for mask in alive]
    return Outcome(kept, context.network, history, {"steps": removals * settings.prune_every})
