"""``geoloft access GRID FACILITIES``: who lives within reach of facilities, and new sites."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geoloft.cli._app import Lang, Overwrite, Where, app, check_lang, out, parse_where

if TYPE_CHECKING:
    import geopandas as gpd

    from geoloft.accessibility import AccessResult, SitingResult


def _thresholds(value: str) -> list[int]:
    try:
        values = [int(v) for v in value.replace(" ", "").split(",") if v]
    except ValueError:
        raise typer.BadParameter(
            "give whole metres separated by commas, e.g. 300,500,1000.", param_hint="--thresholds"
        ) from None
    if not values or min(values) <= 0:
        raise typer.BadParameter("thresholds must be positive metres.", param_hint="--thresholds")
    return values


def _layer_name(path: Path, taken: set[str]) -> str:
    base = "areas_" + (re.sub(r"[^0-9A-Za-z_]+", "_", path.stem).strip("_").lower() or "file")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _facilities(path: Path, where: dict[str, object] | None, select: str | None) -> Any:
    from geoloft.accessibility import select_rows
    from geoloft.measures import read_measures

    frame = read_measures(path)
    if where:
        frame = select_rows(frame, where, source=str(path))
    if select:
        frame = select_rows(frame, select, source=str(path))
    return frame


def _sites(
    result: AccessResult,
    *,
    k: int,
    distance: int | None,
    objective: str,
    candidates: Path | None,
    within: Path | None,
    network: Any,
    method: str,
) -> SitingResult:
    from geoloft.accessibility import candidate_cells, choose_sites
    from geoloft.accessibility._inputs import cell_size_of

    if candidates is not None:
        from geoloft.measures import read_measures

        cand = read_measures(candidates)
    elif within is not None:
        from geoloft.boundaries import read_boundaries

        zones = read_boundaries(within)
        cand = candidate_cells(zones, cell_size_of(result.cells), id_column="area_id")
    else:
        raise typer.BadParameter(
            "new sites need --candidates FILE or --within AREAS (cells inside them).",
            param_hint="--new-sites",
        )
    reach = distance if distance is not None else result.thresholds[-1]
    return choose_sites(
        result.cells,
        cand,
        k=k,
        distance=reach,
        objective=objective,  # type: ignore[arg-type]
        network=network,
        method=method,  # type: ignore[arg-type]
    )


def _print_areas(name: str, areas: gpd.GeoDataFrame, thresholds: list[int]) -> None:
    from geoloft.accessibility import MEAN_DIST, share_within

    last = share_within(thresholds[-1])
    cols = ["area_id", "name", "pop_tot", MEAN_DIST, *(share_within(t) for t in thresholds)]
    table = areas[cols].sort_values(last, na_position="last")
    shown = table if len(table) <= 30 else table.head(15)
    out.print(f"\n{name}: {len(areas)} areas", highlight=False)
    text = shown.to_string(index=False, float_format=lambda v: f"{v:,.1f}", na_rep=":")
    out.print(text, highlight=False, markup=False, soft_wrap=True)
    if len(table) > len(shown):
        out.print(f"  ... the {len(shown)} lowest of {len(table)} by {last}", highlight=False)


@app.command("access")
def access_command(
    grid: Annotated[Path, typer.Argument(help="SSB grid file (CSV, GML, GPKG, ...).")],
    facilities: Annotated[
        Path, typer.Argument(help="Facilities: points (GeoJSON, GPKG, CSV with coordinates).")
    ],
    output: Annotated[Path, typer.Option("--out", "-o", help="Output GeoPackage (.gpkg).")],
    areas: Annotated[
        list[Path] | None,
        typer.Option("--areas", help="Areas to summarise by (repeatable: one layer each)."),
    ] = None,
    thresholds: Annotated[
        str, typer.Option(help="Distances in metres, comma-separated.")
    ] = "300,500,1000",
    where: Where = None,
    select: Annotated[
        str | None,
        typer.Option(help='Facilities to keep, e.g. "laveste_trinn <= 7" (pandas query).'),
    ] = None,
    network: Annotated[
        Path | None, typer.Option(help="Line file of paths/roads: distances along it.")
    ] = None,
    network_crs: Annotated[
        str | None, typer.Option(help="CRS of a network file that states none.")
    ] = None,
    new_sites: Annotated[int, typer.Option(help="Number of new sites to choose (0: none).")] = 0,
    objective: Annotated[
        str, typer.Option(help="coverage (maximal covering) or p-median.")
    ] = "coverage",
    distance: Annotated[
        int | None, typer.Option(help="Reach of a new site (m); default: largest threshold.")
    ] = None,
    candidates: Annotated[Path | None, typer.Option(help="Candidate sites (points).")] = None,
    within: Annotated[
        Path | None, typer.Option(help="Areas whose cell centres are candidate sites.")
    ] = None,
    method: Annotated[str, typer.Option(help="auto, exact or heuristic.")] = "auto",
    cell_size: Annotated[
        int | None, typer.Option(help="Cell size in metres, when the grid file does not say.")
    ] = None,
    disclosure_threshold: Annotated[
        int, typer.Option(help="Fewest persons whose figures are shown.")
    ] = 10,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Also write the Nærmiljø map (.html).")
    ] = None,
    what: Annotated[
        str | None, typer.Option(help="What the facilities are, for the map, e.g. skole.")
    ] = None,
    lang: Lang = "nb",
    overwrite: Overwrite = False,
) -> None:
    r"""Distance from every populated cell to the nearest facility; reach per area; new sites.

    Writes a GeoPackage with the layers cells (distance, facilities within each
    threshold, reach class), facilities, one areas_<name> per --areas file
    (persons and share within each threshold, population-weighted mean distance,
    facilities per 1,000 residents) and, with --new-sites, sites. Figures for
    fewer persons than the disclosure threshold are withheld.

    Example (share of residents within 1 km of a primary school, per kommune and per Oslo bydel):

        geoloft access NOR0250M_POP_2019.csv skoler.geojson --select "laveste_trinn <= 7" \
        --areas Kommuner-S.geojson --areas oslo_bydeler.gpkg -o skoler.gpkg

    Example (five new playgrounds inside the intervention areas, reaching most residents
    not yet within 300 m of one):

        geoloft access grid.csv tiltak.csv --where category=lekeplass --thresholds 300 \
        --new-sites 5 --within innsatsomrader.gpkg -o lekeplasser.gpkg
    """
    from geoloft._where import using_surface
    from geoloft.accessibility import access, access_by_area, read_network
    from geoloft.accessibility.publish import publish_areas, publish_cells, publish_sites
    from geoloft.boundaries import read_boundaries
    from geoloft.errors import InputError
    from geoloft.export import write_layers
    from geoloft.grid import read_grid

    check_lang(lang)
    if output.suffix.lower() != ".gpkg":
        raise typer.BadParameter("write a GeoPackage (.gpkg): it holds every layer.",
                                 param_hint="--out")  # fmt: skip
    if objective not in ("coverage", "p-median"):
        raise typer.BadParameter("use coverage or p-median.", param_hint="--objective")
    if method not in ("auto", "exact", "heuristic"):
        raise typer.BadParameter("use auto, exact or heuristic.", param_hint="--method")
    limits = _thresholds(thresholds)
    start = time.perf_counter()
    cells = read_grid(grid, cell_size=cell_size, geometry=False)
    with using_surface("cli"):
        fac = _facilities(facilities, parse_where(where), select)
    net = None if network is None else read_network(network, crs=network_crs)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    result = access(cells, fac, thresholds=limits, network=net)
    access_s = time.perf_counter() - start
    layers: dict[str, Any] = {
        "cells": publish_cells(result.cells, threshold=disclosure_threshold),
        "facilities": result.facilities,
    }
    summaries: list[tuple[str, Any]] = []
    taken: set[str] = set()
    start = time.perf_counter()
    for path in areas or []:
        frame = access_by_area(result.cells, read_boundaries(path), facilities=result.facilities)
        name = _layer_name(path, taken)
        layers[name] = publish_areas(frame, limits, threshold=disclosure_threshold)
        summaries.append((f"{path.name} ({name})", layers[name]))
    areas_s = time.perf_counter() - start
    siting = None
    if new_sites:
        if new_sites < 0:
            raise InputError("--new-sites must be 0 or more.", source="--new-sites")
        siting = _sites(
            result,
            k=new_sites,
            distance=distance,
            objective=objective,
            candidates=candidates,
            within=within,
            network=net,
            method=method,
        )
        layers["sites"] = publish_sites(siting.sites, threshold=disclosure_threshold)
    inputs = tuple(p.resolve() for p in (grid, facilities, *(areas or [])))
    written = write_layers(layers, output, overwrite=overwrite, inputs=inputs)
    if map_file is not None:
        _write_map(map_file, layers, summaries, result, siting, lang, what, overwrite)
    _report(result, summaries, layers.get("sites"), siting, disclosure_threshold)
    out.print(
        f"\nTimings: read {read_s:.1f} s, distances {access_s:.1f} s, areas {areas_s:.1f} s. "
        f"Wrote {written}",
        highlight=False,
    )


def _write_map(
    path: Path,
    layers: dict[str, Any],
    summaries: list[tuple[str, Any]],
    result: AccessResult,
    siting: SitingResult | None,
    lang: str,
    what: str | None,
    overwrite: bool,
) -> None:
    from geoloft.maps import save_map
    from geoloft.maps.access import make_access_map

    reach = None if siting is None else siting.report.notes.get("distance_m")
    m = make_access_map(
        layers["cells"],
        thresholds=result.thresholds,
        areas=summaries[-1][1] if summaries else None,
        sites=layers.get("sites"),
        facilities=layers["facilities"],
        site_distance=None if reach is None else int(reach),
        what=what,
        lang=lang,
    )
    save_map(m, path, overwrite=overwrite)
    out.print(f"Wrote {path}", highlight=False)


def _report(
    result: AccessResult,
    summaries: list[tuple[str, Any]],
    sites: Any,
    siting: SitingResult | None,
    threshold: int,
) -> None:
    from geoloft.accessibility.publish import publish_totals

    limits = result.thresholds
    notes = result.report.notes
    totals = publish_totals(notes, limits, threshold=threshold)
    persons = totals["persons"]
    metric = "along the network" if result.metric == "network" else "straight-line"
    out.print(
        f"{len(result.cells):,} cells, {persons:,.0f} persons, {notes['facilities']:,} "
        f"facilities; distances {metric}.",
        highlight=False,
    )
    for t in limits:
        within = totals[f"persons within {t} m"]
        share = 100 * within / persons if persons else float("nan")
        text = ":" if within != within else f"{within:,.0f} persons ({share:.1f} %)"
        out.print(f"  within {t:,} m: {text}", highlight=False)
    for name, frame in summaries:
        _print_areas(name, frame, limits)
    if siting is not None:
        gap = "unknown" if siting.gap is None else f"{100 * siting.gap:.3f} %"
        what = "persons newly within reach" if siting.objective == "coverage" else "person-metres"
        out.print(
            f"\nNew sites ({siting.objective}, {siting.method}): {siting.value:,.0f} {what}; "
            f"optimality gap {gap}.",
            highlight=False,
        )
        cols = [c for c in ("site_id", "site_rank", "pop_added", "pop_served") if c in sites]
        table = sites[cols]
        text = table.to_string(index=False, float_format=lambda v: f"{v:,.0f}", na_rep=":")
        out.print(text, highlight=False, markup=False, soft_wrap=True)
    out.print(f"Figures for fewer than {threshold} persons are withheld (:).", highlight=False)
