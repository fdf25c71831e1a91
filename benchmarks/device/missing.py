"""Print the requirements of a pinned requirements file that this interpreter does not meet.

A line ``name==version`` is met when the distribution is installed at that version or a later one;
the unmet lines are printed space-separated, for ``pip install``. Run by run.sh before anything
else, so it imports only the standard library and `packaging` (which Keras itself needs).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version


def unmet(requirements: Path) -> list[str]:
    """The pinned lines of `requirements` whose distribution is absent or older than pinned."""
    missing = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        (pin,) = requirement.specifier
        try:
            installed = Version(metadata.version(requirement.name))
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or installed < Version(pin.version):
            missing.append(text)
    return missing


if __name__ == "__main__":
    print(" ".join(unmet(Path(sys.argv[1]))))
