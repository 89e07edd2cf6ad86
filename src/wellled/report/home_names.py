"""The name each home is shown by in the provider overview and the index: its own name, or ``Name (home-id)``
where two or more homes share it, so that a committee can tell them apart.

Names are compared as shown (:func:`wellled.report.present.plain`), ignoring case. The result is data text:
every output escapes it as it escapes a home's name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from wellled.report.present import plain


def _key(name: str) -> str:
    return plain(name).casefold()


def shared_names(homes: Iterable[tuple[str, str]]) -> set[str]:
    """The names (as compared) that two or more home ids of the (home id, home name) pairs hold."""
    ids = defaultdict(set)
    for home_id, name in homes:
        ids[_key(str(name))].add(str(home_id))
    return {key for key, held in ids.items() if len(held) > 1}


def display_name(home_id: str, name: str, shared: set[str]) -> str:
    """``name``, or ``name (home_id)`` when it is one of the ``shared`` names."""
    return f"{name} ({home_id})" if _key(name) in shared else name


def display_names(homes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """home id -> the name to show, from (home id, home name) pairs.

    >>> display_names([("oak-house", "Oak House"), ("oak-house-2", "oak  house"), ("elm", "Elm")])
    {'oak-house': 'Oak House (oak-house)', 'oak-house-2': 'oak  house (oak-house-2)', 'elm': 'Elm'}
    """
    pairs = [(str(home_id), str(name)) for home_id, name in homes]
    shared = shared_names(pairs)
    return {home_id: display_name(home_id, name, shared) for home_id, name in pairs}
