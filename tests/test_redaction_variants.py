"""Redaction against the ways people really write personal details, and in linear time on hostile text."""

from __future__ import annotations

import random
import signal
import time

import pytest

from wellled.analysis.comments import redact, tag_themes
from wellled.analysis.framework import load_framework

# (written as, kind): each must come out as one marker with nothing of the value left
VARIANTS = [
    ("j.smith @ nhs.net", "email"),
    ("j.smith@ nhs.net", "email"),
    ("j.smith @nhs.net", "email"),
    ("J.Smith@NHS.NET", "email"),
    ("zoë@example.com", "email"),
    ("zoë.brontë@exämple.co.uk", "email"),
    ("josé.garcía@correo.es", "email"),
    ("Ünal.Öztürk@müller.de", "email"),
    ("用户@例子.广告", "email"),
    ("иван@пример.рф", "email"),
    ("jane＠example.org", "email"),
    ("jane (at) example (dot) org", "email"),
    ("jane[at]example[dot]org", "email"),
    ("jane {at} example.org", "email"),
    ("jane at example.org", "email"),
    ("jane.doe at nhs.net", "email"),
    ("o'neil+care@mail.nhs.net", "email"),
    ("jo@xn--bcher-kva.example", "email"),
    ("07700 900123", "phone"),
    ("07700\u2013900123", "phone"),
    ("07700 \u2013 900123", "phone"),
    ("07700\u2014900 123", "phone"),
    ("0161/496 0000", "phone"),
    ("0161 / 496 0000", "phone"),
    ("020/7946/0958", "phone"),
    ("+44 (0) 7700 900123", "phone"),
    ("(+44) 7700 900123", "phone"),
    ("+44 20 7946 0958", "phone"),
    ("0044-7700-900-123", "phone"),
    ("07700 900 123", "phone"),
    ("(01632) 960 123", "phone"),
    ("+33 1 23 45 67 89", "phone"),
    ("+1 202 555 0143", "phone"),
    ("943 476 5919", "nhs_number"),
    ("943 4765 919", "nhs_number"),
    ("9434 765 919", "nhs_number"),
    ("943-4765-919", "nhs_number"),
    ("943\u2013476\u20135919", "nhs_number"),
    ("401 023 2137", "nhs_number"),
    ("SW1A 1 AA", "postcode"),
    ("SW1A 1AA", "postcode"),
    ("sw1a1aa", "postcode"),
    ("SW1A-1AA", "postcode"),
    ("M1 1 AE", "postcode"),
    ("B33 8TH", "postcode"),
    ("EC1A 1BB", "postcode"),
]

# Ordinary text that must stay exactly as written
NEGATIVES = [
    "Visit on 14/03/2026 at 10:30.",
    "The meeting is 01/02/2026 10:30 in the lounge.",
    "On 01/02/2026 10 residents came to the fair.",
    "From 2025-03-14 to 2026-03-14.",
    "It costs £1,234.56 a week, up from £1,150.00.",
    "Fees rose 12.5% and 0.5 % last year.",
    "At 10.30am and 3:45 pm.",
    "Room 12, ext. 4021.",
    "W1 and W2 were good at 3am.",
    "Q3 2026 against Q2 2026.",
    "We have 40 staff and 2026 plans.",
    "p = 0.123456789 in the appendix.",
    "Reference 12345678901234 in the log.",
    "Case 943 476 5918 is not an NHS number.",
    "Meet @ 5pm in the garden.",
    "Two @ £3.50 each.",
    "We met at reception.Then lunch.",
    "Version 3.11.7 of the software.",
    "Score 4.5 out of 5, 90 of 120 answers.",
    "Call the office at lunch time.",
    "1 in 5 families replied.",
]


@pytest.mark.parametrize(("value", "kind"), VARIANTS)
def test_real_world_variants_are_redacted(value, kind):
    result = redact(f"Please contact {value} soon.")
    assert result.removed == (kind,), result.text
    assert result.text == f"Please contact {REPLACEMENT[kind]} soon."


REPLACEMENT = {
    "email": "[email removed]",
    "phone": "[phone removed]",
    "nhs_number": "[NHS number removed]",
    "postcode": "[postcode removed]",
}


@pytest.mark.parametrize("text", NEGATIVES)
def test_dates_times_money_and_percentages_stay(text):
    result = redact(text)
    assert result.text == text and result.removed == ()


def test_there_are_enough_variants():
    assert len(VARIANTS) >= 40 and len({kind for _, kind in VARIANTS}) == 4 and len(NEGATIVES) >= 20


def _adversarial(size: int) -> dict[str, str]:
    rng = random.Random(12)
    alphabet = "aZ0159.@-–/ ()+'_ë"
    pieces = {
        "letters": "a",
        "dots": "a.",
        "ats": "a@",
        "at-dots": "a@b.",
        "spaced-at": "j.smith @ nhs",
        "digits": "0",
        "spaced-digits": "0 ",
        "dashed-digits": "1-",
        "brackets": "(0",
        "postcode-like": "SW1A ",
        "names": "Jane-",
        "keywords": "improv",
        "at-words": "x at y.",
    }
    texts = {name: (piece * (size // len(piece) + 1))[:size] for name, piece in pieces.items()}
    texts["random"] = "".join(rng.choice(alphabet) for _ in range(size))
    return texts


class _TooSlow(Exception):
    pass


def _timed(function, text: str, limit: float) -> float:
    """CPU seconds this process spends on ``function(text)``, stopped at ``limit``: other work sharing the
    machine's cores does not count, so the test judges the algorithm, not the load."""

    def alarm(*_):
        raise _TooSlow

    previous = signal.signal(signal.SIGVTALRM, alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, limit)
    try:
        started = time.process_time()
        function(text)
        return time.process_time() - started
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


KLOE = load_framework("cqc-kloe-2017")
FUNCTIONS = {
    "redact": lambda text: redact(text, names=["Jane Doe", "Doreen"]),
    "tag_themes": lambda text: tag_themes(text, KLOE),
}


@pytest.mark.slow  # a megabyte per function, timed in CPU seconds
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_one_megabyte_of_hostile_text_is_handled_in_linear_time(function):
    """Ten times the text takes about ten times as long (a quadratic pattern takes a hundred times), and
    1 MB stays within seconds: the old e-mail pattern took 5 min 43 s on 100,000 characters without a space."""
    run = FUNCTIONS[function]
    small, large = _adversarial(100_000), _adversarial(1_000_000)
    checked = 0
    for name in large:
        baseline = min(_timed(str.split, large[name], 5) for _ in range(3)) + 1e-3
        try:
            t_small = min(_timed(run, small[name], 5) for _ in range(2)) + 1e-3
            t_large = _timed(run, large[name], 20)
        except _TooSlow:
            pytest.fail(f"{function} on {name!r}: over the time limit")
        scaled = t_large < 30 * t_small + 0.5  # linear: about 10x; quadratic: 100x (0.5 s absorbs timer noise)
        assert scaled, f"{function} on {name!r}: {t_small:.3f}s for 100 kB, {t_large:.3f}s for 1 MB"
        assert t_large < max(5.0, 200 * baseline), f"{function} on {name!r}: {t_large:.2f}s for 1 MB"
        checked += 1
    assert checked == len(large)
