"""The ``wellled`` command: a thin layer that parses options, calls a stage, and maps errors to exit codes.

Exit codes: 0 success; 1 a blocking data problem or a failed run; 2 bad usage or parameter.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wellled.errors import UsageError, WellledError

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError instead of printing usage and exiting by itself."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_paths(parser: argparse.ArgumentParser, reports: bool = True) -> None:
    parser.add_argument("--data", default="data", help="folder holding raw/ and clean/ (default: data)")
    if reports:
        parser.add_argument("--reports", default="reports", help="folder for reports and logs")


def _demo(args: argparse.Namespace) -> int:
    from wellled import demo

    return demo.main(args)


def _check(args: argparse.Namespace) -> int:
    from wellled import run_check

    return run_check.main(args)


def _contract(args: argparse.Namespace) -> int:
    from wellled import contract

    return contract.main(args)


def _summary(args: argparse.Namespace) -> int:
    from wellled import summary

    return summary.main(args)


# --- report / reports (issue 4: execution and rendering) ---
def _report(args: argparse.Namespace) -> int:
    from wellled import run

    return run.main_report(args)


def _reports(args: argparse.Namespace) -> int:
    from wellled import run

    return run.main_reports(args)


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    _add_paths(parser)
    parser.add_argument("--period", help="quarter YYYY-Qn (default: the home's latest quarter with data)")
    parser.add_argument("--framework", help="cqc-kloe-2017 (default), cqc-saf-2024, or a framework file")
    parser.add_argument("--format", default="html,pdf", help="html, pdf or html,pdf (default)")
    parser.add_argument(
        "--min-respondents", type=int, default=5,
        help="suppress figures from fewer questionnaires than this (default 5)",
    )
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
    parser.add_argument("--notebook", help=argparse.SUPPRESS)


# --- end report / reports ---


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wellled", description=__doc__.splitlines()[0])
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
    check.add_argument("--today", help=argparse.SUPPRESS)
    check.set_defaults(handler=_check)

    contract = commands.add_parser("contract", help="print (or --write) the data dictionary from the suites")
    contract.add_argument("--write", metavar="FILE", help="rewrite the generated part of this Markdown file")
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
    summary.add_argument(
        "--min-respondents",
        type=int,
        default=5,
        help="suppress figures from fewer questionnaires than this (default 5)",
    )
    summary.set_defaults(handler=_summary)

    report = commands.add_parser("report", help="execute and render the governance report of one home")
    report.add_argument("home", metavar="HOME", help="home id, e.g. oak-house")
    _add_report_options(report)
    report.set_defaults(handler=_report)

    reports = commands.add_parser("reports", help="report on every home, each at its latest quarter (or --period)")
    _add_report_options(reports)
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
        return args.handler(args)
    except WellledError as error:
        print(f"wellled: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("wellled: interrupted", file=sys.stderr)
        return 1
    except Exception as error:
        if os.environ.get("WELLLED_DEBUG"):
            raise
        where = error.__traceback__
        while where and where.tb_next:
            where = where.tb_next
        origin = f" at {Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}" if where else ""
        print(f"wellled: internal error{origin}: {type(error).__name__}: {error} "
              "(please report it; WELLLED_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
