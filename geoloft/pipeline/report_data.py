"""Collect what report.html shows from a finished run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.labels import format_year, index_label, zone_index_label
from geoloft.pipeline.access import access_sections
from geoloft.pipeline.publish import measures_in, zone_members
from geoloft.report_html import IndicatorBar, ReportData, ZoneProfile, fmt_number

if TYPE_CHECKING:
    from geoloft.config import Project
    from geoloft.pipeline import RunResult

_ZONE_COLUMNS = {
    "nb": {
        C.ZONE_ID: "Id",
        C.NAME: "Navn",
        C.POP: "Befolkning",
        C.AREA_KM2: "Areal (km²)",
        C.INDEX: "Indeks",
        C.CRITERIA_MET: "Indikatorer verre enn byen",
        C.COMPACTNESS: "Kompakthet",
        C.STABILITY: "Stabilitet",
    },
    "en": {
        C.ZONE_ID: "Id",
        C.NAME: "Name",
        C.POP: "Population",
        C.AREA_KM2: "Area (km²)",
        C.INDEX: "Index",
        C.CRITERIA_MET: "Indicators worse than the city",
        C.COMPACTNESS: "Compactness",
        C.STABILITY: "Stability",
    },
}

_ZONE_DECIMALS = {C.POP: 0, C.AREA_KM2: 1, C.INDEX: 2, C.COMPACTNESS: 2, C.STABILITY: 2}

_METHOD = {
    "nb": [
        "Områdegrenser leses og projiseres til EPSG:25833; ugyldige flater repareres.",
        "Befolkning fra SSBs rutenett fordeles til områdene etter nøyaktig arealandel.",
        "Rater regnes fra tellinger (teller/nevner) etter aggregering, aldri som snitt av rater.",
        "Innsatsområder er sammenhengende områder som oppfyller kriteriet, med "
        "befolkningsgulv og -tak.",
        "Prikking: ingen tall vises for ruter eller områder under terskelen.",
    ],
    "en": [
        "Boundaries are read and projected to EPSG:25833; invalid polygons are repaired.",
        "Population from SSB's grid is apportioned to areas by exact area share.",
        "Rates are computed from counts (numerator/denominator) after aggregation.",
        "Intervention areas are contiguous qualifying areas with population floor and ceiling.",
        "Disclosure control: no figure is shown for cells or areas under the threshold.",
    ],
}


def _bars(result: RunResult, zone: pd.Series, lang: str) -> list[IndicatorBar]:
    catalogue = result.frames.get("catalogue")
    table = result.frames.get("table")
    if catalogue is None or table is None or bool(zone.get(C.SUPPRESSED, False)):
        return []  # a zone under the disclosure threshold shows no rates
    members = set(zone_members(zone))
    rows = table[table[C.AREA_ID].isin(members)]
    bars = []
    for ind in catalogue:
        num, den = getattr(ind, "numerator", None), getattr(ind, "denominator", None)
        if not num or not den or num not in table or den not in table:
            continue
        if pd.isna(zone.get(f"{ind.id}_rate", 0.0)):
            continue  # withheld by disclosure control: the bar would show it
        ref = 100 * table[num].sum() / table[den].sum()
        den_sum = rows[den].sum()
        value = 100 * rows[num].sum() / den_sum if den_sum > 0 else np.nan
        bars.append(IndicatorBar(ind.label_nb if lang == "nb" else ind.label_en, value, ref))
    return bars


def _measures_table(
    measures: gpd.GeoDataFrame | None, zone: pd.Series, lang: str
) -> pd.DataFrame | None:
    hit = measures_in(measures, zone)
    if hit is None:
        return None
    names = {
        "nb": ("Tiltak", "Kategori", "Status", "Start", "Slutt"),
        "en": ("Measure", "Category", "Status", "Start", "End"),
    }[lang]
    cols = [C.NAME, C.CATEGORY, C.STATUS, C.START_YEAR, C.END_YEAR]
    present = [c for c in cols if c in hit.columns]
    table = pd.DataFrame(hit[present]).astype(object)
    for col in (C.START_YEAR, C.END_YEAR):
        if col in table:  # years as years ("2015", never "2 015"), whatever the dtype
            table[col] = table[col].map(format_year)
    for col in (C.NAME, C.CATEGORY, C.STATUS):
        if col in table:
            table[col] = table[col].where(table[col].notna(), "")
    return table.rename(columns=dict(zip(cols, names, strict=True)))


_MEMBER_COLUMNS = {
    "nb": {
        C.AREA_ID: "Id",
        C.NAME: "Navn",
        C.INDEX: "Indeks",
        C.RANK: "Rang",
        "interval": "90 % rangintervall",
        "p_qualifies": "Andel replikater som kvalifiserer",
        "explanation": "Forklaring",
    },
    "en": {
        C.AREA_ID: "Id",
        C.NAME: "Name",
        C.INDEX: "Index",
        C.RANK: "Rank",
        "interval": "90 % rank interval",
        "p_qualifies": "Share of replicates qualifying",
        "explanation": "Explanation",
    },
}


def _member_table(
    areas: pd.DataFrame, zone: pd.Series, lang: str, method: str | None = None
) -> pd.DataFrame | None:
    """Tabulate the member areas' index, rank, 90 % rank interval and bootstrap share."""
    rows = pd.DataFrame(areas[areas[C.AREA_ID].isin(zone_members(zone))]).copy()
    if not len(rows) or C.INDEX not in rows.columns:
        return None
    if {"rank_lo", "rank_hi"} <= set(rows.columns):
        rows["interval"] = [
            "–" if pd.isna(lo) else f"{int(lo)}–{int(hi)}"
            for lo, hi in zip(rows["rank_lo"], rows["rank_hi"], strict=True)
        ]
    rows[C.INDEX] = rows[C.INDEX].round(2)
    if "p_qualifies" in rows.columns:
        rows["p_qualifies"] = rows["p_qualifies"].round(2)
    names = {**_MEMBER_COLUMNS[lang], C.INDEX: index_label(method, lang)}
    keep = [c for c in names if c in rows.columns]
    return rows[keep].rename(columns=names)


