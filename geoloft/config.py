"""Project file (``project.toml``) schema and loader.

A project is a tree of frozen dataclasses with defaults, loaded from TOML with
the standard library. Every problem in a file (unknown keys with a did-you-mean,
wrong types, missing files) is collected and raised at once as a
:class:`~geoloft.errors.ConfigError`. Paths are relative to the project file.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoloft._validate import Problems
from geoloft.errors import ConfigError
from geoloft.score import METHOD_NAMES

__all__ = [
    "AccessConfig",
    "BoundariesInput",
    "DelineateConfig",
    "EvaluateConfig",
    "ExportConfig",
    "GridInput",
    "IndicatorsInput",
    "Inputs",
    "MapsConfig",
    "MeasuresInput",
    "Project",
    "ProjectInfo",
    "ScoreConfig",
    "StudyArea",
    "load_project",
]

#: Layers the maps can show (``[maps] layers``).
MAP_LAYERS = ("areas", "grid", "intervention_areas", "measures")


@dataclass(frozen=True)
class ProjectInfo:
    """Name, title and provenance of a project."""

    name: str = "geoloft-prosjekt"
    title: str = "Levekår og innsatsområder"
    source: str = ""
    licence: str = ""
    seed: int = 0


@dataclass(frozen=True)
class BoundariesInput:
    """The area units (delbydeler, grunnkretser …) to score and delineate."""

    path: Path | None = None
    id_column: str | None = None
    name_column: str | None = None
    parent_column: str | None = None
    layer: str | None = None
    crs: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class GridInput:
    """SSB grid statistics."""

    path: Path | None = None
    cell_size: int | None = None
    layer: str | None = None
    crs: str | None = None
    #: An earlier vintage of the same grid, for population change (grid indicators).
    baseline: Path | None = None


@dataclass(frozen=True)
class IndicatorsInput:
    """Indicator table per area (counts: numerators and denominators)."""

    path: Path | None = None
    key: str | None = None
    sheet: str | None = None
    where: dict[str, Any] | str = field(default_factory=dict)
    catalogue: Path | None = None


@dataclass(frozen=True)
class MeasuresInput:
    """One file of measures (tiltak) or facilities: points, lines or polygons.

    A project lists any number of them (``[[inputs.measures]]``). Only a location is
    required; ``columns`` maps geoloft's fields (``name``, ``category``, ``status``,
    ``start_year``, ``end_year``, ``budget``, ``id``) to the file's column names, and
    ``label`` names the file (and is the category of its rows when it has none).
    """

    path: Path | None = None
    label: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    where: dict[str, Any] | str = field(default_factory=dict)
    crs: str | None = None
    layer: str | None = None


@dataclass(frozen=True)
class StudyArea:
    """Where the project works; everything is cut to it right after reading.

    Without a ``[study_area]`` the study area is the extent of the boundaries
    themselves: national grid and point files are cut to the areas.
    """

    kommune: list[str] | str = field(default_factory=list)
    where: dict[str, Any] | str = field(default_factory=dict)
    path: Path | None = None
    layer: str | None = None
    crs: str | None = None
    buffer: float = 0.0
    list_outside: bool = False


@dataclass(frozen=True)
class Inputs:
    """All input files of a project."""

    boundaries: BoundariesInput = field(default_factory=BoundariesInput)
    grid: GridInput = field(default_factory=GridInput)
    indicators: IndicatorsInput = field(default_factory=IndicatorsInput)
    measures: list[MeasuresInput] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreConfig:
    """Scoring method and its parameters (see :func:`geoloft.score.score_areas`)."""

    method: str = "below-average"
    k: int | None = None
    min_pop: int = 50
    bootstrap: int = 200
    #: Allow sensitive indicators (country of origin …) as criteria; recorded in run.json.
    allow_sensitive: bool = False
    #: imd: weight of each domain, e.g. { income = 0.225, employment = 0.225 }; {}: sums.
    domain_weights: dict[str, float] = field(default_factory=dict)
    #: "available" (means over the indicators present) or "exclude" (CDC SVI rule).
    missing: str = "available"


@dataclass(frozen=True)
class DelineateConfig:
    """Delineation rules (see :func:`geoloft.delineation`)."""

    select: str = "qualifies"
    min_pop: int | None = None
    max_pop: int | None = None
    max_areas: int | None = None
    within_parent: bool = True
    lock_in: list[str] = field(default_factory=list)
    lock_out: list[str] = field(default_factory=list)
    #: Allow a sensitive column (country of origin …) in ``select``; recorded in run.json.
    allow_sensitive: bool = False


@dataclass(frozen=True)
class MapsConfig:
    """Interactive maps and figures."""

    basemap: str = "topograatone"
    lang: str = "nb"
    offline: bool = False
    #: Maps that run under a strict Content-Security-Policy (``script-src 'self'``):
    #: scripts and styles as files beside each page (maps/lib/, maps/<name>.js).
    csp: bool = False
    figures: bool = True
    layers: list[str] = field(default_factory=lambda: list(MAP_LAYERS))


@dataclass(frozen=True)
class ExportConfig:
    """Exported files for GIS staff."""

    formats: list[str] = field(default_factory=lambda: ["gpkg", "geojson"])
    crs: str = "EPSG:25833"


@dataclass(frozen=True)
class AccessConfig:
    """Nærmiljø: residents' distance to facilities and new sites (see :mod:`geoloft.accessibility`).

    The step runs when ``facilities`` names a point file or ``category`` picks the
    project's measures of those categories.
    """

    facilities: Path | None = None
    category: list[str] | str = field(default_factory=list)
    where: dict[str, Any] = field(default_factory=dict)
    select: str | None = None
    what: str | None = None
    thresholds: list[int] = field(default_factory=lambda: [300, 500, 1000])
    network: Path | None = None
    network_crs: str | None = None
    new_sites: int = 0
    objective: str = "coverage"
    distance: int | None = None
    candidates: Path | None = None
    method: str = "auto"


@dataclass(frozen=True)
class EvaluateConfig:
    """Evaluation over time (see :func:`geoloft.evaluation.evaluate`); off without ``indicators``.

    ``indicators`` is a long table (``area_id``, ``year``, ``indicator``,
    ``numerator`` + ``denominator`` or ``value``) for the project's areas; an
    empty ``treated`` means the areas inside the run's intervention areas.
    """

    indicators: Path | None = None
    population: Path | None = None
    treated: list[str] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    comparison: str = "rest"
    comparison_areas: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)
    n_matches: int = 3
    n_boot: int = 999
    n_perm: int = 999
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Project:
    """A whole project file."""

    project: ProjectInfo = field(default_factory=ProjectInfo)
    inputs: Inputs = field(default_factory=Inputs)
    study_area: StudyArea = field(default_factory=StudyArea)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    delineate: DelineateConfig = field(default_factory=DelineateConfig)
    disclosure_threshold: int = 10
    #: false publishes every figure unprotected (recorded in run.json and printed).
    disclosure: bool = True
    #: a disclosure threshold of 1 or 2 persons needs this set to true as well.
    allow_tiny_threshold: bool = False
    #: output folders of earlier runs published alongside this one (same people), or
    #: SSB grid files (SSB publishes them anyway): this run is protected jointly with
    #: them (see geoloft.disclosure.joint).
    published_with: list[Path] = field(default_factory=list)
    maps: MapsConfig = field(default_factory=MapsConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    root: Path = Path()


_ALLOWED = {
    ("score", "method"): METHOD_NAMES,
    ("score", "missing"): ("available", "exclude"),
    ("maps", "lang"): ("nb", "en"),
    # The keys of geoloft.maps.basemaps.BASEMAPS (not imported here: maps load folium).
    ("maps", "basemap"): ("topograatone", "topo", "osm", "none"),
    ("access", "objective"): ("coverage", "p-median"),
    ("access", "method"): ("auto", "exact", "heuristic"),
    ("evaluate", "comparison"): ("rest", "matched", "synthetic", "list"),
}
_FORMATS = ("gpkg", "geojson", "fgb", "shp", "parquet", "csv")
#: Smallest allowed value of whole-number settings.
_MINIMUM = {
    ("score", "k"): 1,
    ("score", "min_pop"): 0,
    ("score", "bootstrap"): 0,
    ("delineate", "min_pop"): 0,
    ("delineate", "max_pop"): 1,
    ("delineate", "max_areas"): 1,
    ("inputs.grid", "cell_size"): 1,
    ("study_area", "buffer"): 0,
    ("", "disclosure_threshold"): 1,
    ("access", "new_sites"): 0,
    ("access", "distance"): 1,
    ("evaluate", "n_matches"): 1,
    ("evaluate", "n_boot"): 0,
    ("evaluate", "n_perm"): 0,
}
#: Largest allowed value of settings that cost time or memory (a typo such as
#: ``bootstrap = 1000000000000`` would otherwise run for days or run out of memory).
_MAXIMUM = {
    ("score", "bootstrap"): 10_000,
    ("score", "k"): 1_000,
    ("inputs.grid", "cell_size"): 100_000,
    ("study_area", "buffer"): 100_000,
    ("", "disclosure_threshold"): 10_000,
    ("access", "new_sites"): 1_000,
    ("access", "distance"): 100_000,
    ("evaluate", "n_boot"): 100_000,
    ("evaluate", "n_perm"): 100_000,
}
#: Longest text setting (a title, a label, a path), in characters.
MAX_SETTING_TEXT = 1_000
#: Keys that were renamed: (section, old key) -> new key.
_RENAMED = {("inputs.indicators", "filter"): "where"}
#: Settings that name a coordinate reference system.
_CRS_KEYS = {
    ("inputs.boundaries", "crs"),
    ("inputs.grid", "crs"),
    ("inputs.measures", "crs"),
    ("study_area", "crs"),
    ("export", "crs"),
    ("access", "network_crs"),
}


def _type_ok(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is Path:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is list:
        return f"a list of {_type_name(typing.get_args(annotation)[0])} ([...])"
    if origin is dict:
        return "a table ({ key = value })"
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) > 1:
        return " or ".join(_type_name(a) for a in args)
    base = args[0] if args else annotation
    return {
        Path: "a path (text)",
        str: "text",
        int: "a whole number",
        bool: "true or false",
        float: "a number",
    }.get(base, getattr(base, "__name__", str(base)))


def _build(cls: type, data: dict[str, Any], where: str, problems: Problems, root: Path) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "root"}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        label = f"{where}.{key}" if where else key
        renamed = _RENAMED.get((where.split("[")[0], key))
        if renamed is not None and renamed in fields:
            problems.add(f"'{label}' is now called '{renamed}'.", hint=f"write {renamed} = ….")
            continue
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(fields)}."
            problems.add(f"unknown key '{label}'.", hint=hint)
            continue
        annotation = hints[key]
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            if not isinstance(value, dict):
                problems.add(f"'{label}' must be a table ([{label}]).")
                continue
            kwargs[key] = _build(annotation, value, label, problems, root)
            continue
        item = _list_of_tables(annotation)
        if item is not None:
            built = _build_tables(item, value, label, problems, root)
            if built is not None:
                kwargs[key] = built
            continue
        if not _type_ok(value, annotation):
            problems.add(f"'{label}' must be {_type_name(annotation)}, not {value!r}.")
            continue
        section = where.split("[")[0]
        allowed = _ALLOWED.get((section, key))
        if allowed and value not in allowed:
            problems.add(f"'{label}' is {value!r}; use one of {', '.join(allowed)}.")
            continue
        if not _value_ok(section, key, value, label, problems):
            continue
        if _is_path(annotation) and value is not None:
            value = _resolve(root, value, label, problems)
        kwargs[key] = value
    return cls(**kwargs)


def _resolve(root: Path, value: str | list[str], label: str, problems: Problems) -> Any:
    """Resolve a path setting (or a list of them) against the project's folder."""
    if isinstance(value, list):
        return [_existing(root / v, label, problems) for v in value]
    return _existing(root / value, label, problems)


