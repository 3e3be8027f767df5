"""``geoloft score TABLE``: living-condition scores per area, one method or all side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import typer

from geoloft.cli._app import Lang, OutFile, Overwrite, Where, app, check_lang, out, parse_where
from geoloft.cli._disclosure import (
    AllowTiny,
    DisclosureThreshold,
    NoDisclosure,
    protect_for_cli,
)

if TYPE_CHECKING:
    import pandas as pd

_METHODS = "below-average, ssb-decile, percentile, imd, rules, zscore"


class _Options(TypedDict):
    """Keyword options of :func:`geoloft.score.score_areas` that every method shares."""

    min_pop: float
    n_boot: int
    seed: int
    lang: str
    k: int | None
    allow_sensitive: bool
    missing: str


def _read(table: Path, key: str | None, where: dict[str, object] | None) -> pd.DataFrame:
    """Read the table with ``read_indicators`` (which also reports and checks keys)."""
    from geoloft.indicators import read_indicators

    return read_indicators(table, key=key, where=where)


def _rates(table: pd.DataFrame, catalogue: Path | None) -> list[Any]:
    """Return the catalogue's count indicators whose counts the table carries."""
    from geoloft.disclosure.model import Rate
    from geoloft.indicators import default_catalogue, load_catalogue

    cat = load_catalogue(catalogue) if catalogue is not None else default_catalogue()
    return [
        Rate(ind.id, str(ind.numerator), str(ind.denominator), float(ind.scale))
        for ind in cat
        if getattr(ind, "numerator", None)
        and getattr(ind, "denominator", None)
        and ind.numerator in table.columns
        and ind.denominator in table.columns
    ]


def _bases(result: pd.DataFrame, table: pd.DataFrame, catalogue: Path | None) -> dict[str, Any]:
    """Persons behind each rate given as a value (``value`` + ``population``), per area."""
    from geoloft.columns import AREA_ID
    from geoloft.indicators import default_catalogue, load_catalogue

    cat = load_catalogue(catalogue) if catalogue is not None else default_catalogue()
    keyed = table.set_index(AREA_ID)
    return {
        ind.id: keyed[ind.population].reindex(result[AREA_ID]).to_numpy()
        for ind in cat
        if getattr(ind, "value", None)
        and getattr(ind, "population", None)
        and ind.population in table.columns
        and not keyed.index.duplicated().any()
    }


def _protect(
    result: pd.DataFrame,
    table: pd.DataFrame,
    catalogue: Path | None,
    threshold: int,
    off: bool,
    allow_tiny: bool,
) -> pd.DataFrame:
    """Withhold rates whose counts the disclosure rule hides, and what they give away.

    A hidden rate takes its z-score and flag with it, and, when it was a scoring
    criterion, every composite figure of the area (index, rank, decile, domain
    scores, qualifies, status, explanation, intervals and probabilities):
    :func:`geoloft.disclosure.composites.withhold_composites`.
    """
    from geoloft.columns import AREA_ID, N_INDICATORS, NAME
    from geoloft.disclosure.composites import (
        PER_INDICATOR,
        withhold_composites,
        withhold_small_bases,
    )

    rates = _rates(table, catalogue)
    bases = _bases(result, table, catalogue)
    if not rates and not bases and not off:
        return result
    counts = [c for r in rates for c in (r.numerator, r.denominator)]
    areas = result.merge(table[[AREA_ID, *dict.fromkeys(counts)]], on=AREA_ID, how="left")
    shown = protect_for_cli(
        {"areas": areas}, threshold=threshold, off=off, allow_tiny=allow_tiny, rates=rates
    )["areas"]
    out = result.copy()
    for col in out.columns:
        if col in shown.columns and col != AREA_ID:
            out[col] = out[col].where(shown[col].notna().to_numpy() | out[col].isna())
    if not off:
        out = withhold_small_bases(out, bases, threshold=threshold)
    report = result.attrs.get("report")
    ids = [*(r.id for r in rates), *bases]
    per_indicator = {f"{i}{suffix}" for i in ids for suffix in PER_INDICATOR}
    out, _ = withhold_composites(
        result,
        out,
        indicators=ids,
        scored=set(report.notes.get("indicators") or ids) if report is not None else set(ids),
        composite=[
            str(c)
            for c in out.columns
            if c not in {AREA_ID, NAME, N_INDICATORS} and c not in per_indicator
        ],
    )
    out.attrs = result.attrs
    return out


