"""``wellled report`` and ``wellled reports``: resolve what to report on, execute the notebook, publish.

Public API:

- :func:`run_home` ``(paths, home_id, *, period, framework, options) -> Report``: one home's report.
- :func:`run_all` ``(paths, *, period, framework, options) -> list[Report]``: every home's, each at its latest
  quarter unless ``period``; a RunError naming the homes that failed, after trying them all.
- :func:`needs_check` ``(paths) -> bool``: raw data changed since the last ``wellled check``.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from wellled.analysis import scope
from wellled.analysis.clean_data import CleanData, load_clean
from wellled.errors import RunError, UsageError, WellledError
from wellled.paths import HOME_REPORT_NOTEBOOK, Paths
from wellled.periods import parse_period
from wellled.report import render
from wellled.report.execute import Report, execute


@dataclass(frozen=True)
class ReportOptions:
    """How a report is made: formats, renderer, notebook, suppression threshold, and whether to check first."""

    formats: tuple[str, ...] = render.FORMATS
    renderer: str = "auto"
    notebook: Path = HOME_REPORT_NOTEBOOK
    min_respondents: int = 5
    check_if_changed: bool = False
    allow_small_numbers: bool = False
    time_limit: float = 600.0  # seconds any one notebook cell may run before the report is stopped

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", render.parse_formats(self.formats))
        render.resolve_renderer(self.renderer)
        if not self.time_limit > 0:
            raise UsageError(f"--time-limit must be a positive number of seconds, not {self.time_limit}")
        self.analysis_params()  # the suppression threshold and its floor

    def analysis_params(self):
        from wellled.analysis.themes import AnalysisParams

        return AnalysisParams(min_respondents=self.min_respondents, allow_small_numbers=self.allow_small_numbers)


def needs_check(paths: Paths) -> bool:
    """True when DATA/clean is missing or a file under DATA/raw is newer than its manifest."""
    if not paths.manifest.is_file():
        return True
    checked = paths.manifest.stat().st_mtime
    return any(p.is_file() and p.stat().st_mtime > checked for p in paths.raw.rglob("*"))


def _check_first(paths: Paths, options: ReportOptions) -> None:
    if not options.check_if_changed or not needs_check(paths):
        return
    from wellled.check import stage as check_stage

    print("wellled: raw data changed since the last check; running `wellled check` first", file=sys.stderr)
    check_stage.run(paths)


@functools.lru_cache(maxsize=2)
def _clean_data(paths: Paths, manifest_stamp: int) -> CleanData:
    """The clean tables, read once per data folder and check (``wellled reports`` asks for every home)."""
    return load_clean(paths)


def clean_data(paths: Paths) -> CleanData:
    stamp = paths.manifest.stat().st_mtime_ns if paths.manifest.exists() else 0
    return _clean_data(paths, stamp)


def _publish_home(paths: Paths, chosen: scope.Scope, options: ReportOptions) -> Report:
    parameters = {
        "home_id": chosen.home_id,
        "period": chosen.period,
        "framework": chosen.framework,
        "data_dir": str(paths.data.resolve()),
        "min_respondents": options.min_respondents,
        **({"allow_small_numbers": True} if options.allow_small_numbers else {}),
    }

    def ensure_summary(staging: Path) -> None:
        """The home report saves the summary it shows; any other notebook gets it written here."""
        if not (staging / "summary.json").exists():
            from wellled.analysis.summary import build_summary, to_json

            params = options.analysis_params()
            summary = build_summary(clean_data(paths), chosen.home_id, chosen.period, chosen.framework, params)
            (staging / "summary.json").write_text(to_json(summary), encoding="utf-8")

    return execute(
        options.notebook,
        paths.report_dir(chosen.home_id, chosen.period),
        parameters,
        formats=options.formats,
        renderer=options.renderer,
        before_publish=ensure_summary,
        timeout=options.time_limit,
    )


def _announce(report: Report, chosen: scope.Scope) -> None:
    names = ", ".join(path.name for path in report.files())
    print(f"{chosen.home_id} {chosen.period}: {report.directory}/ ({names}) in {report.seconds:.1f} s")


def run_home(
    paths: Paths,
    home_id: str | None,
    *,
    period: str | None = None,
    framework: str | None = None,
    options: ReportOptions | None = None,
) -> Report:
    """Execute and render the report of one home and quarter into ``paths.report_dir``."""
    options = options or ReportOptions()
    _check_first(paths, options)
    chosen = scope.resolve(clean_data(paths), home_id, period, framework)
    report = _publish_home(paths, chosen, options)
    _announce(report, chosen)
    return report


def run_all(
    paths: Paths,
    *,
    period: str | None = None,
    framework: str | None = None,
    options: ReportOptions | None = None,
) -> list[Report]:
    """Every home's report, each at its latest quarter unless ``period``; failures are collected, not fatal."""
    options = options or ReportOptions()
    _check_first(paths, options)
    framework = scope.resolve_framework(framework)
    if period:
        parse_period(period)
    clean = clean_data(paths)
    homes = scope.known_homes(clean)
    reports, failures = [], []
    for home_id in homes:
        try:
            chosen = scope.Scope(home_id, scope.resolve_period(clean, home_id, period), framework)
            report = _publish_home(paths, chosen, options)
        except WellledError as error:
            print(f"wellled: {home_id}: {error}", file=sys.stderr)
            failures.append(home_id)
            continue
        _announce(report, chosen)
        reports.append(report)
    if failures:
        raise RunError(f"{len(failures)} of {len(homes)} reports failed: {', '.join(failures)}")
    return reports
