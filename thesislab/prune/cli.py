"""`thesislab prune`: one model pruned to a budget by one method, then fine-tuned or retrained.

Registered in the top-level app with ``app.command("prune")(prune)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from thesislab.options import ResultsOption, parse_assignments
from thesislab.store import DEFAULT_RESULTS
from thesislab.train.recipe import FINE_TUNING, retraining_recipe

if TYPE_CHECKING:
    from thesislab.store import Store


def prune(
    model_id: Annotated[str, typer.Argument(help="Id (or unique prefix) of a trained model.")],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-m",
            help="fisher, netadapt, morphnet, uniform or random.",
            show_default=False,
        ),
    ],
    target: Annotated[
        str,
        typer.Option(
            "--target",
            "-t",
            help="channels=0.5, params=0.5, macs=0.5 or latency=0.6@DEVICE (fraction to keep), or "
            "latency_ms=40@DEVICE (latencies need that device's lookup table: thesislab lut "
            "build).",
            show_default=False,
        ),
    ],
    results: ResultsOption = DEFAULT_RESULTS,
    data: Annotated[
        str | None, typer.Option(help="Data source; default: $THESISLAB_DATA or sample.")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--setting",
            "-s",
            help="Method setting as key=value (repeatable), e.g. prune_every=100, "
            "normalize=latency_ms, criterion=fisher, allow_small=true, strength=2.",
        ),
    ] = None,
    fine_tune_epochs: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Epochs of fine-tuning the pruned weights (default {FINE_TUNING['epochs']}); "
            "0 = none.",
            show_default=False,
        ),
    ] = None,
    retrain: Annotated[
        bool, typer.Option(help="Retrain the pruned architecture from scratch.")
    ] = True,
    retrain_epochs: Annotated[
        int | None,
        typer.Option(min=1, help="Epochs of the retraining; default: the model's own recipe's."),
    ] = None,
) -> None:
    """Prune a trained model towards a target, then fine-tune it and retrain it from scratch.

    Writes up to three model records (pruned, fine_tuned, retrained), each linked to its parent
    and to the method and its settings. Running the same command again reuses what exists.

    Example: thesislab prune 8c1d2e --method fisher --target macs=0.5 --setting prune_every=100
    --results experiments/wrn
    """
    from thesislab.prune.run import prune_model, train_pruned
    from thesislab.prune.target import Target
    from thesislab.records import ModelRecord
    from thesislab.store import Store

    store = Store(results)
    settings = parse_assignments(setting, "--setting")
    pruned_id = prune_model(
        results, model_id, method, Target.parse(target).as_mapping(), settings, data
    )
    _report(store, "pruned", pruned_id)
    if fine_tune_epochs != 0:
        recipe = {} if fine_tune_epochs is None else {"epochs": fine_tune_epochs}
        _report(store, "fine-tuned", train_pruned(results, pruned_id, "fine_tuned", recipe, data))
    if retrain:
        pruned = store.get(pruned_id, ModelRecord)
        assert pruned.lineage.parent_id is not None
        trained_with = retraining_recipe(
            store.get(pruned.lineage.parent_id, ModelRecord).recipe_fields
        )
        if retrain_epochs is not None:
            trained_with["epochs"] = retrain_epochs
        _report(
            store, "retrained", train_pruned(results, pruned_id, "retrained", trained_with, data)
        )


def _report(store: Store, stage: str, identifier: str) -> None:
    from thesislab.records import ModelRecord

    record = store.get(identifier, ModelRecord)
    accuracy = "" if record.accuracy is None else f", test accuracy {record.accuracy:.4f}"
    typer.echo(
        f"{stage}: model record {identifier} ({record.name}, widths "
        f"{record.architecture.widths}{accuracy})"
    )
