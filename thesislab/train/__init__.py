"""Training: the recipe, on-device augmentation, the training loop and its backends, distillation,
per-epoch checkpoints and resumption.

    from thesislab.data import load_data
    from thesislab.models.names import parse_name
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    result = train_model(parse_name("res-16-2").spec, load_recipe(epochs=30), load_data(), results)

The package imports nothing itself: the record schema (`thesislab.records`) holds the recipe
model, and the training run writes records.
"""
