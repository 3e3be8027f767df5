"""Protect a run jointly with earlier publications of the same people.

Two runs over the same areas (say a 1 km run and a 250 m run of Oslo) may each be safe
alone and still disclose a hidden count together: a 1 km cell hidden as a secondary in
one run is the sum of 250 m cells the other run publishes one by one. A run told which
earlier runs it is published alongside (``published_with`` in the project file,
``geoloft run --published-with DIR``) reads what they wrote with the audit's reader and
protects itself on the joint model (:func:`~geoloft.disclosure.model.combine` and
:func:`~geoloft.disclosure.model.link_grids`: the same cell or area count is the same
unknown, and a coarser cell is the sum of the finer cells inside it):

* the earlier runs' figures are facts: what they published stays published and what
  they hid stays hidden; only this run's counts and figures may be hidden in addition;
* a count an earlier run hid is hidden by this run too, wherever this run has it;
* a hidden count that stays pinned even with every count of this run hidden (by the
  earlier runs' figures and public facts such as SSB's own coarser grid alone) cannot
  be mended by this run: it is reported (``beyond_reach`` in ``run.json``, and the
  run's notes), not chased;
* this run's sums over SSB's 1 km and 5 km blocks stand for SSB's figures; where an
  earlier run shows this run's grid to be cut inside a block, that sum is dropped.

``published_with`` may also name an SSB grid file: SSB publishes that grid anyway, and
its cells enter the joint model as SSB publishes them (:mod:`~geoloft.disclosure.joint_grid`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoloft.disclosure.joint_grid import (
    KEY,
    GridFile,
    grid_file_problems,
    grid_system,
    public_already,
    read_grid_file,
    settle_links,
)
from geoloft.disclosure.model import System, combine, link_grids
from geoloft.errors import InputError

__all__ = ["Publication", "protect_jointly", "publication_problems", "read_publications"]

#: Listed examples of counts pinned by an earlier run alone (the count is always given).
_LISTED = 5


@dataclass
class Publication:
    """An earlier run's output folder, read as the audit reads it, or an SSB grid file."""

    folder: Path
    system: System
    threshold: int
    sha256: str
    #: Hidden counts the earlier run's own figures already pin (labels); ``None``: too
    #: many hidden counts to audit here.
    pinned_alone: list[str] | None = None
    #: An SSB grid file (then ``system`` holds its cells that share a cell with this
    #: run's grid, once :func:`protect_jointly` has cut it).
    grid: GridFile | None = None

    def summary(self) -> dict[str, Any]:
        """Return what the run record keeps about this publication."""
        if self.grid is not None:
            return self.grid.summary(self.system)
        return {
            "folder": str(self.folder),
            "run_json_sha256": self.sha256,
            "hidden_values": int(self.system.hidden.sum()),
            "pinned_by_it_alone": None if self.pinned_alone is None else len(self.pinned_alone),
            "pinned_examples": (self.pinned_alone or [])[:_LISTED],
        }


def publication_problems(folder: Path, *, threshold: int) -> list[tuple[str, str]]:
    """Return what keeps ``folder`` from being protected against (message, fix); cheap.

    Checks that it is the output folder of a geoloft run (``run.json`` and
    ``geoloft.gpkg``), written with disclosure control and the same threshold; or an
    SSB grid file that :func:`geoloft.grid.read_grid` reads, in EPSG:25833.
    """
    fix = "give the --out folder of an earlier geoloft run, or an SSB grid file."
    if folder.is_file():
        return grid_file_problems(folder, threshold=threshold)
    if not folder.is_dir():
        return [(f"{folder}: no such folder.", fix)]
    missing = [n for n in ("run.json", "geoloft.gpkg") if not (folder / n).is_file()]
    if missing:
        return [(f"{folder}: no {' or '.join(missing)}; not the output of a geoloft run.", fix)]
    try:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        params = record.get("parameters", {})
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return [(f"{folder}: run.json cannot be read.", "run the earlier project again.")]
    problems = []
    if params.get("disclosure", True) is False:
        problems.append(
            (
                f"{folder} was written with disclosure = false: its counts under the "
                "threshold are public, and no later run can hide them again.",
                f"leave it out of {KEY}, or run it again with disclosure control.",
            )
        )
    theirs = params.get("disclosure_threshold", 10)
    if theirs != threshold:
        problems.append(
            (
                f"{folder} was protected with disclosure_threshold = {theirs}, this run "
                f"with {threshold}.",
                "use one threshold for publications of the same people.",
            )
        )
    return problems


