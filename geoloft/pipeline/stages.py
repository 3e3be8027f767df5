"""The pipeline's stages: each reads what earlier stages left in the run result."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C

if TYPE_CHECKING:
    from geoloft.pipeline import RunResult

log = logging.getLogger("geoloft")


def _parent_ids(areas: gpd.GeoDataFrame, level: str | None) -> gpd.GeoDataFrame:
    """Give delbydeler a ``parent_id`` (their bydel: the first two digits) when missing."""
    if C.PARENT_ID in areas.columns or level != "delbydel":
        return areas
    ids = areas[C.AREA_ID].astype(str)
    if ids.str.fullmatch(r"\d{4}").all():
        return areas.assign(**{C.PARENT_ID: ids.str[:2]})
    return areas


def stage_ingest(result: RunResult) -> None:
    """Read boundaries, grid, indicator table and measures, and cut them to the study area."""
    from geoloft.boundaries import read_boundaries

    project = result.project
    inp, study_cfg = project.inputs, project.study_area
    b = inp.boundaries
    assert b.path is not None  # preflight checked it
    areas = read_boundaries(
        b.path,
        id_column=b.id_column,
        name_column=b.name_column,
        layer=b.layer,
        crs=b.crs,
        level=b.level,
        parent_column=b.parent_column,
        where=study_cfg.where or None,
        kommune=list(study_cfg.kommune) or None,
    )
    result.add_report(areas, "read_boundaries")
    result.frames["areas"] = _parent_ids(areas, b.level)
    study = _study_area(result, areas)
    result.frames["study_area"] = study
    if result.project.study_area.path is not None:  # a polygon file: keep the areas in it
        from geoloft.study_area import areas_in_study_area

        areas = areas_in_study_area(result.frames["areas"], study)
        result.add_report(areas, "cut areas")
        result.frames["areas"] = areas
    if inp.grid.path is not None:
        from geoloft.grid import read_grid

        grid = read_grid(
            inp.grid.path, cell_size=inp.grid.cell_size, layer=inp.grid.layer, crs=inp.grid.crs
        )
        result.add_report(grid, "read_grid")
        result.frames["grid"] = _cut(result, grid, study, what="grid cells", id_column=C.SSBID)
        from geoloft._validate import check_areas_meet_grid

        check_areas_meet_grid(
            result.frames["areas"], grid, areas_source=b.path, grid_source=inp.grid.path
        )
        if inp.grid.baseline is not None:
            base = read_grid(
                inp.grid.baseline,
                cell_size=inp.grid.cell_size,
                layer=inp.grid.layer,
                crs=inp.grid.crs,
            )
            result.add_report(base, "read_grid")
            result.frames["grid_baseline"] = _cut(
                result, base, study, what="baseline grid cells", id_column=C.SSBID
            )
    if inp.indicators.path is not None:
        from geoloft.indicators import read_indicators

        table = read_indicators(
            inp.indicators.path,
            key=inp.indicators.key,
            areas=areas,
            sheet=inp.indicators.sheet,
            where=inp.indicators.where or None,
        )
        result.add_report(table, "read_indicators")
        result.frames["table"] = table
    if inp.measures:
        measures = _read_measures(result)
        result.frames["measures"] = _cut(
            result, measures, study, what="measures", id_column=C.MEASURE_ID
        )


def _study_area(result: RunResult, areas: gpd.GeoDataFrame) -> Any:
    """Return the study area: its polygon file, or the union of the areas read."""
    from geoloft.study_area import study_area_of

    cfg = result.project.study_area
    polygon, label = None, None
    if cfg.path is not None:
        from geoloft.boundaries import read_boundaries

        polygon = read_boundaries(cfg.path, layer=cfg.layer, crs=cfg.crs)
        label = cfg.path.name
    elif cfg.kommune:
        label = "kommune " + ", ".join(cfg.kommune)
    elif cfg.where:
        label = "the areas selected by the study-area filter"
    study = study_area_of(areas, polygon=polygon, buffer=cfg.buffer, label=label)
    result.notes.append(
        f"study area: {study.label} ({len(areas)} areas, "
        f"{study.geometry.area / 1e6:,.1f} km²); grid and measures are cut to it."
    )
    return study


def _cut(
    result: RunResult, frame: gpd.GeoDataFrame, study: Any, *, what: str, id_column: str
) -> gpd.GeoDataFrame:
    from geoloft.study_area import cut_to_study_area

    kept = cut_to_study_area(frame, study, what=what, id_column=id_column)
    result.add_report(kept, f"cut {what}")
    if result.project.study_area.list_outside:
        result.sidecars[f"outside_{what.replace(' ', '_')}"] = frame.loc[
            ~frame.index.isin(kept.index)
        ].drop(columns=frame.geometry.name)
    return kept


def _read_measures(result: RunResult) -> gpd.GeoDataFrame:
    """Read every measures file of the project into one frame (``source`` names the file)."""
    from geoloft.measures import MeasureFile, read_measures_many

    specs = result.project.inputs.measures
    files = [
        MeasureFile(path=s.path, label=s.label, columns=s.columns or None, crs=s.crs, layer=s.layer)
        for s in specs
        if s.path is not None
    ]
    measures = read_measures_many(files)
    result.add_report(measures, "read_measures")
    wheres = {s.label or Path(str(s.path)).name: s.where for s in specs if s.where}
    if wheres:
        measures = _select_measures(measures, wheres, result)
    return measures


def _select_measures(
    measures: gpd.GeoDataFrame, wheres: dict[str, Any], result: RunResult
) -> gpd.GeoDataFrame:
    """Apply each file's ``where`` to its own rows; the other files' rows pass."""
    from geoloft._where import describe, row_mask
    from geoloft.report import StageReport, attach_report

    keep = np.ones(len(measures), dtype=bool)
    report = StageReport("select measures", source="[[inputs.measures]] where", rows_in=len(keep))
    for source, where in wheres.items():
        rows = (measures["source"] == source).to_numpy()
        mask = row_mask(measures.loc[rows], where, source=source, section="measures")
        idx = np.flatnonzero(rows)
        keep[idx[~mask]] = False
        report.drop(f"{source}: not selected by {describe(where)}", int((~mask).sum()))
    kept = measures.loc[keep].copy()
    report.rows_out = len(kept)
    result.add_report(attach_report(kept, report), "select measures")
    return kept


def stage_join(result: RunResult) -> None:
    """Sum grid population into the areas (exact area weights)."""
    grid = result.frames.get("grid")
    if grid is None:
        result.notes.append("no grid: areas carry no grid population.")
        return
    from geoloft.join import join_grid

    joined = join_grid(grid, result.frames["areas"], values=[C.POP_TOT], method="area")
    result.add_report(joined, "join_grid")
    areas = result.frames["areas"].copy()
    areas[C.POP_TOT] = joined[C.POP_TOT].to_numpy()
    result.frames["areas"] = areas
    catalogue = _catalogue(result)
    if catalogue is not None and any(ind.source == "grid" for ind in catalogue):
        from geoloft.join import grid_indicators

        table = grid_indicators(grid, areas, baseline=result.frames.get("grid_baseline"))
        result.add_report(table, "grid_indicators")
        result.frames["grid_table"] = table


def _catalogue(result: RunResult) -> Any:
    """Return the project's indicator catalogue (None when nothing is to be scored)."""
    if "catalogue" in result.frames:
        return result.frames["catalogue"]
    from geoloft.indicators import default_catalogue, load_catalogue

    inp = result.project.inputs.indicators
    if inp.catalogue is not None:
        catalogue = load_catalogue(inp.catalogue)
    elif inp.path is not None:
        catalogue = default_catalogue()
    else:
        return None
    result.frames["catalogue"] = catalogue
    return catalogue


