"""Clean tables for tests, built from their one declaration (``wellled.check.clean_schema``)."""

from __future__ import annotations

import pandas as pd

from wellled.check import clean_schema


def clean_frame(name: str, rows=None) -> pd.DataFrame:
    """The clean table ``name`` from records or a dict of columns; a nullable column not given is all missing.

    With no rows, every column not given is added empty.

    The result has exactly the declared columns and dtypes, as ``wellled check`` writes them.
    """
    frame = pd.DataFrame(rows if rows is not None else [])
    for column, dtype in clean_schema.TABLES[name].dtypes.items():
        if column not in frame and (frame.empty or dtype not in ("int64", "bool")):
            frame[column] = pd.Series(None, index=frame.index, dtype=dtype)
    return clean_schema.conform(name, frame)
