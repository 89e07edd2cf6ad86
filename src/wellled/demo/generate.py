"""``wellled demo``: deterministic synthetic data for fictional care homes, written into ``DATA/raw``.

The data looks like a real provider's: four respondent groups with realistic response rates, one home
improving, one declining, one strong, one with a family sample under five, quarterly audits with actions
(some overdue, some high priority), free-text comments (some with an e-mail address, a phone number, a
resident's name or HTML markup), a reverse-scored question, a few straight-lined questionnaires and a few
rows a real import would get wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wellled.check.contract import respondent_groups
from wellled.errors import UsageError
from wellled.paths import Paths
from wellled.periods import last_complete_period, parse_period, period_bounds, period_range

# The demo's wording (questions, audit items, comments, names) is package data, not code.
DATA = json.loads(Path(__file__).with_name("data.json").read_text(encoding="utf-8"))
LABELS = {int(score): label for score, label in DATA["labels"].items()}
GROUPS = tuple(respondent_groups())
QUESTIONS = [tuple(question) for question in DATA["questions"]]
AUDIT_ITEMS = [tuple(item) for item in DATA["audit_items"]]
OWNERS = tuple(DATA["owners"])
COMMENTS = {group: tuple(said) for group, said in DATA["comments"].items()}
COMMENT_MARKUP = DATA["comment_markup"]
REDACT_NAMES = DATA["redact_names"]
TREES = DATA["trees"]
KINDS = DATA["kinds"]


@dataclass(frozen=True)
class DemoHome:
    home_id: str
    home_name: str
    beds: int
    staff_headcount: int
    start_positive: float
    end_positive: float
    small_family: bool = False


def demo_homes(count: int, rng: np.random.Generator) -> list[DemoHome]:
    """The six story homes first, then as many ordinary homes as asked for."""
    story = [
        DemoHome("oak-house", "Oak House", 48, 62, 0.90, 0.92),
        DemoHome("willow-court", "Willow Court", 60, 74, 0.55, 0.86),
        DemoHome("birch-lodge", "Birch Lodge", 52, 66, 0.84, 0.50),
        DemoHome("elm-grove", "Elm Grove", 22, 28, 0.78, 0.79, small_family=True),
        DemoHome("maple-view", "Maple View", 40, 51, 0.72, 0.74),
        DemoHome("cedar-house", "Cedar House", 66, 85, 0.79, 0.81),
    ]
    homes = story[:count]
    taken = {home.home_id for home in story}  # a generated name never repeats a story home's, at any count
    index = len(homes)
    while len(homes) < count:
        tree, kind = TREES[index % len(TREES)], KINDS[(index // len(TREES)) % len(KINDS)]
        number = index // (len(TREES) * len(KINDS))
        name = f"{tree} {kind}" + (f" {number + 1}" if number else "")
        index += 1
        if name.lower().replace(" ", "-") in taken:
            continue
        taken.add(name.lower().replace(" ", "-"))
        beds = int(rng.integers(20, 90))
        positive = float(rng.uniform(0.6, 0.9))
        homes.append(DemoHome(name.lower().replace(" ", "-"), name, beds, int(beds * 1.3), positive, positive))
    return homes


def _positive_share(home: DemoHome, step: int, steps: int) -> float:
    share = home.start_positive + (home.end_positive - home.start_positive) * step / max(steps - 1, 1)
    return min(max(share, 0.05), 0.97)


def _scores(rng: np.random.Generator, positive: np.ndarray) -> np.ndarray:
    """Scores 1..5 where a share ``positive`` (per cell) agree (4 or 5)."""
    is_positive = rng.random(positive.shape) < positive
    top = np.where(rng.random(positive.shape) < 0.45, 5, 4)
    low = rng.choice([1, 2, 3], size=positive.shape, p=[0.15, 0.35, 0.5])
    return np.where(is_positive, top, low)


def _survey_rows(rng, homes, period, step, steps, group, as_of) -> pd.DataFrame:
    questions = [q for q in QUESTIONS if group in q[3].split(";")]
    first, last = period_bounds(period)
    last = min(last, as_of)
    frames = []
    for home in homes:
        residents = int(home.beds * 0.9)
        n = {
            "staff": rng.binomial(home.staff_headcount, 0.5),
            "resident": rng.binomial(residents, 0.4),
            "family": int(rng.integers(2, 5)) if home.small_family else rng.binomial(residents, 0.45),
            "professional": int(rng.integers(3, 9)),
        }[group]
        if n == 0:
            continue
        share = _positive_share(home, step, steps) - (0.04 if group == "staff" else 0.0)
        person = rng.normal(0, 0.08, size=(n, 1))
        theme_shift = np.array([-0.06 if q[2] == "W2" and home.home_id == "birch-lodge" else 0.0 for q in questions])
        scores = _scores(rng, np.clip(share + person + theme_shift, 0.02, 0.98) * np.ones((n, len(questions))))
        reverse = np.array([q[4] for q in questions])
        scores = np.where(reverse, 6 - scores, scores)
        straight = rng.random(n) < 0.003
        scores[straight] = rng.choice([3, 5])
        days = rng.integers(0, (last - first).days + 1, size=n)
        frame = pd.DataFrame(
            {
                "response_id": [
                    f"{group[0].upper()}-{period.replace('-', '')}-{home.home_id}-{i + 1:03d}" for i in range(n)
                ],
                "home_id": home.home_id,
                "respondent_group": group,
                "submitted_on": [(first + dt.timedelta(days=int(d))).isoformat() for d in days],
            }
        )
        for column, q in enumerate(questions):
            cells = scores[:, column].astype(object)
            if group in ("family", "resident"):
                cells = np.array([LABELS[int(s)] for s in cells], dtype=object)
            missing = rng.random(n)
            cells = np.where(missing < 0.04, "", np.where(missing < 0.06, "Don't know", cells))
            frame[q[0]] = cells
        frame["comment"] = _comments(rng, n, share, group)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _comments(rng: np.random.Generator, n: int, share: float, group: str) -> list[str]:
    good, bad = COMMENTS[group]
    out = []
    for _ in range(n):
        if rng.random() > 0.25:
            out.append("")
            continue
        bank = good if rng.random() < share else bad
        out.append(bank[int(rng.integers(len(bank)))])
    return out


def _audit_rows(rng, homes, period, step, steps, as_of) -> pd.DataFrame:
    first, _ = period_bounds(period)
    rows = []
    for home in homes:
        audit_date = first + dt.timedelta(days=int(rng.integers(20, 70)))
        share = _positive_share(home, step, steps)
        for item_id, kloe, item in AUDIT_ITEMS:
            draw = rng.random()
            met_share = share + 0.05
            result = (
                "Met"
                if draw < met_share
                else "Partially met"
                if draw < met_share + (1 - met_share) * 0.6
                else "Not met"
            )
            if item_id == "W2-03" and home.home_id == "birch-lodge" and step >= steps - 3:
                result = "Not met"
            if item_id == "W5-02" and rng.random() < 0.08:
                result = "N/A"
            row = {
                "audit_id": f"A-{home.home_id}-{period.replace('-', '')}",
                "home_id": home.home_id,
                "audit_date": audit_date.isoformat(),
                "kloe": kloe,
                "item_id": item_id,
                "item": item,
                "result": result,
                "action": "",
                "action_owner": "",
                "priority": "",
                "action_due": "",
                "action_closed": "",
            }
            if result in ("Partially met", "Not met"):
                priority = (
                    "high"
                    if result == "Not met" and rng.random() < 0.6
                    else ("medium" if rng.random() < 0.6 else "low")
                )
                due = audit_date + dt.timedelta(days=int(rng.choice([28, 42, 56])))
                delay = int(rng.normal(-5 if share > 0.7 else 12, 15))
                closed = due + dt.timedelta(days=delay)
                is_open = closed > as_of or rng.random() < (0.05 if share > 0.7 else 0.2)
                row.update(
                    action=f"Put right: {item.lower()}",
                    action_owner=OWNERS[int(rng.integers(len(OWNERS)))],
                    priority=priority,
                    action_due=due.isoformat(),
                    action_closed="" if is_open else max(closed, audit_date).isoformat(),
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _realistic_mistakes(frame: pd.DataFrame) -> pd.DataFrame:
    """The slips a real export has: a typo'd label, a UK-style date, a copied row, a misspelt home id."""
    frame = frame.copy()
    answer_columns = [c for c in frame.columns if c.startswith("q")]
    frame.loc[1, answer_columns[0]] = "Agre"
    frame.loc[2, "submitted_on"] = "31/05/2026"
    frame.loc[3, "home_id"] = frame.loc[3, "home_id"].replace("house", "hose").replace("court", "cort")
    return pd.concat([frame, frame.iloc[[4]]], ignore_index=True)