def _existing(path: Path, label: str, problems: Problems) -> Path:
    """Resolve ``path``; record a problem when it does not exist."""
    path = path.resolve()
    if not path.exists():
        problems.add(
            f"'{label}': file not found: {path}.", hint="paths are relative to the project file."
        )
    return path


def _list_of_tables(annotation: Any) -> type | None:
    """Return the dataclass of a ``list[SomeDataclass]`` field, else None."""
    if typing.get_origin(annotation) is not list:
        return None
    (item,) = typing.get_args(annotation)
    return item if isinstance(item, type) and dataclasses.is_dataclass(item) else None


def _build_tables(
    cls: type, value: Any, label: str, problems: Problems, root: Path
) -> list[Any] | None:
    """Build a list of tables (``[[label]]``); one table (``[label]``) counts as a list of one."""
    tables = [value] if isinstance(value, dict) else value
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.add(f"'{label}' must be one table ([{label}]) or several ([[{label}]]).")
        return None
    return [
        _build(cls, t, f"{label}[{i}]" if len(tables) > 1 else label, problems, root)
        for i, t in enumerate(tables)
    ]


def _value_ok(where: str, key: str, value: Any, label: str, problems: Problems) -> bool:
    """Check ranges and CRS names; record a problem and return False if the value is bad."""
    minimum = _MINIMUM.get((where, key))
    if minimum is not None and value is not None and value < minimum:
        problems.add(f"'{label}' is {value}; it must be at least {minimum}.")
        return False
    if isinstance(value, str) and len(value) > MAX_SETTING_TEXT:
        problems.add(
            f"'{label}' is {len(value)} characters long; it must be at most {MAX_SETTING_TEXT}.",
            hint="shorten it; titles and names are drawn on maps and figures.",
        )
        return False
    maximum = _MAXIMUM.get((where, key))
    if maximum is not None and value is not None and value > maximum:
        problems.add(
            f"'{label}' is {value}; it must be at most {f'{maximum:_}'.replace('_', ' ')}.",
            hint="a smaller number gives the same answer well within its precision.",
        )
        return False
    if (where, key) in _CRS_KEYS and value is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError as ProjError

        try:
            CRS.from_user_input(value)
        except ProjError:
            problems.add(
                f"'{label}' is {value!r}, which is not a CRS pyproj knows.",
                hint="give an EPSG code such as 'EPSG:25833' or 'EPSG:25832'.",
            )
            return False
    return True


