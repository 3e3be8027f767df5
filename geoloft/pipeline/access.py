"""The project's Nærmiljø step: access to facilities, new sites, and what of it is published.

Runs when the project file's ``[access]`` names a ``facilities`` file or
measure ``category``/``categories``. Everything it publishes goes through
:mod:`geoloft.accessibility.publish` (the row rule and rounding), and then through the
run's disclosure model with every other figure (:mod:`geoloft.disclosure.access_rows`):
cell populations stay in the grid layer, and ``access_cells`` says which area,
intervention area and new site count each cell, so that ``geoloft audit`` rebuilds the
access figures as sums of the grid's cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C

if TYPE_CHECKING:
    from geoloft.accessibility import AccessResult, SitingResult
    from geoloft.pipeline import RunResult

#: Keys of the run's frames.
ACCESS, ZONES, SITES = "access", "access_zones", "access_sites"
#: Frames keys: per cell its area, zone and sites; the layers as protected; totals withheld.
_LINKS, _PROTECTED, _WITHHELD = "_access_links", "_access_published", "_access_withheld"
_NOTE = "_access_note"  # position of the run's note on access in result.notes
#: Columns of the areas that the access summary keeps (it adds its own figures).
_AREA_KEYS = (C.AREA_ID, C.NAME, C.LEVEL, C.PARENT_ID)
#: Descriptions of the access layers in geoloft.gpkg.
ACCESS_DESCRIPTIONS = {
    "access_cells": "Nærmiljø: avstand fra hver rute til nærmeste tilbud, tilbud innen "
    "rekkevidde, og hvilket område, innsatsområde og nytt sted som teller ruten",
    "access_facilities": "Nærmiljø: tilbudene avstanden er målt til",
    "access_areas": "Nærmiljø: bosatte innen rekkevidde per område (prikket, avrundet)",
    "access_zones": "Nærmiljø: bosatte innen rekkevidde per innsatsområde (prikket, avrundet)",
    "access_sites": "Nærmiljø: foreslåtte nye steder og bosatte hvert når (prikket, avrundet)",
}

_ROWS = {
    "nb": {
        "within": "Bosatte innen {t} m",
        "mean": "Gjennomsnittlig avstand (m)",
        "n": "Tilbud i området",
        "per_1000": "Tilbud per 1 000 bosatte",
        "title": "Nærmiljø: avstand til {what}",
        "facility": "nærmeste tilbud",
        "sites": "Foreslåtte nye steder (flere innen {t} m)",
    },
    "en": {
        "within": "Residents within {t} m",
        "mean": "Mean distance (m)",
        "n": "Facilities in the area",
        "per_1000": "Facilities per 1,000 residents",
        "title": "Neighbourhood: distance to {what}",
        "facility": "the nearest facility",
        "sites": "Proposed new sites (more within {t} m)",
    },
}


def _config(result: RunResult) -> Any:
    cfg = getattr(result.project, "access", None)
    if cfg is None or (cfg.facilities is None and not _categories(cfg)):
        return None
    return cfg


def _categories(cfg: Any) -> list[str]:
    value = getattr(cfg, "category", None) or []
    return [value] if isinstance(value, str) else list(value)


def _facilities(result: RunResult, cfg: Any) -> gpd.GeoDataFrame | None:
    from geoloft.accessibility import select_rows

    if cfg.facilities is not None:
        from geoloft.measures import read_measures

        frame = read_measures(cfg.facilities)
        source = str(cfg.facilities)
    else:
        frame = result.frames.get("measures")
        if frame is None:
            result.notes.append("access: [access] category needs measures; none were read.")
            return None
        source = "measures"
    wanted = {c.casefold() for c in _categories(cfg)}
    if wanted:
        cats = frame[C.CATEGORY].astype("string").str.strip().str.casefold()
        frame = frame[cats.isin(wanted).fillna(False).to_numpy(dtype=bool)]
    frame = select_rows(frame, cfg.where or None, source=source)
    return select_rows(frame, cfg.select, source=source)


def _zone_areas(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {C.AREA_ID: zones[C.ZONE_ID].astype(str).to_numpy(), C.NAME: zones[C.NAME].to_numpy()},
        geometry=zones.geometry.to_numpy(),
        crs=zones.crs,
        index=zones.index,
    )


def run_access(result: RunResult) -> None:
    """Measure access for the project's cells and areas; choose new sites if asked."""
    cfg = _config(result)
    if cfg is None:
        return
    grid = result.frames.get("grid")
    if grid is None:
        result.notes.append("access: no grid, so no residents to measure from; skipped.")
        return
    from geoloft.accessibility import access, access_by_area, read_network

    facilities = _facilities(result, cfg)
    if facilities is None:
        return
    network = None
    if cfg.network is not None:
        network = read_network(cfg.network, crs=cfg.network_crs)
    areas = result.frames["areas"]
    res = access(
        grid,
        facilities,
        areas=areas[[c for c in _AREA_KEYS if c in areas.columns] + [areas.geometry.name]],
        thresholds=cfg.thresholds,
        network=network,
    )
    result.frames[ACCESS] = res
    result.reports.append(_published_report(result, res))
    zones = result.frames.get("zones")
    if zones is not None and len(zones):
        result.frames[ZONES] = access_by_area(
            res.cells, _zone_areas(zones), facilities=res.facilities
        )
    if cfg.new_sites:
        sites = _sites(result, cfg, res, network)
        if sites is not None:
            result.frames[SITES] = sites
            result.reports.append(sites.report)
    result.frames[_LINKS] = _links(result, res)
    result.frames[_NOTE] = len(result.notes)
    result.notes.append(_note(result))


