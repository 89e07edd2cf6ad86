"""The provider's import settings: ``data/raw/wellled.toml`` over the package defaults (``defaults.toml``).

Every vocabulary maps a label, compared after :func:`fold`, to the contract's value. An unknown label is not
guessed: the row rule names the configuration key that would map it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellled.errors import DataError

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
CONFIG_NAME = "wellled.toml"
DATE_ORDERS = ("day-first", "month-first")
MEGABYTE = 1 << 20


def fold(text: object) -> str:
    """Lower case, curly quotes straightened, runs of white space as one space, trimmed."""
    text = str(text).replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).lower()


def fold_key(text: object) -> str:
    """A home id or name compared loosely: case, spaces, hyphens and underscores alike."""
    return re.sub(r"[\s_\-]+", "-", fold(text)).strip("-")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_rows: int
    max_xlsx_cells: int
    max_xlsx_uncompressed_bytes: int
    max_quoted_field_lines: int
    max_cell_characters: int
    chunk_rows: int = 50_000
    max_line_characters: int = 4_000_000
    page_quarantine_entries: int = 500


@dataclass(frozen=True)
class Config:
    """Import settings after merging; ``source`` says where they came from (for messages)."""

    date_order: str
    answers: dict[str, int]
    non_answers: frozenset[str]
    audit_results: dict[str, str]
    priorities: dict[str, str]
    respondent_groups: dict[str, str]
    homes: dict[str, str]
    columns: dict[str, tuple[str, ...]]
    identity_columns: frozenset[str]
    limits: Limits
    source: str = "package defaults"
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise DataError(f"[{key}] must be a table of label = value", file=where)
    return value


def _vocabulary(data: dict[str, Any], key: str, allowed: set | None, where: str) -> dict[str, Any]:
    out = {}
    for label, value in _table(data, key, where).items():
        if allowed is not None and value not in allowed:
            shown = ", ".join(sorted(map(str, allowed)))
            raise DataError(f"[{key}] maps {label!r} to {value!r}, which is not one of {shown}", file=where)
        out[fold(label)] = value
    return out


def load(raw_folder: Path | None = None) -> Config:
    """The defaults, overridden key by key by ``RAW/wellled.toml`` when it exists."""
    data = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    source = "package defaults"
    provider = raw_folder / CONFIG_NAME if raw_folder else None
    if provider and provider.is_file() and not provider.is_symlink():
        try:
            data = _merge(data, tomllib.loads(provider.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise DataError(f"not a readable TOML file ({error})", file=CONFIG_NAME) from None
        source = CONFIG_NAME
    return build(data, source)


def build(data: dict[str, Any], source: str = "package defaults") -> Config:
    where = CONFIG_NAME
    order = str(_table(data, "dates", where).get("order", "day-first"))
    if order not in DATE_ORDERS:
        raise DataError(f"dates.order is {order!r}; it must be 'day-first' or 'month-first'", file=where)
    columns = {}
    for label, target in _table(data, "columns", where).items():
        columns[fold(label)] = tuple(target) if isinstance(target, list) else (str(target),)
    limits = _table(data, "limits", where)
    try:
        built_limits = Limits(
            max_file_bytes=int(limits["max_file_megabytes"]) * MEGABYTE,
            max_rows=int(limits["max_rows"]),
            max_xlsx_cells=int(limits["max_xlsx_cells"]),
            max_xlsx_uncompressed_bytes=int(limits["max_xlsx_uncompressed_megabytes"]) * MEGABYTE,
            max_quoted_field_lines=int(limits["max_quoted_field_lines"]),
            max_cell_characters=int(limits["max_cell_characters"]),
            chunk_rows=max(1, int(limits["chunk_rows"])),
            max_line_characters=int(limits["max_line_characters"]),
            page_quarantine_entries=max(0, int(limits["page_quarantine_entries"])),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"[limits] is incomplete or not numbers ({error})", file=where) from None
    return Config(
        date_order=order,
        answers=_vocabulary(data, "answers", {1, 2, 3, 4, 5}, where),
        non_answers=frozenset(fold(x) for x in _table(data, "non_answers", where).get("labels", [])),
        audit_results=_vocabulary(data, "audit_results", {"Met", "Partially met", "Not met", "N/A"}, where),
        priorities=_vocabulary(data, "priorities", {"high", "medium", "low"}, where),
        respondent_groups=_vocabulary(
            data, "respondent_groups", {"staff", "resident", "family", "professional"}, where
        ),
        homes={fold_key(k): str(v) for k, v in _table(data, "homes", where).items()},
        columns=columns,
        identity_columns=frozenset(fold(x) for x in _table(data, "identity", where).get("columns", [])),
        limits=built_limits,
        source=source,
        raw=data,
    )


DEFAULT = load()
