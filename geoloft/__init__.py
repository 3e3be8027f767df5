"""geoloft: maps and boundaries for Norwegian area-based programmes.

geoloft turns boundary files and SSB grid statistics into the scores, maps and
boundaries of *områdeløft* / *områdesatsing* programmes. The data flow is
ingest (``read_*``) -> :func:`join_grid` -> :func:`score_areas` ->
:func:`delineate` -> :func:`make_map`, figures and :func:`write`;
:func:`geoloft.pipeline.run` runs them all from a project file.

Public names load on first use, so ``import geoloft`` stays fast and analysis
code never pulls in folium or matplotlib.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("geoloft")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

_PUBLIC = {
    "read_boundaries": "geoloft.boundaries",
    "read_grid": "geoloft.grid",
    "read_indicators": "geoloft.indicators",
    "read_measures": "geoloft.measures",
    "read_measures_many": "geoloft.measures",
    "join_grid": "geoloft.join",
    "crosswalk": "geoloft.join",
    "convert_areas": "geoloft.join",
    "score_areas": "geoloft.score",
    "delineate": "geoloft.delineation",
    "evaluate": "geoloft.evaluation",
    "access": "geoloft.accessibility",
    "make_map": "geoloft.maps",
    "make_figure": "geoloft.figures",
    "write": "geoloft.export",
    "write_layers": "geoloft.export",
    "load_project": "geoloft.config",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'geoloft' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
