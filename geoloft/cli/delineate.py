"""``geoloft delineate INPUT --select ... -o OUT``: intervention areas from cells or units."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geoloft.cli._app import OutFile, Overwrite, app, out

if TYPE_CHECKING:
    import pandas as pd

GRID_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls", ".tif", ".tiff"})
_GRID_ID = re.compile(r"^(ssbid|ru\d+m|rute)")


def _ids(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for item in values for part in item.split(",") if part.strip()]


def _is_grid(path: Path) -> bool:
    if path.suffix.lower() in GRID_SUFFIXES:
        return True
    import pyogrio

    fields = [str(f).lower() for f in pyogrio.read_info(path)["fields"]]
    return "area_id" not in fields and any(_GRID_ID.match(f) for f in fields)


def _read_units(path: Path, id_column: str | None, parent_column: str | None) -> Any:
    """Read geoloft's own area files whole; other boundary files with read_boundaries."""
    import geopandas as gpd
    import pyogrio

    from geoloft.boundaries import read_boundaries
    from geoloft.columns import AREA_ID, WORKING_CRS
    from geoloft.errors import CRSError

    if id_column is None and "area_id" in pyogrio.read_info(path)["fields"]:
        frame = gpd.read_file(path)
        if frame.crs is None:
            raise CRSError("the file has no CRS.", source=path, hint="set one in the file.")
        frame[AREA_ID] = frame[AREA_ID].astype(str)
        return frame.to_crs(WORKING_CRS)
    return read_boundaries(path, id_column=id_column, parent_column=parent_column)


def _with_scores(frame: pd.DataFrame, scores: Path | None) -> pd.DataFrame:
    """Join a score table (from ``geoloft score``) on ``area_id`` or ``ssbid``."""
    if scores is None:
        return frame
    import pandas as pd

    from geoloft.columns import AREA_ID, SSBID
    from geoloft.errors import SchemaError

    key = SSBID if SSBID in frame.columns else AREA_ID
    table = pd.read_csv(scores, dtype={AREA_ID: str}, sep=None, engine="python")
    if key not in table.columns:
        raise SchemaError(
            f"the score table has no '{key}' column to join on.",
            source=scores,
            hint=f"give a table with '{key}' (geoloft score writes one).",
        )
    extra = [c for c in table.columns if c != key and c not in frame.columns]
    return frame.merge(table[[key, *extra]], on=key, how="left", validate="one_to_one")


def _write(areas: Any, target: Path, overwrite: bool, inputs: tuple[Path, ...]) -> list[Path]:
    """Write the areas, and the settlement outlines as a layer (GPKG) or a sibling file."""
    from geoloft.delineate.output import SETTLEMENT
    from geoloft.export import write, write_layers

    main = areas.drop(columns=[SETTLEMENT])
    lived = areas[["zone_id", "name", SETTLEMENT]].set_geometry(SETTLEMENT)
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


@app.command("delineate")
def delineate_command(
    source: Annotated[
        Path, typer.Argument(help="Grid cells (CSV, GML, ...) or units (GPKG, ...).")
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
        Path | None, typer.Option(help="Populated grid cells for settlement outlines of units.")
    ] = None,
    pop: Annotated[str, typer.Option(help="Population column.")] = "pop_tot",
    score: Annotated[str | None, typer.Option(help="Priority column (higher = more need).")] = None,
    cell_size: Annotated[
        int | None, typer.Option(help="Cell size (m) if the file lacks it.")
    ] = None,
    id_column: Annotated[str | None, typer.Option(help="Units: id column.")] = None,
    parent_column: Annotated[str | None, typer.Option(help="Units: parent id column.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for permutation hot spots.")] = 0,
    overwrite: Overwrite = False,
) -> None:
    """Draw contiguous intervention areas from qualifying grid cells or units.

    Adjacent qualifying rows merge; areas under --min-pop grow with their best
    neighbours or are dropped; areas over --max-pop are split along their
    weakest links. Writes one row per area (GPKG: layers intervention_areas and,
    for units with --grid, settlement).

    Example:

        geoloft delineate delbydeler.gpkg --scores scores.csv --select qualifies
        --min-pop 5000 --within parent_id -o areas.gpkg

        geoloft delineate ru250m_2015.csv --select "pop_tot>=100" --min-pop 2000 -o areas.gpkg
    """
    from geoloft.delineate import delineate
    from geoloft.grid import read_grid

    if _is_grid(source):
        data = read_grid(source, cell_size=cell_size)
    else:
        data = _read_units(source, id_column, parent_column)
    data = _with_scores(data, scores)
    cells = read_grid(grid) if grid is not None else None
    areas = delineate(
        data, select=select, pop=pop, score=score, contiguity=contiguity, min_edge=min_edge,
        islands=islands, island_distance=island_distance, min_pop=min_pop, max_pop=max_pop,
        max_areas=max_areas, lock_in=_ids(lock_in), lock_out=_ids(lock_out), within=within,
        grid=cells, seed=seed,
    )  # fmt: skip
    inputs = tuple(p.resolve() for p in (source, scores, grid) if p is not None)
    written = _write(areas, output, overwrite, inputs)
    report = areas.attrs["report"]
    out.print(report.summary(), highlight=False, markup=False)
    total = float(areas["pop"].sum()) if len(areas) else 0.0
    out.print(f"  {len(areas)} areas, {total:,.0f} persons.", highlight=False, markup=False)
    for path in written:
        out.print(f"Wrote {path}", highlight=False, markup=False)
