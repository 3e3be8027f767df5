"""Static maps for reports: PNG (300 dpi) and PDF, with matplotlib.

Classes and colours come from :func:`geoloft.classify.classify`, the same as the
web map and the QGIS styles, so a figure and a map of the same column agree.
Each figure has a legend (classes, rows without a value, intervention areas), a
metric scale bar, a north arrow pointing to true north and the data credit. A
basemap is drawn only when asked for and tiles can be fetched (needs the
optional package ``contextily`` and the network); otherwise the figure is drawn
without one and a :class:`BasemapUnavailableWarning` says why.

The figure is built with matplotlib's object-oriented API: no ``pyplot`` state,
no change of the user's backend. Its artists carry these ``gid`` values, for
styling and for tests: ``"classes"`` (filled rows), ``"missing"`` and
``"suppressed"`` (hatched rows without a value), ``"outlines"``, ``"zones"``,
``"scale-bar"`` and ``"north-arrow"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geoloft._io import atomic_path
from geoloft.columns import INDEX, POP_TOT
from geoloft.figures import _furniture, _layers, _placement
from geoloft.figures._checks import check_input, check_out
from geoloft.figures._furniture import DEFAULT_BASEMAP, BasemapUnavailableWarning
from geoloft.figures._layers import ClassSpec
from geoloft.labels import check_lang

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DEFAULT_BASEMAP",
    "DPI",
    "BasemapUnavailableWarning",
    "draw_figure",
    "figure_columns",
    "make_figure",
]

#: Resolution of PNG figures, dots per inch.
DPI = 300


def draw_figure(
    areas: gpd.GeoDataFrame,
    *,
    column: str | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    label: str | None = None,
    credits: str | Sequence[str] | None = None,
    attribution: str | None = None,
    lang: str = "nb",
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    reverse: bool = False,
    basemap: bool | str = False,
) -> Figure:
    """Draw a report map and return the matplotlib figure, unsaved.

    Takes the parameters of :func:`make_figure` except ``out`` and
    ``overwrite``; use it to change the figure before saving it yourself.

    Returns
    -------
    matplotlib.figure.Figure
        A figure with one map axes; its artists are marked by ``gid`` (see the
        module docstring).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"v": [1.0, 2.0]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:25833")
    >>> fig = draw_figure(cells, column="v", label="Verdi")
    >>> fig.axes[0].get_legend().get_title().get_text()
    'Verdi'
    """
    with _literal_text():
        return _draw(
            areas,
            column=column,
            zones=zones,
            title=title,
            label=label,
            credits=attribution if credits is None and attribution is not None else credits,
            lang=lang,
            spec=ClassSpec(scheme, k, None if breaks is None else tuple(breaks), palette, reverse),
            basemap=basemap,
        )


def _literal_text() -> contextlib.AbstractContextManager[Any]:
    """Draw every text as written: no mathtext, so names with ``$…$`` stay literal."""
    import matplotlib

    return matplotlib.rc_context({"text.parse_math": False})


def _draw(
    areas: gpd.GeoDataFrame,
    *,
    column: str | None,
    zones: gpd.GeoDataFrame | None,
    title: str | None,
    label: str | None,
    credits: str | Sequence[str] | None,
    lang: str,
    spec: ClassSpec,
    basemap: bool | str,
) -> Figure:
    """Build the figure (both public functions call this directly: warning stacklevel)."""
    from matplotlib.figure import Figure

    lang = check_lang(lang)
    check_input(areas, column, zones)
    if column is None and _layers.is_grid(areas) and POP_TOT in areas.columns:
        column = POP_TOT
    frame = areas[~(areas.geometry.isna() | areas.geometry.is_empty)]
    fig = Figure(figsize=(7.0, 7.0))
    ax = fig.add_subplot()
    _furniture.set_extent(ax, frame, zones)
    credit = _furniture.basemap(ax, frame.crs, basemap) if basemap else None
    handles: list[Any] = []
    if column is not None:
        handles = _layers.draw_values(
            ax, frame, column, spec, lang=lang, alpha=0.75 if credit else 1.0
        )
    else:
        _layers.draw_plain(ax, frame, fill=credit is None)
    _layers.draw_outlines(ax, frame, classed=column is not None)
    if zones is not None and len(zones):
        handles.append(_layers.draw_zones(ax, zones, lang))
    _furniture.set_extent(ax, frame, zones)  # plotting may have moved the limits
    north, scale = _furniture.local_factors(frame)
    _furniture.scale_bar(ax, lang, scale)
    _furniture.north_arrow(ax, north, lang)
    if handles:
        heading = _layers.legend_title(frame, column, label, lang) if column else label
        ax.legend(
            handles=handles,
            title=heading,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=7,
            title_fontsize=8,
            frameon=False,
            alignment="left",
        )
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    line = _furniture.credit_line(credits, grid=_layers.is_grid(frame), lang=lang)
    _furniture.credits(ax, line, credit, lang)
    _placement.declutter(fig, ax)  # last: labels give way to each other and the furniture
    return fig


def make_figure(
    areas: gpd.GeoDataFrame,
    *,
    out: str | Path,
    column: str | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    label: str | None = None,
    credits: str | Sequence[str] | None = None,
    attribution: str | None = None,
    lang: str = "nb",
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    reverse: bool = False,
    basemap: bool | str = False,
    overwrite: bool = False,
) -> Path:
    """Draw a report map of areas or grid cells to a PNG (300 dpi) or PDF file.

    Parameters
    ----------
    areas
        Areas (``area_id``, ``name``, geometry) or a grid (one row per cell:
        ``ssbid``, ``cell_size``, value columns, the cell square) in a CRS
        projected in metres (EPSG:25833 in geoloft). Rows without geometry are
        not drawn.
    out
        The file to write, ``.png`` or ``.pdf``; written to a temporary file
        beside it and renamed into place.
    column
        Numeric column to class and colour, with the classes, colours and labels
        of :func:`geoloft.classify.classify` (the same as the web map). Rows
        with NaN are hatched and counted in the legend: withheld by disclosure
        control when the frame has the ``suppressed`` column of
        :func:`geoloft.disclosure.suppress` (dark grey, cross-hatched), else
        missing (light grey). None: areas are drawn plain, and a grid (a frame
        with ``ssbid``) is coloured by ``pop_tot``, persons per cell.
    zones
        Intervention areas, drawn as red outlines labelled with their ``name``
        (else ``zone_id``), in the CRS of ``areas``.
    title
        Title above the map.
    label
        Legend title. None: the column's label in ``lang`` for known columns
        (``index``, ``pop_tot``, …; for a grid with the cell size), else the
        column name.
    credits
        Data credit printed under the map: the sources (such as the project's
        ``[project] source`` and its input files), printed as ``"Data: a; b."``,
        or one text printed as it is. None: SSB for a grid, nothing for areas
        (only the caller knows where they come from). The basemap's credit is
        added when a basemap was drawn.
    attribution
        The older name of ``credits`` (one text); ``credits`` wins when both are given.
    lang
        ``"nb"`` (bokmål) or ``"en"``: legend words and numbers (``1 234`` or
        ``1,234``).
    scheme, k, breaks, palette, reverse
        Classification scheme, largest number of classes, class upper bounds
        of the ``"fixed"`` scheme, palette and its direction, as in
        :func:`geoloft.classify.classify` (pass what the web map uses to get
        the same classes).
    basemap
        Draw tiles under the data, whose fills then become slightly
        transparent: True for Kartverket's greyscale map, or a key of
        :data:`geoloft.maps.basemaps.BASEMAPS` (``"topo"``, ``"osm"``, …).
        Needs ``contextily`` and the network; without them the figure is drawn
        plain and a :class:`BasemapUnavailableWarning` says why.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    InputError
        An output suffix other than ``.png`` or ``.pdf``; no geometry to draw;
        an unknown ``lang``, ``scheme``, ``palette`` or ``basemap``.
    SchemaError
        ``column`` missing from ``areas`` or not numeric.
    CRSError
        ``areas`` or ``zones`` without a CRS, not projected in metres, or in
        different CRSs.
    OutputExistsError
        ``out`` exists and ``overwrite`` is False (checked before drawing).

    Warns
    -----
    BasemapUnavailableWarning
        When ``basemap=True`` and no tiles could be drawn.

    Notes
    -----
    The scale bar shows 1, 2 or 5 times a power of ten metres on the ground,
    the longest that is at most a quarter of the map width, corrected for the
    scale factor of the CRS at the map centre (in EPSG:25833 1.0003 in Oslo,
    1.003 in Bergen). The north arrow points to true north at the map centre:
    in EPSG:25833 3.7° clockwise of grid north in Oslo, 8.4° in Bergen.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"v": [1.0, 2.0, float("nan")]},
    ...     geometry=[box(0, 0, 500, 500), box(500, 0, 1000, 500), box(0, 500, 500, 1000)],
    ...     crs="EPSG:25833")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = make_figure(areas, column="v", out=Path(tmp) / "map.png")
    ...     print(path.name, path.stat().st_size > 10_000)
    map.png True
    """
    path = check_out(out)
    fmt = path.suffix.lower()[1:]
    metadata = (
        {"Software": "geoloft"} if fmt == "png" else {"Creator": "geoloft", "CreationDate": None}
    )
    with atomic_path(path, overwrite=overwrite) as tmp, _literal_text():  # refuses first
        fig = _draw(
            areas,
            column=column,
            zones=zones,
            title=title,
            label=label,
            credits=attribution if credits is None and attribution is not None else credits,
            lang=lang,
            spec=ClassSpec(scheme, k, None if breaks is None else tuple(breaks), palette, reverse),
            basemap=basemap,
        )
        fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)
    return path


def figure_columns(areas: gpd.GeoDataFrame) -> list[str]:
    """Return the columns worth a figure: the index and the indicator rates.

    Parameters
    ----------
    areas
        Scored areas.

    Returns
    -------
    list of str
        ``index`` and every column ending in ``_rate``, in frame order.

    Examples
    --------
    >>> import pandas as pd
    >>> figure_columns(pd.DataFrame(columns=["area_id", "index", "low_income_rate"]))
    ['index', 'low_income_rate']
    """
    return [str(c) for c in areas.columns if c == INDEX or str(c).endswith("_rate")]
