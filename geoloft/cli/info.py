"""``geoloft info FILE``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geoloft.cli._app import app, result

if TYPE_CHECKING:
    from geoloft.info import FileInfo


@app.command()
def info(
    file: Annotated[
        Path, typer.Argument(help="A boundary, grid, indicator or measure file, or a catalogue.")
    ],
    kind: Annotated[
        str | None,
        typer.Option(help="Force the kind: grid, boundaries, indicators, measures or catalogue."),
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option(help="Layer of a GeoPackage or GML file (sheet of a workbook) to read."),
    ] = None,
) -> None:
    """Describe a file: kind, CRS, counts, cell size, id and value columns, bounds, problems.

    Example:

        geoloft info data/grid/demoby_ru250m_syntetisk.csv

        geoloft info data/indicators/catalogue.toml
    """
    from geoloft.errors import InputError
    from geoloft.info import KINDS, data_layers, describe_file

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}.", param_hint="--kind")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = describe_file(file, kind=kind, layer=layer)
    except InputError:
        layers = data_layers(file) if layer is None else []
        if len(layers) < 2:
            raise
        for name in layers:  # a GeoPackage of several kinds (geoloft.gpkg): every layer
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                found = describe_file(file, kind=kind, layer=name)
            _show(found, caught, name)
        return
    _show(found, caught, None)


def _show(found: FileInfo, caught: list[warnings.WarningMessage], layer: str | None) -> None:
    """Print what :func:`describe_file` found (and the layer, for a multi-layer file)."""
    title = f"{found.path} (layer {layer})" if layer else str(found.path)
    result.print(f"[bold]{title}[/]", highlight=False)
    result.print(f"  kind:    {found.kind}")
    result.print(f"  rows:    {found.rows}")
    if found.crs:
        result.print(f"  CRS:     {found.crs} (read and reprojected to the working CRS)")
        xmin, ymin, xmax, ymax = found.bounds or (0, 0, 0, 0)
        result.print(f"  bounds:  {xmin:.0f} {ymin:.0f} {xmax:.0f} {ymax:.0f}")
    result.print(f"  columns: {', '.join(found.columns)}", highlight=False, markup=False)
    for key, value in found.details.items():
        result.print(f"  {key}: {_short(value)}", highlight=False, markup=False)
    for item in dict.fromkeys(str(w.message) for w in caught):
        result.print(f"  warning: {item}", highlight=False, markup=False)


def _short(value: object, limit: int = 10) -> str:
    """Show a long list (2,667 generated ids) as its first items and a count."""
    if isinstance(value, list | tuple) and len(value) > limit:
        head = ", ".join(repr(v) for v in value[:limit])
        return f"[{head}, …] ({len(value):,} in all)"
    return str(value)
