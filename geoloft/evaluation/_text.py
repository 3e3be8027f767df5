"""Words of the evaluation's charts, map and report section, bokmål first."""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from geoloft.labels import check_lang

TEXT: Final[dict[str, tuple[str, str]]] = {
    "section": ("Utvikling", "Development over time"),
    "intro": (
        "Endring i innsatsområdene {treated} i programperioden {start}–{end}, "
        "sammenlignet med {comparison}. Intervallene er {level} % konfidensintervaller "
        "der områdene, ikke personene, er enhetene (wild cluster bootstrap).",
        "Change in the intervention areas {treated} over the programme period "
        "{start}–{end}, compared with {comparison}. Intervals are {level} % confidence "
        "intervals with areas, not persons, as the units (wild cluster bootstrap).",
    ),
    "comparison_rest": ("resten av kommunen", "the rest of the municipality"),
    "comparison_matched": (
        "områder som lignet mest før programmet (nærmeste naboer på nivå og trend)",
        "the areas most alike before the programme (nearest neighbours on level and trend)",
    ),
    "comparison_synthetic": (
        "en vektet kontrollgruppe (syntetisk kontroll)",
        "a weighted control group (synthetic control)",
    ),
    "comparison_list": ("utvalgte sammenligningsområder", "selected comparison areas"),
    "intervention": ("Innsatsområder", "Intervention areas"),
    "comparison": ("Sammenligning", "Comparison"),
    "other": ("Andre", "Other"),
    "programme": ("Programperiode", "Programme period"),
    "year": ("År", "Year"),
    "effect": ("Forskjell i endring", "Difference in change"),
    "effect_axis": ("Forskjell fra sammenligning ({unit})", "Difference from comparison ({unit})"),
    "during": ("I perioden", "During"),
    "after": ("Etter", "After"),
    "before": ("Før", "Before"),
    "estimate": ("Anslag", "Estimate"),
    "interval": ("Intervall", "Interval"),
    "p_boot": ("p (bootstrap)", "p (bootstrap)"),
    "p_perm": ("p (placebo-områder)", "p (placebo areas)"),
    "p_synthetic": ("p (syntetisk kontroll, placebo-områder)", "p (synthetic control, placebos)"),
    "placebo_size": ("Falske funn blant placebo-områder", "False findings among placebo areas"),
    "pretrend": ("Pre-trend-test", "Pre-trend test"),
    "pretrend_ok": (
        "ingen tegn til ulik utvikling før programmet (p = {p})",
        "no sign of diverging paths before the programme (p = {p})",
    ),
    "pretrend_bad": (
        "ulik utvikling allerede før programmet (p = {p}): tolk forskjellen med forsiktighet",
        "paths diverged already before the programme (p = {p}): read the difference with care",
    ),
    "pretrend_none": (
        "kan ikke testes (for få år før programmet)",
        "cannot be tested (too few years before the programme)",
    ),
    "placebo_years": ("Placebo-år", "Placebo years"),
    "placebo_line": (
        "falsk start {year}: {estimate} ({interval}), p = {p}",
        "fake start {year}: {estimate} ({interval}), p = {p}",
    ),
    "unit_percent": ("prosentpoeng", "percentage points"),
    "unit_log": ("prosent", "per cent"),
    "unit_value": ("enheter", "units"),
    "index_axis": ("Indeks (første år = 100)", "Index (first year = 100)"),
    "level_axis": ("Nivå", "Level"),
    "change_map": (
        "Endring {phase} sammenlignet med {comparison}",
        "Change {phase} relative to {comparison}",
    ),
    "lower": ("svakere enn sammenligning", "below comparison"),
    "higher": ("sterkere enn sammenligning", "above comparison"),
    "table_estimates": ("Anslag per indikator", "Estimates per indicator"),
    "table_changes": ("Nivå og endring per område", "Level and change per area"),
    "table_balance": ("Balanse før programmet", "Balance before the programme"),
    "population_note": (
        "Folketall og sammensetning (andel barn 0–17 år og 67 år og over) står ved hver "
        "rate, fordi folk flytter inn og ut: en endret rate kan komme av nye beboere.",
        "Population and composition (share of children 0–17 and of people 67 and over) "
        "stand beside every rate, since people move in and out: a changed rate may come "
        "from new residents.",
    ),
    "cannot_show": (
        "Designet viser om områdene endret seg annerledes enn sammenligningen, ikke at "
        "programmet var årsaken: områdene ble valgt fordi de skilte seg ut, tiltak kan "
        "smitte over til naboområder, og befolkningen skifter.",
        "The design shows whether the areas changed differently from the comparison, not "
        "that the programme caused it: the areas were chosen because they stood out, "
        "measures may spill over to neighbours, and the population changes.",
    ),
    "area": ("Område", "Area"),
    "indicator": ("Indikator", "Indicator"),
    "pop_before": ("Folketall før", "Population before"),
    "pop_after": ("Folketall etter", "Population after"),
    "pop_change_pct": ("Endring folketall (%)", "Population change (%)"),
    "children_before": ("Barn før (%)", "Children before (%)"),
    "children_after": ("Barn etter (%)", "Children after (%)"),
    "elderly_before": ("67+ før (%)", "67+ before (%)"),
    "elderly_after": ("67+ etter (%)", "67+ after (%)"),
    "change_during": ("Endring i perioden", "Change during"),
    "change_after": ("Endring etter", "Change after"),
    "relative_during": ("Mot sammenligning, i perioden", "Relative, during"),
    "relative_after": ("Mot sammenligning, etter", "Relative, after"),
    "measure": ("Mål", "Measure"),
    "level": ("Nivå", "Level"),
    "trend": ("Trend per år", "Trend per year"),
    "trend_pct": ("Trend per år (%)", "Trend per year (%)"),
    "unit": ("Enhet", "Unit"),
    "to": ("til", "to"),
    "phase_during": ("i programperioden", "during the programme"),
    "phase_after": ("etter programmet", "after the programme"),
    "path_rmse": ("Avvik i forløp (RMSE)", "Path gap (RMSE)"),
    "std_difference": ("Standardisert forskjell", "Standardised difference"),
    "notes": ("Merknader", "Notes"),
    "note": ("{text}", "{text}"),
    "no_baseline": (
        "{indicator}: ingen år før {start}; {first} er utgangsåret, så anslagene måler "
        "endring etter {first}, og ulik utvikling før programmet kan ikke testes.",
        "{indicator}: no year before {start}; {first} is the baseline, so the estimates "
        "measure change after {first}, and diverging paths before the programme cannot be "
        "tested.",
    ),
    "too_few_areas": (
        "{indicator}: bare {n} områder i sammenligningen med vekt; for få til et "
        "bootstrap-intervall. Bruk placebo-testene.",
        "{indicator}: only {n} areas carry weight in the comparison; too few for a bootstrap "
        "interval. Use the placebo tests.",
    ),
    "missing_area": ("Ingen data eller utelatt", "No data or left out"),
}


def shown(values: Any, scale: str) -> Any:
    """Effects as shown to readers: log points become per cent (100 * (e^b - 1))."""
    return 100.0 * np.expm1(values) if scale == "log" else values


def word(key: str, lang: str, **fields: object) -> str:
    """Return the text for ``key`` in ``lang`` (``nb`` or ``en``) with fields filled in."""
    nb, en = TEXT[key]
    template = nb if check_lang(lang) == "nb" else en
    return template.format(**fields) if fields else template
