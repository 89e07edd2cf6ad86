"""What a run did, to the console and to ``REPORTS/logs/``: inputs with hashes, row counts, flags, timings."""

from __future__ import annotations

import datetime as dt
import os
import sys

from wellled.paths import Paths


class RunLog:
    def __init__(self, paths: Paths, command: str):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = paths.logs_dir / f"{command}-{stamp}-{os.getpid()}.log"
        self.lines: list[str] = []
        self.line(f"wellled {command}: data {paths.data}, reports {paths.reports}")

    def line(self, text: str) -> None:
        print(text, file=sys.stdout, flush=True)
        self.lines.append(text)

    def file(self, outcome) -> None:
        status = f"REJECTED: {outcome.blocking_error}" if outcome.blocking_error else "ok"
        digest = f" sha256 {outcome.sha256}" if outcome.sha256 else ""
        self.line(
            f"{outcome.file} ({outcome.dataset}{digest}): read {outcome.rows_read} = clean {outcome.rows_clean}"
            f" + quarantined {outcome.rows_quarantined}; {status}"
        )

    def close(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
