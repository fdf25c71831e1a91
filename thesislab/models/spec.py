"""`ArchSpec`: what a network is, independent of any backend or weights.

A spec names a registered family, the family's parameters (depth, width, expansion ratio, ...)
and, optionally, the explicit channel count of every prunable layer. A pruned network is the same
family with smaller widths; `widths=None` means "the family's default widths for these parameters".
Specs are stored inside model records, so they serialise to plain JSON and compare by value.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ParamValue = int | float | str | bool | None


class ArchSpec(BaseModel):
    """A network architecture: family, its parameters and the per-layer widths."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str = Field(description="Registered family name, e.g. 'wideresnet', 'mobilenetv2'.")
    params: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Family parameters: depth, width, expansion, groups, se_ratio, ...",
    )
    widths: list[int] | None = Field(
        default=None,
        description="Channel count of every prunable layer, in build order; null = defaults.",
    )
