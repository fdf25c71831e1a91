"""Building blocks shared by the model families: conv-BN-activation stacks, SE, heads.

Each block is written once against a `Net` (see `net`), so the same code makes the Keras layers
and counts them. Layer names derive from the `name` prefix a block is given.
"""

from __future__ import annotations

from thesislab.models.net import NUM_CLASSES, Activation, Kernel, Net, Tensor


def activation(net: Net[Tensor], x: Tensor, kind: Activation | None, name: str) -> Tensor:
    """Apply `kind` to `x`; nothing (no layer) when `kind` is None."""
    return x if kind is None else net.activation(x, kind, name=name)


def conv_bn(
    net: Net[Tensor],
    x: Tensor,
    filters: int,
    kernel_size: Kernel,
    *,
    name: str,
    strides: Kernel = 1,
    groups: int = 1,
    act: Activation | None = "relu",
) -> Tensor:
    """Convolution, batch normalisation, then `act`: layers `{name}_conv`, `_bn`, `_act`."""
    x = net.conv(x, filters, kernel_size, name=f"{name}_conv", strides=strides, groups=groups)
    x = net.batch_norm(x, name=f"{name}_bn")
    return activation(net, x, act, f"{name}_act")


def depthwise_bn(
    net: Net[Tensor],
    x: Tensor,
    kernel_size: Kernel,
    *,
    name: str,
    strides: Kernel = 1,
    act: Activation | None = None,
) -> Tensor:
    """Depthwise convolution (multiplier 1), batch normalisation, then `act`."""
    x = net.depthwise(x, kernel_size, name=f"{name}_dwconv", strides=strides)
    x = net.batch_norm(x, name=f"{name}_bn")
    return activation(net, x, act, f"{name}_act")


def bn_relu(net: Net[Tensor], x: Tensor, *, name: str) -> Tensor:
    """Batch normalisation then ReLU: the pre-activation of a pre-activation network."""
    x = net.batch_norm(x, name=f"{name}_bn")
    return net.activation(x, "relu", name=f"{name}_relu")


def squeeze_excite(net: Net[Tensor], x: Tensor, ratio: int, *, name: str) -> Tensor:
    """Squeeze-and-excitation gate: x * sigmoid(W2 relu(W1 mean(x))), W1 reducing `ratio`-fold.

    As in the thesis, W1 and W2 have no bias. They are written as 1x1 convolutions on the pooled
    1x1 map (the same weights as dense layers) so that TFLite gets plain static-shape ops.
    """
    channels = net.channels(x)
    gate = net.global_pool(x, name=f"{name}_squeeze", keepdims=True)
    gate = net.conv(
        gate,
        max(channels // ratio, 1),
        1,
        name=f"{name}_reduce",
        padding="valid",
        activation="relu",
    )
    gate = net.conv(gate, channels, 1, name=f"{name}_expand", padding="valid", activation="sigmoid")
    return net.multiply([x, gate], name=f"{name}_scale")


def inverted_residual(
    net: Net[Tensor],
    x: Tensor,
    *,
    expanded: int,
    out: int,
    kernel_size: int,
    strides: int,
    se_ratio: int,
    residual: bool,
    name: str,
) -> Tensor:
    """MobileNetV2 block: 1x1 expand (ReLU6), depthwise (ReLU6), linear 1x1 projection.

    An SE gate follows the projection in blocks without stride; the input is added back when
    `residual` is set.
    """
    shortcut = x
    x = conv_bn(net, x, expanded, 1, name=f"{name}_expand", act="relu6")
    x = depthwise_bn(net, x, kernel_size, name=f"{name}_depthwise", strides=strides, act="relu6")
    x = conv_bn(net, x, out, 1, name=f"{name}_project", act=None)
    if se_ratio and strides == 1:
        x = squeeze_excite(net, x, se_ratio, name=f"{name}_se")
    if residual:
        x = net.add([x, shortcut], name=f"{name}_add")
    return x


def classifier(net: Net[Tensor], x: Tensor, *, dropout: float, pool: bool = True) -> Tensor:
    """Head: global average pooling (or flattening), optional dropout, dense logits."""
    x = net.global_pool(x, name="head_pool") if pool else net.flatten(x, name="head_flatten")
    if dropout:
        x = net.dropout(x, dropout, name="head_dropout")
    return net.dense(x, NUM_CLASSES, name="head_logits")
