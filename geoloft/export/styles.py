"""QGIS layer styles (QML and SLD) stored in a GeoPackage's ``layer_styles`` table.

QGIS opens a GeoPackage layer with the style marked ``useAsDefault``, so GIS
staff see the same classes and colours as the web map. Every style is
rule-based and ends in an ELSE rule: features with a withheld value (the
``suppressed`` column) and features with no value get their own labelled
symbol instead of not being drawn at all.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LayerStyle",
    "gpkg_timestamp",
    "layer_styles_for",
    "style_qml",
    "style_sld",
    "write_layer_styles",
]

_SYMBOL_TYPE = {"polygon": "fill", "line": "line", "point": "marker"}
_LAYER_CLASS = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}
_SLD_SYMBOLIZER = {
    "fill": "PolygonSymbolizer",
    "line": "LineSymbolizer",
    "marker": "PointSymbolizer",
}


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is drawn: graduated, categorised or a single symbol, plus no-data rules.

    Parameters
    ----------
    geometry
        ``"polygon"``, ``"line"`` or ``"point"``.
    column
        Attribute that drives the colours; ``None`` for a single symbol.
    breaks
        Class bounds for a graduated style: ``len(colours) + 1`` increasing
        numbers (lowest lower bound first). The caller decides them (one class
        scheme per indicator for the whole run).
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
    withheld_column
        Boolean column that marks withheld values (disclosure control); features
        where it is true get ``withheld_label``. ``None`` for no such rule.
    withheld_label, withheld_colour
        Legend label and fill colour of withheld features.
    missing_label, missing_colour
        Legend label and fill colour of the ELSE rule: every feature no other
        rule draws (no value, or a value outside the classes).
    """

    geometry: str = "polygon"
    column: str | None = None
    breaks: Sequence[float] = ()
    categories: Sequence[str] = ()
    colours: Sequence[str] = ("#3182bd",)
    labels: Sequence[str] = field(default_factory=tuple)
    outline: str = "#232323"
    name: str = "geoloft"
    withheld_column: str | None = None
    withheld_label: str = "Skjult"
    withheld_colour: str = "#bdbdbd"
    missing_label: str = "Ingen data"
    missing_colour: str = "#f0f0f0"


@dataclass(frozen=True)
class _Rule:
    filter: str | None  # QGIS expression; "ELSE" for the else rule; None: every feature
    label: str
    colour: str
    sld: ET.Element | None  # the same filter in OGC Filter Encoding; None: ElseFilter
    marker: tuple[str, float] = ("circle", 0.0)  # QGIS marker shape and rotation (points)


def _geometry_kind(frame: pd.DataFrame) -> str:
    """``polygon``, ``line`` or ``point``: the layer's most common geometry type."""
    geom = getattr(frame, "geometry", None)
    types = geom.geom_type.dropna() if geom is not None else None
    if types is None or types.empty:
        return "polygon"
    top = str(types.mode().iloc[0])
    return "point" if "Point" in top else "line" if "Line" in top else "polygon"


def layer_styles_for(
    layers: Mapping[str, pd.DataFrame],
    *,
    classes: Mapping[str, Any] | None = None,
    categories: Mapping[str, str] | None = None,
    lang: str = "nb",
    threshold: int | None = None,
) -> dict[str, LayerStyle]:
    """Return a style for every layer: classes where given, else one symbol; no-data rules.

    Parameters
    ----------
    layers
        The layers written to the GeoPackage (name -> frame).
    classes
        ``layer -> (column, classes)``, where ``classes`` has ``bounds``,
        ``colours`` and ``labels`` (a :class:`geoloft.classify.Classes`): the run's
        one class scheme for that layer's column.
    categories
        Measure category -> ``#rrggbb`` (the run's one symbology); categories not
        named get grey. ``None`` takes the colours from the measures themselves.
    lang
        ``nb`` or ``en``, for the no-data and withheld labels.
    threshold
        Disclosure threshold, named in the withheld label.

    Returns
    -------
    dict
        Layer name -> :class:`LayerStyle`, one for every layer in ``layers``.
    """
    from geoloft.labels import text

    withheld = (
        text("suppressed", lang, threshold=threshold)
        if threshold
        else text("suppressed_short", lang).capitalize()
    )
    common: dict[str, Any] = {"missing_label": text("missing", lang), "withheld_label": withheld}
    styles: dict[str, LayerStyle] = {}
    given = dict(classes or {})
    for name, frame in layers.items():
        kind = _geometry_kind(frame)
        held = "suppressed" if "suppressed" in frame.columns else None
        if name in given:
            column, cls = given[name]
            styles[name] = LayerStyle(
                geometry=kind,
                column=column,
                breaks=tuple(float(b) for b in cls.bounds),
                colours=tuple(cls.colours),
                labels=tuple(cls.labels),
                name=f"geoloft {name}",
                withheld_column=held,
                **common,
            )
        elif name == "measures" and "category" in frame.columns and frame["category"].notna().any():
            from geoloft.classify import category_colours

            present = [str(c) for c in frame["category"].dropna()]
            colours = dict(categories) if categories is not None else category_colours(present)
            values = list(dict.fromkeys([*colours, *present]))
            styles[name] = LayerStyle(
                geometry=kind,
                column="category",
                categories=tuple(values),
                colours=tuple(colours.get(v, "#969696") for v in values),
                labels=tuple(values),
                name="geoloft tiltak",
                **common,
            )
        else:
            colour = {"intervention_areas": "#d7301f", "settlements": "#6a51a3"}.get(
                name, "#3182bd"
            )
            styles[name] = LayerStyle(
                geometry=kind,
                colours=(colour,),
                outline=colour if name in ("intervention_areas", "settlements") else "#232323",
                labels=(name,),
                name=f"geoloft {name}",
                **common,
            )
    return styles


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


