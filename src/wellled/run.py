"""Execute a report notebook with Papermill and publish it, rendered, into its report folder all or nothing.

Public API:

- :func:`execute` ``(notebook, output_dir, parameters, *, formats, renderer, stem, before_publish, timeout)
  -> Report``: run, render and move into place; a failing run leaves the previous report untouched.
- :func:`known_homes` ``(paths) -> list[str]``, :func:`home_periods` ``(paths, home_id) -> list[str]``,
  :func:`default_period` ``(paths, home_id) -> str``: what ``wellled report`` accepts.
- :func:`needs_check` ``(paths) -> bool``: raw data changed since the last ``wellled check``.
- :func:`report_home` / :func:`main_report` / :func:`main_reports`: the ``report`` and ``reports`` commands.

A run works in ``REPORTS/HOME/PERIOD/.staging-*``: Papermill writes the executed notebook there (the kernel's
working folder, so files the notebook writes, such as ``summary.json``, are published with it), the renderer
writes HTML and PDF beside it, and only then is every file moved into ``REPORTS/HOME/PERIOD/``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellled import kernel, render
from wellled.config import HOME_REPORT_NOTEBOOK, QUARTO_CONFIG, REPORT_STEM, Paths, require_slug
from wellled.errors import DataError, RunError, UsageError, WellledError
from wellled.periods import parse_period


@dataclass(frozen=True)
class Report:
    """A published report: its folder, executed notebook, rendered files and the run's wall time."""

    directory: Path
    notebook: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0

    def files(self) -> list[Path]:
        return [self.notebook, *self.outputs.values()]


# --- execution ----------------------------------------------------------------------------------------


def _cell_label(source: str) -> str | None:
    match = re.search(r"^#\|\s*label:\s*['\"]?([^'\"\s]+)", source, re.MULTILINE)
    return match.group(1) if match else None


