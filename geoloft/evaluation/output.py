"""Publish an evaluation: tables (CSV, GeoPackage), figures, the "Utvikling" page."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from geoloft.columns import AREA_ID
from geoloft.evaluation._panel import INDICATOR
from geoloft.evaluation._publish import publish
from geoloft.evaluation._result import Evaluation
from geoloft.evaluation._text import word
from geoloft.evaluation.section import CSS, render_section
from geoloft.evaluation.summary import closing_note, note_lines

__all__ = ["write_all", "write_evaluation"]


def _gpkg_layers(result: Evaluation, changes: pd.DataFrame) -> dict[str, Any]:
    import geopandas as gpd

    if result.areas is None:
        return {}
    geo = result.areas[[AREA_ID, result.areas.geometry.name]].assign(
        **{AREA_ID: result.areas[AREA_ID].astype(str)}
    )
    layers: dict[str, Any] = {}
    for ind, rows in changes.groupby(INDICATOR, sort=False):
        merged = geo.merge(rows.drop(columns=[INDICATOR]), on=AREA_ID, how="inner")
        layers[f"change_{ind}"] = gpd.GeoDataFrame(
            merged, geometry=geo.geometry.name, crs=result.areas.crs
        )
    return layers


def write_evaluation(
    result: Evaluation,
    folder: str | Path,
    *,
    lang: str = "nb",
    overwrite: bool = False,
    threshold: int | None = None,
    figures: bool = True,
) -> dict[str, Path]:
    """Write an evaluation's tables, figures, change maps and report section.

    Parameters
    ----------
    result
        An evaluation.
    folder
        Output folder (made if missing).
    lang
        ``"nb"`` or ``"en"``: the language of charts and the report section.
    overwrite
        Replace existing files.
    threshold
        Disclosure threshold (persons) for the published counts; the
        disclosure module's default when ``None``.
    figures
        Draw charts and maps (matplotlib).

    Returns
    -------
    dict
        Name -> written file: one CSV per table, ``evaluate.gpkg`` (one
        ``change_<indicator>`` layer per indicator, with every number),
        ``utvikling.html`` (the section as a page), ``evaluate.json`` and
        each figure (``figures/<file>``).

    Raises
    ------
    OutputExistsError
        If a file exists and ``overwrite`` is false.
    """
    return write_all(
        result,
        Path(folder),
        lang=lang,
        overwrite=overwrite,
        threshold=threshold,
        figures=figures,
    )[0]


def write_all(
    result: Evaluation,
    folder: Path,
    *,
    lang: str,
    overwrite: bool,
    threshold: int | None,
    figures: bool,
) -> tuple[dict[str, Path], str]:
    """Write everything; return the files and the report section (figures inlined)."""
    from geoloft.export import write, write_layers

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tables = publish(result, threshold=threshold)
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        written[name] = write(frame, out / f"{name}.csv", overwrite=overwrite)
    layers = _gpkg_layers(result, tables["changes"])
    if layers:
        written["gpkg"] = write_layers(layers, out / "evaluate.gpkg", overwrite=overwrite)
    pictures: dict[str, list[Path]] = {}
    if figures:
        from geoloft.evaluation.figures import plot_all

        pictures = plot_all(result, out / "figures", lang=lang)
        for paths in pictures.values():
            written.update({f"figures/{path.name}": path for path in paths})
    section = render_section(result, lang=lang, figures=pictures, changes=tables["changes"])
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(word('section', lang))}</title><style>{CSS}</style></head>"
        f"<body><main>{section}</main></body></html>\n"
    )
    written["html"] = _write_text(out / "utvikling.html", page, overwrite)
    summary = {
        "programme": {
            "treated": list(result.programme.treated),
            "start": result.programme.start,
            "end": result.programme.end,
        },
        "closing_note": closing_note(result, lang=lang),
        "estimates": json.loads(result.estimates.to_json(orient="records")),
        "notes": note_lines(result, lang=lang),
    }
    written["json"] = _write_text(
        out / "evaluate.json", json.dumps(summary, ensure_ascii=False, indent=2), overwrite
    )
    return written, section


def _write_text(path: Path, content: str, overwrite: bool) -> Path:
    from geoloft._io import atomic_path

    with atomic_path(path, overwrite=overwrite) as tmp:
        Path(tmp).write_text(content, encoding="utf-8")
    return path
