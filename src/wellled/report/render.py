"""Render an executed notebook to HTML and PDF, with Quarto or with the built-in pandoc + typst renderer.

Public API:

- :func:`render` ``(executed, formats=("html", "pdf"), renderer="auto", project=QUARTO_CONFIG)
  -> dict[str, Path]``: write ``<stem>.html`` / ``<stem>.pdf`` beside the executed notebook.
- :func:`resolve_renderer` ``(renderer) -> "quarto" | "builtin"``.
- :func:`parse_formats` ``(text) -> tuple[str, ...]``: ``"html,pdf"`` checked and in order.
- :func:`settings` ``(notebook, project) -> Settings``: front matter merged over ``_quarto.yml``.

Neither renderer executes code: the notebook was executed by Papermill, and Quarto is called with
``--no-execute`` and no ``-P``. The built-in renderer is pandoc (``pypandoc-binary``) reading ``ipynb`` through
``templates/report.lua``, writing self-contained HTML and typst, and the ``typst`` package compiling the PDF.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wellled.errors import RunError, UsageError
from wellled.paths import PACKAGE_DIR, QUARTO_CONFIG

FORMATS = ("html", "pdf")
RENDERERS = ("auto", "quarto", "builtin")
TEMPLATES = PACKAGE_DIR / "report" / "templates"
READER = (
    "ipynb+citations+smart+fenced_divs+bracketed_spans+footnotes+table_captions+definition_lists"
    "+raw_attribute+header_attributes+link_attributes+implicit_figures+grid_tables+simple_tables"
)
TIMEOUT = 600
_LENGTH = re.compile(r"^\d+(\.\d+)?(pt|mm|cm|in|em)$")
_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,60}$")
_NUMBERING = re.compile(r"^[0-9aAiI.()\-]{1,12}$")
_MARGIN_KEYS = {"x", "y", "top", "bottom", "left", "right", "inside", "outside", "rest"}


@dataclass(frozen=True)
class Settings:
    """What the renderers need from the front matter and ``_quarto.yml``: metadata and per-format options."""

    meta: dict[str, Any] = field(default_factory=dict)
    formats: dict[str, dict[str, Any]] = field(default_factory=dict)

    def options(self, fmt: str) -> dict[str, Any]:
        return self.formats.get(fmt, {})


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"pdf,html"`` -> ``("html", "pdf")``; a UsageError for anything else.

    >>> parse_formats("pdf, html")
    ('html', 'pdf')
    """
    names = [part.strip().lower() for part in (text.split(",") if isinstance(text, str) else text)]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not any(names):
        raise UsageError(f"unknown format {', '.join(unknown) or repr(text)}; give html, pdf or html,pdf")
    return tuple(name for name in FORMATS if name in names)


def resolve_renderer(renderer: str) -> str:
    """``auto`` is Quarto when ``quarto`` is on PATH, else the built-in renderer."""
    if renderer not in RENDERERS:
        raise UsageError(f"unknown renderer {renderer!r}; give one of {', '.join(RENDERERS)}")
    if renderer == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    if renderer == "quarto" and not shutil.which("quarto"):
        raise UsageError("--renderer quarto: quarto is not on PATH (see docs/rendering.md to install it)")
    return renderer


def render(
    executed: str | Path,
    formats: Iterable[str] = FORMATS,
    renderer: str = "auto",
    project: Path | None = QUARTO_CONFIG,
    timeout: float | None = None,
) -> dict[str, Path]:
    """Render an executed notebook to ``formats`` beside it; returns {format: path}. Raises RunError.

    ``timeout`` (seconds, at most :data:`TIMEOUT`) bounds each pandoc or Quarto process."""
    executed = Path(executed)
    limit = TIMEOUT if timeout is None else max(0.001, min(TIMEOUT, timeout))
    wanted = parse_formats(formats)
    chosen = resolve_renderer(renderer)
    with tempfile.TemporaryDirectory(prefix=".render-", dir=executed.parent) as scratch:
        work = Path(scratch).resolve()  # pandoc runs inside it: every path handed to it must be absolute
        if chosen == "quarto":
            built = _quarto(executed, wanted, work, project, limit)
        else:
            built = _builtin(executed, wanted, work, settings(_read_notebook(executed), project), limit)
        outputs = {}
        for fmt, path in built.items():
            target = executed.with_suffix(f".{fmt}")
            os.replace(path, target)
            outputs[fmt] = target
    return outputs


# --- settings: front matter over _quarto.yml -----------------------------------------------------------