def _uncertainty(zone: pd.Series, lang: str) -> str:
    if C.STABILITY not in zone or pd.isna(zone[C.STABILITY]):
        return ""
    share = fmt_number(100 * float(zone[C.STABILITY]), 0, lang)
    if lang == "nb":
        return (
            f"Stabilitet: medlemmene kvalifiserer i gjennomsnitt i {share} % av "
            "bootstrap-replikatene (usikkerhet i ratene)."
        )
    return (
        f"Stability: members qualify in {share} % of the bootstrap replicates on "
        "average (uncertainty of the rates)."
    )


def report_data(
    result: RunResult, layers: dict[str, gpd.GeoDataFrame], record: dict[str, Any]
) -> ReportData:
    """Build the :class:`ReportData` of a run from its published layers and run record."""
    cfg = result.project
    lang = cfg.maps.lang
    zones = layers.get("intervention_areas")
    figures = result.out / "figures"
    table = None
    profiles = []
    method = cfg.score.method
    if zones is not None and len(zones):
        table = _zones_table(zones, method, lang)
        from_counts = _from_counts(zones)
        for _, zone in zones.iterrows():
            zid = str(zone[C.ZONE_ID])
            profiles.append(
                ZoneProfile(
                    zone_id=zid,
                    name=str(zone[C.NAME]),
                    figures=zone_figures(zone, lang, method=method, from_counts=from_counts),
                    bars=_bars(result, zone, lang),
                    members=zone_members(zone),
                    member_table=_member_table(layers["areas"], zone, lang, method),
                    measures=_measures_table(layers.get("measures"), zone, lang),
                    map_file=f"maps/{zid}.html"
                    if (result.out / "maps" / f"{zid}.html").exists()
                    else None,
                    figure_png=figures / f"{zid}.png",
                    uncertainty=_uncertainty(zone, lang),
                    sections=access_sections(result, zid, lang),
                )
            )
    threshold = cfg.disclosure_threshold
    note = (
        f"Prikking: tall for ruter og områder med færre enn {threshold} innbyggere vises ikke, "
        "heller ikke tall som ville gjøre dem mulige å regne ut; befolkning i områder er "
        "avrundet til nærmeste 10."
        if lang == "nb"
        else f"Disclosure control: no figures are shown for cells or areas with fewer than "
        f"{threshold} residents, nor figures from which they could be worked out; area "
        "populations are rounded to the nearest 10."
    )
    sources = [*project_sources(cfg), *([cfg.project.licence] if cfg.project.licence else [])]
    overview = result.out / "maps" / "overview.html"
    synthetic = "syntet" in (cfg.project.source + cfg.project.title).lower()
    return ReportData(
        title=cfg.project.title,
        lang=lang,
        synthetic=synthetic,
        overview_map="maps/overview.html" if overview.exists() else None,
        base=result.out,
        overview_png=figures / "overview.png",
        zones_table=table,
        profiles=profiles,
        suppression_note=note,
        method=_METHOD[lang] + _sensitive_lines(result, lang),
        sources=sources,
        about=record,
    )


