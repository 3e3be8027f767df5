"""``geoloft join`` and ``geoloft crosswalk``: grid statistics into areas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from geoloft.cli._app import Overwrite, app, out
from geoloft.cli._disclosure import AllowTiny, NoDisclosure, Threshold, protect_for_cli

GridArg = Annotated[Path, typer.Argument(help="SSB grid file (CSV, GML, GPKG, ...).")]
BoundariesArg = Annotated[Path, typer.Argument(help="Area boundaries (any OGR format).")]
Method = Annotated[
    str,
    typer.Option(
        "--method",
        help="area: exact share of each cell's area; centroid: whole cells by their centre.",
    ),
]
CellSize = Annotated[
    int | None,
    typer.Option("--cell-size", help="Cell size in metres, when the grid file does not say it."),
]
IdColumn = Annotated[
    str | None, typer.Option("--id-column", help="Area id column of the boundaries.")
]


def _read(grid: Path, boundaries: Path, cell_size: int | None, id_column: str | None) -> Any:
    from geoloft.boundaries import read_boundaries
    from geoloft.grid import read_grid

    return read_grid(grid, cell_size=cell_size), read_boundaries(boundaries, id_column=id_column)


def _split_names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [name.strip() for item in values for name in item.split(",") if name.strip()]


def _print_report(report: Any, written: Path) -> None:
    notes = report.notes
    out.print(report.summary(), highlight=False)
    for col, total in notes.get("total_in", {}).items():
        assigned = notes.get("total_assigned", {}).get(col)
        outside = notes["total_outside"][col]
        line = f"  {col}: {total:,.2f} in"
        if assigned is not None:
            line += f", {assigned:,.2f} assigned"
        out.print(f"{line}, {outside:,.2f} outside every area", highlight=False)
    out.print(
        f"  cells: {len(notes['cells_outside'])} outside every area, "
        f"{notes['cells_partly_outside']} partly outside, {notes['cells_split']} split "
        "between areas",
        highlight=False,
    )
    overlapping = notes.get("cells_in_overlapping_areas", 0)
    if overlapping:
        out.print(
            f"  warning: {overlapping} cells lie where areas overlap; their counts go to "
            "each of those areas, so the areas together hold more than came in",
            highlight=False,
        )
    if notes.get("areas_without_cells"):
        out.print(f"  areas without cells: {len(notes['areas_without_cells'])}", highlight=False)
    missing = {c: n for c, n in notes.get("missing_values", {}).items() if n}
    if missing:
        out.print(f"  missing values met: {missing}", highlight=False)
    out.print(f"Wrote {written} ({written.stat().st_size:,} bytes).", highlight=False)


@app.command("join")
def join_command(
    grid: GridArg,
    boundaries: BoundariesArg,
    target: Annotated[
        Path, typer.Option("--out", "-o", help="Output: .csv (no geometry), .gpkg, .geojson, ...")
    ],
    method: Method = "area",
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--values",
            help="Value columns (repeat or comma-separate); all numeric ones when not given.",
        ),
    ] = None,
    cell_size: CellSize = None,
    id_column: IdColumn = None,
    overwrite: Overwrite = False,
    threshold: Threshold = 10,
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    """Sum grid counts (and person-weighted means) into areas; print what fell outside.

    Areas under the disclosure threshold, and the counts that would reveal them or
    SSB's small cells, are withheld (see docs/disclosure.md).

    Example:

        geoloft join ru250m_2015.csv delbydeler.geojson -o delbydeler.csv --method area
    """
    from geoloft.export import write
    from geoloft.join import join_grid
    from geoloft.report import get_report

    if method not in ("area", "centroid"):
        raise typer.BadParameter("use 'area' or 'centroid'.", param_hint="--method")
    cells, areas = _read(grid, boundaries, cell_size, id_column)
    result = join_grid(cells, areas, values=_split_names(values), method=method)
    report = get_report(result)
    result = protect_for_cli(
        {"grid": cells, "areas": result},
        threshold=threshold,
        off=no_disclosure,
        allow_tiny=allow_tiny_threshold,
        join_method=method,
    )["areas"]
    frame = result.drop(columns=result.geometry.name) if target.suffix == ".csv" else result
    inputs = (grid.resolve(), boundaries.resolve())
    written = write(frame, target, overwrite=overwrite, inputs=inputs)
    _print_report(report, written)


@app.command("crosswalk")
def crosswalk_command(
    grid: GridArg,
    boundaries: BoundariesArg,
    target: Annotated[Path, typer.Option("--out", "-o", help="Output table: .csv or .parquet.")],
    method: Method = "area",
    cell_size: CellSize = None,
    id_column: IdColumn = None,
    overwrite: Overwrite = False,
) -> None:
    """Write the share of each grid cell in each area (ssbid, area_id, share).

    Example:

        geoloft crosswalk ru250m_2015.csv delbydeler.geojson -o crosswalk.csv
    """
    from geoloft.export import write
    from geoloft.join import crosswalk
    from geoloft.report import get_report

    if method not in ("area", "centroid"):
        raise typer.BadParameter("use 'area' or 'centroid'.", param_hint="--method")
    cells, areas = _read(grid, boundaries, cell_size, id_column)
    table = crosswalk(cells, areas, method=method)
    inputs = (grid.resolve(), boundaries.resolve())
    written = write(table, target, overwrite=overwrite, inputs=inputs)
    _print_report(get_report(table), written)
