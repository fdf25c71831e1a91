"""MorphNet (Gordon et al., 2018): a resource regulariser on per-channel norms, then the widths of
the channels it leaves alive, scaled back to the budget by a uniform multiplier or by a fixed one.

The network trains, for `steps` batches, with the loss plus

    strength · Σ_g w_g · Σ_k max_b n_bk

where n_bk is channel k's norm in layer b of prunable layer g's channels (tied layers grouped by
their largest, MorphNet's L∞ grouping): with ``regularizer="gamma"`` the |scale| of its batch
normalisations, with ``"group_lasso"`` the root mean square of its filter in each convolution
producing it (MorphNet's GroupLassoFlopsRegularizer, the thesis's runs). The weight w_g is what
one more channel of g costs at the current alive widths — the derivative of the bilinear FLOP and
size costs MorphNet uses, and its analogue for a latency table — in the resource (the target's
metric by default: MACs, parameters, channels, or latency from a lookup table), either as a share
of the network's cost (``weights="share"``, a unitless strength) or in FLOPs, 2 x MACs
(``"flops"``, MorphNet's own scale, on which the thesis's strength 5e-8 is set). The weights are
recomputed every `update_every` steps (MorphNet's own graph recomputes them every step). A
channel whose norm falls under `threshold` is dead.

By default the trained network is fine-tuned at the search's constant rate, and the alive widths
are multiplied by the largest uniform factor that meets the budget (capped at the starting
widths); the channels of largest norm stay. As the thesis ran it (``from_scratch``,
``factor=1``): a fresh initialisation of the parent's architecture trains for the whole recipe
that trained the parent (the thesis: `morphnet2019`, 200 epochs; for a pruned parent, the recipe
of its trained ancestor) under the regulariser, and the widths are read off directly —
``factor`` multiplies them (rounded down), capped at the trained network's widths, with no
budget matching (the target is then only recorded). The thesis's second pass
(M/cifar10_train.py:66-79) is a second such run from the first pass's pruned model with
``widen=1.8``: the fresh network has the first pass's widths × 1.8, rounded down and not capped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import keras
import numpy as np

from thesislab.errors import ThesislabError
from thesislab.models.registry import resolve
from thesislab.models.structure import Structure
from thesislab.prune.masking import masked_network
from thesislab.prune.search import Context, Outcome, minimum_width, search_recipe
from thesislab.prune.settings import MorphNetSettings, Regularizer
from thesislab.prune.target import Cost, cost_function
from thesislab.prune.trainer import Penalty, SearchTrainer
from thesislab.prune.uniform import largest_scaled
from thesislab.prune.weights import (
    channel_rms,
    channel_scales,
    kernel_variables,
    scale_variables,
    top_channels,
)
from thesislab.train.network import build_network
from thesislab.training_recipe import Recipe

FLOPS_PER_MAC = 2
"""MorphNet counts a multiply-accumulate as two floating-point operations."""


def channel_norms(
    network: keras.Model, structure: Structure, group: int, regularizer: Regularizer, width: int
) -> np.ndarray:
    """Each of the `width` channels' norm in prunable layer `group`, as the regulariser measures
    it; infinite where no layer carries that norm, so that every channel stays (a
    post-activation stage whose blocks were all removed has no batch norm on its channels, and
    the regulariser cannot reach it)."""
    if not width:
        return np.zeros(0)
    if not _penalized_variables(network, structure, group, regularizer):
        return np.full(width, np.inf)
    if regularizer == "gamma":
        return channel_scales(network, structure, group)
    return channel_rms(network, structure, group)


def alive_widths(
    network: keras.Model,
    structure: Structure,
    threshold: float,
    regularizer: Regularizer,
    widths: Sequence[int],
) -> list[int]:
    """Channels per prunable layer whose norm is above `threshold`, in `network` of `widths`."""
    return [
        max(
            int(np.sum(channel_norms(network, structure, group, regularizer, width) > threshold)),
            minimum_width(layer),
        )
        for group, (layer, width) in enumerate(zip(structure.groups, widths, strict=True))
    ]


def channel_costs(cost: Cost, widths: list[int], share: bool = True) -> np.ndarray:
    """What one more channel of each prunable layer costs at `widths`: as a share of the total,
    or (`share` False) in the cost's own unit."""
    total = cost(widths) if share else 1.0
    return np.array(
        [
            (cost(widths) - cost([w - (g == group) for g, w in enumerate(widths)])) / total
            if width > 0
            else 0.0
            for group, width in enumerate(widths)
        ],
        dtype=np.float32,
    )


