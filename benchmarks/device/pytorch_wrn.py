"""The other side of the GPU kit's comparison: thesislab's WRN-d-k written in PyTorch, and the
images per second of its training step. kit.py runs it in a process of its own (so that it shares no
device memory with JAX), passes its settings as one JSON argument and reads one JSON line back.

The network mirrors the pre-activation `wideresnet` family of `thesislab/models/families/`: a 3x3
stem of 16 channels; three stages of (depth - 4) / 6 blocks of `width`, 2·`width` and 4·`width`
channels, the second and third starting with stride 2; each block BN-ReLU-conv3x3-BN-ReLU
[-dropout]-conv3x3 plus a shortcut, a 1x1 projection of the pre-activated input in the first block
of each stage and the identity elsewhere; then BN-ReLU, global average pooling and a dense
classifier; no convolution has a bias. Its parameters and batch-norm statistics together are what
thesislab counts for the Keras network (`params`, which the kit compares).

The step: input normalisation, forward pass, cross-entropy, backward pass, SGD with the recipe's
momentum and weight decay, on one fixed batch of uint8 images on the device, channels-last, in
the run's precision (bfloat16 through autocast). Eager PyTorch, as the thesis trained it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import torch
from torch import nn
from torch.nn import functional

STEM_WIDTH = 16
NUM_CLASSES = 10


class Block(nn.Module):
    """A pre-activation residual block (see the module docstring)."""

    def __init__(self, inputs: int, width: int, stride: int, projection: bool, dropout: float):
        super().__init__()
        self.preact = nn.Sequential(nn.BatchNorm2d(inputs), nn.ReLU(inplace=True))
        self.projection = (
            nn.Conv2d(inputs, width, 1, stride=stride, bias=False) if projection else None
        )
        self.residual = nn.Sequential(
            nn.Conv2d(inputs, width, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Conv2d(width, width, 3, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = self.preact(x)
        shortcut = x if self.projection is None else self.projection(activated)
        return self.residual(activated) + shortcut


def wide_resnet(depth: int, width: int, dropout: float) -> nn.Sequential:
    """WRN-`depth` with `width` channels in its first stage (WRN-40-2: depth 40, width 32)."""
    layers: list[nn.Module] = [nn.Conv2d(3, STEM_WIDTH, 3, padding=1, bias=False)]
    channels = STEM_WIDTH
    for stage in range(3):
        stage_width = width * 2**stage
        for block in range((depth - 4) // 6):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(Block(channels, stage_width, stride, block == 0, dropout))
            channels = stage_width
    layers += [
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=True),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, NUM_CLASSES),
    ]
    return nn.Sequential(*layers)


def counted_params(model: nn.Module) -> int:
    """Parameters plus batch-norm running statistics: what thesislab counts of a network."""
    statistics = sum(buffer.numel() for name, buffer in model.named_buffers() if "running_" in name)
    return sum(parameter.numel() for parameter in model.parameters()) + statistics


def measure(settings: dict[str, Any]) -> dict[str, Any]:
    """Images per second of the training step `settings` describe (see the module docstring)."""
    device = settings["device"]
    if device == "cuda" and not torch.cuda.is_available():
        return {"skipped": f"PyTorch {torch.__version__} sees no GPU"}
    torch.manual_seed(0)
    model = wide_resnet(settings["depth"], settings["width"], settings["dropout"])
    model = model.to(device, memory_format=torch.channels_last).train()
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=settings["learning_rate"],
        momentum=settings["momentum"],
        nesterov=settings["nesterov"],
        weight_decay=settings["weight_decay"],
    )
    size = settings["batch_size"]
    images = torch.randint(0, 256, (size, 3, 32, 32), dtype=torch.uint8, device=device)
    labels = torch.randint(0, NUM_CLASSES, (size,), device=device)
    mean = torch.tensor(settings["mean"], device=device).view(1, 3, 1, 1)
    std = torch.tensor(settings["std"], device=device).view(1, 3, 1, 1)
    bfloat16 = settings["precision"] == "bfloat16"

    def step() -> None:
        pixels = ((images.float() - mean) / std).contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bfloat16):
            loss = functional.cross_entropy(model(pixels), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def synchronise() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(settings["warmup_steps"]):
        step()
    synchronise()
    started = time.perf_counter()
    for _ in range(settings["timed_steps"]):
        step()
    synchronise()
    seconds = time.perf_counter() - started
    return {
        "images_per_s": settings["timed_steps"] * size / seconds,
        "params": counted_params(model),
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
    }


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))))
