"""``wellled report`` and ``wellled reports``: resolve what to report on, execute the notebook, publish.

Public API:

- :func:`run_home` ``(paths, home_id, *, period, framework, options) -> Report``: one home's report.
- :func:`run_all` ``(paths, *, period, framework, options, batch) -> list[Outcome]``: every home's (or those
  chosen), each at its latest quarter unless ``period``, in parallel and skipping unchanged homes; then the
  provider overview and ``REPORTS/index.html``; a table of outcomes, and a RunError if any home failed.
- :func:`needs_check` ``(paths) -> bool``: raw data changed since the last ``wellled check``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from pathlib import Path

from wellled.analysis import scope
from wellled.analysis.clean_data import CleanData, load_clean
from wellled.analysis.framework import Framework, load_framework
from wellled.check import clean_schema
from wellled.check.store import read_manifest
from wellled.errors import RunError, WellledError
from wellled.paths import OVERVIEW_STEM, PROVIDER_OVERVIEW_NOTEBOOK, Paths
from wellled.periods import parse_period
from wellled.report import batch as batching
from wellled.report import kept_figures
from wellled.report.execute import Report, execute
from wellled.report.kernel import WarmKernel, notebook_imports, started
from wellled.report.options import ReportOptions, notebook_parameters
from wellled.report.run_folder import run_folder


def needs_check(paths: Paths) -> bool:
    """True when DATA/clean is missing, of another schema version, or older than a file under DATA/raw."""
    manifest = read_manifest(paths)
    if not manifest or manifest.get("schema_version") != clean_schema.SCHEMA_VERSION:
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


def _publish_home(paths: Paths, chosen: scope.Scope, options: ReportOptions, kernel: WarmKernel) -> Report:
    figures_file = None
    if batching.declares(options.notebook, "figures_file"):
        figures_file = kept_figures.shared_figures(paths, clean_data(paths), load_framework(chosen.framework), options)
    parameters = notebook_parameters(chosen.home_id, chosen.period, chosen.framework, paths.data, options, figures_file)

    def ensure_summary(staging: Path) -> None:
        """The home report saves the summary it shows; any other notebook gets it written here."""
        if not (staging / "summary.json").exists():
            from wellled.analysis.summary import build_summary, to_json

            params = options.analysis_params()
            summary = build_summary(clean_data(paths), chosen.home_id, chosen.period, chosen.framework, params)
            (staging / "summary.json").write_text(to_json(summary), encoding="utf-8")

    return execute(
        options.notebook,
        paths.report_dir(chosen.home_id, chosen.period, load_framework(chosen.framework).id),
        parameters,
        formats=options.formats,
        renderer=options.renderer,
        before_publish=ensure_summary,
        timeout=options.time_limit,
        warm=kernel,
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
    kernel: WarmKernel | None = None,
) -> Report:
    """Execute and render the report of one home and quarter into ``paths.report_dir``.

    ``kernel``: one already started for ``options.notebook`` (:func:`wellled.report.kernel.started`); else
    one is started here, and imports what the notebook needs while the home is resolved.
    """
    options = options or ReportOptions()
    with contextlib.ExitStack() as stack:
        if kernel is None:
            kernel = stack.enter_context(started(options.notebook))
        _check_first(paths, options)
        chosen = scope.resolve(clean_data(paths), home_id, period, framework)
        report = _publish_home(paths, chosen, options, kernel)
    _announce(report, chosen)
    return report


def run_all(
    paths: Paths,
    *,
    period: str | None = None,
    framework: str | None = None,
    options: ReportOptions | None = None,
    batch: batching.BatchOptions | None = None,
) -> list[batching.Outcome]:
    """Every chosen home's report, then the provider overview and the index; failures are collected, not fatal."""
    options = options or ReportOptions()
    batch = batch or batching.BatchOptions()
    if batch.scheduler:
        batching.reach_scheduler(batch.scheduler)
    _check_first(paths, options)
    framework = scope.resolve_framework(framework)
    chosen = load_framework(framework)
    if period:
        parse_period(period)
    clean = clean_data(paths)
    kernel = WarmKernel(preload=notebook_imports(PROVIDER_OVERVIEW_NOTEBOOK))
    with run_folder(paths) as run_dir:
        try:  # when homes are rendered the overview is too: its kernel starts beside them, ready when they are done
            outcomes = batching.run_batch(
                paths,
                clean,
                chosen,
                framework,
                period,
                options,
                batch,
                run_dir,
                on_render=lambda: kernel.start(run_dir),
            )
            overview = _publish_overview(
                paths, clean, chosen, framework, period, outcomes, options, run_dir, kernel, force=batch.force
            )
        finally:
            kernel.close()
    from wellled.report import index

    index.write_index(paths)
    everything = [*outcomes, overview] if overview else outcomes
    print(batching.outcome_table(everything, paths.reports))
    print(f"index of every report: {paths.index_file}")
    failed = [o.home_id for o in everything if o.status == batching.FAILED]
    if failed:
        raise RunError(f"{len(failed)} of {len(everything)} reports failed: {', '.join(failed)}")
    return outcomes


def _publish_overview(
    paths: Paths,
    clean: CleanData,
    framework: Framework,
    framework_arg: str,
    period: str | None,
    outcomes: list[batching.Outcome],
    options: ReportOptions,
    run_dir: Path,
    kernel: WarmKernel,
    force: bool = False,
) -> batching.Outcome | None:
    """The provider overview of the run's quarter (the latest one reported on unless ``period``)."""
    periods = [o.period for o in outcomes if o.period and o.status != batching.FAILED]
    if not periods:
        return None
    quarter = period or max(periods, key=parse_period)
    name = "provider overview"
    folder = paths.overview_dir(quarter, framework.id)
    fingerprint = batching.overview_fingerprint(paths, clean, framework, quarter, outcomes, options)
    if not force and batching.recorded_fingerprint(folder) == fingerprint:
        return batching.Outcome(name, quarter, batching.SKIPPED, directory=str(folder))
    run_file = run_dir / "run.json"
    run_file.write_text(json.dumps([o.as_dict() for o in outcomes], indent=2), encoding="utf-8")
    parameters = {
        "period": quarter,
        "framework": framework_arg,
        "data_dir": str(paths.data.resolve()),
        "reports_dir": str(paths.reports.resolve()),
        "min_respondents": options.min_respondents,
        "figures_file": str(kept_figures.run_figures(paths, clean, framework, options, run_dir)),
        "run_file": str(run_file.resolve()),
    }
    if options.allow_small_numbers:
        parameters["allow_small_numbers"] = True

    def record(staging: Path) -> None:
        (staging / batching.FINGERPRINT_FILE).write_text(json.dumps(fingerprint, indent=2) + "\n", encoding="utf-8")

    try:
        report = execute(
            PROVIDER_OVERVIEW_NOTEBOOK,
            folder,
            parameters,
            formats=options.formats,
            renderer=options.renderer,
            stem=OVERVIEW_STEM,
            before_publish=record,
            timeout=options.time_limit,
            warm=kernel,
        )
    except WellledError as error:
        return batching.Outcome(name, quarter, batching.FAILED, error=str(error).splitlines()[0])
    return batching.Outcome(name, quarter, batching.DONE, report.seconds, str(report.directory))
