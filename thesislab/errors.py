"""The one exception type the command line turns into a one-line error message."""


class ThesislabError(Exception):
    """A failure the user can act on: bad input, a missing file, an unreachable device.

    The message is a single line that says what was expected and what was received.
    """
