"""Files of an earlier run that a rerun with ``--overwrite`` no longer writes.

A project is rerun every year into the same folder. When an intervention area
disappears, its ``maps/Z04.html`` and ``figures/Z04.png`` from the earlier run
would stay beside the new ones and be read as current. Only files the earlier
run's ``run.json`` lists are ever removed, and only those of the hand-over
stages this run repeated; nothing else in the folder is touched.
"""

from __future__ import annotations

import json
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


def remove_stale(
    out: Path, previous: Iterable[str], written: Iterable[str], ran: set[str]
) -> list[str]:
    """Delete earlier-run files of the stages in ``ran`` that this run did not write.

    Parameters
    ----------
    out
        The output folder.
    previous
        Files the earlier run recorded (see :func:`previous_files`).
    written
        Files this run wrote, relative to ``out`` with ``/``.
    ran
        Hand-over stages this run repeated (``maps``, ``export``, ``report``).

    Returns
    -------
    list of str
        The files removed.
    """
    now = set(written)
    removed = []
    for rel in previous:
        parts = PurePosixPath(rel).parts
        if rel in now or _stage_of(rel) not in ran or not parts or ".." in parts:
            continue
        path = out.joinpath(*parts)
        if PurePosixPath(rel).is_absolute() or not path.is_file():
            continue
        path.unlink()
        removed.append(rel)
        if path.suffix == ".shp":
            stem = path.with_suffix("")
            for side in _SHAPEFILE_SIDECARS:
                Path(f"{stem}{side}").unlink(missing_ok=True)
    return removed
