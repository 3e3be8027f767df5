"""SSB grid statistics: the cell id codec and the grid reader."""

from geoloft.grid.codec import (
    CELL_SIZES,
    cell_centres,
    cell_polygons,
    check_ssbids,
    corners_to_geostat,
    corners_to_ssbid,
    geostat_to_corners,
    neighbour_ssbids,
    parent_ssbid,
    points_to_ssbid,
    ssbid_to_corners,
)
from geoloft.grid.read import read_grid

__all__ = [
    "CELL_SIZES",
    "cell_centres",
    "cell_polygons",
    "check_ssbids",
    "corners_to_geostat",
    "corners_to_ssbid",
    "geostat_to_corners",
    "neighbour_ssbids",
    "parent_ssbid",
    "points_to_ssbid",
    "read_grid",
    "ssbid_to_corners",
]