def _grid_size(system: System) -> int | None:
    sizes = pd.Series(system.keys.astype(str)).str.extract(r"^grid(\d+):")[0].dropna()
    return int(sizes.iloc[0]) if len(sizes) else None


def _check_grid(folder: Path, system: System, size: int | None) -> None:
    """Raise when the grid of ``folder`` cannot be related to this run's (``size``)."""
    import pyogrio

    gpkg = folder / "geoloft.gpkg"
    layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    if "grid" in layers:
        crs = str(pyogrio.read_info(gpkg, layer="grid").get("crs") or "")
        if crs.upper() != "EPSG:25833":
            raise InputError(
                f"{folder}: its grid is in {crs or 'no CRS'}, not EPSG:25833; its cells "
                "cannot be matched with this run's.",
                source=KEY,
                hint="name folders written by geoloft run (grids in EPSG:25833).",
            )
    theirs = _grid_size(system)
    if size and theirs and max(size, theirs) % min(size, theirs):
        raise InputError(
            f"{folder}: its {theirs} m cells and this run's {size} m cells do not nest, so "
            "the people they share cannot be related.",
            source=KEY,
            hint="use grids whose cell sizes divide each other (100 m, 250 m, 1 km, 5 km "
            f"nest except 100 m with 250 m), or leave {folder.name} out of {KEY}.",
        )


def read_publications(
    folders: Sequence[Path],
    *,
    threshold: int,
    width: float,
    grid_size: int | None = None,
    root: Path | None = None,
) -> list[Publication]:
    """Read earlier runs' output folders (each audited alone) and SSB grid files.

    Parameters
    ----------
    folders
        Output folders of earlier ``geoloft run`` s (``run.json`` and ``geoloft.gpkg``),
        or SSB grid files (any file :func:`geoloft.grid.read_grid` reads): SSB
        publishes that grid (see :mod:`~geoloft.disclosure.joint_grid`).
    threshold, width
        Persons: this run's threshold and protection width.
    grid_size
        This run's cell size in metres (``None``: no grid).
    root
        The project's folder: the run record names grid files relative to it.

    Returns
    -------
    list of Publication
        One per folder or file; a folder with the hidden counts its own figures
        already pin.

    Raises
    ------
    InputError
        Naming the folder or file and the key: missing, not a run, another threshold,
        written without disclosure control, not a grid in EPSG:25833, or a grid that
        cannot be related.
    """
    from geoloft.disclosure.audit import _read_run, intervals
    from geoloft.disclosure.secondary import LP_LIMIT

    found = []
    for folder in folders:
        if folder.is_file():
            grid = read_grid_file(folder, threshold=threshold, grid_size=grid_size, root=root)
            empty = grid_system(grid, np.zeros(0, dtype=object), threshold=threshold)
            found.append(Publication(folder, empty, threshold, grid.sha256, None, grid))
            continue
        problems = publication_problems(folder, threshold=threshold)
        if problems:
            message, hint = problems[0]
            raise InputError(message, source=KEY, hint=hint)
        system, theirs = _read_run(folder, f"{folder.name}: ")
        _check_grid(folder, system, grid_size)
        digest = hashlib.sha256((folder / "run.json").read_bytes()).hexdigest()
        pinned = None
        if int(system.hidden.sum()) <= LP_LIMIT:
            table = intervals(system, threshold=theirs, width=width)
            pinned = table.loc[table["pinned"], "label"].astype(str).tolist()
        found.append(Publication(folder, system, theirs, digest, pinned))
    return found


