"""``geoloft export``: read any input file and write it in another format or CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoloft.cli._app import Overwrite, app, out


@app.command("export")
def export_file(
    source: Annotated[Path, typer.Argument(help="A boundary, grid or measure file.")],
    target: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output file: .gpkg .geojson .fgb .shp .parquet or .csv."),
    ],
    crs: Annotated[
        str | None, typer.Option(help="Target CRS [default: EPSG:25833; GeoJSON is EPSG:4326].")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Force the kind: grid, boundaries or measures.")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer name in a GeoPackage.")] = None,
    overwrite: Overwrite = False,
) -> None:
    """Convert a file for other GIS tools, validated and repaired on the way.

    The file is read as geoloft reads it (ids as text, invalid geometries repaired,
    SSB markers as missing), then written atomically.

    Example:

        geoloft export data/boundaries/demoby_delbydeler.geojson -o delbydeler.gpkg --crs EPSG:25832
    """
    from geoloft import read_boundaries, read_grid, read_measures
    from geoloft.export import write
    from geoloft.info import detect_kind

    found = kind or detect_kind(source)
    readers = {"grid": read_grid, "boundaries": read_boundaries, "measures": read_measures}
    if found not in readers:
        raise typer.BadParameter(
            f"cannot export a {found} table as geometry; use grid, boundaries or measures.",
            param_hint="--kind",
        )
    frame = readers[found](source)
    path = write(
        frame, target, crs=crs, layer=layer, overwrite=overwrite, inputs=(source.resolve(),)
    )
    out.print(
        f"Wrote {len(frame)} {found} rows to {path} ({path.stat().st_size:,} bytes).",
        highlight=False,
    )
