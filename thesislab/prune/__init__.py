"""Pruning as architecture search: Fisher pruning, NetAdapt, MorphNet, uniform and random pruning
of a trained model towards a budget in channels, parameters, MACs or predicted latency (the
lookup tables that predict it are `thesislab.latency`'s).

Public API, by module (this package imports nothing heavy):

- `run.prune_model(results_dir, model_id, method, target, settings, data_source)` -> pruned
  model id; `run.train_pruned(results_dir, pruned_id, stage, recipe, data_source)` -> the id of
  the fine-tuned (`stage="fine_tuned"`) or retrained (`"retrained"`) model;
- `methods.METHODS`: the registered methods, their settings models (`settings`, light: a study
  is checked without TensorFlow) and where each one's function is;
- `cli.prune` (the `thesislab prune` command).

Internals: `target` (budgets), `masking` (the masked view used while searching), `trainer` (its
training: the training engine plus masks, Fisher sums and a penalty), `weights` (channel statistics
and the copy into a thinner network), `search` (what methods receive and return), one module per
method (`fisher`, `netadapt`, `morphnet`, `uniform`), `lineage` (finding earlier runs).
"""