def _is_path(annotation: Any) -> bool:
    return annotation is Path or Path in typing.get_args(annotation)


def parse_project(data: dict[str, Any], *, root: Path, source: str = "project") -> Project:
    """Build a :class:`Project` from a parsed TOML mapping, listing every problem."""
    problems = Problems(source=source, error=ConfigError)
    project = _build(Project, data, "", problems, root)
    bad = [f for f in project.export.formats if f not in _FORMATS]
    if bad:
        problems.add(f"unknown export format(s) {', '.join(bad)}; use {', '.join(_FORMATS)}.")
    bad = [name for name in project.maps.layers if name not in MAP_LAYERS]
    if bad or not project.maps.layers:
        problems.add(
            f"'maps.layers' has {', '.join(bad) if bad else 'no layer'}; "
            f"use one or more of {', '.join(MAP_LAYERS)}."
        )
    if project.inputs.boundaries.path is None:
        problems.add("'inputs.boundaries.path' is required: the areas to score and map.")
    limits = project.access.thresholds
    if not limits or min(limits) <= 0 or max(limits) > _MAXIMUM[("access", "distance")]:
        problems.add(
            f"'access.thresholds' is {limits}; give positive distances in metres, "
            "e.g. [300, 500, 1000]."
        )
    for i, m in enumerate(project.inputs.measures):
        if m.path is None:
            problems.add(f"'inputs.measures' entry {i + 1} has no path.", hint='add path = "…".')
    kommune = project.study_area.kommune
    if isinstance(kommune, str):
        kommune = [kommune]
        project = dataclasses.replace(
            project, study_area=dataclasses.replace(project.study_area, kommune=kommune)
        )
    bad_kommune = [k for k in kommune if not (k.isdigit() and len(k) == 4)]
    if bad_kommune:
        problems.add(
            f"'study_area.kommune' has {', '.join(map(repr, bad_kommune))}; "
            'write kommune numbers as 4-digit text, e.g. kommune = ["0301"].'
        )
    d = project.delineate
    if d.min_pop is not None and d.max_pop is not None and d.min_pop > d.max_pop:
        problems.add(
            f"'delineate.min_pop' ({d.min_pop}) is larger than 'delineate.max_pop' ({d.max_pop})."
        )
    _check_sensitive_select(d, problems)
    _check_published_with(project, problems, "published_with")
    if project.score.domain_weights and project.score.method != "imd":
        problems.add(
            f"'score.domain_weights' has no meaning for method '{project.score.method}'.",
            hint='use it with method = "imd", or weight the indicators in the catalogue.',
        )
    problems.raise_if_any()
    return dataclasses.replace(project, root=root)


