"""The wellled error hierarchy. The CLI turns each into a one-line message and an exit code."""

from __future__ import annotations

import re

MESSAGE_LIMIT = 1000
# C0 and C1 controls and the bidirectional marks, embeddings, overrides and isolates (U+202E reverses text)
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shorten(value: object, limit: int = 120) -> str:
    """``value`` as text of at most about ``limit`` characters, saying how much was cut.

    >>> shorten("x" * 500, 10)
    'xxxxxxxxxx... (490 more characters)'
    """
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def printable(text: str) -> str:
    r"""``text`` with control characters and bidirectional controls shown as escapes, on one line.

    >>> print(printable("ok\x1b[32m accepted\u202e\n"))
    ok\x1b[32m accepted\u202e\n
    """
    return UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


class WellledError(Exception):
    """Base of every error wellled reports to a user. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where

    def __str__(self) -> str:
        location = ", ".join(shorten(part, 300) for part in (self.file, self.where) if part)
        message = shorten(self.message, MESSAGE_LIMIT)
        return f"{location}: {message}" if location else message


class UsageError(WellledError):
    """Bad usage or parameter: an unknown home, a malformed period, a missing option (exit 2)."""

    exit_code = 2


class DataError(WellledError):
    """A blocking data problem: a file that cannot be read or must be rejected whole (exit 1)."""


class RunError(WellledError):
    """A run that failed for a reason other than the data: a notebook cell, a renderer (exit 1)."""
