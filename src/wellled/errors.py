"""The wellled error hierarchy. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class WellledError(Exception):
    """Base of every error wellled reports to a user. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where

    def __str__(self) -> str:
        location = ", ".join(part for part in (self.file, self.where) if part)
        return f"{location}: {self.message}" if location else self.message


class UsageError(WellledError):
    """Bad usage or parameter: an unknown home, a malformed period, a missing option (exit 2)."""

    exit_code = 2


class DataError(WellledError):
    """A blocking data problem: a file that cannot be read or must be rejected whole (exit 1)."""


class RunError(WellledError):
    """A run that failed for a reason other than the data: a notebook cell, a renderer (exit 1)."""
