"""Assessment frameworks as data: the themes a report is organised by, read from TOML or JSON files.

Public API:

- :func:`load_framework` ``(name_or_path) -> Framework``: a built-in name (:data:`BUILTIN_FRAMEWORKS`) or a
  path to a ``.toml``/``.json`` file of the same shape as ``src/wellled/frameworks/*.toml``.
- :class:`Framework` and :class:`Theme`: frozen descriptions of the themes (id, label, text, keywords).
- :func:`assign_themes` ``(frame, framework, id_column) -> Series``: the theme id of each question or audit row.

A malformed file, or one that names a theme it does not define, raises :class:`~wellled.errors.UsageError`.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from wellled.errors import UsageError, shorten
from wellled.paths import FRAMEWORKS_DIR

DEFAULT_FRAMEWORK = "cqc-kloe-2017"
BUILTIN_FRAMEWORKS = ("cqc-kloe-2017", "cqc-saf-2024")
KLOE_IDS = ("W1", "W2", "W3", "W4", "W5")
THEME_SOURCES = ("kloe", "quality_statement")
THEME_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_TOP_KEYS = {"id", "name", "description", "theme_source", "text_label", "kloe_fallback", "themes"}
_THEME_KEYS = {"id", "label", "text", "good", "outstanding", "keywords"}


@dataclass(frozen=True)
class Theme:
    """One theme: a KLOE (``W1``) or a quality statement (``freedom-to-speak-up``)."""

    id: str
    label: str
    text: str
    good: str | None = None
    outstanding: str | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    """A framework: its themes in report order and how data rows map to them."""

    id: str
    name: str
    theme_source: str
    themes: tuple[Theme, ...]
    description: str = ""
    text_label: str = "Theme"
    kloe_fallback: Mapping[str, str] = field(default_factory=dict, hash=False)
    sha256: str = ""

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id; an unknown id is a UsageError naming the known ones."""
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise UsageError(f"framework {self.id} has no theme {theme_id!r}; its themes are {', '.join(self.theme_ids)}")


def load_framework(name_or_path: str | Path = DEFAULT_FRAMEWORK) -> Framework:
    """Read a built-in framework by name, or a framework file by path.

    >>> load_framework("cqc-kloe-2017").theme("W3").label
    'Involvement'
    """
    text = str(name_or_path)
    if text in BUILTIN_FRAMEWORKS:
        path = FRAMEWORKS_DIR / f"{text}.toml"
    else:
        path = Path(text)
        try:
            is_file = path.is_file()
        except (OSError, ValueError):  # a name too long for a path, or holding a NUL
            is_file = False
        if not is_file:
            raise UsageError(
                f"unknown framework {shorten(repr(text))}: give one of {', '.join(BUILTIN_FRAMEWORKS)} "
                "or the path to a .toml or .json framework file"
            )
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(data.decode("utf-8"))
        else:
            raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"framework file is not valid {_kind(path)}: {error}", file=str(path)) from None
    except RecursionError:
        raise UsageError(f"framework file is nested too deeply for {_kind(path)}", file=str(path)) from None
    try:
        framework = parse_framework(raw)
    except UsageError as error:
        raise UsageError(error.message, file=str(path)) from None
    return replace(framework, sha256=hashlib.sha256(data).hexdigest())


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "TOML"