def _check_sensitive_select(d: DelineateConfig, problems: Problems) -> None:
    """Refuse a sensitive column in ``[delineate] select`` unless ``allow_sensitive``."""
    from geoloft.delineation.select import criteria_columns
    from geoloft.errors import InputError
    from geoloft.sensitive import check_criteria

    try:
        check_criteria(
            criteria_columns(d.select),
            allow=d.allow_sensitive,
            source="delineate.select",
            hint="select on living conditions ('qualifies', 'index top 10%'); show origin data "
            "as context only; if a legal basis and an assessment exist, set "
            "allow_sensitive = true under [delineate] (recorded in run.json and the report).",
        )
    except InputError as err:
        problems.add(f"'delineate.select' = {d.select!r}: {err.message}", hint=err.hint)


def _check_published_with(
    project: Project, problems: Problems, label: str, *, skip_missing: bool = True
) -> None:
    """Record why a folder or grid file in ``published_with`` cannot be protected against."""
    from geoloft.disclosure.joint import publication_problems

    for folder in project.published_with:
        if skip_missing and not folder.exists():
            continue  # already reported as not found
        for message, hint in publication_problems(folder, threshold=project.disclosure_threshold):
            problems.add(f"'{label}': {message}" if label else message, hint=hint)


def with_published_with(project: Project, folders: list[Path]) -> Project:
    """Return ``project`` published alongside these earlier runs (``--published-with``).

    The folders (or SSB grid files) replace the project file's ``published_with``;
    relative paths are taken from the working folder.

    Raises
    ------
    geoloft.errors.ConfigError
        When a folder is missing, holds no geoloft run, or was protected differently,
        or a file is not a grid in EPSG:25833.
    """
    problems = Problems(source="--published-with", error=ConfigError)
    resolved = [Path(f).resolve() for f in folders]
    replaced = dataclasses.replace(project, published_with=resolved)
    _check_published_with(replaced, problems, "", skip_missing=False)
    problems.raise_if_any()
    return replaced


