"""Time comment redaction and theme tagging on hostile text, against ``str.split`` of the same text.

Prints, per text, the seconds for ``redact`` and ``tag_themes`` and their ratio to the baseline, for a
100,000-character comment without a space (5 min 43 s before the patterns were made linear) and 1 MB of each
hostile text of the tests. Usage: python bench/bench_redaction.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_redaction_variants import FUNCTIONS, _adversarial


def best(function, text: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(text)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    comment = ("Thankyouforeverything" * 5000)[:100_000]
    print(f"100,000-character comment without a space: redact {best(FUNCTIONS['redact'], comment):.3f} s")
    print(f"{'text (1 MB)':<16}{'split':>8}{'redact':>9}{'ratio':>8}{'tag':>8}{'ratio':>8}")
    for name, text in _adversarial(1_000_000).items():
        baseline = best(str.split, text)
        redact, tag = best(FUNCTIONS["redact"], text, 1), best(FUNCTIONS["tag_themes"], text, 1)
        print(f"{name:<16}{baseline:>8.3f}{redact:>9.3f}{redact / baseline:>7.0f}x{tag:>8.3f}{tag / baseline:>7.0f}x")


if __name__ == "__main__":
    main()
