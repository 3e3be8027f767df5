"""User-facing text in bokmål (``nb``, the default) and English (``en``).

Every word a map, figure or report shows a reader comes from :data:`TEXT`, and
every number is written by :func:`format_number`, so web maps, figures and
tables agree. Norwegian numbers follow Språkrådet and SSB: a no-break space
(U+00A0) between groups of three digits, a decimal comma and the minus sign
U+2212 (``−1 234,5``). English uses ``-1,234.5``.

The no-break space (not the narrow U+202F) was picked because every common font
has a glyph for it and it keeps numbers on one line; :func:`parse_numbers` in
``geoloft._io`` reads both back.
"""

from __future__ import annotations

import math
from typing import Final

import pandas as pd

from geoloft.errors import InputError

__all__ = [
    "LANGS",
    "TEXT",
    "check_lang",
    "format_nok",
    "format_number",
    "format_range",
    "format_year",
    "format_years",
    "index_label",
    "text",
    "zone_index_label",
]

#: Supported languages, bokmål first.
LANGS: Final = ("nb", "en")

#: Group separator in Norwegian numbers: NO-BREAK SPACE.
NB_GROUP: Final = "\u00a0"
#: Minus sign in Norwegian numbers: MINUS SIGN.
NB_MINUS: Final = "\u2212"

#: Every user-facing string: key -> (bokmål, English). ``{name}`` fields are
#: filled by :func:`text`.
TEXT: Final[dict[str, tuple[str, str]]] = {
    "map": ("Kart", "Map"),
    "map_title": ("Kart over levekår", "Map of living conditions"),
    "basemap_topograatone": ("Kartverket gråtone", "Kartverket greyscale"),
    "basemap_topo": ("Kartverket topografisk", "Kartverket topographic"),
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap_none": ("Uten bakgrunnskart", "No basemap"),
    "areas": ("Områder", "Areas"),
    "zones": ("Innsatsområder", "Intervention areas"),
    "measures": ("Tiltak", "Measures"),
    "grid": ("Befolkning per rute ({size} m)", "Population per cell ({size} m)"),
    "grid_value": ("{label} per rute ({size} m)", "{label} per cell ({size} m)"),
    "index": ("Indeks", "Index"),
    "zone_index": ("Sammensatt z-skår", "Composite z-score"),
    "pop_tot": ("Befolkning", "Population"),
    "pop_mal": ("Menn", "Males"),
    "pop_fem": ("Kvinner", "Females"),
    "pop_ave": ("Gjennomsnittsalder", "Mean age"),
    "pop": ("Befolkning", "Population"),
    "area_km2": ("Areal (km²)", "Area (km²)"),
    "members": ("Antall delområder", "Number of units"),
    "name": ("Navn", "Name"),
    "area_id": ("Nummer", "Code"),
    "category": ("Kategori", "Category"),
    "status": ("Status", "Status"),
    "years": ("År", "Years"),
    "budget": ("Budsjett", "Budget"),
    "class": ("Klasse", "Class"),
    "cells": ("Ruter", "Cells"),
    "persons": ("Personer", "Persons"),
    "suppressed": ("Skjult (under {threshold} personer)", "Suppressed (under {threshold} persons)"),
    "suppressed_short": ("skjult", "suppressed"),
    "missing": ("Ingen data", "No data"),
    "no_value": ("–", "–"),
    "search": ("Søk etter område", "Search for an area"),
    "search_button": ("Søk", "Search"),
    "search_none": ("Fant ikke området.", "No area found."),
    "fullscreen": ("Fullskjerm", "Full screen"),
    "zoom_in": ("Zoom inn", "Zoom in"),
    "zoom_out": ("Zoom ut", "Zoom out"),
    "layers": ("Kartlag", "Map layers"),
    "layer_bases": ("Bakgrunnskart", "Basemap"),
    "layer_choices": ("Fargelegging (én om gangen)", "Colouring (one at a time)"),
    "layer_overlays": ("Vis også", "Also show"),
    "layer_none": ("Ingen", "None"),
    "no_library": (
        "Det interaktive kartet kan ikke vises: kartbiblioteket (Leaflet) ble ikke lastet "
        "eller får ikke kjøre her (ingen nettforbindelse, eller siden stenger skript ute). "
        "Tallene står i tabellene under. Lag kartet med offline = true for å bruke det "
        "uten nett.",
        "The interactive map cannot be shown: the map library (Leaflet) did not load or "
        "may not run here (no network, or the page blocks scripts). The numbers are in the "
        "tables below. Make the map with offline = true to use it without a network.",
    ),
    "skip_to_tables": ("Hopp til tabellene under kartet", "Skip to the tables below the map"),
    "tables": ("Tallene i kartet", "The numbers in the map"),
    "notes": ("Merknader", "Notes"),
    "legend": ("Tegnforklaring", "Legend"),
    "scheme_quantiles": ("kvantiler", "quantiles"),
    "scheme_natural_breaks": ("naturlige brudd (Fisher-Jenks)", "natural breaks (Fisher-Jenks)"),
    "scheme_equal_interval": ("like intervaller", "equal intervals"),
    "scheme_fixed": ("faste grenser", "fixed breaks"),
    "classes_note": ("{n} klasser, {scheme}", "{n} classes, {scheme}"),
    "dissolved_note": (
        "Rutene er slått sammen per klasse fordi kartet har {n} ruter.",
        "Cells are merged per class because the map has {n} cells.",
    ),
    "disclosure_note": (
        "Tall for ruter og områder med under {threshold} innbyggere er skjult "
        "(personvern; SSB publiserer ikke antall på 1–9 personer). Skjult: {n}.",
        "Figures for cells and areas with fewer than {threshold} residents are "
        "suppressed (confidentiality; SSB publishes no counts of 1–9 persons). "
        "Suppressed: {n}.",
    ),
    "disclosure_off_note": (
        "Personvern er slått av: alle tall er vist som de er, også små antall "
        "(1–9 personer); ingenting er skjult.",
        "Disclosure control is switched off: every figure is shown as given, small "
        "counts (1–9 persons) included; nothing is withheld.",
    ),
    "no_population_note": (
        "Områdene har ingen befolkningskolonne; skjuling under {threshold} personer "
        "er ikke brukt på dem.",
        "The areas have no population column; suppression under {threshold} persons "
        "was not applied to them.",
    ),
    "offline_left_out": (
        "Uten nett: {feature} er utelatt fordi filene ikke er installert.",
        "Offline: {feature} is left out because its files are not installed.",
    ),
    "clustering": ("gruppering av tiltak", "clustering of measures"),
    "kartverket": ("© Kartverket", "© Kartverket"),
    "left_out": (
        "{layer}: {n} uten flate er ikke tegnet (tom geometri, linje eller punkt).",
        "{layer}: {n} without an area are not drawn (empty geometry, line or point).",
    ),
    "measures_left_out": (
        "Tiltak: {n} uten plassering er ikke tegnet.",
        "Measures: {n} without a location are not drawn.",
    ),
    "no_category": ("Uten kategori", "No category"),
    "index_below-average": (
        "Andel indikatorer verre enn snittet",
        "Share of indicators worse than average",
    ),
    "index_rules": ("Andel kriterier oppfylt", "Share of criteria met"),
    "index_ssb-decile": ("Gjennomsnittlig desilskår (1–10)", "Mean decile score (1–10)"),
    "index_percentile": (
        "Persentilrang av summerte persentilranger",
        "Percentile rank of summed percentile ranks",
    ),
    "index_imd": ("Deprivasjonsskår (IMD, 0–100)", "Deprivation score (IMD, 0–100)"),
    "index_zscore": ("Sammensatt z-skår", "Composite z-score"),
    "zone_index_mean": ("{label}, befolkningsvektet snitt", "{label}, population-weighted mean"),
    "criteria_unknown": (
        "ukjent (ingen indikator med teller og nevner)",
        "unknown (no indicator with numerator and denominator)",
    ),
    "osm_attribution": ("© OpenStreetMap-bidragsytere", "© OpenStreetMap contributors"),
}


