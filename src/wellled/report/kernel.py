"""The ``wellled`` Jupyter kernel: this environment's own interpreter, registered inside ``sys.prefix``.

Papermill runs report notebooks in this kernel, so a report always uses the wellled and pandas the command
was installed with, never another Python a user's Jupyter happens to know. Nothing is written to the
user's home: the spec lives in ``<sys.prefix>/share/jupyter/kernels/wellled``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from wellled.errors import RunError

KERNEL_NAME = "wellled"
KERNELS_DIR = Path(sys.prefix) / "share" / "jupyter" / "kernels"
# Inline figures even when the calling process set MPLBACKEND=Agg; no debugger warning on stderr.
KERNEL_ENV = {
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
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
