"""The Makefile as a user drives it: self-documenting, and `make report HOME=x` keeps the real $HOME."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_venv = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "wellled").exists(), reason="run through `make test`")


def make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_make_help_lists_every_target_with_a_line():
    done = make("help")
    assert done.returncode == 0
    for target in ("setup", "demo", "check", "report", "reports", "test", "bench", "clean"):
        assert f"make {target} " in done.stdout


@pytest.mark.slow
@needs_venv
def test_make_report_home_keeps_the_users_home(demo_data, tmp_path):
    reports = tmp_path / "reports"
    data = tmp_path / "data"
    shutil.copytree(demo_data.data, data)
    done = make("report", "HOME=oak-house", f"DATA={data}", f"REPORTS={reports}", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (reports / "oak-house" / "2026-Q3" / "governance-report.pdf").exists()
    assert not (ROOT / "oak-house").exists(), "HOME=oak-house leaked into the recipes as a home directory"
    real_home = pwd.getpwuid(os.getuid()).pw_dir
    probe = make("-s", "--eval", "probe: ; @echo $$HOME", "probe", "HOME=oak-house")
    assert probe.stdout.strip() == real_home


@pytest.mark.slow
@needs_venv
def test_make_report_with_a_bad_home_names_the_known_ones(demo_data, tmp_path):
    done = make("report", "HOME=../../etc", f"DATA={demo_data.data}", f"REPORTS={tmp_path}")
    assert done.returncode != 0
    assert "is not an id like 'oak-house'" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
@needs_venv
def test_make_demo_ends_with_a_report_for_every_demo_home(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    done = make("demo", f"DATA={data}", f"REPORTS={reports}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    homes = ["birch-lodge", "cedar-house", "elm-grove", "maple-view", "oak-house", "willow-court"]
    assert sorted(p.parent.parent.name for p in reports.glob("*/*/governance-report.pdf")) == homes
    assert len(list(reports.glob("*/*/governance-report.html"))) == 6
    assert (reports / "data-quality" / "data-quality.html").exists() and (data / "clean" / "answers.parquet").exists()
    for home in homes:
        assert f"{home} " in done.stdout and str(reports / home) in done.stdout, "make demo says where each report is"
    overview = next(reports.glob("overview/*/provider-overview.pdf"))
    assert overview.with_name("provider-overview.html").is_file() and overview.with_name("overview.json").is_file()
    assert "provider-overview.html" in (reports / "index.html").read_text()
