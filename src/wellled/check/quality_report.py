"""The data-quality report for the analyst: ``data-quality.json`` and a self-contained ``data-quality.html``.

Every value that comes from the data is escaped; the page loads nothing from anywhere.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wellled.paths import Paths

if TYPE_CHECKING:
    from wellled.check.quarantine import Parts

SHOWN_QUARANTINE_ROWS = 500

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:72rem;
margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.meta{color:#57606a} table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#a40e26;font-weight:600} .ok{color:#116329} .banner{padding:.6rem 1rem;border-radius:6px;margin:1rem 0}
.banner.bad{background:#ffebe9} .banner.ok{background:#dafbe1} code{font-size:.9em}
"""


def as_json(files, flags) -> dict:
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": [
            {
                "file": f.file,
                "dataset": f.dataset,
                "rows_read": f.rows_read,
                "rows_clean": f.rows_clean,
                "rows_quarantined": f.rows_quarantined,
                "blocking_error": f.blocking_error,
            }
            for f in files
        ],
        "flags": [flag.as_dict() for flag in flags],
    }


QUARANTINE_NAME = "quarantine.csv"


def _rejected_files(files) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source_file": f.file,
                "source_line": 0,
                "column": "",
                "rule_id": "file.rejected",
                "rule": f.blocking_error,
                "outcome": "file rejected",
            }
            for f in files
            if f.blocking_error
        ]
    )