def _note(result: RunResult) -> str:
    """Return the run's note on access: facilities and persons within reach, as published."""
    res: AccessResult = result.frames[ACCESS]
    summary = access_summary(result)
    counts = [summary[f"persons within {t} m"] for t in res.thresholds]
    shown = ", ".join(
        f"{t} m: {'hidden' if n is None else f'{n:,.0f}'}"
        for t, n in zip(res.thresholds, counts, strict=True)
    )
    return (
        f"access: {summary['facilities']} facilities ({summary['metric']}); persons within {shown}."
    )


def _links(result: RunResult, res: AccessResult) -> pd.DataFrame:
    """Per access cell: the area, intervention area and new sites whose figures count it."""
    from geoloft.accessibility.siting import SITE_ADDED, SITE_SERVED
    from geoloft.accessibility.summary import cell_areas
    from geoloft.disclosure.access_rows import CELL_AREA, CELL_ZONE

    links = pd.DataFrame(index=res.cells.index)
    if res.areas is not None:
        links[CELL_AREA] = cell_areas(res.cells, result.frames["areas"])
    zones = result.frames.get("zones")
    if result.frames.get(ZONES) is not None and zones is not None:
        links[CELL_ZONE] = cell_areas(res.cells, _zone_areas(zones))
    sites: SitingResult | None = result.frames.get(SITES)
    if sites is not None and sites.cells is not None:
        for col in (SITE_ADDED, SITE_SERVED):
            if col in sites.cells.columns:
                links[col] = sites.cells[col].reindex(links.index)
    return links


def _published_report(result: RunResult, res: AccessResult) -> Any:
    """Return the access stage report for run.json, its counts of persons as published."""
    import dataclasses

    summary = access_summary(result)
    notes = {k: v for k, v in res.report.notes.items() if not k.startswith("persons")}
    notes.update({k: v for k, v in summary.items() if k.startswith("persons")})
    return dataclasses.replace(res.report, notes=notes)


