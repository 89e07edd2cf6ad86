"""Every path wellled reads or writes, derived in one place from ``--data`` and ``--reports``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from wellled.errors import UsageError

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parents[1]


def _shipped(installed: str, source: str) -> Path:
    """A folder shipped with wellled: inside the wheel when installed, at the top of a source checkout."""
    inside_wheel = PACKAGE_DIR / installed
    return inside_wheel if inside_wheel.is_dir() else SOURCE_ROOT / source


EXPECTATIONS_DIR = _shipped("_expectations", "expectations")
NOTEBOOKS_DIR = _shipped("_notebooks", "notebooks")
FRAMEWORKS_DIR = PACKAGE_DIR / "analysis" / "frameworks"
HOME_REPORT_NOTEBOOK = NOTEBOOKS_DIR / "home-report.ipynb"
METHODOLOGY_FILE = _shipped("_docs", "docs") / "methodology.md"
# Quarto project settings, which the built-in renderer honours too: in the wheel, or at the checkout's top.
QUARTO_CONFIG = next(
    (path for path in (PACKAGE_DIR / "_quarto.yml", SOURCE_ROOT / "_quarto.yml") if path.is_file()),
    SOURCE_ROOT / "_quarto.yml",
)
PROVIDER_OVERVIEW_NOTEBOOK = NOTEBOOKS_DIR / "provider-overview.ipynb"
REPORT_STEM = "governance-report"
OVERVIEW_STEM = "provider-overview"
DEFAULT_FRAMEWORK_ID = "cqc-kloe-2017"
OVERVIEW_FOLDER = "overview"
LOGS_FOLDER = "logs"
DATA_QUALITY_FOLDER = "data-quality"
# Folders of REPORTS/ that are not a home's: a home with one of these ids would share them.
RESERVED_HOME_IDS = frozenset({OVERVIEW_FOLDER, LOGS_FOLDER, DATA_QUALITY_FOLDER})


def require_slug(value: str, what: str = "home") -> str:
    """Return ``value`` if it is a safe slug such as ``oak-house``; otherwise a UsageError."""
    if not value or not SLUG_PATTERN.match(value):
        raise UsageError(f"{what} {value!r} is not an id like 'oak-house' (lower-case letters, digits and hyphens)")
    return value


def require_home_id(value: str) -> str:
    """``require_slug`` for a home, refusing the ids of the folders REPORTS/ keeps for itself."""
    require_slug(value)
    if value in RESERVED_HOME_IDS:
        raise UsageError(reserved_home_message(value))
    return value


def reserved_home_message(home_id: str) -> str:
    return (
        f"home id {home_id!r} cannot have a report: reports/{home_id}/ is wellled's own folder "
        f"({', '.join(sorted(RESERVED_HOME_IDS))} are reserved); give the home another id in the data"
    )


@dataclass(frozen=True)
class Paths:
    """Where one run's data and reports live. Nothing else in wellled builds a path by hand."""

    data: Path = Path("data")
    reports: Path = Path("reports")

    @classmethod
    def from_options(cls, data: str | Path = "data", reports: str | Path = "reports") -> Paths:
        return cls(Path(data), Path(reports))

    # raw inputs, as the analyst drops them
    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def homes_file(self) -> Path:
        return self.raw / "homes.csv"

    @property
    def questions_file(self) -> Path:
        return self.raw / "questions.csv"

    @property
    def surveys_dir(self) -> Path:
        return self.raw / "surveys"

    @property
    def audits_dir(self) -> Path:
        return self.raw / "audits"

    @property
    def redact_names_file(self) -> Path:
        return self.raw / "redact-names.txt"

    @property
    def demo_marker(self) -> Path:
        return self.raw / ".wellled-demo"

    # clean outputs of `wellled check`
    @property
    def clean(self) -> Path:
        return self.data / "clean"

    def clean_table(self, name: str) -> Path:
        return self.clean / f"{name}.parquet"

    @property
    def manifest(self) -> Path:
        return self.clean / "manifest.json"

    @property
    def quarantine_dir(self) -> Path:
        return self.clean / "quarantine"

    @property
    def lock_file(self) -> Path:
        return self.data / ".wellled.lock"

    def staging_dir(self, token: str) -> Path:
        return self.data / f".clean-{token}"

    def figures_cache(self, key: str) -> Path:
        """Every home's theme figures for one state of the clean data, framework and parameters, kept for the
        next report of a single home; beside the care data they come from, never under REPORTS/."""
        return self.data / ".figures" / f"{key}.parquet"

    # reports and logs
    @property
    def logs_dir(self) -> Path:
        return self.reports / LOGS_FOLDER

    @property
    def data_quality_dir(self) -> Path:
        return self.reports / DATA_QUALITY_FOLDER

    def report_dir(self, home_id: str, period: str, framework_id: str = DEFAULT_FRAMEWORK_ID) -> Path:
        """``REPORTS/HOME/PERIOD/`` for the default framework, ``REPORTS/HOME/PERIOD/<framework-id>/`` otherwise."""
        folder = self.reports / require_home_id(home_id) / period
        return folder if framework_id == DEFAULT_FRAMEWORK_ID else folder / require_slug(framework_id, "framework")

    def overview_dir(self, period: str, framework_id: str = DEFAULT_FRAMEWORK_ID) -> Path:
        """``REPORTS/overview/PERIOD/`` (``.../<framework-id>/`` for another framework): the provider overview."""
        folder = self.reports / OVERVIEW_FOLDER / period
        return folder if framework_id == DEFAULT_FRAMEWORK_ID else folder / require_slug(framework_id, "framework")

    @property
    def index_file(self) -> Path:
        return self.reports / "index.html"

    RUN_PREFIX = ".run-"

    def run_folders(self) -> list[Path]:
        """Working folders of ``wellled reports`` runs (:mod:`wellled.report.run_folder`), alive or left behind."""
        if not self.reports.is_dir():
            return []
        return [p for p in self.reports.glob(f"{self.RUN_PREFIX}*") if p.is_dir() and not p.is_symlink()]
