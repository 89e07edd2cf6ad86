"""Source adapters: what each survey tool's export looks like, detected from its columns, never its name.

An adapter knows the tool's metadata columns: which become ``submitted_on`` and ``response_id``, which are
dropped with a note, and how many header rows the export has. A sidecar ``NAME.yml`` beside a file (or
``--source``) names the source and supplies what the export lacks: ``home``, ``respondent_group``,
``survey``, ``sheet``, ``date_order``.
"""

from __future__ import annotations

from pathlib import Path

from wellled.check.config import fold
from wellled.check.sources import google_forms, microsoft_forms, spreadsheet, surveymonkey
from wellled.check.sources.adapter import Source
from wellled.errors import DataError, UsageError

SIDECAR_KEYS = ("source", "home", "respondent_group", "survey", "sheet", "date_order")


def _by_name() -> dict[str, Source]:
    return {s.SOURCE.name: s.SOURCE for s in (microsoft_forms, google_forms, surveymonkey, spreadsheet)}


def names() -> list[str]:
    return list(_by_name())


def get(name: str) -> Source:
    sources = _by_name()
    if name not in sources:
        raise UsageError(f"unknown source {name!r}: one of {', '.join(sources)}")
    return sources[name]


def detect(columns: list[str], second_row: list[str] | None = None) -> Source:
    """The adapter whose signature columns the header has; a plain spreadsheet otherwise."""
    folded = {fold(c) for c in columns if c}
    for source in _by_name().values():
        if source.detect(folded):
            return source
    return get("spreadsheet")


def sidecar(path: Path) -> dict[str, str]:
    """``NAME.yml`` (or ``NAME.yaml``) beside a data file: a few ``key: value`` lines; {} when there is none."""
    import yaml

    for suffix in (".yml", ".yaml"):
        side = path.with_name(path.name + suffix)
        if not side.exists():
            side = path.with_suffix(suffix)
        if side.is_file() and not side.is_symlink():
            try:
                data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as error:
                raise DataError(f"the sidecar {side.name} is not readable YAML ({type(error).__name__})") from None
            if not isinstance(data, dict):
                raise DataError(f"the sidecar {side.name} must hold key: value lines")
            unknown = sorted(set(map(str, data)) - set(SIDECAR_KEYS))
            if unknown:
                raise DataError(
                    f"the sidecar {side.name} has unknown keys {', '.join(unknown)} (known: {', '.join(SIDECAR_KEYS)})"
                )
            return {str(k): str(v) for k, v in data.items() if v is not None}
    return {}