def _check_consistent(system: System, publication: Publication) -> None:
    """Raise when this run's true counts contradict what ``publication`` published.

    A grid file may hold fewer persons in a coarse cell's sub-cells than the cell has
    (a file cut to another area, or small cells left out), never more.
    """
    pair = link_grids(combine([system, publication.system]))
    keys = pd.Index(pair.keys.astype(str))
    x = pair.x.copy()
    x[keys.get_indexer(system.keys.astype(str))] = system.x
    theirs = publication.system.x
    at = keys.get_indexer(publication.system.keys.astype(str))
    differ = ~np.isnan(theirs) & ~np.isnan(x[at]) & (np.abs(theirs - x[at]) > 1e-6)
    bad_label = ""
    if differ.any():
        k = int(np.flatnonzero(differ)[0])
        bad_label = f"{publication.system.keys[k]}: {theirs[k]:g} there, {x[at][k]:g} in this run"
    else:
        rows = np.flatnonzero(pair.fig_kind == "link")
        sub = pair.A[rows]
        known = (abs(sub) @ np.isnan(x).astype(np.float64)) == 0
        value = sub @ np.nan_to_num(x) - pair.f[rows]
        tol = pair.tol[rows] + 1e-6 * (1 + np.abs(pair.f[rows]))
        two_sided = ~pair.lower_only[rows] & (publication.grid is None)
        wrong = known & ((value < -tol) | (two_sided & (value > tol)))
        if wrong.any():
            k = int(np.flatnonzero(wrong)[0])
            coarse = float(x[sub[k].indices[sub[k].data > 0]][0])
            bad_label = f"{pair.fig_label[rows[k]]}: {coarse:g} against {coarse - value[k]:g}"
    if bad_label:
        raise InputError(
            f"{publication.folder} counts other people than this run ({bad_label}).",
            source=KEY,
            hint="protect jointly only with runs of the same grid statistics (same year); "
            f"leave {publication.folder.name} out of {KEY}.",
        )


def _joint(
    system: System, published: Sequence[Publication]
) -> tuple[System, np.ndarray, np.ndarray, dict[str, int]]:
    """Return the joint model, this run's variables in it, the primary set and counts."""
    joint = link_grids(combine([system, *(p.system for p in published)]))
    keys = pd.Index(joint.keys.astype(str))
    ours = keys.get_indexer(system.keys.astype(str))
    n = joint.n_vars
    hidden_there, shown_there, fixed = (np.zeros(n, dtype=bool) for _ in range(3))
    from_file, left_out = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for p in published:
        at = keys.get_indexer(p.system.keys.astype(str))
        hidden_there[at] |= p.system.hidden
        shown_there[at] |= ~p.system.hidden
        fixed[at] = True
        if p.grid is not None:
            from_file[at] = True
            left_out[at] = not p.grid.small_cells_in_file
    x = joint.x.copy()
    x[ours] = np.where(np.isnan(system.x), x[ours], system.x)
    settle_links(joint, x, from_file, left_out)
    fixed |= public_already(joint, ours, shown_there, from_file)
    hidden = np.zeros(n, dtype=bool)
    hidden[ours] = system.hidden
    counts = {
        "hidden_there_too": int((hidden_there[ours] & ~system.hidden).sum()),
        "public_there": int((shown_there[ours] & system.hidden).sum()),
    }
    hidden = (hidden | hidden_there) & ~shown_there
    # the row pass needs true values: it protects this run's primary counts; the
    # earlier runs' hidden counts (values unknown) are left to the audit pass
    primary = np.zeros(n, dtype=bool)
    primary[ours] = system.hidden
    fig_fixed = np.zeros(joint.A.shape[0], dtype=bool)
    m = system.A.shape[0]
    fig_fixed[m : m + sum(p.system.A.shape[0] for p in published)] = True
    joint.x, joint.hidden, joint.fixed, joint.fig_fixed = x, hidden, fixed, fig_fixed
    joint.fig_hidden[_partial_blocks(joint, ours, m)] = True
    return joint, ours, primary, counts


