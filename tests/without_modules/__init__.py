"""Running a command in a process where some modules cannot be imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOOK_DIR = Path(__file__).resolve().parent
REPO = HOOK_DIR.parents[1]
MACHINE_LEARNING = ("tensorflow", "keras", "ai_edge_litert", "jax")
"""What the core install goes without: training, conversion and measurement come with the `ml`
extra."""


def run_without(
    modules: tuple[str, ...], code: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Python `code` in a new process (and its children) where `modules` are unimportable."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([str(HOOK_DIR), str(REPO)])
    environment["THESISLAB_UNIMPORTABLE"] = ",".join(modules)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=600,
        check=False,
    )