def _scoring_table(result: RunResult, catalogue: Any) -> pd.DataFrame | None:
    """Return the indicator table with the grid indicators' columns (either may be absent)."""
    from geoloft.errors import InputError

    table, grid_table = result.frames.get("table"), result.frames.get("grid_table")
    needs_table = [ind.id for ind in catalogue if ind.source == "table"]
    needs_grid = [ind.id for ind in catalogue if ind.source == "grid"]
    if needs_table and table is None:
        raise InputError(
            f"indicators {', '.join(needs_table)} read an indicator table, and the project "
            "has none.",
            source=str(catalogue.source or "catalogue"),
            hint='add [inputs.indicators] path = …, or give these indicators source = "grid".',
        )
    if needs_grid and grid_table is None:
        raise InputError(
            f"indicators {', '.join(needs_grid)} are computed from the grid, and the project "
            "has no grid.",
            source=str(catalogue.source or "catalogue"),
            hint="add [inputs.grid] path = ….",
        )
    if grid_table is None:
        return table
    if table is None:
        return grid_table
    own = [c for c in grid_table.columns if c != C.AREA_ID]
    return table.drop(columns=[c for c in own if c in table.columns]).merge(
        grid_table, on=C.AREA_ID, how="left"
    )


def _with_residents(table: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Give the table the areas' residents (``pop_tot``), so ``min_pop`` tests residents."""
    if C.POP_TOT in table.columns or C.POP_TOT not in areas.columns:
        return table
    residents = areas[[C.AREA_ID, C.POP_TOT]]
    if residents[C.POP_TOT].isna().all():
        return table
    return table.merge(residents, on=C.AREA_ID, how="left")


#: Run note when sensitive criteria were explicitly allowed (run.json and the report).
SENSITIVE_NOTE = (
    "sensitive criteria used, explicitly allowed by allow_sensitive = true under {where}: "
    "{what} (country of origin, immigrant background, citizenship, refugee status, religion "
    "or ethnicity)."
)


def stage_score(result: RunResult) -> None:
    """Score the areas on the catalogue's indicators."""
    catalogue = _catalogue(result)
    if catalogue is None:
        result.notes.append("no indicator table or catalogue: areas are not scored.")
        return
    table = _scoring_table(result, catalogue)
    if table is None:
        result.notes.append("no indicator table: areas are not scored.")
        return
    from geoloft.pipeline import areas_with
    from geoloft.score import score_areas

    cfg = result.project
    scores = score_areas(
        _with_residents(table, result.frames["areas"]),
        catalogue,
        method=cfg.score.method,
        k=cfg.score.k,
        min_pop=cfg.score.min_pop,
        n_boot=cfg.score.bootstrap,
        seed=cfg.project.seed,
        lang=cfg.maps.lang,
        allow_sensitive=cfg.score.allow_sensitive,
        domain_weights=cfg.score.domain_weights or None,
        missing=cfg.score.missing,
    )
    result.add_report(scores, "score_areas")
    allowed = scores.attrs["report"].notes.get("sensitive_criteria")
    if allowed:
        result.notes.append(SENSITIVE_NOTE.format(what=", ".join(allowed), where="[score]"))
    result.frames["catalogue"] = catalogue
    result.frames["scores"] = scores
    counts = [
        c for ind in catalogue for c in (ind.numerator, ind.denominator) if c and c in table.columns
    ]
    areas = areas_with(result.frames["areas"], table[[C.AREA_ID, *counts]])
    scored = areas_with(areas, scores)
    # Areas without a score row get <NA>, not the text "nan": keep yes/no columns boolean.
    flags = [c for c in scores.columns if pd.api.types.is_bool_dtype(scores[c])]
    result.frames["areas"] = scored.astype(dict.fromkeys(flags, "boolean"))


def _replicates(areas: gpd.GeoDataFrame, scores: pd.DataFrame) -> pd.DataFrame | None:
    """Align the bootstrap's qualify matrix to the areas (areas without a score: False)."""
    boot = scores.attrs.get("bootstrap")
    if boot is None:
        return None
    matrix = pd.DataFrame(np.asarray(boot.qualify, dtype=bool), index=scores[C.AREA_ID].to_numpy())
    aligned = matrix.reindex(areas[C.AREA_ID].to_numpy(), fill_value=False)
    aligned.index = areas.index
    return aligned


def _rates_like_areas(zones: gpd.GeoDataFrame, catalogue: Any, ids: list[str]) -> gpd.GeoDataFrame:
    """Name and scale the zones' recomputed rates as the areas' (``<id>_rate``, catalogue unit).

    :func:`~geoloft.delineation.delineate` returns each rate as a proportion under the
    indicator id; the areas carry ``<id>_rate`` in the catalogue's unit (per cent, per 1000).
    """
    out = zones.copy()
    for ind in catalogue:
        if ind.id in ids and ind.id in out.columns:
            out[ind.id] = out[ind.id] * ind.scale
            out = out.rename(columns={ind.id: f"{ind.id}_rate"})
    out.attrs = zones.attrs
    return out


def stage_delineate(result: RunResult) -> None:
    """Draw intervention areas from the qualifying units."""
    scores = result.frames.get("scores")
    if scores is None:
        result.notes.append("no scores: no intervention areas drawn.")
        return
    from geoloft.delineation import delineate

    cfg = result.project.delineate
    areas = result.frames["areas"]
    if C.POP_TOT not in areas.columns:
        areas = areas.assign(**{C.POP_TOT: np.nan})
    areas = areas.assign(qualifies=areas["qualifies"].fillna(False).astype(bool))
    catalogue = result.frames["catalogue"]
    counts = {
        ind.id: (
            ind.numerator,
            ind.denominator,
            "higher_is_better" if ind.direction == "higher_is_better" else "higher_is_worse",
        )
        for ind in catalogue
        if ind.numerator in areas and ind.denominator in areas
    }
    zones = delineate(
        areas,
        select=cfg.select,
        pop=C.POP_TOT,
        min_pop=cfg.min_pop,
        max_pop=cfg.max_pop,
        max_areas=cfg.max_areas,
        lock_in=cfg.lock_in or None,
        lock_out=cfg.lock_out or None,
        within=C.PARENT_ID if cfg.within_parent and C.PARENT_ID in areas.columns else None,
        grid=result.frames.get("grid"),
        counts=counts or None,
        replicates=_replicates(areas, scores),
        seed=result.project.project.seed,
        allow_sensitive=cfg.allow_sensitive,
    )
    result.add_report(zones, "delineate")
    allowed = zones.attrs["report"].notes.get("sensitive criteria (allowed)")
    if allowed:
        result.notes.append(SENSITIVE_NOTE.format(what=", ".join(allowed), where="[delineate]"))
    result.frames["zones"] = _rates_like_areas(zones, catalogue, list(counts))
    if not len(zones):
        why = "; ".join(f"{n} {reason}" for reason, n in result.reports[-1].dropped.items())
        result.notes.append(
            "no intervention area was drawn" + (f" ({why})" if why else "") + "; "
            "see the delineate settings in the project file"
            + ("" if result.frames.get("grid") is not None else " (no grid: no population)")
            + "."
        )


def stage_maps(result: RunResult, *, overwrite: bool) -> None:
    """Write the overview map, one map per intervention area, and report figures."""
    from geoloft.pipeline.hand_over import write_maps

    write_maps(result, overwrite=overwrite)


def stage_export(result: RunResult, *, overwrite: bool) -> None:
    """Write geoloft.gpkg (with QGIS styles), intervention_areas.geojson and other formats."""
    from geoloft.pipeline.hand_over import write_evaluation, write_exports

    write_exports(result, overwrite=overwrite)
    write_evaluation(result, overwrite=overwrite)


def stage_report(result: RunResult, *, overwrite: bool) -> None:
    """Write report.html."""
    from geoloft.pipeline.hand_over import write_report

    write_report(result, overwrite=overwrite)


def stage_access(result: RunResult) -> None:
    """Nærmiljø: residents' distance to facilities and new sites ([access] in the project)."""
    from geoloft.pipeline.access import run_access

    run_access(result)
