"""Execute a report notebook with Papermill and publish it, rendered, into its report folder all or nothing.

Public API:

- :func:`execute` ``(notebook, output_dir, parameters, *, formats, renderer, stem, before_publish, timeout)
  -> Report``: run, render and move into place; a failing run leaves the previous report untouched.

A run works in ``REPORTS/HOME/PERIOD/.staging-*``: Papermill writes the executed notebook there (the kernel's
working folder, so files the notebook writes, such as ``summary.json``, are published with it), the renderer
writes HTML and PDF beside it, and only then is every file moved into ``REPORTS/HOME/PERIOD/``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellled.errors import DataError, RunError, UsageError
from wellled.paths import QUARTO_CONFIG, REPORT_STEM
from wellled.report import kernel, render


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


def _papermill(
    notebook: Path,
    executed: Path,
    parameters: Mapping[str, Any],
    cwd: Path,
    timeout: float | None,
    warm: Callable[[Path], Any] | None = None,
) -> None:
    """Run the notebook in the ``wellled`` kernel (``warm(cwd)``'s if given); a RunError naming the cell if a
    cell fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    name = kernel.ensure_kernel()
    warm_kernel = {"km": warm(cwd)} if warm is not None else {}
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
                execution_timeout=timeout,
                **warm_kernel,
            )
    except PapermillExecutionError as error:
        if error.ename in ("CellTimeoutError", "TimeoutError") or "timed out" in str(error.evalue):
            raise RunError(_time_limit_message(notebook, timeout)) from None
        ours = {"UsageError": UsageError, "DataError": DataError}.get(error.ename)
        if ours is not None:  # the notebook judged the parameters or data as wellled does everywhere else
            raise ours(_first_line(error.evalue)) from None
        message = f"{error.ename}: {_first_line(error.evalue)}" if error.evalue else error.ename
        raise RunError(f"the notebook failed in cell {_failed_cell(notebook, error)}: {message}") from None
    except Exception as error:  # a kernel that died or never started, a timeout, an unreadable notebook
        if type(error).__name__ in ("CellTimeoutError", "TimeoutError"):
            raise RunError(_time_limit_message(notebook, timeout)) from None
        raise RunError(f"the notebook could not be run: {type(error).__name__}: {_first_line(str(error))}") from None


def _time_limit_message(notebook: Path, timeout: float | None) -> str:
    return (
        f"the report notebook {notebook.name} was stopped after running {timeout:g} s, its time limit "
        "(a stuck cell?); raise it with --time-limit SECONDS"
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
    """Remove ``.staging-*`` folders of killed runs (they hold care data); call it under the report lock."""
    for folder in output_dir.glob(".staging-*"):
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)


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
        output_dir.mkdir(parents=True, exist_ok=True)
        remove_leftovers(output_dir)
        failed = output_dir / f"{stem}.failed.ipynb"
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=output_dir))
        try:
            executed = staging / f"{stem}.ipynb"
            try:
                _papermill(notebook, executed, parameters, staging, timeout, warm)
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
            for fmt in set(render.FORMATS) - set(wanted):  # an older run's other format must not pass for this one's
                (output_dir / f"{stem}.{fmt}").unlink(missing_ok=True)
            failed.unlink(missing_ok=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        outputs = {fmt: output_dir / f"{stem}.{fmt}" for fmt in wanted}
        return Report(output_dir, output_dir / f"{stem}.ipynb", outputs, time.perf_counter() - started)
