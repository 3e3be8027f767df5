"""Bad input to delineate: one clear error naming the argument, column and rows or ids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.delineation import delineate
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError, SSBIdError
from geoloft.grid import corners_to_ssbid

IDS = [int(corners_to_ssbid(260_000 + i * 250, 6_650_000)) for i in range(4)]


def cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ssbid": IDS,
            "cell_size": 250,
            "pop_tot": 10.0,
            "sel": [True, True, False, True],
            "index": 1.0,
        }
    )


def units(crs: object = 25833) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": ["0101", "0102"], "name": ["A", "B"], "pop_tot": [5.0, 6.0], "sel": True},
        geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)],
        crs=crs,
    )


def with_column(column: str, values: list) -> pd.DataFrame:
    frame = cells()
    frame[column] = values
    return frame


CASES = [
    ("missing pop", cells(), {"pop": "persons"}, SchemaError, r"column 'persons'.*no such column"),
    (
        "negative pop",
        with_column("pop_tot", [1.0, -3.0, 2.0, 2.0]),
        {},
        SchemaError,
        r"column 'pop_tot', 1 row: 2: population must be",
    ),
    ("missing select column", cells(), {"select": "qualifies"}, SchemaError, r"column 'qualifies'"),
    (
        "select column not boolean",
        with_column("flag", ["yes", "no", "maybe", "2"]),
        {"select": "flag"},
        SchemaError,
        rf"select: column 'flag': 2 rows: {IDS[2]}, {IDS[3]}: must hold true/false",
    ),
    ("unknown operator", cells(), {"select": ("index", "=>", 1)}, InputError, r"select.*'=>'"),
    ("bad top share", cells(), {"select": ("index", "top", 1.5)}, InputError, r"top share"),
    (
        "select wrong length",
        cells(),
        {"select": np.ones(3, bool)},
        SchemaError,
        r"3 rows; the input has 4",
    ),
    ("bad contiguity", cells(), {"contiguity": "bishop"}, InputError, r"contiguity must be one of"),
    ("nearest without distance", cells(), {"islands": "nearest"}, InputError, r"island_distance"),
    (
        "ceiling below floor",
        cells(),
        {"min_pop": 50, "max_pop": 20},
        InputError,
        r"max_pop \(20\) is below",
    ),
    ("negative floor", cells(), {"min_pop": -1}, InputError, r"min_pop must be a number >= 0"),
    (
        "unknown lock",
        cells(),
        {"lock_in": [123]},
        SchemaError,
        r"lock_in: 1 id\(s\) not in the input: 123",
    ),
    (
        "locked in and out",
        cells(),
        {"lock_in": [IDS[0]], "lock_out": [IDS[0]]},
        InputError,
        rf"lock_in/lock_out: 1 row: {IDS[0]}: ids are both locked in and locked out",
    ),
    ("missing within", cells(), {"within": "bydel"}, SchemaError, r"column 'bydel'"),
    ("counts column missing", cells(), {"counts": {"low": ("n", "d")}}, SchemaError, r"column 'n'"),
    ("counts entry unreadable", cells(), {"counts": {"low": ("a",)}}, InputError, r"counts.*'low'"),
    (
        "replicates wrong shape",
        cells(),
        {"replicates": np.ones((3, 5), bool)},
        SchemaError,
        r"replicates has 3 rows",
    ),
    (
        "duplicate ids",
        pd.concat([cells(), cells().iloc[:1]]),
        {},
        SchemaError,
        rf"column 'ssbid'.*duplicate ids {IDS[0]}",
    ),
    (
        "mixed cell sizes",
        with_column("cell_size", [250, 250, 1000, 250]),
        {},
        SchemaError,
        r"column 'cell_size'.*exactly one cell size; found 250, 1000",
    ),
    (
        "id not on the cell size",
        with_column("ssbid", [*IDS[:3], IDS[3] + 10]),
        {},
        SSBIdError,
        r"column 'ssbid': 1 row: 4: 1 id\(s\) have a corner",
    ),
    ("units in lon/lat", units(4326), {}, CRSError, r"EPSG:4326.*not EPSG:25833.*to_crs"),
    ("units without CRS", units(None), {}, CRSError, r"no geometry with a CRS"),
]


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(frame: pd.DataFrame, kwargs: dict, error: type, match: str) -> None:
    kwargs = {"select": "sel", **kwargs}
    with pytest.raises(error, match=match):
        delineate(frame, **kwargs)


def test_neither_cells_nor_units() -> None:
    with pytest.raises(SchemaError, match=r"neither 'ssbid'.*nor 'area_id'"):
        delineate(pd.DataFrame({"x": [1]}), select="x")


def test_not_a_frame() -> None:
    with pytest.raises(TypeError, match="data must be a"):
        delineate([1, 2], select="sel")  # type: ignore[arg-type]


def test_invalid_unit_geometry_names_the_units() -> None:
    frame = units()
    frame.loc[1, "geometry"] = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # bow-tie
    with pytest.raises(GeometryError, match=r"column 'geometry', 1 row: 0102: invalid polygons"):
        delineate(frame, select="sel")


def test_clip_in_wrong_crs() -> None:
    clip = gpd.GeoSeries([shapely.box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(CRSError, match=r"clip.*EPSG:4326"):
        delineate(cells(), select="sel", clip=clip)


def test_several_option_problems_are_reported_together() -> None:
    with pytest.raises(InputError, match=r"2 problems:[\s\S]*contiguity[\s\S]*islands"):
        delineate(cells(), select="sel", contiguity="x", islands="y")


def test_indicator_may_not_overwrite_an_output_column() -> None:
    frame = cells().assign(n=1.0, d=2.0)
    with pytest.raises(InputError, match=r"counts: indicator name\(s\) pop would overwrite"):
        delineate(frame, select="sel", counts={"pop": ("n", "d")})
