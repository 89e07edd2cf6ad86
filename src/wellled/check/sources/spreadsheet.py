"""A plain spreadsheet keyed by hand: the contract's own column names (or their aliases), no tool metadata."""

from wellled.check.sources.adapter import Source

SOURCE = Source(name="spreadsheet", title="plain spreadsheet", signature=frozenset())
