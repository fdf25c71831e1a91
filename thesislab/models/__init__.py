"""The model zoo: architecture families, their registry, plans, specs, thesis names and counting.

Public API, by module (import from the module; this package imports nothing heavy, and nothing
but `registry.build_model` and `counting.count` imports a framework):

- `spec.ArchSpec`: what a network is (family, parameters, prunable widths), as plain JSON.
- `names.parse_name` / `names.format_name`: thesis names such as `mobilenetv2_d12_er6_w24_se2`,
  read exactly (`names.read_spec` for a command-line argument); `recipe_tags`: the vocabulary of
  the recipe tags after a name's parameters (`cosine`, `KD`, `t2`, ...).
- `plan.Plan`: a family's blocks and prunable layers for given parameters (`plan.PrunableLayer`,
  `plan.ArchParams`); `registry.plan_of(spec)` gives a spec's.
- `registry.build_model(spec)`: the Keras model (32x32x3 images -> 10 logits, TensorFlow or JAX);
  `registry.resolve(spec)`: every parameter and width explicit; `registry.prunable_layers(spec)`;
  `registry.families()`: the registered families; `registry.register`: add one.
- `counting.count_spec(spec)`: exact parameters and MACs per layer, from the plan, framework-free;
  `counting.count(model)`: the same of a built model.
- `cli.app`: the `thesislab models` commands.

One module per family in `families` (`wideresnet`, `mobilenetv1`, `mobilenetv2`, `mnasnet`,
`shufflenetv1`, `shufflenetv2`, `effnet`, `squeezenext`, `condensenet`, `nasnet`), each a plan and
a builder written against `net.Net`; the blocks they share are in `blocks`, `stages` and
`inverted`; `layers.KerasNet` makes them Keras layers, `counting.CountingNet` counts them.
"""
