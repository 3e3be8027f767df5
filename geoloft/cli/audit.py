"""``geoloft audit OUT [OUT ...]``: try to recover hidden values from what runs wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoloft.cli._app import app, out


@app.command()
def audit(
    runs: Annotated[
        list[Path],
        typer.Argument(help="Output folders of geoloft run / demo; several are audited together."),
    ],
    width: Annotated[
        float | None,
        typer.Option(help="Protection interval in persons (default: half the threshold)."),
    ] = None,
    show: Annotated[int, typer.Option(help="How many pinned values to list.")] = 20,
) -> None:
    """Try to work out hidden values from the published figures (linear programming).

    For every hidden count the interval that all published figures allow is computed;
    a count that may be small and is pinned narrower than the protection interval is
    listed. Exit code 1 when any is found.

    Example:

        geoloft audit demo-out

        geoloft audit oslo-1km-out oslo-250m-out
    """
    from geoloft.disclosure.audit import audit as run_audit

    result = run_audit(runs, width=width)
    summary = result.summary()
    out.print(
        f"audited {', '.join(map(str, runs))}: {summary['hidden_values']} hidden values, "
        f"threshold {summary['threshold']}, protection interval {summary['protection_width']:g} "
        "persons",
        highlight=False,
    )
    small = result.small if result.small is not None else None
    if small is not None and len(small):
        out.print(
            f"[bold red]{len(small)} published count(s) under the threshold[/] "
            f"(first: {', '.join(small['label'].astype(str).head(5))}).",
            highlight=False,
        )
    pinned = result.pinned.sort_values("width")
    if pinned.empty:
        out.print("no hidden value can be narrowed below the protection interval.")
        if small is not None and len(small):
            raise typer.Exit(code=1)
        return
    out.print(
        f"[bold red]{len(pinned)} hidden value(s) pinned[/] ({summary['exact']} exactly):",
        highlight=False,
    )
    for _, row in pinned.head(show).iterrows():
        out.print(
            f"  {row['label']}: {row['low']:.2f} … {row['high']:.2f}",
            highlight=False,
            markup=False,
        )
    raise typer.Exit(code=1)
