"""Disclosure control of a run's layers: what may leave the tool.

:func:`published` returns the layers as maps, exports and the report show them.
In areas and cells under the project's threshold only ids, names and geometry
remain; every figure, and text derived from figures, is withheld.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.disclosure.composites import PER_INDICATOR, blank_rows

if TYPE_CHECKING:
    from geoloft.pipeline import RunResult

#: Columns that name or describe a row; they stay in rows under the disclosure threshold.
#: Every other column (counts, rates, scores, ranks, explanations) is withheld there.
_AREA_KEEP = frozenset({C.AREA_ID, C.NAME, C.LEVEL, C.PARENT_ID, C.STATUS, C.QUALIFIES})
_GRID_KEEP = frozenset({C.SSBID, C.CELL_SIZE})
_ZONE_KEEP = frozenset({C.ZONE_ID, C.NAME, C.MEMBERS, C.N_MEMBERS, C.LOCKED_IN, C.ADDED, C.FLAGS})


def _withheld(frame: gpd.GeoDataFrame, keep: frozenset[str]) -> list[str]:
    """Columns of ``frame`` withheld in suppressed rows: all but ``keep`` and geometries."""
    geometries = {c for c in frame.columns if isinstance(frame[c].dtype, gpd.array.GeometryDtype)}
    return [c for c in frame.columns if c not in keep | geometries and c != C.SUPPRESSED]


def _hide_members(zones: gpd.GeoDataFrame, hidden: set[str]) -> gpd.GeoDataFrame:
    """Withhold the per-member shares of ``member_stability`` for suppressed member areas."""
    from geoloft.disclosure import SUPPRESSION_CODE

    if C.MEMBER_STABILITY not in zones.columns or not hidden:
        return zones

    def one(members: object, shares: object) -> object:
        if not isinstance(members, str) or not isinstance(shares, str):
            return shares
        pairs = zip(members.split(","), shares.split(","), strict=False)
        return ",".join(SUPPRESSION_CODE if m in hidden else s for m, s in pairs)

    values = [one(m, s) for m, s in zip(zones[C.MEMBERS], zones[C.MEMBER_STABILITY], strict=True)]
    return zones.assign(**{C.MEMBER_STABILITY: values})


_RULE_POP = "_disclosure_pop"
#: Suffixes of the score stage's per-indicator columns: the rate, then what follows from it.
_NOUNS = {"areas": "areas", "grid": "grid cells", "intervention_areas": "intervention areas"}
_PUBLISHED = "_published"  # frames key: the layers after disclosure control, made once


def _area_population(result: RunResult) -> Any:
    """Persons per area for the disclosure rule, aligned to the areas; ``None`` if unknown.

    The grid's persons when the project has a grid; otherwise the indicator table's
    population as scoring takes it (its ``pop_tot``, else the largest denominator or
    population column the catalogue names).
    """
    areas = result.frames["areas"]
    if C.POP_TOT in areas.columns:
        return areas[C.POP_TOT].to_numpy()
    catalogue, table = result.frames.get("catalogue"), result.frames.get("table")
    if table is None:
        return None
    if C.POP_TOT in table.columns:
        pop = pd.to_numeric(table[C.POP_TOT], errors="coerce")
    else:
        dens = [
            col
            for ind in catalogue or ()
            for col in (ind.denominator, getattr(ind, "population", None))
            if col and col in table.columns
        ]
        if not dens:
            return None
        pop = table[dens].apply(pd.to_numeric, errors="coerce").max(axis=1)
    by_id = pd.Series(pop.to_numpy(dtype=float), index=table[C.AREA_ID].astype(str))
    by_id = by_id[~by_id.index.duplicated()]
    return by_id.reindex(areas[C.AREA_ID].astype(str)).to_numpy()


def _report_notes(result: RunResult, stage: str) -> dict[str, Any]:
    """Return the notes of the stage report named ``stage`` (empty if it did not run)."""
    for report in result.reports:
        if report.stage == stage:
            return dict(report.notes)
    return {}


def _rates(result: RunResult, areas: gpd.GeoDataFrame) -> list[Any]:
    """Return the catalogue's count indicators whose counts the areas carry."""
    from geoloft.disclosure.model import Rate

    return [
        Rate(ind.id, ind.numerator, ind.denominator, float(ind.scale))
        for ind in result.frames.get("catalogue") or ()
        if getattr(ind, "numerator", None)
        and getattr(ind, "denominator", None)
        and ind.numerator in areas.columns
        and ind.denominator in areas.columns
    ]


