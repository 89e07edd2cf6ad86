"""How a home report is made, and the parameters its notebook receives: one definition for one home and many."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wellled.analysis.themes import AnalysisParams
from wellled.errors import UsageError
from wellled.paths import HOME_REPORT_NOTEBOOK
from wellled.report import render


@dataclass(frozen=True)
class ReportOptions:
    """How a report is made: formats, renderer, notebook, suppression threshold, and whether to check first."""

    formats: tuple[str, ...] = render.FORMATS
    renderer: str = "auto"
    notebook: Path = HOME_REPORT_NOTEBOOK
    min_respondents: int = 5
    check_if_changed: bool = False
    allow_small_numbers: bool = False
    time_limit: float = 600.0  # wall-clock seconds of one report (every cell and rendering) before it is stopped

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", render.parse_formats(self.formats))
        render.resolve_renderer(self.renderer)
        if not self.time_limit > 0:
            raise UsageError(f"--time-limit must be a positive number of seconds, not {self.time_limit}")
        self.analysis_params()  # the suppression threshold and its floor

    def analysis_params(self) -> AnalysisParams:
        return AnalysisParams(min_respondents=self.min_respondents, allow_small_numbers=self.allow_small_numbers)


def notebook_parameters(
    home_id: str, period: str, framework: str, data: Path, options: ReportOptions, figures_file: Path | None = None
) -> dict[str, Any]:
    """What Papermill injects into the home notebook; optional ones only when set, so other notebooks still run."""
    parameters: dict[str, Any] = {
        "home_id": home_id,
        "period": period,
        "framework": framework,
        "data_dir": str(Path(data).resolve()),
        "min_respondents": options.min_respondents,
    }
    if options.allow_small_numbers:
        parameters["allow_small_numbers"] = True
    if figures_file is not None:
        parameters["figures_file"] = str(figures_file)
    return parameters