def _write_listing(path: Path, files, quarantine: Parts, rejected: bool) -> None:
    """This run's quarantine list: one row per rejected file, then every row or value held back, written a part
    at a time (temp file, then rename).

    ``run`` says on every row whether the run was rejected (clean data not updated) or accepted.
    """
    run = "rejected: clean data not updated" if rejected else "accepted"
    head = _rejected_files(files)
    empty = quarantine.empty()
    columns = ["run", *head.columns, *(c for c in empty.columns if c not in head.columns)]
    if head.empty:
        columns = ["run", *empty.columns]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as out:
        pd.DataFrame(columns=columns).to_csv(out, index=False)
        for batch in itertools.chain([head], quarantine.batches()):
            if len(batch):
                batch = batch.reindex(columns=columns[1:])
                batch.insert(0, "run", run)
                _csv_safe(batch).to_csv(out, index=False, header=False)
    os.replace(temporary, path)


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR) is quoted with a leading apostrophe."""
    return quote_formulas(frame, ("=", "+", "-", "@", "\t", "\r"))


def quote_formulas(frame: pd.DataFrame, starts: tuple[str, ...]) -> pd.DataFrame:
    """A copy of the frame with text cells starting with one of ``starts`` given a leading apostrophe."""
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        try:
            first = out[column].str[:1]
        except AttributeError:  # no text in the column
            continue
        risky = first.isin(starts).to_numpy(dtype=bool)
        if risky.any():
            out.loc[risky, column] = "'" + out.loc[risky, column]
    return out


def write(
    paths: Paths, files, flags, quarantine: Parts, rejected: bool = False, shown: int = SHOWN_QUARANTINE_ROWS
) -> Path:
    """Write the page, its JSON and this run's quarantine list atomically (temp file, then rename).

    Returns the HTML path. The quarantine list beside the page is rewritten on every run, a rejected one too;
    the page lists its first ``shown`` entries and counts every entry by rule.
    """
    folder = paths.data_quality_dir
    folder.mkdir(parents=True, exist_ok=True)
    _write_listing(folder / QUARANTINE_NAME, files, quarantine, rejected)
    report = as_json(files, flags)
    _write_atomic(folder / "data-quality.json", json.dumps(report, indent=2) + "\n")
    target = folder / "data-quality.html"
    _write_atomic(target, render_html(report, quarantine.by_rule(), quarantine.head(shown), quarantine.count))
    return target


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _e(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else html.escape(str(value))


def render_html(report: dict, by_rule: list[tuple[str, str, str, int]], first: pd.DataFrame, entries: int) -> str:
    files, flags = report["files"], report["flags"]
    blocking = [f for f in files if f["blocking_error"]]
    read = sum(f["rows_read"] for f in files)
    held = sum(f["rows_quarantined"] for f in files)
    banner = (
        f'<p class="banner bad">{len(blocking)} file(s) rejected: clean data was not updated. Fix the files '
        "below and run the check again.</p>"
        if blocking
        else f'<p class="banner ok">All files accepted. {read - held} of {read} rows are clean; '
        f"{held} held in quarantine.</p>"
    )
    rows = "".join(
        f"<tr><td><code>{_e(f['file'])}</code></td><td>{_e(f['dataset'])}</td><td class=n>{f['rows_read']}</td>"
        f"<td class=n>{f['rows_clean']}</td><td class=n>{f['rows_quarantined']}</td>"
        f"<td class={'bad' if f['blocking_error'] else 'ok'}>{_e(f['blocking_error']) or 'accepted'}</td></tr>"
        for f in files
    )
    flag_rows = (
        "".join(
            f"<tr><td><code>{_e(f['file'])}</code></td><td>{_e(f['kind'])}</td><td>{_e(f['message'])}</td></tr>"
            for f in flags
        )
        or "<tr><td colspan=3>No flags.</td></tr>"
    )
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        "<title>Data quality: wellled check</title><style>",
        STYLE,
        "</style></head><body>",
        "<h1>Data quality</h1>",
        f"<p class=meta>wellled check, {_e(report['generated_at'])}. Rows read = rows clean + rows quarantined, "
        "for every file.</p>",
        banner,
        "<h2>Flags</h2><p class=meta>Worth a look; they do not stop the run unless --strict is on.</p>",
        f"<table><thead><tr><th>file</th><th>kind</th><th>message</th></tr></thead><tbody>{flag_rows}</tbody></table>",
        _quarantine_summary_html(by_rule),
        "<h2>Files</h2><table><thead><tr><th>file</th><th>dataset</th><th>read</th><th>clean</th>"
        f"<th>quarantined</th><th>outcome</th></tr></thead><tbody>{rows}</tbody></table>",
        _quarantine_rows_html(first, entries),
        "</body></html>",
    ]
    return "".join(parts)


def _quarantine_summary_html(by_rule: list[tuple[str, str, str, int]]) -> str:
    if not by_rule:
        return "<h2>Quarantine</h2><p>No rows were quarantined.</p>"
    summary = "".join(
        f"<tr><td><code>{_e(file)}</code></td><td><code>{_e(column)}</code></td><td>{_e(rule)}</td>"
        f"<td class=n>{rows}</td></tr>"
        for file, column, rule, rows in by_rule
    )
    return (
        "<h2>Quarantine by rule</h2><table><thead><tr><th>file</th><th>column</th><th>rule</th><th>rows</th></tr>"
        f"</thead><tbody>{summary}</tbody></table>"
    )


def _quarantine_rows_html(shown: pd.DataFrame, entries: int) -> str:
    if not entries:
        return ""
    detail = "".join(
        f"<tr><td><code>{_e(r.source_file)}</code></td><td class=n>{r.source_line}</td>"
        f"<td><code>{_e(r.column)}</code></td><td>{_e(r.rule)}</td><td>{_e(getattr(r, 'outcome', ''))}</td>"
        f"<td><code>{_e(r.value)}</code></td></tr>"
        for r in shown.itertuples()
    )
    title = f": the first {len(shown):,} of {entries:,}" if entries > len(shown) else ""
    more = (
        f"<p class=meta>Showing the first {len(shown):,} of {entries:,}; all are in {QUARANTINE_NAME} beside this "
        "page (how many are shown: [limits] page_quarantine_entries in wellled.toml).</p>"
        if entries > len(shown)
        else ""
    )
    return (
        f"<h2>Quarantined rows{title}</h2>"
        "<p class=meta>Line numbers as in the file (header = line 1). Comment text is "
        "never copied here; other values are shown only when short and not personal.</p><table><thead><tr>"
        "<th>file</th><th>line</th><th>column</th><th>rule</th><th>outcome</th>"
        f"<th>value</th></tr></thead><tbody>{detail}</tbody></table>{more}"
    )
