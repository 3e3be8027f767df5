"""The whole pipeline: demo end to end, determinism, init + run, overwrite, provenance."""

from __future__ import annotations

import json
import sqlite3

import pyogrio
import pytest

from geoloft.cli import main
from geoloft.config import Project, load_project
from geoloft.demo import demo_data_dir, write_demo_project
from geoloft.errors import ConfigError, OutputExistsError
from geoloft.pipeline import run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One demo run from the CLI, shared by the tests that only read its output."""
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_demo_writes_the_documented_layout(demo_run):
    for rel in (
        "geoloft.gpkg",
        "intervention_areas.geojson",
        "maps/overview.html",
        "figures/overview.png",
        "report.html",
        "run.json",
    ):
        assert (demo_run / rel).is_file(), rel
    layers = {name for name, _ in pyogrio.list_layers(demo_run / "geoloft.gpkg")}
    assert {"areas", "grid", "intervention_areas", "measures"} <= layers


def test_demo_areas_and_zones_are_consistent(demo_run):
    areas = pyogrio.read_dataframe(demo_run / "geoloft.gpkg", layer="areas")
    zones = pyogrio.read_dataframe(demo_run / "geoloft.gpkg", layer="intervention_areas")
    assert areas.crs.equals("EPSG:25833")
    assert areas["area_id"].is_unique
    assert areas["area_id"].str.fullmatch(r"\d{4}").all()
    assert len(zones) >= 1
    members = {m for text in zones["members"] for m in text.split(",")}
    assert members <= set(areas["area_id"])
    # Every zone is (up to boundary precision) the union of its member units.
    for _, zone in zones.iterrows():
        units = areas[areas["area_id"].isin(zone["members"].split(","))]
        assert abs(units.union_all().area - zone.geometry.area) <= 1e-6 * zone.geometry.area


def test_gpkg_carries_qgis_styles(demo_run):
    with sqlite3.connect(demo_run / "geoloft.gpkg") as con:
        rows = con.execute("SELECT f_table_name, useAsDefault FROM layer_styles").fetchall()
    assert {name for name, _ in rows} >= {"areas", "grid"}
    assert all(flag == 1 for _, flag in rows)


def test_run_json_has_provenance(demo_run):
    record = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert record["versions"]["geoloft"]
    assert record["seed"] == 0
    assert all(len(v["sha256"]) == 64 for v in record["inputs"].values())
    stages = {s["stage"] for s in record["stages"]}
    assert {"read_boundaries", "read_grid", "read_indicators", "read_measures"} <= stages
    for stage in record["stages"]:
        assert stage["rows_out"] <= stage["rows_in"] or stage["stage"] in ("join_grid", "delineate")


def test_report_is_escaped_and_mentions_synthetic_data(demo_run):
    page = (demo_run / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nb">' in page
    assert "SYNTETISKE DATA" in page
    assert "@media print" in page
    assert "<script" not in page  # the report itself runs no script


def test_same_input_gives_identical_outputs(tmp_path):
    project = load_project(write_demo_project(tmp_path / "p"))
    first = run(project, out=tmp_path / "a")
    second = run(project, out=tmp_path / "b")
    same = [
        "intervention_areas.geojson",
        "report.html",
        "maps/overview.html",
        "maps/Z01.html",
        "figures/overview.png",
    ]
    for rel in same:
        assert (first.out / rel).read_bytes() == (second.out / rel).read_bytes(), rel
    for layer in ("areas", "grid", "intervention_areas", "measures"):
        layer_a = pyogrio.read_dataframe(first.out / "geoloft.gpkg", layer=layer)
        layer_b = pyogrio.read_dataframe(second.out / "geoloft.gpkg", layer=layer)
        assert layer_a.equals(layer_b), layer
    record_a = json.loads((first.out / "run.json").read_text(encoding="utf-8"))
    record_b = json.loads((second.out / "run.json").read_text(encoding="utf-8"))
    for record in (record_a, record_b):  # only the timestamp and timings may differ
        record.pop("created")
        record.pop("timings_s")
    assert record_a == record_b


def test_init_then_run(tmp_path):
    folder = tmp_path / "myproject"
    assert main(["init", str(folder)]) == 0
    assert (folder / "project.toml").read_text(encoding="utf-8").startswith("# geoloft")
    assert main(["run", str(folder / "project.toml"), "--only", "score"]) == 0
    assert (folder / "output" / "run.json").is_file()
    # A second run into the same folder needs --overwrite.
    assert main(["run", str(folder / "project.toml"), "--only", "score"]) == 1
    assert main(["run", str(folder / "project.toml"), "--only", "score", "--overwrite"]) == 0


def test_output_folder_may_not_hold_inputs(tmp_path):
    project = load_project(write_demo_project(tmp_path / "p"))
    with pytest.raises(OutputExistsError, match="holds input files"):
        run(project, out=tmp_path / "p" / "data")


def test_demo_data_is_found():
    assert (demo_data_dir() / "boundaries" / "demoby_delbydeler.geojson").is_file()


def test_unknown_columns_are_listed_before_any_work(tmp_path):
    path = write_demo_project(tmp_path / "p")
    text = path.read_text(encoding="utf-8")
    text = text.replace('id_column = "DELBYDEL"', 'id_column = "DELBYDL"')
    text = text.replace('key = "delbydel_id"', 'key = "delbydel"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="2 problems") as info:
        run(load_project(path), out=tmp_path / "out")
    message = str(info.value)
    assert "did you mean 'DELBYDEL'" in message
    assert "did you mean 'delbydel_id'" in message
    assert not (tmp_path / "out" / "run.json").exists()


def test_project_made_in_code_without_boundaries_is_refused(tmp_path):
    # load_project refuses a project without boundaries; run() must too, before any work
    with pytest.raises(ConfigError, match=r"'inputs\.boundaries\.path' is required"):
        run(Project(root=tmp_path), out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "${alert(3)}",
    "`+alert(4)`",
]
SMALL = "0104"  # made a delbydel of 7 persons below
# values only the small delbydel and the cells under 10 persons carry
SECRETS = ["93.71", "93,71", "4321", "4\u00a0321", "8765", "8\u00a0765"]


def _hostile_project(root):
    """The demo project with payloads in every name and one delbydel of 7 persons."""
    import numpy as np
    import pandas as pd
    import shapely

    from geoloft.boundaries import read_boundaries
    from geoloft.grid import corners_to_ssbid, read_grid

    project = write_demo_project(root)
    data = root / "data"
    path = data / "boundaries" / "demoby_delbydeler.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for i, feature in enumerate(doc["features"]):
        feature["properties"]["DELBYDELSN"] = f"{PAYLOADS[i % 4]} Område {i} æøå"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # the small delbydel keeps one cell, of 7 persons; cells under 10 get a telling mean age
    poly = read_boundaries(path).set_index("area_id").geometry[SMALL]
    grid_path = data / "grid" / "demoby_ru250m_syntetisk.csv"
    grid = read_grid(grid_path, cell_size=250)
    grid = grid[~grid.intersects(poly)]
    x, y = (np.floor(v / 250) * 250 for v in (poly.centroid.x, poly.centroid.y))
    assert poly.contains(shapely.box(x, y, x + 250, y + 250))
    ids = np.append(grid["ssbid"].to_numpy(), corners_to_ssbid(np.array([x]), np.array([y])))
    pops = np.append(grid["pop_tot"].to_numpy(), 7).astype(int)
    ages = np.where(pops < 10, 93.71, 41.0)
    rows = [f"{i};{p};{a}" for i, p, a in zip(ids, pops, ages, strict=True)]
    grid_path.write_text("ru250m;pop_tot;pop_ave\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table_path = data / "indicators" / "demoby_levekar_delbydel.csv"
    table = pd.read_csv(table_path, sep=";", dtype=str)
    small = table["delbydel_id"] == SMALL
    columns = ["lav_utdanning_n", "lav_utdanning_d", "lavinntekt_n", "lavinntekt_d"]
    table.loc[small, [*columns, "delbydel_navn"]] = ["4321", "8765", "5", "7", PAYLOADS[0]]
    table.to_csv(table_path, sep=";", index=False)
    cat_path = data / "indicators" / "catalogue.toml"
    cat_path.write_text(
        cat_path.read_text(encoding="utf-8").replace(
            'label_nb = "Lavinntekt (EU60)"', f'label_nb = "Lavinntekt {PAYLOADS[0]} {PAYLOADS[2]}"'
        ),
        encoding="utf-8",
    )
    measures_path = data / "measures" / "demoby_tiltak.csv"
    measures = pd.read_csv(measures_path, sep=";", dtype=str)
    for col, shift in (("navn", 0), ("kategori", 1), ("status", 2)):
        measures[col] = [PAYLOADS[(i + shift) % 4] for i in range(len(measures))]
    measures.to_csv(measures_path, sep=";", index=False)
    text = project.read_text(encoding="utf-8")
    title = 'title = "Levekår og innsatsområder i Demoby (SYNTETISKE DATA)"'
    text = text.replace(title, 'title = "<script>alert(9)</script>"')
    # 7 residents is under the scoring floor (min_pop counts residents), so the small
    # delbydel is locked into a zone: a hidden member must leave no figure either
    assert "lock_in = []" in text
    project.write_text(text.replace("lock_in = []", f'lock_in = ["{SMALL}"]'))
    return project


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    assert main(["run", str(_hostile_project(root / "p")), "--out", str(root / "out")]) == 0
    return root / "out"


def test_payloads_in_every_input_text_are_escaped_in_every_page(hostile_run):
    pages = [hostile_run / "report.html", *sorted((hostile_run / "maps").glob("*.html"))]
    assert len(pages) >= 3  # the report, the overview and at least one zone map
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "Område 3 æøå" in html or page.name != "overview.html"
        for raw in ("<img src=x", "<script>alert", "${alert", "`+alert", "onerror=alert(1)>"):
            assert raw not in html, (page.name, raw)


def test_small_areas_and_cells_leave_no_figure_anywhere(hostile_run):
    import html
    import re

    import numpy as np

    for path in [*hostile_run.rglob("*.html"), *hostile_run.rglob("*.json*")]:
        # Unescaped as a browser reads it (the report inlines its maps as srcdoc text).
        text = html.unescape(path.read_text(encoding="utf-8"))
        text = re.sub(r'"d":\[[-\d,]*\]', "", text)  # coordinates
        text = re.sub(r"\[ -?[\d.]+, -?[\d.]+ \]", "", text)  # GeoJSON coordinates
        for secret in SECRETS:
            assert secret not in text, (path.name, secret)
    gpkg = hostile_run / "geoloft.gpkg"
    areas = pyogrio.read_dataframe(gpkg, layer="areas").set_index("area_id")
    assert areas.loc[SMALL, "suppressed"]
    kept = {"name", "level", "parent_id", "status", "qualifies", "suppressed", "geometry"}
    shown = areas.loc[SMALL].drop(list(kept & set(areas.columns))).dropna()
    assert shown.empty, shown.to_dict()  # counts, rates, index, ranks and explanation withheld
    # the other areas keep theirs, but for those with a hidden rate (it would tell it)
    full = areas.index[areas.filter(regex="_rate$").notna().all(axis=1)]
    assert len(full) >= 15
    assert areas.loc[full, "explanation"].notna().all()
    grid = pyogrio.read_dataframe(gpkg, layer="grid")
    small = grid["suppressed"].astype(bool)
    assert small.sum() > 100
    assert "pop_ave" in grid
    assert grid.loc[small, ["pop_tot", "pop_ave"]].isna().all().all()
    assert not np.isclose(grid["pop_ave"], 93.71).any()
    zones = pyogrio.read_dataframe(gpkg, layer="intervention_areas")
    assert any(SMALL in m.split(",") for m in zones["members"])  # locked in: a member
    # a member's share goes with it, and with any hidden rate of it (areas with one lose
    # every figure computed from all their rates)
    withheld = set(areas.index[areas.filter(regex="_rate$").isna().any(axis=1)])
    assert SMALL in withheld
    for members, shares in zip(zones["members"], zones["member_stability"], strict=True):
        for member, share in zip(members.split(","), shares.split(","), strict=True):
            assert (share == ":") == (member in withheld), (member, share)
    report = (hostile_run / "report.html").read_text(encoding="utf-8")
    row = re.search(rf"<tr><td>{SMALL}</td>.*?</tr>", report)
    assert "×" not in row.group()  # no "2,2× byens snitt" for it


def test_without_a_grid_the_tables_population_rules_and_no_zone_is_no_crash(tmp_path, capsys):
    # No grid: the areas' persons come from the indicator table (the largest
    # denominator, as scoring takes it), so an area of 7 persons is withheld; and
    # with no population no intervention area reaches the floor, which is a note,
    # not a crash in the maps stage ("zones: no row has a geometry").
    import pandas as pd

    project = write_demo_project(tmp_path / "p")
    text = project.read_text(encoding="utf-8")
    start = text.index("[inputs.grid]")
    project.write_text(text[:start] + text[text.index("[inputs.indicators]") :], encoding="utf-8")
    table_path = tmp_path / "p" / "data" / "indicators" / "demoby_levekar_delbydel.csv"
    table = pd.read_csv(table_path, sep=";", dtype=str)
    dens = [c for c in table.columns if c.endswith("_d")]
    nums = [c[:-2] + "_n" for c in dens]
    table.loc[table["delbydel_id"] == SMALL, dens] = "7"
    table.loc[table["delbydel_id"] == SMALL, nums] = "3"
    table.to_csv(table_path, sep=";", index=False)
    assert main(["run", str(project), "--out", str(tmp_path / "out")]) == 0
    assert "no intervention area was drawn" in capsys.readouterr().out
    areas = pyogrio.read_dataframe(tmp_path / "out" / "geoloft.gpkg", layer="areas")
    areas = areas.set_index("area_id")
    assert areas.loc[SMALL, "suppressed"]
    assert not areas.loc["0101", "suppressed"]
    assert areas.loc[SMALL, dens + nums].isna().all()
    assert areas.loc["0101", dens + nums].notna().all()
    zones = pyogrio.read_dataframe(tmp_path / "out" / "geoloft.gpkg", layer="intervention_areas")
    assert len(zones) == 0
    assert (tmp_path / "out" / "maps" / "overview.html").is_file()
    assert (tmp_path / "out" / "report.html").is_file()


def test_run_usage_and_output_mistakes_are_one_line(tmp_path, capsys):
    project = write_demo_project(tmp_path / "p")
    # an unknown stage is a usage error (exit 2), caught before any work
    assert main(["run", str(project), "--only", "mapz"]) == 2
    assert "unknown stage mapz; use one of ingest" in capsys.readouterr().err
    assert not (tmp_path / "p" / "output" / "run.json").exists()
    # --out naming a file is bad input (exit 1), not a FileExistsError traceback
    afile = tmp_path / "out.txt"
    afile.write_text("keep me", encoding="utf-8")
    assert main(["run", str(project), "--out", str(afile), "--only", "ingest"]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err
    assert "Traceback" not in err
    assert afile.read_text(encoding="utf-8") == "keep me"


def test_maps_show_the_layers_the_project_names(tmp_path):
    # [maps] layers was missing from the project file (issue: "maps (layers, ...)")
    import re

    project = write_demo_project(tmp_path / "p")
    text = project.read_text(encoding="utf-8")
    assert 'layers = ["areas", "grid", "intervention_areas", "measures"]' in text
    project.write_text(text.replace('layers = ["areas", "grid", ', "layers = ["), encoding="utf-8")
    result = run(load_project(project), out=tmp_path / "out", only=["maps"])
    html = (result.out / "maps" / "overview.html").read_text(encoding="utf-8")
    assert "gl_geo_zones" in html
    assert "geoloft.measures(" in html
    assert "gl_geo_areas" not in html
    assert "gl_geo_grid" not in html
    assert re.search(r"maps/Z01\.html", " ".join(map(str, result.files)))
    assert (result.out / "figures" / "overview.png").is_file()  # figures keep the areas
    project.write_text(text.replace('layers = ["areas"', 'layers = ["area"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'maps\.layers' has area; use one or more of areas"):
        load_project(project)


def test_init_into_a_project_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "project.toml").write_text("# my own project\n", encoding="utf-8")
    assert main(["init", str(folder)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["project.toml"]  # no data/ copied first
    assert (folder / "project.toml").read_text(encoding="utf-8") == "# my own project\n"


def test_run_json_counts_what_disclosure_control_withheld(hostile_run):
    # one delbydel (SMALL, 7 persons) and every cell under 10 persons
    record = json.loads((hostile_run / "run.json").read_text(encoding="utf-8"))
    stages = {s["stage"]: s for s in record["stages"]}
    grid = pyogrio.read_dataframe(hostile_run / "geoloft.gpkg", layer="grid", read_geometry=False)
    withheld = "rows with figures withheld"
    assert stages["disclosure (areas)"]["notes"][withheld] == 1
    assert stages["disclosure (grid)"]["notes"][withheld] == int(grid["suppressed"].sum()) > 100
    assert stages["disclosure (grid)"]["rows_in"] == len(grid)
    assert any(
        n.startswith("disclosure: figures withheld for 1 of 36 areas") for n in record["notes"]
    )


def test_rerun_with_overwrite_removes_what_the_earlier_run_wrote_and_no_longer_does(tmp_path):
    # A zone that disappears must not leave its map and figure behind, read as current.
    path = write_demo_project(tmp_path / "p")
    out = tmp_path / "out"
    first = run(load_project(path), out=out, only=["maps"])
    zones = sorted(p.name for p in (out / "maps").glob("Z*.html"))
    assert len(zones) >= 2
    (out / "maps" / "mine.txt").write_text("my notes", encoding="utf-8")  # not the tool's
    text = path.read_text(encoding="utf-8").replace("lock_out = []", "lock_out = []\nmax_areas = 1")
    path.write_text(text, encoding="utf-8")
    second = run(load_project(path), out=out, only=["maps"], overwrite=True)
    assert sorted(p.name for p in (out / "maps").glob("Z*.html")) == ["Z01.html"]
    assert sorted(p.name for p in (out / "figures").glob("Z*.png")) == ["Z01.png"]
    assert (out / "maps" / "mine.txt").read_text(encoding="utf-8") == "my notes"
    assert any("removed" in note and "maps/Z02.html" in note for note in second.notes)
    assert len(first.files) > len(second.files)


def test_zone_rates_are_pooled_from_counts_in_per_cent(demo_run):
    import pandas as pd

    zones = pyogrio.read_dataframe(demo_run / "geoloft.gpkg", layer="intervention_areas")
    table = pd.read_csv(
        demo_data_dir() / "indicators" / "demoby_levekar_delbydel.csv",
        sep=";",
        dtype={"delbydel_id": str},
    )
    for _, zone in zones.iterrows():
        rows = table[table["delbydel_id"].isin(zone["members"].split(","))]
        expected = 100 * rows["lavinntekt_n"].sum() / rows["lavinntekt_d"].sum()
        assert zone["low_income_rate"] == pytest.approx(expected, rel=1e-12)
    info = pyogrio.read_info(demo_run / "geoloft.gpkg", layer="areas")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["qualifies"] == "bool"
