"""Tests of ``read_grid`` (the codec has its own module, test_grid_codec.py).

Expected values come from hand-worked cells (written next to each case), from
the published SSB files in ``../shared/realdata`` (their READMEs state the
counts) and from the raw file text read independently of the code under test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from affine import Affine
from geopandas.testing import assert_geodataframe_equal

from geoloft.columns import CELL_SIZE, POP_AVE, POP_FEM, POP_MAL, POP_TOT, SSBID
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError, SSBIdError
from geoloft.grid import (
    cell_polygons,
    parent_ssbid,
    read_grid,
    ssbid_to_corners,
)

GRID_2015 = "ssb-grid-norway-2015"
GML_2019 = "ssb-grid-oslo-1km-2019/BefolkningOslo1km2019.gml"
GML_LAYER = "BefolkningPåRuter1km"
PERSONS_2015 = 5_146_614  # README: sum of pop_tot in the 250 m, 1 km and 5 km files


# --- real data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def grids(realdata: Path) -> dict[str, gpd.GeoDataFrame]:
    folder = realdata / GRID_2015
    return {
        "250": read_grid(folder / "ru250m_2015.csv"),
        "1000": read_grid(folder / "nor2015pop_1kmruter.csv"),
        "5000": read_grid(folder / "nor2015pop_5kmruter.csv"),
    }


def test_all_2019_gml_cells_decode_to_their_polygons(realdata: Path) -> None:
    raw = pyogrio.read_dataframe(realdata / GML_2019, layer=GML_LAYER)
    assert len(raw) == 258
    decoded = cell_polygons(raw["ssbid1000M"].to_numpy(), 1000)
    same = shapely.equals_exact(shapely.normalize(decoded), shapely.normalize(raw.geometry.values))
    assert same.all()


def test_read_2019_gml(realdata: Path) -> None:
    grid = read_grid(realdata / GML_2019)
    report = grid.attrs["report"]
    assert len(grid) == 258
    assert grid.crs == "EPSG:25833"
    assert grid.attrs["cell_size"] == 1000
    assert (grid[CELL_SIZE] == 1000).all()
    assert grid[POP_TOT].sum() == 678_692  # README
    assert (grid[POP_FEM] + grid[POP_MAL] == grid[POP_TOT]).all()
    # README: popAve is 0 in all 25 cells with 1-4 persons -> missing, counted
    assert grid[POP_AVE].isna().sum() == 25 == report.notes["suppressed"][POP_AVE]
    assert (grid.loc[grid[POP_AVE].isna(), POP_TOT] < 5).all()
    assert report.notes["layer"] == GML_LAYER
    assert report.notes["cell_size_source"] == "the column name 'ssbid1000M', the cell polygons"
    assert {"lokalId", "statistikkÅr"}.isdisjoint(grid.columns)


def test_read_2019_gml_line_layer_is_refused(realdata: Path) -> None:
    with pytest.raises(GeometryError, match=r"BefolkningPåRuter1kmGrense.*not cell polygons"):
        read_grid(realdata / GML_2019, layer="BefolkningPåRuter1kmGrense")


@pytest.mark.parametrize("parent", [1000, 5000])
def test_250m_aggregates_to_published_coarser_files(
    grids: dict[str, gpd.GeoDataFrame], parent: int
) -> None:
    fine = grids["250"]
    summed = fine.groupby(parent_ssbid(fine[SSBID], 250, parent))[POP_TOT].sum()
    published = grids[str(parent)].set_index(SSBID)[POP_TOT]
    assert summed.sort_index().index.equals(published.sort_index().index)
    assert (summed.sort_index() == published.sort_index()).all()
    assert summed.sum() == published.sum() == PERSONS_2015


def test_1km_mean_age_decimal_comma_and_zero(
    realdata: Path, grids: dict[str, gpd.GeoDataFrame]
) -> None:
    grid = grids["1000"]
    path = realdata / GRID_2015 / "nor2015pop_1kmruter.csv"
    with path.open(newline="") as fh:
        raw = list(csv.DictReader(fh, delimiter=";"))
    first = raw[0]  # 19250006616000;10;6;4;39,9
    assert first["pop_ave"] == "39,9"
    row = grid.loc[grid[SSBID] == int(first["ssbid_1000m"])]
    assert row[POP_AVE].tolist() == [39.9]
    zero = [r for r in raw if r["pop_ave"] == "0"]
    assert len(zero) == 13_300
    assert grid[POP_AVE].isna().sum() == 13_300
    assert grid.attrs["report"].notes["suppressed"][POP_AVE] == 13_300
    assert (grid.loc[grid[POP_AVE].isna(), POP_TOT] <= 4).all()
    assert not (grid[POP_AVE] == 0).any()
    assert len(grid) == len(raw) == 55_213


def test_5km_dot_marker_counted(realdata: Path, grids: dict[str, gpd.GeoDataFrame]) -> None:
    text = (realdata / GRID_2015 / "nor2015pop_5kmruter.csv").read_text().splitlines()
    dots = sum(line.endswith(";.") for line in text[1:])
    grid = grids["5000"]
    assert dots == 858
    assert grid[POP_AVE].isna().sum() == dots == grid.attrs["report"].notes["suppressed"][POP_AVE]
    assert grid[POP_AVE].between(1, 120).sum() == len(grid) - dots


def test_oslo_100m_single_space_file(realdata: Path) -> None:
    grid = read_grid(realdata / GRID_2015 / "Oslo_bef_100m_2015.csv")
    assert len(grid) == 9_371
    assert grid[POP_TOT].sum() == 640_797
    assert grid.attrs["cell_size"] == 100
    assert grid.attrs["report"].notes["value_columns"] == {"sum": POP_TOT}
    x, y = ssbid_to_corners(grid[SSBID])
    assert (x.min(), x.max(), y.min(), y.max()) == (253_600, 273_700, 6_637_700, 6_663_600)


def test_national_250m_file(grids: dict[str, gpd.GeoDataFrame]) -> None:
    grid = grids["250"]
    assert len(grid) == 220_171
    assert grid[POP_TOT].min() == 1
    assert grid[SSBID].dtype == np.int64
    assert grid[POP_TOT].dtype == np.float64
    x, y = ssbid_to_corners(grid[SSBID])
    assert (x.min(), x.max(), y.min(), y.max()) == (-75_000, 1_098_250, 6_451_000, 7_937_500)
    assert shapely.equals_exact(grid.geometry.values[:3], cell_polygons(grid[SSBID][:3], 250)).all()
    report = grid.attrs["report"]
    assert (report.rows_in, report.rows_out, report.dropped) == (220_171, 220_171, {})


# --- other formats (hand-made cells) ----------------------------------------

# Three 250 m cells with lower-left corners worked out by hand:
#   (256000, 6672000) -> (256000 + 2000000) * 10**7 + 6672000 = 22560006672000
#   (256250, 6672000) -> 22562506672000;  (-75000, 6616000) -> 19250006616000
CORNERS = [(256000, 6672000), (256250, 6672000), (-75000, 6616000)]
IDS = [22560006672000, 22562506672000, 19250006616000]


def _cells(size: int = 250, corners: list[tuple[int, int]] = CORNERS) -> gpd.GeoDataFrame:
    boxes = [shapely.box(x, y, x + size, y + size) for x, y in corners]
    pop = [12, 3, 40][: len(corners)] + [1] * max(0, len(corners) - 3)
    return gpd.GeoDataFrame({"befolkning": pop}, geometry=boxes, crs="EPSG:25833")


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb", ".geojson", ".shp"])
def test_polygons_without_id_column(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cells{suffix}"
    _cells().to_file(path)
    grid = read_grid(path)
    assert grid[SSBID].tolist() == IDS
    assert grid[POP_TOT].tolist() == [12.0, 3.0, 40.0]
    assert grid.attrs["report"].notes["cell_size_source"] == "the cell polygons"


def test_geojson_in_wgs84_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "cells.geojson"
    _cells().to_crs("EPSG:4326").to_file(path)  # what RFC 7946 writers produce
    grid = read_grid(path)
    assert grid[SSBID].tolist() == IDS
    assert grid.attrs["cell_size"] == 250
    assert grid.crs == "EPSG:25833"


def test_polygons_with_id_column_checked(tmp_path: Path) -> None:
    cells = _cells(1000, [(256000, 6672000), (257000, 6672000)])
    cells["SSBID"] = [22560006672000, 22570006672000]
    cells.to_file(tmp_path / "ok.fgb")
    # FlatGeobuf stores features in spatial-index order
    assert sorted(read_grid(tmp_path / "ok.fgb")[SSBID]) == [22560006672000, 22570006672000]
    cells["SSBID"] = [22560006672000, 22580006672000]  # second polygon is 2257..., not 2258...
    cells.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(GeometryError, match=r"bad\.gpkg: column 'SSBID': 1 row: 2: .*not the cell"):
        read_grid(tmp_path / "bad.gpkg")


def test_layer_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    _cells().to_file(path, layer="cells")
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:25833")
    lines.to_file(path, layer="outline")
    assert len(read_grid(path)) == 3  # the only polygon layer
    _cells(1000, [(256000, 6672000)]).to_file(path, layer="km")
    with pytest.raises(SchemaError, match=r"two\.gpkg: cannot tell which layer.*cells.*km"):
        read_grid(path)
    assert read_grid(path, layer="km").attrs["cell_size"] == 1000
    with pytest.raises(SchemaError, match="no layer 'nope'"):
        read_grid(path, layer="nope")


def test_own_export_round_trip(tmp_path: Path) -> None:
    grid = read_grid(_write(tmp_path / "g.csv", "ru250m;pop_tot\n22560006672000;12\n"))
    grid.to_file(tmp_path / "g.gpkg")  # columns ssbid, cell_size, pop_tot
    again = read_grid(tmp_path / "g.gpkg")
    assert_geodataframe_equal(again, grid, check_like=False)
    assert "the 'cell_size' column" in again.attrs["report"].notes["cell_size_source"]


@pytest.mark.parametrize(("xcol", "ycol"), [("x", "y"), ("x_ll", "y_ll"), ("XCOOR", "YCOOR")])
def test_csv_with_corner_columns(tmp_path: Path, xcol: str, ycol: str) -> None:
    rows = "".join(f"{x};{y};{p}\n" for (x, y), p in zip(CORNERS, [12, 3, 40], strict=True))
    path = _write(tmp_path / "xy.csv", f"{xcol};{ycol};pop_tot\n{rows}")
    grid = read_grid(path, cell_size=250)
    assert grid[SSBID].tolist() == IDS
    assert xcol not in grid.columns
    with pytest.raises(SSBIdError, match=r"xy\.csv: the cell size is not stated.*cell_size="):
        read_grid(path)


def test_values_argument(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.csv", "ru250m;popTot;kommune\n22560006672000;12;Oslo\n")
    grid = read_grid(path)  # a column of names holds no number: ignored and reported
    assert list(grid.columns) == [SSBID, CELL_SIZE, POP_TOT, "geometry"]
    assert grid.attrs["report"].notes["ignored_columns"] == ["kommune"]
    assert list(read_grid(path, values={"popTot": "persons"}, geometry=False).columns) == [
        SSBID,
        CELL_SIZE,
        "persons",
    ]
    with pytest.raises(SchemaError, match=r"v\.csv: column 'kommune': 1 row: 1: .*not numbers"):
        read_grid(path, values=["kommune"])
    with pytest.raises(SchemaError, match=r"no value column 'alder'.*ru250m, popTot, kommune"):
        read_grid(path, values=["alder"])


def test_spreadsheet_sheet_and_id_with_corner_columns(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "SSBID250M": [22560006672000, 22560006672250],
            "x": [256000, 256000],
            "y": [6672000, 6672250],
            "popTot": [4, "."],
            "popAve": [40.5, 0],
        }
    )
    with pd.ExcelWriter(tmp_path / "g.xlsx") as writer:
        table.to_excel(writer, sheet_name="rutenett", index=False)
    grid = read_grid(tmp_path / "g.xlsx", layer="rutenett")
    assert list(grid.columns) == [SSBID, CELL_SIZE, POP_TOT, POP_AVE, "geometry"]
    assert grid[POP_TOT].isna().tolist() == [False, True]
    assert grid[POP_AVE].tolist()[0] == 40.5
    assert np.isnan(grid[POP_AVE].tolist()[1])  # mean age 0, persons suppressed
    with pytest.raises(SchemaError, match=r"g\.xlsx: no sheet 'ark1'; the workbook has 'rutenett'"):
        read_grid(tmp_path / "g.xlsx", layer="ark1")


def test_geometry_false_gives_plain_frame(tmp_path: Path) -> None:
    frame = read_grid(
        _write(tmp_path / "g.csv", "ru1km;pop_tot\n22560006672000;4\n"), geometry=False
    )
    assert type(frame) is pd.DataFrame
    assert frame.attrs["cell_size"] == 1000
    assert frame[SSBID].tolist() == [22560006672000]


# --- GeoTIFF ----------------------------------------------------------------


def _tif(
    path: Path,
    data: list[list[float]],
    *,
    crs: str | None,
    x0: float,
    y0: float,
    size: float,
    nodata: float = -1,
) -> Path:
    arr = np.array([data], dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[2],
        height=arr.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        nodata=nodata,
        transform=Affine(size, 0, x0, 0, -size, y0),
    ) as dst:
        dst.write(arr)
    return path


def test_raster_aligned_with_ssb_grid(tmp_path: Path) -> None:
    # 250 m pixels, top-left (256000, 6672500): row 0 spans y 6672250-6672500.
    tif = _tif(
        tmp_path / "p.tif",
        [[5, 0, -1], [2, 7, 1]],
        crs="EPSG:25833",
        x0=256000,
        y0=6672500,
        size=250,
    )
    grid = read_grid(tif)
    assert grid[SSBID].tolist() == [22560006672250, 22560006672000, 22562506672000, 22565006672000]
    assert grid[POP_TOT].tolist() == [5.0, 2.0, 7.0, 1.0]
    report = grid.attrs["report"]
    assert (report.rows_in, report.rows_out) == (6, 4)
    assert report.dropped == {"nodata pixels": 1, "zero pixels": 1}
    # to 1 km: all four populated pixels lie in the cell (256000, 6672000)
    km = read_grid(tif, to_ssb=1000)
    assert km[SSBID].tolist() == [22560006672000]
    assert km[POP_TOT].tolist() == [15.0]


def test_raster_in_other_crs_assigned_to_ssb_cells(tmp_path: Path) -> None:
    # EPSG:32633 (WGS 84 / UTM 33N) differs from EPSG:25833 by far less than a metre here.
    # 100 m pixels from x 256050: centres 256100, 256200, 256300 -> 250 m cells 256000,
    # 256000, 256250; row centre y 6672050 -> cell 6672000.
    tif = _tif(tmp_path / "p.tif", [[1, 2, 4]], crs="EPSG:32633", x0=256050, y0=6672100, size=100)
    own = read_grid(tif)
    assert SSBID not in own.columns
    assert own.crs == "EPSG:32633"
    assert own.attrs["cell_size"] == 100
    assert own.geometry.iloc[0].bounds == (
        256050.0,
        6672000.0,
        256150.0,
        6672100.0,
    )
    ssb = read_grid(tif, to_ssb=250)
    assert ssb[SSBID].tolist() == [22560006672000, 22562506672000]
    assert ssb[POP_TOT].tolist() == [3.0, 4.0]
    assert ssb.crs == "EPSG:25833"


def test_raster_crs_errors(tmp_path: Path) -> None:
    bare = _tif(tmp_path / "bare.tif", [[1]], crs=None, x0=256000, y0=6672250, size=250)
    with pytest.raises(CRSError, match=r"bare\.tif: the raster has no coordinate"):
        read_grid(bare)
    assert read_grid(bare, crs="EPSG:25833")[SSBID].tolist() == [22560006672000]
    wgs = _tif(tmp_path / "wgs.tif", [[1]], crs="EPSG:4326", x0=10.7, y0=59.9, size=0.01)
    with pytest.raises(CRSError, match=r"wgs\.tif: .*not whole metres.*to_ssb="):
        read_grid(wgs)
    assert len(read_grid(wgs, to_ssb=1000)) == 1


# --- bad input ----------------------------------------------------------------


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


BAD_CSV = {
    "no_cell_size": (
        "ssbid;pop_tot\n22560006672000;4\n",
        {},
        SSBIdError,
        r"bad\.csv: the cell size is not stated.*Fix: pass cell_size=",
    ),
    "size_mismatch": (
        "ru250m;pop_tot\n22560006672000;4\n",
        {"cell_size": 1000},
        SSBIdError,
        r"bad\.csv: the cell sizes disagree: cell_size= says 1000 m; the column name "
        r"'ru250m' says 250 m",
    ),
    "13_digits": (
        "ru250m;pop_tot\n22560006672000;4\n2256000667200;5\n",
        {},
        SSBIdError,
        r"bad\.csv: column 'ru250m': 1 row: 2: .*not 14-digit",
    ),
    "not_a_number_id": (
        "ru250m;pop_tot\n22560006672000;4\n\n2256000667200x;5\n",
        {},
        SSBIdError,
        r"column 'ru250m': 1 row: 2: .*'2256000667200x'",
    ),
    "corner_off_size": (
        "ru250m;pop_tot\n22560006672000;4\n22560006672100;5\n",
        {},
        SSBIdError,
        r"bad\.csv: column 'ru250m': 1 row: 2: .*not a multiple of 250 m",
    ),
    "mixed_sizes_ids": (
        "ssbid;pop_tot\n22560006672000;4\n22562506672000;5\n22570006672000;9\n",
        {"cell_size": 1000},
        SSBIdError,
        r"column 'ssbid': 1 row: 2: .*not a multiple of 1000 m.*mixes cell sizes",
    ),
    "mixed_sizes_corners": (
        "x_ll;y_ll;pop_tot\n256000;6672000;4\n256250;6672500;5\n",
        {"cell_size": 1000},
        SSBIdError,
        r"column 'x_ll': 1 row: 2: .*not multiples of 1000 m",
    ),
    "corners_in_degrees": (
        "x;y;pop_tot\n10.75;59.91;4\n10.76;59.92;5\n",
        {"cell_size": 250},
        CRSError,
        r"bad\.csv: column 'x': 2 rows: 1, 2: corner coordinates \(x 10\.75, y 59\.91\) do not "
        r"fit EPSG:25833.*longitude/latitude degrees.*Fix: .*EPSG:25833 metres",
    ),
    "corners_swapped": (
        "x_ll;y_ll;pop_tot\n256000;6672000;4\n6672000;256000;5\n",
        {"cell_size": 250},
        CRSError,
        r"bad\.csv: column 'x_ll': 1 row: 2: corner coordinates \(x_ll 6672000, y_ll 256000\).*"
        r"x and y look swapped",
    ),
    "centres_not_corners": (
        "x;y;pop_tot\n256125;6672125;4\n",
        {"cell_size": 250},
        SSBIdError,
        r"1 row: 1: .*look like cell centres",
    ),
    "non_numeric": (
        "ru250m;pop_tot\n22560006672000;4\n22560006672250;5\n22560006672500;12a\n",
        {},
        SchemaError,
        r"bad\.csv: column 'pop_tot': 1 row: 3: .*not numbers \(e\.g\. '12a'\)",
    ),
    "negative": (
        "ru250m;pop_tot\n22560006672000;-4\n",
        {},
        InputError,
        r"column 'pop_tot': 1 row: 1: 1 negative person count",
    ),
    "duplicates": (
        "ru250m;pop_tot\n22560006672000;4\n22560006672250;5\n22560006672000;6\n",
        {},
        SchemaError,
        r"bad\.csv: column 'ru250m': 2 rows: 1, 3: 1 cell id\(s\) occur more than once",
    ),
    "header_only": (
        "ru250m;pop_tot\n",
        {},
        InputError,
        r"bad\.csv: the file has a header \(ru250m, pop_tot\) but no data rows",
    ),
    "blank_lines": ("\n\n", {}, InputError, r"bad\.csv: the file has no header line"),
    "no_id": (
        "kode;pop_tot\n0301;4\n",
        {},
        SchemaError,
        r"bad\.csv: no SSB id column, corner columns or cell polygons; the table has: kode",
    ),
    "two_ids": (
        "ru250m;ssbid;pop_tot\n22560006672000;22560006672000;4\n",
        {},
        SchemaError,
        r"several columns look like SSB cell ids: ru250m, ssbid.*id_column=",
    ),
    "missing_id_column": (
        "ru250m;pop_tot\n22560006672000;4\n",
        {"id_column": "rute"},
        SchemaError,
        r"column 'rute': no id column 'rute'; the table has: ru250m, pop_tot",
    ),
    "odd_size_name": (
        "ru300m;pop_tot\n22560006672000;4\n",
        {},
        SSBIdError,
        r"column 'ru300m': the column name says 300 m cells",
    ),
    "layer_on_text_table": (
        "ru250m;pop_tot\n22560006672000;4\n",
        {"layer": "x"},
        InputError,
        r"bad\.csv: layer= applies to vector files and spreadsheets",
    ),
    "to_ssb_on_table": (
        "ru250m;pop_tot\n22560006672000;4\n",
        {"to_ssb": 1000},
        InputError,
        r"to_ssb= applies to rasters",
    ),
}


@pytest.mark.parametrize("case", BAD_CSV.values(), ids=BAD_CSV.keys())
def test_bad_csv(tmp_path: Path, case: tuple[str, dict, type, str]) -> None:
    text, kwargs, error, message = case
    with pytest.raises(error, match=message):
        read_grid(_write(tmp_path / "bad.csv", text), **kwargs)


def test_missing_file(tmp_path: Path) -> None:
    _write(tmp_path / "ru250m.csv", "ru250m;pop_tot\n")
    with pytest.raises(InputError, match=r"ru1km\.csv: grid file not found.*ru250m\.csv"):
        read_grid(tmp_path / "ru1km.csv")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"grid\.docx: unknown grid file format '\.docx'"):
        read_grid(_write(tmp_path / "grid.docx", "not a grid"))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"empty\.csv: the grid file is empty \(0 bytes\)"):
        read_grid(_write(tmp_path / "empty.csv", ""))


def test_suppression_markers_become_counted_nan(tmp_path: Path) -> None:
    rows = [
        "22560006672000;.;.",
        "22560006672250;:;4",
        "22560006672500;..;3",
        "22560006672750;-;0",
        "22560006673000;7;41,5",
        "22560006673250;3;0",
    ]
    grid = read_grid(_write(tmp_path / "m.csv", "ru250m;pop_tot;pop_ave\n" + "\n".join(rows)))
    assert grid[POP_TOT].isna().tolist() == [True] * 4 + [False] * 2
    assert not (grid[POP_TOT] == 0).any()
    # mean age: "." marker (row 1), 0 where pop_tot is unknown (row 4) or 3 (row 6) -> NaN;
    # 4 where pop_tot is suppressed stays (only 0 is a marker)
    assert grid[POP_AVE].isna().tolist() == [True, False, False, True, False, True]
    assert grid[POP_AVE].tolist()[1:3] == [4.0, 3.0]
    assert grid[POP_AVE].tolist()[4] == 41.5
    notes = grid.attrs["report"].notes
    assert notes["suppressed"] == {POP_TOT: 4, POP_AVE: 3}
    assert notes["mean_age_zero_suppressed"] == 2


def test_latin1_header_and_values(tmp_path: Path) -> None:
    text = "ru250m;befolkning_æøå;Ålder\n22560006672000;12;39,9\n22560006672250;3;x\n"
    grid = read_grid(_write(tmp_path / "l1.csv", text, encoding="latin-1"))
    assert list(grid.columns[2:4]) == ["befolkning_æøå", "Ålder"]
    assert grid["befolkning_æøå"].tolist() == [12.0, 3.0]
    assert grid["Ålder"].isna().tolist() == [False, True]  # "x" is an SSB marker
    assert grid.attrs["report"].notes["encoding"] == "latin-1"
    bad = _write(
        tmp_path / "l2.csv",
        "ru250m;befolkning_æøå\n22560006672000;tolv\n22560006672250;3\n",
        encoding="latin-1",
    )
    with pytest.raises(SchemaError, match=r"l2\.csv: column 'befolkning_æøå': 1 row: 1"):
        read_grid(bad)


def test_bom(tmp_path: Path) -> None:
    grid = read_grid(
        _write(tmp_path / "bom.csv", "ru250m;pop_tot\n22560006672000;4\n", encoding="utf-8-sig")
    )
    assert grid.attrs["report"].notes["id_column"] == "ru250m"
    assert grid[SSBID].tolist() == [22560006672000]


def test_mixed_polygon_sizes(tmp_path: Path) -> None:
    cells = pd.concat([_cells(250), _cells(1000, [(300000, 6700000)])])
    cells.to_file(tmp_path / "mixed.gpkg")
    with pytest.raises(SSBIdError, match=r"mixed\.gpkg: 1 row: 4: mixed cell sizes.*250 m \(3"):
        read_grid(tmp_path / "mixed.gpkg")


def test_polygons_that_are_not_squares(tmp_path: Path) -> None:
    cells = _cells()
    cells.loc[1, "geometry"] = shapely.box(256250, 6672000, 256500, 6672300)
    cells.to_file(tmp_path / "rect.gpkg")
    with pytest.raises(GeometryError, match=r"rect\.gpkg: 1 row: 2: .*not axis-aligned squares"):
        read_grid(tmp_path / "rect.gpkg")


def test_polygon_size_disagrees_with_name(tmp_path: Path) -> None:
    cells = _cells(1000, [(256000, 6672000)])
    cells["ru250m"] = [22560006672000]
    cells.to_file(tmp_path / "c.gpkg")
    with pytest.raises(SSBIdError, match=r"'ru250m' says 250 m; the cell polygons says 1000 m"):
        read_grid(tmp_path / "c.gpkg")


def test_gml_without_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.gml"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        _cells().set_crs(None, allow_override=True).to_file(path, driver="GML")
    with pytest.raises(CRSError, match=r"nocrs\.gml: the file has no coordinate.*crs='EPSG"):
        read_grid(path)
    assert read_grid(path, crs="EPSG:25833")[SSBID].tolist() == IDS


def test_geojson_without_crs_in_metres(tmp_path: Path) -> None:
    # No "crs" member: RFC 7946 says degrees, but these are UTM metres.
    feature = (
        '{"type": "Feature", "properties": {"pop_tot": 4}, "geometry": {"type": '
        '"Polygon", "coordinates": [[[256000, 6672000], [256250, 6672000], '
        "[256250, 6672250], [256000, 6672250], [256000, 6672000]]]}}"
    )
    path = _write(
        tmp_path / "m.geojson", f'{{"type": "FeatureCollection", "features": [{feature}]}}'
    )
    with pytest.raises(
        CRSError, match=r"m\.geojson: 1 row: 1: .*do not fit the CRS EPSG:4326 \(assumed"
    ):
        read_grid(path)
    assert read_grid(path, crs="EPSG:25833")[SSBID].tolist() == [22560006672000]


def test_declared_crs_contradicts_file(tmp_path: Path) -> None:
    _cells().to_file(tmp_path / "c.gpkg")
    with pytest.raises(
        CRSError,
        match=r"c\.gpkg: the file says its CRS is EPSG:25833, but "
        r"crs='EPSG:3035'",
    ):
        read_grid(tmp_path / "c.gpkg", crs="EPSG:3035")


def test_reading_gml_writes_nothing_beside_it(realdata, tmp_path):
    import shutil

    from geoloft.grid import read_grid

    source = realdata / "ssb-grid-oslo-1km-2019" / "BefolkningOslo1km2019.gml"
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    grid = read_grid(copy)
    assert len(grid) == 258
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]  # no .gfs written
