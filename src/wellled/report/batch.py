"""Every home's report in one run: a process pool or a Dask cluster, skipping unchanged homes, with progress.

Public API:

- :class:`BatchOptions`: ``jobs``, ``scheduler``, ``homes``, ``region``, ``force``.
- :func:`run_batch` ``(paths, clean, framework, period, options, batch) -> list[Outcome]``: plan, fingerprint,
  render every home that changed (in parallel), each failure caught and recorded with its one-line reason.
- :func:`render_home` ``(job) -> Outcome``: one home's report; runs in a pool worker or on a Dask worker.
- :func:`outcome_table` ``(outcomes) -> str``: the table printed at the end of a run.

Homes share nothing but files: every report runs in a kernel reset to its start (Papermill), reading the clean
data and every home's theme figures, computed once (:mod:`wellled.report.kept_figures`); what decides a skip
is in :mod:`wellled.report.fingerprint`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from wellled.errors import RunError, UsageError, WellledError
from wellled.paths import RESERVED_HOME_IDS, Paths, reserved_home_message
from wellled.report.fingerprint import (
    FINGERPRINT_FILE,
    file_digest,
    fingerprints,
    inputs_key,
    recorded_fingerprint,
    same_inputs,
)
from wellled.report.kept_figures import run_figures
from wellled.report.kernel import WarmKernel, notebook_imports
from wellled.report.options import notebook_parameters

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from wellled.analysis.clean_data import CleanData
    from wellled.analysis.framework import Framework
    from wellled.report.options import ReportOptions

DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass(frozen=True)
class BatchOptions:
    """How ``wellled reports`` spreads its work: local processes (``jobs``) or a Dask ``scheduler`` address."""

    jobs: int | None = None
    scheduler: str | None = None
    homes: tuple[str, ...] = ()
    region: str | None = None
    force: bool = False

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs must be 1 or more, not {self.jobs}")

    @property
    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1


@dataclass(frozen=True)
class HomeJob:
    """Everything a worker needs to render one home, as plain picklable values with absolute paths."""

    home_id: str
    period: str
    framework: str
    data: Path
    output_dir: Path
    figures_file: Path
    fingerprint: dict
    options: ReportOptions


@dataclass(frozen=True)
class Outcome:
    """What happened to one home: done, skipped (unchanged) or failed, with its folder or the reason."""

    home_id: str
    period: str | None
    status: str
    seconds: float = 0.0
    directory: str | None = None
    error: str | None = None
    files: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- choosing the homes -------------------------------------------------------------------------------


def select_homes(clean: CleanData, homes: Iterable[str] = (), region: str | None = None) -> list[str]:
    """Known homes, limited to ``homes`` and to ``region``; a UsageError naming the known ones otherwise."""
    from wellled.analysis import scope

    known = scope.known_homes(clean)
    chosen = list(dict.fromkeys(homes)) or known
    unknown = [home for home in chosen if home not in known]
    if unknown:
        raise UsageError(f"unknown home {unknown[0]!r} in --homes; known homes: {', '.join(known)}")
    if region:
        regions = home_regions(clean)
        if region not in set(regions.values()):
            names = sorted({r for r in regions.values() if r})
            raise UsageError(f"no home in region {region!r}; regions: {', '.join(names) or 'none recorded'}")
        chosen = [home for home in chosen if regions.get(home) == region]
        if not chosen:  # --homes all elsewhere: a run that would do nothing and exit 0
            elsewhere = ", ".join(f"{home} ({regions.get(home) or 'no region'})" for home in homes)
            raise UsageError(f"none of --homes is in region {region!r}: {elsewhere}")
    return chosen


def home_regions(clean: CleanData) -> dict[str, str]:
    """Home id -> region ('' where homes.csv gives none)."""
    homes = clean.homes
    if "region" not in homes:
        return {str(h): "" for h in homes["home_id"]}
    return {str(h): "" if pd.isna(r) else str(r) for h, r in zip(homes["home_id"], homes["region"], strict=True)}


# --- fingerprints -------------------------------------------------------------------------------------


def overview_fingerprint(
    paths: Paths,
    clean: CleanData,
    framework: Framework,
    period: str,
    outcomes: list[Outcome],
    options: ReportOptions,
) -> dict:
    """What the provider overview shows: every home's summary of the quarter, every input of the run (the
    figures, quarantine and flags follow from them), this run's failures, and the overview notebook."""
    from wellled.analysis import scope
    from wellled.paths import PROVIDER_OVERVIEW_NOTEBOOK

    summaries = {
        home: file_digest(paths.report_dir(home, period, framework.id) / "summary.json")
        for home in scope.known_homes(clean)
    }
    return {
        "inputs": inputs_key(paths, clean, framework, options),
        "manifest": file_digest(paths.manifest),
        "notebook": file_digest(PROVIDER_OVERVIEW_NOTEBOOK),
        "period": period,
        "summaries": summaries,
        "failed": sorted([o.home_id, o.error or ""] for o in outcomes if o.status == FAILED),
    }


