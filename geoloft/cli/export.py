"""``geoloft export``: read any input file and write it in another format or CRS."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from geoloft.cli._app import Overwrite, app, out
from geoloft.cli._disclosure import AllowTiny, NoDisclosure, Threshold, protect_for_cli

SPATIAL_KINDS = ("grid", "boundaries", "measures")


def _check_crs(crs: str | None) -> None:
    """Refuse an unknown target CRS before any reading (a usage error)."""
    if crs is None:
        return
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(crs)
    except CRSError:
        raise typer.BadParameter(
            f"unknown CRS {crs!r}; use an EPSG code such as EPSG:25833 or EPSG:4326.",
            param_hint="--crs",
        ) from None


@app.command("export")
def export_file(
    source: Annotated[Path, typer.Argument(help="A boundary, grid or measure file.")],
    target: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output file: .gpkg .geojson .fgb .shp .parquet or .csv."),
    ],
    crs: Annotated[
        str | None,
        typer.Option(help="Target CRS (default EPSG:25833; GeoJSON is always EPSG:4326)."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="Force the kind: grid, boundaries or measures.")
    ] = None,
    layer: Annotated[
        str | None, typer.Option(help="Layer of the input (GeoPackage, GML) to read.")
    ] = None,
    out_layer: Annotated[
        str | None, typer.Option(help="Layer name in the output GeoPackage.")
    ] = None,
    overwrite: Overwrite = False,
    threshold: Threshold = 10,
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    """Convert a file for other GIS tools, validated and repaired on the way.

    Grid statistics leave protected: cells under the disclosure threshold, and the
    cells that would reveal them through SSB's 1 km and 5 km totals, are withheld.

    The file is read as geoloft reads it (ids as text, invalid geometries
    repaired, SSB markers as missing, canonical column names first; the other
    attribute columns of boundary files come along), then written atomically.

    Example:

        geoloft export data/boundaries/demoby_delbydeler.geojson -o delbydeler.gpkg --crs EPSG:25832
    """
    from geoloft import read_boundaries, read_grid, read_measures
    from geoloft.errors import InputError
    from geoloft.export import write
    from geoloft.info import detect_kind

    if kind is not None and kind not in SPATIAL_KINDS:
        raise typer.BadParameter(f"use one of {', '.join(SPATIAL_KINDS)}.", param_hint="--kind")
    _check_crs(crs)
    found = kind or detect_kind(source, layer=layer)
    if found not in SPATIAL_KINDS:
        raise InputError(
            f"the file looks like {'an indicator table' if found == 'indicators' else 'a ' + found}"
            ", which has no geometry to export.",
            source=source,
            hint="export boundary, grid or measure files; join a table to boundaries first "
            "(geoloft figure and geoloft run do), or force the kind with --kind.",
        )
    readers = {
        "grid": read_grid,
        "boundaries": partial(read_boundaries, keep_attributes=True),
        "measures": read_measures,
    }
    frame = readers[found](source, layer=layer)
    if found == "grid":
        frame = protect_for_cli(
            {"grid": frame},
            threshold=threshold,
            off=no_disclosure,
            allow_tiny=allow_tiny_threshold,
        )["grid"]
    path = write(
        frame, target, crs=crs, layer=out_layer, overwrite=overwrite, inputs=(source.resolve(),)
    )
    out.print(
        f"Wrote {len(frame)} {found} rows to {path} ({path.stat().st_size:,} bytes).",
        highlight=False,
    )
