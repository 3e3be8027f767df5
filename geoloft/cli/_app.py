"""The typer application, shared options and the error-to-exit-code wrapper."""

from __future__ import annotations

import logging
import sys
import traceback
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

console = Console(stderr=True)  # progress and notes on stderr: silent with -q
errors = Console(stderr=True)  # error lines: always printed
out = Console()  # notes, summaries, "wrote ..." lines: silent with -q
result = Console()  # what a command was asked to show (info's description): printed with -q too

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

#: Where to report a crash (also in pyproject.toml's [project.urls]).
ISSUES_URL = "https://github.com/geoloft/geoloft/issues"

#: Options that apply to every command; main() accepts them anywhere on the line.
GLOBAL_FLAGS = {"-v": "verbose", "--verbose": "verbose", "-q": "quiet", "--quiet": "quiet"}

#: What the running command is doing, for the one-line report of a crash.
_state: dict[str, object] = {"verbose": False, "quiet": False, "command": None, "stage": None}


def _show_version(value: bool) -> None:
    if value:
        from geoloft import __version__

        out.print(f"geoloft {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Verbose = False,
    quiet: Quiet = False,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Set logging from -v / -q (accepted before or after the command)."""
    _state["command"] = ctx.invoked_subcommand
    _state["verbose"] = verbose
    _state["quiet"] = quiet and not verbose  # -v wins
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(message)s")
    logging.getLogger().setLevel(level)
    logging.getLogger("geoloft").setLevel(level)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # "Created N records" is noise
    warnings.formatwarning = _format_warning
    if _state["quiet"]:
        out.quiet = console.quiet = True  # no progress, summaries, notes or "wrote ..." lines
        warnings.simplefilter("ignore")  # main() restores the filters afterwards


def is_quiet() -> bool:
    """Return whether ``-q`` was given: no progress bars, summaries or notes."""
    return bool(_state["quiet"])


def set_stage(name: str | None) -> None:
    """Record the stage a command is in, named in the report of a crash."""
    _state["stage"] = name


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
    errors.print(Text.assemble(("error: ", "bold red"), str(err)), highlight=False, soft_wrap=True)


def _os_error(err: OSError) -> str:
    """One line for a file-system error: the file, what went wrong, and what to do."""
    if err.filename is None or not err.strerror:
        return str(err)
    name = Path(str(err.filename))
    if name.name.startswith(".") and ".tmp" in name.name:  # atomic writes: name the folder
        name = name.parent
    what = err.strerror[0].lower() + err.strerror[1:]
    return f"{name}: {what}. Fix: check the path, or choose a folder you can write to."


def hoist_global_flags(args: list[str]) -> list[str]:
    """Move ``-v``/``-q`` (and their long forms) to the front, wherever they were given.

    Everything after ``--`` stays as it is.

    Examples
    --------
    >>> hoist_global_flags(["info", "a.csv", "-q"])
    ['-q', 'info', 'a.csv']
    >>> hoist_global_flags(["info", "--", "-v"])
    ['info', '--', '-v']
    """
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in GLOBAL_FLAGS]
    rest = [a for a in args[:end] if a not in GLOBAL_FLAGS]
    return [*flags, *rest, *args[end:]]


def _where_it_broke(err: BaseException) -> str:
    """Return ``module.py:line (function)`` of the innermost geoloft frame of ``err``."""
    frames = [
        f for f in traceback.extract_tb(err.__traceback__) if "geoloft" in Path(f.filename).parts
    ]
    if not frames:
        return ""
    frame = frames[-1]
    parts = Path(frame.filename).parts
    short = "/".join(parts[len(parts) - 1 - parts[::-1].index("geoloft") :])
    return f"{short}:{frame.lineno} ({frame.name})"


def bug_message(err: BaseException) -> str:
    """One line for an unexpected error: it is a bug, what was being done, how to see more."""
    doing = [f"'geoloft {_state['command']}'" if _state["command"] else "geoloft"]
    if _state["stage"]:
        doing.append(f"stage '{_state['stage']}'")
    where = _where_it_broke(err)
    if where:
        doing.append(f"in {where}")
    what = f"{type(err).__name__}: {err}".strip().rstrip(":")
    what = " ".join(what.split())  # one line, whatever the exception said
    if len(what) > 200:  # a whole table in a KeyError: -v shows it
        what = what[:199] + "…"
    return (
        f"this is a bug in geoloft ({what}) while running {', '.join(doing)}. "
        f"Run the same command with -v to see the details, and please report them at "
        f"{ISSUES_URL}."
    )


def _import_error(err: ImportError) -> str:
    """One line for a missing package: geoloft's own message names the extra to install."""
    if not isinstance(err, ModuleNotFoundError) or not err.name:
        return str(err)
    top = err.name.split(".")[0]
    return (
        f"the package '{top}' is not installed ({err}). Fix: pip install {top}, "
        "or reinstall geoloft with its dependencies."
    )


def _reset() -> None:
    _state.update(verbose=False, quiet=False, command=None, stage=None)
    out.quiet = console.quiet = False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 done, 1 bad input or a bug in geoloft (one line; ``-v`` shows the traceback),
    2 usage, 130 interrupted.
    """
    args = hoist_global_flags(list(sys.argv[1:] if argv is None else argv))
    _reset()
    _state["command"] = next((a for a in args if not a.startswith("-")), None)
    verbose = "-v" in args or "--verbose" in args
    try:
        with warnings.catch_warnings():
            return _invoke(args, verbose)
    finally:
        _reset()


def _invoke(args: list[str], verbose: bool) -> int:
    from geoloft.cli import LOAD_ERRORS

    for name, problem in LOAD_ERRORS.items():  # a command module failed to import
        _state["command"] = name
        report_error(bug_message(problem))
    try:
        app(args=args, prog_name="geoloft", standalone_mode=False)
    except (typer.Exit, SystemExit) as err:
        code = getattr(err, "exit_code", getattr(err, "code", 0))
        return int(code or 0)
    except (typer.Abort, KeyboardInterrupt):
        report_error("interrupted.")
        return 130
    except Exception as err:
        # Usage errors from click (typer may ship its own copy) carry show() and exit_code 2.
        exit_code = getattr(err, "exit_code", None)
        if hasattr(err, "show") and isinstance(exit_code, int):
            err.show()
            return int(exit_code)
        if verbose:
            errors.print_exception()
        report_error(_one_line(err))
        return 1
    return 0


def _one_line(err: Exception) -> str:
    """Return one line for an error: bad input, file system, missing package or a bug."""
    if isinstance(err, GeoloftError):
        return str(err)
    if isinstance(err, OSError):  # missing file, no permission, read-only, disk full
        return _os_error(err)
    if isinstance(err, ImportError):  # an optional package (pyarrow) or a broken install
        return _import_error(err)
    return bug_message(err)
