"""No value given to make reaches a recipe's shell as code: each hostile value is only ever data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_venv = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "wellled").exists(), reason="run through `make test`")

# (target, variable): every value a user can give a make target
VARIABLES = [
    ("report", "HOME"),
    ("report", "HOME_ID"),
    ("report", "PERIOD"),
    ("report", "FRAMEWORK"),
    ("report", "MIN_RESPONDENTS"),
    ("report", "DATA"),
    ("report", "REPORTS"),
    ("reports", "JOBS"),
    ("check", "STRICT"),
]


def hostile_values(marker: Path) -> list[str]:
    return [
        f'x";touch {marker};"',
        f"`touch {marker}`",
        f"$$(touch {marker})",
        f"$(touch {marker})",
        f"$(shell touch {marker})",
        f"'; touch {marker}; '",
    ]


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean_env, **env},
        timeout=300,
    )


@needs_venv
@pytest.mark.slow
@pytest.mark.parametrize(("target", "variable"), VARIABLES)
def test_no_make_variable_runs_as_shell_code(target, variable, tmp_path):
    marker = tmp_path / "pwned"
    ran = 0
    for value in hostile_values(marker):
        where = {"DATA": str(tmp_path / "data"), "REPORTS": str(tmp_path / "reports")}
        if variable in ("DATA", "REPORTS"):
            value = f"{tmp_path}/{value}"  # a folder the run may create stays inside tmp_path
        args = [target, f"{variable}={value}", *(f"{k}={v}" for k, v in where.items() if k != variable)]
        if target == "report" and variable not in ("HOME", "HOME_ID"):
            args.append("HOME=oak-house")
        done = make(*args, env={})
        ran += 1
        assert not marker.exists(), f"make {' '.join(args)} ran the value as code:\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode != 0 or target == "check"
    assert ran == len(hostile_values(marker))


@needs_venv
@pytest.mark.slow
def test_a_hostile_home_is_refused_by_the_cli_before_anything_runs(tmp_path):
    marker = tmp_path / "pwned"
    done = make("report", f'HOME=x";touch {marker};"', f"DATA={tmp_path / 'data'}", f"REPORTS={tmp_path / 'r'}", env={})
    assert done.returncode != 0 and not marker.exists()
    assert "is not an id like 'oak-house'" in done.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "r").exists()
