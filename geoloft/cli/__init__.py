"""The ``geoloft`` command line: a thin layer over the library.

Each command module in this package registers its commands on :data:`app`;
command bodies only parse, call one library function and report.
Exit codes: 0 done, 1 bad input, 2 usage.
"""

from __future__ import annotations

import importlib
import sys

from geoloft.cli._app import app, main

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "project",
    "info",
    "join",
    "export",
    "score",
    "delineate",
    "evaluate",
    "figure",
    "maps",
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"geoloft.cli.{_name}")

__all__ = ["app", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
