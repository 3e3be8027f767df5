"""Hand-over stages: maps, figures, exports and the report, all after disclosure control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geoloft import columns as C
from geoloft.pipeline.publish import measures_in, published, zone_members

if TYPE_CHECKING:
    from geoloft.pipeline import RunResult


def write_maps(result: RunResult, *, overwrite: bool) -> None:
    """Write maps/overview.html, one map per intervention area, and figures/*.png."""
    from geoloft.labels import text
    from geoloft.maps import make_map, save_map

    cfg = result.project.maps
    everything = published(result)
    layers = {k: v for k, v in everything.items() if k in cfg.layers}
    if cfg.figures:
        write_figures(result, everything, overwrite=overwrite)
    from geoloft.pipeline.access import write_access_map

    write_access_map(result, everything.get("grid"), overwrite=overwrite)
    if not any(v is not None and len(v) for v in layers.values()):
        result.notes.append(
            f"maps: no data in the layers chosen in [maps] layers ({', '.join(cfg.layers)}); "
            "no map drawn."
        )
        return
    maps_dir = result.out / "maps"
    shared = run_scheme_of(result, everything)
    protected = getattr(result.project, "disclosure", True)
    kwargs: dict[str, Any] = {
        "basemap": cfg.basemap,
        "lang": cfg.lang,
        "offline": cfg.offline,
        # switched off (disclosure = false), every map says so and shows every figure
        "threshold": result.project.disclosure_threshold if protected else 1,
        "notes": () if protected else (text("disclosure_off_note", cfg.lang),),
        "method": result.project.score.method,
        # one set of classes and symbols for the overview and every per-area map
        "breaks": dict(shared.breaks),
        "categories": shared.categories,
        "csp": getattr(cfg, "csp", False),
    }
    overview = make_map(
        layers.get("areas"),
        grid=layers.get("grid"),
        measures=layers.get("measures"),
        zones=_drawn_zones(layers),
        indicators=_indicator_labels(result),
        title=result.project.project.title,
        fit=_study_area_frame(result),
        **kwargs,
    )
    save_map(overview, maps_dir / "overview.html", overwrite=overwrite)
    _record(result, overview.written)
    zones = _drawn_zones(layers)
    if zones is not None:
        for _, zone in zones.iterrows():
            areas = layers.get("areas")
            units = None if areas is None else areas[areas[C.AREA_ID].isin(zone_members(zone))]
            one = make_map(
                units,
                zones=zones[zones[C.ZONE_ID] == zone[C.ZONE_ID]],
                measures=measures_in(layers.get("measures"), zone),
                indicators=_indicator_labels(result),
                title=f"{zone[C.ZONE_ID]} {zone[C.NAME]}",
                **kwargs,
            )
            path = maps_dir / f"{zone[C.ZONE_ID]}.html"
            save_map(one, path, overwrite=overwrite)
            _record(result, one.written)


def _record(result: RunResult, paths: list[Any]) -> None:
    """Add the files a map wrote (its page; with ``csp``, its script and libraries) once."""
    result.files.extend(p for p in paths if p not in result.files)


def _study_area_frame(result: RunResult) -> gpd.GeoSeries | None:
    """Return the study area as a GeoSeries for the overview map to open on, or None."""
    study = result.frames.get("study_area")
    if study is None:
        return None
    return gpd.GeoSeries([study.geometry], crs=C.WORKING_CRS)


def write_figures(
    result: RunResult, layers: dict[str, gpd.GeoDataFrame], *, overwrite: bool
) -> None:
    """Write PNG maps for reports: the overview and one per intervention area.

    Every figure uses the overview's classes, so a colour means the same on each page.
    """
    from geoloft.figures import make_figure

    cfg = result.project.maps
    fig_dir = result.out / "figures"
    areas = layers["areas"]
    column = C.INDEX if C.INDEX in areas.columns and areas[C.INDEX].notna().any() else None
    classes: dict[str, Any] = {}
    shared = run_scheme_of(result, layers)
    if column is not None and column in shared.breaks:
        classes = {"scheme": "fixed", "breaks": list(shared.breaks[column])}
    zones = _drawn_zones(layers)
    from geoloft.labels import index_label
    from geoloft.pipeline.report_data import project_sources

    common = {
        "column": column,
        "lang": cfg.lang,
        "overwrite": overwrite,
        "credits": project_sources(result.project),
        "label": index_label(result.project.score.method, cfg.lang) if column else None,
        **classes,
    }
    result.files.append(make_figure(areas, zones=zones, out=fig_dir / "overview.png", **common))
    if zones is None:
        return
    for _, zone in zones.iterrows():
        units = areas[areas[C.AREA_ID].isin(zone_members(zone))]
        one = zones[zones[C.ZONE_ID] == zone[C.ZONE_ID]]
        path = make_figure(units, zones=one, out=fig_dir / f"{zone[C.ZONE_ID]}.png", **common)
        result.files.append(path)


def run_scheme_of(result: RunResult, layers: dict[str, gpd.GeoDataFrame]) -> Any:
    """Return the run's :class:`~geoloft.classify.RunScheme`: classes and symbols, decided once.

    Bounds of the index and every indicator (on all published areas), of the
    grid's persons, and the order of the measure categories; the overview,
    every per-area map, the figures and the QGIS styles draw with them.
    """
    from geoloft.classify import run_scheme
    from geoloft.labels import text

    cached = result.frames.get("run_scheme")
    if cached is not None:
        return cached
    areas = layers.get("areas")
    columns = list((_indicator_labels(result) or {C.INDEX: ""}).keys())
    frames: dict[str, Any] = {c: areas for c in columns if areas is not None and c in areas}
    frames[C.POP_TOT] = layers.get("grid")
    frames["measures"] = layers.get("measures")
    scheme = run_scheme(frames, missing_category=text("no_category", result.project.maps.lang))
    result.frames["run_scheme"] = scheme
    return scheme


def _drawn_zones(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame | None:
    """Return the intervention areas to draw; ``None`` when delineation drew none."""
    zones = layers.get("intervention_areas")
    return zones if zones is not None and len(zones) else None


def _indicator_labels(result: RunResult) -> dict[str, str] | None:
    catalogue = result.frames.get("catalogue")
    if catalogue is None:
        return None
    lang = result.project.maps.lang
    labels = {
        f"{ind.id}_rate": (ind.label_nb if lang == "nb" else ind.label_en) for ind in catalogue
    }
    from geoloft.labels import index_label

    labels["index"] = index_label(result.project.score.method, lang)
    return labels


def write_exports(result: RunResult, *, overwrite: bool) -> None:
    """Write geoloft.gpkg (layers with QGIS styles), intervention_areas.geojson and extras."""
    from geoloft.export import write, write_layers

    cfg = result.project
    layers = published(result)
    meta = {
        "title": cfg.project.title,
        "source": cfg.project.source,
        "licence": cfg.project.licence,
        "creator": "geoloft",
    }
    inputs = tuple(
        p
        for p in (
            cfg.inputs.boundaries.path,
            cfg.inputs.grid.path,
            *(m.path for m in cfg.inputs.measures),
        )
        if p is not None
    )
    descriptions = {
        "areas": "Områder med befolkning, indikatorer og indeks",
        "grid": "SSB-ruter med befolkning (små tall skjult)",
        "intervention_areas": "Innsatsområder",
        "measures": "Tiltak",
        "settlements": "Bosettingsomriss: der folk bor i innsatsområdene",
    }
    styles = _styles(
        layers,
        lang=cfg.maps.lang,
        threshold=cfg.disclosure_threshold,
        scheme=run_scheme_of(result, layers),
    )
    from geoloft.pipeline.access import ACCESS_DESCRIPTIONS, access_layers

    layers = {**layers, **access_layers(result)}
    descriptions.update(ACCESS_DESCRIPTIONS)
    if "gpkg" in cfg.export.formats:
        path = write_layers(
            layers,
            result.out / "geoloft.gpkg",
            crs=cfg.export.crs,
            overwrite=overwrite,
            inputs=inputs,
            metadata=meta,
            descriptions=descriptions,
            styles=styles,
        )
        result.files.append(path)
    zones = layers.get("intervention_areas")
    if zones is None:
        return
    extra = {
        "geojson": ".geojson",
        "fgb": ".fgb",
        "shp": ".shp",
        "parquet": ".parquet",
        "csv": ".csv",
    }
    for fmt in cfg.export.formats:
        if fmt in extra:
            path = write(
                zones,
                result.out / f"intervention_areas{extra[fmt]}",
                crs=cfg.export.crs,
                overwrite=overwrite,
                inputs=inputs,
                metadata=meta,
                description=descriptions["intervention_areas"],
            )
            result.files.append(path)


def _styles(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    lang: str = "nb",
    threshold: int | None = None,
    scheme: Any = None,
) -> dict[str, Any]:
    """Return a QGIS style for every layer (see :func:`~geoloft.export.styles.layer_styles_for`).

    ``scheme`` is the run's :class:`~geoloft.classify.RunScheme`: the styles
    use the maps' class bounds and palettes.
    """
    from geoloft.classify import classify
    from geoloft.export.styles import layer_styles_for
    from geoloft.maps.style import AREA_PALETTE, GRID_PALETTE

    def classes_of(column: str, values: Any, palette: str) -> Any:
        if scheme is not None and column in scheme.breaks:
            return scheme.classes(column, values, palette=palette, lang=lang)
        return classify(values, scheme="quantiles", k=5, palette=palette, lang=lang)

    classes: dict[str, Any] = {}
    areas = layers["areas"]
    if "index" in areas.columns and areas["index"].notna().sum() > 1:
        classes["areas"] = ("index", classes_of("index", areas["index"], AREA_PALETTE))
    grid = layers.get("grid")
    if grid is not None and grid[C.POP_TOT].notna().sum() > 1:
        classes["grid"] = (C.POP_TOT, classes_of(C.POP_TOT, grid[C.POP_TOT], GRID_PALETTE))
    present = {k: v for k, v in layers.items() if v is not None}
    categories = None
    if scheme is not None and scheme.categories:
        from geoloft.maps.style import category_styles

        # the measure colours of the web maps, in the run's order
        categories = {c: s.colour for c, s in category_styles(scheme.categories).items()}
    return layer_styles_for(
        present, classes=classes, lang=lang, threshold=threshold, categories=categories
    )


def write_report(result: RunResult, *, overwrite: bool) -> None:
    """Write report.html from the run's frames and its provenance."""
    from geoloft._io import atomic_path
    from geoloft.pipeline import provenance
    from geoloft.pipeline.report_data import report_data
    from geoloft.report_html import render_report

    data = report_data(result, published(result), provenance(result))
    step = result.frames.get("evaluation")
    if step is not None:  # [evaluate]: the "Utvikling" section
        data.extra_sections = (*data.extra_sections, step.section)
    target = result.out / "report.html"
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_text(render_report(data), encoding="utf-8")
    result.files.append(target)


def write_evaluation(result: RunResult, *, overwrite: bool) -> None:
    """Run the project's ``[evaluate]`` section into ``OUT/evaluate/`` (nothing without one)."""
    settings = result.project.evaluate
    if settings.indicators is None:
        return
    from geoloft.evaluation import areas_inside
    from geoloft.evaluation.project import run_step

    areas = result.frames["areas"]
    zones = result.frames.get("zones")
    inside = []
    if not settings.treated and zones is not None and len(zones):
        inside = areas_inside(areas, zones)  # the units inside the run's intervention areas
    step = run_step(
        settings,
        areas=areas,
        run_treated=inside,
        out=result.out,
        lang=result.project.maps.lang,
        overwrite=overwrite,
        threshold=result.project.disclosure_threshold,
        seed=result.project.project.seed,
    )
    result.frames["evaluation"] = step
    if step.result.report is not None:
        result.reports.append(step.result.report)
    result.files.extend(step.files.values())
