"""Commands of thesislab printed for the user to run next, spelt so that they work as printed: the
program is named bare only where the shell finds this very program by that name (a virtual
environment that is not active puts it off the PATH), else by its path."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

PROGRAM = "thesislab"


def _spelt(path: Path, name: str) -> str:
    """`name` where the shell finds `path` by it (compared as paths, links not followed), else
    `path`."""
    found = shutil.which(name)
    return name if found is not None and Path(found).absolute() == path.absolute() else str(path)


def thesislab_command(*arguments: str) -> str:
    """`thesislab ARGUMENTS`: the program installed beside this interpreter."""
    program = Path(sys.executable).with_name(PROGRAM)
    spelt = _spelt(program, PROGRAM) if program.is_file() else PROGRAM
    return shlex.join([spelt, *arguments])
