"""The Makefile as a user drives it: self-documenting, and `make report HOME=x` keeps the real $HOME."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from wellled.paths import Paths
from wellled.report import batch, stage

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
    done = make("demo", f"DATA={data}", f"REPORTS={reports}", "JOBS=2")
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
    alts = re.findall(r'<img [^>]*?alt="([^"]*)"', overview.with_name("provider-overview.html").read_text())
    assert len(alts) >= 6 and "Chart" not in alts, f"every chart of the overview says what it is: {alts}"
    assert any(alt.startswith("Heat map of indicative ratings") for alt in alts)
    assert any(alt.startswith("Funnel plot of Culture") for alt in alts)
    reports_in_parallel_match_wellled_summary_and_the_overview_links_them(
        Paths(data, reports), overview.parent.name, tmp_path
    )


def reports_in_parallel_match_wellled_summary_and_the_overview_links_them(paths: Paths, period: str, tmp_path: Path):
    """What `wellled reports --jobs 2` (the last step of `make demo JOBS=2`) wrote, read back."""
    homes = batch.select_homes(stage.clean_data(paths))
    for home in homes:
        folder = paths.report_dir(home, period)
        assert {"governance-report.pdf", "governance-report.html", "summary.json", "fingerprint.json"} <= {
            p.name for p in folder.iterdir()
        }
    for home in ("oak-house", "elm-grove"):
        alone = run_cli("summary", home, "--data", str(paths.data))
        assert json.loads(alone.stdout) == json.loads((paths.report_dir(home, period) / "summary.json").read_text())
    folder = paths.overview_dir(period)
    data = json.loads((folder / "overview.json").read_text())
    assert [h["home_id"] for h in data["homes"]] and len(data["homes"]) == len(homes)
    for home in data["homes"]:
        assert (folder / home["report"]).resolve() == (
            paths.report_dir(home["home_id"], period) / "governance-report.html"
        ).resolve()
    page = (folder / "provider-overview.html").read_text()
    assert f'href="../../oak-house/{period}/governance-report.html"' in page
    for summary in (json.loads((paths.report_dir(h, period) / "summary.json").read_text()) for h in homes):
        for comment in summary["comments"]:
            assert comment["text"][:40] not in page, "comment text must not reach the overview"
    index = paths.index_file.read_text()
    assert (
        f"overview/{period}/provider-overview.html" in index and f"oak-house/{period}/governance-report.html" in index
    )
    assert (folder / "provider-overview.pdf").read_bytes()[:5] == b"%PDF-"
    # the copy still works elsewhere: the links are relative
    moved = tmp_path / "copied"
    shutil.copytree(paths.reports, moved)
    assert (moved / "overview" / period / home["report"]).is_file()
