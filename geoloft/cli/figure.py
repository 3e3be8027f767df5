"""``geoloft figure BOUNDARIES -o map.png|pdf``: a static map for reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geoloft.cli._app import Lang, OutFile, Overwrite, Where, app, check_lang, out, parse_where
from geoloft.cli._disclosure import AllowTiny, NoDisclosure, Threshold, protect_for_cli

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


def _parse_breaks(text: str | None) -> list[float] | None:
    """Turn ``"10,20,40"`` into class bounds."""
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: write numbers, e.g. 10,20,40.", param_hint="--breaks"
        ) from None


def _with_indicators(
    areas: gpd.GeoDataFrame, table: pd.DataFrame, column: str | None, source: Path
) -> tuple[gpd.GeoDataFrame, str]:
    """Join the table's value columns onto the areas by area_id; pick the column to draw."""
    from geoloft.columns import AREA_ID, NAME
    from geoloft.errors import SchemaError

    values = [str(c) for c in table.columns if c not in (AREA_ID, NAME)]
    clash = [c for c in values if c in areas.columns]
    if clash:
        raise SchemaError(
            "the indicator table has columns the boundaries already have.",
            source=source,
            column=clash[0],
            hint="rename them in the table.",
        )
    if column is None:
        if len(values) != 1:
            raise SchemaError(
                f"the table has {len(values)} value columns; which one to draw?",
                source=source,
                hint=f"name one with --column: {', '.join(values) or '(none)'}.",
            )
        column = values[0]
    elif column not in values:
        raise SchemaError(
            "the table has no such value column.",
            source=source,
            column=column,
            hint=f"name one of its value columns with --column: {', '.join(values) or '(none)'}.",
        )
    merged = areas.merge(table[[AREA_ID, *values]], on=AREA_ID, how="left")
    merged.index = areas.index
    return merged, column


def _protect(
    frame: gpd.GeoDataFrame, column: str, threshold: int, off: bool, allow_tiny: bool
) -> gpd.GeoDataFrame:
    """Withhold small counts in the drawn column (numerators by their denominators)."""
    import numpy as np
    import pandas as pd

    from geoloft.disclosure.protect import check_threshold
    from geoloft.disclosure.rules import primary_counts, primary_numerators
    from geoloft.indicators import default_catalogue

    if off:
        protect_for_cli({}, threshold=threshold, off=True, allow_tiny=allow_tiny)  # warns
        return frame
    check_threshold(threshold, allow_tiny=allow_tiny, stacklevel=3)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    known = values[~np.isnan(values)]
    if not known.size or not np.all(np.mod(known, 1) == 0):
        return frame  # not a count
    hide = primary_counts(values, threshold) & ~np.isnan(values) & (values > 0)
    for ind in default_catalogue():
        if ind.numerator == column and ind.denominator in frame.columns:
            den = pd.to_numeric(frame[ind.denominator], errors="coerce").to_numpy(np.float64)
            hide |= primary_numerators(values, den, threshold)[0]
    return frame.assign(**{column: np.where(hide, np.nan, values)})


@app.command()
def figure(
    boundaries: Annotated[
        Path, typer.Argument(help="Area boundaries (GeoJSON, GeoPackage, Shapefile, …).")
    ],
    output: OutFile,
    column: Annotated[
        str | None,
        typer.Option(help="Numeric column of the --indicators table to colour by."),
    ] = None,
    indicators: Annotated[
        Path | None, typer.Option(help="Table of values per area (CSV, XLSX, XLS).")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Column of the table holding the area id.")
    ] = None,
    where: Where = None,
    areas: Annotated[
        Path | None, typer.Option("--areas", help="Intervention areas to outline.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Title above the map.")] = None,
    label: Annotated[
        str | None, typer.Option(help="Legend title (default: the column's label or name).")
    ] = None,
    attribution: Annotated[
        str | None, typer.Option(help="Data credit under the map (default: SSB, Kartverket).")
    ] = None,
    scheme: Annotated[
        str, typer.Option(help="Classes: quantiles, natural_breaks, equal_interval or fixed.")
    ] = "quantiles",
    k: Annotated[int, typer.Option("-k", help="Largest number of classes.")] = 5,
    breaks: Annotated[
        str | None, typer.Option(help="Upper class bounds for --scheme fixed, e.g. 10,20,40.")
    ] = None,
    palette: Annotated[
        str, typer.Option(help="YlOrRd, OrRd, YlGnBu, Blues, Purples, viridis or cividis.")
    ] = "YlOrRd",
    reverse: Annotated[
        bool, typer.Option("--reverse", help="Darker for lower values (higher is better).")
    ] = False,
    basemap: Annotated[
        str,
        typer.Option(help="Tiles under the data (needs network): topograatone, topo, osm, none."),
    ] = "none",
    lang: Lang = "nb",
    overwrite: Overwrite = False,
    threshold: Threshold = 10,
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    r"""Draw a map for reports as PNG (300 dpi) or PDF: classes, legend, scale bar, north arrow.

    A drawn count (whole numbers) under the disclosure threshold is withheld (drawn as
    missing); so is a numerator that leaves fewer than the threshold without the trait.

    Values come from a column of the --indicators table, joined to the areas by
    area id; areas without a value are hatched grey. Without --indicators the
    areas are drawn as outlines.

    Example:

        geoloft figure data/boundaries/demoby_delbydeler.geojson \
        --indicators data/indicators/demoby_levekar_delbydel.csv \
        --column lavinntekt_n -o lavinntekt.png
    """
    from geoloft.boundaries import read_boundaries
    from geoloft.figures import make_figure

    lang = check_lang(lang)
    if column is not None and indicators is None:
        raise typer.BadParameter(
            "needs --indicators TABLE to take the column from.", param_hint="--column"
        )
    bounds, rows = _parse_breaks(breaks), parse_where(where)
    frame = read_boundaries(boundaries)
    if indicators is not None:
        from geoloft.indicators import read_indicators

        table = read_indicators(indicators, key=key, areas=frame, where=rows)
        frame, column = _with_indicators(frame, table, column, indicators)
        frame = _protect(frame, column, threshold, no_disclosure, allow_tiny_threshold)
    zones = read_boundaries(areas) if areas is not None else None
    path = make_figure(
        frame,
        out=output,
        column=column,
        zones=zones,
        title=title,
        label=label,
        attribution=attribution,
        lang=lang,
        scheme=scheme,
        k=k,
        breaks=bounds,
        palette=palette,
        reverse=reverse,
        basemap=False if basemap == "none" else basemap,
        overwrite=overwrite,
    )
    what = f"'{column}' in classes" if column else "outlines"
    out.print(
        f"wrote {path} ({len(frame)} areas, {what})", highlight=False, markup=False, soft_wrap=True
    )
