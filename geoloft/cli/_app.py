"""The typer application, shared options and the error-to-exit-code wrapper."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from geoloft.errors import GeoloftError

app = typer.Typer(
    name="geoloft",
    help=(
        "geoloft: maps and boundaries for Norwegian area-based programmes "
        "(områdeløft / områdesatsing).\n\n"
        "Start with 'geoloft demo --out demo-out' to see every stage on the shipped "
        "synthetic demo city, or 'geoloft info FILE' to see what geoloft makes of a file."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

console = Console(stderr=True)
out = Console()

# Shared options, defined once.
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug logging.")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only print errors.")]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace existing output files (never inputs).")
]
Lang = Annotated[str, typer.Option("--lang", help="Language of labels: nb (bokmål) or en.")]
OutFile = Annotated[Path, typer.Option("--out", "-o", help="Output file.")]
Where = Annotated[
    list[str] | None,
    typer.Option(help="Select table rows, e.g. --where aar=2017 (repeatable)."),
]

_state = {"verbose": False}


@app.callback()
def _root(
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Set logging from -v / -q."""
    _state["verbose"] = verbose
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # "Created N records" is noise
    warnings.formatwarning = _format_warning


def _format_warning(message: Warning | str, *_args: object, **_kwargs: object) -> str:
    """Show a warning as one line for people, without the Python source line."""
    return f"warning: {message}\n"


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``nb`` or ``en``, else exit with a usage error."""
    if lang not in ("nb", "en"):
        raise typer.BadParameter("use 'nb' (bokmål) or 'en'.", param_hint="--lang")
    return lang


def parse_where(items: list[str] | None) -> dict[str, object] | None:
    """Turn :data:`Where` options (``COLUMN=VALUE``) into a ``where`` mapping.

    ``None`` (no option given) stays ``None``; a malformed item is a usage error.
    """
    if not items:
        return None
    parsed: dict[str, object] = {}
    for item in items:
        col, sep, value = item.partition("=")
        if not sep or not col.strip():
            raise typer.BadParameter(f"{item!r}: write COLUMN=VALUE.", param_hint="--where")
        parsed[col.strip()] = value.strip()
    return parsed


def report_error(err: BaseException | str) -> None:
    """Print one clear error line (no markup is read from the message)."""
    console.print(Text.assemble(("error: ", "bold red"), str(err)), highlight=False, soft_wrap=True)


def _os_error(err: OSError) -> str:
    """One line for a file-system error: the file, what went wrong, and what to do."""
    if err.filename is None or not err.strerror:
        return str(err)
    name = Path(str(err.filename))
    if name.name.startswith(".") and ".tmp" in name.name:  # atomic writes: name the folder
        name = name.parent
    what = err.strerror[0].lower() + err.strerror[1:]
    return f"{name}: {what}. Fix: check the path, or choose a folder you can write to."


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 done, 1 bad input, 2 usage)."""
    args = sys.argv[1:] if argv is None else argv
    verbose = "-v" in args or "--verbose" in args
    try:
        app(args=args, standalone_mode=False)
    except GeoloftError as err:
        if verbose:
            console.print_exception()
        report_error(err)
        return 1
    except OSError as err:  # missing file, no permission, read-only file system, disk full
        if verbose:
            console.print_exception()
        report_error(_os_error(err))
        return 1
    except (typer.Exit, SystemExit) as err:
        code = getattr(err, "exit_code", getattr(err, "code", 0))
        return int(code or 0)
    except typer.Abort:
        return 1
    except Exception as err:
        # Usage errors from click (typer may ship its own copy) carry show() and exit_code 2.
        exit_code = getattr(err, "exit_code", None)
        if hasattr(err, "show") and isinstance(exit_code, int):
            err.show()
            return int(exit_code)
        raise
    return 0
