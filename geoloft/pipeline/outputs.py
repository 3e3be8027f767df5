"""What a run leaves in its output folder: all of the new output, or the earlier one.

A run writes into a fresh hidden folder beside the output folder and swaps it
in whole at the end (:func:`new_staging`, :func:`swap_in`), so a crash, a kill
or a full disk leaves the earlier output untouched; what a killed run left is
removed by the next one (:func:`remove_leftovers`).

A project is rerun every year into the same folder. When an intervention area
disappears, its ``maps/Z04.html`` and ``figures/Z04.png`` from the earlier run
would stay beside the new ones and be read as current. Files the earlier run's
``run.json`` lists for the hand-over stages this run repeated are therefore not
carried into the new output (:func:`stale_files`); everything else in the folder
(outputs of stages not repeated, the user's own files) is (:func:`carry_over`).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

#: Sidecar suffixes written with a shapefile.
_SHAPEFILE_SIDECARS = (".dbf", ".shx", ".prj", ".cpg", ".fields.csv")


def previous_files(out: Path) -> list[str]:
    """Return the files (relative, with ``/``) an earlier run in ``out`` recorded."""
    try:
        record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = record.get("files", []) if isinstance(record, dict) else []
    return [f for f in files if isinstance(f, str)]


def _stage_of(rel: str) -> str:
    if rel.startswith(("maps/", "figures/")):
        return "maps"
    return "report" if rel == "report.html" else "export"


# -- Transactional output ------------------------------------------------------------------
#
# A run writes into a fresh hidden folder beside the output folder and swaps it in whole at
# the end, so a crash or a kill leaves either the complete earlier output or the complete
# new one. Folders and temporary files that a killed run left are removed by the next run.

#: Hidden folders beside ``OUT``: ``.OUT.geoloft-new-PID-XXXX`` (being written) and
#: ``.OUT.geoloft-old-PID-XXXX`` (the earlier output, on its way out).
_STAGING = re.compile(r"\.(?P<out>.+)\.geoloft-(?:new|old)-(?P<pid>\d+)-[a-z0-9_]+")
#: Temporary files of :func:`geoloft._io.atomic_path` (``.report.k2j4h1xz.tmp.html``).
_TEMP_FILE = re.compile(r"\..*\.[a-z0-9_]{8}\.tmp(\..*)?")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_leftovers(out: Path) -> list[str]:
    """Remove what killed runs left: staging folders beside ``out`` and temp files in it.

    A folder of a run whose process still lives is left alone (two runs at once).

    Parameters
    ----------
    out
        The output folder (need not exist).

    Returns
    -------
    list of str
        The names removed (folders beside ``out``, then files relative to it).
    """
    removed: list[str] = []
    parent = out.parent
    if parent.is_dir():
        for item in parent.iterdir():
            m = _STAGING.fullmatch(item.name)
            if m and m["out"] == out.name and item.is_dir() and not _alive(int(m["pid"])):
                shutil.rmtree(item, ignore_errors=True)
                removed.append(item.name)
    if out.is_dir():
        for item in sorted(out.rglob(".*")):
            if item.is_file() and _TEMP_FILE.fullmatch(item.name):
                item.unlink(missing_ok=True)
                removed.append(item.relative_to(out).as_posix())
    return removed


def new_staging(out: Path) -> Path:
    """Create the hidden folder a run writes into, beside ``out``, with ``out``'s mode.

    Raises
    ------
    geoloft._io.OutputWriteError
        When the folder that holds ``out`` cannot be written to.
    """
    from geoloft._io import OutputWriteError

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.geoloft-new-{os.getpid()}-", dir=out.parent)
        )
    except OSError as err:
        raise OutputWriteError.from_os_error(err, out.parent) from err
    if out.is_dir():
        mode = stat.S_IMODE(out.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o777 & ~umask
    staging.chmod(mode)
    return staging


def carry_over(out: Path, staging: Path, stale: Iterable[str]) -> list[str]:
    """Bring the earlier output's files that this run keeps into ``staging``.

    Everything in ``out`` that this run did not write and that is not ``stale``
    (an earlier run's file of a repeated stage) is hard-linked (or copied) into
    ``staging``: outputs of stages this run did not repeat and files of the user's own.

    Returns
    -------
    list of str
        The files carried over, relative with ``/``.
    """
    skip = set(stale)
    kept: list[str] = []
    if not out.is_dir():
        return kept
    for item in sorted(out.rglob("*")):
        rel = item.relative_to(out).as_posix()
        if rel in skip or not item.is_file() or _TEMP_FILE.fullmatch(item.name):
            continue
        if item.name == "run.json" and item.parent == out:
            continue
        target = staging / rel
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(item, target)
        except OSError:
            shutil.copy2(item, target)
        kept.append(rel)
    return kept


def stale_files(previous: Iterable[str], written: Iterable[str], ran: set[str]) -> list[str]:
    """Earlier-run files of the stages in ``ran`` that this run did not write (see above)."""
    now = set(written)
    stale: list[str] = []
    for rel in previous:
        parts = PurePosixPath(rel).parts
        if rel in now or _stage_of(rel) not in ran or not parts or ".." in parts:
            continue
        stale.append(rel)
        if rel.endswith(".shp"):
            stale.extend(rel[: -len(".shp")] + side for side in _SHAPEFILE_SIDECARS)
    return stale


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished ``staging`` folder in place of ``out`` and remove the earlier output.

    Where the system swaps two folders in one step (Linux), a reader (or a kill)
    sees the complete earlier output or the complete new one, never a mix.
    Elsewhere the earlier output is first renamed aside, then the new one into
    place; a kill between the two leaves both as hidden folders beside ``out``,
    and the next run puts the earlier output back (see :func:`restore_aside`).
    """
    if not out.exists():
        staging.rename(out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now the earlier output
        return
    aside = staging.with_name(staging.name.replace("-new-", "-old-", 1))
    out.rename(aside)
    staging.rename(out)
    shutil.rmtree(aside, ignore_errors=True)


def restore_aside(out: Path) -> Path | None:
    """Put an earlier output back that a run killed mid-swap left beside ``out``."""
    if out.exists() or not out.parent.is_dir():
        return None
    for item in out.parent.iterdir():
        m = _STAGING.fullmatch(item.name)
        if m and m["out"] == out.name and "-old-" in item.name and not _alive(int(m["pid"])):
            item.rename(out)
            return out
    return None
