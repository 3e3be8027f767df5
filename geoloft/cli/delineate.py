"""``geoloft delineate INPUT --select ... -o OUT``: intervention areas from cells or units."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geoloft.cli._app import OutFile, Overwrite, app, out
from geoloft.cli._disclosure import AllowTiny, NoDisclosure, Threshold, protect_for_cli

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

GRID_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls", ".tif", ".tiff"})


def _ids(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for item in values for part in item.split(",") if part.strip()]


def _is_grid(path: Path, layer: str | None) -> bool:
    from geoloft.info import detect_kind

    if path.suffix.lower() in GRID_SUFFIXES:
        return True
    return detect_kind(path, layer=layer) == "grid"


def _read_units(
    path: Path, id_column: str | None, parent_column: str | None, layer: str | None
) -> Any:
    """Read geoloft's own area files whole; other boundary files with read_boundaries."""
    import geopandas as gpd
    import pyogrio

    from geoloft._io import ogr_open_options
    from geoloft.boundaries import read_boundaries
    from geoloft.columns import AREA_ID, WORKING_CRS
    from geoloft.errors import CRSError

    options = ogr_open_options(path)
    chosen = layer if layer is not None else 0
    if id_column is None and AREA_ID in pyogrio.read_info(path, layer=chosen, **options)["fields"]:
        frame = gpd.read_file(path, layer=chosen, **options)
        if frame.crs is None:
            raise CRSError("the file has no CRS.", source=path, hint="set one in the file.")
        frame[AREA_ID] = frame[AREA_ID].astype(str)
        return frame.to_crs(WORKING_CRS)
    return read_boundaries(path, id_column=id_column, parent_column=parent_column, layer=layer)


