"""The study area: where a project works, and cutting national inputs to it.

National files are the normal input: SSB's grid for all of Norway, a point file of every
school in the country, a boundary file of four cities. Right after reading, the boundaries
are filtered to the project's areas (kommune numbers or an attribute filter), and the grid
and the measures are cut to the study area: the union of the kept areas (or a polygon file),
optionally buffered. What lay outside is counted and a few examples are kept for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoloft.errors import InputError
from geoloft.report import StageReport, attach_report, get_report

__all__ = ["EXAMPLES", "StudyArea", "cut_to_study_area", "study_area_of"]

#: How many example ids a report keeps of the rows left outside.
EXAMPLES = 5


@dataclass(frozen=True)
class StudyArea:
    """The polygon a project works in (EPSG:25833) and how it was chosen.

    Parameters
    ----------
    geometry
        A (multi)polygon in EPSG:25833.
    label
        How it was chosen, for reports (``"kommune 0301"``, ``"the 17 areas"``, a file name).
    """

    geometry: BaseGeometry
    label: str

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """The bounding box (minx, miny, maxx, maxy) in EPSG:25833."""
        minx, miny, maxx, maxy = self.geometry.bounds
        return (minx, miny, maxx, maxy)


def study_area_of(
    areas: gpd.GeoDataFrame,
    *,
    polygon: gpd.GeoDataFrame | None = None,
    buffer: float = 0.0,
    label: str | None = None,
) -> StudyArea:
    """Return the study area: the union of ``polygon`` (when given) or of the areas.

    Parameters
    ----------
    areas
        The project's areas (EPSG:25833).
    polygon
        Polygons that bound the study area (a kommune outline, a hand-drawn area), in
        EPSG:25833. None: the union of ``areas``.
    buffer
        Metres to add around the study area (for example to keep facilities just outside
        the boundary in an accessibility analysis).
    label
        How the study area was chosen, for reports.

    Returns
    -------
    StudyArea

    Raises
    ------
    InputError
        When the union is empty.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"area_id": ["a", "b"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=25833)
    >>> study_area_of(areas).bounds
    (0.0, 0.0, 2.0, 1.0)
    """
    source = areas if polygon is None else polygon
    geoms = np.asarray(source.geometry.to_numpy(), dtype=object)
    union = shapely.union_all(geoms[~shapely.is_missing(geoms)], grid_size=None)
    if buffer:
        union = shapely.buffer(union, buffer)
    if union.is_empty:
        raise InputError(
            "the study area is empty.",
            source="study_area",
            hint="check that the boundaries or the study-area polygon file hold polygons.",
        )
    name = label or ("the polygon file" if polygon is not None else "the boundaries")
    return StudyArea(geometry=union, label=name)


def _examples(frame: pd.DataFrame, outside: np.ndarray, id_column: str | None) -> list[str]:
    if id_column is None or id_column not in frame.columns:
        return [str(i + 1) for i in np.flatnonzero(outside)[:EXAMPLES]]
    return [str(v) for v in frame.loc[outside, id_column].head(EXAMPLES)]


def _candidates(geoms: np.ndarray, bounds: Sequence[float]) -> np.ndarray:
    """Rows whose bounding box meets the study area's bounding box (fast, vectorised)."""
    boxes = shapely.bounds(geoms)
    minx, miny, maxx, maxy = bounds
    with np.errstate(invalid="ignore"):
        return (
            (boxes[:, 0] <= maxx)
            & (boxes[:, 2] >= minx)
            & (boxes[:, 1] <= maxy)
            & (boxes[:, 3] >= miny)
        )


def cut_to_study_area(
    frame: gpd.GeoDataFrame,
    study: StudyArea,
    *,
    what: str,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Keep the rows of ``frame`` whose geometry meets the study area; report the rest.

    A grid cell is kept when it intersects the study area at all (so that an exact area
    join still sees every cell a boundary crosses); a measure when it lies in or touches it.

    Parameters
    ----------
    frame
        Grid cells or measures in EPSG:25833.
    study
        The study area.
    what
        What the rows are, for the report (``"grid cells"``, ``"measures"``).
    id_column
        Column whose values name the rows in the report's examples.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows inside, in their original order, with a :class:`StageReport`
        (stage ``cut``) attached and the reader's report kept in
        ``attrs["read_report"]``. ``notes`` hold the count outside and up to
        :data:`EXAMPLES` example ids.

    Examples
    --------
    >>> from shapely.geometry import box, Point
    >>> pts = gpd.GeoDataFrame({"id": ["in", "out"]},
    ...     geometry=[Point(0.5, 0.5), Point(9, 9)], crs=25833)
    >>> study = StudyArea(box(0, 0, 1, 1), "test")
    >>> kept = cut_to_study_area(pts, study, what="measures", id_column="id")
    >>> kept["id"].tolist(), kept.attrs["report"].notes["outside (examples)"]
    (['in'], ['out'])
    """
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    inside = _candidates(geoms, study.bounds)
    shapely.prepare(study.geometry)
    idx = np.flatnonzero(inside)
    inside[idx] = shapely.intersects(study.geometry, geoms[idx])
    outside = ~inside
    report = StageReport(stage=f"cut {what}", source=study.label, rows_in=len(frame))
    report.drop(f"{what} outside the study area", int(outside.sum()))
    if outside.any():
        report.notes["outside (examples)"] = _examples(frame, outside, id_column)
    kept = frame.loc[inside].copy()
    report.rows_out = len(kept)
    earlier = get_report(frame)
    kept.attrs = {k: v for k, v in frame.attrs.items() if k != "report"}
    if earlier is not None:
        kept.attrs["read_report"] = earlier
    return attach_report(kept, report)


def areas_in_study_area(areas: gpd.GeoDataFrame, study: StudyArea) -> gpd.GeoDataFrame:
    """Keep the areas that lie in the study area (by a point inside each); report the rest.

    An area that only touches the study area's edge, or reaches in by a sliver, is left
    out: an area belongs where a point on its surface lies.

    Parameters
    ----------
    areas
        Areas (``area_id``, geometry) in EPSG:25833.
    study
        The study area.

    Returns
    -------
    geopandas.GeoDataFrame
        The areas inside, in their order, with a :class:`StageReport` (stage
        ``cut areas``) attached.

    Raises
    ------
    InputError
        When no area lies in the study area.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"area_id": ["in", "edge", "out"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], crs=25833)
    >>> cut = areas_in_study_area(areas, StudyArea(box(0, 0, 1.1, 1), "t"))
    >>> cut["area_id"].tolist(), cut.attrs["report"].notes["outside (examples)"]
    (['in'], ['edge', 'out'])
    """
    points = shapely.point_on_surface(np.asarray(areas.geometry.to_numpy(), dtype=object))
    shapely.prepare(study.geometry)
    inside = shapely.contains(study.geometry, points) | shapely.touches(study.geometry, points)
    if not inside.any():
        raise InputError(
            "no area lies in the study area.",
            source=study.label,
            hint="check that the study-area file covers the boundaries (and its CRS).",
        )
    report = StageReport(stage="cut areas", source=study.label, rows_in=len(areas))
    report.drop("areas outside the study area", int((~inside).sum()))
    if (~inside).any():
        report.notes["outside (examples)"] = _examples(areas, ~inside, "area_id")
    kept = areas.loc[inside].copy()
    report.rows_out = len(kept)
    return attach_report(kept, report)


__all__ += ["areas_in_study_area"]