def _protect_comparison(
    comparison: pd.DataFrame,
    frame: pd.DataFrame,
    catalogue: Path | None,
    options: _Options,
    disclosure: tuple[int, bool, bool],
) -> pd.DataFrame:
    """Withhold every method's figures of an area with a hidden criterion rate.

    The comparison table holds no rates, but each method's index and rank are
    functions of them: an area whose rate one method's score would withhold loses
    its figures under every method.
    """
    from geoloft.columns import AREA_ID, NAME
    from geoloft.disclosure.composites import blank_rows
    from geoloft.score import score_areas

    plain = options.copy()
    plain["n_boot"] = 0  # only which rates are hidden matters here
    single = score_areas(frame, catalogue, **plain)
    protected = _protect(single, frame, catalogue, *disclosure)
    lost = (single["rank"].notna() & protected["rank"].isna()).to_numpy()
    hit = comparison[AREA_ID].isin(single.loc[lost, AREA_ID]).to_numpy()
    columns = [c for c in comparison.columns if c not in (AREA_ID, NAME)]
    return blank_rows(comparison, hit, columns)


@app.command()
def score(
    table: Annotated[Path, typer.Argument(help="Indicator table per area (CSV, XLSX, XLS).")],
    output: OutFile,
    catalogue: Annotated[
        Path | None,
        typer.Option("--catalogue", "-c", help="Indicator catalogue (TOML); default: built-in."),
    ] = None,
    method: Annotated[str, typer.Option(help=f"One of {_METHODS}.")] = "below-average",
    compare: Annotated[
        bool, typer.Option("--compare", help="Score by every method, side by side.")
    ] = False,
    key: Annotated[str | None, typer.Option(help="Column with the area id.")] = None,
    where: Where = None,
    k: Annotated[int | None, typer.Option("-k", help="Worse on at least k of n.")] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="rules: ratio to the reference; index methods: share that qualifies."),
    ] = None,
    min_pop: Annotated[float, typer.Option(help="Fewer residents: no score.")] = 50.0,
    missing: Annotated[
        str,
        typer.Option(
            help="available (means over the indicators an area has) or exclude (an area "
            "missing any indicator is not scored: the CDC SVI rule)."
        ),
    ] = "available",
    n_boot: Annotated[
        int, typer.Option(min=0, max=10_000, help="Bootstrap replicates (0: none; at most 10 000).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    allow_sensitive: Annotated[
        bool,
        typer.Option(help="Allow country-of-origin indicators as criteria (needs a legal basis)."),
    ] = False,
    lang: Lang = "nb",
    overwrite: Overwrite = False,
    disclosure_threshold: DisclosureThreshold = 10,
    no_disclosure: NoDisclosure = False,
    allow_tiny_threshold: AllowTiny = False,
) -> None:
    r"""Score areas on living-condition indicators and write a CSV, one row per area.

    Rates and standardised values built on counts under the disclosure threshold are
    withheld (see docs/disclosure.md).

    Columns: area_id, status, index, rank (1 = most exposed), decile (10 = most
    exposed), qualifies, n_indicators, explanation and per indicator its rate,
    standardised value and flag.

    Example:

        geoloft score data/indicators/demoby_levekar_delbydel.csv --method imd -o scores.csv

        geoloft score data/indicators/demoby_levekar_delbydel.csv \
        --catalogue data/indicators/catalogue.toml --compare -o compare.csv
    """
    from geoloft._io import atomic_path
    from geoloft.score import compare_methods, score_areas

    check_lang(lang)
    frame = _read(table, key, parse_where(where))
    options: _Options = {"min_pop": min_pop, "n_boot": n_boot, "seed": seed, "lang": lang,
                         "k": k, "allow_sensitive": allow_sensitive,
                         "missing": missing}  # fmt: skip
    inputs = (table,) if catalogue is None else (table, catalogue)
    if compare:
        per = {"rules": {"threshold": threshold}} if threshold is not None else None
        comparison = compare_methods(frame, catalogue, per_method=per, **options)
        result = comparison.table
        out.print("Spearman rank correlation between methods:")
        out.print(comparison.spearman.round(2).to_string(), highlight=False, markup=False)
    else:
        result = score_areas(frame, catalogue, method=method, threshold=threshold, **options)
    disclosure = (disclosure_threshold, no_disclosure, allow_tiny_threshold)
    if compare:
        result = _protect_comparison(result, frame, catalogue, options, disclosure)
    else:
        result = _protect(result, frame, catalogue, *disclosure)
    from geoloft.export.formats import csv_safe

    with atomic_path(output, overwrite=overwrite, inputs=inputs) as tmp:
        csv_safe(result).to_csv(tmp, index=False)
    flags = result.filter(regex=r"(^|_)qualifies$").fillna(False).astype(bool).sum()
    if compare:
        counts = ", ".join(f"{str(c).removesuffix('_qualifies')} {n}" for c, n in flags.items())
        summary = f"{len(result)} areas scored by every method; qualify: {counts}."
    else:
        summary = f"{len(result)} areas scored ({method}); {int(flags.iloc[0])} qualify."
    out.print(f"{summary} Wrote {output}", markup=False, highlight=False)
    report = result.attrs.get("report") if not compare else None
    used = report.notes.get("sensitive_criteria") if report is not None else None
    if used:
        out.print(
            "note: sensitive criteria used because --allow-sensitive was given: "
            f"{', '.join(used)}.",
            markup=False,
            highlight=False,
        )
