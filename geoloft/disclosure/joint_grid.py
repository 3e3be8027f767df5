"""SSB's own published grid as a publication a run is protected against.

``published_with`` may name an SSB grid file (any file :func:`geoloft.grid.read_grid`
reads) beside earlier runs' output folders. It says "SSB publishes this grid": whatever
a run hides, SSB shows these cells anyway, so a run's secondary suppression must not
lean on a cell whose persons SSB publishes one sub-cell at a time (a 1 km run hiding,
as the helper of a small cell, a 1 km cell that is the sum of published 250 m cells).

The file's cells are modelled as SSB publishes them today:

* a cell of ``threshold`` persons or more is a published fact, its value fixed;
* a cell under the threshold is hidden, with its sub-groups; in a published cell a
  sub-group under the threshold (0 included) is hidden. Hidden cells are unknowns
  (counts are at least 0), whatever value the file gives them (SSB's files up to
  2018 published them all). They are not this run's to keep hidden: SSB's own
  secondary suppression guards them against its coarser grids, which count the same
  persons as this run's cells, and a later run at the file's cell size, published
  with this one, guards them against this run's figures;
* where the file leaves the hidden cells out (none under the threshold and no
  suppression marker: SSB's files from 2019 on), a coarser cell of this run is only
  known to hold at least its published sub-cells: the rest is what SSB leaves unknown.

A coarse cell of this run whose sub-cells SSB publishes, every one, is public already:
hiding it helps no other count, so it is never chosen as a helper.

This run's cells relate to the file's by the block sums of
:func:`~geoloft.disclosure.model.link_grids` (a coarse cell is the sum of the finer
cells inside it). Where both sums are known, the relation is an equation when they
agree and ``coarse >= Σ fine`` when the file holds fewer persons (a file cut to another
area); more persons in the finer cells than in the coarse one are other data, refused.
Only the file's cells that share a cell with this run's grid enter the model.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geoloft import columns as C
from geoloft.disclosure.model import GRID_COUNTS, System, build_system
from geoloft.disclosure.rules import primary_counts
from geoloft.errors import GeoloftError, InputError

__all__ = ["KEY", "GridFile", "grid_file_problems", "read_grid_file"]

#: The project file's key (and the CLI's flag) that names earlier publications.
KEY = "published_with"
_FIX = (
    "name an SSB grid file in EPSG:25833 (for example ru250m_2015.csv) or the output "
    "folder of an earlier geoloft run."
)


@dataclass
class GridFile:
    """An SSB grid file read as SSB publishes it."""

    path: Path
    #: The path as the run record names it (relative to the project where it can be).
    label: str
    sha256: str
    cell_size: int
    #: ``ssbid`` and the count columns (persons; NaN where the file marks a value hidden).
    cells: pd.DataFrame
    #: The file holds cells under the threshold (or markers for them): nothing left out.
    small_cells_in_file: bool

    def summary(self, system: System) -> dict[str, Any]:
        """Return what the run record keeps about this file (``system``: the cells used)."""
        tot = system.column == C.POP_TOT
        return {
            "file": self.label,
            "sha256": self.sha256,
            "cell_size": self.cell_size,
            "cells_in_file": len(self.cells),
            "cells_used": int(tot.sum()),
            "cells_published": int((tot & ~system.hidden).sum()),
            "cells_hidden": int((tot & system.hidden).sum()),
            "small_cells_in_file": self.small_cells_in_file,
        }


def _read(path: Path) -> pd.DataFrame:
    """Read ``path`` with :func:`read_grid`; raise :class:`InputError` naming the file and key."""
    from geoloft.grid import read_grid

    try:
        frame = read_grid(path, geometry=False)
    except (GeoloftError, OSError, ValueError, RuntimeError) as err:  # GDAL: RuntimeError
        said = getattr(err, "message", None) or str(err)
        said = "".join(ch if ch.isprintable() else "?" for ch in said)[:300]
        raise InputError(
            f"{path}: not a grid file geoloft can read ({said.rstrip('.')}).",
            source=KEY,
            hint=_FIX,
        ) from err
    report = frame.attrs.get("report")
    crs = getattr(report, "notes", {}).get("crs") if report is not None else None
    if crs and CRS.from_user_input(crs) != CRS.from_user_input(C.WORKING_CRS):
        raise InputError(
            f"{path}: its cells are in {crs}, not EPSG:25833 (SSB's grid); they cannot be "
            "matched with this run's cells.",
            source=KEY,
            hint=_FIX,
        )
    if C.SSBID not in frame.columns or C.POP_TOT not in frame.columns:
        what = "no SSB cell ids" if C.SSBID not in frame.columns else "no pop_tot column"
        raise InputError(
            f"{path}: {what}; not a population grid in EPSG:25833.",
            source=KEY,
            hint=_FIX,
        )
    return frame


def grid_file_problems(path: Path, *, threshold: int) -> list[tuple[str, str]]:
    """Return what keeps the grid file ``path`` from being protected against (message, fix)."""
    del threshold  # SSB's rule is applied with this run's threshold; any file qualifies
    try:
        _read(path)
    except InputError as err:
        return [(err.message, err.hint or _FIX)]
    return []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_grid_file(
    path: Path, *, threshold: int, grid_size: int | None, root: Path | None = None
) -> GridFile:
    """Read an SSB grid file that a run is published alongside.

    Parameters
    ----------
    path
        Any grid file :func:`geoloft.grid.read_grid` reads, in EPSG:25833.
    threshold
        Persons: cells under it are modelled as hidden by SSB.
    grid_size
        This run's cell size in metres (``None``: no grid).
    root
        The project's folder: the run record names the file relative to it.

    Returns
    -------
    GridFile

    Raises
    ------
    InputError
        Naming the file and the key: unreadable, not a grid, not EPSG:25833, or cells
        whose size does not nest with this run's.
    """
    frame = _read(path)
    size = int(frame.attrs.get("cell_size") or frame[C.CELL_SIZE].iloc[0])
    if grid_size and max(size, grid_size) % min(size, grid_size):
        raise InputError(
            f"{path}: its {size} m cells and this run's {grid_size} m cells do not nest, so "
            "the people they share cannot be related.",
            source=KEY,
            hint="use grids whose cell sizes divide each other (100 m, 250 m, 1 km, 5 km "
            f"nest except 100 m with 250 m), or leave {path.name} out of {KEY}.",
        )
    counts = [c for c in GRID_COUNTS if c in frame.columns]
    cells = pd.DataFrame(frame[[C.SSBID, *counts]]).reset_index(drop=True)
    tot = cells[C.POP_TOT].to_numpy(dtype=np.float64)
    small_in_file = bool(np.isnan(tot).any() or (tot < threshold).any())
    label = str(path)
    if root is not None:
        relative = os.path.relpath(path, root)
        label = relative if not Path(relative).is_absolute() else str(path)
    return GridFile(path, label, _sha256(path), size, cells, small_in_file)


def _corners(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ids // 10**7 - 2_000_000, ids % 10**7


def grid_system(grid: GridFile, run_keys: np.ndarray, *, threshold: int) -> System:
    """Return the model of the file's cells that share a cell with this run's grid.

    ``run_keys`` are this run's variable keys (``grid<size>:<ssbid>:<column>``). A file
    cell is kept where the square of the larger of the two cell sizes holding it also
    holds a cell of this run. Hidden as SSB hides: see the module notes.
    """
    parts = pd.Series(run_keys.astype(str)).str.extract(r"^grid(\d+):(\d+):\w+$").dropna()
    cells = grid.cells
    if len(parts):
        ours = parts[1].astype(np.int64).to_numpy()
        unit = max(grid.cell_size, int(parts[0].iloc[0]))
        ox, oy = _corners(ours)
        fx, fy = _corners(cells[C.SSBID].to_numpy(dtype=np.int64))
        keep = np.isin((fx // unit) * 10**8 + fy // unit, (ox // unit) * 10**8 + oy // unit)
        cells = cells[keep]
    else:
        cells = cells.iloc[:0]
    frame = gpd.GeoDataFrame(cells.assign(**{C.CELL_SIZE: grid.cell_size}))
    system = build_system({"grid": frame}, known=False, label=f"{grid.label}: ")
    # SSB's rule: a cell under the threshold is hidden with its sub-groups; a sub-group
    # under the threshold (0 too) is hidden in a published cell
    tot = system.column == C.POP_TOT
    small_cell = np.zeros(len(frame), dtype=bool)
    small_cell[system.row[tot]] = primary_counts(system.x[tot], threshold)
    system.hidden = primary_counts(system.x, threshold) | small_cell[system.row]
    system.primary = system.hidden.copy()
    return system


def settle_links(joint: System, x: np.ndarray, from_file: np.ndarray, left_out: np.ndarray) -> None:
    """Set which link rows touching a grid file's cells are equations (in place).

    Parameters
    ----------
    joint
        The joint model after :func:`~geoloft.disclosure.model.link_grids`.
    x
        Per variable: the true value (this run's and the file's), NaN where unknown.
    from_file
        Per variable: a cell of an SSB grid file.
    left_out
        Per variable: a cell of a file that leaves its hidden cells out.
    """
    rows = np.flatnonzero(joint.fig_kind == "link")
    if not rows.size or not from_file.any():
        return
    sub = joint.A[rows].tocsr()
    touches = (abs(sub) @ from_file.astype(np.float64)) > 0
    fine = sub.copy()
    fine.data = (fine.data < 0).astype(np.float64)
    fine_left_out = (fine @ left_out.astype(np.float64)) > 0
    known = (abs(sub) @ np.isnan(x).astype(np.float64)) == 0
    value = sub @ np.nan_to_num(x)
    lower = joint.lower_only[rows].copy()
    lower[known] = value[known] > 1e-6
    lower |= fine_left_out
    joint.lower_only[rows[touches]] = lower[touches]


def public_already(
    joint: System, ours: np.ndarray, shown_there: np.ndarray, from_file: np.ndarray
) -> np.ndarray:
    """Return this run's counts that a grid file's published cells add up to exactly.

    A coarse cell of this run whose sub-cells SSB publishes, every one (an equation link
    row whose other counts are all published there), is public already: hiding it helps
    no other count, so it is never chosen as a helper.
    """
    found = np.zeros(joint.n_vars, dtype=bool)
    rows = np.flatnonzero((joint.fig_kind == "link") & ~joint.lower_only)
    if not rows.size or not from_file.any():
        return found
    sub = abs(joint.A[rows]).tocsr()
    mine = np.zeros(joint.n_vars, dtype=np.float64)
    mine[ours] = 1.0
    unknown = (mine == 0) & ~shown_there
    single = (sub @ mine == 1) & (sub @ unknown.astype(np.float64) == 0)
    single &= (sub @ from_file.astype(np.float64)) > 0
    hits = sub[single].multiply(mine[None, :]).tocsr()
    found[hits.indices] = True
    return found
