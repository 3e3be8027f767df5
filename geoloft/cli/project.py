"""``geoloft demo``, ``geoloft init`` and ``geoloft run``: whole-pipeline commands."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from geoloft.cli._app import Overwrite, app, console, is_quiet, out, set_stage

if TYPE_CHECKING:
    from geoloft.config import Project
    from geoloft.pipeline import RunResult


def _run_with_progress(
    project: Project, out_dir: Path, overwrite: bool, only: list[str] | None
) -> RunResult:
    from geoloft.pipeline import STAGES, run

    unknown = [s for s in only or () if s not in STAGES]
    if unknown:
        raise typer.BadParameter(
            f"unknown stage {', '.join(unknown)}; use one of {', '.join(STAGES)}.",
            param_hint="--only",
        )
    started = time.perf_counter()
    stages = [s for s in STAGES if not only or STAGES.index(s) <= max(map(STAGES.index, only))]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=is_quiet(),
    ) as bar:
        task = bar.add_task("geoloft", total=len(stages))

        def step(name: str) -> None:
            set_stage(name)  # named if the stage crashes
            bar.update(task, description=f"[bold]{name}[/]")
            bar.advance(task)

        result = run(project, out=out_dir, overwrite=overwrite, only=only, progress=step)
    _summary(result, time.perf_counter() - started)
    return result


def _summary(result: RunResult, seconds: float) -> None:
    table = Table(title="geoloft run", show_lines=False)
    for col in ("stage", "in", "out", "dropped"):
        table.add_column(col, justify="right" if col in ("in", "out") else "left")
    for rep in result.reports:
        dropped = "; ".join(f"{n} {why}" for why, n in rep.dropped.items())
        table.add_row(rep.stage, str(rep.rows_in), str(rep.rows_out), dropped)
    out.print(table)
    for note in result.notes:
        out.print(f"note: {note}", markup=False, highlight=False)
    out.print(
        f"Wrote {len(result.files)} files to {result.out} in {seconds:.1f} s:", highlight=False
    )
    for path in result.files:
        out.print(f"  {path.relative_to(result.out)}", markup=False, highlight=False)


OutDir = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
Only = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        help="Run up to this stage and write only its output "
        "(ingest, join, score, delineate, maps, export, report). Repeatable.",
    ),
]


@app.command()
def demo(out_dir: OutDir = Path("geoloft-demo"), overwrite: Overwrite = False) -> None:
    """Run the whole pipeline on the shipped synthetic demo city ("Demoby").

    Writes geoloft.gpkg, intervention_areas.geojson, maps/, figures/, report.html and
    run.json to the output folder.

    Example:

        geoloft demo --out demo-out
    """
    from geoloft.config import load_project
    from geoloft.demo import demo_data_dir, demo_project_text

    data = demo_data_dir()
    project_file = data / "project.toml"
    if not project_file.is_file():  # an installed package keeps data read-only
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="geoloft-demo-"))
        project_file = tmp / "project.toml"
        project_file.write_text(demo_project_text(str(data)), encoding="utf-8")
    _run_with_progress(load_project(project_file), out_dir, overwrite, None)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Project folder to create.")],
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Complete an existing folder: write what is missing, keep identical files, "
            "refuse (listing them) if any file differs from geoloft's.",
        ),
    ] = False,
    replace_edited: Annotated[
        bool,
        typer.Option(
            "--replace-edited", help="Also replace files you edited with geoloft's originals."
        ),
    ] = False,
) -> None:
    """Start a project: a commented project.toml plus the demo data, ready to run.

    Replace the files in FOLDER/data with your own and edit project.toml. An
    existing file is never replaced unless it is identical or --replace-edited is given.

    Example:

        geoloft init myproject && geoloft run myproject/project.toml
    """
    from geoloft.demo import write_demo_project

    path = write_demo_project(folder, overwrite=overwrite, replace_edited=replace_edited)
    out.print(f"Wrote {path} and {path.parent / 'data'}.", highlight=False)
    out.print(f"Next: geoloft run {path}", highlight=False)


@app.command("run")
def run_project(
    project_file: Annotated[Path, typer.Argument(help="The project.toml to run.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output folder (default: output/ beside the project file)."
        ),
    ] = None,
    only: Only = None,
    overwrite: Overwrite = False,
    kommune: Annotated[
        list[str] | None,
        typer.Option(
            "--kommune",
            help="Work in these kommuner only (4-digit number, repeatable); replaces "
            "the study area of the project file.",
        ),
    ] = None,
    published_with: Annotated[
        list[Path] | None,
        typer.Option(
            "--published-with",
            help="Output folder of an earlier run published alongside this one, or an "
            "SSB grid file that SSB publishes anyway (repeatable; replaces published_with "
            "of the project file): this run hides what it must so that together they "
            "disclose nothing.",
        ),
    ] = None,
) -> None:
    """Run every stage of a project file and write the output folder.

    National files are cut to the project's study area right after reading
    (study_area in the project file, or --kommune here).

    Example (the second cuts a national project to Oslo; the third publishes a 250 m
    run of the same areas alongside it, protected jointly with it):

        geoloft run myproject/project.toml --out myproject/output --overwrite

        geoloft run norge.toml --kommune 0301 --out oslo

        geoloft run oslo250.toml --out oslo250 --published-with oslo
    """
    from geoloft.config import load_project, with_kommune, with_published_with
    from geoloft.errors import ConfigError

    project = load_project(project_file)
    if kommune:
        project = with_kommune(project, kommune)
    if published_with:
        project = with_published_with(project, published_with)
    target = out_dir if out_dir is not None else project.root / "output"
    if target.resolve() in {p.resolve() for p in project.published_with}:
        raise ConfigError(
            f"{target} is both the output folder and a run it is published with.",
            source="published_with",
            hint="write this run to another --out folder.",
        )
    _run_with_progress(project, target, overwrite, only)
