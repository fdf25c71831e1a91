"""Training: the recipe, on-device augmentation, the training loop and its backends, distillation,
per-epoch checkpoints and resumption.

    from thesislab.data import load_data
    from thesislab.models.names import parse_name
    from thesislab.train import load_recipe, train_model

    result = train_model(parse_name("res-16-2").spec, load_recipe(epochs=30), load_data(), results)
"""

from thesislab.train.recipe import Distillation, Recipe, load_recipe
from thesislab.train.run import TrainResult, find_run, run_key, train_model

__all__ = [
    "Distillation",
    "Recipe",
    "TrainResult",
    "find_run",
    "load_recipe",
    "run_key",
    "train_model",
]
