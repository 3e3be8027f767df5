"""Imports point downstream; analysis code never loads folium or matplotlib."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geoloft"

# Stage order from DESIGN.md: a module may import only from its own or earlier stages.
STAGES = {
    "errors": 0,
    "columns": 0,
    "report": 0,
    "_validate": 0,
    "_io": 0,
    "_where": 0,
    "labels": 0,
    "sensitive": 0,
    "grid": 1,
    "boundaries": 1,
    "indicators": 1,
    "measures": 1,
    "study_area": 1,
    "join": 2,
    "score": 3,
    "disclosure": 3,
    "classify": 3,
    "delineation": 4,
    "accessibility": 4,  # grid cells to facilities; uses join and disclosure
    "maps": 5,
    "figures": 5,
    "export": 5,
    "info": 5,
    "report_html": 5,
    "evaluation": 5,  # analysis plus its hand-over (export, figures loaded lazily)
    "config": 6,
    "demo": 6,
    "pipeline": 7,
    "cli": 8,
}


def _stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [m for m in found if m.startswith("geoloft.")]


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_point_downstream(path):
    rel = path.relative_to(PACKAGE)
    own = rel.parts[0].removesuffix(".py")
    if own == "__init__" or own not in STAGES:
        pytest.skip("package root or module outside the stage map")
    for module in _imports(path):
        target = _stage_of(module)
        assert target in STAGES, f"{rel}: imports unknown stage {module}"
        assert STAGES[target] <= STAGES[own], f"{rel} imports later stage {module}"


def test_analysis_imports_do_not_load_folium_or_matplotlib():
    code = (
        "import sys, geoloft, geoloft.grid, geoloft.export, geoloft.config;"
        "bad = [m for m in ('folium', 'matplotlib', 'branca') if m in sys.modules];"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
