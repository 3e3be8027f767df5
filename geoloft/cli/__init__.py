"""The ``geoloft`` command line: a thin layer over the library.

Each command module in this package registers its commands on :data:`app`;
command bodies only parse, call one library function and report.
Exit codes: 0 done, 1 bad input (or a bug in geoloft: one line, ``-v`` for the
traceback), 2 usage, 130 interrupted.
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
    "access",
    "figure",
    "maps",
    "audit",
)

#: Command modules that failed to import, with the error; main() reports them in one
#: line each (a broken install must not turn every command into a traceback).
LOAD_ERRORS: dict[str, Exception] = {}

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"geoloft.cli.{_name}")
    except Exception as _err:  # reported by main()
        LOAD_ERRORS[_name] = _err

__all__ = ["LOAD_ERRORS", "app", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
