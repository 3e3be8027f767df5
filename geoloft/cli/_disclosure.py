"""Disclosure options shared by every command that writes statistics.

Each such command protects what it writes with :func:`geoloft.disclosure.protect.protect_layers`
by default. ``--no-disclosure`` switches that off (printed, and recorded in the written
file's metadata where the format has any); a threshold under 10 warns and under 3 also
needs ``--allow-tiny-threshold``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from geoloft.cli._app import console

Threshold = Annotated[
    int,
    typer.Option(
        "--threshold",
        help="Disclosure threshold in persons: smaller counts are hidden, with the counts "
        "that would reveal them (SSB: 10).",
    ),
]
DisclosureThreshold = Annotated[
    int,
    typer.Option(
        "--disclosure-threshold",
        help="Persons: rates from smaller counts are withheld, with those that would "
        "reveal them (SSB: 10).",
    ),
]
NoDisclosure = Annotated[
    bool,
    typer.Option(
        "--no-disclosure",
        help="Write every figure unprotected, small counts included (printed as a warning).",
    ),
]
AllowTiny = Annotated[
    bool,
    typer.Option(
        "--allow-tiny-threshold", help="Accept a --threshold of 1 or 2 persons (needs intent)."
    ),
]


def protect_for_cli(
    layers: Mapping[str, Any],
    *,
    threshold: int,
    off: bool,
    allow_tiny: bool,
    **kwargs: Any,
) -> dict[str, Any]:
    """Return ``layers`` protected as one publication (or as given, with a warning, if off)."""
    from geoloft.disclosure.protect import check_threshold, protect_layers

    if off:
        console.print(
            "[bold yellow]warning:[/] disclosure control is OFF (--no-disclosure): small "
            "counts are written unprotected.",
            highlight=False,
        )
        return dict(layers)
    check_threshold(threshold, allow_tiny=allow_tiny, stacklevel=3)
    known = {k: v for k, v in layers.items() if v is not None}
    protection = protect_layers(known, threshold=threshold, **kwargs)
    notes = protection.notes
    console.print(
        f"disclosure: {notes['primary_hidden']} counts under {threshold} persons hidden, "
        f"{notes['secondary_hidden']} more so that none can be worked out.",
        highlight=False,
    )
    return {**dict(layers), **protection.layers}
