"""The stage plan most families share: three stages at 32x32, 16x16 and 8x8, width doubling.

The thesis adapted every ImageNet architecture to CIFAR-10 the same way: a 16-channel stem at full
resolution, then three stages of depth / 3 blocks with `width`, 2 x `width` and 4 x `width`
channels, the second and third starting with stride 2.
"""

from __future__ import annotations

from thesislab.errors import ThesislabError

STEM_WIDTH = 16
STAGES = (1, 2, 3)


def blocks_per_stage(family: str, depth: int) -> int:
    """depth / 3; `ThesislabError` unless depth is a positive multiple of 3."""
    if depth < 3 or depth % 3:
        raise ThesislabError(f"{family}: depth must be a positive multiple of 3, got {depth}")
    return depth // 3


def stage_widths(width: int) -> list[tuple[int, int]]:
    """(stage number, default channels) of the three stages."""
    return [(stage, width * 2 ** (stage - 1)) for stage in STAGES]


def stage_strides(stage: int, block: int) -> int:
    """Stride of a block: 2 for the first block of the second and third stages, else 1."""
    return 2 if stage > 1 and block == 0 else 1
