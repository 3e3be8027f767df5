"""Project file validation: every problem listed at once, paths relative to the file."""

from __future__ import annotations

import pytest

from geoloft.config import load_project
from geoloft.errors import ConfigError


@pytest.fixture
def project_dir(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "areas.geojson").write_text("{}", encoding="utf-8")
    return tmp_path


def write(project_dir, text):
    path = project_dir / "project.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_project_resolves_paths(project_dir):
    path = write(project_dir, '[inputs.boundaries]\npath = "data/areas.geojson"\n')
    project = load_project(path)
    assert project.inputs.boundaries.path == (project_dir / "data" / "areas.geojson").resolve()
    assert project.score.method == "below-average"
    assert project.disclosure_threshold == 10


def test_every_problem_is_listed_at_once(project_dir):
    path = write(
        project_dir,
        """
disclosure_treshold = 5
[inputs.boundaries]
path = "data/areas.geojson"
[inputs.grid]
path = "data/nope.csv"
cell_size = "250"
[score]
method = "median"
[maps]
lang = "de"
offline = "yes"
""",
    )
    with pytest.raises(ConfigError) as info:
        load_project(path)
    text = str(info.value)
    assert str(path) in text
    assert "6 problems" in text
    assert "unknown key 'disclosure_treshold'" in text
    assert "did you mean 'disclosure_threshold'" in text
    assert "'inputs.grid.cell_size' must be a whole number" in text
    assert "nope.csv" in text
    assert "relative to the project file" in text
    assert "'score.method' is 'median'" in text
    assert "'maps.offline' must be true or false" in text
    assert "'maps.lang' is 'de'" in text


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[inputs.boundaries\npath = 1", "not valid TOML"),
        ("[score]\nmethod='imd'", r"'inputs\.boundaries\.path' is required"),
        ("inputs = 3\n", "'inputs' must be a table"),
        (
            '[inputs.boundaries]\npath = "data/areas.geojson"\n[export]\nformats = ["kml"]',
            "unknown export format",
        ),
    ],
    ids=["syntax", "no-boundaries", "not-a-table", "bad-format"],
)
def test_single_problems(project_dir, text, match):
    with pytest.raises(ConfigError, match=match):
        load_project(write(project_dir, text))


def test_missing_project_file(tmp_path):
    with pytest.raises(ConfigError, match=r"project file not found.*geoloft init"):
        load_project(tmp_path / "project.toml")


BOUNDARIES = '[inputs.boundaries]\npath = "data/areas.geojson"\n'


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[export]\nformats = [1, "gpkg"]', r"'export\.formats' must be a list of text"),
        ("[delineate]\nlock_in = [104]", r"'delineate\.lock_in' must be a list of text"),
        ("[score]\nbootstrap = -1", r"'score\.bootstrap' is -1; it must be at least 0"),
        ("[score]\nk = 0", r"'score\.k' is 0; it must be at least 1"),
        ("[delineate]\nmin_pop = -5", r"'delineate\.min_pop' is -5; it must be at least 0"),
        ("disclosure_threshold = 0", r"'disclosure_threshold' is 0; it must be at least 1"),
        (
            "[delineate]\nmin_pop = 9000\nmax_pop = 4000",
            r"'delineate\.min_pop' \(9000\) is larger than 'delineate\.max_pop' \(4000\)",
        ),
        ('[export]\ncrs = "EPSG:999999"', r"'export\.crs' is 'EPSG:999999', which is not a CRS"),
        ('[inputs.grid]\ncrs = "utm33"', r"'inputs\.grid\.crs' is 'utm33', which is not a CRS"),
        ("[inputs.indicators]\nwhere = 3", r"'inputs\.indicators\.where' must be a table"),
        (
            "[inputs.indicators]\nfilter = {aar = 1}",
            r"'inputs\.indicators\.filter' is now .*'where'",
        ),
    ],
    ids=[
        "format-not-text",
        "lock-in-numbers",
        "negative-bootstrap",
        "k-zero",
        "negative-floor",
        "threshold-zero",
        "floor-over-ceiling",
        "unknown-export-crs",
        "unknown-input-crs",
        "where-not-a-table",
        "filter-renamed-where",
    ],
)
def test_bad_values_are_config_errors_before_any_work(project_dir, text, match):
    # each of these used to pass validation and fail later with a traceback (a
    # TypeError joining the formats, a ValueError from the bootstrap, a pyproj
    # CRSError in the export stage after the maps were written)
    path = write(project_dir, text + "\n" + BOUNDARIES)
    with pytest.raises(ConfigError, match=match) as info:
        load_project(path)
    assert str(path) in str(info.value)


def test_allowed_basemaps_are_the_maps_basemaps():
    from geoloft.config import _ALLOWED
    from geoloft.maps.basemaps import BASEMAPS

    assert set(_ALLOWED[("maps", "basemap")]) == set(BASEMAPS)