def _sensitive_lines(result: RunResult, lang: str) -> list[str]:
    """State in the report which sensitive criteria the user explicitly allowed."""
    used = []
    for report in result.reports:
        notes = report.notes
        used += list(notes.get("sensitive_criteria", []))
        used += list(notes.get("sensitive criteria (allowed)", []))
    if not used:
        return []
    what = ", ".join(dict.fromkeys(used))
    if lang == "nb":
        return [
            f"Merk: kriterier om landbakgrunn, innvandring, statsborgerskap, flyktningstatus, "
            f"religion eller etnisitet ble brukt fordi prosjektet uttrykkelig tillot det "
            f"(allow_sensitive): {what}."
        ]
    return [
        f"Note: criteria of country of origin, immigrant background, citizenship, refugee "
        f"status, religion or ethnicity were used because the project explicitly allowed it "
        f"(allow_sensitive): {what}."
    ]


def project_sources(project: Project) -> list[str]:
    """Return the sources to credit: ``[project] source``, then every input by file name.

    Inputs are named by file name only (never by a local path), each once.
    """
    from geoloft.pipeline import _input_paths

    names = [p.name for p in _input_paths(project)]
    return list(dict.fromkeys(s for s in (project.project.source.strip(), *names) if s))


def _from_counts(zones: pd.DataFrame) -> bool:
    """Whether delineate recomputed the zones' index from counts (it then has ``n_criteria``)."""
    return C.N_CRITERIA in zones and bool(zones[C.N_CRITERIA].notna().any())


def _criteria(met: object, total: object, lang: str) -> str:
    """``"2 / 3"`` indicators worse than the city; ``""`` when the count is unknown."""
    try:
        k, n = float(met), float(total)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not (np.isfinite(k) and np.isfinite(n) and n > 0):
        return ""
    return f"{fmt_number(k, 0, lang)} / {fmt_number(n, 0, lang)}"


def _zones_table(zones: pd.DataFrame, method: str | None, lang: str) -> pd.DataFrame:
    """Return the zones' key figures: the index named by what it is, criteria as "k / n"."""
    names = dict(_ZONE_COLUMNS[lang])
    names[C.INDEX] = zone_index_label(method, from_counts=_from_counts(zones), lang=lang)
    table = pd.DataFrame(zones[[c for c in names if c in zones.columns]]).round(_ZONE_DECIMALS)
    if C.CRITERIA_MET in table:
        totals = zones[C.N_CRITERIA] if C.N_CRITERIA in zones else pd.Series(np.nan, zones.index)
        shown = [_criteria(k, n, lang) for k, n in zip(table[C.CRITERIA_MET], totals, strict=True)]
        if any(shown):
            table[C.CRITERIA_MET] = [s or "–" for s in shown]
        else:  # nothing is known: no column of "– / –"
            table = table.drop(columns=C.CRITERIA_MET)
    return table.rename(columns=names)


def zone_figures(
    zone: Mapping[str, Any], lang: str, *, method: str | None = None, from_counts: bool = True
) -> dict[str, str]:
    """Key figures of one intervention area as label -> formatted text.

    The area's index is named by what it is (see
    :func:`geoloft.labels.zone_index_label`): the composite z-score of its rates
    when recomputed from counts, else the members' ``method`` index averaged.
    The count of indicators worse than the city is left out when unknown.
    """
    index = zone_index_label(method, from_counts=from_counts, lang=lang)
    labels = {
        "nb": ("Befolkning", "Areal (km²)", index, "Kompakthet"),
        "en": ("Population", "Area (km²)", index, "Compactness"),
    }[lang]
    keys = (C.POP, C.AREA_KM2, C.INDEX, C.COMPACTNESS)
    digits = (0, 2, 2, 2)
    figures = {
        label: fmt_number(zone.get(key), d, lang)
        for label, key, d in zip(labels, keys, digits, strict=True)
        if key in zone
    }
    criteria = _criteria(zone.get(C.CRITERIA_MET), zone.get(C.N_CRITERIA), lang)
    if criteria:
        label = "Indikatorer verre enn byen" if lang == "nb" else "Indicators worse than the city"
        figures[label] = criteria
    return figures
