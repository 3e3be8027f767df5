"""``delineate``: qualifying cells or units -> contiguous intervention areas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geoloft.columns import POP_TOT
from geoloft.delineation import regions
from geoloft.delineation.adjacency import cell_adjacency, unit_adjacency
from geoloft.delineation.assemble import Result, assemble
from geoloft.delineation.hotspots import HOT
from geoloft.delineation.inputs import Items, prepare
from geoloft.delineation.options import (
    Locks,
    Options,
    boundary_codes,
    check_options,
    clip_geometry,
    locks_from,
    settlement_cells,
)
from geoloft.delineation.output import indicators, weighted_mean
from geoloft.delineation.select import Select, Selection, resolve
from geoloft.delineation.split import split_over_ceiling

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _graph(items: Items, options: Options) -> sp.csr_array:
    """Adjacency of the items, in id order."""
    if items.cells:
        assert items.cell_size is not None
        kind: Literal["rook", "queen"] = "queen" if options.contiguity == "queen" else "rook"
        graph = cell_adjacency(items.ids, items.cell_size, contiguity=kind)
    else:
        graph = unit_adjacency(
            items.geometry(), min_edge=options.min_edge, queen=options.contiguity == "queen"
        )
    return graph


def _fence(graph: sp.csr_array, group: IntArray | None) -> sp.csr_array:
    """Remove the edges that cross a higher boundary (``within``)."""
    if group is None:
        return graph
    coo = graph.tocoo()
    same = group[coo.row] == group[coo.col]
    return sp.csr_array((coo.data[same], (coo.row[same], coo.col[same])), shape=graph.shape)


def _islands(
    graph: sp.csr_array,
    labels: IntArray,
    items: Items,
    options: Options,
    context: tuple[Locks, IntArray | None, regions.Log],
) -> tuple[sp.csr_array, IntArray]:
    locks, group, log = context
    if options.islands == "nearest":
        geometry = items.geometry(labels >= 0)
        labels, a, b = regions.join_islands(
            labels, geometry, distance=options.island_distance, group=group
        )
        log.notes["islands joined to a near area"] = int(a.size)
        return regions.add_edges(graph, a, b), labels
    if options.islands == "drop":
        return graph, regions.drop_islands(labels, locks.keep, log)
    return graph, labels


def _bounds(
    graph: sp.csr_array,
    labels: IntArray,
    items: Items,
    selection: Selection,
    options: Options,
    context: tuple[Locks, regions.Log],
) -> tuple[IntArray, BoolArray, IntArray]:
    """Grow to the floor, split at the ceiling, drop what stays under the floor."""
    locks, log = context
    added = np.zeros(items.n, dtype=bool)
    if options.min_pop > 0:
        before = regions.count(labels)
        rank = regions.priority_rank(selection.priority, items.pop)
        labels, added = regions.grow_to_floor(
            graph, labels, items.pop, rank, floor=options.min_pop, eligible=~locks.ban
        )
        log.notes["areas merged while growing"] = before - regions.count(labels)
    stuck = np.zeros(0, dtype=np.int64)
    if np.isfinite(options.max_pop):
        before = regions.count(labels)
        labels, stuck = split_over_ceiling(
            graph, labels, items.pop, selection.priority,
            floor=options.min_pop, ceiling=options.max_pop,
        )  # fmt: skip
        log.notes["areas added by splits at the ceiling"] = regions.count(labels) - before
        log.notes["parts over the ceiling that cannot be split"] = int(stuck.size)
    if options.min_pop > 0:
        labels = regions.drop_under_floor(
            labels, items.pop, floor=options.min_pop, locked=locks.keep, log=log
        )
    return labels, added, stuck


def _partition(
    graph: sp.csr_array,
    items: Items,
    selection: Selection,
    locks: Locks,
    options: Options,
    group: IntArray | None,
) -> tuple[IntArray, Result]:
    """Run components, islands, floor, ceiling, drops and max_areas; return labels and facts."""
    log = regions.Log()
    labels = regions.components(graph, (selection.mask | locks.keep) & ~locks.ban)
    log.candidates = regions.count(labels)
    log.notes["candidate areas"] = log.candidates
    graph, labels = _islands(graph, labels, items, options, (locks, group, log))
    labels, added, stuck = _bounds(graph, labels, items, selection, options, (locks, log))
    if options.max_areas is not None and regions.count(labels):
        k = regions.count(labels)
        labels = regions.keep_best(
            labels,
            weighted_mean(selection.priority, items.pop, labels, k),
            regions.sizes(labels, items.pop),
            max_areas=options.max_areas,
            locked=locks.keep,
            log=log,
        )
    over = np.zeros(items.n, dtype=bool)
    over[stuck] = True
    added &= labels >= 0
    log.notes["members added to reach the floor"] = int(added.sum())
    return labels, Result(log=log, added=added, over_ceiling=over)


def delineate(
    data: pd.DataFrame,
    *,
    select: Select,
    pop: str = POP_TOT,
    score: str | None = None,
    contiguity: str = "rook",
    min_edge: float = 10.0,
    islands: str = "own",
    island_distance: float | None = None,
    min_pop: float | None = None,
    max_pop: float | None = None,
    max_areas: int | None = None,
    lock_in: Iterable[object] | None = None,
    lock_out: Iterable[object] | None = None,
    within: str | None = None,
    fill_holes: float | None = None,
    smooth: float | None = None,
    clip: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    grid: pd.DataFrame | None = None,
    counts: Mapping[str, Sequence[str]] | None = None,
    replicates: npt.ArrayLike | pd.DataFrame | None = None,
    seed: int = 0,
    allow_sensitive: bool = False,
) -> gpd.GeoDataFrame:
    """Draw contiguous intervention areas from qualifying grid cells or units.

    Qualifying items (``select``) that are adjacent merge into one area. Areas
    under the population floor grow with their best neighbours or are dropped;
    areas over the ceiling are split along their weakest links; planners' locks
    are honoured and recorded. The result is the same for the same input and
    ``seed``, whatever the row order.

    Parameters
    ----------
    data
        Either grid **cells** (a frame with ``ssbid`` and ``cell_size``, one size,
        as from :func:`geoloft.read_grid`; geometry is rebuilt from the ids) or
        **units** (a GeoDataFrame in EPSG:25833 with ``area_id``, optional
        ``name``, polygons, as from :func:`geoloft.read_boundaries` with scores
        joined). Cells are used when ``ssbid`` is present.
    select
        Which rows qualify. One of:

        * a boolean column name, e.g. ``"qualifies"`` from the score stage;
        * booleans per row (array in row order, or a Series on the index);
        * ``(column, op, value)`` with ``op`` one of ``>=``, ``>``, ``<=``,
          ``<``, ``==``, e.g. ``("index", ">=", 0.5)``;
        * ``(column, "top", share)``: the ``share`` (0-1) of rows with the
          highest values; rows with the same value share the status (a rule
          with fewer than ``share · n`` rows strictly higher);
        * ``"hotspots"`` or ``(column, "hotspots"[, options])``: Gi* hot spots
          of ``column`` (default ``index``) at a 5 % false discovery rate, see
          :func:`geoloft.delineation.hotspots`; ``options`` is a dict with
          ``contiguity``, ``distance``, ``alpha``, ``permutations``;
        * the same rules as text (project files, command line), when no
          column has that name: ``"index >= 0.5"``, ``"index top 10%"``,
          ``"hotspots"``, ``"hotspots:rate"``.

        Rows with a missing value never qualify.
    pop
        Population column (persons, extensive); missing values count as 0.
    score
        Column giving each row's priority (higher = more in need): the best
        neighbour is taken first when an area grows, and similar neighbours
        stay together when it is split; areas are ranked by its
        population-weighted mean. Default: the column of a rule
        ``select`` (negated for ``<`` / ``<=``), the Gi* z-score for hot spots,
        else ``index`` if present, else population.
    contiguity
        Cells: ``"rook"`` or ``"edge"`` (shared edge), ``"queen"`` (edge or
        corner). Units: ``"rook"`` or ``"edge"`` (shared boundary of at least
        ``min_edge`` metres), ``"queen"`` (any touch).
    min_edge
        Shortest shared boundary (metres) that makes units neighbours.
    islands
        What a one-member area does: ``"own"`` (stays an area of its own),
        ``"nearest"`` (joins the area with the nearest member within
        ``island_distance`` metres, if any, forming a multi-part area) or
        ``"drop"`` (is dropped unless locked in).
    island_distance
        Metres, for ``islands="nearest"``.
    min_pop
        Population floor (persons). Areas under it take, one at a time, their
        best-priority free neighbour (never a locked-out one, never across
        ``within``) until they meet it; an area that reaches another merges
        with it. Areas still under the floor are dropped (and reported) unless
        they hold a locked-in member (then kept and flagged).
    max_pop
        Population ceiling (persons). Areas over it are split, see
        :mod:`geoloft.delineation.split`; parts that cannot be split stay and are
        flagged ``over_ceiling``.
    max_areas
        Keep at most this many areas: those with locked-in members, then the
        highest population-weighted priority.
    lock_in, lock_out
        Ids (``area_id`` or ``ssbid``) always included (even if not
        qualifying) / never included. Recorded in ``locked_in`` and the report.
    within
        Column of a higher boundary never crossed (e.g. ``parent_id`` for the
        bydel of a delbydel, or a kommune number on cells).
    fill_holes
        Holes smaller than this (m²) are filled in cell outlines and settlement
        outlines. Default: four cells.
    smooth
        Closing distance (metres) for cell and settlement outlines. Default:
        half a cell. 0 keeps the exact staircase.
    clip
        Polygons (EPSG:25833) the outlines are clipped to, e.g. land or units.
    grid
        Populated grid cells (``ssbid``, ``cell_size``) for the settlement
        outline of unit runs; a cell counts unless its population (``pop`` or
        ``pop_tot``) is 0.
    counts
        Indicators recomputed per area from counts, never averaged:
        ``{"low_income": ("low_income_n", "low_income_d")}``, optionally with
        ``"higher_is_better"`` as a third item (default higher is worse).
    replicates
        Booleans, rows x replicates (e.g. the score stage's bootstrap): whether
        each row qualifies in each replicate. Gives ``stability``.
    seed
        Seed for permutation hot spots; nothing else is random.
    allow_sensitive
        Allow columns of country of origin, immigrant background, citizenship,
        refugee status, religion or ethnicity (:mod:`geoloft.sensitive`) as
        ``select``, hot-spot or ``score`` columns. Refused by default; when
        allowed, the columns are recorded in the report (``sensitive criteria
        (allowed)``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area, in EPSG:25833, numbered from the most in need (the
        highest population-weighted priority, see ``score``):

        ``zone_id`` (``Z01``...), ``name`` (from member names, most populous
        first: ``"Furuset–Haugenstua"``, ``"A–B–C m.fl."``; cells without
        names: ``"Område 1"``...), ``members`` (ids joined by commas; see
        :func:`membership` for one row per member), ``n_members``, ``pop``,
        ``area_km2`` (of the drawn geometry), one column per ``counts``
        indicator (rate = sum of numerators / sum of denominators),
        ``index`` (with ``counts``: mean over indicators of the area rate's
        z-score against the input rows' rates; else the population-weighted
        mean of the members' ``index``; NaN if neither), ``criteria_met`` and
        ``n_criteria`` (indicators in which the area is worse than the whole
        input; NaN without ``counts``), ``compactness`` (Polsby-Popper
        4πA/P²), ``stability`` (population-weighted mean of the members'
        shares of replicates in which they qualify; NaN without
        ``replicates``), ``member_stability`` (those shares, in member order),
        ``locked_in`` and ``added`` (member ids locked in / added to reach
        the floor), ``flags`` (``under_floor_locked``, ``over_ceiling``),
        ``geometry`` and ``settlement`` (where people live; for cells the same
        as ``geometry``; for units from ``grid``, else empty). The
        ``settlement`` column is a second geometry column: drop it or write
        it as its own layer before writing single-geometry formats.

        ``attrs["report"]`` is a :class:`~geoloft.report.StageReport`: candidate
        areas in, areas out, areas dropped by reason, and notes.

    Raises
    ------
    SchemaError
        Missing columns, duplicate ids, unknown lock ids, bad booleans.
    CRSError
        Units or ``clip`` not in EPSG:25833.
    InputError
        Contradictory or out-of-range options, ids both locked in and out, a
        sensitive criterion without ``allow_sensitive``.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = [22560006672000 + i * 2_500_000_000 + j * 250 for i in range(3) for j in range(3)]
    >>> grid = pd.DataFrame({"ssbid": ids, "cell_size": 250, "pop_tot": 100.0,
    ...                      "index": [1, 1, 0, 0, 0, 0, 0, 0, 1.0]})
    >>> areas = delineate(grid, select=("index", ">=", 1), min_pop=150)
    >>> areas[["zone_id", "n_members", "pop", "added"]].to_numpy().tolist()
    [['Z01', 2, 200.0, ''], ['Z02', 2, 200.0, '22562506672500']]
    >>> fenced = delineate(grid, select=("index", ">=", 1), min_pop=150,
    ...                    lock_out=[22562506672500, 22565006672250])
    >>> len(fenced), fenced.attrs["report"].dropped
    (1, {'under population floor': 1})
    """
    options = check_options(
        contiguity=contiguity,
        min_edge=min_edge,
        islands=islands,
        island_distance=island_distance,
        min_pop=min_pop,
        max_pop=max_pop,
        max_areas=max_areas,
        fill_holes=fill_holes,
        smooth=smooth,
    )
    chosen = indicators(counts)
    needed = [c for c in (within, score) if c] + [
        c for i in chosen for c in (i.numerator, i.denominator)
    ]
    items = prepare(data, pop=pop, columns=needed)
    locks = locks_from(items, lock_in, lock_out)
    settings = {
        "fill_holes": fill_holes,
        "smooth": smooth,
        "clip": clip_geometry(clip),
        "grid": settlement_cells(grid, pop),
    }
    group = boundary_codes(items, within)
    graph = _graph(items, options)
    selection = resolve(
        items,
        select,
        score=score,
        hotspot_graph=None if items.cells else graph,
        seed=seed,
        allow_sensitive=allow_sensitive,
    )
    graph = _fence(graph, group)
    labels, result = _partition(graph, items, selection, locks, options, group)
    result.log.notes.update(_notes(items, selection, locks))
    return assemble(
        items,
        labels,
        result,
        selection=selection,
        locks=locks,
        options=options,
        settings=settings,
        counts=counts,
        replicates=replicates,
    )


def _notes(items: Items, selection: Selection, locks: Locks) -> dict[str, object]:
    notes: dict[str, object] = {
        "kind": "cells" if items.cells else "units",
        "items in": items.n,
        "selection": selection.rule,
        "items selected": int(selection.mask.sum()),
        "locked in": items.labels(locks.keep),
        "locked out": items.labels(locks.ban),
        "locked out although qualifying": items.labels(locks.ban & selection.mask),
    }
    if items.n_missing_pop:
        notes["items with missing population (counted as 0)"] = items.n_missing_pop
    if selection.sensitive:
        notes["sensitive criteria (allowed)"] = list(selection.sensitive)
    if selection.hot is not None:
        notes["hot spots"] = int(selection.hot[HOT].sum())
        notes["cells without neighbours (not tested)"] = int(selection.hot["gi_z"].isna().sum())
    return notes
