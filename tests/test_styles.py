"""QGIS styles: every layer styled, missing and withheld features drawn, XML GDAL and QGIS read.

The XML check always runs; the PyQGIS check runs where ``qgis`` is importable.
"""

from __future__ import annotations

import re
import sqlite3
import warnings
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geoloft.classify import classify
from geoloft.export import write_layers
from geoloft.export.formats import read_layer_styles
from geoloft.export.styles import LayerStyle, layer_styles_for, style_qml, style_sld

X0, Y0 = 597_000.0, 6_643_000.0
SLD = "{http://www.opengis.net/se}"


def _boxes(n: int, size: float = 250.0) -> list[shapely.Polygon]:
    return [shapely.box(X0 + i * size, Y0, X0 + (i + 1) * size, Y0 + size) for i in range(n)]


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    """A run's layers by hand: 2 of 6 areas without index, 3 of 8 grid cells withheld."""
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"0{i}" for i in range(1, 7)],
            "index": [0.1, 0.5, np.nan, 1.2, np.nan, 2.0],
            "suppressed": [False, False, False, False, True, False],
        },
        geometry=_boxes(6),
        crs=25833,
    )
    grid = gpd.GeoDataFrame(
        {
            "ssbid": [str(i) for i in range(8)],
            "pop_tot": [12.0, np.nan, 40.0, np.nan, 300.0, np.nan, 25.0, 18.0],
            "suppressed": [False, True, False, True, False, True, False, False],
        },
        geometry=_boxes(8, 100.0),
        crs=25833,
    )
    zones = gpd.GeoDataFrame({"zone_id": ["Z01"]}, geometry=[_boxes(2)[0]], crs=25833)
    measures = gpd.GeoDataFrame(
        {"measure_id": ["T1", "T2", "T3"], "category": ["fysisk", "sosial", None]},
        geometry=shapely.points([(X0 + 10, Y0 + 10), (X0 + 300, Y0 + 20), (X0 + 600, Y0 + 5)]),
        crs=25833,
    )
    return {
        "areas": areas,
        "grid": grid,
        "intervention_areas": zones,
        "settlements": zones.copy(),
        "measures": measures,
    }


def _classes(layers):
    return {
        "areas": ("index", classify(layers["areas"]["index"], k=3)),
        "grid": ("pop_tot", classify(layers["grid"]["pop_tot"], k=3)),
    }


@pytest.fixture
def gpkg(tmp_path, layers):
    styles = layer_styles_for(
        layers, classes=_classes(layers), categories={"fysisk": "#009e73"}, threshold=10
    )
    return write_layers(layers, tmp_path / "geoloft.gpkg", styles=styles)


_RANGE = re.compile(r'"(\w+)" (>=|>) (\S+) AND "\w+" <= (\S+)')


def _drawn_by(rule_filters: list[str], row: dict) -> list[int]:
    """Which rules draw ``row``: each filter read by hand (ranges, equality, withheld, ELSE)."""
    hits = []
    for i, text in enumerate(rule_filters):
        if text == "ELSE":
            continue
        if m := _RANGE.fullmatch(text):
            value = row.get(m[1])
            lo, hi = float(m[3]), float(m[4])
            inside = (value >= lo if m[2] == ">=" else value > lo) and value <= hi
            if value is not None and not np.isnan(value) and inside:
                hits.append(i)
        elif m := re.fullmatch(r'"(\w+)" IS NOT NULL AND "\w+"', text):
            if row.get(m[1]):
                hits.append(i)
        elif m := re.fullmatch(r"\"(\w+)\" = '(.*)'", text):
            if row.get(m[1]) == m[2]:
                hits.append(i)
        else:
            raise AssertionError(f"unexpected filter {text!r}")
    if not hits and "ELSE" in rule_filters:
        hits.append(rule_filters.index("ELSE"))
    return hits


def test_every_layer_has_a_valid_rule_based_style_with_an_else_rule(gpkg, layers):
    rows = {r["f_table_name"]: r for r in read_layer_styles(gpkg)}
    assert set(rows) == set(layers)
    for name, row in rows.items():
        qml = ET.fromstring(row["styleQML"].split("\n", 1)[1])  # after the DOCTYPE line
        renderer = qml.find("renderer-v2")
        assert renderer is not None
        assert renderer.get("type") == "RuleRenderer", name
        rules = renderer.findall("rules/rule")
        symbols = {s.get("name") for s in renderer.findall("symbols/symbol")}
        assert {r.get("symbol") for r in rules} == symbols
        assert all(r.get("label") for r in rules)
        sld = ET.fromstring(row["styleSLD"])
        assert len(sld.findall(f".//{SLD}Rule")) == len(rules)
        filters = [r.get("filter") for r in rules]
        if len(rules) > 1:
            assert filters[-1] == "ELSE", name
            assert sld.findall(f".//{SLD}Rule")[-1].find(f"{SLD}ElseFilter") is not None
        else:
            assert filters == [None]  # one symbol for every feature