def _read_notebook(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunError(f"cannot read the executed notebook: {error}", file=str(path)) from None


def _yaml(text: str, where: str) -> dict[str, Any]:
    import yaml

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RunError(f"invalid YAML: {str(error).splitlines()[0]}", file=where) from None
    return loaded if isinstance(loaded, dict) else {}


def front_matter(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """The YAML between ``---`` lines in the notebook's first raw cell, or {}."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "raw":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        match = re.match(r"\s*---\s*\n(.*?)\n---\s*$", source, re.DOTALL)
        return _yaml(match.group(1), "front matter") if match else {}
    return {}


def _format_options(document: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    formats = document.get("format")
    if isinstance(formats, str):
        return {}
    chosen = (formats or {}).get(fmt)
    return dict(chosen) if isinstance(chosen, dict) else {}


def _date(value: Any) -> Any:
    """Quarto's date keywords and ISO dates as '26 November 2026' (the notebook was executed just now)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if value in ("today", "now", "last-modified"):
        value = dt.date.today()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}" if isinstance(value, dt.date) else value


def settings(notebook: Mapping[str, Any], project: Path | None = QUARTO_CONFIG) -> Settings:
    """Merge the notebook's front matter over ``_quarto.yml``: metadata, and options for html and typst."""
    from wellled import __version__

    project_doc = _yaml(project.read_text(encoding="utf-8"), str(project)) if project and project.is_file() else {}
    front = front_matter(notebook)
    meta: dict[str, Any] = {"lang": "en-GB", "toc-title": "Contents", "generator": f"wellled {__version__}"}
    for document in (project_doc, front):
        for key, value in document.items():
            if key in ("project", "format"):
                continue
            if isinstance(value, dict) and isinstance(meta.get(key), dict):
                meta[key] = {**meta[key], **value}
            else:
                meta[key] = value
    if "date" in meta:
        meta["date"] = _date(meta["date"])
    formats = {}
    for fmt in ("html", "typst"):
        options: dict[str, Any] = {}
        for document in (project_doc, front):
            options.update({k: v for k, v in document.items() if k not in ("project", "format")})
            options.update(_format_options(document, fmt))
        formats[fmt] = options
    return Settings(meta, formats)


# --- built-in renderer: pandoc + Lua filter + typst ----------------------------------------------------


def _pandoc() -> str:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as error:
        raise RunError(f"pandoc is not available (install pypandoc-binary): {error}") from None


def _html_args(options: Mapping[str, Any]) -> list[str]:
    args = [
        "-t",
        "html5",
        "--standalone",
        "--embed-resources",
        "--section-divs",
        "--template",
        str(TEMPLATES / "report.html"),
        "--css",
        str(TEMPLATES / "report.css"),
    ]
    if options.get("toc", True):
        args += ["--toc", f"--toc-depth={int(options.get('toc-depth', 2))}"]
    if options.get("number-sections"):
        args.append("--number-sections")
    return args


def typst_variables(options: Mapping[str, Any]) -> dict[str, str]:
    """``wl-*`` typst template variables from format options, each checked so it is only what it claims to be.

    >>> typst_variables({"papersize": "A4", "margin": {"x": "2cm", "y": "9"}, "fontsize": "1pt;#x", "lang": "en"})
    {'wl-papersize': 'a4', 'wl-margin': '(x: 2cm)', 'wl-lang': 'en'}
    """
    out: dict[str, str] = {}
    paper = str(options.get("papersize", "a4")).lower()
    if re.fullmatch(r"[a-z0-9-]{2,20}", paper):
        out["wl-papersize"] = paper
    margin = options.get("margin")
    if isinstance(margin, str):
        margin = {"x": margin, "y": margin}
    if isinstance(margin, dict):
        pairs = [f"{k}: {v}" for k, v in margin.items() if k in _MARGIN_KEYS and _LENGTH.match(str(v))]
        if pairs:
            out["wl-margin"] = "(" + ", ".join(pairs) + ")"
    if _LENGTH.match(str(options.get("fontsize", ""))):
        out["wl-fontsize"] = str(options["fontsize"])
    for key in ("mainfont", "sansfont"):
        if _NAME.match(str(options.get(key, ""))):
            out[f"wl-{key}"] = str(options[key])
    numbering = options.get("section-numbering") or ("1.1" if options.get("number-sections") else None)
    if numbering and _NUMBERING.match(str(numbering)):
        out["wl-numbering"] = str(numbering)
    if options.get("toc", False):
        out["wl-toc"] = "true"
        out["wl-toc-depth"] = str(int(options.get("toc-depth", 2)))
    lang = str(options.get("lang", "en-GB"))
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2})?", lang):
        out["wl-lang"], _, region = lang.partition("-")
        if region:
            out["wl-region"] = region.upper()
    return out


