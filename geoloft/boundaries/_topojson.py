"""A small TopoJSON reader: arcs decoded with numpy, polygons built with shapely.

TopoJSON (https://github.com/topojson/topojson-specification) stores each
shared boundary once, as an *arc*; polygons list the arcs of their rings by
index (``~i`` = arc ``i`` reversed). In a quantised topology (one with a
``transform``) arc positions are integers, delta-encoded: the first position
of an arc is absolute, the others are offsets from the previous one; point
positions are absolute. The specification fixes no CRS; like GeoJSON the
coordinates are longitude/latitude in practice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoloft.errors import InputError

_TOPOLOGY = re.compile(rb'"type"\s*:\s*"Topology"')
_POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def is_topojson(path: Path) -> bool:
    """Return whether ``path`` is a TopoJSON file (by suffix or by its first bytes)."""
    if path.suffix.lower() == ".topojson":
        return True
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    with path.open("rb") as fh:
        return _TOPOLOGY.search(fh.read(4096)) is not None


@dataclass
class TopoLayer:
    """One TopoJSON object read as features: attributes, geometries, object name."""

    attributes: pd.DataFrame
    geometries: np.ndarray
    layer: str
    notes: dict[str, Any] = field(default_factory=dict)


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            topology = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"cannot parse the TopoJSON file ({err}).",
            source=path,
            hint="check that the file is complete, UTF-8 JSON (re-export it).",
        ) from err
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise InputError(
            'not a TopoJSON topology (no top-level "type": "Topology").',
            source=path,
            hint="export the data as TopoJSON, GeoJSON or GeoPackage.",
        )
    return topology


def _members(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the geometry objects of a TopoJSON object (a collection or one geometry)."""
    if obj.get("type") == "GeometryCollection":
        return list(obj.get("geometries") or [])
    return [obj]


def _choose_object(topology: dict[str, Any], layer: str | None, path: Path) -> str:
    objects = topology.get("objects") or {}
    if not objects:
        raise InputError(
            "the TopoJSON file holds no objects.",
            source=path,
            hint="export the layer again; the topology is empty.",
        )
    listing = ", ".join(objects)
    if layer is not None:
        if layer not in objects:
            raise InputError(
                f"no object (layer) '{layer}'; the file has: {listing}.",
                source=path,
                hint="pass layer= one of the objects listed.",
            )
        return layer
    if len(objects) == 1:
        return next(iter(objects))
    polygonal = [
        name
        for name, obj in objects.items()
        if any(m.get("type") in _POLYGONAL for m in _members(obj))
    ]
    if len(polygonal) == 1:
        return polygonal[0]
    raise InputError(
        f"several objects (layers) hold polygons: {listing}.",
        source=path,
        hint="pass layer= naming the object to read.",
    )