def test_every_feature_is_drawn_missing_and_withheld_by_their_own_rule(gpkg, layers):
    rows = {r["f_table_name"]: r for r in read_layer_styles(gpkg)}
    for name in ("areas", "grid", "measures"):
        rules = ET.fromstring(rows[name]["styleQML"].split("\n", 1)[1]).findall(
            "renderer-v2/rules/rule"
        )
        filters = [r.get("filter") for r in rules]
        labels = [r.get("label") for r in rules]
        back = pyogrio.read_dataframe(gpkg, layer=name)
        for record in back.drop(columns="geometry").to_dict("records"):
            drawn = _drawn_by(filters, record)
            assert len(drawn) == 1, (name, record, drawn)
            label = labels[drawn[0]]
            if record.get("suppressed"):
                assert label == "Skjult (under 10 personer)"
            elif name != "measures" and np.isnan(record["index" if name == "areas" else "pop_tot"]):
                assert label == "Ingen data"
    # the measure without a category falls to ELSE; the category not named gets grey
    qml = rows["measures"]["styleQML"]
    assert 'label="fysisk"' in qml
    assert 'label="sosial"' in qml
    assert "150,150,150" in qml


def test_the_caller_decides_breaks_and_colours():
    style = LayerStyle(
        column="low_income_rate", breaks=(0, 5, 10), colours=("#ffffff", "#000000"),
        labels=("lav", "høy"),
    )  # fmt: skip
    qml = style_qml(style)
    assert '"low_income_rate" &gt;= 0.0 AND "low_income_rate" &lt;= 5.0' in qml.replace(
        "&quot;", '"'
    )
    assert "255,255,255" in qml
    assert "0,0,0,200" in qml
    assert "#000000" in style_sld(style, "areas")


def test_update_time_is_a_timestamp_gdal_accepts(gpkg):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's "Non-conformant content" surfaces as a warning
        back = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    assert back["update_time"].notna().all()
    with sqlite3.connect(gpkg) as con:
        stamps = [r[0] for r in con.execute("SELECT update_time FROM layer_styles")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps)
    # the check bites: SQLite's CURRENT_TIMESTAMP format makes GDAL warn
    with sqlite3.connect(gpkg) as con:
        con.execute("UPDATE layer_styles SET update_time = '2026-01-02 03:04:05'")
    con.close()
    with pytest.warns(RuntimeWarning, match="Non-conformant"):
        pyogrio.read_dataframe(gpkg, layer="layer_styles")


#: Loads each layer of a GeoPackage in PyQGIS and prints, per layer, the renderer type,
#: the number of features and the legend label of every rule that draws each feature.
QGIS_SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsRenderContext, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
for name in sys.argv[2:]:
    layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
    renderer = layer.renderer()
    labels = {item.ruleKey(): item.label() for item in renderer.legendSymbolItems()}
    context = QgsRenderContext()
    renderer.startRender(context, layer.fields())
    drawn = []
    for feature in layer.getFeatures():
        keys = [labels[k] for k in renderer.legendKeysForFeature(feature, context) if labels.get(k)]
        drawn.append([k for k in keys if not k.startswith("{")])
    renderer.stopRender(context)
    out[name] = {"valid": layer.isValid(), "type": renderer.type(), "drawn": drawn}
app.exitQgis()
print("RESULT" + json.dumps(out))
"""


def _qgis_python() -> list[str] | None:
    """A Python with PyQGIS: this one, or the system's (Debian's python3-qgis)."""
    import importlib.util
    import shutil
    import subprocess
    import sys

    if importlib.util.find_spec("qgis") is not None:
        return [sys.executable]
    system = shutil.which("python3", path="/usr/bin")
    if system is None:
        return None
    probe = subprocess.run(
        [system, "-c", "import qgis.core"], capture_output=True, timeout=60, check=False
    )
    return [system] if probe.returncode == 0 else None


def test_qgis_draws_every_feature(gpkg, layers):
    import json
    import os
    import subprocess

    python = _qgis_python()
    if python is None:
        pytest.skip("PyQGIS is not installed (Debian: apt-get install python3-qgis)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [*python, "-c", QGIS_SCRIPT, str(gpkg), *layers],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line is not None, done.stderr[-2000:]
    result = json.loads(line[len("RESULT") :])
    for name, frame in layers.items():
        got = result[name]
        assert got["valid"], name
        assert got["type"] == "RuleRenderer", name
        assert len(got["drawn"]) == len(frame), name
        if name in ("intervention_areas", "settlements"):
            continue  # one symbol for all
        assert all(len(labels) == 1 for labels in got["drawn"]), (name, got["drawn"])
    areas = [labels[0] for labels in result["areas"]["drawn"]]
    assert areas.count("Ingen data") == 1  # NaN index, not withheld
    assert areas.count("Skjult (under 10 personer)") == 1
    grid = [labels[0] for labels in result["grid"]["drawn"]]
    assert grid.count("Skjult (under 10 personer)") == 3
    measures = [labels[0] for labels in result["measures"]["drawn"]]
    assert measures == ["fysisk", "sosial", "Ingen data"]


def test_measures_without_categories_get_one_symbol(layers):
    measures = layers["measures"].assign(category=None)
    style = layer_styles_for({"measures": measures})["measures"]
    qml = ET.fromstring(style_qml(style).split("\n", 1)[1])
    rules = qml.findall("renderer-v2/rules/rule")
    assert [r.get("filter") for r in rules] == [None]  # every measure drawn