_OGC = "http://www.opengis.net/ogc"
_SLD = "http://www.opengis.net/sld"
_SE = "http://www.opengis.net/se"
ET.register_namespace("ogc", _OGC)
ET.register_namespace("sld", _SLD)
ET.register_namespace("se", _SE)


def _ogc(tag: str, *children: ET.Element, text: str | None = None) -> ET.Element:
    node = ET.Element(f"{{{_OGC}}}{tag}")
    node.extend(children)
    if text is not None:
        node.text = text
    return node


def _compare(op: str, column: str, value: object) -> ET.Element:
    return _ogc(
        op, _ogc("PropertyName", text=column), _ogc("Literal", text=_literal(value).strip("'"))
    )


def _rules(style: LayerStyle) -> list[_Rule]:
    labels = list(style.labels) or [str(x) for x in (style.categories or style.colours)]
    rules: list[_Rule] = []
    if style.withheld_column:
        col = style.withheld_column
        rules.append(
            _Rule(
                f"{_field(col)} IS NOT NULL AND {_field(col)}",
                style.withheld_label,
                style.withheld_colour,
                _compare("PropertyIsEqualTo", col, 1),  # GeoPackage booleans are 0/1
            )
        )
    if style.column and len(style.breaks) >= 2:
        col = _field(style.column)
        n = min(len(style.colours), len(style.breaks) - 1)
        for i in range(n):
            lo, hi = float(style.breaks[i]), float(style.breaks[i + 1])
            low_op = ">=" if i == 0 else ">"
            rules.append(
                _Rule(
                    f"{col} {low_op} {lo!r} AND {col} <= {hi!r}",
                    labels[i],
                    style.colours[i],
                    _ogc(
                        "And",
                        _compare(
                            "PropertyIsGreaterThanOrEqualTo" if i == 0 else "PropertyIsGreaterThan",
                            style.column,
                            lo,
                        ),
                        _compare("PropertyIsLessThanOrEqualTo", style.column, hi),
                    ),
                )
            )
    elif style.column and style.categories:
        from geoloft.classify import CATEGORY_MARKERS

        col = _field(style.column)
        for i, value in enumerate(style.categories):
            _glyph, shape, angle = CATEGORY_MARKERS[i % len(CATEGORY_MARKERS)]
            rules.append(
                _Rule(
                    f"{col} = {_literal(str(value))}",
                    labels[i],
                    style.colours[i % len(style.colours)],
                    _compare("PropertyIsEqualTo", style.column, str(value)),
                    marker=(shape, angle),
                )
            )
    else:
        label = labels[0] if style.labels else style.name
        colour = style.colours[0] if style.colours else "#3182bd"
        if not style.withheld_column:
            return [_Rule(None, label, colour, None)]
        rules.append(_Rule("ELSE", label, colour, None))
        return rules
    rules.append(_Rule("ELSE", style.missing_label, style.missing_colour, None))
    return rules


def _key(style: LayerStyle, i: int) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"geoloft:{style.name}:{i}")) + "}"


def _symbol(
    parent: ET.Element,
    name: str,
    style: LayerStyle,
    colour: str,
    marker: tuple[str, float] = ("circle", 0.0),
) -> None:
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
        "name": marker[0],
        "angle": f"{marker[1]:g}",
    }
    for key, value in props.items():
        ET.SubElement(opts, "Option", type="QString", name=key, value=value)


