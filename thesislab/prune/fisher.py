"""Fisher pruning (Theis et al., 2018), as Crowley et al. (2018) and the 2019 thesis ran it.

The trained network is fine-tuned (the thesis: SGD, learning rate 8e-4, weight decay 5e-4) through
its masked view; every `prune_every` steps the channel of least Fisher saliency (summed signal
over the steps since the last removal, divided by their number) is masked out, until the budget is
met and, if `channels_removed` is given, at least that many channels are gone (the thesis's
networks of 150 to 1,100 removed channels). A removable layer may lose its last channel, which
removes its block.

By default every prunable layer competes, and a layer tied by residual sums is one set of channels:
its saliency is that of the mask shared by all the places its channels enter a convolution. The
settings give the thesis's two variants:

- Crowley et al.'s (``layers="block_internal"``, the defaults otherwise): only the channels inside
  a block (the layers whose width 0 removes their block, WideResNet's ``conv1``) are removed, by
  their saliency alone;
- the latency-table one (``normalize="latency_ms"``, ``tied="mean"``,
  ``negative_savings="divide"``, ``freeze_pruned=True``, on an ``all_prunable`` WideResNet):
  each place a channel enters a convolution has a mask of its own and a tied layer's saliency is
  the mean over those places; it is divided by what removing the channel saves in the table's
  latency, and a saving of zero or less is divided by as it is, as the thesis did: a negative
  saving (an irregularity of the table) gives a negative score, removed first, and a zero saving
  is never chosen. The thesis rebuilt every layer a removal narrowed, and the optimiser it had
  made once never saw the new layers' weights (N/fisher_prune.py:77-78 and
  N/models/wideresnet.py:409-523): from its first narrowing on, a layer stopped training.
  ``freeze_pruned`` does the same; thesislab trains every weight through the masks otherwise.

With ``normalize`` but the default ``negative_savings="skip"``, a channel whose removal saves
nothing is never removed.
"""

from __future__ import annotations

import math

import numpy as np

from thesislab.errors import ThesislabError
from thesislab.prune.masking import masked_network
from thesislab.prune.search import (
    Context,
    Outcome,
    minimum_width,
    narrowed,
    search_recipe,
)
from thesislab.prune.settings import FisherSettings, NegativeSavings
from thesislab.prune.target import Cost, cost_function
from thesislab.prune.trainer import SearchTrainer
from thesislab.prune.weights import sliced_variables

PROGRESS_EVERY = 25
"""Removals between progress lines."""


def normalized_score(
    saliency: float, saved: float, negative_savings: NegativeSavings
) -> float | None:
    """A channel's saliency per unit of the cost its removal saves; None where the removal may not
    be chosen. ``skip``: a saving of zero or less is never chosen; ``divide`` (the thesis): any
    saving divides, a negative one giving a negative score (chosen first), a zero one infinity."""
    if saved > 0:
        return saliency / saved
    if negative_savings == "skip":
        return None
    return saliency / saved if saved < 0 else math.inf


def group_saliency(trainer: SearchTrainer) -> dict[int, np.ndarray]:
    """Each masked prunable layer's saliency per channel: the mean over its mask inputs of the
    summed Fisher signal, per step since the last reset."""
    sums = trainer.fisher()
    groups = trainer.masked.groups
    steps = max(trainer.steps, 1)
    return {
        group: np.mean([sums[i] for i, g in enumerate(groups) if g == group], axis=0) / steps
        for group in dict.fromkeys(groups)
    }


def _choice(
    trainer: SearchTrainer,
    context: Context,
    settings: FisherSettings,
    widths: list[int],
    alive: list[np.ndarray],
    cost: Cost | None,
) -> tuple[int, np.ndarray]:
    """The prunable layer and channels (one step of it) whose removal costs least."""
    best: tuple[float, int, np.ndarray] | None = None
    for group, saliency in group_saliency(trainer).items():
        layer = context.structure.groups[group]
        if widths[group] - layer.multiple_of < minimum_width(layer):
            continue
        if settings.layers == "block_internal" and not layer.removable:
            continue
        candidates = np.flatnonzero(alive[group])
        order = candidates[np.argsort(saliency[candidates], kind="stable")]
        channels = order[: layer.multiple_of]
        score: float | None = float(np.sum(saliency[channels]))
        if cost is not None:
            saved = cost(widths) - cost(narrowed(widths, group, layer.multiple_of))
            score = normalized_score(
                float(np.sum(saliency[channels])), saved, settings.negative_savings
            )
        if score is None:
            continue
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
        cost = cost_function(settings.normalize, structure, context.results_dir, device)
    if settings.layers == "block_internal" and not any(g.removable for g in structure.groups):
        raise ThesislabError(
            "fisher pruning: expected a network with block-internal prunable layers, received "
            f"{', '.join(group.name for group in structure.groups)}"
        )
    widths = list(context.widths)
    alive = [np.ones(width, dtype=bool) for width in widths]
    masked = masked_network(context.network, structure, widths, per_place=settings.tied == "mean")
    trainer = SearchTrainer(
        masked,
        search_recipe(settings, context.recipe),
        context.data.train,
        freezing=settings.freeze_pruned,
    )
    history: list[list[object]] = []
    removals = 0
    wanted = settings.channels_removed or 0
    while not context.budget.within(widths) or len(history) < wanted:
        trainer.run(settings.prune_every)
        group, channels = _choice(trainer, context, settings, widths, alive, cost)
        alive[group][channels] = False
        widths = narrowed(widths, group, len(channels))
        trainer.set_mask(group, alive[group])
        if settings.freeze_pruned:
            trainer.freeze(sliced_variables(context.network, structure, group))
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
