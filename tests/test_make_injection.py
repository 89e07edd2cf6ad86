"""No value given to make reaches a recipe's shell as code: each hostile value is only ever data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
needs_venv = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "wellled").exists(), reason="run through `make test`")

# Every value a user can give a make target, in the runs that give them. A run gives every one of its variables
# the same kind of hostile value at once, each with a marker of its own (a separate make run per variable cost a
# wellled start each, 54 in all). HOME and HOME_ID are in separate runs: HOME given on make's command line
# becomes HOME_ID.
RUNS = [
    ("report", ("HOME_ID", "PERIOD", "FRAMEWORK", "DATA", "REPORTS")),
    ("report", ("HOME", "MIN_RESPONDENTS")),
    ("reports", ("JOBS", "FORCE")),
    ("check", ("STRICT",)),
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
@pytest.mark.parametrize(("target", "variables"), RUNS, ids=["-".join([t, *v]) for t, v in RUNS])
def test_no_make_variable_runs_as_shell_code(target, variables, tmp_path):
    markers = {variable: tmp_path / f"pwned-{variable}" for variable in variables}
    ran = 0
    for form in range(len(hostile_values(tmp_path))):
        where = {"DATA": str(tmp_path / "data"), "REPORTS": str(tmp_path / "reports")}
        given = {}
        for variable in variables:
            value = hostile_values(markers[variable])[form]
            if variable in ("DATA", "REPORTS"):
                value = f"{tmp_path}/{value}"  # a folder the run may create stays inside tmp_path
            given[variable] = value
        args = [target, *(f"{k}={v}" for k, v in {**where, **given}.items())]
        if target == "report" and not {"HOME", "HOME_ID"} & set(variables):
            args.append("HOME=oak-house")
        done = make(*args, env={})
        ran += 1
        for variable, marker in markers.items():
            assert not marker.exists(), f"make {' '.join(args)} ran {variable} as code:\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        assert "wellled" in done.stderr, "the recipe ran: wellled itself answered"
        assert done.returncode != 0 or target == "check"
    assert ran == len(hostile_values(tmp_path))


@needs_venv
@pytest.mark.slow
def test_a_hostile_home_is_refused_by_the_cli_before_anything_runs(tmp_path):
    marker = tmp_path / "pwned"
    done = make("report", f'HOME=x";touch {marker};"', f"DATA={tmp_path / 'data'}", f"REPORTS={tmp_path / 'r'}", env={})
    assert done.returncode != 0 and not marker.exists()
    assert "is not an id like 'oak-house'" in done.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "r").exists()
