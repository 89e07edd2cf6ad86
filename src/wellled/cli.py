"""The ``wellled`` command: parse options, make one typed call per stage, and map errors to exit codes.

Exit codes: 0 success; 1 a blocking data problem or a failed run; 2 bad usage or parameter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wellled.errors import UsageError, WellledError, printable, shorten
from wellled.paths import Paths

Handler = Callable[[argparse.Namespace], None]


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting by itself."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _paths(args: argparse.Namespace) -> Paths:
    return Paths.from_options(args.data, getattr(args, "reports", "reports"))


def _demo(args: argparse.Namespace) -> None:
    from wellled.demo import generate

    generate.run(_paths(args), homes=args.homes, quarters=args.quarters, seed=args.seed, end=args.end, force=args.force)


def _check(args: argparse.Namespace) -> None:
    from wellled.check import stage

    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        raise UsageError(f"--today {args.today!r} is not a date written YYYY-MM-DD") from None
    stage.run(_paths(args), today=today, strict=args.strict, source=args.source)


def _contract(args: argparse.Namespace) -> None:
    from wellled.check import contract

    if args.write:
        changed = contract.write_into(Path(args.write))
        print(f"{args.write}: {'updated' if changed else 'already up to date'}")
    else:
        print(contract.data_dictionary_markdown(), end="")


def _small_numbers(args: argparse.Namespace) -> bool:
    """``--allow-small-numbers``, said out loud whenever it is given."""
    if args.allow_small_numbers:
        print(
            f"wellled: --allow-small-numbers: figures from {args.min_respondents} or more questionnaires are "
            "shown; every output is marked NOT FOR PUBLICATION",
            file=sys.stderr,
        )
    return args.allow_small_numbers


def _summary(args: argparse.Namespace) -> None:
    from wellled.analysis.summary import summarise, to_json
    from wellled.analysis.themes import AnalysisParams

    summary = summarise(
        _paths(args),
        args.home,
        period=args.period,
        framework=args.framework,
        params=AnalysisParams(min_respondents=args.min_respondents, allow_small_numbers=_small_numbers(args)),
    )
    sys.stdout.write(to_json(summary))
    sys.stdout.flush()


def _report_options(args: argparse.Namespace):
    from wellled.report.options import ReportOptions

    notebook = {"notebook": Path(args.notebook)} if args.notebook else {}
    return ReportOptions(
        formats=args.format,
        renderer=args.renderer,
        min_respondents=args.min_respondents,
        allow_small_numbers=_small_numbers(args),
        check_if_changed=args.check_if_changed,
        time_limit=args.time_limit,
        **notebook,
    )


def _validate_scope(args: argparse.Namespace) -> None:
    """Reject a malformed home, period or framework before anything runs or is written, saying what is known."""
    from wellled.analysis import scope
    from wellled.paths import require_slug
    from wellled.periods import parse_period

    try:
        if hasattr(args, "home"):
            require_slug(args.home)
        if args.period is not None:
            parse_period(args.period)
        scope.resolve_framework(args.framework)
    except UsageError:
        if hasattr(args, "home") and _paths(args).manifest.is_file():
            from wellled.report.stage import clean_data

            scope.resolve(clean_data(_paths(args)), args.home, args.period, args.framework)  # lists what is known
        raise


def _report(args: argparse.Namespace) -> None:
    from wellled.paths import HOME_REPORT_NOTEBOOK, require_slug
    from wellled.report.kernel import started

    try:
        require_slug(args.home)
    except UsageError:
        _validate_scope(args)  # refused before any kernel starts, listing the known homes
    with started(Path(args.notebook or HOME_REPORT_NOTEBOOK)) as kernel:  # it loads while pandas is imported
        from wellled.report import stage

        _validate_scope(args)
        options = _report_options(args)
        stage.run_home(
            _paths(args), args.home, period=args.period, framework=args.framework, options=options, kernel=kernel
        )


def _reports(args: argparse.Namespace) -> None:
    from wellled.report import stage
    from wellled.report.batch import BatchOptions

    _validate_scope(args)
    homes = tuple(home.strip() for home in (args.homes or "").split(",") if home.strip())
    batch = BatchOptions(jobs=args.jobs, scheduler=args.scheduler, homes=homes, region=args.region, force=args.force)
    stage.run_all(
        _paths(args), period=args.period, framework=args.framework, options=_report_options(args), batch=batch
    )


def _add_paths(parser: argparse.ArgumentParser, reports: bool = True) -> None:
    parser.add_argument("--data", default="data", help="folder holding raw/ and clean/ (default: data)")
    if reports:
        parser.add_argument("--reports", default="reports", help="folder for reports and logs")


def _add_min_respondents(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--min-respondents",
        type=int,
        default=5,
        help="suppress figures from fewer questionnaires than this (default 5, the lowest allowed)",
    )
    parser.add_argument(
        "--allow-small-numbers",
        action="store_true",
        help="allow --min-respondents below 5 for an internal review; outputs say NOT FOR PUBLICATION",
    )


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    _add_paths(parser)
    parser.add_argument("--period", help="quarter YYYY-Qn (default: the home's latest quarter with data)")
    parser.add_argument("--framework", help="cqc-kloe-2017 (default), cqc-saf-2024, or a framework file")
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    _add_min_respondents(parser)
    parser.add_argument(
        "--renderer",
        default="auto",
        choices=("auto", "quarto", "builtin"),
        help="quarto if it is on PATH (auto, the default), else the built-in pandoc + typst",
    )
    parser.add_argument(
        "--check-if-changed",
        action="store_true",
        help="run `wellled check` first if DATA/raw changed since the last check",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="stop a report (notebook and rendering) that runs longer than this, publishing nothing (default 600)",
    )
    parser.add_argument("--notebook", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wellled", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    demo = commands.add_parser("demo", help="write deterministic demo data for fictional homes into DATA/raw")
    _add_paths(demo, reports=False)
    demo.add_argument("--homes", type=int, default=6, help="number of homes (default 6)")
    demo.add_argument("--quarters", type=int, default=8, help="number of quarters (default 8)")
    demo.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
    demo.add_argument("--end", help="last quarter YYYY-Qn (default: the last complete quarter)")
    demo.add_argument("--force", action="store_true", help="overwrite a raw/ that holds non-demo data")
    demo.set_defaults(handler=_demo)

    check = commands.add_parser("check", help="validate DATA/raw with the GX suites and write DATA/clean")
    _add_paths(check)
    check.add_argument("--strict", action="store_true", help="exit 1 on import flags too")
    check.add_argument(
        "--source",
        choices=["microsoft-forms", "google-forms", "surveymonkey", "spreadsheet"],
        help="read every survey file as this tool's export (default: detected from each file's columns)",
    )
    check.add_argument("--today", help=argparse.SUPPRESS)
    check.set_defaults(handler=_check)

    contract = commands.add_parser("contract", help="print (or --write) the data dictionary from the suites")
    contract.add_argument(
        "--write",
        metavar="FILE",
        help="rewrite the generated parts of this Markdown file (data dictionary, clean tables)",
    )
    contract.set_defaults(handler=_contract)

    summary = commands.add_parser("summary", help="print the JSON summary of one home for one quarter")
    _add_paths(summary, reports=False)
    summary.add_argument("home", metavar="HOME", help="home id, e.g. oak-house")
    summary.add_argument("--period", help="quarter YYYY-Qn (default: the home's latest quarter with data)")
    summary.add_argument(
        "--framework",
        default="cqc-kloe-2017",
        help="cqc-kloe-2017 (default), cqc-saf-2024, or the path to a framework file",
    )
    _add_min_respondents(summary)
    summary.set_defaults(handler=_summary)

    report = commands.add_parser("report", help="execute and render the governance report of one home")
    report.add_argument("home", metavar="HOME", help="home id, e.g. oak-house")
    _add_report_options(report)
    report.set_defaults(handler=_report)

    reports = commands.add_parser(
        "reports",
        help="report on every home (each at its latest quarter, or --period), then the provider overview and index",
    )
    _add_report_options(reports)
    reports.add_argument("--jobs", type=int, help="homes rendered at once on this machine (default: the CPU count)")
    reports.add_argument(
        "--scheduler", metavar="ADDRESS", help="send the homes to this Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )
    reports.add_argument("--homes", metavar="A,B,C", help="only these homes (comma-separated ids)")
    reports.add_argument("--region", help="only the homes of this region (the region column of homes.csv)")
    reports.add_argument("--force", action="store_true", help="re-run homes whose inputs have not changed")
    reports.set_defaults(handler=_reports)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.version:
            from wellled import __version__

            print(f"wellled {__version__}")
            return 0
        if not getattr(args, "handler", None):
            build_parser().print_help()
            return 2
        args.handler(args)
        return 0
    except WellledError as error:
        _say(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 1
    except MemoryError:
        _say("out of memory: a raw file may be too large for this machine (see docs/data-contract.md for limits)")
        return 1
    except RecursionError:
        _say("input nested too deeply to be read")
        return 1
    except OSError as error:
        if os.environ.get("WELLLED_DEBUG"):
            raise
        _say(os_error_message(error))
        return 1
    except Exception as error:
        if os.environ.get("WELLLED_DEBUG"):
            raise
        where = error.__traceback__
        while where and where.tb_next:
            where = where.tb_next
        origin = f" at {Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}" if where else ""
        _say(
            f"internal error{origin}: {type(error).__name__}: {shorten(error, 500)} "
            "(please report it; WELLLED_DEBUG=1 shows the traceback)"
        )
        return 1


def _say(message: str) -> None:
    """One line on stderr, with control and bidirectional characters shown as escapes."""
    print(f"wellled: {printable(message)}", file=sys.stderr)


_OS_CAUSES = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ELOOP: "symbolic link loop (too many levels of links)",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "not a folder",
    errno.EISDIR: "a folder where a file was expected",
    errno.ENAMETOOLONG: "file name too long",
    errno.EMFILE: "too many open files",
}


def os_error_message(error: OSError) -> str:
    """A one-line cause naming the path, e.g. ``permission denied: reports/logs/check.log``."""
    cause = _OS_CAUSES.get(error.errno or 0) or (error.strerror or type(error).__name__).lower()
    paths = [str(p) for p in (error.filename, error.filename2) if p is not None]
    where = f": {' -> '.join(shorten(p, 300) for p in paths)}" if paths else ""
    return f"{cause}{where}"


if __name__ == "__main__":
    sys.exit(main())
