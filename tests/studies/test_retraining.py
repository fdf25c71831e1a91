"""Retraining a pruned network: the recipe and seed that trained its parent, on every image."""

from __future__ import annotations

from thesislab.studies.check import parse_study
from thesislab.studies.jobs import RetrainParams, TrainParams
from thesislab.studies.plan import plan
from thesislab.train.recipe import load_recipe

STUDY = {
    "name": "retraining",
    "recipe": {"epochs": 2, "validation_size": 500, "weight_decay": 5e-4},
    "defaults": {
        "seeds": [1, 2],
        "stages": {
            "train": {},
            "prune": [
                {
                    "method": "uniform",
                    "targets": [{"channels": 0.5}],
                    "fine_tune_recipe": {"epochs": 1},
                }
            ],
        },
    },
    "architectures": [{"arch": "res_d10_w16", "recipe": {"learning_rate": 0.05}}],
}


def test_retraining_takes_the_parents_recipe_without_a_hold_out() -> None:
    jobs = plan(parse_study(STUDY))
    by_key = {job.key: job for job in jobs}
    retrains = [job for job in jobs if job.stage == "retrained"]
    assert len(retrains) == 2
    for retrain in retrains:
        trained = by_key[by_key[retrain.deps[0]].deps[0]]
        assert trained.stage == "trained"
        trained_with = trained.params_of(TrainParams)
        parent = load_recipe(None, **trained_with.recipe, seed=trained_with.seed)
        chosen = load_recipe(None, **retrain.params_of(RetrainParams).recipe)
        assert parent.validation_size == 500 and chosen.validation_size == 0
        assert chosen == parent.model_copy(update={"validation_size": 0})
        assert chosen.learning_rate == 0.05 and chosen.seed == trained_with.seed
