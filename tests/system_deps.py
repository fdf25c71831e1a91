"""Tests that need a program from the system (sshd, chromium): a missing one fails with the
package to install, or is skipped where `THESISLAB_SKIP_MISSING_SYSTEM_DEPS=1`.

    from system_deps import require_executable

    sshd = require_executable("/usr/sbin/sshd", "openssh-server")
"""

from __future__ import annotations

import os
import shutil

import pytest

SKIP_VARIABLE = "THESISLAB_SKIP_MISSING_SYSTEM_DEPS"


def require_executable(path: str, package: str) -> str:
    """The executable `path` (a path or a name on PATH), else fail (or skip) naming `package`."""
    found = shutil.which(path)
    if found is not None:
        return found
    message = f"{path} is missing: install it with 'apt-get install {package}'"
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)