def _failed_cell(notebook: Path, error: Any) -> str:
    """Name a failed cell by its ``#| label:``, else by its position in the source notebook (1-based)."""
    source = getattr(error, "source", "") or ""
    label = _cell_label(source)
    if label:
        return f"'{label}'"
    try:
        import nbformat

        cells = nbformat.read(notebook, as_version=4).cells
        index = next(i for i, cell in enumerate(cells, 1) if cell.source == source)
        return f"{index} (of {len(cells)})"
    except (StopIteration, OSError, ValueError):
        return f"[{getattr(error, 'exec_count', '?')}]"


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _papermill(notebook: Path, executed: Path, parameters: Mapping[str, Any], cwd: Path,
               timeout: float | None) -> None:
    """Run the notebook in the ``wellled`` kernel; a RunError naming the cell if a cell fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = kernel.ensure_kernel()
    try:
        with kernel.kernel_search_path():
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=dict(parameters), kernel_name=name, language="python",
                progress_bar=False, log_output=False, cwd=str(cwd), request_save_on_cell_execute=False,
                execution_timeout=timeout,
            )
    except PapermillExecutionError as error:
        ours = {"UsageError": UsageError, "DataError": DataError}.get(error.ename)
        if ours is not None:  # the notebook judged the parameters or data as wellled does everywhere else
            raise ours(_first_line(error.evalue)) from None
        message = f"{error.ename}: {_first_line(error.evalue)}" if error.evalue else error.ename
        raise RunError(f"the notebook failed in cell {_failed_cell(notebook, error)}: {message}") from None
    except Exception as error:  # a kernel that died or never started, a timeout, an unreadable notebook
        raise RunError(f"the notebook could not be run: {type(error).__name__}: {_first_line(error)}") from None


def execute(
    notebook: str | Path,
    output_dir: str | Path,
    parameters: Mapping[str, Any],
    *,
    formats: Iterable[str] = render.FORMATS,
    renderer: str = "auto",
    stem: str = REPORT_STEM,
    before_publish: Callable[[Path], None] | None = None,
    timeout: float | None = None,
    project: Path | None = QUARTO_CONFIG,
) -> Report:
    """Execute ``notebook`` with ``parameters``, render it, and publish ``<stem>.ipynb/.html/.pdf`` in
    ``output_dir``. ``before_publish(staging_dir)`` may add files (e.g. ``summary.json``) to publish with them.

    On a failing cell: RunError naming the cell and error; the executed notebook is kept as
    ``<stem>.failed.ipynb`` and the previous report stays as it was.
    """
    notebook, output_dir = Path(notebook), Path(output_dir)
    wanted = render.parse_formats(formats)
    render.resolve_renderer(renderer)
    if not notebook.is_file():
        raise RunError(f"notebook not found: {notebook}")
    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    failed = output_dir / f"{stem}.failed.ipynb"
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=output_dir))
    try:
        executed = staging / f"{stem}.ipynb"
        try:
            _papermill(notebook, executed, parameters, staging, timeout)
        except RunError as error:
            if executed.is_file():
                os.replace(executed, failed)
                error.message += f"; the executed notebook is kept as {failed}"
            raise
        render.render(executed, wanted, renderer, project)
        if before_publish is not None:
            before_publish(staging)
        for path in sorted(staging.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                os.replace(path, output_dir / path.name)
        failed.unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outputs = {fmt: output_dir / f"{stem}.{fmt}" for fmt in wanted}
    return Report(output_dir, output_dir / f"{stem}.ipynb", outputs, time.perf_counter() - started)


# --- what `wellled report` accepts ---------------------------------------------------------------------


def known_homes(paths: Paths) -> list[str]:
    """Home ids in DATA/clean/homes.parquet, sorted; a DataError when the clean data is missing."""
    table = paths.clean_table("homes")
    if not table.is_file():
        raise DataError(f"no clean data in {paths.clean}: run `wellled check --data {paths.data}` first")
    import pyarrow.parquet as pq

    try:
        ids = pq.read_table(table, columns=["home_id"]).column("home_id").to_pylist()
    except (OSError, KeyError, ValueError) as error:
        raise DataError(f"cannot read the homes table: {error}", file=str(table)) from None
    return sorted({str(home) for home in ids if home})


def home_periods(paths: Paths, home_id: str) -> list[str]:
    """Quarters with data for a home, oldest first (the analysis engine's own definition)."""
    from wellled import summary

    stamp = paths.manifest.stat().st_mtime_ns if paths.manifest.exists() else 0
    return summary.home_periods(_clean_data(paths, stamp), home_id)


@functools.lru_cache(maxsize=2)
def _clean_data(paths: Paths, manifest_stamp: int):
    """The clean tables, read once per data folder and check (``wellled reports`` asks for every home)."""
    from wellled import loader

    return loader.load_clean(paths)


def default_period(paths: Paths, home_id: str) -> str:
    """The quarter a report covers when ``--period`` is not given: the home's latest with data."""
    periods = home_periods(paths, home_id)
    if not periods:
        raise UsageError(f"home {home_id!r} has no questionnaires or audits in {paths.clean}")
    return periods[-1]


def check_home(paths: Paths, home_id: str | None) -> str:
    """``home_id`` if it is a known home; otherwise a UsageError listing the known homes."""
    homes = known_homes(paths)
    listing = ", ".join(homes) or "none (run `wellled check`)"
    if not home_id:
        raise UsageError(f"no home given; known homes: {listing}")
    try:
        require_slug(home_id)
    except UsageError as error:
        raise UsageError(f"{error.message}; known homes: {listing}") from None
    if home_id not in homes:
        raise UsageError(f"unknown home {home_id!r}; known homes: {listing}")
    return home_id


def check_period(paths: Paths, home_id: str, period: str | None) -> str:
    """The period to report on: ``period`` if the home has data then, else a UsageError listing those."""
    if period is None:
        return default_period(paths, home_id)
    periods = home_periods(paths, home_id)
    listing = ", ".join(periods) or "none"
    try:
        parse_period(period)
    except UsageError as error:
        raise UsageError(f"{error.message}; quarters with data for {home_id}: {listing}") from None
    if period not in periods:
        raise UsageError(f"no data for {home_id} in {period}; quarters with data: {listing}")
    return period


def check_framework(framework: str | None) -> str:
    """A built-in framework name, or the absolute path of a framework file (checked by loading it)."""
    from wellled.framework import DEFAULT_FRAMEWORK, load_framework

    name = framework or DEFAULT_FRAMEWORK
    load_framework(name)
    return name if not Path(name).is_file() else str(Path(name).resolve())


def needs_check(paths: Paths) -> bool:
    """True when DATA/clean is missing or a file under DATA/raw is newer than its manifest."""
    if not paths.manifest.is_file():
        return True
    checked = paths.manifest.stat().st_mtime
    return any(p.is_file() and p.stat().st_mtime > checked for p in paths.raw.rglob("*"))


# --- the commands --------------------------------------------------------------------------------------


def report_home(
    paths: Paths, home_id: str, period: str, framework: str, *, formats: Iterable[str] = render.FORMATS,
    renderer: str = "auto", notebook: Path = HOME_REPORT_NOTEBOOK, min_respondents: int = 5,
) -> Report:
    """Execute and render the home report for one home and quarter into ``paths.report_dir``."""
    parameters = {
        "home_id": home_id, "period": period, "framework": framework,
        "data_dir": str(paths.data.resolve()), "reports_dir": str(paths.reports.resolve()),
        "min_respondents": min_respondents,
    }


    def ensure_summary(staging: Path) -> None:
        """The home report saves the summary it shows; any other notebook gets it written here."""
        if not (staging / "summary.json").exists():
            from wellled.analysis import AnalysisParams
            from wellled.loader import load_clean
            from wellled.summary import build_summary, to_json

            params = AnalysisParams(min_respondents=min_respondents)
            summary = build_summary(load_clean(paths), home_id, period, framework, params)
            (staging / "summary.json").write_text(to_json(summary), encoding="utf-8")

    return execute(notebook, paths.report_dir(home_id, period), parameters, formats=formats, renderer=renderer,
                   before_publish=ensure_summary)


def _options(args: argparse.Namespace) -> tuple[Paths, tuple[str, ...], str]:
    formats = render.parse_formats(args.format)
    render.resolve_renderer(args.renderer)
    return Paths.from_options(args.data, args.reports), formats, args.renderer


def _check_first(args: argparse.Namespace, paths: Paths) -> int:
    if not getattr(args, "check_if_changed", False) or not needs_check(paths):
        return 0
    from wellled import cli

    print("wellled: raw data changed since the last check; running `wellled check` first", file=sys.stderr)
    return cli.main(["check", "--data", str(paths.data), "--reports", str(paths.reports)])


def _announce(label: str, report: Report) -> None:
    names = ", ".join(path.name for path in report.files())
    print(f"{label}: {report.directory}/ ({names}) in {report.seconds:.1f} s")


def main_report(args: argparse.Namespace) -> int:
    """``wellled report HOME``."""
    paths, formats, renderer = _options(args)
    code = _check_first(args, paths)
    if code:
        return code
    home_id = check_home(paths, args.home)
    period = check_period(paths, home_id, args.period)
    framework = check_framework(args.framework)
    notebook = Path(args.notebook) if args.notebook else HOME_REPORT_NOTEBOOK
    report = report_home(paths, home_id, period, framework, formats=formats, renderer=renderer, notebook=notebook,
                         min_respondents=args.min_respondents)
    _announce(f"{home_id} {period}", report)
    return 0


def main_reports(args: argparse.Namespace) -> int:
    """``wellled reports``: every home, each at its latest quarter unless --period."""
    paths, formats, renderer = _options(args)
    code = _check_first(args, paths)
    if code:
        return code
    framework = check_framework(args.framework)
    notebook = Path(args.notebook) if args.notebook else HOME_REPORT_NOTEBOOK
    if args.period:
        parse_period(args.period)
    failures = []
    homes = known_homes(paths)
    for home_id in homes:
        try:
            period = check_period(paths, home_id, args.period)
            report = report_home(paths, home_id, period, framework, formats=formats, renderer=renderer,
                                 notebook=notebook, min_respondents=args.min_respondents)
        except WellledError as error:
            print(f"wellled: {home_id}: {error}", file=sys.stderr)
            failures.append(home_id)
            continue
        _announce(f"{home_id} {period}", report)
    if failures:
        raise RunError(f"{len(failures)} of {len(homes)} reports failed: {', '.join(failures)}")
    return 0
