"""The clean tables' one declaration: the check writes it, the analysis refuses anything else, the doc shows it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from wellled.check import clean_schema
from wellled.cli import main
from wellled.paths import Paths
from wellled.report.stage import needs_check

OLD_CLEAN = Path(__file__).parent / "fixtures" / "clean-schema-1"


def old_clean(tmp_path: Path, schema_version: int | None = None) -> Paths:
    """DATA/clean as wellled 0.1.0 wrote it (schema 1), optionally relabelled with another schema version."""
    paths = Paths(tmp_path / "data", tmp_path / "reports")
    paths.raw.mkdir(parents=True)
    shutil.copytree(OLD_CLEAN, paths.clean)
    if schema_version is not None:
        manifest = json.loads(paths.manifest.read_text())
        paths.manifest.write_text(json.dumps({**manifest, "schema_version": schema_version}))
    return paths


def summary(paths: Paths, capsys) -> tuple[int, str]:
    code = main(["summary", "oak-house", "--data", str(paths.data)])
    return code, capsys.readouterr().err


def test_check_writes_every_table_as_declared(check):
    run = check(audits={})
    assert run.code == 0, run.err
    for name, table in clean_schema.TABLES.items():
        written = pd.read_parquet(run.data / "clean" / f"{name}.parquet")
        assert {c: str(t) for c, t in written.dtypes.items()} == table.dtypes, name
    assert len(pd.read_parquet(run.data / "clean" / "answers.parquet")) > 0
    assert len(pd.read_parquet(run.data / "clean" / "audits.parquet")) == 0, "an empty table keeps its dtypes"
    manifest = json.loads((run.data / "clean" / "manifest.json").read_text())
    assert manifest["schema_version"] == clean_schema.SCHEMA_VERSION


def test_a_clean_folder_of_another_schema_version_is_refused(tmp_path, capsys):
    paths = old_clean(tmp_path)
    assert json.loads(paths.manifest.read_text())["schema_version"] == 1
    code, err = summary(paths, capsys)
    assert code == 1
    assert err.strip().splitlines() == [
        f"wellled: {paths.clean} was written by wellled 0.1.0 with schema 1; this wellled reads schema "
        f"{clean_schema.SCHEMA_VERSION}: run `make check` (or `wellled check --data {paths.data}`)"
    ]
    assert needs_check(paths), "`make report` checks again before reporting from an old clean/"


def test_a_clean_table_without_a_column_is_refused(tmp_path, capsys):
    paths = old_clean(tmp_path, schema_version=clean_schema.SCHEMA_VERSION)
    assert summary(paths, capsys)[0] == 0, "the tables have the declared shape"
    answers = pd.read_parquet(paths.clean_table("answers"))
    answers.drop(columns="score").to_parquet(paths.clean_table("answers"))
    code, err = summary(paths, capsys)
    assert code == 1
    assert err.strip().splitlines() == [
        f"wellled: {paths.clean} is not what this wellled reads (the answers table has no score column): "
        f"run `make check` (or `wellled check --data {paths.data}`)"
    ]


def test_a_clean_column_of_the_wrong_type_is_refused(tmp_path, capsys):
    paths = old_clean(tmp_path, schema_version=clean_schema.SCHEMA_VERSION)
    answers = pd.read_parquet(paths.clean_table("answers"))
    answers.assign(score="agree").to_parquet(paths.clean_table("answers"))
    code, err = summary(paths, capsys)
    assert code == 1 and "the answers table's score column is not Int8" in err
    assert "internal error" not in err


def test_the_clean_data_doc_matches_the_declaration():
    doc = (Path(__file__).parents[1] / "docs" / "clean-data.md").read_text()
    assert clean_schema.markdown() in doc, "run `make docs` to regenerate docs/clean-data.md"
    for table in clean_schema.TABLES.values():
        assert all(f"| `{c}` |" in doc for c in table.dtypes)
