"""Print a pip constraints file that pins every dependency to its declared lower bound.

CI installs geoloft against it (``pip install -c FILE``) to check that the lower bounds
in pyproject.toml really work::

    python scripts/lower_bounds.py --extra parquet > lowest.txt
    pip install -c lowest.txt -e ".[parquet]"

Every runtime dependency (and those of the extras named) must carry a ``>=`` bound;
a dependency without one is an error, so a new dependency cannot slip in unbounded.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def lower_bounds(pyproject: Path, extras: list[str]) -> list[str]:
    """Return ``name==version`` for the lower bound of each requirement."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extra {', '.join(unknown)}; pyproject has {', '.join(optional)}")
    lines, problems = [], []
    for text in [*project["dependencies"], *(r for e in extras for r in optional[e])]:
        req = Requirement(text)
        bounds = [s.version for s in req.specifier if s.operator == ">="]
        if len(bounds) != 1:
            problems.append(f"{text!r} needs exactly one '>=' lower bound")
            continue
        lines.append(f"{req.name}=={bounds[0]}")
    if problems:
        raise SystemExit("pyproject.toml: " + "; ".join(problems))
    return sorted(dict.fromkeys(lines), key=str.lower)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", action="append", default=[], help="also pin this extra")
    parser.add_argument("--pyproject", type=Path, default=PYPROJECT)
    args = parser.parse_args()
    sys.stdout.write("".join(f"{line}\n" for line in lower_bounds(args.pyproject, args.extra)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
