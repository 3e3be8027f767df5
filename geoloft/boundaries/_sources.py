"""Read a boundary source (any OGR format, or TopoJSON) into attributes and geometries.

Layer choice, Shapefile encoding (``.cpg``, else UTF-8 when the bytes are UTF-8,
else Latin-1) and format errors live here; CRS and geometry checks come later.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from geoloft._io import gdal_quiet_reads, list_ogr_layers, ogr_open_options, utf8_or_latin1
from geoloft.boundaries._topojson import is_topojson, read_topojson
from geoloft.errors import EncodingError, GeometryError, InputError

#: Formats that hold one layer: read without listing layers first.
_SINGLE_LAYER = frozenset({".geojson", ".json", ".geojsonl", ".geojsons", ".fgb", ".shp"})
_DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".geojsonl": "GeoJSONSeq",
    ".geojsons": "GeoJSONSeq",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".fgb": "FlatGeobuf",
    ".gml": "GML",
}
#: GDAL's names of the encodings :func:`utf8_or_latin1` tells apart.
_GDAL_ENCODING = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1"}
_FORMATS = "GeoJSON, TopoJSON, GeoPackage, Shapefile, GML, FlatGeobuf or another OGR format"


@dataclass
class RawSource:
    """Attributes, geometries and metadata of one layer, before any checks."""

    attributes: pd.DataFrame
    geometries: np.ndarray
    crs: CRS | None
    driver: str
    layer: str
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def crs_fixed_by_spec(self) -> bool:
        """Whether the format fixes the CRS (GeoJSON RFC 7946; TopoJSON in practice)."""
        return self.driver in {"GeoJSON", "GeoJSONSeq", "TopoJSON"}


def _polygon_layer(layers: np.ndarray, layer: str | None, path: Path) -> str:
    """Return the layer to read: the named one, the only one, or the only polygon layer."""
    names = [str(n) for n in layers[:, 0]]
    listing = ", ".join(f"{n} ({t or 'no geometry'})" for n, t in layers)
    if layer is not None:
        if layer not in names:
            raise InputError(
                f"no layer '{layer}'; the file has: {listing}.",
                source=path,
                hint="pass layer= one of the layers listed (command line: --layer).",
            )
        return layer
    if len(names) == 1:
        return names[0]
    polygonal = [str(n) for n, t in layers if t and "polygon" in str(t).lower()]
    if len(polygonal) == 1:
        return polygonal[0]
    raise InputError(
        f"the file has {len(names)} layers and "
        f"{len(polygonal) or 'none'} of them {'are' if polygonal else 'is'} "
        f"polygon layers: {listing}.",
        source=path,
        hint="pass layer= naming the layer to read (command line: --layer).",
    )


def _dbf_encoding(dbf: Path) -> str:
    """Return ``"UTF-8"`` when the records of a ``.dbf`` decode as UTF-8, else Latin-1."""
    raw = dbf.read_bytes()
    header_size = struct.unpack("<H", raw[8:10])[0] if len(raw) >= 10 else len(raw)
    return _GDAL_ENCODING[utf8_or_latin1(raw[header_size:])]


def _shapefile_encoding(path: Path) -> tuple[str | None, str]:
    """Return the encoding to force (None: let GDAL use the ``.cpg``) and a note."""
    if path.suffix.lower() != ".shp":
        return None, ""
    siblings = {
        suffix.lower(): path.with_suffix(suffix)
        for suffix in (".cpg", ".CPG", ".dbf", ".DBF")
        if path.with_suffix(suffix).is_file()
    }
    if ".cpg" in siblings:
        return None, f"from {siblings['.cpg'].name}"
    if ".dbf" not in siblings:
        return None, ""
    encoding = _dbf_encoding(siblings[".dbf"])
    return encoding, f"{encoding} (no .cpg file; detected from the .dbf bytes)"


def _open_error(path: Path, err: Exception) -> InputError:
    # GDAL's text goes on to suggest a '<DRIVER>:' path prefix, which misleads here.
    reason = str(err).split("; It might help", 1)[0].replace(f"'{path}' ", "").strip(" .;")
    return InputError(
        f"cannot open the file as vector data ({reason}).",
        source=path,
        hint=f"give a boundary file in {_FORMATS}; check that the file is complete.",
    )


def _choose_layer(path: Path, layer: str | None) -> str | None:
    """Return the layer to read; None for single-layer formats read without a name."""
    if layer is None and path.suffix.lower() in _SINGLE_LAYER:
        return None  # listing layers would parse a GeoJSON file once more
    try:
        layers = list_ogr_layers(path)
    except DataSourceError as err:
        raise _open_error(path, err) from err
    if not len(layers):
        raise InputError(
            "the file holds no layers.",
            source=path,
            hint="export the boundaries again; the file is empty.",
        )
    return _polygon_layer(layers, layer, path)


def _read_frame(
    path: Path, layer: str | None, encoding: str | None, options: dict[str, str]
) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            # NaN coordinates: reported with their rows by the reader, not as a numpy warning
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            frame = pyogrio.read_dataframe(
                path, layer=layer, encoding=encoding, force_2d=True, **options
            )
    except UnicodeDecodeError as err:
        raise EncodingError(
            f"cannot decode the attribute text ({err}).",
            source=path,
            hint="add a .cpg file naming the encoding, e.g. UTF-8.",
        ) from err
    except DataLayerError as err:
        raise InputError(
            f"cannot read layer '{layer}' ({err}).",
            source=path,
            hint="check that the file is complete; re-export it.",
        ) from err
    except DataSourceError as err:
        raise _open_error(path, err) from err
    if frame.shape[1] == 0 or "geometry" not in frame.columns:
        raise GeometryError(
            f"layer '{layer or path.stem}' has no geometry column.",
            source=path,
            hint="give a file with polygons; tables go to read_indicators, "
            "point tables with coordinates to read_measures.",
        )
    return frame


def _text_past_nul(path: Path, attributes: pd.DataFrame) -> pd.DataFrame:
    """Put back GeoJSON text that GDAL cut at a NUL character (``\u0000``).

    GDAL's strings end at NUL, so ``"Nul\u0000l"`` reads as ``"Nul"`` and several
    names could become one. The file is searched for the escape first (fast);
    only when it is there are the properties read again with Python's JSON
    parser, so the reader can remove the NUL and report it.
    """
    import json
    import mmap

    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as raw:
        if raw.find(b"\\u0000") < 0 and raw.find(b"\x00") < 0:
            return attributes
    try:
        features = json.loads(path.read_bytes()).get("features", [])
    except (ValueError, AttributeError):
        return attributes
    if len(features) != len(attributes):
        return attributes
    props = pd.DataFrame([f.get("properties") or {} for f in features])
    out = attributes.copy()
    for col in out.columns:
        if (
            col in props.columns
            and props[col].map(lambda v: isinstance(v, str) and "\x00" in v).any()
        ):
            out[col] = props[col].to_numpy()
    return out


def _read_ogr(path: Path, layer: str | None) -> RawSource:
    options = ogr_open_options(path)
    chosen = _choose_layer(path, layer)
    encoding, encoding_note = _shapefile_encoding(path)
    frame = _read_frame(path, chosen, encoding, options)
    driver = _DRIVERS.get(path.suffix.lower(), "OGR")
    name = chosen if chosen is not None else path.stem
    notes: dict[str, Any] = {"driver": driver, "layer": name}
    if encoding_note:
        notes["encoding"] = encoding_note
    attributes = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    if path.suffix.lower() in (".geojson", ".json"):
        attributes = _text_past_nul(path, attributes)
    geometries = np.asarray(frame.geometry.values, dtype=object)
    return RawSource(attributes, geometries, frame.crs, driver, name, notes)


def read_source(path: Path, layer: str | None) -> RawSource:
    """Read one layer of ``path`` (TopoJSON with geoloft's reader, the rest with pyogrio)."""
    if is_topojson(path):
        topo = read_topojson(path, layer=layer)
        notes = {"driver": "TopoJSON", "layer": topo.layer, **topo.notes}
        return RawSource(topo.attributes, topo.geometries, None, "TopoJSON", topo.layer, notes)
    with gdal_quiet_reads():  # no .aux.xml written beside the input
        return _read_ogr(path, layer)
