"""What a user reads when the machine, not the data, is the problem: one line naming the path, exit 1."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from tests.check_helpers import TODAY, write_raw
from tests.conftest import Completed
from wellled import cli


def run_here(capsys, *args: str) -> Completed:
    """`wellled ARGS` through the CLI's entry point in this process (no interpreter start): what a user sees."""
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return Completed(code, captured.out, captured.err)


def _os_error(action) -> OSError:
    try:
        action()
    except OSError as error:
        return error
    raise AssertionError("no OSError")


def _write_to_a_full_disk() -> None:
    with open("/dev/full", "w") as handle:
        handle.write("x" * 65536)
        handle.flush()


@pytest.mark.parametrize(
    ("provoke", "cause"),
    [
        (lambda tmp: (tmp / "missing" / "file.csv").read_bytes(), "no such file or folder"),
        (lambda tmp: (tmp / "loop").symlink_to(tmp / "loop") or (tmp / "loop").read_bytes(), "symbolic link loop"),
        (lambda tmp: (tmp / "afile").write_text("") or (tmp / "afile" / "logs").mkdir(), "not a folder"),
        (lambda tmp: _write_to_a_full_disk(), "no space left"),
        (lambda tmp: os.open(tmp, os.O_WRONLY), "a folder where a file was expected"),
    ],
)
def test_os_errors_become_one_line_causes(provoke, cause, tmp_path):
    error = _os_error(lambda: provoke(tmp_path))
    message = cli.os_error_message(error)
    assert message.startswith(cause) and "\n" not in message
    if error.errno != errno.ENOSPC or error.filename:
        assert str(tmp_path) in message or error.filename is None


def test_check_with_an_unwritable_reports_folder_names_it_and_leaves_clean_alone(tmp_path, capsys):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_raw(data)
    assert cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY]) == 0
    before = {p.name: p.read_bytes() for p in (data / "clean").glob("*.parquet")}
    manifest = (data / "clean" / "manifest.json").read_bytes()
    (data / "raw" / "surveys" / "s.csv").write_text((data / "raw" / "surveys" / "s.csv").read_text() + "\n")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # as unwritable as a read-only folder, even for root
    capsys.readouterr()
    code = cli.main(["check", "--data", str(data), "--reports", str(blocked), "--today", TODAY])
    err = capsys.readouterr().err
    assert code == 1
    assert "internal error" not in err and len(err.strip().splitlines()) == 1, err
    assert str(blocked) in err and err.startswith("wellled: not a folder"), err
    assert (data / "clean" / "manifest.json").read_bytes() == manifest
    assert {p.name: p.read_bytes() for p in (data / "clean").glob("*.parquet")} == before
    assert not list(data.glob(".clean-*"))


def test_a_killed_checks_staging_folders_are_removed_by_the_next_run(tmp_path, capsys):
    data, reports = tmp_path / "data", tmp_path / "reports"
    write_raw(data)
    leftover = data / ".clean-0123456789ab"
    (leftover / "quarantine").mkdir(parents=True)
    (leftover / "responses.parquet").write_bytes(b"care data")
    (data / ".clean-retired-1-abcdef").mkdir()
    assert cli.main(["check", "--data", str(data), "--reports", str(reports), "--today", TODAY]) == 0
    assert not list(data.glob(".clean-*"))


@pytest.mark.slow  # a 300 MB file read by a process of its own under a memory limit
def test_running_out_of_memory_is_a_one_line_cause(tmp_path):
    framework = tmp_path / "big.json"
    framework.write_text('{"id": "' + "x" * 300_000_000 + '"}')
    program = (
        "import resource, sys\n"
        "from wellled import cli\n"
        "import wellled.analysis.framework\n"
        "pages = int(open('/proc/self/statm').read().split()[0])\n"
        "limit = pages * resource.getpagesize() + 400 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        f"sys.exit(cli.main(['summary', 'oak-house', '--framework', {str(framework)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("wellled: out of memory") and len(done.stderr.splitlines()) == 1
    framework.unlink()


def test_control_characters_and_bidi_overrides_are_shown_escaped(tmp_path, capsys):
    data = tmp_path / "d\x1b[32m accepted\u202e\nX"
    done = run_here(capsys, "check", "--data", str(data), "--reports", str(tmp_path / "r"))
    assert done.code == 2
    assert "\x1b" not in done.stderr and "\u202e" not in done.stderr
    assert "\\x1b[32m accepted\\u202e\\nX" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_deeply_nested_framework_file_is_a_usage_error(tmp_path, capsys):
    for name, text in [("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000), ("deep.json", "[" * 100_000)]:
        path = tmp_path / name
        path.write_text(text)
        done = run_here(capsys, "summary", "oak-house", "--data", str(tmp_path), "--framework", str(path))
        assert done.code == 2, done.stderr
        assert "nested too deeply" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_huge_framework_id_is_cut_in_messages(tmp_path, capsys):
    path = tmp_path / "long-id.toml"
    path.write_text('id = "' + "x" * 5_000_000 + '"\n')
    done = run_here(capsys, "summary", "oak-house", "--data", str(tmp_path), "--framework", str(path))
    assert done.code == 2 and "more characters" in done.stderr and len(done.stderr) < 2000
    done = run_here(capsys, "summary", "oak-house", "--data", str(tmp_path), "--framework", "y" * 100_000)
    assert done.code == 2 and "more characters" in done.stderr and len(done.stderr) < 2000


def test_report_text_drops_bidirectional_controls():
    from wellled.report.present import md, text

    assert text("Good\u202e doog\u2066x\u2069") == "Good doogx"
    assert "\u202e" not in md("**{name}**", name="Oak\u202eHouse").data


def test_symlinked_data_folder_loop_is_not_an_internal_error(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    done = run_here(capsys, "check", "--data", str(loop), "--reports", str(tmp_path / "r"))
    assert done.code in (1, 2) and "internal error" not in done.stderr and str(loop) in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