def _read_scores(scores: Path, key: str) -> pd.DataFrame:
    """Read a score table (CSV from ``geoloft score``) with the join key as text or int."""
    import pandas as pd

    from geoloft._io import detect_encoding, existing_file
    from geoloft._validate import check_unique
    from geoloft.columns import AREA_ID, SSBID
    from geoloft.errors import InputError, SchemaError

    src = existing_file(scores, what="score table")
    try:
        table = pd.read_csv(
            src, dtype={AREA_ID: str}, sep=None, engine="python", encoding=detect_encoding(src)
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as err:
        raise InputError(
            f"cannot read the score table ({err}).",
            source=src,
            hint="give the CSV that geoloft score writes (a header line, one row per area).",
        ) from None
    if key not in table.columns:
        raise SchemaError(
            f"the score table has no '{key}' column to join on; it has: "
            f"{', '.join(map(str, table.columns))}.",
            source=src,
            hint=f"give a table with '{key}' (geoloft score writes {AREA_ID}; cells need {SSBID}).",
        )
    check_unique(table[key], source=src, column=key)
    return table


def _with_scores(frame: pd.DataFrame, scores: Path | None) -> tuple[pd.DataFrame, list[str]]:
    """Join a score table on ``area_id`` or ``ssbid``; return notes on unmatched ids."""
    if scores is None:
        return frame, []
    from geoloft.columns import AREA_ID, SSBID

    key = SSBID if SSBID in frame.columns else AREA_ID
    table = _read_scores(scores, key)
    extra = [c for c in table.columns if c != key and c not in frame.columns]
    merged = frame.merge(table[[key, *extra]], on=key, how="left", indicator=True)
    merged.index = frame.index
    notes = []
    unscored = merged.loc[merged["_merge"] == "left_only", key].astype(str).tolist()
    if unscored:
        notes.append(f"no score row for {_listed(unscored)} of the input (never selected)")
    unused = sorted(set(table[key].astype(str)) - set(frame[key].astype(str)))
    if unused:
        notes.append(f"{_listed(unused)} of {scores.name} match nothing in the input")
    return merged.drop(columns="_merge"), notes


def _listed(ids: list[str]) -> str:
    """``"3 ids (0701, 0702, 0703)"``, at most five shown."""
    shown = ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
    return f"{len(ids)} id{'s' if len(ids) != 1 else ''} ({shown})"


def _with_population(units: gpd.GeoDataFrame, cells: Any, pop: str, source: Path) -> Any:
    """Give units the persons of the grid cells inside them, when they have no ``pop``."""
    from geoloft.errors import SchemaError

    if pop in units.columns:
        return units
    if cells is None:
        raise SchemaError(
            f"the units have no population column '{pop}'.",
            source=source,
            column=pop,
            hint="add --grid CELLS (an SSB population grid) to count the persons in each "
            "unit, or name the units' population column with --pop.",
        )
    from geoloft.join import join_grid

    joined = join_grid(cells, units, values=[pop])
    out = units.assign(**{pop: joined[pop].to_numpy()})
    out.attrs["population from grid"] = True
    return out


def _write(areas: Any, target: Path, overwrite: bool, inputs: tuple[Path, ...]) -> list[Path]:
    """Write the areas, and the settlement outlines as a layer (GPKG) or a sibling file."""
    from geoloft.columns import NAME, SETTLEMENT, ZONE_ID
    from geoloft.export import write, write_layers

    main = areas.drop(columns=[SETTLEMENT])
    lived = areas[[ZONE_ID, NAME, SETTLEMENT]].set_geometry(SETTLEMENT)
    lived = lived[lived.geometry.notna() & ~lived.geometry.is_empty]
    if lived.empty or areas.attrs["report"].notes.get("kind") == "cells":
        return [write(main, target, layer="intervention_areas", overwrite=overwrite, inputs=inputs)]
    if target.suffix.lower() == ".gpkg":
        layers = {"intervention_areas": main, "settlement": lived}
        return [write_layers(layers, target, overwrite=overwrite, inputs=inputs)]
    sibling = target.with_name(f"{target.stem}_settlement{target.suffix}")
    return [
        write(main, target, overwrite=overwrite, inputs=inputs),
        write(lived, sibling, overwrite=overwrite, inputs=inputs),
    ]


def _summary(areas: Any) -> list[str]:
    """Say what went in, what was selected, and what became of the candidate areas."""
    report = areas.attrs["report"]
    notes = report.notes
    kind = notes.get("kind", "rows")
    lines = [
        f"delineate: {notes.get('items in', 0):,} {kind} in, "
        f"{notes.get('items selected', 0):,} selected ({notes.get('selection', '')}); "
        f"{_count(report.rows_in, 'candidate area')} in, {report.rows_out:,} out."
    ]
    changes = [
        f"{key} {value:,}"
        for key, value in notes.items()
        if key.startswith(("areas merged", "areas added", "islands joined", "members added"))
        and value
    ]
    changes += [f"dropped ({reason}) {count:,}" for reason, count in report.dropped.items()]
    if changes:
        lines.append("  " + "; ".join(changes) + ".")
    total = float(areas["pop"].sum()) if len(areas) else 0.0
    lines.append(f"  {_count(len(areas), 'area')}, {total:,.0f} persons.")
    return lines


def _protect(
    zones: Any, units: Any, cells: Any, threshold: int, off: bool, allow_tiny: bool
) -> Any:
    """Withhold the figures of small intervention areas and those that would reveal them."""
    import pandas as pd

    from geoloft import columns as C
    from geoloft.disclosure import suppress

    layers = {"intervention_areas": zones}
    # the areas are tied to the grid only where their persons were counted from it; a
    # units file's own population (a register count) is another source
    from_grid = bool(units.attrs.get("population from grid"))
    if cells is not None and from_grid and C.AREA_ID in units.columns and C.POP_TOT in units:
        layers.update(grid=cells, areas=units)
    zones = protect_for_cli(layers, threshold=threshold, off=off, allow_tiny=allow_tiny)[
        "intervention_areas"
    ]
    if off or C.POP not in zones.columns:
        return zones
    keep = {C.ZONE_ID, C.NAME, C.MEMBERS, C.N_MEMBERS, C.LOCKED_IN, C.ADDED, C.FLAGS}
    numeric = [
        c
        for c in zones.columns
        if c not in keep and c != C.POP and pd.api.types.is_numeric_dtype(zones[c])
    ]
    return suppress(zones, columns=numeric, pop=C.POP, threshold=threshold)


def _count(n: int, noun: str) -> str:
    """``"1 area"``, ``"2,344 areas"``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@app.command("delineate")
def delineate_command(
    source: Annotated[
        Path, typer.Argument(help="Grid cells (CSV, GML, ...) or units (GeoJSON, GPKG, ...).")
    ],
    select: Annotated[
        str,
        typer.Option(
            help="Which rows qualify: a boolean column (qualifies), a rule (index>=0.5), "
            "a top share (index top 10%) or hotspots[:column] (Gi*, FDR 5 %)."
        ),
    ],
    output: OutFile,
    min_pop: Annotated[float | None, typer.Option(help="Population floor (persons).")] = None,
    max_pop: Annotated[float | None, typer.Option(help="Population ceiling (persons).")] = None,
    max_areas: Annotated[int | None, typer.Option(help="Keep at most this many areas.")] = None,
    lock_in: Annotated[
        list[str] | None, typer.Option(help="Ids always included (comma-separated, repeatable).")
    ] = None,
    lock_out: Annotated[
        list[str] | None, typer.Option(help="Ids never included (comma-separated, repeatable).")
    ] = None,
    contiguity: Annotated[str, typer.Option(help="rook, queen or edge.")] = "rook",
    min_edge: Annotated[float, typer.Option(help="Units: shortest shared edge (m).")] = 10.0,
    islands: Annotated[str, typer.Option(help="own, nearest or drop.")] = "own",
    island_distance: Annotated[
        float | None, typer.Option(help="For --islands nearest (m).")
    ] = None,
    within: Annotated[str | None, typer.Option(help="Never cross this column (parent_id).")] = None,
    scores: Annotated[
        Path | None, typer.Option(help="Score table (CSV from geoloft score) joined on the ids.")
    ] = None,
    grid: Annotated[
        Path | None,
        typer.Option(
            help="Populated grid cells: settlement outlines of units, and their population "
            "when the units have none."
        ),
    ] = None,
    pop: Annotated[str, typer.Option(help="Population column.")] = "pop_tot",
    score: Annotated[str | None, typer.Option(help="Priority column (higher = more need).")] = None,
    cell_size: Annotated[
        int | None, typer.Option(help="Cell size (m) if the file lacks it.")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer of the input file to read.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Units: id column.")] = None,
    parent_column: Annotated[str | None, typer.Option(help="Units: parent id column.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for permutation hot spots.")] = 0,
    allow_sensitive: Annotated[
        bool,
        typer.Option(
            help="Allow a country-of-origin (or similar) column as criterion (needs a legal "
            "basis; recorded in the report)."
        ),
    ] = False,
    overwrite: Overwrite = False,
    threshold: Threshold = 10,
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    r"""Draw contiguous intervention areas from qualifying grid cells or units.

    Areas under the disclosure threshold keep their outline but no figures, and with
    units and --grid, populations that would reveal SSB's small cells are withheld.

    Adjacent qualifying rows merge; areas under --min-pop grow with their best
    neighbours or are dropped; areas over --max-pop are split along their
    weakest links. Writes one row per area (GPKG: layers intervention_areas and,
    for units with --grid, settlement).

    Example (units: score the delbydeler first, count persons from the grid):

        geoloft score data/indicators/demoby_levekar_delbydel.csv -o scores.csv

        geoloft delineate data/boundaries/demoby_delbydeler.geojson --scores scores.csv \
        --select qualifies --grid data/grid/demoby_ru250m_syntetisk.csv --min-pop 5000 \
        -o areas.gpkg

    Example (cells: hot spots of population, at least 2,000 persons per area):

        geoloft delineate data/grid/demoby_ru250m_syntetisk.csv --select hotspots:pop_tot \
        --min-pop 2000 -o hot.gpkg
    """
    from geoloft.delineation import delineate
    from geoloft.grid import read_grid

    cells = read_grid(grid) if grid is not None else None
    if _is_grid(source, layer):
        data, notes = _with_scores(read_grid(source, cell_size=cell_size, layer=layer), scores)
    else:
        units = _read_units(source, id_column, parent_column, layer)
        data, notes = _with_scores(units, scores)
        data = _with_population(data, cells, pop, source)
    areas = delineate(
        data, select=select, pop=pop, score=score, contiguity=contiguity, min_edge=min_edge,
        islands=islands, island_distance=island_distance, min_pop=min_pop, max_pop=max_pop,
        max_areas=max_areas, lock_in=_ids(lock_in), lock_out=_ids(lock_out), within=within,
        grid=cells, seed=seed, allow_sensitive=allow_sensitive,
    )  # fmt: skip
    allowed = areas.attrs["report"].notes.get("sensitive criteria (allowed)", [])
    if allowed:
        notes.append(f"sensitive criteria used because --allow-sensitive was given: "
                     f"{', '.join(allowed)}")  # fmt: skip
    report = areas.attrs["report"]  # the summary describes the delineation, not the protection
    areas = _protect(areas, data, cells, threshold, no_disclosure, allow_tiny_threshold)
    areas.attrs["report"] = report
    inputs = tuple(p.resolve() for p in (source, scores, grid) if p is not None)
    written = _write(areas, output, overwrite, inputs)
    for line in [*_summary(areas), *(f"  note: {note}." for note in notes)]:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    for path in written:
        out.print(f"Wrote {path}", highlight=False, markup=False, soft_wrap=True)
