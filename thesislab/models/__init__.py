"""The model zoo: architecture families, their registry, specs, thesis names and counting.

Public API, by module (import from the module; this package imports nothing heavy):

- `spec.ArchSpec`: what a network is (family, parameters, prunable widths), as plain JSON.
- `names.parse_name` / `names.format_name`: thesis names such as `mobilenetv2_d12_er6_w24_se2`.
- `registry.build_model(spec)`: the Keras model (32x32x3 images -> 10 logits, TensorFlow or JAX);
  `registry.resolve(spec)`: every parameter and width explicit; `registry.prunable_layers(spec)`;
  `registry.families()`: the registered families; `registry.register`: add one.
- `counting.count(model)`: exact parameters and MACs per layer.
- `cli.app`: the `thesislab models` commands.

One module per family (`wideresnet`, `mobilenetv1`, `mobilenetv2`, `mnasnet`, `shufflenetv1`,
`shufflenetv2`, `effnet`, `squeezenext`, `condensenet`, `nasnet`), with the blocks they share in
`layers`, `stages` and `inverted`.
"""