def _missing(value: object) -> bool:
    """Return True for ``None``, NaN and pandas' missing markers (``<NA>``, ``NaT``)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise.

    Parameters
    ----------
    lang
        ``"nb"`` (bokmål) or ``"en"``.

    Returns
    -------
    str
        ``lang`` unchanged.

    Raises
    ------
    InputError
        For any other value.

    Examples
    --------
    >>> check_lang("nb")
    'nb'
    """
    if lang not in LANGS:
        raise InputError(
            f"unknown language {lang!r}.", source="lang", hint="use 'nb' (bokmål) or 'en'."
        )
    return lang


def text(key: str, lang: str = "nb", **fields: object) -> str:
    """Return the text for ``key`` in ``lang`` with ``{fields}`` filled in.

    Parameters
    ----------
    key
        A key of :data:`TEXT`.
    lang
        ``"nb"`` or ``"en"``.
    **fields
        Values for the ``{name}`` fields of the text.

    Returns
    -------
    str
        Plain text (not escaped; escape it where it reaches HTML).

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`TEXT`.

    Examples
    --------
    >>> text("suppressed", "nb", threshold=10)
    'Skjult (under 10 personer)'
    >>> text("measures", "en")
    'Measures'
    """
    nb, en = TEXT[key]
    template = nb if check_lang(lang) == "nb" else en
    return template.format(**fields) if fields else template


