"""The one exception type the command line turns into a one-line error message."""

import pydantic


class ThesislabError(Exception):
    """A failure the user can act on: bad input, a missing file, an unreachable device.

    The message is a single line that says what was expected and what was received.
    """


def validation_message(error: pydantic.ValidationError) -> str:
    """The first problem of a pydantic validation error, on one line: which field, what was
    expected, what was received."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    expected = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return f"field '{location}': {expected} (received {shown(first.get('input'))})"


def shown(value: object) -> str:
    """A value as an error quotes what it received: short, on one line."""
    text = "an object" if isinstance(value, dict) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