def _cells(keys: np.ndarray) -> pd.DataFrame:
    """Per variable: cell size and lower-left corner (metres) of grid counts; NaN otherwise."""
    parts = pd.Series(keys.astype(str)).str.extract(r"^grid(\d+):(\d+):\w+$").astype(float)
    return pd.DataFrame(
        {"size": parts[0], "x": parts[1] // 10**7 - 2_000_000, "y": parts[1] % 10**7}
    )


def _unit(x: np.ndarray, y: np.ndarray, size: np.ndarray | float) -> np.ndarray:
    """Return one integer per square of ``size`` metres holding (x, y)."""
    return (x // size) * 10**8 + (y // size)


def _partial_blocks(joint: System, ours: np.ndarray, m: int) -> np.ndarray:
    """Return this run's block figures (rows < ``m``) that are not SSB's figures.

    A block figure sums this run's cells in a 1 km or 5 km block and stands for SSB's
    published block. Where an earlier run has a cell in the block that no cell of this
    run overlaps, this run's grid was cut inside the block (another study area): the
    sum is not what SSB publishes, and it is dropped from the joint model.
    """
    rows = np.flatnonzero(joint.fig_kind[:m] == "block")
    cells = _cells(joint.keys)
    grid = cells["size"].notna().to_numpy()
    mine = np.zeros(joint.n_vars, dtype=bool)
    mine[ours] = True
    other, own = cells[grid & ~mine], cells[grid & mine]
    if not rows.size or other.empty or own.empty:
        return np.zeros(0, dtype=np.int64)
    ox, oy = other["x"].to_numpy(), other["y"].to_numpy()
    unit = np.maximum(other["size"].to_numpy(), float(own["size"].iloc[0]))
    covered = np.zeros(len(other), dtype=bool)
    for u in np.unique(unit):  # one pass per cell size, vectorised over cells
        at = unit == u
        have = _unit(own["x"].to_numpy(), own["y"].to_numpy(), u)
        covered[at] = np.isin(_unit(ox[at], oy[at], u), have)
    # labels read "<size> m block <key> <column>"
    labels = pd.Series(joint.fig_label[rows].astype(str))
    block = labels.str.split(" ").str[0].astype(float).to_numpy()
    sub = joint.A[rows].tocsr()
    first = sub.indices[sub.indptr[:-1]]
    bx, by = cells["x"].to_numpy()[first], cells["y"].to_numpy()[first]
    partial = np.zeros(rows.size, dtype=bool)
    for b in np.unique(block):  # 1 km and 5 km
        at = block == b
        loose = _unit(ox[~covered], oy[~covered], b)
        partial[at] = np.isin(_unit(bx[at], by[at], b), loose)
    return rows[partial]


def _beyond_reach(
    joint: System, ours: np.ndarray, threshold: int, width: float, skip: Sequence[str] = ()
) -> list[str]:
    """Return the hidden counts still pinned when this run hides all it can.

    Every count of this run hidden and every figure it may withhold withheld: what is
    pinned then is pinned by the earlier runs' figures and public facts alone. Counts
    labelled in ``skip`` are not checked.
    """
    from geoloft.disclosure.audit import intervals
    from geoloft.disclosure.secondary import _ours

    hidden = joint.hidden.copy()
    fixed = np.zeros(joint.n_vars, dtype=bool) if joint.fixed is None else joint.fixed
    hidden[ours] |= ~np.isnan(joint.x[ours]) & ~fixed[ours]
    figures = joint.fig_hidden.copy()
    rows = np.arange(figures.size)
    figures[rows[_ours(joint, rows)]] = True
    probe = dataclasses.replace(joint, hidden=hidden, fig_hidden=figures)
    checked = joint.hidden & ~np.isin(joint.keys.astype(str), list(skip))
    table = intervals(probe, threshold=threshold, width=width, only=np.flatnonzero(checked))
    return table.loc[table["pinned"], "label"].astype(str).tolist()


def _fitted(publication: Publication, system: System) -> Publication:
    """Return ``publication``; a grid file with its cells that share one with this run's."""
    if publication.grid is None:
        return publication
    cut = grid_system(publication.grid, system.keys, threshold=publication.threshold)
    return dataclasses.replace(publication, system=cut)


def protect_jointly(
    system: System, published: Sequence[Publication], *, threshold: int, width: float
) -> dict[str, Any]:
    """Choose this run's secondary suppression jointly with earlier publications.

    Parameters
    ----------
    system
        This run's model with true values; ``hidden`` holds the primary set. Changed in
        place: ``hidden`` and ``fig_hidden`` get this run's share of the joint choice.
    published
        Earlier runs (:func:`read_publications`).
    threshold, width
        Persons: the primary threshold and the protection width.

    Returns
    -------
    dict
        As :func:`~geoloft.disclosure.secondary.protect_system`, plus ``published_with``:
        per folder what was taken into account, and what the joint audit found.

    Raises
    ------
    InputError
        When this run's counts contradict an earlier run's (other data), or no counts
        fit the figures of both.
    """
    from geoloft.disclosure.audit import intervals
    from geoloft.disclosure.secondary import LP_LIMIT, protect_system

    published = [_fitted(p, system) for p in published]
    for p in published:
        _check_consistent(system, p)
    joint, ours, primary, counts = _joint(system, published)
    audited = int(joint.hidden.sum()) <= LP_LIMIT
    # SSB's own hidden cells are unknowns here, not this run's to keep hidden: SSB's
    # secondary suppression guards them against its coarser grids, which count the
    # same persons as this run's cells (a later run of SSB's cell size guards them
    # against this run's figures)
    ssb_hidden = [
        str(k) for p in published if p.grid is not None for k in p.system.keys[p.system.hidden]
    ]
    try:
        lost = _beyond_reach(joint, ours, threshold, width, ssb_hidden) if audited else []
        stats: dict[str, Any] = dict(
            protect_system(
                joint,
                threshold=threshold,
                width=width,
                primary=primary,
                accepted=[*lost, *ssb_hidden],
            )
        )
    except InputError as err:  # the linear programmes found no counts fitting all figures
        names = ", ".join(str(p.folder) for p in published)
        raise InputError(
            f"this run's figures and those of {names} contradict each other ({err.message})",
            source=KEY,
            hint="protect jointly only with runs of the same people and year.",
        ) from err
    system.hidden = system.hidden | joint.hidden[ours]
    system.fig_hidden = joint.fig_hidden[: system.A.shape[0]].copy()
    left = None
    if audited:
        table = intervals(joint, threshold=threshold, width=width)
        pinned = table["pinned"] & ~table["label"].isin(ssb_hidden)
        left = table.loc[pinned, "label"].astype(str).tolist()
    stats["published_with"] = {
        "runs": [p.summary() for p in published if p.grid is None],
        "ssb_grids": [p.summary() for p in published if p.grid is not None],
        "joint_hidden_values": int(joint.hidden.sum()),
        "joint_pinned": None if left is None else len(left),
        "joint_pinned_examples": [] if left is None else left[:_LISTED],
        "beyond_reach": len(lost),
        "beyond_reach_examples": lost[:_LISTED],
        "hidden_because_hidden_there": counts["hidden_there_too"],
        "primary_already_public_there": counts["public_there"],
    }
    return stats