def style_qml(style: LayerStyle) -> str:
    """Return the QGIS QML document for ``style``: a rule-based renderer with an ELSE rule.

    Examples
    --------
    >>> qml = style_qml(LayerStyle(column="pop", breaks=(0, 10, 20),
    ...                            colours=("#ffffff", "#000000"), labels=("lav", "høy")))
    >>> 'type="RuleRenderer"' in qml and 'label="høy"' in qml and 'filter="ELSE"' in qml
    True
    """
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    rend = ET.SubElement(
        root,
        "renderer-v2",
        type="RuleRenderer",
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
    )
    top = ET.SubElement(rend, "rules", key=_key(style, -1))
    symbols = ET.SubElement(rend, "symbols")
    for i, rule in enumerate(_rules(style)):
        attrs = {"key": _key(style, i), "symbol": str(i), "label": rule.label}
        if rule.filter is not None:
            attrs["filter"] = rule.filter
        ET.SubElement(top, "rule", attrs)
        _symbol(symbols, str(i), style, rule.colour, rule.marker)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def style_sld(style: LayerStyle, layer: str) -> str:
    """Return an SLD 1.1 document with the same rules as :func:`style_qml` (ElseFilter last).

    Examples
    --------
    >>> one = LayerStyle(column="pop", breaks=(0, 1), colours=("#ffffff",))
    >>> "ElseFilter" in style_sld(one, "a")
    True
    """
    kind = _SYMBOL_TYPE[style.geometry]
    root = ET.Element(f"{{{_SLD}}}StyledLayerDescriptor", version="1.1.0")
    named = ET.SubElement(root, f"{{{_SLD}}}NamedLayer")
    ET.SubElement(named, f"{{{_SE}}}Name").text = layer
    user = ET.SubElement(named, f"{{{_SLD}}}UserStyle")
    ET.SubElement(user, f"{{{_SE}}}Name").text = style.name
    fts = ET.SubElement(user, f"{{{_SE}}}FeatureTypeStyle")
    for rule in _rules(style):
        node = ET.SubElement(fts, f"{{{_SE}}}Rule")
        ET.SubElement(node, f"{{{_SE}}}Name").text = rule.label
        if rule.filter == "ELSE":
            ET.SubElement(node, f"{{{_SE}}}ElseFilter")
        elif rule.sld is not None:
            wrapper = ET.SubElement(node, f"{{{_OGC}}}Filter")
            wrapper.append(rule.sld)
        sym = ET.SubElement(node, f"{{{_SE}}}{_SLD_SYMBOLIZER[kind]}")
        colour = rule.colour
        if kind == "marker":
            graphic = ET.SubElement(sym, f"{{{_SE}}}Graphic")
            mark = ET.SubElement(graphic, f"{{{_SE}}}Mark")
            shape, angle = rule.marker
            # SLD knows circle, square, triangle, star and cross; a diamond is a turned square
            known = {"diamond": ("square", 45.0), "cross_fill": ("cross", 0.0)}
            shape, turn = known.get(shape, (shape, 0.0))
            if shape not in ("circle", "square", "triangle", "star", "cross"):
                shape = "circle"
            ET.SubElement(mark, f"{{{_SE}}}WellKnownName").text = shape
            _sld_fill(mark, colour)
            ET.SubElement(graphic, f"{{{_SE}}}Size").text = "7"
            if angle + turn:
                ET.SubElement(graphic, f"{{{_SE}}}Rotation").text = f"{angle + turn:g}"
        elif kind == "fill":
            _sld_fill(sym, colour)
            _sld_stroke(sym, style.outline, "0.26")
        else:
            _sld_stroke(sym, colour, "0.5")
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _sld_fill(parent: ET.Element, colour: str) -> None:
    fill = ET.SubElement(parent, f"{{{_SE}}}Fill")
    ET.SubElement(fill, f"{{{_SE}}}SvgParameter", name="fill").text = colour


def _sld_stroke(parent: ET.Element, colour: str, width: str) -> None:
    stroke = ET.SubElement(parent, f"{{{_SE}}}Stroke")
    ET.SubElement(stroke, f"{{{_SE}}}SvgParameter", name="stroke").text = colour
    ET.SubElement(stroke, f"{{{_SE}}}SvgParameter", name="stroke-width").text = width


def gpkg_timestamp(when: dt.datetime | None = None) -> str:
    """Return a GeoPackage timestamp (``YYYY-MM-DDTHH:MM:SS.SSSZ``, UTC), as GDAL wants it.

    Examples
    --------
    >>> gpkg_timestamp(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    '2026-01-02T03:04:05.000Z'
    """
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# The layout QGIS creates; update_time in the GeoPackage timestamp format (GDAL checks it).
_CREATE = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
  f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
  styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
  description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
"""


def write_layer_styles(gpkg: Path, styles: Mapping[str, LayerStyle]) -> None:
    """Add one default ``layer_styles`` row per styled layer to a GeoPackage.

    Each row holds the QML (what QGIS reads) and the same rules as SLD.
    """
    stamp = gpkg_timestamp()
    con = sqlite3.connect(gpkg)
    try:
        with con:
            con.execute(_CREATE)
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', ?)",
                (stamp,),
            )
            for table, style in styles.items():
                geom = con.execute(
                    "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                    (table,),
                ).fetchone()
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'geoloft', ?)",
                    (
                        table,
                        geom[0] if geom else "geom",
                        style.name,
                        style_qml(style),
                        style_sld(style, table),
                        f"geoloft style for {table}",
                        stamp,
                    ),
                )
    finally:
        con.close()
