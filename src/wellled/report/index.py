"""``REPORTS/index.html``: every quarter's provider overview and home reports, newest quarter first.

Public API: :func:`find_reports` (what is on disk), :func:`index_html` (the page), :func:`write_index`.
A report made only as PDF is listed by its PDF; an internal review's (``--allow-small-numbers``) is marked
NOT FOR PUBLICATION. Names are shown literally, without characters that would reorder them.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from urllib.parse import quote

from wellled.paths import OVERVIEW_FOLDER, OVERVIEW_STEM, REPORT_STEM, Paths
from wellled.periods import parse_period
from wellled.report.home_names import display_name, shared_names
from wellled.report.present import plain


def _is_period(name: str) -> bool:
    try:
        parse_period(name)
    except Exception:
        return False
    return True


def find_reports(paths: Paths) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    """period -> {"overview": [(framework, label, path)], "homes": [(framework, home name, path)]}; a name two
    homes share is shown as ``Name (home-id)`` in every quarter (:mod:`wellled.report.home_names`)."""
    found: dict[str, dict[str, list]] = {}
    homes: list[tuple[str, ...]] = []  # (period, framework, home id, name, mark, link): named once all are found
    root = paths.reports
    if not root.is_dir():
        return found
    for html_file in sorted(root.glob("*/*/**/*.html")) + sorted(root.glob("*/*/**/*.pdf")):
        parts = html_file.relative_to(root).parts
        if parts[0].startswith(".") or not _is_period(parts[1]) or len(parts) > 4:
            continue
        if html_file.suffix == ".pdf" and html_file.with_suffix(".html").is_file():
            continue  # the HTML is listed; a report made as PDF only is listed by its PDF
        framework = parts[2] if len(parts) == 4 else ""
        link = quote(html_file.relative_to(root).as_posix())
        entry = found.setdefault(parts[1], {"overview": [], "homes": []})
        if parts[0] == OVERVIEW_FOLDER and html_file.stem == OVERVIEW_STEM:
            data = _json(html_file.parent / "overview.json")
            entry["overview"].append((framework, "Provider overview" + _marked(data), link))
        elif html_file.stem == REPORT_STEM:
            data = _json(html_file.parent / "summary.json")
            name = plain(data.get("home_name") or "") or parts[0]
            homes.append((parts[1], framework, parts[0], name, _marked(data), link))
    shared = shared_names((home_id, name) for _, _, home_id, name, _, _ in homes)
    for period, framework, home_id, name, marked, link in homes:
        found[period]["homes"].append((framework, plain(display_name(home_id, name, shared)) + marked, link))
    return found


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _marked(data: dict) -> str:
    """' (NOT FOR PUBLICATION)' for a report made with small numbers (an internal review), else ''."""
    return " (NOT FOR PUBLICATION)" if data.get("not_for_publication") else ""


def index_html(found: dict[str, dict[str, list[tuple[str, str, str]]]]) -> str:
    """A self-contained page listing every quarter's overview and home reports, newest quarter first."""
    out = [
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Well-led reports</title><style>body{font-family:system-ui,sans-serif;max-width:52rem;",
        "margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}h2{border-bottom:1px solid #ccc}",
        "ul{columns:2}li{break-inside:avoid}.fw{color:#555;font-size:.9em}</style></head><body>",
        "<h1>Well-led reports</h1>",
        "<p>Indicative ratings from the provider's own survey and audit data. Only CQC rates a service.</p>",
    ]
    if not found:
        out.append("<p>No reports yet: run <code>wellled reports</code>.</p>")
    for period in sorted(found, key=parse_period, reverse=True):
        entry = found[period]
        out.append(f"<h2>{html.escape(period)}</h2>")
        for framework, label, link in entry["overview"]:
            extra = f' <span class="fw">({html.escape(framework)})</span>' if framework else ""
            out.append(f'<p><strong><a href="{html.escape(link)}">{html.escape(label)}</a></strong>{extra}</p>')
        if entry["homes"]:
            out.append("<ul>")
            for framework, name, link in sorted(entry["homes"], key=lambda h: (h[1].lower(), h[0])):
                extra = f' <span class="fw">({html.escape(framework)})</span>' if framework else ""
                out.append(f'<li><a href="{html.escape(link)}">{html.escape(name)}</a>{extra}</li>')
            out.append("</ul>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_index(paths: Paths) -> Path:
    """Write ``REPORTS/index.html`` from the reports on disk, replacing it atomically."""
    paths.reports.mkdir(parents=True, exist_ok=True)
    temporary = paths.index_file.with_suffix(".html.tmp")
    temporary.write_text(index_html(find_reports(paths)), encoding="utf-8")
    os.replace(temporary, paths.index_file)
    return paths.index_file
