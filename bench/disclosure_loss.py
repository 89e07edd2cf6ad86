"""How many questionnaires lose their group breakdown to disclosure control, over every demo home-quarter.

Not a timing: a measure of information lost, for the method's target (at most 10 % of the questionnaires in
groups of 5 or more). Usage: python bench/disclosure_loss.py DATA [--framework ID] [--no-combine]
(DATA: a folder after `wellled demo` and `wellled check`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wellled.analysis.clean_data import load_clean
from wellled.analysis.framework import load_framework
from wellled.analysis.suppression import disclosure_loss
from wellled.analysis.themes import AnalysisParams, protected_groups, scored_answers
from wellled.paths import Paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--framework", default="cqc-kloe-2017")
    parser.add_argument("--no-combine", action="store_true", help="suppress without combining small groups")
    args = parser.parse_args()
    clean = load_clean(Paths(data=args.data))
    params = AnalysisParams(combine=()) if args.no_combine else AnalysisParams()
    scored = scored_answers(clean.answers, clean.questions, load_framework(args.framework))
    questionnaires = (
        clean.responses.groupby(["home_id", "period", "respondent_group"], observed=True)
        .size()
        .reset_index(name="questionnaires")
    )
    cells = protected_groups(scored, params, questionnaires)
    loss = disclosure_loss(questionnaires, cells, params.suppression)
    share = 100 * loss["hidden_to_protect"] / loss["in_groups_of_minimum"]
    home_quarters = questionnaires[["home_id", "period"]].drop_duplicates().shape[0]
    print(f"{home_quarters} home-quarters, framework {args.framework}, combining {'off' if args.no_combine else 'on'}")
    for key, value in loss.items():
        print(f"  {key}: {value}")
    print(f"  hidden to protect: {loss['hidden_to_protect']} of {loss['in_groups_of_minimum']} = {share:.1f} %")


if __name__ == "__main__":
    main()
