"""Errors a user can act on.

The CLI prints an ``AffectError`` as one line and exits with code 2, with no traceback,
so every message must say which file is at fault and what to do about it.
"""


class AffectError(Exception):
    """A failure caused by input or set-up, not by a bug."""


class InputError(AffectError):
    """A clip, manifest or text input that cannot be used."""


class ModelError(AffectError):
    """A model folder or bundled weight file that cannot be loaded."""
