"""A report set is switched in whole: a run killed at any step leaves the old set or the new set, never a mix."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from pathlib import Path

import pytest

from wellled.report import publication

OLD = {"governance-report.ipynb": "old nb", "governance-report.html": "old html", "governance-report.pdf": "old pdf",
       "summary.json": "old summary"}  # fmt: skip
NEW = {"governance-report.ipynb": "new nb", "governance-report.html": "new html", "summary.json": "new summary",
       "fingerprint.json": "new fingerprint"}  # fmt: skip
NAMES = sorted({*OLD, *NEW})
# the file-system steps of a publish, as Python's audit hooks name them
STEPS = {"os.rename", "os.symlink", "os.remove", "os.rmdir", "os.link", "os.mkdir", "shutil.rmtree", "shutil.copyfile"}


def _seen(folder: Path) -> dict[str, str]:
    """What a reader gets opening each file of the report folder by its path."""
    seen = {}
    for name in NAMES:
        with contextlib.suppress(FileNotFoundError):
            seen[name] = (folder / name).read_text()
    return seen


def _build(folder: Path, files: dict[str, str]) -> Path:
    version = publication.new_version(folder)
    for name, text in files.items():
        (version / name).write_text(text)
    return version


def _publish_then_die_at(folder: Path, step: int, result) -> None:
    """In a child: build and publish the new set, ending the process abruptly before file-system step ``step``."""
    counted = [0]

    def hook(event: str, args: tuple) -> None:
        if event in STEPS:
            counted[0] += 1
            if counted[0] == step:
                os._exit(9)

    publication.remove_leftovers(folder)
    version = _build(folder, NEW)
    sys.addaudithook(hook)
    publication.publish(folder, version)
    result.value = counted[0]
    os._exit(0)


def _old_set(folder: Path, legacy: bool) -> None:
    if legacy:  # files written in place, as before sets were linked
        folder.mkdir(parents=True)
        for name, text in OLD.items():
            (folder / name).write_text(text)
    else:
        publication.publish(folder, _build(folder, OLD))
    (folder / "cqc-saf-2024").mkdir()  # another framework's reports: not part of the set
    (folder / "cqc-saf-2024" / "governance-report.html").write_text("other framework")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file systems only")
@pytest.mark.parametrize("legacy", [False, True], ids=["published-by-wellled", "files-written-in-place"])
def test_a_publish_killed_at_any_step_leaves_all_old_or_all_new_and_the_next_run_cleans_up(tmp_path, legacy):
    context = multiprocessing.get_context("fork")
    step, killed, outcomes = 1, 0, set()
    while True:
        folder = tmp_path / f"run{step}" / "oak-house" / "2026-Q3"
        _old_set(folder, legacy)
        steps = context.Value("i", -1)
        child = context.Process(target=_publish_then_die_at, args=(folder, step, steps))
        child.start()
        child.join(60)
        seen = _seen(folder)
        assert seen in (OLD, NEW), f"killed before step {step}: a mix of sets {seen}"
        outcomes.add("old" if seen == OLD else "new")
        assert (folder / "cqc-saf-2024" / "governance-report.html").read_text() == "other framework"
        if child.exitcode == 0:
            break
        assert child.exitcode == 9
        killed += 1
        publication.remove_leftovers(folder)  # the next run, as execute() does it under the report lock
        publication.publish(folder, _build(folder, NEW))
        assert _seen(folder) == NEW
        store = publication.versions_dir(folder)
        assert sorted(p.name for p in store.iterdir()) == ["current", os.readlink(store / "current")]
        assert sorted(p.name for p in folder.iterdir()) == ["cqc-saf-2024", *sorted(NEW)]
        step += 1
    assert killed == steps.value >= 8, "every step of the publish was interrupted once"
    assert outcomes == {"old", "new"}
    assert sorted(p.name for p in folder.iterdir()) == ["cqc-saf-2024", *sorted(NEW)], "no link of the old PDF"


def test_a_format_not_produced_this_run_goes_and_an_open_file_keeps_its_set(tmp_path):
    folder = tmp_path / "oak-house" / "2026-Q3"
    publication.publish(folder, _build(folder, OLD))
    with open(folder / "governance-report.pdf") as reading:  # a reader already holding the old PDF
        publication.publish(folder, _build(folder, NEW))  # HTML only this time: no PDF
        assert reading.read() == "old pdf"
    assert _seen(folder) == NEW, "the old PDF would pass for this run's"
    assert sorted(p.name for p in folder.iterdir()) == sorted(NEW)
    assert all((folder / name).is_symlink() for name in NEW)
