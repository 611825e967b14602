"""The package's errors: each carries one line that says what is wrong and what to do."""


class HopcapError(Exception):
    """Base of the errors raised by the hopcap package."""


class RunFileError(HopcapError):
    """A results file that cannot be read, or lacks what was asked of it."""


class BinaryNotFound(HopcapError):
    """No hopcap program where it was looked for."""


class BoundsUnavailable(HopcapError):
    """The hopcap program has no `bounds` command, or the command failed."""


class FigureSkipped(HopcapError):
    """The file lacks the data for a figure; the message says what is missing."""