# --- one home -----------------------------------------------------------------------------------------


_WARM = threading.local()


def warm_kernel() -> WarmKernel:
    """This thread's warm kernel (a worker's kernels outlive one home: reset between homes, shut at exit)."""
    warm = getattr(_WARM, "kernel", None)
    if warm is None:
        warm = _WARM.kernel = WarmKernel()
        atexit.register(warm.close)
    return warm


def render_home(job: HomeJob) -> Outcome:
    """Execute and render one home's report in this worker's warm kernel, its namespace reset first (a
    failed home's kernel is replaced); every failure becomes a failed Outcome."""
    from wellled.report.execute import execute

    started = time.perf_counter()
    figures_file = job.figures_file if declares(job.options.notebook, "figures_file") else None
    parameters = notebook_parameters(job.home_id, job.period, job.framework, job.data, job.options, figures_file)

    def before_publish(staging: Path) -> None:
        if not (staging / "summary.json").exists():
            from wellled.analysis.summary import summarise, to_json

            params = job.options.analysis_params()
            summary = summarise(Paths(job.data), job.home_id, period=job.period, framework=job.framework, params=params)
            (staging / "summary.json").write_text(to_json(summary), encoding="utf-8")
        (staging / FINGERPRINT_FILE).write_text(json.dumps(job.fingerprint, indent=2) + "\n", encoding="utf-8")

    try:
        report = execute(
            job.options.notebook,
            job.output_dir,
            parameters,
            formats=job.options.formats,
            renderer=job.options.renderer,
            before_publish=before_publish,
            timeout=job.options.time_limit,
            warm=warm_kernel(),
        )
    except WellledError as error:
        warm_kernel().discard()
        return Outcome(job.home_id, job.period, FAILED, time.perf_counter() - started, error=_one_line(error))
    except Exception as error:
        warm_kernel().discard()
        message = f"{type(error).__name__}: {_one_line(error)}"
        return Outcome(job.home_id, job.period, FAILED, time.perf_counter() - started, error=message)
    files = tuple(path.name for path in report.files())
    return Outcome(job.home_id, job.period, DONE, report.seconds, str(report.directory), files=files)


def declares(notebook: Path, name: str) -> bool:
    """The notebook's parameters cell assigns ``name`` (so the run's figures can be handed to it)."""
    import re

    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return False
    for cell in cells:
        if "parameters" in (cell.get("metadata") or {}).get("tags", []):
            source = "".join(cell.get("source") or [])
            return re.search(rf"^{re.escape(name)}\s*=", source, re.MULTILINE) is not None
    return False


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- running many -------------------------------------------------------------------------------------