def _sites(result: RunResult, cfg: Any, res: AccessResult, network: Any) -> SitingResult | None:
    from geoloft.accessibility import candidate_cells, choose_sites
    from geoloft.accessibility._inputs import cell_size_of

    if cfg.candidates is not None:
        from geoloft.measures import read_measures

        candidates = read_measures(cfg.candidates)
    else:
        zones = result.frames.get("zones")
        if zones is None or not len(zones):
            result.notes.append(
                "access: new sites need intervention areas or [access] candidates; none chosen."
            )
            return None
        candidates = candidate_cells(
            _zone_areas(zones), cell_size_of(res.cells), id_column=C.AREA_ID
        )
    return choose_sites(
        res.cells,
        candidates,
        k=cfg.new_sites,
        distance=cfg.distance if cfg.distance is not None else res.thresholds[-1],
        objective=cfg.objective,
        network=network,
        method=cfg.method,
    )


def access_layers(result: RunResult) -> dict[str, gpd.GeoDataFrame]:
    """Return the access layers as they may leave the tool (empty without an access step).

    ``access_cells`` (distances, facility counts and the area, intervention area and
    sites that count each cell; no population: that is in the grid layer),
    ``access_areas``, ``access_zones``, ``access_sites`` and ``access_facilities``.
    With disclosure control they are protected with every other figure of the run
    (:func:`geoloft.pipeline.publish.published`).
    """
    if result.frames.get(ACCESS) is None:
        return {}
    if getattr(result.project, "disclosure", True):
        from geoloft.pipeline.publish import published

        published(result)
        protected = result.frames.get(_PROTECTED)
        if protected is not None:
            return dict(protected)
    return access_for_protection(result)[0]


def access_for_protection(result: RunResult) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, Any]]:
    """Return the access layers after the row rule and rounding, and the totals' notes.

    What the run's disclosure model takes in (:func:`geoloft.pipeline.publish._protect`);
    empty without an access step.
    """
    from geoloft.accessibility.publish import publish_areas, publish_sites

    res: AccessResult | None = result.frames.get(ACCESS)
    if res is None:
        return {}, {}
    threshold = result.project.disclosure_threshold
    links = result.frames.get(_LINKS)
    cells = res.cells.drop(columns=[C.POP_TOT], errors="ignore")
    if links is not None:
        cells = cells.join(links)
    layers = {"access_cells": cells, "access_facilities": res.facilities}
    if res.areas is not None:
        layers["access_areas"] = publish_areas(res.areas, res.thresholds, threshold=threshold)
    zones = result.frames.get(ZONES)
    if zones is not None:
        layers["access_zones"] = publish_areas(zones, res.thresholds, threshold=threshold)
    sites: SitingResult | None = result.frames.get(SITES)
    if sites is not None:
        layers["access_sites"] = publish_sites(sites.sites, threshold=threshold)
    notes = {k: v for k, v in access_summary(result).items() if k.startswith("persons")}
    return layers, {"thresholds_m": res.thresholds, **notes}


def keep_protected(
    result: RunResult, layers: dict[str, gpd.GeoDataFrame], withheld: list[str]
) -> None:
    """Keep the protected access layers; withhold the run record's totals the model hid.

    ``layers`` are the access layers as protection returned them; ``withheld`` the
    totals (``persons``, ``persons within <t> m``) it withheld.
    """
    result.frames[_PROTECTED] = layers
    if not withheld or result.frames.get(ACCESS) is None:
        return
    result.frames[_WITHHELD] = set(withheld)
    for report in result.reports:
        if report.stage == "access":
            for key in withheld:
                report.notes[key] = None
    at = result.frames.get(_NOTE)
    if at is not None:
        result.notes[at] = _note(result)


def write_access_map(result: RunResult, grid: gpd.GeoDataFrame | None, *, overwrite: bool) -> None:
    """Write maps/access.html: cells beyond reach, areas by reach, proposed sites.

    ``grid`` is the published grid layer: the cells' population comes from it.
    """
    from geoloft.maps import save_map
    from geoloft.maps.access import make_access_map

    layers = access_layers(result)
    if not layers or grid is None:
        return
    cfg = result.project
    res: AccessResult = result.frames[ACCESS]
    cells = layers["access_cells"].merge(
        pd.DataFrame({C.SSBID: grid[C.SSBID].to_numpy(), C.POP_TOT: grid[C.POP_TOT].to_numpy()}),
        on=C.SSBID,
        how="left",
    )
    sites: SitingResult | None = result.frames.get(SITES)
    m = make_access_map(
        cells,
        thresholds=res.thresholds,
        areas=layers.get("access_areas"),
        sites=layers.get("access_sites"),
        facilities=layers.get("access_facilities"),
        site_distance=None if sites is None else sites.report.notes.get("distance_m"),
        what=cfg.access.what,
        lang=cfg.maps.lang,
        threshold=cfg.disclosure_threshold,
        basemap=cfg.maps.basemap,
        offline=cfg.maps.offline,
    )
    path = result.out / "maps" / "access.html"
    save_map(m, path, overwrite=overwrite)
    result.files.append(path)


