"""The one base class of the failures a user can fix.

Bad input, bad parameters, a report year not in the data, an analysis the
data cannot support: each stage raises a subclass of :class:`UserError` with a
message that says what to change, and the command line prints that message and
exits 2 without a traceback. Anything else is a bug and keeps its traceback.
Having one base here (rather than the CLI importing every module's error) also
keeps each stage's imports - and so its DVC dependencies - to what it runs.
"""

from __future__ import annotations


class UserError(Exception):
    """A run stops for a reason the user can fix; the message says which."""


class StageError(UserError, RuntimeError):
    """A stage cannot run on this input/params combination; the message says why."""
