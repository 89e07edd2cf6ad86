"""Escaping helpers, importable as ``wellled.present`` for notebook authors: see :mod:`wellled.report.present`."""

from wellled.report.present import md, pct, table, text

__all__ = ["md", "pct", "table", "text"]
