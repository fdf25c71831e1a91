"""Uniform and random pruning: the baselines.

Uniform pruning narrows every prunable layer by the same factor f (each width rounded to its
`multiple_of`, at least one step), with the largest f whose network meets the budget; the weights
it inherits are the channels of largest filter norm. Random pruning keeps the per-layer widths of
another result (a pruned model id, or the name of the method whose result of the same parent and
target to copy; by default the uniform widths) and chooses which channels stay at random.

`largest_scaled` is also MorphNet's final step: a uniform multiplier on the widths it found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from thesislab.errors import ThesislabError
from thesislab.models.structure import Structure
from thesislab.prune.search import Context, Outcome
from thesislab.prune.settings import RandomSettings, UniformSettings
from thesislab.prune.target import Budget
from thesislab.prune.weights import channel_norms, top_channels


def scaled_widths(
    structure: Structure, base: Sequence[int], caps: Sequence[int], factor: float
) -> list[int]:
    """Each width of `base` times `factor`, rounded to its step, at least one step, at most its
    cap (a width of 0 stays 0)."""
    widths = []
    for group, width, cap in zip(structure.groups, base, caps, strict=True):
        step = group.multiple_of
        scaled = step * math.floor(width * factor / step + 0.5)
        widths.append(0 if width == 0 else min(cap, max(step, scaled)))
    return widths


def largest_scaled(
    structure: Structure,
    base: Sequence[int],
    caps: Sequence[int],
    budget: Budget,
    upper: float,
) -> tuple[float, list[int]]:
    """The largest factor in [0, upper] whose `scaled_widths` meet the budget, and those widths."""
    factors = {0.0, upper}
    for group, width, cap in zip(structure.groups, base, caps, strict=True):
        step = group.multiple_of
        if width:
            factors.update(
                step * (count + 0.5) / width
                for count in range(cap // step + 1)
                if step * (count + 0.5) / width <= upper
            )
    for factor in sorted(factors, reverse=True):
        widths = scaled_widths(structure, base, caps, factor)
        if budget.within(widths):
            return factor, widths
    raise ThesislabError(
        f"target {budget.target}: even the narrowest network "
        f"({budget.describe(scaled_widths(structure, base, caps, 0.0))}) is over budget"
    )


def uniform(context: Context, settings: UniformSettings) -> Outcome:
    """Narrow every prunable layer by the same factor; keep the largest-norm channels."""
    structure = context.structure
    factor, widths = largest_scaled(
        structure, context.widths, context.widths, context.budget, upper=1.0
    )
    kept = [
        top_channels(channel_norms(context.network, structure, group), width)
        for group, width in enumerate(widths)
    ]
    return Outcome(kept, context.network, details={"factor": factor})


def random_channels(context: Context, widths: Sequence[int], seed: int) -> Outcome:
    """Keep `widths[g]` channels of each prunable layer g, chosen at random."""
    rng = np.random.default_rng(seed)
    kept = [
        np.sort(rng.choice(start, size=width, replace=False))
        for start, width in zip(context.widths, widths, strict=True)
    ]
    return Outcome(kept, context.network, details={"widths": list(widths)})


def _reference_widths(context: Context, like: str) -> list[int]:
    """The widths of the pruned model `like` names (an id, or a method of the same parent and
    target)."""
    from thesislab.prune.lineage import find_models
    from thesislab.records import ModelRecord
    from thesislab.store import Store

    store = Store(context.results_dir)
    target = context.budget.target.as_mapping()
    matches = find_models(
        store,
        "pruned",
        context.record_id,
        lambda record: (
            record.lineage.pruning is not None
            and record.lineage.pruning.method == like
            and record.lineage.pruning.settings.get("target") == target
        ),
    )
    if matches:
        reference = matches[0][1]
    else:
        try:
            reference = store.get(like, ModelRecord)
        except ThesislabError:
            raise ThesislabError(
                f"random pruning: expected 'like' to name a pruned model id or a method already "
                f"run on {context.record_id} for target {context.budget.target}, received {like!r}"
            ) from None
    widths = context.structure.check(reference.architecture)
    if any(width > start for width, start in zip(widths, context.widths, strict=True)):
        raise ThesislabError(
            f"random pruning: expected widths no wider than the model's {context.widths}, "
            f"received {widths} from {like}"
        )
    return widths


def random(context: Context, settings: RandomSettings) -> Outcome:
    """Keep random channels, as many per prunable layer as the reference result (or uniform)."""
    if settings.like is None:
        _, widths = largest_scaled(
            context.structure, context.widths, context.widths, context.budget, upper=1.0
        )
    else:
        widths = _reference_widths(context, settings.like)
    return random_channels(context, widths, settings.seed)
