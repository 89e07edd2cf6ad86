"""The run's staging folder beside ``clean/``: clean tables appended chunk by chunk as Parquet row groups.

Nothing here is visible in ``clean/`` until :func:`wellled.check.store.swap_in` puts the folder in its place.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wellled.check import clean_schema
from wellled.errors import RunError
from wellled.paths import Paths


class Staging:
    """A new ``.clean-*`` folder; :meth:`append` adds rows to a table, :meth:`close` finishes every file."""

    def __init__(self, paths: Paths):
        self.paths = paths
        self.token = uuid.uuid4().hex[:12]
        self.folder = paths.staging_dir(self.token)
        self.folder.mkdir(parents=True)
        (self.folder / ".gitkeep").touch()
        self._writers: dict[str, tuple[pq.ParquetWriter, pa.Schema]] = {}
        self._sides: list[Path] = []

    def side_folder(self, name: str) -> Path:
        """A scratch folder beside the staging folder, removed with it (and by the next run if killed)."""
        self._sides.append(self.paths.staging_dir(f"{self.token}-{name}"))
        return self._sides[-1]

    def path(self, name: str) -> Path:
        return self.folder / self.paths.clean_table(name).name

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Rows of a clean table, conformed to its declared schema, as a new row group."""
        try:
            frame = clean_schema.conform(name, frame)
        except clean_schema.SchemaMismatch as error:
            raise RunError(f"the check built a clean table that breaks its declared schema: {error}") from None
        if name not in self._writers:
            schema = pa.Schema.from_pandas(clean_schema.empty(name), preserve_index=False)
            self._writers[name] = (pq.ParquetWriter(self.path(name), schema), schema)
        writer, schema = self._writers[name]
        if len(frame):
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))

    def close(self, names: list[str]) -> None:
        """Finish every table; a table that got no rows is written empty."""
        for name in names:
            self.append(name, clean_schema.empty(name))
        for writer, _ in self._writers.values():
            writer.close()
        self._writers = {}

    def remove(self) -> None:
        for writer, _ in self._writers.values():
            writer.close()
        self._writers = {}
        for folder in [self.folder, *self._sides]:
            shutil.rmtree(folder, ignore_errors=True)
