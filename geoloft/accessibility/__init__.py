"""Nærmiljø: who lives within reach of facilities, and where a new one reaches most.

From populated SSB grid cells to facilities (schools, playgrounds, meeting
places; any point file, or the project's measures of a category):

- :func:`access`: distance from each cell to the nearest facility and the
  number of facilities within given distances, straight-line or along a path
  network (:func:`read_network`);
- :func:`access_by_area`: per area, the population-weighted mean distance, the
  number and share of residents within each distance, facilities per 1,000
  residents;
- :func:`choose_sites`: ``k`` new sites (from :func:`candidate_cells` or a
  candidate file) by maximal covering or p-median, exact with HiGHS when the
  problem is small, greedy + swap with a reported optimality gap when large;
- :mod:`geoloft.accessibility.publish`: disclosure control of all of it.
"""

from __future__ import annotations

import os

import geopandas as gpd

from geoloft.accessibility._inputs import (
    DEFAULT_THRESHOLDS,
    DIST,
    FACILITY_ID,
    MEAN_DIST,
    N_FACILITIES,
    NEAREST_ID,
    PER_1000,
    REACH_CLASS,
    n_within,
    pop_within,
    select_rows,
    share_within,
)
from geoloft.accessibility.core import AccessResult, access
from geoloft.accessibility.distance import Network, network_from_lines
from geoloft.accessibility.siting import SITE_ID, SitingResult, candidate_cells, choose_sites
from geoloft.accessibility.summary import access_by_area

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DIST",
    "FACILITY_ID",
    "MEAN_DIST",
    "NEAREST_ID",
    "N_FACILITIES",
    "PER_1000",
    "REACH_CLASS",
    "SITE_ID",
    "AccessResult",
    "Network",
    "SitingResult",
    "access",
    "access_by_area",
    "candidate_cells",
    "choose_sites",
    "n_within",
    "network_from_lines",
    "pop_within",
    "read_network",
    "select_rows",
    "share_within",
]


def read_network(
    path: str | os.PathLike[str], *, layer: str | None = None, crs: str | None = None
) -> Network:
    """Read a line file of paths or roads into a :class:`Network`.

    Parameters
    ----------
    path
        Any vector file pyogrio reads (GeoPackage, GeoJSON, Shapefile, ...)
        with LineStrings or MultiLineStrings.
    layer
        Layer of a multi-layer file.
    crs
        CRS of a file that declares none, e.g. ``"EPSG:25832"``.

    Returns
    -------
    Network
        In EPSG:25833; vertices that coincide to the centimetre join lines.

    Raises
    ------
    CRSError
        A file without CRS and no ``crs``.
    GeometryError
        Geometries that are not lines.
    """
    from geoloft._io import existing_file
    from geoloft.columns import WORKING_CRS
    from geoloft.errors import CRSError

    src = existing_file(path, what="network file")
    lines = gpd.read_file(src, layer=layer)
    if lines.crs is None:
        if crs is None:
            raise CRSError(
                "the network file has no CRS.",
                source=src,
                hint="pass crs=, e.g. 'EPSG:25833' (or --network-crs on the command line).",
            )
        lines = lines.set_crs(crs)
    return network_from_lines(lines.to_crs(WORKING_CRS))
