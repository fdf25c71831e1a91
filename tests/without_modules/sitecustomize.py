"""A start-up hook for a Python process started by a test with this folder on PYTHONPATH: the
modules named in THESISLAB_UNIMPORTABLE (comma-separated top-level names) cannot be imported,
as in an install without them."""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec


class _Unimportable:
    """A meta-path finder that refuses the named top-level modules and their sub-modules."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec:
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (unimportable here)", name=name)
        return None  # type: ignore[return-value]


_names = {name for name in os.environ.get("THESISLAB_UNIMPORTABLE", "").split(",") if name}
if _names:
    sys.meta_path.insert(0, _Unimportable(_names))