def decode_arcs(topology: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return all arc positions as one (n, 2) array, with each arc's start and length.

    Delta-encoded (quantised) arcs are summed per arc and the ``transform`` applied.
    """
    arcs = topology.get("arcs") or []
    lengths = np.fromiter((len(a) for a in arcs), dtype=np.int64, count=len(arcs))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat = list(chain.from_iterable(arcs))
    try:
        coords = np.asarray(flat, dtype="float64").reshape(len(flat), -1)[:, :2]
    except ValueError:  # positions of mixed dimension
        coords = np.asarray([p[:2] for p in flat], dtype="float64").reshape(-1, 2)
    transform = topology.get("transform")
    if transform and len(coords):
        summed = np.cumsum(coords, axis=0)
        base = np.zeros((len(arcs), 2))
        base[1:] = summed[starts[1:] - 1]
        coords = summed - np.repeat(base, lengths, axis=0)
        coords = coords * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
    return coords, starts, lengths


def _path_indices(
    refs: np.ndarray, first: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return coordinate indices of the joined arc references, and the reference of each.

    Each arc after the first in a path drops its first position (the shared
    end of the previous arc); ``~i`` references run arc ``i`` backwards.
    """
    arc = np.where(refs >= 0, refs, ~refs)
    skip = (~first).astype(np.int64)
    counts = np.maximum(lengths[arc] - skip, 0)
    owner = np.repeat(np.arange(len(refs)), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step = np.arange(counts.sum()) - offsets[owner] + skip[owner]
    forward = starts[arc][owner] + step
    backward = starts[arc][owner] + lengths[arc][owner] - 1 - step
    return np.where(refs[owner] >= 0, forward, backward), owner


def _flatten_polygons(members: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Flatten polygon arc references to arrays: ref, ring, polygon and feature ids."""
    refs, ring_of_ref, poly_of_ring, feat_of_poly = [], [], [], []
    ring = poly = 0
    for feature, member in enumerate(members):
        kind, arcs = member.get("type"), member.get("arcs") or []
        polygons = [arcs] if kind == "Polygon" else arcs if kind == "MultiPolygon" else []
        for polygon in polygons:
            for ring_refs in polygon:
                refs.extend(ring_refs)
                ring_of_ref.extend([ring] * len(ring_refs))
                poly_of_ring.append(poly)
                ring += 1
            feat_of_poly.append(feature)
            poly += 1
    return {
        "refs": np.asarray(refs, dtype=np.int64),
        "ring": np.asarray(ring_of_ref, dtype=np.int64),
        "poly": np.asarray(poly_of_ring, dtype=np.int64),
        "feature": np.asarray(feat_of_poly, dtype=np.int64),
    }


def _build_polygons(
    members: list[dict[str, Any]], coords: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, int]:
    """Return one geometry per member (None unless polygonal) and the degenerate ring count."""
    out = np.full(len(members), None, dtype=object)
    flat = _flatten_polygons(members)
    if not len(flat["refs"]):
        return out, 0
    first = np.ones(len(flat["refs"]), dtype=bool)
    first[1:] = flat["ring"][1:] != flat["ring"][:-1]
    index, owner = _path_indices(flat["refs"], first, starts, lengths)
    ring_of_pos = flat["ring"][owner]
    n_rings = len(flat["poly"])
    sizes = np.bincount(ring_of_pos, minlength=n_rings)
    # rings of fewer than 4 positions have no area; a polygon without its shell is dropped
    is_shell = np.ones(n_rings, dtype=bool)
    is_shell[1:] = flat["poly"][1:] != flat["poly"][:-1]
    bad_shell_poly = np.unique(flat["poly"][is_shell & (sizes < 4)])
    keep_ring = (sizes >= 4) & ~np.isin(flat["poly"], bad_shell_poly)
    keep_pos = keep_ring[ring_of_pos]
    ring_ids = np.unique(ring_of_pos[keep_pos], return_inverse=True)[1]
    rings = shapely.linearrings(coords[index[keep_pos]], indices=ring_ids)
    kept_polys = flat["poly"][keep_ring]
    polys = shapely.polygons(rings, indices=np.unique(kept_polys, return_inverse=True)[1])
    feature_of_poly = flat["feature"][np.unique(kept_polys)]
    multi = np.array([m.get("type") == "MultiPolygon" for m in members])
    single = ~multi[feature_of_poly]
    out[feature_of_poly[single]] = polys[single]
    if (~single).any():
        shapely.multipolygons(polys[~single], indices=feature_of_poly[~single], out=out)
    return out, int((~keep_ring).sum())


def _other_geometry(
    member: dict[str, Any],
    coords: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    transform: dict[str, Any] | None,
) -> Any:
    """Build a non-polygonal geometry (points, lines); only used to report it as such."""
    kind = member.get("type")

    def position(p: list[float]) -> np.ndarray:
        xy = np.asarray(p[:2], dtype="float64")
        return xy * transform["scale"] + transform["translate"] if transform else xy

    def line(arc_refs: list[int]) -> shapely.LineString:
        first = np.zeros(len(arc_refs), dtype=bool)
        first[:1] = True
        index, _ = _path_indices(np.asarray(arc_refs, dtype=np.int64), first, starts, lengths)
        return shapely.LineString(coords[index])

    if kind == "Point":
        return shapely.Point(position(member["coordinates"]))
    if kind == "MultiPoint":
        return shapely.MultiPoint([position(p) for p in member["coordinates"]])
    if kind == "LineString":
        return line(member["arcs"])
    if kind == "MultiLineString":
        return shapely.MultiLineString([line(a) for a in member["arcs"]])
    return None


def read_topojson(path: Path, *, layer: str | None = None) -> TopoLayer:
    """Read one object of a TopoJSON file as attributes and shapely geometries.

    Parameters
    ----------
    path
        The ``.topojson`` (or ``.json``) file.
    layer
        The object to read; needed only when several objects hold polygons.

    Returns
    -------
    TopoLayer
        Attributes (``properties``, plus ``id`` when features carry one), one
        geometry per feature (None where the feature has none) and the object name.
    """
    topology = _load(path)
    name = _choose_object(topology, layer, path)
    members = _members(topology["objects"][name])
    coords, starts, lengths = decode_arcs(topology)
    geometries, degenerate = _build_polygons(members, coords, starts, lengths)
    for i, member in enumerate(members):
        if member.get("type") not in _POLYGONAL and member.get("type") is not None:
            geometries[i] = _other_geometry(
                member, coords, starts, lengths, topology.get("transform")
            )
    records = [dict(m.get("properties") or {}) for m in members]
    attributes = pd.DataFrame.from_records(records, index=pd.RangeIndex(len(members)))
    if "id" not in attributes.columns and any("id" in m for m in members):
        attributes["id"] = [m.get("id") for m in members]
    notes: dict[str, Any] = {}
    if degenerate:
        notes["degenerate_rings_skipped"] = degenerate
    return TopoLayer(attributes, geometries, name, notes)
