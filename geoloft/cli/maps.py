"""``geoloft map BOUNDARIES -o map.html``: an interactive web map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoloft.cli._app import Lang, OutFile, Overwrite, app, check_lang, console, out
from geoloft.cli._disclosure import AllowTiny, NoDisclosure, Threshold, protect_for_cli


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
    catalogue: Annotated[
        Path | None,
        typer.Option(
            "--catalogue",
            help="Indicator catalogue (TOML) naming the --indicators count columns; "
            "default: built-in.",
        ),
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
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    """Draw an interactive web map: areas, grid, intervention areas, measures.

    Any subset of layers works; every string is escaped. What the map shows is
    protected as one publication, as by geoloft run: counts under 10 persons are
    hidden with the counts that would reveal them (see docs/disclosure.md).
    Values from --indicators need the persons behind them: --grid, a population
    column or the counts (numerator and denominator) in the table. Prints the
    file size and an <iframe> snippet for embedding the map in a web page.

    Example:

        geoloft map data/boundaries/demoby_delbydeler.geojson
        --grid data/grid/demoby_ru250m_syntetisk.csv
        --measures data/measures/demoby_tiltak.csv -o kart.html --offline
    """
    from geoloft.disclosure.protect import check_threshold
    from geoloft.maps.files import write_map

    if no_disclosure:  # the warning every command prints when switched off
        protect_for_cli({}, threshold=threshold, off=True, allow_tiny=allow_tiny_threshold)
    else:
        check_threshold(threshold, allow_tiny=allow_tiny_threshold, stacklevel=3)
    written = write_map(
        boundaries,
        output,
        grid=grid,
        indicators=indicators,
        columns=column,
        catalogue=catalogue,
        measures=measures,
        zones=areas,
        offline=offline,
        lang=check_lang(lang),
        title=title,
        basemap=basemap,
        overwrite=overwrite,
        threshold=threshold,
        disclosure=not no_disclosure,
    )
    if written.disclosure is not None:
        hidden = written.disclosure
        console.print(
            f"disclosure: {hidden['primary_hidden']} counts under {threshold} persons hidden, "
            f"{hidden['secondary_hidden']} more so that none can be worked out.",
            highlight=False,
        )
    out.print(f"wrote {written.path} ({written.size:,} bytes)", highlight=False, markup=False)
    for note in written.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    out.print("embed it in a web page with:", highlight=False)
    out.print(written.snippet, highlight=False, markup=False, soft_wrap=True)
