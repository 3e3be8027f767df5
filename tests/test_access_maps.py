"""The Nærmiljø map: cells beyond reach, areas by share within reach, proposed sites."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.accessibility import access, candidate_cells, choose_sites
from geoloft.accessibility.publish import publish_areas, publish_cells, publish_sites
from geoloft.grid import corners_to_ssbid
from geoloft.maps.access import make_access_map

Y0 = 6_650_000


@pytest.fixture(scope="module")
def published():
    x, y = np.meshgrid(np.arange(10) * 250, Y0 + np.arange(6) * 250)
    grid = pd.DataFrame(
        {"ssbid": corners_to_ssbid(x.ravel(), y.ravel()), "pop_tot": np.arange(60) * 7.0 + 3}
    )
    grid.attrs["cell_size"] = 250
    school = gpd.GeoDataFrame(geometry=[shapely.Point(300, Y0 + 300)], crs=25833)
    areas = gpd.GeoDataFrame(
        {"area_id": ["1", "2"], "name": ["Vest <script>", "Øst"]},
        geometry=[shapely.box(0, Y0, 1250, Y0 + 1500), shapely.box(1250, Y0, 2500, Y0 + 1500)],
        crs=25833,
    )
    res = access(grid, school, areas=areas, thresholds=[300, 500, 1000])
    sites = choose_sites(res.cells, candidate_cells(areas.iloc[[1]], 250), k=2, distance=500)
    return (
        publish_cells(res.cells),
        publish_areas(res.areas, res.thresholds),
        publish_sites(sites.sites),
        res,
    )


def test_map_has_the_three_layers_and_escapes_names(published):
    cells, areas, sites, res = published
    m = make_access_map(cells, thresholds=res.thresholds, areas=areas, sites=sites,
                        facilities=res.facilities, site_distance=500, what="skole",
                        basemap="none")  # fmt: skip
    html = m.get_root().render()
    assert "Avstand til skole (m)" in html
    for t in (300, 500, 1000):
        assert f"Andel bosatte innen {t} m" in html
    assert "Forslag 1" in html
    assert "Forslag 2" in html
    assert "<script>" not in html.split("Vest", 1)[1][:20]  # the area name is escaped
    assert "Rutene viser bosatte lenger enn 300 m fra skole." in m.notes
    # One marker layer holds the existing school and the proposals, by category.
    assert "Tilbud og forslag" in html
    assert "Eksisterende: skole" in html
    assert "Foreslått plassering" in html


def test_cells_within_the_first_threshold_are_left_out(published):
    cells, _, _, res = published
    m = make_access_map(cells, thresholds=res.thresholds, basemap="none", lang="en")
    html = m.get_root().render()
    n_far = int((res.cells["dist_nearest"] > 300).sum())
    assert n_far < len(res.cells)
    # The grid table gives, per distance class, the number of cells: they add up to the
    # cells beyond 300 m; the class bounds are the thresholds.
    table = html[html.find("Distance to the nearest facility (m)") :].split("</table>")[0]
    counts = re.findall(r'<th scope="row">([^<]*)</th><td class="num">([\d,]+)</td>', table)
    assert sum(int(n.replace(",", "")) for _, n in counts) == n_far
    labels = sorted(label for label, _ in counts)
    assert any(label.endswith(" 500") for label in labels)
    assert any(label.startswith("500") and label.endswith("1,000") for label in labels)
    assert any(label.startswith("1,000") for label in labels)


def test_suppressed_cells_show_no_population(published):
    cells, _, _, res = published
    m = make_access_map(cells, thresholds=res.thresholds, basemap="none", threshold=10)
    html = m.get_root().render()
    # The only cell under 10 persons has 3; it is drawn as withheld, its count never shown.
    assert res.cells["pop_tot"].min() == 3
    assert "skjult" in html
