"""``python -m thesislab.train``: the `thesislab train` command on its own."""

import typer

from thesislab.train.cli import train

typer.run(train)