def format_number(value: float | None, *, decimals: int = 0, lang: str = "nb") -> str:
    r"""Write a number the Norwegian (``nb``) or English way.

    Parameters
    ----------
    value
        The number; ``None`` and NaN give the "missing" text.
    decimals
        Digits after the decimal mark (0 or more); the value is rounded half to
        even, as Python's :func:`format` does.
    lang
        ``"nb"``: ``1 234,5`` with a no-break space and a decimal comma, and
        U+2212 as minus sign; ``"en"``: ``1,234.5``.

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> format_number(1234.5, decimals=1) == "1\u00a0234,5"
    True
    >>> format_number(-0.25, decimals=2, lang="en")
    '-0.25'
    >>> format_number(float("nan"))
    'Ingen data'
    """
    check_lang(lang)
    if _missing(value):
        return text("missing", lang)
    number = float(value)  # type: ignore[arg-type]
    body = f"{abs(number):,.{max(int(decimals), 0)}f}"
    negative = number < 0 and any(ch not in "0.," for ch in body)
    if lang == "nb":
        body = body.replace(",", NB_GROUP).replace(".", ",")
        return (NB_MINUS if negative else "") + body
    return ("-" if negative else "") + body


def format_range(low: float, high: float, *, decimals: int = 0, lang: str = "nb") -> str:
    """Write a class range such as ``"1 000 – 2 500"``.

    Parameters
    ----------
    low, high
        Lower and upper class bounds.
    decimals
        Digits after the decimal mark.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        Both bounds formatted by :func:`format_number`, joined by a spaced en dash.

    Examples
    --------
    >>> format_range(1000, 2500, lang="en")
    '1,000 – 2,500'
    """
    return (
        f"{format_number(low, decimals=decimals, lang=lang)} – "
        f"{format_number(high, decimals=decimals, lang=lang)}"
    )


def format_nok(value: float | None, *, lang: str = "nb") -> str:
    """Write an amount in Norwegian kroner, whole kroner.

    Parameters
    ----------
    value
        Amount in NOK; ``None`` or NaN give the "missing" text.
    lang
        ``"nb"`` gives ``"1 200 000 kr"``, ``"en"`` gives ``"NOK 1,200,000"``.

    Returns
    -------
    str
        The formatted amount.

    Examples
    --------
    >>> format_nok(1200000, lang="en")
    'NOK 1,200,000'
    """
    number = format_number(value, decimals=0, lang=lang)
    if _missing(value):
        return number
    return f"{number}{NB_GROUP}kr" if lang == "nb" else f"NOK {number}"


def format_years(start: float | None, end: float | None, *, lang: str = "nb") -> str:
    """Write a span of years such as ``"2021–2024"``, ``"2021–"`` or ``"2023"``.

    Parameters
    ----------
    start, end
        First and last year; ``None`` or NaN when unknown.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        The span, or the "missing" text when both years are unknown.

    Examples
    --------
    >>> format_years(2021, 2024)
    '2021–2024'
    >>> format_years(2022, None)
    '2022–'
    """

    def year(v: float | None) -> str:
        return "" if _missing(v) else str(int(v))  # type: ignore[arg-type]

    first, last = year(start), year(end)
    if not first and not last:
        return text("missing", lang)
    if first == last:
        return first
    return f"{first}–{last}"


def format_year(value: object) -> str:
    """Write a year as a year: ``"2015"``, never ``"2 015"`` or ``"2015.0"``.

    Parameters
    ----------
    value
        The year (int, float, numeric text); ``None``, NaN and ``<NA>`` give ``""``.

    Returns
    -------
    str
        Four digits (or however many the year has), or ``""`` when missing or
        not a number.

    Examples
    --------
    >>> format_year(2015.0), format_year(None), format_year("2021")
    ('2015', '', '2021')
    """
    if _missing(value):
        return ""
    try:
        return str(int(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def index_label(method: str | None, lang: str = "nb") -> str:
    """Name an area index by what it is under a scoring method.

    Parameters
    ----------
    method
        A method of :func:`geoloft.score.score_areas` (``"below-average"``,
        ``"rules"``, ``"ssb-decile"``, ``"percentile"``, ``"imd"``,
        ``"zscore"``); ``None`` or an unknown name give the plain word "Indeks".
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        The label, e.g. ``"Andel indikatorer verre enn snittet"``.

    Examples
    --------
    >>> index_label("below-average", "en")
    'Share of indicators worse than average'
    >>> index_label(None)
    'Indeks'
    """
    key = f"index_{method}"
    return text(key, lang) if key in TEXT else text("index", lang)


def zone_index_label(method: str | None, *, from_counts: bool, lang: str = "nb") -> str:
    """Name an intervention area's index by how it was computed.

    :func:`geoloft.delineate` recomputes it from the members' counts as a
    composite z-score when it has them; otherwise it is the population-weighted
    mean of the members' index (whatever the scoring method made it).

    Parameters
    ----------
    method
        The scoring method of the members' index (see :func:`index_label`).
    from_counts
        Whether the index was recomputed from counts (the zones have
        ``n_criteria``).
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> zone_index_label("rules", from_counts=True)
    'Sammensatt z-skår'
    >>> zone_index_label("rules", from_counts=False, lang="en")
    'Share of criteria met, population-weighted mean'
    """
    if from_counts:
        return text("zone_index", lang)
    return text("zone_index_mean", lang, label=index_label(method, lang))
