"""The ``wellled`` Jupyter kernel: this environment's own interpreter, registered inside ``sys.prefix``.

Papermill runs report notebooks in this kernel, so a report always uses the wellled and pandas the command
was installed with, never another Python a user's Jupyter happens to know. Nothing is written to the
user's home: the spec lives in ``<sys.prefix>/share/jupyter/kernels/wellled``.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from wellled.errors import RunError

KERNEL_NAME = "wellled"
KERNELS_DIR = Path(sys.prefix) / "share" / "jupyter" / "kernels"
# Inline figures even when the calling process set MPLBACKEND=Agg; no debugger warning on stderr.
KERNEL_ENV = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
# Kernel starts that are tried before a report fails: jupyter_client picks a kernel's ports before the kernel
# binds them, so two kernels starting at once on one machine can be given the same port and one dies starting.
START_ATTEMPTS = 3
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]  # its log goes to our stderr: keep users' terminals clean


def spec_dir(name: str = KERNEL_NAME) -> Path:
    return KERNELS_DIR / name


def _is_current(spec_file: Path) -> bool:
    try:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    argv = spec.get("argv") or []
    return (
        bool(argv)
        and argv[0] == sys.executable
        and spec.get("env") == KERNEL_ENV
        and all(arg in argv for arg in KERNEL_ARGS)
    )


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register (or repair) the kernel spec for this interpreter when missing or stale; returns its name."""
    target = spec_dir(name)
    if _is_current(target / "kernel.json"):
        return name
    staging = target.parent / f".{name}-{os.getpid()}"
    try:
        from ipykernel.kernelspec import write_kernel_spec

        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        write_kernel_spec(
            path=staging,
            overrides={"display_name": f"wellled ({sys.prefix})", "env": KERNEL_ENV},
            extra_arguments=KERNEL_ARGS,
        )
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except (ImportError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_current(target / "kernel.json"):  # another run may have registered it meanwhile
            raise RunError(f"cannot register the {name!r} Jupyter kernel in {target}: {error}") from None
    return name


@contextlib.contextmanager
def kernel_search_path() -> Iterator[None]:
    """Put this environment's kernels first on JUPYTER_PATH, so a same-named spec elsewhere cannot win."""
    ours = str(KERNELS_DIR.parent)
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(part for part in (ours, old) if part)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


# --- a warm kernel: one per worker, many notebooks --------------------------------------------------------


def notebook_imports(notebook: Path) -> tuple[str, ...]:
    """The top-level import statements of a notebook's code cells, in order and once each, for a kernel to
    load while it starts (:class:`WarmKernel` ``preload``); a cell that is not plain Python is skipped.

    >>> import tempfile
    >>> cells = [{"cell_type": "code", "source": "#| label: setup\\nimport pandas as pd\\nx = 1\\nfrom a import b"},
    ...          {"cell_type": "code", "source": "%matplotlib inline\\nimport math"},
    ...          {"cell_type": "markdown", "source": "import nothing"}]
    >>> path = Path(tempfile.mkdtemp()) / "n.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": cells}))
    >>> notebook_imports(path)
    ('import pandas as pd', 'from a import b')
    """
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    found: dict[str, None] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source") or ""
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else str(source))
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__":
                found.setdefault(ast.unparse(node))
    return tuple(found)


_SNAPSHOT: dict[str, Any] = {}
# A warm kernel's long-lived objects are frozen between notebooks (see reset_namespace); every this many
# notebooks they are unfrozen and collected with the rest, so a cycle among them that became garbage is freed.
FULL_COLLECTION_EVERY = 20


