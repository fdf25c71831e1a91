"""The `thesislab` command with the stage functions replaced by the fakes of `fake_stages`, for
tests of `thesislab run` as a real process that trains nothing. Usage: fake_run.py ARGS...
(with the repository on PYTHONPATH).

Environment:
- FAKE_STAGE_S: seconds each job takes (default 0.02);
- FAKE_CALLS: a file each job appends "<job key> <process id>" to as it starts;
- FAKE_START_DIR: a folder; the process writes a file named by its id there once it is ready,
  and starts the command once the file `go` is there too (two processes then start at once).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.studies.fake_stages import FAKE_STAGES
from thesislab.cli import main
from thesislab.studies.stages import STAGE_FUNCTIONS

SECONDS = float(os.environ.get("FAKE_STAGE_S", "0.02"))

# a shell that starts the suite in the background leaves SIGINT ignored, and so would this
# process: Ctrl-C as a terminal sends it must reach the command
signal.signal(signal.SIGINT, signal.default_int_handler)


def slowed(stage):
    def run(job, inputs, results_dir):
        if "FAKE_CALLS" in os.environ:
            with Path(os.environ["FAKE_CALLS"]).open("a") as calls:
                calls.write(f"{job.key} {os.getpid()}\n")
        time.sleep(SECONDS)
        return stage(job, inputs, results_dir)

    return run


STAGE_FUNCTIONS.update({stage: slowed(function) for stage, function in FAKE_STAGES.items()})
if "FAKE_START_DIR" in os.environ:
    start = Path(os.environ["FAKE_START_DIR"])
    (start / str(os.getpid())).touch()
    while not (start / "go").exists():
        time.sleep(0.01)
main()