def _run_pandoc(jobs: Mapping[str, list[str]], cwd: Path, limit: float = TIMEOUT) -> None:
    """Run the pandoc command lines side by side; a RunError naming the format if one fails."""
    running = {
        fmt: subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for fmt, args in jobs.items()
    }
    failures = []
    for fmt, process in running.items():
        try:
            _, stderr = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            failures.append(f"{fmt}: pandoc took longer than {limit:g} s")
            continue
        if process.returncode:
            lines = [line for line in stderr.splitlines() if line.strip()]
            failures.append(f"{fmt}: {lines[0] if lines else f'pandoc exited {process.returncode}'}")
    if failures:
        raise RunError("pandoc could not convert the notebook: " + "; ".join(failures))


def _font_paths() -> list[str]:
    """matplotlib's DejaVu fonts, so the PDF's sans face matches the charts; typst brings its own serif."""
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


def _builtin(
    executed: Path, formats: tuple[str, ...], work: Path, config: Settings, limit: float = TIMEOUT
) -> dict[str, Path]:
    pandoc = _pandoc()
    common = [
        pandoc,
        str(executed.resolve()),
        "-f",
        READER,
        "--ipynb-output=all",
        "--lua-filter",
        str(TEMPLATES / "report.lua"),
        f"--resource-path={executed.resolve().parent}",
    ]

    def metadata(fmt: str) -> str:
        path = work / f"metadata-{fmt}.json"
        options = config.options(fmt)
        meta = {**config.meta, "toc-title": options.get("toc-title", config.meta.get("toc-title"))}
        path.write_text(json.dumps(meta, default=str), encoding="utf-8")
        return f"--metadata-file={path}"

    jobs = {}
    if "html" in formats:
        jobs["html"] = [*common, metadata("html"), *_html_args(config.options("html")), "-o", "report.html"]
    if "pdf" in formats:
        variables = typst_variables(config.options("typst"))
        jobs["pdf"] = [
            *common,
            metadata("typst"),
            "-t",
            "typst",
            "--template",
            str(TEMPLATES / "report.typ"),
            "--extract-media",
            "media",
            *(f"--variable={k}:{v}" for k, v in variables.items()),
            "-o",
            "report.typ",
        ]
    _run_pandoc(jobs, work, limit)
    built = {}
    if "html" in formats:
        built["html"] = work / "report.html"
    if "pdf" in formats:
        built["pdf"] = _compile_typst(work / "report.typ", work, limit)
    return built


# typst runs in a process of its own: its in-process memo cache grows with every document compiled (about
# 12 MB a report), which a worker rendering hundreds of homes cannot afford, and a process can be stopped at
# the report's time limit
TYPST_COMPILE = """
import sys, typst
try:
    typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3], font_paths=sys.argv[4:], ignore_system_fonts=True)
except Exception as error:
    sys.exit(next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__))
"""


def _compile_typst(source: Path, root: Path, limit: float = TIMEOUT) -> Path:
    target = source.with_suffix(".pdf")
    command = [sys.executable, "-c", TYPST_COMPILE, str(source), str(target), str(root), *_font_paths()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, cwd=root)
    except subprocess.TimeoutExpired:
        raise RunError(f"typst could not compile the PDF: it took longer than {limit:g} s") from None
    if done.returncode != 0 or not target.is_file():
        first = next((line.strip() for line in done.stderr.splitlines() if line.strip()), f"exit {done.returncode}")
        raise RunError(f"typst could not compile the PDF: {first}")
    return target


# --- Quarto --------------------------------------------------------------------------------------------


def quarto_commands(notebook_name: str, formats: Iterable[str]) -> list[list[str]]:
    """The ``quarto render`` command lines: no execution, no parameters (they were injected by Papermill)."""
    quarto = shutil.which("quarto") or "quarto"
    return [
        [quarto, "render", notebook_name, "--to", "typst" if fmt == "pdf" else fmt, "--no-execute"] for fmt in formats
    ]


def _quarto(
    executed: Path, formats: tuple[str, ...], work: Path, project: Path | None, limit: float = TIMEOUT
) -> dict[str, Path]:
    """Render a copy of the notebook in a scratch project that holds our ``_quarto.yml``."""
    shutil.copy2(executed, work / executed.name)
    if project and project.is_file():
        shutil.copy2(project, work / "_quarto.yml")
    built = {}
    for fmt, command in zip(formats, quarto_commands(executed.name, formats), strict=True):
        try:
            result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=limit)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RunError(f"quarto render failed: {error}") from None
        output = work / f"{executed.stem}.{fmt}"
        if result.returncode or not output.is_file():
            lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
            reason = next((line for line in lines if "ERROR" in line), lines[-1] if lines else "no output")
            raise RunError(f"quarto render --to {command[4]} failed: {reason.strip()}")
        built[fmt] = output
    return built
