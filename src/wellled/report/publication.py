"""Publish a report set (notebook, HTML, PDF, summary.json, fingerprint, ...) as a unit: all old or all new.

Public API:

- :func:`versions_dir` ``(folder) -> Path``: where the sets of ``folder`` are kept (``PARENT/.NAME.versions``).
- :func:`new_version` ``(folder) -> Path``: an empty folder there to build the next set in.
- :func:`publish` ``(folder, version) -> list[str]``: make ``version`` the set ``folder`` shows; its file names.
- :func:`is_current` ``(folder, version) -> bool``: ``version`` is the set shown.
- :func:`remove_leftovers` ``(folder)``: what a killed run left behind (sets, temporary links).

Layout: the report folder keeps its paths (``REPORTS/HOME/PERIOD/governance-report.html``), but each file in
it is a relative symbolic link ``NAME -> ../.PERIOD.versions/current/NAME``, and ``current`` is a link to the
folder of one complete set (``v-<random>``). Publishing renames a new ``current`` link over the old one: one
``rename(2)``, atomic on every POSIX file system, so a reader opening a file through the report folder gets the
old set's or the new set's, never a mix; a format the new set lacks is then a dangling link, which is removed.
Other folders in the report folder (another framework's reports) are not part of the set and are left alone.
Call every function under the report's lock.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

CURRENT = "current"
VERSION_PREFIX = "v-"


def versions_dir(folder: Path) -> Path:
    return folder.parent / f".{folder.name}.versions"


def _link_target(folder: Path, name: str) -> str:
    return f"../{versions_dir(folder).name}/{CURRENT}/{name}"


def _is_member_link(path: Path) -> bool:
    """A link this module made: ``NAME -> ../.FOLDER.versions/current/NAME``."""
    return path.is_symlink() and os.readlink(path) == _link_target(path.parent, path.name)


def _is_member_file(path: Path) -> bool:
    """A real file of an older set (published before sets were linked, or written in place)."""
    name = path.name
    return not name.startswith(".") and not name.endswith(".failed.ipynb") and path.is_file() and not path.is_symlink()


def members(version: Path) -> list[str]:
    """The files of a set: the non-hidden regular files of its folder."""
    return sorted(p.name for p in version.iterdir() if not p.name.startswith(".") and p.is_file())


def new_version(folder: Path) -> Path:
    store = versions_dir(folder)
    store.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=VERSION_PREFIX, dir=store))


def _current(folder: Path) -> Path | None:
    link = versions_dir(folder) / CURRENT
    return link.parent / os.readlink(link) if link.is_symlink() else None


def is_current(folder: Path, version: Path) -> bool:
    current = _current(folder)
    return current is not None and current.name == version.name


def _replace_with_link(path: Path, target: str) -> None:
    temporary = path.with_name(f".{path.name}.link-{secrets.token_hex(4)}")
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _copy_into(source: Path, version: Path) -> None:
    """``source`` into ``version`` under its name, replacing, as a hard link where the file system allows."""
    temporary = version / f".{source.name}.adopt-{secrets.token_hex(4)}"
    try:
        os.link(source, temporary, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, temporary)
    os.replace(temporary, version / source.name)


def _adopt(folder: Path) -> None:
    """Bring real files of the folder into the current set, then replace each by its link (same content)."""
    loose = [path for path in folder.iterdir() if _is_member_file(path)]
    if not loose:
        return
    current = _current(folder)
    if current is None:
        current = new_version(folder)
        for path in loose:
            _copy_into(path, current)
        _point_current(folder, current)
    else:
        for path in loose:
            _copy_into(path, current)
    for path in loose:
        _replace_with_link(path, _link_target(folder, path.name))


def _point_current(folder: Path, version: Path) -> None:
    _replace_with_link(versions_dir(folder) / CURRENT, version.name)


def publish(folder: Path, version: Path) -> list[str]:
    """Show the set built in ``version`` (from :func:`new_version`) in ``folder``, replacing the old set whole."""
    folder.mkdir(parents=True, exist_ok=True)
    _adopt(folder)
    names = members(version)
    for name in names:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            raise IsADirectoryError(21, "a folder stands where a report file goes", str(path))
        if not _is_member_link(path):  # a new name: dangles until the switch, like a missing file of the old set
            _replace_with_link(path, _link_target(folder, name))
    old = _current(folder)
    _point_current(folder, version)  # the switch
    for path in folder.iterdir():
        if path.name not in names and _is_member_link(path):
            path.unlink()
    if old is not None and old.resolve() != version.resolve():
        shutil.rmtree(old, ignore_errors=True)
    return names


def remove_leftovers(folder: Path) -> None:
    """Remove what a killed run left: sets not shown, temporary links, links of names the set lacks."""
    for path in folder.glob(".staging-*"):  # the layout before sets were linked
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
    for path in folder.glob(".*.link-*"):
        if path.is_symlink():
            path.unlink()
    store = versions_dir(folder)
    if not store.is_dir():
        return
    current = _current(folder)
    keep = current.name if current is not None else None
    for path in store.iterdir():
        if path.name == CURRENT or path.name == keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if folder.is_dir():
        for path in folder.iterdir():
            if _is_member_link(path) and not path.exists():
                path.unlink()