def _withhold_status(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Withhold whether a suppressed area qualifies, and its score status.

    Both follow from its rates. The columns keep their types (yes/no stays a nullable
    boolean).
    """
    mask = areas[C.SUPPRESSED].to_numpy(dtype=bool)
    return blank_rows(areas, mask, [C.QUALIFIES, C.STATUS])


def _composite_columns(result: RunResult, areas: gpd.GeoDataFrame) -> list[str]:
    """Columns of the areas that the score stage computed from several rates at once.

    Every column of the score table except the area's id and name, how many
    indicators it has, and the per-indicator columns (``<id>_rate``, ``<id>_std``,
    ``<id>_flag``): the index, rank, decile, qualifies, status, flag count, domain
    scores, bootstrap intervals and probabilities, and the explanation.
    """
    scores = result.frames.get("scores")
    if scores is None:
        return []
    per_indicator = {
        f"{ind.id}{suffix}"
        for ind in result.frames.get("catalogue") or ()
        for suffix in PER_INDICATOR
    }
    own = {C.AREA_ID, C.NAME, C.N_INDICATORS}
    return [
        str(c)
        for c in scores.columns
        if c in areas.columns and c not in own and c not in per_indicator
    ]


def _withhold_small_bases(
    result: RunResult, areas: gpd.GeoDataFrame, threshold: int
) -> gpd.GeoDataFrame:
    """Withhold rates given as values whose population (in the indicator table) is small."""
    from geoloft.disclosure.composites import withhold_small_bases

    table = result.frames.get("table")
    if table is None:
        return areas
    keyed = table.assign(**{C.AREA_ID: table[C.AREA_ID].astype(str)}).drop_duplicates(C.AREA_ID)
    keyed = keyed.set_index(C.AREA_ID).reindex(areas[C.AREA_ID].astype(str))
    bases = {
        ind.id: keyed[ind.population].to_numpy()
        for ind in result.frames.get("catalogue") or ()
        if getattr(ind, "value", None)
        and getattr(ind, "population", None)
        and ind.population in keyed.columns
    }
    return withhold_small_bases(areas, bases, threshold=threshold) if bases else areas


def _withhold_composites(
    result: RunResult, before: gpd.GeoDataFrame, areas: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Withhold the figures of each area that are functions of one of its hidden rates.

    The rule of :func:`geoloft.disclosure.composites.withhold_composites`: an area
    whose scored rate disclosure control withheld keeps its id, name, geometry and
    every rate still published, but loses its composite figures
    (:func:`_composite_columns`) and the hidden indicator's flag.
    """
    from geoloft.disclosure.composites import withhold_composites

    return withhold_composites(
        before,
        areas,
        indicators=[ind.id for ind in result.frames.get("catalogue") or ()],
        scored=set(_report_notes(result, "score_areas").get("indicators") or ()),
        composite=_composite_columns(result, areas),
    )


def _withhold_zone_aggregates(zones: gpd.GeoDataFrame, hidden: set[str]) -> gpd.GeoDataFrame:
    """Withhold a zone's figures averaged over its members when a member's are withheld.

    ``stability`` is the members' shares of replicates averaged by population, and
    without recomputed criteria (``n_criteria``) a zone's ``index`` is the members'
    index averaged: with the other members' figures published, either gives away the
    withheld member's. ``added`` (members added to reach the floor, not qualifying)
    would say whether a withheld member qualifies: its withheld members are left out
    of the list and the suppression code ``:`` stands in for them, whether they
    were added or not.
    """
    if not hidden or C.MEMBERS not in zones.columns:
        return zones
    has = np.array([bool(hidden & set(str(m).split(","))) for m in zones[C.MEMBERS]], dtype=bool)
    out = blank_rows(zones, has, [C.STABILITY])
    averaged = ~out[C.N_CRITERIA].notna().to_numpy() if C.N_CRITERIA in out.columns else True
    out = blank_rows(out, has & averaged, [C.INDEX])
    if C.ADDED in out.columns and has.any():
        out = out.copy()
        out[C.ADDED] = [
            _mask_hidden(added, hidden) if flag else added
            for added, flag in zip(out[C.ADDED], has, strict=True)
        ]
    return out


def _mask_hidden(added: object, hidden: set[str]) -> str:
    """Return ``added`` without the hidden members, and ``:`` for their status.

    >>> _mask_hidden("0402,0405", {"0405"}), _mask_hidden("", {"0405"})
    ('0402,:', ':')
    """
    from geoloft.disclosure import SUPPRESSION_CODE

    kept = [a for a in str(added or "").split(",") if a and a not in hidden]
    return ",".join([*kept, SUPPRESSION_CODE])


def _withhold_totals(result: RunResult, system: Any) -> None:
    """Take study-area totals the model withheld out of the run record (``run.json``)."""
    if system is None:
        return
    hidden = {
        str(label).split(" ")[0]
        for label, kind, off in zip(
            system.fig_label, system.fig_kind, system.fig_hidden, strict=True
        )
        if kind == "total" and off
    }
    for report in result.reports:
        if report.stage == "join_grid":
            for key in hidden & set(report.notes):
                report.notes[key] = "withheld (disclosure control)"


def _protect(result: RunResult, layers: dict[str, gpd.GeoDataFrame], threshold: int) -> None:
    """Secondary suppression over every figure the run publishes (in place on ``layers``).

    With ``published_with`` in the project, the earlier runs named there are read first
    and the run is protected jointly with them (:mod:`geoloft.disclosure.joint`).
    """
    import time

    from geoloft.disclosure.joint import read_publications
    from geoloft.disclosure.protect import protect_layers
    from geoloft.disclosure.rules import protection_width
    from geoloft.report import StageReport

    join = _report_notes(result, "join_grid")
    totals: dict[str, Any] = {
        k: (join.get(k) or {}).get(C.POP_TOT) if isinstance(join.get(k), dict) else None
        for k in ("total_in", "total_assigned", "total_outside")
    }
    rule = _area_population(result)
    started = time.perf_counter()
    grid = layers.get("grid")
    earlier = read_publications(
        list(getattr(result.project, "published_with", None) or ()),
        threshold=threshold,
        width=protection_width(threshold),
        grid_size=int(grid[C.CELL_SIZE].iloc[0]) if grid is not None and len(grid) else None,
        root=result.project.root,
    )
    reading = time.perf_counter() - started
    from geoloft.pipeline.access import access_for_protection, keep_protected

    access, access_notes = access_for_protection(result)
    protection = protect_layers(
        {k: v for k, v in layers.items() if k in ("areas", "grid", "intervention_areas")}
        | {k: v for k, v in access.items() if k != "access_facilities"},
        threshold=threshold,
        rates=_rates(result, layers["areas"]),
        totals=totals,
        references=_report_notes(result, "score_areas").get("reference") or None,
        area_pop=None if rule is None else np.asarray(rule, dtype=np.float64),
        published_with=earlier,
        access=access_notes or None,
    )
    if access:  # the access layers as protected, kept apart from the run's own layers
        kept = {k: protection.layers.pop(k, v) for k, v in access.items()}
        keep_protected(result, kept, protection.notes.get("access_totals_withheld", []))
    layers.update(protection.layers)
    _withhold_totals(result, protection.system)
    notes = protection.notes
    result.timings["disclosure"] = round(notes.pop("seconds") + reading, 3)
    result.reports.append(
        StageReport(
            stage="disclosure model",
            source="every figure the run publishes",
            rows_in=int(notes["counts"]),
            rows_out=int(notes["counts"]),
            notes=notes,
        )
    )
    result.notes.append(
        f"disclosure: {notes['primary_hidden']} counts hidden under {threshold} persons, "
        f"{notes['secondary_hidden']} more hidden so that none can be worked out "
        f"({notes['persons_hidden_secondary']:.0f} persons; protection interval "
        f"{notes['protection_width']:.0f} persons); check with geoloft audit."
    )
    joint = notes.get("published_with")
    if joint:
        sources = [r["folder"] for r in joint["runs"]] + [g["file"] for g in joint["ssb_grids"]]
        names = ", ".join(str(name) for name in sources)
        found = joint["joint_pinned"]
        audited = (
            "too many hidden counts to audit them together here"
            if found is None
            else f"audited together, {found} hidden value(s) pinned"
        )
        lost = joint["beyond_reach"]
        mend = (
            f" ({lost} pinned by the earlier runs and public facts whatever this run hides: "
            "see beyond_reach in run.json)"
            if lost
            else ""
        )
        result.notes.append(
            f"disclosure: protected jointly with {names} (their figures as published); "
            f"{audited}{mend}."
        )


def published(result: RunResult) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers as they may leave the tool: statistics under the threshold withheld.

    One disclosure model covers every figure the run publishes (see
    :mod:`geoloft.disclosure`): counts under the threshold are hidden, then more counts
    are hidden so that no hidden one can be worked out from the published ones. In areas
    and cells under the threshold only ids, names and geometry remain (and, for areas,
    the level, parent, score status and whether it qualifies); every figure and the
    text derived from figures (explanations) is withheld, also in the intervention
    areas' per-member stability.
    With ``disclosure = false`` in the project nothing is withheld (recorded and printed).
    """
    from geoloft.disclosure import suppress

    cached = result.frames.get(_PUBLISHED)
    if cached is not None:
        return dict(cached)
    threshold = result.project.disclosure_threshold
    layers: dict[str, gpd.GeoDataFrame] = {"areas": result.frames["areas"]}
    if result.frames.get("grid") is not None:
        layers["grid"] = result.frames["grid"]
    zones = result.frames.get("zones")
    if zones is not None:
        zones, settlements = _split_settlements(zones)
        if settlements is not None:
            layers["settlements"] = settlements
        layers["intervention_areas"] = zones
    if result.frames.get("measures") is not None:
        layers["measures"] = result.frames["measures"]
    from geoloft.disclosure.protect import check_threshold

    check_threshold(threshold, allow_tiny=getattr(result.project, "allow_tiny_threshold", False))
    if not getattr(result.project, "disclosure", True):
        result.notes.append(
            "disclosure control switched OFF (disclosure = false): every figure is published "
            "unprotected, including counts under 10 persons."
        )
        result.frames[_PUBLISHED] = dict(layers)
        return layers
    _protect(result, layers, threshold)
    areas = layers["areas"]
    hidden: set[str] = set()
    rule = _area_population(result)
    if rule is not None:
        withheld = _withheld(areas, _AREA_KEEP)
        areas = suppress(
            areas.assign(**{_RULE_POP: rule}), columns=withheld, pop=_RULE_POP, threshold=threshold
        ).drop(columns=[_RULE_POP])
        hidden = set(areas.loc[areas[C.SUPPRESSED], C.AREA_ID].astype(str))
        areas = _withhold_status(areas)
    areas = _withhold_small_bases(result, areas, threshold)
    areas, composite = _withhold_composites(result, result.frames["areas"], areas)
    areas = _mark_withheld(result.frames["areas"], areas)
    _note_composites(result, areas, composite)
    hidden |= set(areas.loc[composite, C.AREA_ID].astype(str))
    layers["areas"] = areas
    grid = layers.get("grid")
    if grid is not None:
        layers["grid"] = suppress(
            grid, columns=_withheld(grid, _GRID_KEEP), pop=C.POP_TOT, threshold=threshold
        )
    zones = layers.get("intervention_areas")
    if zones is not None:
        zones = _withhold_zone_aggregates(_hide_members(zones, hidden), hidden)
        layers["intervention_areas"] = suppress(
            zones, columns=_withheld(zones, _ZONE_KEEP), pop=C.POP, threshold=threshold
        )
    _report_disclosure(result, layers, threshold)
    result.frames[_PUBLISHED] = dict(layers)
    return layers


def _mark_withheld(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Name, in each published area, the figures disclosure control withheld from it.

    A figure is withheld where the run had a value and the published area has none.
    Suppressed areas (every figure withheld) say so in their own column and get no list.

    >>> before = gpd.GeoDataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "suppressed": False})
    >>> after = before.assign(b=[3.0, np.nan])
    >>> _mark_withheld(before, after)["withheld"].tolist()
    [None, 'b']
    """
    geometry = {c for c in after.columns if isinstance(after[c].dtype, gpd.array.GeometryDtype)}
    cols = [c for c in after.columns if c in before.columns and c not in geometry | {C.SUPPRESSED}]
    gone = pd.DataFrame(
        {c: before[c].notna().to_numpy() & after[c].isna().to_numpy() for c in cols},
        index=after.index,
    )
    if C.SUPPRESSED in after.columns:
        gone = gone.mask(after[C.SUPPRESSED].fillna(False).astype(bool), False)
    names = gone.dot(pd.Index(cols) + ",").str.rstrip(",")
    return after.assign(**{C.WITHHELD: names.astype(object).where(names != "", None)})


def _note_composites(result: RunResult, areas: gpd.GeoDataFrame, composite: np.ndarray) -> None:
    """Record how many areas (not suppressed whole) lost composite figures to hidden rates."""
    from geoloft.report import StageReport

    if not composite.any():
        return
    whole = (
        areas[C.SUPPRESSED].to_numpy(bool) if C.SUPPRESSED in areas else np.zeros_like(composite)
    )
    n = int((composite & ~whole).sum())
    result.reports.append(
        StageReport(
            stage="disclosure (scores)",
            source="areas with a hidden rate of a scored indicator",
            rows_in=len(areas),
            rows_out=len(areas),
            notes={"areas with composite figures withheld": n},
        )
    )
    if n:
        result.notes.append(
            f"disclosure: index, rank and the other composite figures withheld for {n} "
            f"of {len(areas)} areas, whose scored rates are partly hidden."
        )


def _report_disclosure(
    result: RunResult, layers: dict[str, gpd.GeoDataFrame], threshold: int
) -> None:
    """Add one stage report per layer that went through disclosure control."""
    from geoloft.report import StageReport

    for name in ("areas", "grid", "intervention_areas"):
        frame = layers.get(name)
        if frame is None or C.SUPPRESSED not in frame.columns:
            continue
        n = int(frame[C.SUPPRESSED].sum())
        result.reports.append(
            StageReport(
                stage=f"disclosure ({name})",
                source=f"fewer than {threshold} persons",
                rows_in=len(frame),
                rows_out=len(frame),
                notes={"threshold": threshold, "rows with figures withheld": n},
            )
        )
        if n:
            result.notes.append(
                f"disclosure: figures withheld for {n} of {len(frame)} {_NOUNS[name]} "
                f"(fewer than {threshold} persons)."
            )


def _split_settlements(
    zones: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Move the second geometry column (settlement outlines) into a layer of its own."""
    if C.SETTLEMENT not in zones.columns:
        return zones, None
    outlines = gpd.GeoDataFrame(
        {C.ZONE_ID: zones[C.ZONE_ID], C.NAME: zones[C.NAME]},
        geometry=gpd.GeoSeries(zones[C.SETTLEMENT], crs=zones.crs),
        crs=zones.crs,
    )
    outlines = outlines[~outlines.geometry.is_empty & outlines.geometry.notna()]
    return zones.drop(columns=[C.SETTLEMENT]), outlines if len(outlines) else None


def zone_members(zone: pd.Series) -> list[str]:
    """Return the member ids of one intervention area (``members`` is comma-joined text)."""
    members = zone[C.MEMBERS]
    if isinstance(members, str):
        return [m for m in members.split(",") if m]
    return [str(m) for m in members]


def measures_in(measures: gpd.GeoDataFrame | None, zone: pd.Series) -> gpd.GeoDataFrame | None:
    """Return the measures that touch one intervention area, or ``None`` when there are none."""
    if measures is None:
        return None
    hit = measures[measures.intersects(zone.geometry)]
    return hit if len(hit) else None
