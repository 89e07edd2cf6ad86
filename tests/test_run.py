"""Execution: a failing cell is named and leaves the previous report alone; the kernel is this environment's;
Quarto renders without executing or re-parameterising (a stand-in quarto here, the real one where installed)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import nbformat
import pytest

from wellled.errors import RunError
from wellled.report import execute, kernel, render

FIXTURE = Path(__file__).parent / "fixtures" / "report-fixture.ipynb"


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('home_id = "x"', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def previous_report(tmp_path) -> Path:
    folder = tmp_path / "reports" / "oak-house" / "2026-Q2"
    folder.mkdir(parents=True)
    for suffix in ("ipynb", "html", "pdf"):
        (folder / f"governance-report.{suffix}").write_text(f"previous {suffix}")
    return folder


@pytest.mark.slow
def test_a_failing_labelled_cell_is_named_and_the_previous_report_stays(tmp_path, previous_report):
    notebook = _notebook(
        tmp_path / "bad.ipynb", "x = 1", "#| label: theme-scores\nraise ValueError('no responses for W3\\nsecond line')"
    )
    with pytest.raises(RunError) as raised:
        execute.execute(notebook, previous_report, {"home_id": "oak-house"}, renderer="builtin")
    message = str(raised.value)
    assert "cell 'theme-scores'" in message and "ValueError: no responses for W3" in message
    assert "second line" not in message and "Traceback" not in message
    assert "governance-report.failed.ipynb" in message
    for suffix in ("ipynb", "html", "pdf"):
        assert (previous_report / f"governance-report.{suffix}").read_text() == f"previous {suffix}"
    failed = nbformat.read(previous_report / "governance-report.failed.ipynb", as_version=4)
    assert any(output.get("ename") == "ValueError" for cell in failed.cells for output in cell.get("outputs", []))
    assert sorted(p.name for p in previous_report.iterdir()) == [
        "governance-report.failed.ipynb",
        "governance-report.html",
        "governance-report.ipynb",
        "governance-report.pdf",
    ]


@pytest.mark.slow
def test_an_unlabelled_failing_cell_is_named_by_position_and_a_later_success_clears_the_failure(tmp_path):
    out = tmp_path / "r" / "elm" / "2026-Q1"
    with pytest.raises(RunError, match=r"cell 3 \(of 3\): ZeroDivisionError: division by zero"):
        execute.execute(
            _notebook(tmp_path / "bad.ipynb", "y = 2", "1 / 0"), out, {}, formats=["html"], renderer="builtin"
        )
    assert (out / "governance-report.failed.ipynb").is_file()
    report = execute.execute(
        _notebook(tmp_path / "good.ipynb", "print(home_id)"),
        out,
        {"home_id": "elm"},
        formats=["html"],
        renderer="builtin",
    )
    assert sorted(p.name for p in out.iterdir()) == ["governance-report.html", "governance-report.ipynb"]
    assert report.outputs == {"html": out / "governance-report.html"}


@pytest.mark.slow
def test_files_the_notebook_writes_in_its_folder_are_published_with_the_report(tmp_path):
    notebook = _notebook(tmp_path / "nb.ipynb", "open('summary.json', 'w').write('{\"home_id\": \"%s\"}' % home_id)")
    added = []
    report = execute.execute(
        notebook,
        tmp_path / "out",
        {"home_id": "ash"},
        formats=["html"],
        renderer="builtin",
        before_publish=lambda staging: added.append(sorted(p.name for p in staging.iterdir())),
    )
    assert json.loads((report.directory / "summary.json").read_text()) == {"home_id": "ash"}
    assert "summary.json" in added[0]
    assert [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")] == []


def test_the_kernel_spec_is_this_interpreter_registered_inside_the_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel, "KERNELS_DIR", tmp_path / "share" / "jupyter" / "kernels")
    assert kernel.ensure_kernel() == "wellled"
    spec = json.loads((tmp_path / "share/jupyter/kernels/wellled/kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["env"] == kernel.KERNEL_ENV
    before = (tmp_path / "share/jupyter/kernels/wellled/kernel.json").stat().st_mtime_ns
    kernel.ensure_kernel()
    assert (tmp_path / "share/jupyter/kernels/wellled/kernel.json").stat().st_mtime_ns == before


def test_papermill_resolves_wellled_to_this_interpreter_even_if_home_has_a_same_named_kernel(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    home = tmp_path / "home"
    impostor = home / ".local/share/jupyter/kernels/wellled"
    impostor.mkdir(parents=True)
    (impostor / "kernel.json").write_text(
        json.dumps({"argv": ["/usr/bin/false"], "display_name": "other", "language": "python"})
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("JUPYTER_DATA_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # as outside a virtual environment: home first
    kernel.ensure_kernel()
    assert kernel.spec_dir().is_relative_to(Path(sys.prefix))
    with kernel.kernel_search_path():
        spec = KernelSpecManager().get_kernel_spec("wellled")
    assert spec.argv[0] == sys.executable
    assert list(home.rglob("kernel.json")) == [impostor / "kernel.json"], "nothing registered in the home"


# --- Quarto -------------------------------------------------------------------------------------------

FAKE_QUARTO = """#!/usr/bin/env python3
import json, os, pathlib, sys
log = pathlib.Path(os.environ["FAKE_QUARTO_LOG"])
log.write_text(log.read_text() + json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(),
    "project": pathlib.Path("_quarto.yml").read_text() if pathlib.Path("_quarto.yml").exists() else None}) + "\\n")
name, to = sys.argv[2], sys.argv[sys.argv.index("--to") + 1]
pathlib.Path(name).with_suffix(".pdf" if to == "typst" else ".html").write_text("rendered by quarto --to " + to)
"""


def test_quarto_renders_the_executed_notebook_without_executing_or_parameters(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "quarto").write_text(FAKE_QUARTO)
    (bin_dir / "quarto").chmod(stat.S_IRWXU)
    log = tmp_path / "quarto.log"
    log.write_text("")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    assert render.resolve_renderer("auto") == "quarto"
    executed = tmp_path / "out" / "governance-report.ipynb"
    executed.parent.mkdir()
    shutil.copy(FIXTURE, executed)
    outputs = render.render(executed, ("html", "pdf"), "auto")
    assert outputs["html"].read_text() == "rendered by quarto --to html"
    assert outputs["pdf"].read_text() == "rendered by quarto --to typst"
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [call["argv"] for call in calls] == [
        ["render", "governance-report.ipynb", "--to", "html", "--no-execute"],
        ["render", "governance-report.ipynb", "--to", "typst", "--no-execute"],
    ]
    assert all("embed-resources: true" in call["project"] for call in calls)
    assert sorted(p.name for p in executed.parent.iterdir()) == [
        "governance-report.html",
        "governance-report.ipynb",
        "governance-report.pdf",
    ]


REAL_QUARTO = shutil.which("quarto")


@pytest.mark.slow
@pytest.mark.skipif(REAL_QUARTO is None, reason="quarto is not on PATH (it cannot be installed on our machines)")
def test_real_quarto_renders_the_executed_fixture(tmp_path):
    report = execute.execute(FIXTURE, tmp_path / "q", {"home_id": "quarto-home"}, renderer="quarto")
    html = report.outputs["html"].read_text(encoding="utf-8")
    assert "quarto-home" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert report.outputs["pdf"].read_bytes().startswith(b"%PDF")