def multiplied(
    structure: Structure, alive: Sequence[int], caps: Sequence[int] | None, factor: float
) -> list[int]:
    """The alive widths times `factor`, rounded down to a step, at least the layer's narrowest,
    at most its cap (none: uncapped, as the thesis widened its second pass's network)."""
    widths = []
    for group, (layer, width) in enumerate(zip(structure.groups, alive, strict=True)):
        step = layer.multiple_of
        scaled = max(minimum_width(layer), step * math.floor(width * factor / step))
        widths.append(scaled if caps is None else min(caps[group], scaled))
    return widths


def _penalized_variables(
    network: keras.Model, structure: Structure, group: int, regularizer: Regularizer
) -> list[keras.Variable]:
    """The variables of prunable layer `group` whose norms the regulariser sums."""
    of = scale_variables if regularizer == "gamma" else kernel_variables
    return of(network, structure, group)


@dataclass(frozen=True)
class _Training:
    """The network MorphNet regularises, its widths, its recipe, and its steps (per epoch, all)."""

    network: keras.Model
    widths: list[int]
    recipe: Recipe
    per_epoch: int
    steps: int


def _training(context: Context, settings: MorphNetSettings) -> _Training:
    """What is regularised: the parent itself, or a fresh network trained for its recipe."""
    if not settings.from_scratch:
        recipe = search_recipe(settings, context.recipe)
        return _Training(context.network, list(context.widths), recipe, 1, settings.steps)
    if context.recipe is None:
        raise ThesislabError(
            "morphnet from scratch: expected the parent's record to hold its training recipe, "
            "received none"
        )
    widths = list(context.widths)
    if settings.widen is not None:
        widths = multiplied(context.structure, widths, None, settings.widen)
    recipe = context.recipe.model_copy(update={"precision": "float32", "distillation": None})
    spec = resolve(context.spec.model_copy(update={"widths": widths}))
    network = build_network(spec, recipe, mixed_precision=False)
    per_epoch = recipe.steps_per_epoch(len(context.data.train))
    return _Training(network, widths, recipe, per_epoch, recipe.epochs * per_epoch)


def morphnet(context: Context, settings: MorphNetSettings) -> Outcome:
    """Regularised training, dead channels out, then the widths scaled (see the module)."""
    structure = context.structure
    training = _training(context, settings)
    network, start = training.network, training.widths
    masked = masked_network(network, structure, start)
    variables = masked.model.trainable_variables
    penalized = [
        _penalized_variables(network, structure, group, settings.regularizer)
        for group in range(len(structure.groups))
    ]
    positions = tuple(
        tuple(next(i for i, variable in enumerate(variables) if variable is p) for p in group)
        for group in penalized
    )
    metric = settings.resource or context.budget.target.metric
    if settings.weights == "flops" and metric != "macs":
        raise ThesislabError(
            f"morphnet: expected the macs resource for weights in flops, received {metric}"
        )
    cost = cost_function(metric, structure, context.results_dir, context.budget.target.device)
    scale = FLOPS_PER_MAC if settings.weights == "flops" else 1.0
    norm: Literal["abs", "rms"] = "abs" if settings.regularizer == "gamma" else "rms"
    trainer = SearchTrainer(
        masked,
        training.recipe,
        context.data.train,
        Penalty(positions, norm),
        steps_per_epoch=training.per_epoch,
    )
    history = []
    steps = training.steps
    for done in range(0, steps, settings.update_every):
        trainer.sync()
        alive = alive_widths(network, structure, settings.threshold, settings.regularizer, start)
        costs = channel_costs(cost, alive, share=settings.weights == "share")
        trainer.penalty_weights = (settings.strength * scale * costs).astype(np.float32)
        history.append({"step": done, "alive": alive})
        context.console.print(f"morphnet: step {done}, alive channels {alive}")
        trainer.run(min(settings.update_every, steps - done))
    trainer.sync()
    alive = alive_widths(network, structure, settings.threshold, settings.regularizer, start)
    if settings.factor is None:
        upper = max(first / width for first, width in zip(start, alive, strict=True) if width)
        factor, widths = largest_scaled(structure, alive, start, context.budget, upper)
    else:
        factor, widths = settings.factor, multiplied(structure, alive, start, settings.factor)
    kept = [
        top_channels(channel_norms(network, structure, group, settings.regularizer, trained), width)
        for group, (trained, width) in enumerate(zip(start, widths, strict=True))
    ]
    details = {"alive": alive, "scale": factor}
    return Outcome(kept, network, history, details, matched=settings.factor is None)
