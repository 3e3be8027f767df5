"""The evaluation as a step of a project run (``[evaluate]`` in ``project.toml``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from geoloft.errors import ConfigError
from geoloft.evaluation.core import Evaluation, evaluate
from geoloft.evaluation.output import write_all
from geoloft.evaluation.readers import read_long_table

__all__ = ["EvaluationStep", "run_step"]


class Settings(Protocol):
    """The ``[evaluate]`` settings :func:`run_step` reads (``geoloft.config.EvaluateConfig``)."""

    @property
    def indicators(self) -> Path | None: ...

    @property
    def population(self) -> Path | None: ...

    @property
    def treated(self) -> list[str]: ...

    @property
    def start(self) -> int | None: ...

    @property
    def end(self) -> int | None: ...

    @property
    def comparison(self) -> str: ...

    @property
    def comparison_areas(self) -> list[str]: ...

    @property
    def exclude(self) -> list[str]: ...

    @property
    def counts(self) -> list[str]: ...

    @property
    def n_matches(self) -> int: ...

    @property
    def n_boot(self) -> int: ...

    @property
    def n_perm(self) -> int: ...

    @property
    def notes(self) -> list[str]: ...


@dataclass
class EvaluationStep:
    """What the run's evaluation step made: the result, its files and the report section."""

    result: Evaluation
    files: dict[str, Path]
    section: str


def run_step(
    settings: Settings,
    *,
    areas: gpd.GeoDataFrame,
    run_treated: Sequence[str],
    out: Path,
    lang: str,
    overwrite: bool,
    threshold: int,
    seed: int = 0,
) -> EvaluationStep:
    """Run the evaluation a project asks for and write it to ``out / "evaluate"``.

    Parameters
    ----------
    settings
        The project's ``[evaluate]`` section.
    areas
        The run's areas (the units the indicator table is given for).
    run_treated
        Ids of the areas inside the run's intervention areas, used when the
        section names no ``treated`` areas.
    out
        The run's output folder.
    lang
        ``"nb"`` or ``"en"``.
    overwrite
        Replace existing files.
    threshold
        The run's disclosure threshold (persons).
    seed
        The project's seed.

    Returns
    -------
    EvaluationStep
        The evaluation, the files written and the "Utvikling" HTML section.

    Raises
    ------
    ConfigError
        If the section lacks the indicator table or the programme years.
    """
    if settings.indicators is None or settings.start is None or settings.end is None:
        raise ConfigError(
            "[evaluate] needs indicators, start and end.",
            source="evaluate",
            hint="name the long table (indicators = 'file.csv') and the programme years.",
        )
    table = read_long_table(settings.indicators)
    labels = None
    if "label" in table:
        labels = dict(zip(table["indicator"], table["label"].astype(str), strict=True))
    population = None
    if settings.population is not None:
        population = pd.read_csv(settings.population, dtype={"area_id": str})
    comparison: Any = (
        list(settings.comparison_areas) if settings.comparison == "list" else settings.comparison
    )
    result = evaluate(
        table,
        treated=list(settings.treated) or list(run_treated),
        start=settings.start,
        end=settings.end,
        areas=areas,
        population=population,
        comparison=comparison,
        exclude=settings.exclude,
        n_matches=settings.n_matches,
        counts=settings.counts,
        n_boot=settings.n_boot,
        n_perm=settings.n_perm,
        seed=seed,
        labels=labels,
        extra_notes=settings.notes,
    )
    files, section = write_all(
        result,
        out / "evaluate",
        lang=lang,
        overwrite=overwrite,
        threshold=threshold,
        figures=True,
    )
    return EvaluationStep(result, files, section)