def write_demo(
    paths: Paths,
    homes_count: int = 6,
    quarters: int = 8,
    seed: int = 2017,
    end: str | None = None,
    today: dt.date | None = None,
) -> list[Path]:
    """Write the demo into ``paths.raw`` (which must be empty of other data) and return the files written."""
    today = today or dt.date.today()
    end = end or last_complete_period(today)
    parse_period(end)
    if homes_count < 1 or quarters < 1:
        raise UsageError("--homes and --quarters must be at least 1")
    rng = np.random.default_rng(seed)
    homes = demo_homes(homes_count, rng)
    as_of = min(period_bounds(end)[1], today)
    periods = period_range(end, quarters)
    written: list[Path] = []

    def save(frame: pd.DataFrame, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".xlsx":
            frame.to_excel(path, index=False)
        else:
            frame.to_csv(path, index=False)
        written.append(path)

    save(
        pd.DataFrame(
            [
                {
                    "home_id": h.home_id,
                    "home_name": h.home_name,
                    "beds": h.beds,
                    "staff_headcount": h.staff_headcount,
                    "region": ["North West", "Yorkshire", "West Midlands"][i % 3],
                    "cqc_location_id": f"1-{100000000 + i * 7919}",
                    "residents": int(h.beds * 0.9),
                }
                for i, h in enumerate(homes)
            ]
        ),
        paths.homes_file,
    )
    save(
        pd.DataFrame(
            QUESTIONS,
            columns=["question_id", "text", "kloe", "respondent_groups", "reverse_scored", "quality_statement"],
        ).replace({True: "true", False: "false"}),
        paths.questions_file,
    )
    for step, period in enumerate(periods):
        for group in GROUPS:
            frame = _survey_rows(rng, homes, period, step, len(periods), group, as_of)
            if frame.empty:
                continue
            if group == "staff" and step == len(periods) - 1:
                frame.loc[5, "comment"] = COMMENTS["staff"][1][5]
                frame.loc[6, "comment"] = COMMENTS["staff"][1][4]
                frame = _realistic_mistakes(frame)
            if group == "family" and step == len(periods) - 1:
                frame.loc[0, "comment"] = COMMENT_MARKUP
            suffix = ".xlsx" if group == "professional" else ".csv"
            save(frame, paths.surveys_dir / f"{period}-{group}{suffix}")
        save(_audit_rows(rng, homes, period, step, len(periods), as_of), paths.audits_dir / f"{period}-audits.csv")
    paths.redact_names_file.write_text("\n".join(REDACT_NAMES) + "\n", encoding="utf-8")
    paths.demo_marker.write_text(f"written by wellled demo (seed {seed}, end {end})\n", encoding="utf-8")
    return written


def _prepare_raw(paths: Paths, force: bool) -> None:
    """Empty ``raw/`` of an earlier demo; refuse to touch anyone else's data unless ``force``."""
    if not paths.raw.exists():
        return
    content = [p for p in paths.raw.iterdir() if p.name != ".gitkeep"]
    if content and not paths.demo_marker.exists() and not force:
        raise UsageError(
            f"{paths.raw} holds data that `wellled demo` did not write; move it away or pass --force to replace it"
        )
    for entry in content:
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def run(
    paths: Paths, *, homes: int = 6, quarters: int = 8, seed: int = 2017, end: str | None = None, force: bool = False
) -> list[Path]:
    """``wellled demo``: replace an earlier demo in ``paths.raw`` (or, with ``force``, any data) with a new one."""
    _prepare_raw(paths, force)
    written = write_demo(paths, homes, quarters, seed, end)
    print(f"demo data: {len(written)} files for {homes} fictional homes written to {paths.raw}")
    return written
