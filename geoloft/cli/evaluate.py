"""``geoloft evaluate``: did the intervention areas change differently over the years."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from geoloft.cli._app import Lang, Overwrite, app, check_lang, out


def _ids(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _period(value: str) -> tuple[int, int]:
    try:
        first, last = (int(v) for v in value.replace("–", "-").split("-"))
    except ValueError:
        raise typer.BadParameter(
            "write the period as FIRST-LAST, e.g. 2007-2016.", param_hint="--period"
        ) from None
    return first, last


def _comparison(value: str) -> str | list[str]:
    return value if value in ("rest", "matched", "synthetic") else _ids(value)


def _areas(path: Path | None, id_column: str | None, name_column: str | None) -> Any:
    if path is None:
        return None
    from geoloft.boundaries import read_boundaries

    return read_boundaries(path, id_column=id_column, name_column=name_column)


def _inside(boundaries: Any, zones_path: Path) -> list[str]:
    import pyogrio

    from geoloft.errors import CRSError
    from geoloft.evaluation import areas_inside

    if boundaries is None:
        raise typer.BadParameter("--treated-from needs --areas.", param_hint="--areas")
    zones = pyogrio.read_dataframe(zones_path)  # polygons only: no ids needed
    if zones.crs is None:
        raise CRSError("the file states no CRS.", source=zones_path, hint="save it with one.")
    return areas_inside(boundaries, zones)


@app.command("evaluate")
def evaluate_command(
    indicators: Annotated[
        list[Path],
        typer.Argument(
            help="Long tables: area_id, year, indicator, numerator + "
            "denominator or value (CSV, XLSX)."
        ),
    ],
    period: Annotated[str, typer.Option("--period", help="Programme years, FIRST-LAST.")],
    folder: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    treated: Annotated[
        str | None, typer.Option("--treated", help="Intervention area ids, comma-separated.")
    ] = None,
    treated_from: Annotated[
        Path | None,
        typer.Option(
            "--treated-from",
            help="Intervention area polygons (a run's intervention_areas.geojson or any "
            "boundary file): the areas at least half inside are treated.",
        ),
    ] = None,
    areas: Annotated[
        Path | None, typer.Option("--areas", help="Boundaries: names, change map, GPKG layers.")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="Area id column.")] = None,
    name_column: Annotated[
        str | None, typer.Option("--name-column", help="Area name column.")
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option("--population", help="area_id, year, pop_tot, pop_0_17, pop_67_plus."),
    ] = None,
    comparison: Annotated[
        str, typer.Option("--comparison", help="rest, matched, synthetic or a list of ids.")
    ] = "rest",
    exclude: Annotated[
        str | None, typer.Option("--exclude", help="Area ids to leave out, comma-separated.")
    ] = None,
    counts: Annotated[
        str | None,
        typer.Option("--counts", help="Value indicators that are counts (analysed as logs)."),
    ] = None,
    n_matches: Annotated[int, typer.Option("--n-matches", help="Neighbours per area.")] = 3,
    n_boot: Annotated[
        int, typer.Option("--n-boot", min=0, max=10_000, help="Bootstrap replicates (≤ 10 000).")
    ] = 999,
    n_perm: Annotated[
        int, typer.Option("--n-perm", min=0, max=10_000, help="Placebo area sets (≤ 10 000).")
    ] = 999,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    note: Annotated[
        list[str] | None,
        typer.Option("--note", help="A sentence for the report's notes (repeatable)."),
    ] = None,
    lang: Lang = "nb",
    overwrite: Overwrite = False,
) -> None:
    """Compare how intervention areas and comparison areas changed; write tables and charts.

    Writes one CSV per table, evaluate.gpkg (a change layer per indicator),
    figures/ (trend charts, small multiples, change maps), utvikling.html and
    evaluate.json, then prints the main numbers.

    Example:

        geoloft evaluate indicators.csv --areas bydeler.gpkg --id-column bydelsnr
        --treated 030109,030110,030111,030112 --period 2007-2016 --exclude 030116,030117
        --counts population -o evaluering
    """
    import pandas as pd

    from geoloft.evaluation import closing_note, evaluate, read_long_table, write_evaluation

    lang = check_lang(lang)
    start, end = _period(period)
    if (treated is None) == (treated_from is None):
        raise typer.BadParameter(
            "give the intervention areas with --treated or --treated-from (one of them).",
            param_hint="--treated",
        )
    boundaries = _areas(areas, id_column, name_column)
    ids = _ids(treated)
    if treated_from is not None:
        ids = _inside(boundaries, treated_from)
    table = pd.concat([read_long_table(p) for p in indicators], ignore_index=True)
    labels = None
    if "label" in table:
        labels = dict(zip(table["indicator"], table["label"].astype(str), strict=True))
    pop = None
    if population is not None:
        pop = pd.read_csv(population, dtype={"area_id": str})
    result = evaluate(
        table,
        treated=ids,
        start=start,
        end=end,
        areas=boundaries,
        population=pop,
        comparison=_comparison(comparison),
        exclude=_ids(exclude),
        n_matches=n_matches,
        counts=_ids(counts),
        n_boot=n_boot,
        n_perm=n_perm,
        seed=seed,
        labels=labels,
        extra_notes=note or (),
    )
    written = write_evaluation(result, folder, lang=lang, overwrite=overwrite)
    for line in closing_note(result, lang=lang):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    out.print(f"Wrote {len(written)} files and figures to {folder}.", highlight=False)
