"""QGIS layer styles (QML) stored in a GeoPackage's ``layer_styles`` table.

QGIS opens a GeoPackage layer with the style marked ``useAsDefault``, so GIS
staff see the same classes and colours as the web map.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LayerStyle", "style_qml", "write_layer_styles"]

_SYMBOL_TYPE = {"polygon": "fill", "line": "line", "point": "marker"}
_LAYER_CLASS = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is drawn: graduated, categorised or a single symbol.

    Parameters
    ----------
    geometry
        ``"polygon"``, ``"line"`` or ``"point"``.
    column
        Attribute that drives the colours; ``None`` for a single symbol.
    breaks
        Class bounds for a graduated style: ``len(colours) + 1`` increasing
        numbers (lowest lower bound first).
    categories
        Values of a categorised style, one per colour.
    colours
        Fill colours as ``#rrggbb``.
    labels
        Legend labels, one per class or category.
    outline
        Outline colour as ``#rrggbb``.
    name
        Style name shown in QGIS.
    """

    geometry: str = "polygon"
    column: str | None = None
    breaks: Sequence[float] = ()
    categories: Sequence[str] = ()
    colours: Sequence[str] = ("#3182bd",)
    labels: Sequence[str] = field(default_factory=tuple)
    outline: str = "#232323"
    name: str = "geoloft"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _symbol(parent: ET.Element, name: str, style: LayerStyle, colour: str) -> None:
    kind = _SYMBOL_TYPE[style.geometry]
    sym = ET.SubElement(
        parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    layer = ET.SubElement(
        sym, "layer", {"class": _LAYER_CLASS[kind], "enabled": "1", "pass": "0", "locked": "0"}
    )
    opts = ET.SubElement(layer, "Option", type="Map")
    props = {
        "color": _rgba(colour, 200 if kind == "fill" else 255),
        "outline_color": _rgba(style.outline),
        "outline_width": "0.26",
        "style": "solid",
        "line_color": _rgba(colour),
        "line_width": "0.5",
        "size": "3",
        "name": "circle",
    }
    for key, value in props.items():
        ET.SubElement(opts, "Option", type="QString", name=key, value=value)


def style_qml(style: LayerStyle) -> str:
    """Return the QGIS QML document for ``style``.

    Examples
    --------
    >>> qml = style_qml(LayerStyle(column="pop", breaks=(0, 10, 20),
    ...                            colours=("#ffffff", "#000000"), labels=("lav", "høy")))
    >>> 'type="graduatedSymbol"' in qml and 'label="høy"' in qml
    True
    """
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    labels = list(style.labels) or [str(x) for x in (style.categories or style.colours)]
    if style.column and style.breaks:
        rend = ET.SubElement(
            root,
            "renderer-v2",
            type="graduatedSymbol",
            attr=style.column,
            graduatedMethod="GraduatedColor",
            symbollevels="0",
            enableorderby="0",
            forceraster="0",
        )
        ranges = ET.SubElement(rend, "ranges")
        for i in range(len(style.colours)):
            ET.SubElement(
                ranges,
                "range",
                lower=repr(float(style.breaks[i])),
                upper=repr(float(style.breaks[i + 1])),
                symbol=str(i),
                label=labels[i],
                render="true",
            )
    elif style.column and style.categories:
        rend = ET.SubElement(
            root,
            "renderer-v2",
            type="categorizedSymbol",
            attr=style.column,
            symbollevels="0",
            enableorderby="0",
            forceraster="0",
        )
        cats = ET.SubElement(rend, "categories")
        for i, value in enumerate(style.categories):
            ET.SubElement(
                cats, "category", value=str(value), symbol=str(i), label=labels[i], render="true"
            )
    else:
        rend = ET.SubElement(
            root,
            "renderer-v2",
            type="singleSymbol",
            symbollevels="0",
            enableorderby="0",
            forceraster="0",
        )
    symbols = ET.SubElement(rend, "symbols")
    for i, colour in enumerate(style.colours):
        _symbol(symbols, str(i), style, colour)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


_CREATE = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
  f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
  styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
  description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT CURRENT_TIMESTAMP)
"""


def write_layer_styles(gpkg: Path, styles: Mapping[str, LayerStyle]) -> None:
    """Add one default ``layer_styles`` row per styled layer to a GeoPackage."""
    with sqlite3.connect(gpkg) as con:
        con.execute(_CREATE)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles')"
        )
        for table, style in styles.items():
            geom = con.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                (table,),
            ).fetchone()
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                "description, owner) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'geoloft')",
                (
                    table,
                    geom[0] if geom else "geom",
                    style.name,
                    style_qml(style),
                    f"geoloft style for {table}",
                ),
            )
    con.close()
