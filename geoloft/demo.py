"""The shipped synthetic demo city ("Demoby") and its project settings."""

from __future__ import annotations

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
# published_with = ["../output-1km"]  # earlier runs published beside this one: protect jointly
# disclosure = false           # publish every figure unprotected (printed, recorded)

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
# baseline = "ru250m_2015.csv" # an earlier vintage, for population change (source = "grid")

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
# missing = "exclude"          # an area missing any indicator is not scored (CDC SVI rule)
# domain_weights = {{ income = 0.4, work = 0.3, education = 0.2, housing = 0.1 }}   # imd
# allow_sensitive = false      # true: country of origin … as criteria (needs a legal basis)

[delineate]
select = "qualifies"           # the score stage's rule result
min_pop = 5000                 # grow or drop intervention areas under this population
# max_pop = 40000              # split areas over this population
within_parent = true           # never cross a bydel boundary
lock_in = []                   # ids always included
lock_out = []                  # ids never included
# max_areas = 4                # keep the largest few intervention areas

[maps]
basemap = "topograatone"       # topograatone, topo, osm or none
lang = "nb"                    # nb (bokmål) or en
offline = false                # true: one self-contained HTML file, no CDN
figures = true                 # PNG maps for reports
layers = ["areas", "grid", "intervention_areas", "measures"]  # what the web maps show
# csp = true                   # scripts as files beside each page (strict Content-Security-Policy)

[export]
formats = ["gpkg", "geojson"]  # gpkg, geojson, fgb, shp, parquet, csv
crs = "EPSG:25833"             # EPSG:25832 is offered for Oslo, Bergen and Trondheim

# [access]                     # Nærmiljø: distance to facilities, new sites (docs/access.md)
# category = ["fysisk"]        # the measures of these categories, or facilities = "skoler.geojson"
# thresholds = [300, 500, 1000]  # metres
# new_sites = 3

# [evaluate]                   # change over time against a comparison group (docs/evaluate.md)
# indicators = "historikk.csv" # area_id, year, indicator, numerator + denominator or value
# start = 2007
# end = 2016
# comparison = "rest"          # rest, matched, synthetic or list
'''


def _planned_files(folder: Path) -> dict[Path, bytes]:
    """Every file ``geoloft init`` writes into ``folder``, with its content."""
    source = demo_data_dir()
    names = [*DEMO_FILES.values()]
    if (source / "README.md").is_file():
        names.append("README.md")
    files = {folder / "data" / rel: (source / rel).read_bytes() for rel in names}
    files[folder / "project.toml"] = demo_project_text("data").encode("utf-8")
    return files


def write_demo_project(
    folder: str | Path, *, overwrite: bool = False, replace_edited: bool = False
) -> Path:
    """Create ``folder`` with a commented ``project.toml`` and a copy of the demo data.

    A file that is already there is never replaced silently: the user may have
    edited it.

    Parameters
    ----------
    folder
        The project folder to create.
    overwrite
        Complete an existing project folder: write the files that are missing
        and leave the ones identical to geoloft's alone. Refuses, writing
        nothing, when an existing file differs from what would be written.
        Without it, an existing ``project.toml`` is refused (other existing
        files are kept as they are).
    replace_edited
        Also replace existing files that differ (the user's edits are lost).

    Returns
    -------
    pathlib.Path
        The ``project.toml`` of the folder.

    Raises
    ------
    OutputExistsError
        ``project.toml`` exists and ``overwrite`` is False, or existing files
        differ from geoloft's and ``replace_edited`` is False (the message
        lists them).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "p"
    >>> write_demo_project(folder).name
    'project.toml'
    >>> _ = (folder / "project.toml").write_text("# mine")
    >>> write_demo_project(folder, overwrite=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geoloft.errors.OutputExistsError: ...differ from what geoloft init writes: project.toml...
    """
    from geoloft._io import atomic_path
    from geoloft.errors import OutputExistsError

    folder = Path(folder)
    project = folder / "project.toml"
    overwrite = overwrite or replace_edited
    if project.exists() and not overwrite:  # before anything is copied
        raise OutputExistsError(
            f"{project}: the file exists. Fix: pass overwrite=True (command line: --overwrite) "
            "to add only what is missing; a file that differs from geoloft's is never replaced."
        )
    planned = _planned_files(folder)
    existing = {path for path in planned if path.exists()}
    if not overwrite:  # without the flag, files already in the folder are kept as they are
        planned = {path: data for path, data in planned.items() if path not in existing}
    edited = sorted(p for p in existing & planned.keys() if p.read_bytes() != planned[p])
    if edited and not replace_edited:
        listed = ", ".join(str(p.relative_to(folder)) for p in edited)
        raise OutputExistsError(
            f"{folder}: {len(edited)} existing file(s) differ from what geoloft init writes: "
            f"{listed}. Nothing was written. Fix: move them away to keep your edits, or pass "
            "replace_edited=True (command line: --replace-edited) to replace them with geoloft's."
        )
    for sub in ("data", "output"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for path, data in planned.items():
        if path in existing and path not in edited:
            continue  # identical: leave it (and its timestamp) alone
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, overwrite=True) as tmp:
            tmp.write_bytes(data)
    return project
