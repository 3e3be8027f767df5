"""``geoloft access``: files in, a GeoPackage and a printed summary out."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest

from geoloft.cli import main

Y0 = 6_650_000


@pytest.fixture
def files(tmp_path):
    """Five 250 m cells in a row (100..500 persons), two schools, two areas, a path."""
    rows = [f"{(250 * i + 2_000_000) * 10_000_000 + Y0};{100 * (i + 1)}" for i in range(5)]
    grid = tmp_path / "grid.csv"
    grid.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")

    def collection(features):
        return json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
                "features": features,
            }
        )

    schools = tmp_path / "skoler.geojson"
    schools.write_text(
        collection(
            [
                {
                    "type": "Feature",
                    "properties": {"id": "S1", "navn": "Øvre", "laveste_trinn": 1},
                    "geometry": {"type": "Point", "coordinates": [125, Y0 + 125]},
                },
                {
                    "type": "Feature",
                    "properties": {"id": "S2", "navn": "Ungdom", "laveste_trinn": 8},
                    "geometry": {"type": "Point", "coordinates": [1125, Y0 + 125]},
                },
            ]
        ),
        encoding="utf-8",
    )
    areas = tmp_path / "omrader.geojson"

    def box(x0, x1):
        ring = [[x0, Y0], [x1, Y0], [x1, Y0 + 250], [x0, Y0 + 250], [x0, Y0]]
        return {"type": "Polygon", "coordinates": [ring]}

    areas.write_text(
        collection(
            [
                {
                    "type": "Feature",
                    "properties": {"id": "A", "navn": "Vest"},
                    "geometry": box(0, 500),
                },
                {
                    "type": "Feature",
                    "properties": {"id": "B", "navn": "Øst"},
                    "geometry": box(500, 1250),
                },
            ]
        ),
        encoding="utf-8",
    )
    return grid, schools, areas


def test_reach_per_area_and_new_sites(files, tmp_path, capsys):
    grid, schools, areas = files
    out = tmp_path / "access.gpkg"
    args = ["access", str(grid), str(schools), "--select", "laveste_trinn <= 7",
            "--areas", str(areas), "--thresholds", "300,600", "-o", str(out),
            "--new-sites", "1", "--within", str(areas), "--distance", "300",
            "--map", str(tmp_path / "access.html"), "--what", "skole"]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "1 facilities" in text
    layers = set(pyogrio.list_layers(out)[:, 0])
    assert {"cells", "facilities", "areas_omrader", "sites"} <= layers
    a = pyogrio.read_dataframe(out, layer="areas_omrader").set_index("area_id")
    # Only S1 (at the first centre) is a primary school. West: 100 at 0 m, 200 at 250 m;
    # East: 300 at 500 m, 400 at 750 m, 500 at 1000 m.
    assert a.loc["A", "pop_within_300"] == 300
    assert a.loc["A", "mean_dist"] == pytest.approx(200 * 250 / 300)
    assert a.loc["B", "pop_within_600"] == 300
    assert a.loc["B", "share_within_600"] == pytest.approx(100 * 300 / 1200)
    sites = pyogrio.read_dataframe(out, layer="sites")
    # One new site within 300 m reaching most of the 1,200 persons beyond 300 m:
    # a centre at 750 m reaches the cells at 500, 750 and 1000 m (300 + 400 + 500).
    assert sites["pop_added"].tolist() == [1200]
    assert "New sites (coverage" in text
    page = (tmp_path / "access.html").read_text(encoding="utf-8")
    assert "Forslag 1: 1" in page  # "1 200 flere innen 300 m", with a thin space
    assert "Avstand til skole (m)" in page


def test_small_counts_are_withheld(files, tmp_path):
    grid, schools, areas = files
    out = tmp_path / "access.gpkg"
    args = ["access", str(grid), str(schools), "--areas", str(areas), "-o", str(out),
            "--thresholds", "300", "--disclosure-threshold", "350"]  # fmt: skip
    assert main(args) == 0
    a = pyogrio.read_dataframe(out, layer="areas_omrader").set_index("area_id")
    # West has 300 persons (< 350): withheld. East has 1,200; S2 (at 1125) puts the cells
    # at 875 and 1125 (900 persons) within 300 m, so 300 persons are beyond: a remainder
    # under 350 that would reveal them, so the count and share are withheld too.
    assert np.isnan(a.loc["A", "pop_tot"])
    assert a.loc["B", "pop_tot"] == 1200
    assert np.isnan(a.loc["B", "pop_within_300"])
    assert np.isnan(a.loc["B", "share_within_300"])
    cells = pyogrio.read_dataframe(out, layer="cells")
    assert cells["pop_tot"].isna().sum() == 3  # 100, 200 and 300 persons


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["-o", "x.csv"], 2, "GeoPackage"),
        (["-o", "x.gpkg", "--thresholds", "300,abc"], 2, "whole metres"),
        (["-o", "x.gpkg", "--objective", "centre"], 2, "p-median"),
        (["-o", "x.gpkg", "--select", "trinn <= 7"], 1, "trinn"),
        (["-o", "x.gpkg", "--new-sites", "2"], 2, "--candidates"),
    ],
    ids=["not-gpkg", "bad-threshold", "bad-objective", "unknown-column", "no-candidates"],
)
def test_usage_and_input_errors(files, tmp_path, capsys, extra, code, message):
    grid, schools, _ = files
    extra = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    assert main(["access", str(grid), str(schools), *extra]) == code
    captured = capsys.readouterr()
    assert message in captured.err + captured.out


def test_network_distances_from_a_line_file(files, tmp_path):
    grid, schools, _ = files
    # A path along the row of centres that turns north 500 m before reaching the east end:
    # from the school at x = 125 the path runs east to 625, north 200 m, east to 1125.
    path = tmp_path / "stier.geojson"
    coords = [[125, Y0 + 125], [625, Y0 + 125], [625, Y0 + 325], [1125, Y0 + 325]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
                "features": [
                    {"type": "Feature", "properties": {},
                     "geometry": {"type": "LineString", "coordinates": coords}}
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path / "net.gpkg"
    args = ["access", str(grid), str(schools), "--select", "laveste_trinn <= 7",
            "--network", str(path), "--thresholds", "500", "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    cells = pyogrio.read_dataframe(out, layer="cells").sort_values("ssbid")
    # Centres at 875 and 1125 join the path 200 m north of them (nearest vertex of the
    # 50 m segments), then walk back: 200 + (250 or 500) along the top + 200 + 500.
    expected = [0, 250, 500, 200 + 250 + 200 + 500, 200 + 500 + 200 + 500]
    np.testing.assert_allclose(cells["dist_nearest"], expected, atol=1e-4)
