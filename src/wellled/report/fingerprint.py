"""Fingerprints of a report's inputs, recorded beside it, so that ``wellled reports`` skips a home whose report
would come out the same.

Public API: :func:`inputs_key` (one digest of every input of every report), :func:`fingerprints` (per home:
the digests of what its report shows), :func:`recorded_fingerprint`, :func:`same_inputs`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from wellled.analysis.clean_data import CleanData
    from wellled.analysis.framework import Framework
    from wellled.paths import Paths
    from wellled.report.options import ReportOptions

FINGERPRINT_FILE = "fingerprint.json"


def _row_hashes(frame: pd.DataFrame) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype="uint64")
    return pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)


def _digest_by(frame: pd.DataFrame, key: str) -> dict[str, str]:
    """sha256 of the rows of each value of ``key`` (row order kept), computed in one pass over ``frame``."""
    if frame.empty or key not in frame:
        return {}
    hashes = _row_hashes(frame)
    out = {}
    for value, rows in hashes.groupby(frame[key].astype(str).to_numpy(), sort=False):
        out[value] = hashlib.sha256(rows.to_numpy().tobytes()).hexdigest()
    return out


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(_row_hashes(frame).to_numpy().tobytes()).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def fingerprints(
    paths: Paths,
    clean: CleanData,
    figures: pd.DataFrame,
    chosen: dict[str, str],
    framework: Framework,
    options: ReportOptions,
) -> dict[str, dict]:
    """Per home: digests of every input its report shows, so an unchanged home can be skipped.

    The home's rows of every clean table and of the quarantine, the theme figures of every home in the
    report's quarter (its funnel plots) and of this home in every quarter (its trends), the notebook, the
    framework, the wellled version and the parameters.
    """
    from wellled import __version__

    tables = {name: _digest_by(getattr(clean, name), "home_id") for name in ("homes", "responses", "answers", "audits")}
    quarantine_file = paths.quarantine_dir / "quarantine.parquet"
    quarantine = pd.read_parquet(quarantine_file) if quarantine_file.is_file() else pd.DataFrame()
    tables["quarantine"] = _digest_by(quarantine, "home_id")
    own = _digest_by(figures, "home_id")
    by_period = _digest_by(figures, "period")
    common = {
        "wellled": __version__,
        "notebook": file_digest(Path(options.notebook)),
        "framework": {"id": framework.id, "sha256": framework.sha256},
        "questions": _digest(clean.questions),
        "redact_names": hashlib.sha256("\n".join(clean.redact_names).encode()).hexdigest(),
        "parameters": {
            "min_respondents": options.min_respondents,
            "formats": list(options.formats),
            "renderer": options.renderer,
        },
    }
    return {
        home: {
            **common,
            "home_id": home,
            "period": period,
            "clean": {name: digests.get(home, "") for name, digests in tables.items()},
            "figures_home": own.get(home, ""),
            "figures_period": by_period.get(period, ""),
        }
        for home, period in chosen.items()
    }


def recorded_fingerprint(folder: Path) -> dict | None:
    try:
        return json.loads((folder / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def inputs_key(paths: Paths, clean: CleanData, framework: Framework, options: ReportOptions) -> str:
    """One digest of every input of every report (clean tables, quarantine, names to redact, notebook,
    framework, version, parameters): equal to the one recorded beside a report means nothing changed."""
    from wellled import __version__

    parts = {
        "clean": sorted(clean.input_sha256.items()),
        "quarantine": file_digest(paths.quarantine_dir / "quarantine.parquet"),
        "redact_names": list(clean.redact_names),
        "notebook": file_digest(Path(options.notebook)),
        "framework": [framework.id, framework.sha256],
        "wellled": __version__,
        "parameters": [options.min_respondents, list(options.formats), options.renderer],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def same_inputs(recorded: dict | None, fingerprint: dict) -> bool:
    """The detailed fingerprints agree (the cheap ``inputs`` key aside)."""
    if recorded is None:
        return False
    return {k: v for k, v in recorded.items() if k != "inputs"} == {
        k: v for k, v in fingerprint.items() if k != "inputs"
    }
