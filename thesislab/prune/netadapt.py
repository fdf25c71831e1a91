"""NetAdapt (Yang et al., 2018) with the 2019 thesis's changes.

Iterations each ask for a cost reduction (latency from a lookup table, or MACs, parameters,
channels), starting at (start − limit) / `init_red_fact` and multiplied by `decay_rate` after each
iteration; the last asks only for what remains, so the result lands just under the limit. In an
iteration, every prunable layer proposes the fewest channels whose removal alone meets the
reduction (channels of a tied layer are removed together; a removable layer may go to 0, which
removes its block); the channels removed are those of smallest filter L2 norm or, with
``criterion=fisher``, of smallest Fisher saliency. With ``allow_small``, a layer that cannot meet
the reduction proposes all it can still lose. Each proposal is fine-tuned for
`short_term_steps` batches from the current weights and scored on a held-out part of the training
set; the thesis's choice rule keeps the proposal with the smallest accuracy loss per unit of cost
saved, or the largest accuracy gain if any gains.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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
from thesislab.prune.trainer import SearchTrainer
from thesislab.prune.weights import channel_norms


class NetAdaptSettings(SearchSettings):
    """NetAdapt's settings (defaults: the thesis's)."""

    init_red_fact: float = Field(
        default=20.0, gt=1.0, description="The first iteration removes 1/init_red_fact of the way."
    )
    decay_rate: float = Field(default=0.98, gt=0.0, le=1.0)
    allow_small: bool = Field(
        default=False, description="Also propose layers that cannot meet the reduction."
    )
    criterion: Literal["l2", "fisher"] = "l2"
    short_term_steps: int = Field(default=100, ge=1, description="Fine-tuning of each proposal.")
    holdout: float = Field(
        default=0.1, gt=0.0, lt=1.0, description="Fraction of training images held out."
    )


@dataclass(frozen=True)
class _Proposal:
    group: int
    channels: np.ndarray
    saved: float


def _fewest(context: Context, widths: list[int], group: int, wanted: float) -> int | None:
    """The fewest channels of `group` whose removal saves `wanted`, or None."""
    layer = context.structure.groups[group]
    cost = context.budget.cost
    current = cost(widths)
    most = widths[group] - minimum_width(layer)
    for remove in range(layer.multiple_of, most + 1, layer.multiple_of):
        if current - cost(narrowed(widths, group, remove)) >= wanted:
            return remove
    return None


def _proposals(
    context: Context,
    trainer: SearchTrainer,
    settings: NetAdaptSettings,
    state: tuple[list[int], list[np.ndarray], list[np.ndarray]],
    wanted: float,
) -> list[_Proposal]:
    """Each layer's proposal: the fewest channels that save `wanted` (or, with allow_small, all
    it can lose), those of lowest score."""
    widths, alive, saliency = state
    proposals = []
    for position, group in enumerate(trainer.masked.groups):
        layer = context.structure.groups[group]
        remove = _fewest(context, widths, group, wanted)
        if remove is None and settings.allow_small:
            remove = widths[group] - minimum_width(layer) or None
        if remove is None:
            continue
        scores = (
            saliency[position]
            if settings.criterion == "fisher"
            else channel_norms(context.network, context.structure, group)
        )
        candidates = np.flatnonzero(alive[group])
        order = candidates[np.argsort(scores[candidates], kind="stable")]
        saved = context.budget.cost(widths) - context.budget.cost(narrowed(widths, group, remove))
        if saved > 0:
            proposals.append(_Proposal(group, order[:remove], saved))
    return proposals


def _better(loss: float, saved: float, best: tuple[float, float] | None) -> bool:
    """The thesis's rule: with accuracy lost, the smallest loss per cost saved wins; a proposal
    that gains accuracy beats any that loses it, and the largest gain wins among those."""
    if best is None:
        return True
    best_loss, best_saved = best
    if best_loss >= 0:
        return loss < 0 or loss / saved < best_loss / best_saved
    return loss < best_loss


def netadapt(context: Context, settings: NetAdaptSettings) -> Outcome:
    """Iterate until the budget is met; see the module docstring."""
    structure = context.structure
    budget = context.budget
    train, holdout = context.data.holdout(round(settings.holdout * len(context.data.train)))
    widths = list(context.widths)
    alive = [np.ones(width, dtype=bool) for width in widths]
    trainer = SearchTrainer(
        masked_network(context.network, structure, widths),
        search_recipe(settings, context.recipe),
        train,
    )
    trainer.run(settings.short_term_steps)
    accuracy = trainer.accuracy(holdout)
    saliency = trainer.fisher()
    wanted = (budget.start - budget.limit) / settings.init_red_fact
    history: list[dict[str, object]] = []
    while not budget.within(widths):
        started = time.perf_counter()
        asked = min(wanted, budget.cost(widths) - budget.limit)
        trainer.sync()
        proposals = _proposals(context, trainer, settings, (widths, alive, saliency), asked)
        if not proposals:
            raise ThesislabError(
                f"netadapt: no layer can save {asked:.4g} more before reaching target "
                f"{budget.target} ({budget.describe(widths)}); try allow_small"
            )
        start = trainer.state()
        best: tuple[float, float] | None = None
        chosen: tuple[_Proposal, list[np.ndarray], list[np.ndarray], float] | None = None
        for proposal in proposals:
            trainer.load_state(start)
            mask = alive[proposal.group].copy()
            mask[proposal.channels] = False
            trainer.set_mask(proposal.group, mask)
            trainer.reset_fisher()
            trainer.run(settings.short_term_steps)
            proposed = trainer.accuracy(holdout)
            if _better(accuracy - proposed, proposal.saved, best):
                best = (accuracy - proposed, proposal.saved)
                chosen = (proposal, trainer.state(), trainer.fisher(), proposed)
            trainer.set_mask(proposal.group, alive[proposal.group])
        assert chosen is not None
        proposal, state, saliency, accuracy = chosen
        alive[proposal.group][proposal.channels] = False
        widths = narrowed(widths, proposal.group, len(proposal.channels))
        trainer.set_mask(proposal.group, alive[proposal.group])
        trainer.load_state(state)
        history.append(
            {
                "layer": structure.groups[proposal.group].name,
                "removed": len(proposal.channels),
                "asked": asked,
                "saved": proposal.saved,
                "cost": budget.cost(widths),
                "holdout_accuracy": accuracy,
                "seconds": time.perf_counter() - started,
            }
        )
        context.console.print(
            f"netadapt: iteration {len(history)}: {len(proposal.channels)} channels of "
            f"{structure.groups[proposal.group].name}, {budget.describe(widths)}, holdout "
            f"accuracy {accuracy:.3f}"
        )
        wanted *= settings.decay_rate
    trainer.sync()
    kept = [np.flatnonzero(mask) for mask in alive]
    return Outcome(kept, context.network, history, {"iterations": len(history)})
