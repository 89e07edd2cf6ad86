"""Report charts, importable as ``wellled.charts`` for notebook authors: see :mod:`wellled.report.charts`."""

from wellled.report.charts import *  # noqa: F403
from wellled.report.charts import Chart, place

__all__ = ["Chart", "place"]