def with_kommune(project: Project, kommune: list[str]) -> Project:
    """Return ``project`` working in these kommuner (as ``[study_area] kommune`` would).

    Raises
    ------
    geoloft.errors.ConfigError
        When a number is not four digits.

    Examples
    --------
    >>> with_kommune(Project(), ["301"]).study_area.kommune
    ['0301']
    """
    numbers = [k.strip().zfill(4) for k in kommune]
    bad = [k for k in numbers if not (k.isdigit() and len(k) == 4)]
    if bad:
        raise ConfigError(
            f"kommune {', '.join(bad)} is not a kommune number.",
            source="--kommune",
            hint="give 4-digit numbers, e.g. --kommune 0301.",
        )
    study = dataclasses.replace(project.study_area, kommune=numbers)
    return dataclasses.replace(project, study_area=study)


def load_project(path: str | Path) -> Project:
    r"""Read and validate a ``project.toml``.

    Parameters
    ----------
    path
        The project file. Relative paths inside it are resolved against its folder.

    Returns
    -------
    Project
        The validated project.

    Raises
    ------
    geoloft.errors.ConfigError
        Listing every problem at once: TOML syntax, unknown keys (with a
        did-you-mean), wrong types, values out of range and missing files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.geojson").write_text("{}")
    >>> _ = (d / "project.toml").write_text('[inputs.boundaries]\npath = "a.geojson"\n')
    >>> load_project(d / "project.toml").score.method
    'below-average'
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "project file not found.", source=path, hint="create one with 'geoloft init DIR'."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"not valid TOML: {err}.",
            source=path,
            hint="check quotes, brackets and '=' on that line.",
        ) from err
    return parse_project(data, root=path.parent.resolve(), source=str(path))
