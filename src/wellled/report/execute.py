"""Execute a report notebook with Papermill and publish it, rendered, into its report folder all or nothing.

Public API:

- :func:`execute` ``(notebook, output_dir, parameters, *, formats, renderer, stem, before_publish, timeout)
  -> Report``: run, render and move into place; a failing run leaves the previous report untouched.

A run builds the new set in a folder of its own beside the report folder (:mod:`wellled.report.publication`):
Papermill writes the executed notebook there (the kernel's working folder, so files the notebook writes, such
as ``summary.json``, are published with it), the renderer writes HTML and PDF beside it, and only then is the
whole set switched in at once. ``timeout`` is the wall-clock limit of the whole report (every cell, rendering):
past it the run stops, nothing is published, and the RunError names the home and the limit.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellled.errors import DataError, RunError, UsageError
from wellled.paths import QUARTO_CONFIG, REPORT_STEM
from wellled.report import kernel, publication, render


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


class _Deadline:
    """The wall-clock limit of one report (notebook and rendering); ``None`` seconds means none."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.001, self.at - time.monotonic())

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at


class _Quiet(logging.Filter):
    """nbclient logs timeouts and kernel failures (with tracebacks); the RunError says the cause once, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR and not str(record.msg).startswith("Timeout waiting for")


def _papermill(
    notebook: Path,
    executed: Path,
    parameters: Mapping[str, Any],
    cwd: Path,
    deadline: _Deadline,
    warm: Callable[[Path], Any] | None = None,
) -> None:
    """Run the notebook in the ``wellled`` kernel (``warm(cwd)``'s if given); a RunError naming the cell if a
    cell fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = kernel.ensure_kernel()
    limit = {}
    if deadline.at is not None:  # every cell may use what is left of the report's time, not a time of its own
        limit = {"timeout_func": lambda cell: deadline.remaining()}  # (a kernel is never stopped while starting)
    quiet = _Quiet()
    logging.getLogger("papermill").addFilter(quiet)
    warm_kernel = {"km": warm(cwd)} if warm is not None else {}
    try:
        for attempt in range(1, kernel.START_ATTEMPTS + 1):
            try:
                with kernel.kernel_search_path():
                    papermill.execute_notebook(
                        str(notebook),
                        str(executed),
                        parameters=dict(parameters),
                        kernel_name=name,
                        language="python",
                        progress_bar=False,
                        log_output=False,
                        cwd=str(cwd),
                        request_save_on_cell_execute=False,
                        **limit,
                        **warm_kernel,
                    )
                break
            except RuntimeError as error:  # died starting (e.g. given a port another kernel took): start again
                started = "before replying to kernel_info" not in str(error)
                if started or warm_kernel or attempt == kernel.START_ATTEMPTS:
                    raise
    except PapermillExecutionError as error:
        if deadline.passed():
            raise TimeoutError from None
        ours = {"UsageError": UsageError, "DataError": DataError}.get(error.ename)
        if ours is not None:  # the notebook judged the parameters or data as wellled does everywhere else
            raise ours(_first_line(error.evalue)) from None
        message = f"{error.ename}: {_first_line(error.evalue)}" if error.evalue else error.ename
        raise RunError(f"the notebook failed in cell {_failed_cell(notebook, error)}: {message}") from None
    except Exception as error:  # a kernel that died or never started, a timeout, an unreadable notebook
        if deadline.passed() or type(error).__name__ in ("CellTimeoutError", "TimeoutError"):
            raise TimeoutError from None
        raise RunError(f"the notebook could not be run: {type(error).__name__}: {_first_line(str(error))}") from None
    finally:
        logging.getLogger("papermill").removeFilter(quiet)


def _time_limit_error(parameters: Mapping[str, Any], deadline: _Deadline) -> RunError:
    home, period = parameters.get("home_id"), parameters.get("period")
    what = f"the report of {home}" if home else "the provider overview"
    what += f" ({period})" if period else ""
    return RunError(
        f"{what} was stopped at its time limit of {deadline.seconds:g} s and nothing was published; "
        "raise the limit with --time-limit SECONDS"
    )


@contextlib.contextmanager
def _report_lock(output_dir: Path) -> Iterator[None]:
    """One run at a time per report folder: a second run waits, saying so, and then publishes after it."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(output_dir.parent / f".{output_dir.name}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"wellled: another run is writing {output_dir}; waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(output_dir: Path) -> None:
    """Remove the sets and links of killed runs (they hold care data); call it under the report lock."""
    publication.remove_leftovers(output_dir)


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
    warm: Callable[[Path], Any] | None = None,
) -> Report:
    """Execute ``notebook`` with ``parameters``, render it, and publish ``<stem>.ipynb/.html/.pdf`` in
    ``output_dir``. ``before_publish(staging_dir)`` may add files (e.g. ``summary.json``) to publish with them.
    ``warm``: a :class:`wellled.report.kernel.WarmKernel` to run in instead of a fresh kernel.

    On a failing cell: RunError naming the cell and error; the executed notebook is kept as
    ``<stem>.failed.ipynb`` and the previous report stays as it was.
    """
    notebook, output_dir = Path(notebook), Path(output_dir)
    wanted = render.parse_formats(formats)
    render.resolve_renderer(renderer)
    if not notebook.is_file():
        raise RunError(f"notebook not found: {notebook}")
    started = time.perf_counter()
    with _report_lock(output_dir):  # another run of this report waits; a killed run's leftovers go
        deadline = _Deadline(timeout)  # from here: waiting for another run is not this report's time
        output_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(output_dir)
        failed = output_dir / f"{stem}.failed.ipynb"
        staging = publication.new_version(output_dir)
        try:
            executed = staging / f"{stem}.ipynb"
            try:
                _papermill(notebook, executed, parameters, staging, deadline, warm)
            except TimeoutError:
                raise _time_limit_error(parameters, deadline) from None
            except RunError as error:
                if executed.is_file():
                    os.replace(executed, failed)
                    error.message += f"; the executed notebook is kept as {failed}"
                raise
            try:
                render.render(executed, wanted, renderer, project, timeout=deadline.remaining())
            except RunError:
                if deadline.passed():
                    raise _time_limit_error(parameters, deadline) from None
                raise
            if before_publish is not None:
                before_publish(staging)
            if deadline.passed():
                raise _time_limit_error(parameters, deadline)
            publication.publish(output_dir, staging)
            failed.unlink(missing_ok=True)
        except BaseException:
            if not publication.is_current(output_dir, staging):
                shutil.rmtree(staging, ignore_errors=True)
            raise
        outputs = {fmt: output_dir / f"{stem}.{fmt}" for fmt in wanted}
        return Report(output_dir, output_dir / f"{stem}.ipynb", outputs, time.perf_counter() - started)
