"""A kernel started early loads the notebook's imports while the command works, and the notebook then runs in
a clean namespace as if the kernel were new."""

from __future__ import annotations

import json

import pytest

from tests.test_run import _notebook
from wellled.report import execute
from wellled.report.kernel import WarmKernel, notebook_imports


def test_the_imports_of_a_notebook_are_its_top_level_import_statements_once_each(tmp_path):
    notebook = _notebook(
        tmp_path / "nb.ipynb",
        "#| label: setup\nimport json\nfrom pathlib import Path as P\nx = 1",
        "%matplotlib inline\nimport this_cell_is_not_python",
        "def f():\n    import inside_a_function\nimport json",
        "from __future__ import annotations",
    )
    assert notebook_imports(notebook) == ("import json", "from pathlib import Path as P")
    assert notebook_imports(tmp_path / "missing.ipynb") == ()


@pytest.mark.slow
def test_a_preloaded_kernel_runs_the_notebook_with_its_modules_loaded_and_none_of_its_names(tmp_path):
    notebook = _notebook(
        tmp_path / "nb.ipynb",
        "import sys, json\nloaded = 'wave' in sys.modules and 'colorsys' in sys.modules",
        "leaked = sorted(n for n in ('wave', 'hsv', 'colorsys') if n in dir())",
        "import wave\nfrom colorsys import rgb_to_hsv as hsv",
        "open('seen.json', 'w').write(json.dumps({'loaded': loaded, 'leaked': leaked}))",
    )
    preload = notebook_imports(notebook)
    assert "from colorsys import rgb_to_hsv as hsv" in preload
    kernel = WarmKernel(preload=preload)
    kernel.start(tmp_path)
    try:
        report = execute.execute(notebook, tmp_path / "out", {"home_id": "ash"}, formats=["html"], warm=kernel)
    finally:
        kernel.close()
    seen = json.loads((report.directory / "seen.json").read_text())
    assert seen["loaded"] is True, "the notebook's modules were not loaded before it ran"
    assert seen["leaked"] == [], f"names from the preload reached the notebook: {seen['leaked']}"


@pytest.mark.slow
def test_a_warm_kernel_leaves_no_client_of_an_earlier_notebook_open(tmp_path):
    """Each run's client is closed before the next: an open one would keep a copy of every later message."""
    notebook = _notebook(tmp_path / "nb.ipynb", "print('x' * 400_000)\nprint('y' * 400_000)")
    kernel = WarmKernel()
    try:
        for run in range(6):
            execute.execute(notebook, tmp_path / f"out{run}", {"home_id": "ash"}, formats=["html"], warm=kernel)
            open_clients = [client for client in kernel.clients if client.channels_running]
            assert len(open_clients) <= 2, f"{len(open_clients)} clients still open after run {run + 1}"
    finally:
        kernel.close()
    assert kernel.clients == []


@pytest.mark.slow
def test_a_notebook_stopped_at_its_time_limit_leaves_nothing_waiting_on_the_channels_it_closes(tmp_path):
    """nbclient leaves its output reader waiting when a cell runs out of time. If a message reached it as its
    channel closed, it read the closed channel the next time the loop ran, failed, and printed a traceback after
    the one-line message; so no task may still be waiting on a channel when the channel closes."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    from wellled.errors import RunError

    notebook = _notebook(tmp_path / "stuck.ipynb", "import time\ntime.sleep(600)")
    kernel = WarmKernel()
    waiting_at_close: list[list[str]] = []
    try:
        with pytest.raises(RunError, match="time limit of 3 s"):
            execute.execute(notebook, tmp_path / "out", {"home_id": "x"}, formats=("html",), timeout=3, warm=kernel)
        loop = ensure_event_loop()
        assert [t for t in asyncio.all_tasks(loop) if not t.done()], "nothing was left waiting: nothing to check"
        for client in kernel.clients:
            stop = client.stop_channels

            def recording_stop(stop=stop):
                waiting_at_close.append([t.get_coro().__qualname__ for t in asyncio.all_tasks(loop) if not t.done()])
                stop()

            client.stop_channels = recording_stop
    finally:
        kernel.close()
    assert waiting_at_close and not any(waiting_at_close), waiting_at_close


@pytest.mark.slow
def test_a_warm_kernel_freezes_what_survives_a_reset_and_still_collects_it_once_it_is_garbage(tmp_path):
    """Between notebooks the kernel's long-lived objects are frozen, so the collector skips them while a notebook
    runs; garbage among them (a cycle a notebook let go of) is collected at a later full collection, not kept for
    good."""
    steps = [
        "import gc, json, weakref\nclass Cycle: pass\ncycle = Cycle()\ncycle.itself = cycle\n"
        "json._held, json._ref = cycle, weakref.ref(cycle)",
        "import json\ndel json._held",
        "import gc, json\nopen('seen.json', 'w').write(json.dumps({'alive': json._ref() is not None, "
        "'frozen': gc.get_freeze_count()}))",
    ]
    kernel = WarmKernel()
    kernel.full_collection_every = 2  # the resets before the first and the third notebook
    try:
        for number, source in enumerate(steps):
            notebook = _notebook(tmp_path / f"nb{number}.ipynb", source)
            report = execute.execute(
                notebook, tmp_path / f"out{number}", {"home_id": "a"}, formats=["html"], warm=kernel
            )
    finally:
        kernel.close()
    seen = json.loads((report.directory / "seen.json").read_text())
    assert seen["frozen"] > 1000, "the kernel's objects were not frozen before the notebook ran"
    assert seen["alive"] is False, "a cycle let go of while frozen was never collected"
