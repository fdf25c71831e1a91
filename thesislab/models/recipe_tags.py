"""The recipe tags of thesis names: the parts after a network's parameters that say how it was
trained, pruned or deployed, not what it is (`cosine`, `KD_t2_l02`, `l2_pruned-pf=0.4-dr=0.98`).

The vocabulary is the one of the 2019 thesis's result files: its words, its numbered tags
(`t2`: distillation temperature 2, `l02`: distillation weight 0.2, `pass2`), its settings
(`pf=0.4`: pruning factor, `dr=0.98`: decay rate, `rs=6e-9`, ...) and plain numbers (a run's
index, a channel budget `450ch`, a factor `0.2`), which only qualify the tag before them.
"""

from __future__ import annotations

import re
from typing import Literal

WORDS = frozenset(
    {
        # training
        "cosine",
        # distillation (`newKD`: a teacher of the student's own family, `for_KD`: a teacher,
        # `base`: the same network without distillation)
        "KD",
        "newKD",
        "KDnoT",
        "for",
        "base",
        # deployment
        "quantized",
        # pruning runs (pruning_methods.csv)
        "pruned",
        "unpruned",
        "unif",
        "fisher",
        "table",
        "morphnet",
        "Group",
        "allow",
        "small",
        "init",
        "red",
        "scratch",
        "ft",
    }
)
"""Tags that are whole words."""

SETTINGS = ("pf", "dr", "fact", "ft", "rs", "tresh", "lr")
"""Keys of `key=number` tags."""

NUMBERED = ("t", "l", "pass")
"""Prefixes of `<prefix><digits>` tags."""

_NUMBERED = re.compile(rf"^(?:{'|'.join(NUMBERED)})\d+$")
_SETTING = re.compile(rf"^(?:{'|'.join(SETTINGS)})=\d*\.?\d+(?:e-?\d+)?$")
_NUMBER = re.compile(r"^(?:\d+|\d*\.\d+|\d+ch)$")

TagKind = Literal["word", "number"]


def tag_kind(part: str) -> TagKind | None:
    """`word` for a tag that stands alone, `number` for one that qualifies the tag before it,
    None for a part that is no recipe tag."""
    if part in WORDS or _NUMBERED.match(part) or _SETTING.match(part):
        return "word"
    if _NUMBER.match(part):
        return "number"
    return None


def accepted_tags() -> str:
    """The vocabulary, for messages: every word and the shape of every other tag."""
    words = ", ".join(sorted(WORDS, key=str.lower))
    return (
        f"{words}, {'|'.join(NUMBERED)}<n>, {'|'.join(SETTINGS)}=<number>; "
        "after a tag: <n>, <n>ch, <x.y>"
    )