class Progress:
    """A tqdm bar on a terminal (done/total, elapsed, time left, the home being rendered); else one line each."""

    def __init__(self, total: int, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.done = total, 0
        self.running: list[str] = []
        self.bar = None
        if total and self.stream.isatty():
            from tqdm import tqdm

            try:
                sized = os.get_terminal_size(self.stream.fileno()).columns > 0  # a pty without a size: 0
            except (OSError, ValueError):
                sized = False
            self.bar = tqdm(
                total=total,
                unit="home",
                file=self.stream,
                dynamic_ncols=sized,
                ncols=None if sized else 100,
                nrows=None if sized else 24,
            )

    def _show_running(self) -> None:
        if self.bar is not None:
            shown = ", ".join(self.running[:3]) + (f" +{len(self.running) - 3}" if len(self.running) > 3 else "")
            self.bar.set_postfix_str(f"rendering {shown}" if self.running else "", refresh=True)

    def started(self, home_id: str) -> None:
        self.running.append(home_id)
        self._show_running()

    def finished(self, outcome: Outcome) -> None:
        self.done += 1
        if outcome.home_id in self.running:
            self.running.remove(outcome.home_id)
            self._show_running()
        if self.bar is not None:
            if outcome.status == FAILED:
                self.bar.write(f"wellled: {outcome.home_id}: failed: {outcome.error}", file=self.stream)
            self.bar.update(1)
            return
        line = f"[{self.done}/{self.total}] {outcome.home_id} {outcome.period}: {outcome.status}"
        if outcome.status == DONE:
            line += f" in {outcome.seconds:.1f} s -> {outcome.directory}/"
        elif outcome.status == FAILED:
            line += f": {outcome.error}"
        print(line, file=sys.stdout, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _warm_worker(notebook: Path) -> None:
    """Start this process's kernel now, loading ``notebook``'s imports, so it is ready by its first home; a
    kernel that cannot start is left to the first home, which fails with the reason."""
    warm = getattr(_WARM, "kernel", None)
    if warm is None:
        warm = _WARM.kernel = WarmKernel(preload=notebook_imports(notebook))
        atexit.register(warm.close)
    try:
        warm.start(Path.cwd())
    except Exception:
        warm.discard()


def _spawned() -> None:
    """A task that does nothing: submitting it makes the pool start one more worker process."""


@contextlib.contextmanager
def workers(batch: BatchOptions, most: int, notebook: Path) -> Iterator[ProcessPoolExecutor | None]:
    """The local worker processes for up to ``most`` homes, started at once: they import wellled and start
    their kernels while the run computes its figures. None when homes render in this process (one worker,
    whose kernel starts now too) or on a Dask scheduler."""
    count = min(batch.workers, most)
    if batch.scheduler or count < 1:
        yield None
        return
    if count == 1:
        try:
            _warm_worker(notebook)
            yield None
        finally:
            warm_kernel().close()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_warm_worker, initargs=(notebook,))
    try:
        for _ in range(count):
            pool.submit(_spawned)
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def _run_local(
    jobs: list[HomeJob], pool: ProcessPoolExecutor | None, at_once: int, progress: Progress
) -> list[Outcome]:
    if pool is None:
        outcomes = []
        for job in jobs:
            progress.started(job.home_id)
            outcomes.append(render_home(job))
            progress.finished(outcomes[-1])
        return outcomes
    from concurrent.futures import FIRST_COMPLETED, wait

    outcomes, waiting = [], list(reversed(jobs))
    running: dict[Any, HomeJob] = {}
    while waiting or running:
        while waiting and len(running) < at_once:  # submit as workers free up, so the bar names who runs
            job = waiting.pop()
            running[pool.submit(render_home, job)] = job
            progress.started(job.home_id)
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            job = running.pop(future)
            outcomes.append(_result(future, job))
            progress.finished(outcomes[-1])
    return outcomes


def _result(future, job: HomeJob) -> Outcome:
    try:
        return future.result()
    except Exception as error:  # a worker process that died
        return Outcome(job.home_id, job.period, FAILED, error=f"worker lost: {type(error).__name__}: {error}")


SCHEDULER_PORT = 8786  # Dask's own default, for an address given without a port
SCHEDULER_PROBE_SECONDS = 5.0
DASK_MISSING = "--scheduler needs Dask: pip install 'wellled[dask]'"


def reach_scheduler(address: str, seconds: float = SCHEDULER_PROBE_SECONDS) -> None:
    """Fail at once, before any work, when nothing listens at a ``tcp://`` scheduler address.

    Dask's own client would retry for its whole connect timeout first. Other protocols (tls, ucx, inproc) are
    left to Dask.
    """
    import importlib.util
    import socket

    if importlib.util.find_spec("distributed") is None:
        raise UsageError(DASK_MISSING)
    scheme, _, location = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, colon, port = location.rpartition(":")
    if not colon or not port.isdigit() or not host:
        host, port = location if not colon else host, str(SCHEDULER_PORT)
    if not host:
        raise UsageError(f"--scheduler {address!r} names no host: give it as tcp://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise RunError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def _run_dask(jobs: list[HomeJob], address: str, progress: Progress) -> list[Outcome]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise UsageError(DASK_MISSING) from None
    try:
        client = Client(address, timeout=20)
    except Exception as error:
        raise RunError(f"cannot reach the Dask scheduler at {address}: {_one_line(error)}") from None
    outcomes = []
    with client:
        futures = {}
        for job in jobs:
            futures[
                client.submit(render_home, job, pure=False, key=f"wellled-{job.home_id}-{os.getpid()}-{time.time_ns()}")
            ] = job
            progress.started(job.home_id)
        for future in as_completed(futures):
            outcomes.append(_result(future, futures[future]))
            progress.finished(outcomes[-1])
    return outcomes


def run_jobs(
    jobs: list[HomeJob],
    batch: BatchOptions,
    pool: ProcessPoolExecutor | None = None,
    on_progress: Callable[[int], Progress] = Progress,
):
    """Render ``jobs`` on the Dask scheduler if one is given, else in ``pool`` (:func:`workers`), or one after
    another in this process without one."""
    progress = on_progress(len(jobs))
    try:
        if batch.scheduler:
            return _run_dask(jobs, batch.scheduler, progress)
        return _run_local(jobs, pool, batch.workers, progress)
    finally:
        progress.close()


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def latest_periods(clean: CleanData, homes: list[str], period: str | None) -> tuple[dict[str, str], list[Outcome]]:
    """Each home's quarter (``period``, else its latest with data), in one pass; homes without data fail."""
    from wellled.periods import parse_period

    pairs = [clean.responses[["home_id", "period"]], clean.audits[["home_id", "period"]]]
    rows = pd.concat(pairs).dropna().astype(str).drop_duplicates()
    periods: dict[str, set[str]] = {}
    for home, quarter in zip(rows["home_id"], rows["period"], strict=True):
        periods.setdefault(home, set()).add(quarter)
    chosen, failed = {}, []
    for home in homes:
        have = sorted(periods.get(home, ()), key=parse_period)
        if period is None and have:
            chosen[home] = have[-1]
        elif period in have:
            chosen[home] = period
        else:
            listing = ", ".join(have) or "none"
            reason = (
                f"no data for {home} in {period}; quarters with data: {listing}"
                if have
                else f"home {home!r} has no questionnaires or audits in the clean data"
            )
            failed.append(Outcome(home, period, FAILED, error=reason))
    return chosen, failed


def _has_files(folder: Path, options: ReportOptions) -> bool:
    from wellled.paths import REPORT_STEM

    wanted = [f"{REPORT_STEM}.ipynb", "summary.json", *(f"{REPORT_STEM}.{fmt}" for fmt in options.formats)]
    return all((folder / name).is_file() for name in wanted)


def run_batch(
    paths: Paths,
    clean: CleanData,
    framework: Framework,
    framework_arg: str,
    period: str | None,
    options: ReportOptions,
    batch: BatchOptions,
    run_dir: Path,
    on_render: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Skip the unchanged homes (unless ``batch.force``) and render the rest; one Outcome per chosen home.
    ``on_render()`` is called once before the first home is rendered, if any is.

    A report recorded with the same :func:`inputs_key` is skipped at once. Otherwise every home's theme
    figures are computed once (:func:`run_figures`) and handed to the notebooks, and each home's detailed
    fingerprint decides: a home whose own data, quarter's benchmark and trend did not change is still skipped.
    """
    chosen, outcomes = latest_periods(clean, select_homes(clean, batch.homes, batch.region), period)
    for home in sorted(RESERVED_HOME_IDS & set(chosen)):  # its folder is wellled's own: fail it, run the rest
        outcomes.append(Outcome(home, chosen.pop(home), FAILED, error=reserved_home_message(home)))
    key = inputs_key(paths, clean, framework, options)
    folders = {home: paths.report_dir(home, quarter, framework.id).resolve() for home, quarter in chosen.items()}
    recorded = {home: recorded_fingerprint(folder) for home, folder in folders.items()}
    current = {
        home
        for home in chosen
        if not batch.force and (recorded[home] or {}).get("inputs") == key and _has_files(folders[home], options)
    }
    todo: list[HomeJob] = []
    notebook = Path(options.notebook).resolve()
    with workers(batch, len(chosen) - len(current), notebook) as pool:
        if len(current) < len(chosen):
            figures_file = run_figures(paths, clean, framework, options, run_dir)
            figures = pd.read_parquet(figures_file)  # as every notebook reads it
            rest = {home: quarter for home, quarter in chosen.items() if home not in current}
            prints = fingerprints(paths, clean, figures, rest, framework, options)
            for home, quarter in rest.items():
                fingerprint = {"inputs": key, **prints[home]}
                if not batch.force and same_inputs(recorded[home], fingerprint) and _has_files(folders[home], options):
                    current.add(home)  # inputs of other homes or quarters changed, not this report's
                    _write_atomic(folders[home] / FINGERPRINT_FILE, json.dumps(fingerprint, indent=2) + "\n")
                    continue
                job_options = replace(options, notebook=notebook)
                job = HomeJob(
                    home,
                    quarter,
                    framework_arg,
                    paths.data.resolve(),
                    folders[home],
                    figures_file,
                    fingerprint,
                    job_options,
                )
                todo.append(job)
        outcomes += [Outcome(home, chosen[home], SKIPPED, directory=str(folders[home])) for home in sorted(current)]
        if current:
            print(
                f"wellled: {len(current)} of {len(chosen)} reports unchanged since their last run, skipped "
                "(--force re-runs)",
                file=sys.stderr,
            )
        if todo and on_render is not None:
            on_render()
        outcomes += run_jobs(todo, batch, pool)
    return sorted(outcomes, key=lambda o: o.home_id)


def outcome_table(outcomes: Iterable[Outcome], root: Path | None = None) -> str:
    """A plain text table: home, status, seconds, report folder or the one-line error."""
    rows = []
    for o in outcomes:
        where = o.error or ""
        if o.directory:
            where = os.path.relpath(o.directory, root) if root else o.directory
        rows.append((o.home_id, o.status, f"{o.seconds:.1f}" if o.status == DONE else "", where))
    header = ("home", "status", "seconds", "report or error")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(3)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)
