"""Check a project's named columns against its input files before any work starts."""

from __future__ import annotations

import difflib
from pathlib import Path

import pyogrio

from geoloft._io import TABLE_SUFFIXES, read_text_table
from geoloft._validate import Problems
from geoloft.config import Project
from geoloft.errors import ConfigError, GeoloftError


def _columns(path: Path, layer: str | None = None) -> list[str] | None:
    """Column names of a table or vector file; ``None`` when they cannot be listed."""
    try:
        if path.suffix.lower() in {".xlsx", ".xls"}:
            return None  # the reader names workbook columns itself
        if path.suffix.lower() in TABLE_SUFFIXES:
            return list(read_text_table(path).columns)
        return [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
    except (GeoloftError, OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return None  # the stage's reader gives the precise error


def _check(
    problems: Problems, key: str, column: str | None, available: list[str] | None, path: Path
) -> None:
    if column is None or available is None:
        return
    if column in available or column.lower() in {c.lower() for c in available}:
        return
    close = difflib.get_close_matches(column, available, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"{path.name} has: {', '.join(available)}."
    problems.add(f"'{key}' names column '{column}', which {path.name} does not have.", hint=hint)


def preflight(project: Project) -> None:
    """Raise one :class:`~geoloft.errors.ConfigError` listing every unknown column.

    Checks the id, name and parent columns of the boundaries, the key and
    ``where`` columns of the indicator table, and the columns the indicator
    catalogue names, all against the files' headers.
    """
    problems = Problems(source=str(project.root / "project.toml"), error=ConfigError)
    b = project.inputs.boundaries
    if b.path is None:  # load_project checks this too; a Project made in code may lack it
        problems.add("'inputs.boundaries.path' is required: the areas to score and map.")
    else:
        cols = _columns(b.path, b.layer)
        for key, col in (
            ("id_column", b.id_column),
            ("name_column", b.name_column),
            ("parent_column", b.parent_column),
        ):
            _check(problems, f"inputs.boundaries.{key}", col, cols, b.path)
    ind = project.inputs.indicators
    if ind.path is not None:
        cols = _columns(ind.path)
        _check(problems, "inputs.indicators.key", ind.key, cols, ind.path)
        for col in ind.where if isinstance(ind.where, dict) else ():
            _check(problems, "inputs.indicators.where", col, cols, ind.path)
        if ind.catalogue is not None and cols is not None:
            _check_catalogue(problems, ind.catalogue, cols, ind.path)
    if ind.catalogue is not None and ind.catalogue.is_file():
        _check_sensitive(problems, ind.catalogue, allow=project.score.allow_sensitive)
    problems.raise_if_any()


def _check_catalogue(problems: Problems, catalogue: Path, cols: list[str], table: Path) -> None:
    from geoloft.indicators import load_catalogue

    for ind in load_catalogue(catalogue):
        for role in ("numerator", "denominator", "value", "population"):
            _check(problems, f"indicator '{ind.id}' {role}", getattr(ind, role, None), cols, table)


def _check_sensitive(problems: Problems, catalogue: Path, *, allow: bool) -> None:
    """Scored indicators of country of origin and similar need ``[score] allow_sensitive``."""
    from geoloft.indicators import load_catalogue
    from geoloft.sensitive import check_criteria

    try:
        cat = load_catalogue(catalogue)
    except GeoloftError:
        return  # the score stage names the catalogue's own problems
    marked = {i.id: str(i.sensitive_theme) for i in cat if i.is_sensitive and not i.context_only}
    try:
        check_criteria(
            list(marked),
            allow=allow,
            source=catalogue.name,
            marked=marked,
            hint="set context_only = true on them in the catalogue (shown, never scored); if a "
            "legal basis and an assessment exist, set allow_sensitive = true under [score] "
            "(recorded in run.json and the report).",
        )
    except GeoloftError as err:
        problems.add(f"indicator catalogue: {err}")
