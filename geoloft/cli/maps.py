"""``geoloft map BOUNDARIES -o map.html``: an interactive web map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoloft.cli._app import Lang, OutFile, Overwrite, app, check_lang, out
from geoloft.cli._disclosure import AllowTiny, Threshold


@app.command("map")
def map_command(
    boundaries: Annotated[
        Path, typer.Argument(help="Area boundaries (GeoJSON, GeoPackage, Shapefile, …).")
    ],
    output: OutFile,
    grid: Annotated[Path | None, typer.Option(help="SSB grid file (CSV, GML, …).")] = None,
    indicators: Annotated[
        Path | None,
        typer.Option(help="Table per area (CSV/XLSX) whose numeric columns are drawn."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option("--column", "-c", help="Draw only this --indicators column (repeatable)."),
    ] = None,
    measures: Annotated[Path | None, typer.Option(help="Measures (tiltak) file.")] = None,
    areas: Annotated[
        Path | None, typer.Option("--areas", help="Intervention areas (GeoPackage, GeoJSON).")
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="One self-contained file; works without network.")
    ] = False,
    basemap: Annotated[
        str, typer.Option(help="Background: topograatone, topo, osm or none.")
    ] = "topograatone",
    title: Annotated[str | None, typer.Option(help="Page title.")] = None,
    lang: Lang = "nb",
    overwrite: Overwrite = False,
    threshold: Threshold = 10,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    """Draw an interactive web map: areas, grid, intervention areas, measures.

    Any subset of layers works; every string is escaped and figures for fewer
    than 10 residents are withheld. Prints the file size and an <iframe>
    snippet for embedding the map in a web page.

    Example:

        geoloft map data/boundaries/demoby_delbydeler.geojson
        --grid data/grid/demoby_ru250m_syntetisk.csv
        --measures data/measures/demoby_tiltak.csv -o kart.html --offline
    """
    from geoloft.disclosure.protect import check_threshold
    from geoloft.maps.files import write_map

    check_threshold(threshold, allow_tiny=allow_tiny_threshold, stacklevel=3)
    written = write_map(
        boundaries,
        output,
        grid=grid,
        indicators=indicators,
        columns=column,
        measures=measures,
        zones=areas,
        offline=offline,
        lang=check_lang(lang),
        title=title,
        basemap=basemap,
        overwrite=overwrite,
        threshold=threshold,
    )
    out.print(f"wrote {written.path} ({written.size:,} bytes)", highlight=False, markup=False)
    for note in written.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    out.print("embed it in a web page with:", highlight=False)
    out.print(written.snippet, highlight=False, markup=False, soft_wrap=True)
