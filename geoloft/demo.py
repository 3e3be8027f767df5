"""The shipped synthetic demo city ("Demoby") and its project settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import geoloft

__all__ = ["demo_data_dir", "demo_project_text", "write_demo_project"]

#: Demo files, relative to the data folder.
DEMO_FILES = {
    "boundaries": "boundaries/demoby_delbydeler.geojson",
    "grid": "grid/demoby_ru250m_syntetisk.csv",
    "indicators": "indicators/demoby_levekar_delbydel.csv",
    "catalogue": "indicators/catalogue.toml",
    "measures": "measures/demoby_tiltak.csv",
}


def demo_data_dir() -> Path:
    """Return the folder holding the demo data.

    An installed package carries it as ``geoloft._demo``; a source checkout
    (editable install) has it in the top-level ``data/`` folder.

    Returns
    -------
    pathlib.Path
        The folder with ``boundaries/``, ``grid/``, ``indicators/`` and ``measures/``.
    """
    package = Path(geoloft.__file__).resolve().parent
    installed = package / "_demo"
    if (installed / DEMO_FILES["boundaries"]).is_file():
        return installed
    source = package.parent / "data"
    if (source / DEMO_FILES["boundaries"]).is_file():
        return source
    raise FileNotFoundError(
        "demo data not found; reinstall geoloft, or run 'python scripts/make_demo_data.py' "
        "in a source checkout."
    )


def demo_project_text(data: str = "data") -> str:
    """Return a commented ``project.toml`` for the demo city, with paths under ``data``."""
    return f'''# geoloft project file. Paths are relative to this file.
# Run it with:  geoloft run project.toml --out output
# Every key is optional except inputs.boundaries.path; the defaults are shown.

disclosure_threshold = 10      # no statistic for a cell or area under this population

[project]
name = "demoby"
title = "Levekår og innsatsområder i Demoby (SYNTETISKE DATA)"
source = "Syntetiske data laget av geoloft (scripts/make_demo_data.py)"
licence = "CC0 1.0"
seed = 0                       # fixes the bootstrap and every other random draw

[inputs.boundaries]            # the units to score: delbydeler, grunnkretser ...
path = "{data}/{DEMO_FILES["boundaries"]}"
id_column = "DELBYDEL"         # detected for known Norwegian schemas when left out
name_column = "DELBYDELSN"
level = "delbydel"
# crs = "EPSG:4326"            # only needed when the file declares no CRS

[inputs.grid]                  # SSB statistikk på rutenett
path = "{data}/{DEMO_FILES["grid"]}"
cell_size = 250                # metres; read from the id column name when it says it

[inputs.indicators]            # one row per area, counts (numerator and denominator)
path = "{data}/{DEMO_FILES["indicators"]}"
key = "delbydel_id"
catalogue = "{data}/{DEMO_FILES["catalogue"]}"

[inputs.indicators.where]      # pick rows of a table that holds several years or groups
# aar = 2017                   # e.g. one year; a list picks several: kjoenn = ["Mann", "Kvinne"]

[[inputs.measures]]            # tiltak: points (lon/lat or x/y), lines or polygons
path = "{data}/{DEMO_FILES["measures"]}"
label = "Tiltak"               # names the file; the category of rows that have none
# columns = {{ name = "navn", category = "kategori" }}   # when the file's names differ
# [[inputs.measures]]          # any number of files, e.g. a national file of schools:
# path = "skoler.geojson"      # only a location is required
# label = "Skole"

[study_area]                   # where the project works; grid and measures are cut to it
# kommune = ["0301"]           # keep the areas of these kommuner (4-digit numbers)
# where = "bydelsnr != '030117'"   # or keep the areas an attribute filter selects
# path = "studieomrade.geojson"    # or a polygon file
# buffer = 0                   # metres around the study area
# list_outside = false         # true: full lists of what lay outside, as CSV files

[score]
method = "below-average"       # below-average, ssb-decile, percentile, imd, rules, zscore
# k = 4                        # below-average/rules: worse on at least k indicators
min_pop = 50                   # areas with fewer residents get a code, not a score
bootstrap = 200                # replicates for rank intervals and stability

[delineate]
select = "qualifies"           # the score stage's rule result
min_pop = 5000                 # grow or drop intervention areas under this population
# max_pop = 40000              # split areas over this population
within_parent = true           # never cross a bydel boundary
lock_in = []                   # ids always included
lock_out = []                  # ids never included

[maps]
basemap = "topograatone"       # topograatone, topo, osm or none
lang = "nb"                    # nb (bokmål) or en
offline = false                # true: one self-contained HTML file, no CDN
figures = true                 # PNG maps for reports
layers = ["areas", "grid", "intervention_areas", "measures"]  # what the web maps show

[export]
formats = ["gpkg", "geojson"]  # gpkg, geojson, fgb, shp, parquet, csv
crs = "EPSG:25833"             # EPSG:25832 is offered for Oslo, Bergen and Trondheim
'''


def write_demo_project(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Create ``folder`` with a commented ``project.toml`` and a copy of the demo data.

    Parameters
    ----------
    folder
        The project folder to create.
    overwrite
        Replace an existing ``project.toml``.

    Returns
    -------
    pathlib.Path
        The written ``project.toml``.
    """
    from geoloft._io import atomic_path
    from geoloft.errors import OutputExistsError

    folder = Path(folder)
    project = folder / "project.toml"
    if project.exists() and not overwrite:  # before anything is copied
        raise OutputExistsError(
            f"{project}: the file exists; pass overwrite=True (CLI: --overwrite) to replace it."
        )
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("data", "output"):
        (folder / sub).mkdir(exist_ok=True)
    source = demo_data_dir()
    for rel in DEMO_FILES.values():
        target = folder / "data" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if overwrite or not target.exists():
            shutil.copyfile(source / rel, target)
    if (source / "README.md").is_file():
        shutil.copyfile(source / "README.md", folder / "data" / "README.md")
    with atomic_path(project, overwrite=overwrite) as tmp:
        tmp.write_text(demo_project_text("data"), encoding="utf-8")
    return project
