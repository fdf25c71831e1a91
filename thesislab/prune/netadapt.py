"""NetAdapt (Yang et al., 2018) with the 2019 thesis's changes.

Iterations each ask for a cost reduction (latency from a lookup table, or MACs, parameters,
channels): iteration k (from 0) asks for (start − limit) / `init_red_fact` · `decay_rate`^k
(`reduction`); with a limit of (1 − pf) · L this is the thesis's pf · L / init_red_fact · dr^k. In
an iteration, every prunable layer proposes a number of channels to remove (`channels_to_remove`;
channels of a tied layer are removed together); the channels removed are those of smallest filter
L2 norm or of smallest Fisher saliency (`criterion`). Each proposal is fine-tuned for
`short_term_steps` batches from the current weights and scored on a held-out part of the training
set; the thesis's choice rule keeps the proposal with the smallest accuracy loss per unit of cost
saved, or the largest accuracy gain if any gains. Iterations stop at the first widths within the
limit.

`variant` picks between two readings of the rest:

- ``thesislab`` (default): the last iteration asks only for what remains, so the result lands just
  under the limit; a layer proposes the fewest channels whose removal saves at least the
  reduction, and a removable layer may go to 0, which removes its block; with ``allow_small``, a
  layer that cannot meet the reduction proposes all it can still lose; the L2 norm averages over
  every convolution producing the layer's channels; the optimizer's momentum carries over from
  the chosen proposal to the next iteration's fine-tunes; the criterion defaults to ``l2``.
- ``thesis2019``, as N/prune.py and N/models/wideresnet.py ran it: the reduction is never
  clamped, so the last iteration may overshoot the limit; a layer proposes the fewest channels
  whose saving is strictly greater than the reduction, keeping at least one channel; only the
  first convolution of a block (a removable layer) may then remove its whole block, when the
  block's full cost exceeds the reduction or with ``allow_small``; the L2 norm leaves the shortcut
  projections (``*_projection``) out, as the thesis's score left its skip convolutions out; every
  proposal is fine-tuned with a fresh optimizer (no momentum carried over); the criterion
  defaults to ``fisher``. The thesis searched its post-activation WRN-40-2 (``wideresnet`` with
  ``block=postact``, ``all_prunable=true``) trained on 90 % of the training set, with the
  fine-tuning recipe of `SearchSettings` (SGD, learning rate 8e-4, momentum 0.9, weight decay
  5e-4). What still differs: a tied layer's Fisher saliency is that of one mask shared by all its
  places, where the thesis averaged the signal of each block's output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from thesislab.errors import ThesislabError
from thesislab.models.plan import PrunableLayer
from thesislab.prune.masking import masked_network
from thesislab.prune.search import (
    Context,
    Outcome,
    minimum_width,
    narrowed,
    search_recipe,
)
from thesislab.prune.settings import NetAdaptSettings
from thesislab.prune.target import Cost
from thesislab.prune.trainer import SearchTrainer
from thesislab.prune.weights import channel_norms

SKIP_SUFFIX = "_projection"
"""Names of the shortcut convolutions the thesis2019 L2 score leaves out."""


@dataclass(frozen=True)
class _Proposal:
    group: int
    channels: np.ndarray
    saved: float


def reduction(start: float, limit: float, settings: NetAdaptSettings, iteration: int) -> float:
    """The reduction iteration `iteration` (from 0) asks for, before any clamping."""
    return (start - limit) / settings.init_red_fact * settings.decay_rate**iteration


def channels_to_remove(
    cost: Cost,
    widths: list[int],
    group: int,
    layer: PrunableLayer,
    wanted: float,
    settings: NetAdaptSettings,
) -> int | None:
    """How many channels prunable layer `group` proposes to remove to save `wanted`, or None;
    the rule of `settings.variant` (module docstring)."""
    current, width, step = cost(widths), widths[group], layer.multiple_of
    if width == 0:
        return None

    def saves(remove: int) -> float:
        return current - cost(narrowed(widths, group, remove))

    if settings.variant == "thesis2019":
        for remove in range(step, width, step):
            if saves(remove) > wanted:
                return remove
        if layer.removable and (settings.allow_small or saves(width) > wanted):
            return width
        return None
    most = width - minimum_width(layer)
    for remove in range(step, most + 1, step):
        if saves(remove) >= wanted:
            return remove
    return (most or None) if settings.allow_small else None


def _scores(context: Context, settings: NetAdaptSettings, group: int) -> np.ndarray:
    """Filter L2 norms of `group`'s channels (thesis2019: without the shortcut projections)."""
    if settings.variant == "thesis2019":
        skips = frozenset(name for name in context.structure.by_name if name.endswith(SKIP_SUFFIX))
        return channel_norms(context.network, context.structure, group, leave_out=skips)
    return channel_norms(context.network, context.structure, group)


def _proposals(
    context: Context,
    trainer: SearchTrainer,
    settings: NetAdaptSettings,
    state: tuple[list[int], list[np.ndarray], list[np.ndarray]],
    wanted: float,
) -> list[_Proposal]:
    """Each layer's proposal (`channels_to_remove`): the channels of lowest score."""
    widths, alive, saliency = state
    cost = context.budget.cost
    proposals = []
    for position, group in enumerate(trainer.masked.groups):
        layer = context.structure.groups[group]
        remove = channels_to_remove(cost, widths, group, layer, wanted, settings)
        if remove is None:
            continue
        scores = (
            saliency[position] if settings.score == "fisher" else _scores(context, settings, group)
        )
        candidates = np.flatnonzero(alive[group])
        order = candidates[np.argsort(scores[candidates], kind="stable")]
        saved = cost(widths) - cost(narrowed(widths, group, remove))
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


def _optimizer_part(trainer: SearchTrainer, state: list[np.ndarray]) -> list[np.ndarray]:
    """The optimizer's arrays of a trainer state (they come last)."""
    return state[len(state) - len(trainer.engine.optimizer.variables) :]


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
    fresh = _optimizer_part(trainer, trainer.state())
    trainer.run(settings.short_term_steps)
    accuracy = trainer.accuracy(holdout)
    saliency = trainer.fisher()
    history: list[dict[str, object]] = []
    while not budget.within(widths):
        started = time.perf_counter()
        asked = reduction(budget.start, budget.limit, settings, len(history))
        if settings.variant == "thesislab":
            asked = min(asked, budget.cost(widths) - budget.limit)
        trainer.sync()
        proposals = _proposals(context, trainer, settings, (widths, alive, saliency), asked)
        if not proposals:
            raise ThesislabError(
                f"netadapt: no layer can save {asked:.4g} more before reaching target "
                f"{budget.target} ({budget.describe(widths)}); try allow_small"
            )
        start = trainer.state()
        if settings.variant == "thesis2019":
            start = start[: len(start) - len(fresh)] + fresh
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
    trainer.sync()
    kept = [np.flatnonzero(mask) for mask in alive]
    return Outcome(kept, context.network, history, {"iterations": len(history)})
