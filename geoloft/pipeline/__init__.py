"""Run a whole project: ingest, join, score, delineate, maps, exports, report.

:func:`run` executes the stages in order, collects every stage's report (rows
in, rows out, rows dropped with reasons) and writes the output folder laid out
in DESIGN.md::

    OUT/geoloft.gpkg, intervention_areas.geojson, maps/, figures/, report.html, run.json

The output is transactional: a run writes into a fresh hidden folder beside
``OUT`` and swaps it in whole at the end (see :mod:`geoloft.pipeline.outputs`),
so a crash or a kill leaves the earlier output untouched.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as md
import json
import logging
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoloft import columns as C
from geoloft._io import OutputWriteError
from geoloft.config import Project
from geoloft.errors import InputError, OutputExistsError
from geoloft.pipeline.outputs import (
    carry_over,
    new_staging,
    previous_files,
    remove_leftovers,
    restore_aside,
    stale_files,
    swap_in,
)
from geoloft.report import StageReport, get_report

__all__ = ["STAGES", "RunResult", "run"]

log = logging.getLogger("geoloft")

#: Stage names, in order; ``--only`` takes one of these.
STAGES = ("ingest", "join", "score", "delineate", "access", "maps", "export", "report")
DEPENDENCIES = (
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "folium",
    "mapclassify",
    "libpysal",
    "esda",
    "matplotlib",
)


@dataclass
class RunResult:
    """What a run did: the frames, the stage reports, the files written and timings."""

    project: Project
    out: Path
    frames: dict[str, Any] = field(default_factory=dict)
    reports: list[StageReport] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Full lists asked for with ``[study_area] list_outside`` (file stem -> rows).
    sidecars: dict[str, pd.DataFrame] = field(default_factory=dict)

    def add_report(self, frame: Any, fallback: str) -> None:
        """Keep the report attached to ``frame`` (or a bare one named ``fallback``)."""
        report = get_report(frame) if isinstance(frame, pd.DataFrame) else None
        if report is None:
            n = len(frame) if hasattr(frame, "__len__") else 0
            report = StageReport(stage=fallback, rows_in=n, rows_out=n)
        self.reports.append(report)


def sha256(path: Path) -> str:
    """Return the SHA-256 of a file (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _input_paths(project: Project) -> list[Path]:
    inp = project.inputs
    paths = [
        inp.boundaries.path,
        inp.grid.path,
        inp.indicators.path,
        inp.indicators.catalogue,
        *(m.path for m in inp.measures),
        project.study_area.path,
        project.evaluate.indicators,
        project.evaluate.population,
        project.access.facilities,
        project.access.network,
        project.access.candidates,
    ]
    return [p for p in paths if p is not None]


def _check_out(out: Path, project: Project, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: is a file, not a folder; choose another --out folder.")
    inputs = {p.resolve() for p in _input_paths(project)}
    if out.resolve() in inputs or any(out.resolve() in p.parents for p in inputs):
        raise OutputExistsError(f"{out}: the output folder holds input files; choose another.")
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise OutputExistsError(
            f"{out}: the shell stands in this folder, and a finished run replaces the whole "
            "folder (the shell would be left in a removed one); choose a subfolder such as "
            "--out output, or run from elsewhere."
        )
    if (out / "run.json").exists() and not overwrite:
        raise OutputExistsError(
            f"{out}: holds the output of an earlier run; pass --overwrite to replace it "
            "or choose another --out folder."
        )


def _timed(result: RunResult, name: str, step: Callable[[], None]) -> None:
    start = time.perf_counter()
    step()
    result.timings[name] = round(time.perf_counter() - start, 3)


def run(
    project: Project,
    *,
    out: str | Path,
    overwrite: bool = False,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the project's stages in order and write the output folder.

    Parameters
    ----------
    project
        A validated project (see :func:`geoloft.config.load_project`).
    out
        Output folder; created if needed.
    overwrite
        Replace the files of an earlier run in ``out``. Inputs are never replaced.
    only
        Run the pipeline up to and including these stages, writing only their
        outputs (see :data:`STAGES`); ``None`` runs everything.
    progress
        Called with a stage name as each stage starts (the CLI draws a progress bar).

    Returns
    -------
    RunResult
        Frames, stage reports, written files and timings.

    Raises
    ------
    geoloft.errors.InputError
        Bad input in any stage, with file, column and rows named.
    geoloft.errors.OutputExistsError
        ``out`` holds an earlier run and ``overwrite`` is false.
    """
    from geoloft._where import using_surface

    with using_surface("project"):
        return _run(project, out=Path(out), overwrite=overwrite, only=only, progress=progress)


def _run(
    project: Project,
    *,
    out: Path,
    overwrite: bool,
    only: Iterable[str] | None,
    progress: Callable[[str], None] | None,
) -> RunResult:
    from geoloft.pipeline.preflight import preflight

    wanted = set(only or STAGES)
    unknown = wanted - set(STAGES)
    if unknown:
        raise InputError(
            f"unknown stage(s) {', '.join(sorted(unknown))}.",
            source="--only",
            hint=f"use one of {', '.join(STAGES)}.",
        )
    _check_out(out, project, overwrite)
    preflight(project)
    out = out.resolve() if out.is_symlink() else out.absolute()
    result = RunResult(project=project, out=out)
    _tidy(result)
    previous = previous_files(out)
    staging = new_staging(out)
    result.out = staging
    try:
        _stages(result, wanted, progress, overwrite=overwrite)
        _finish(result, out, previous, wanted & {"maps", "export", "report"}, overwrite)
        swap_in(staging, out)
    except OutputWriteError as err:  # name the output folder, not the hidden one
        _stopped(staging, out)
        raise OutputWriteError(str(err).replace(str(staging), str(out))) from err
    except BaseException:
        _stopped(staging, out)
        raise
    result.files = [out / f.relative_to(staging) if f.is_relative_to(staging) else f
                    for f in result.files]  # fmt: skip
    result.out = out
    return result


def _stopped(staging: Path, out: Path) -> None:
    """Remove the unfinished new output and say that the earlier one is untouched."""
    shutil.rmtree(staging, ignore_errors=True)
    if out.exists():
        log.warning("the run stopped before its end; %s was left as it was.", out)
    else:
        log.warning("the run stopped before its end; nothing was written to %s.", out)


def _tidy(result: RunResult) -> None:
    """Put back an output a killed swap left aside; remove killed runs' temporary files."""
    out = result.out
    if restore_aside(out) is not None:
        result.notes.append(f"put back the earlier output of {out.name} that a killed run left.")
    removed = remove_leftovers(out)
    if removed:
        result.notes.append(
            f"removed {len(removed)} temporary file(s) or folder(s) that killed runs left: "
            f"{', '.join(removed[:5])}{' …' if len(removed) > 5 else ''}."
        )


def _stages(
    result: RunResult,
    wanted: set[str],
    progress: Callable[[str], None] | None,
    *,
    overwrite: bool,
) -> None:
    from geoloft.pipeline import stages

    last = max(STAGES.index(s) for s in wanted)
    for name in STAGES[: last + 1]:
        if progress:
            progress(name)
        step = getattr(stages, f"stage_{name}")
        if name in ("maps", "export", "report") and name not in wanted:
            continue
        if name in ("maps", "export", "report"):
            _timed(result, name, functools.partial(step, result, overwrite=overwrite))
        else:
            _timed(result, name, functools.partial(step, result))
    _write_sidecars(result, overwrite=overwrite)


def _finish(
    result: RunResult, out: Path, previous: list[str], ran: set[str], overwrite: bool
) -> None:
    """Complete the new output in ``result.out``: files kept from ``out``, then run.json.

    Files of the earlier run that this run repeats but no longer writes are left
    behind (they vanish with the earlier output); everything else in ``out`` that
    this run did not write is carried over. ``run.json`` is written last and lists
    exactly the run's files there.
    """
    staging = result.out
    written = [f.relative_to(staging).as_posix() for f in result.files if f.is_relative_to(staging)]
    if not overwrite:
        clash = [rel for rel in written if (out / rel).is_file()]
        if clash:
            raise OutputExistsError(
                f"{out}: holds {', '.join(clash[:5])} already; pass --overwrite to replace "
                "them or choose another --out folder. Nothing in it was changed."
            )
    stale = stale_files(previous, written, ran)
    removed = [rel for rel in stale if (out / rel).is_file() and rel in previous]
    if removed:
        result.notes.append(
            f"removed {len(removed)} file(s) of the earlier run that this run no longer "
            f"writes: {', '.join(removed)}."
        )
    kept = set(carry_over(out, staging, stale))
    # run.json lists every file there but the user's own: what this run wrote (sidecars
    # and script files included) and the outputs of stages it did not repeat
    own = kept - set(previous)
    listed = sorted(
        p
        for p in staging.rglob("*")
        if p.is_file() and p.relative_to(staging).as_posix() not in own and p.name != "run.json"
    )
    result.files = [*listed, *(f for f in result.files if not f.is_relative_to(staging))]
    path = write_provenance(result, overwrite=True)
    result.files.append(path)


def _write_sidecars(result: RunResult, *, overwrite: bool) -> None:
    """Write the full lists of rows left outside the study area, when asked for."""
    from geoloft._io import atomic_path
    from geoloft.export.formats import csv_safe

    for stem, frame in result.sidecars.items():
        target = result.out / f"{stem}.csv"
        with atomic_path(target, overwrite=overwrite or not target.exists()) as tmp:
            csv_safe(frame).to_csv(tmp, index=False)
        result.files.append(target)


def _versions() -> dict[str, str]:
    found = {"geoloft": _version("geoloft"), "python": platform.python_version()}
    found.update({name: _version(name) for name in DEPENDENCIES})
    return found


def _version(name: str) -> str:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "not installed"


def provenance(result: RunResult) -> dict[str, Any]:
    """Return the run record: versions, parameters, input hashes, seed and stage counts."""
    project = result.project
    params = json.loads(json.dumps(_as_dict(project), default=str))
    return {
        "geoloft": _version("geoloft"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": _versions(),
        "seed": project.project.seed,
        "parameters": params,
        "inputs": {
            str(p.relative_to(project.root)) if p.is_relative_to(project.root) else str(p): {
                "sha256": sha256(p),
                "bytes": p.stat().st_size,
            }
            for p in _input_paths(project)
        },
        "stages": [r.to_dict() for r in result.reports],
        "timings_s": result.timings,
        "files": sorted(
            str(f.relative_to(result.out)) for f in result.files if f.is_relative_to(result.out)
        ),
        "notes": result.notes,
    }


def _as_dict(obj: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _as_dict(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name != "root"
        }
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_provenance(result: RunResult, *, overwrite: bool) -> Path:
    """Write ``run.json`` atomically and return its path."""
    from geoloft._io import atomic_path

    target = result.out / "run.json"
    record = provenance(result)
    with atomic_path(target, overwrite=overwrite or not target.exists()) as t:
        t.write_text(
            json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
    return target


def areas_with(areas: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Join a per-area table onto the areas by ``area_id`` (areas keep their order)."""
    extra = table.drop(columns=[c for c in table.columns if c in areas.columns and c != C.AREA_ID])
    merged = areas.merge(extra, on=C.AREA_ID, how="left")
    merged.index = areas.index
    return merged