def zone_access_table(result: RunResult, zone_id: str, lang: str) -> pd.DataFrame | None:
    """Return the Nærmiljø table of one intervention area (published figures), or ``None``."""
    from geoloft.accessibility import MEAN_DIST, N_FACILITIES, PER_1000, pop_within, share_within
    from geoloft.labels import format_number

    layers = access_layers(result)
    zones = layers.get("access_zones")
    if zones is None:
        return None
    rows = zones[zones[C.AREA_ID].astype(str) == str(zone_id)]
    if not len(rows):
        return None
    row = rows.iloc[0]
    words = _ROWS[lang]
    res: AccessResult = result.frames[ACCESS]

    def number(value: Any, decimals: int = 0) -> str:
        return ":" if pd.isna(value) else format_number(float(value), decimals=decimals, lang=lang)

    lines = []
    for t in res.thresholds:
        count, share = row.get(pop_within(t)), row.get(share_within(t))
        text = f"{number(count)} ({number(share, 1)} %)" if not pd.isna(count) else ":"
        lines.append((words["within"].format(t=t), text))
    lines.append((words["mean"], number(row.get(MEAN_DIST))))
    if N_FACILITIES in row:
        lines.append((words["n"], number(row.get(N_FACILITIES))))
        lines.append((words["per_1000"], number(row.get(PER_1000), 1)))
    sites = layers.get("access_sites")
    if sites is not None and C.AREA_ID in sites.columns and "pop_added" in sites.columns:
        mine = sites[sites[C.AREA_ID].astype(str) == str(zone_id)]
        if len(mine):
            reach = result.frames[SITES].report.notes.get("distance_m")
            added = ", ".join(number(v) for v in mine["pop_added"].to_numpy())
            lines.append((words["sites"].format(t=reach), added))
    table = pd.DataFrame(lines, columns=["", " "])
    table.attrs["title"] = words["title"].format(
        what=getattr(result.project.access, "what", None) or words["facility"]
    )
    return table


def access_sections(result: RunResult, zone_id: str, lang: str) -> list[tuple[str, pd.DataFrame]]:
    """Return the report's Nærmiljø section of one intervention area: ``[(title, table)]``."""
    table = zone_access_table(result, zone_id, lang)
    if table is None:
        return []
    return [(str(table.attrs["title"]), table)]


def access_summary(result: RunResult) -> dict[str, Any]:
    """Return the run record's access entry: settings and headline counts (published)."""
    from geoloft.accessibility.publish import publish_totals

    res: AccessResult | None = result.frames.get(ACCESS)
    if res is None:
        return {}
    totals = publish_totals(
        res.report.notes, res.thresholds, threshold=result.project.disclosure_threshold
    )
    withheld = result.frames.get(_WITHHELD) or set()
    out: dict[str, Any] = {
        "metric": res.metric,
        "thresholds_m": res.thresholds,
        "facilities": len(res.facilities),
    }
    for key in ("persons", *(f"persons within {t} m" for t in res.thresholds)):
        value = totals[key]
        out[key] = None if np.isnan(value) or key in withheld else value
    sites: SitingResult | None = result.frames.get(SITES)
    if sites is not None:
        out["new sites"] = {
            "objective": sites.objective,
            "method": sites.method,
            "gap": sites.gap,
            "sites": len(sites.sites),
        }
    return out