def parse_framework(raw: Any) -> Framework:
    """Validate a framework read from TOML or JSON and build it; any fault is a one-line UsageError."""
    if not isinstance(raw, dict):
        raise UsageError("a framework must be a table of keys")
    _no_unknown_keys(raw, _TOP_KEYS, "framework")
    framework_id = _text(raw, "id", "framework")
    where = f"framework {framework_id}"
    source = _text(raw, "theme_source", where)
    if source not in THEME_SOURCES:
        raise UsageError(f"{where}: theme_source must be one of {', '.join(THEME_SOURCES)}, not {source!r}")
    themes_raw = raw.get("themes")
    if not isinstance(themes_raw, list) or not themes_raw:
        raise UsageError(f"{where}: `themes` must be a non-empty list of tables")
    themes = tuple(_parse_theme(item, index, where) for index, item in enumerate(themes_raw, start=1))
    ids = [theme.id for theme in themes]
    duplicates = sorted({theme_id for theme_id in ids if ids.count(theme_id) > 1})
    if duplicates:
        raise UsageError(f"{where}: theme id {duplicates[0]!r} appears more than once")
    fallback = raw.get("kloe_fallback", {})
    if not isinstance(fallback, dict) or not all(isinstance(v, str) for v in fallback.values()):
        raise UsageError(f"{where}: kloe_fallback must map KLOE ids to theme ids")
    if source == "kloe":
        unknown = [theme_id for theme_id in ids if theme_id not in KLOE_IDS]
        if unknown:
            raise UsageError(f"{where}: theme {unknown[0]!r} is not a key line of enquiry ({', '.join(KLOE_IDS)})")
        if fallback:
            raise UsageError(f"{where}: kloe_fallback applies only when theme_source is quality_statement")
    else:
        missing = [kloe for kloe in KLOE_IDS if kloe not in fallback]
        if missing:
            raise UsageError(f"{where}: kloe_fallback has no theme for {', '.join(missing)}")
        for kloe, theme_id in fallback.items():
            if kloe not in KLOE_IDS:
                raise UsageError(f"{where}: kloe_fallback names {kloe!r}, which is not one of W1..W5")
            if theme_id not in ids:
                raise UsageError(f"{where}: kloe_fallback {kloe} names unknown theme {theme_id!r}")
    return Framework(
        id=framework_id,
        name=_text(raw, "name", where),
        theme_source=source,
        themes=themes,
        description=_text(raw, "description", where, required=False) or "",
        text_label=_text(raw, "text_label", where, required=False) or "Theme",
        kloe_fallback=dict(fallback),
    )


def _parse_theme(item: Any, index: int, where: str) -> Theme:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: theme {index} must be a table")
    _no_unknown_keys(item, _THEME_KEYS, f"{where}, theme {index}")
    theme_id = _text(item, "id", f"{where}, theme {index}")
    if not THEME_ID_PATTERN.match(theme_id):
        raise UsageError(f"{where}: theme id {theme_id!r} must be letters, digits and hyphens")
    here = f"{where}, theme {theme_id}"
    keywords = item.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
        raise UsageError(f"{here}: keywords must be a list of non-empty strings")
    return Theme(
        id=theme_id,
        label=_text(item, "label", here),
        text=_text(item, "text", here),
        good=_text(item, "good", here, required=False),
        outstanding=_text(item, "outstanding", here, required=False),
        keywords=tuple(k.strip() for k in keywords),
    )


@overload
def _text(table: dict, key: str, where: str, required: Literal[True] = True) -> str: ...
@overload
def _text(table: dict, key: str, where: str, required: bool) -> str | None: ...
def _text(table: dict, key: str, where: str, required: bool = True) -> str | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: `{key}` must be a non-empty string")
    return value.strip()


def _no_unknown_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def assign_themes(frame: pd.DataFrame, framework: Framework, id_column: str) -> pd.Series:
    """The theme id of each row of a question bank or audit frame (columns ``kloe``, ``quality_statement``).

    KLOE frameworks use ``kloe``; quality-statement frameworks use ``quality_statement`` where present and
    otherwise ``kloe_fallback[kloe]``. A row that maps to no theme of the framework is a UsageError.

    >>> bank = pd.DataFrame({"question_id": ["q1", "q2"], "kloe": ["W3", "W3"],
    ...                      "quality_statement": [None, "workforce-edi"]})
    >>> assign_themes(bank, load_framework("cqc-saf-2024"), "question_id").tolist()
    ['freedom-to-speak-up', 'workforce-edi']
    """
    kloe = frame["kloe"].astype("string")
    if framework.theme_source == "kloe":
        themes = kloe
    else:
        fallback = kloe.map(dict(framework.kloe_fallback)).astype("string")
        statement = frame.get("quality_statement")
        if statement is None:
            themes = fallback
        else:
            statement = statement.astype("string").str.strip().replace("", pd.NA)
            themes = statement.fillna(fallback)
    known = themes.isin(framework.theme_ids).fillna(False).astype(bool)
    if not known.all():
        row = frame.loc[~known].iloc[0]
        found = themes.loc[~known].iloc[0]
        label = "no theme" if pd.isna(found) else f"theme {found!r}"
        raise UsageError(
            f"{id_column} {row[id_column]!r} maps to {label}, which framework {framework.id} does not define "
            f"(its themes: {', '.join(framework.theme_ids)})"
        )
    return themes.astype(str).rename("theme_id")
