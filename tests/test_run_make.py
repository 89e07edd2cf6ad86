"""`make report HOME=x`: the care home reaches wellled, while the recipes keep the user's real home directory
(so papermill, Jupyter and matplotlib never create x/.cache or x/.config)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
PROBE = """#!/usr/bin/env bash
# stands in for .venv/bin/wellled: records what the recipe gave it, then does what a report run does to $HOME
{{ echo "HOME=$HOME"; echo "ARGS=$*"; }} > "$PROBE_LOG"
exec "{python}" -c "import matplotlib, jupyter_core.paths as p; matplotlib.get_cachedir(); matplotlib.get_configdir(); \\
import os; os.makedirs(p.jupyter_runtime_dir(), exist_ok=True)"
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_report_passes_the_home_id_and_keeps_the_real_home(tmp_path):
    work = tmp_path / "work"
    bin_dir = work / "bin"
    bin_dir.mkdir(parents=True)
    (work / "pyproject.toml").write_text("")  # the setup rule's prerequisite, older than the probe
    probe = bin_dir / "wellled"
    probe.write_text(PROBE.format(python=sys.executable))
    probe.chmod(0o755)
    log = tmp_path / "probe.log"
    unset = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
             "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR")
    env = {k: v for k, v in os.environ.items() if k not in unset} | {"PROBE_LOG": str(log)}
    done = subprocess.run(
        ["make", "-f", str(MAKEFILE), "--no-print-directory", "report", "HOME=oak-house", "PERIOD=2026-Q2",
         "DATA=some data", "REPORTS=out", f"BIN={bin_dir}"],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = dict(line.split("=", 1) for line in log.read_text().splitlines())
    assert recorded["HOME"] == pwd.getpwuid(os.getuid()).pw_dir
    assert recorded["ARGS"] == "report oak-house --data some data --reports out --period 2026-Q2 --check-if-changed"
    assert not (work / "oak-house").exists(), "no oak-house/.cache or oak-house/.config beside the Makefile"
    assert sorted(p.name for p in work.iterdir()) == ["bin", "pyproject.toml"]
