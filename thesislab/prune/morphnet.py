"""MorphNet (Gordon et al., 2018): a resource regulariser on batch-normalisation scales, then a
uniform width multiplier back to the budget.

The trained network trains on, for `steps` batches, with the loss plus

    strength · Σ_g cost_g / cost · Σ_k max_b |gamma_bk|

where gamma_b are the scales of the batch normalisations on prunable layer g's channels (tied
layers grouped by their largest scale, MorphNet's L∞ group lasso), cost is the network's resource
(the target's metric by default: MACs, parameters, channels, or latency from a lookup table) and
cost_g what one more channel of g costs at the current alive widths — the derivative of the
bilinear FLOP and size costs MorphNet uses, and its analogue for a latency table. The weights are
recomputed every `update_every` steps. A channel whose largest |gamma| falls under `threshold` is
dead; the alive widths are then multiplied by the largest uniform factor that meets the budget
(capped at the starting widths), and the channels of largest |gamma| stay.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from thesislab.prune.masking import masked_network
from thesislab.prune.search import Context, Outcome, SearchSettings, minimum_width, search_recipe
from thesislab.prune.target import Cost, cost_function
from thesislab.prune.trainer import Penalty, SearchTrainer
from thesislab.prune.uniform import largest_scaled
from thesislab.prune.weights import channel_scales, scale_variables, top_channels


class MorphNetSettings(SearchSettings):
    """MorphNet's settings."""

    learning_rate: float = Field(default=0.01, gt=0.0)
    strength: float = Field(default=1.0, ge=0.0, description="Regulariser weight, unitless.")
    threshold: float = Field(
        default=0.01, gt=0.0, description="|gamma| under which a channel is dead."
    )
    steps: int = Field(default=1000, ge=1, description="Regularised training steps.")
    update_every: int = Field(default=100, ge=1, description="Steps between cost updates.")
    resource: Literal["channels", "params", "macs", "latency_ms"] | None = Field(
        default=None, description="What the regulariser targets; default: the target's metric."
    )


def alive_widths(context: Context, threshold: float) -> list[int]:
    """Channels per prunable layer whose largest |gamma| is above `threshold`."""
    widths = []
    for group, layer in enumerate(context.structure.groups):
        scales = channel_scales(context.network, context.structure, group)
        widths.append(max(int(np.sum(scales > threshold)), minimum_width(layer)))
    return widths


def channel_costs(cost: Cost, widths: list[int]) -> np.ndarray:
    """What one more channel of each prunable layer costs at `widths`, as a share of the total."""
    total = cost(widths)
    return np.array(
        [
            (cost(widths) - cost([w - (g == group) for g, w in enumerate(widths)])) / total
            if width > 0
            else 0.0
            for group, width in enumerate(widths)
        ],
        dtype=np.float32,
    )


def morphnet(context: Context, settings: MorphNetSettings) -> Outcome:
    """Regularised training, dead channels out, then the uniform multiplier to the budget."""
    structure = context.structure
    masked = masked_network(context.network, structure, context.widths)
    variables = masked.model.trainable_variables
    positions = tuple(
        tuple(
            next(index for index, variable in enumerate(variables) if variable is scale)
            for scale in scale_variables(context.network, structure, group)
        )
        for group in range(len(structure.groups))
    )
    metric = settings.resource or context.budget.target.metric
    cost = cost_function(metric, structure, context.results, context.budget.target.device)
    trainer = SearchTrainer(
        masked, search_recipe(settings, context.recipe), context.data.train, Penalty(positions)
    )
    history = []
    for done in range(0, settings.steps, settings.update_every):
        trainer.sync()
        alive = alive_widths(context, settings.threshold)
        trainer.penalty_weights = (settings.strength * channel_costs(cost, alive)).astype(
            np.float32
        )
        history.append({"step": done, "alive": alive})
        context.console.print(f"morphnet: step {done}, alive channels {alive}")
        trainer.run(min(settings.update_every, settings.steps - done))
    trainer.sync()
    alive = alive_widths(context, settings.threshold)
    upper = max(start / width for start, width in zip(context.widths, alive, strict=True) if width)
    factor, widths = largest_scaled(structure, alive, context.widths, context.budget, upper)
    kept = [
        top_channels(channel_scales(context.network, structure, group), width)
        for group, width in enumerate(widths)
    ]
    return Outcome(kept, context.network, history, {"alive": alive, "factor": factor})