def reset_namespace(cwd: str, full_collection: bool = True) -> None:
    """Run inside a warm kernel before each notebook: back to the state it had when it started.

    Clears the user namespace and the input/output history (execution counts restart at 1), removes or
    restores any built-in name a notebook added or replaced, restores the environment variables and
    matplotlib's settings, closes pyplot figures, and moves to ``cwd`` (the run's working folder). Imported
    modules stay loaded: that is the point of a warm kernel. The last notebook's garbage is collected and what
    survives is frozen (:func:`gc.freeze`), so the collector does not walk the imported libraries' objects
    again and again while the notebook runs, nor at each reset; ``full_collection`` unfreezes them first, so
    that garbage among them is collected too.
    """
    import builtins
    import gc

    import matplotlib
    from IPython import get_ipython

    if not _SNAPSHOT:  # the first call, in a kernel no notebook has run in yet
        _SNAPSHOT.update(builtins=dict(vars(builtins)), environ=dict(os.environ), rc=dict(matplotlib.rcParams))
    else:
        known: dict[str, Any] = _SNAPSHOT["builtins"]
        for name in set(vars(builtins)) - set(known):
            delattr(builtins, name)
        for name, value in known.items():
            if vars(builtins).get(name, _SNAPSHOT) is not value:
                setattr(builtins, name, value)
        os.environ.clear()
        os.environ.update(_SNAPSHOT["environ"])
        matplotlib.rcParams.update(_SNAPSHOT["rc"])
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    os.chdir(cwd)  # first: the last notebook's folder is gone, and the reset asks for the current one
    get_ipython().reset(new_session=True)
    if full_collection:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def _cancel_waiting_tasks() -> None:
    """Cancel the tasks still pending on this thread's event loop (the one ``run_sync`` runs), and let them end."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if loop.is_running():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


@functools.cache
def _ready_client() -> type:
    """jupyter_client's asynchronous kernel client, waiting for a kernel to be ready without idling after it is.

    Its ``wait_for_ready`` ends by waiting 0.2 s for an IOPub message that does not come. It runs twice a
    notebook (the reset, then nbclient's own client), so a worker's core sat idle 0.4 s for every home, about a
    tenth of a run of many homes. This one drains what has arrived and returns.
    """
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    pass
                else:
                    if reply["msg_type"] == "kernel_info_reply":
                        try:  # IOPub is connected once the status of that request arrives on it
                            await self.iopub_channel.get_msg(timeout=0.2)
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(reply)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if deadline is not None and time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
            while True:
                try:
                    await self.iopub_channel.get_msg(timeout=0)
                except Empty:
                    return

    return ReadyClient


class WarmKernel:
    """A ``wellled`` kernel kept running across the notebooks of one worker, reset between them.

    Call it with a notebook's working folder before each run: it starts the kernel if there is none (or it
    died), runs :func:`reset_namespace` in it and returns the kernel manager to run the notebook in.
    :meth:`discard` after a failed run (the kernel may be stuck in a cell), :meth:`close` at the end.
    ``preload``: import statements the kernel runs as it starts (:func:`notebook_imports`); :meth:`start`
    early, and it loads them while the caller does other work.
    """

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self.manager: Any = None
        self.preload = tuple(preload)
        self.clients: list[Any] = []  # every client the manager handed out (nbclient leaves its own open)
        self.resets = 0  # since the kernel started
        self.full_collection_every = FULL_COLLECTION_EVERY

    def _close_clients(self) -> None:
        """Stop the channels of the clients of earlier runs: nbclient does not stop those of a kernel manager it
        was given, and an open IOPub socket keeps a copy of every later message (several MB a home). What
        nbclient left waiting on those channels (its output reader, after a cell ran out of time) is cancelled
        first: run later on a closed channel, it would fail and print a traceback."""
        _cancel_waiting_tasks()
        while self.clients:
            with contextlib.suppress(Exception):
                self.clients.pop().stop_channels()

    def start(self, cwd: Path) -> None:
        """Start the kernel now without waiting for it; the next call waits until it is ready."""
        if self.manager is None:
            self._start(cwd)

    def __call__(self, cwd: Path) -> Any:
        from jupyter_core.utils import run_sync

        self._close_clients()
        if self.manager is not None and not run_sync(self.manager.is_alive)():
            self.discard()
        for attempt in range(1, START_ATTEMPTS + 1):
            if self.manager is None:
                self._start(cwd)
            try:
                full = self.resets % self.full_collection_every == 0
                self._run(
                    "from wellled.report.kernel import reset_namespace as _r; "
                    f"_r({str(Path(cwd).resolve())!r}, full_collection={full})"
                )
            except RunError:  # _run discarded the kernel; one that died starting is started again
                if attempt == START_ATTEMPTS:
                    raise
                continue
            self.resets += 1
            return self.manager
        raise AssertionError("unreachable")

    def _start(self, cwd: Path) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        clients = self.clients

        class TrackedManager(AsyncKernelManager):
            def client(self, **kwargs: Any) -> Any:
                made = super().client(**kwargs)
                clients.append(made)
                return made

        with kernel_search_path():
            manager = TrackedManager(kernel_name=ensure_kernel(), client_factory=_ready_client())
            # the kernel's own stderr stays off the user's terminal: a kernel that dies starting would print
            # its traceback there; the RunError says the cause in one line
            preload = [f"--IPKernelApp.exec_lines={line}" for line in self.preload]
            run_sync(manager.start_kernel)(cwd=str(cwd), stderr=subprocess.DEVNULL, extra_arguments=preload)
        self.manager = manager
        self.resets = 0

    def _run(self, code: str) -> None:
        from jupyter_core.utils import run_sync

        client = self.manager.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=120)
            reply = run_sync(client.execute_interactive)(
                code, store_history=False, timeout=120, output_hook=lambda msg: None
            )
        except Exception as error:
            self.discard()
            raise RunError(f"the warm kernel could not be reset: {type(error).__name__}: {error}") from None
        finally:
            client.stop_channels()
        if reply["content"]["status"] != "ok":
            self.discard()
            content = reply["content"]
            raise RunError(f"the warm kernel could not be reset: {content.get('ename')}: {content.get('evalue')}")

    def discard(self) -> None:
        """Shut the kernel down now; the next call starts a fresh one."""
        from jupyter_core.utils import run_sync

        self._close_clients()
        manager, self.manager = self.manager, None
        if manager is not None:
            with contextlib.suppress(Exception):
                run_sync(manager.shutdown_kernel)(now=True)

    close = discard


@contextlib.contextmanager
def started(notebook: Path, cwd: Path | None = None) -> Iterator[WarmKernel]:
    """A :class:`WarmKernel` for ``notebook``, started at once and shut at the end.

    Entered before a command imports pandas and reads its data: the kernel starts and loads the notebook's
    imports meanwhile, on the other core.
    """
    kernel = WarmKernel(preload=notebook_imports(notebook))
    try:
        kernel.start(cwd or Path.cwd())
        yield kernel
    finally:
        kernel.close()
