"""Shared low-level file handling for the readers and writers.

Encoding detection (UTF-8, UTF-8 with BOM, Latin-1), delimiter sniffing for
SSB-style CSV files, Norwegian number parsing with suppression markers, and
atomic writes (temporary file in the target folder, then rename).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geoloft.columns import SSB_MISSING_MARKERS
from geoloft.errors import (
    EncodingError,
    GeoloftError,
    InputError,
    OutputExistsError,
    SchemaError,
)

TABLE_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls"})


def existing_file(path: str | os.PathLike[str], *, what: str = "file") -> Path:
    """Return ``path`` as a :class:`Path`, or raise if it is missing or empty."""
    p = Path(path)
    if not p.exists():
        hint = "check the path"
        parent = p.parent if str(p.parent) else Path()
        if parent.is_dir():
            near = sorted(x.name for x in parent.iterdir() if x.suffix == p.suffix)[:5]
            if near:
                hint += f"; files with the same suffix there: {', '.join(near)}"
        raise InputError(f"{what} not found.", source=p, hint=hint + ".")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(
            f"the {what} is empty (0 bytes).",
            source=p,
            hint="export the data again; the file holds nothing.",
        )
    return p


def utf8_or_latin1(raw: bytes, *, truncated: bool = False) -> str:
    """Return ``"utf-8"`` when ``raw`` decodes as UTF-8, else ``"latin-1"``.

    Latin-1 (ISO-8859-1, the encoding of older Norwegian exports) is the
    fallback because every byte sequence decodes in it. ``truncated`` says
    ``raw`` is the start of a longer file: a multibyte character cut at its
    end then still counts as UTF-8.

    Examples
    --------
    >>> utf8_or_latin1("Bø".encode()), utf8_or_latin1("Bø".encode("latin-1"))
    ('utf-8', 'latin-1')
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        if not truncated or err.start < len(raw) - 4:
            return "latin-1"
    return "utf-8"


def detect_encoding(path: Path, *, sample: int = 1 << 20) -> str:
    """Return ``"utf-8-sig"`` (BOM), ``"utf-16"`` (BOM), ``"utf-8"`` or ``"latin-1"``.

    UTF-8 is tried first on the first ``sample`` bytes, then Latin-1 (see
    :func:`utf8_or_latin1`).
    """
    with path.open("rb") as fh:
        raw = fh.read(sample)
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return utf8_or_latin1(raw, truncated=path.stat().st_size > len(raw))


def sniff_separator(first_line: str) -> str | None:
    """Return the field separator of an SSB-style CSV header line.

    ``None`` means runs of whitespace (as in SSB's 100 m Oslo file).

    Examples
    --------
    >>> sniff_separator("ru250m;pop_tot")
    ';'
    >>> sniff_separator("rute_100m sum") is None
    True
    """
    for sep in (";", "\t", ",", "|"):
        if sep in first_line:
            return sep
    return None


def read_text_table(path: Path, *, dtype: type = str) -> pd.DataFrame:
    """Read a delimited text table with every cell as a string.

    Detects encoding and separator; raises a clear error for empty files and
    files that hold only a header.
    """
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        header = fh.readline().strip()
    if not header:
        raise InputError(
            "the file has no header line.",
            source=path,
            hint="the first line must name the columns.",
        )
    sep = sniff_separator(header)
    try:
        frame = pd.read_csv(
            path,
            sep=sep if sep is not None else r"\s+",
            dtype=dtype,
            keep_default_na=False,
            encoding=encoding,
            engine="c" if sep is not None else "python",
            quoting=csv.QUOTE_MINIMAL,
        )
    except UnicodeDecodeError as err:  # pragma: no cover - latin-1 decodes everything
        raise EncodingError(str(err), source=path, hint="save the file as UTF-8.") from err
    except pd.errors.ParserError as err:
        raise _parser_error(err, path, sep) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["encoding"] = encoding
    return frame


def _parser_error(err: pd.errors.ParserError, path: Path, sep: str | None) -> InputError:
    """Name the line with more fields than the header (a separator inside a field)."""
    import re

    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    if found is None:
        text = " ".join(str(err).split())
        return InputError(
            f"cannot parse the table ({text}).",
            source=path,
            hint="check the separator and quoting.",
        )
    expected, line, saw = (int(g) for g in found.groups())
    shown = {";": "semicolon (;)", ",": "comma (,)", "\t": "tab", "|": "bar (|)"}.get(
        sep or "", "separator"
    )
    return InputError(
        f"line {line} has {saw} fields where the header has {expected}: a {shown} inside a "
        "field (such as a name) splits it in two.",
        source=path,
        hint=f'put that field in double quotes ("…") or remove the {shown} from it; '
        "line numbers count the header as line 1.",
    )


@dataclass(frozen=True)
class ParsedNumbers:
    """Result of :func:`parse_numbers`."""

    values: pd.Series  # float64, NaN where missing or suppressed
    suppressed: np.ndarray  # bool: an SSB suppression marker or empty cell
    bad_rows: np.ndarray  # positions of values that are neither numbers nor markers


def parse_numbers(values: pd.Series) -> ParsedNumbers:
    """Parse numbers written the Norwegian or English way.

    Accepts decimal commas (``"39,9"``), spaces and non-breaking spaces as
    thousands separators (``"1 234,5"``) and SSB's suppression markers
    (``.``, ``:``, ``..``, ``-`` …), which become NaN and are flagged. Empty
    strings also count as missing. Anything else is reported in ``bad_rows``.

    Examples
    --------
    >>> r = parse_numbers(pd.Series(["1 234,5", ".", "7", "abc"]))
    >>> r.values.tolist()[:3]
    [1234.5, nan, 7.0]
    >>> r.bad_rows.tolist()
    [3]
    """
    if pd.api.types.is_numeric_dtype(values):
        out = values.astype("float64")
        return ParsedNumbers(out, out.isna().to_numpy(), np.array([], dtype=int))
    text = values.astype("string").str.strip().fillna("")
    suppressed = text.isin(SSB_MISSING_MARKERS | {""}).to_numpy()
    # the spaces as characters, not \u escapes: pyarrow's regex engine (pandas 3 strings,
    # pyarrow < 26) rejects "\u" in a pattern
    cleaned = text.str.replace("[\\s\u00a0\u202f]", "", regex=True)
    has_comma = cleaned.str.contains(",", regex=False)
    has_dot = cleaned.str.contains(".", regex=False)
    # "1.234,5" -> thousands dot, decimal comma; "1,234.5" -> thousands comma
    both = has_comma & has_dot
    comma_last = cleaned.str.rfind(",") > cleaned.str.rfind(".")
    cleaned = cleaned.where(~(both & comma_last), cleaned.str.replace(".", "", regex=False))
    cleaned = cleaned.where(~(both & ~comma_last), cleaned.str.replace(",", "", regex=False))
    cleaned = cleaned.str.replace(",", ".", regex=False)
    cleaned = cleaned.str.replace("\u2212", "-", regex=False)  # minus sign
    numbers = pd.to_numeric(
        cleaned.where(~pd.Series(suppressed, index=text.index)), errors="coerce"
    )
    bad = np.flatnonzero(numbers.isna().to_numpy() & ~suppressed)
    return ParsedNumbers(numbers.astype("float64"), suppressed, bad)


#: errno values of a full disk or a quota, and of a folder one may not write to.
_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG})
_DENIED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


#: Free space below which a failed write is put down to a full disk.
NEARLY_FULL = 1 << 20


def _nearly_full(folder: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL
    except OSError:
        return False


class OutputWriteError(GeoloftError, OSError):
    """An output could not be written: the disk is full or the folder is not writable.

    The message names the path and the fix.
    """

    @classmethod
    def from_os_error(cls, err: OSError, path: Path) -> OutputWriteError:
        """Return the error for ``err`` while writing ``path``."""
        return cls.from_exception(err, path) or cls(f"{path}: cannot write ({err}).")

    @classmethod
    def from_exception(cls, err: BaseException, path: Path) -> OutputWriteError | None:
        """Return the error for a full disk or a refused write, or ``None`` for anything else.

        GDAL and other libraries report a full disk in their own exceptions
        (``No space left on device`` without a path); those are recognised by text.
        """
        code = err.errno if isinstance(err, OSError) else None
        text = str(err).lower()
        full = code in _FULL or any(
            w in text for w in ("no space left", "disk quota", "disk is full")
        )
        if full or _nearly_full(path.parent):  # GDAL: "Failed to commit transaction"
            return cls(
                f"{path}: the disk is full (no space left on device) while writing this file. "
                f"Fix: free space on the disk that holds {path.parent}, or choose another "
                "output folder (--out); nothing of the earlier output was replaced."
            )
        if code in _DENIED or "permission denied" in text or "read-only file system" in text:
            return cls(
                f"{path}: permission denied while writing this file. Fix: make "
                f"{path.parent} writable for you (or its parent folder, where a run writes "
                "its new output first), or choose another output folder (--out)."
            )
        return None


def check_not_input(target: Path, inputs: tuple[Path, ...] = ()) -> None:
    """Refuse to write over one of the run's input files."""
    resolved = target.resolve()
    for item in inputs:
        if item.exists() and item.resolve() == resolved:
            raise OutputExistsError(
                f"{target}: refusing to overwrite an input file; choose another output path."
            )


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: tuple[Path, ...] = (),
) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place on success.

    Nothing is left behind when the body raises: the temporary file is removed
    and an existing ``target`` is untouched.
    """
    target = Path(target)
    check_not_input(target, inputs)
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{target}: the file exists; pass overwrite=True (CLI: --overwrite) to replace it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL) want to create the file themselves
    try:
        try:
            yield tmp
            tmp.replace(target)
        except OutputWriteError:
            raise
        except Exception as err:
            problem = OutputWriteError.from_exception(err, target)
            if problem is None:
                raise
            raise problem from err
    finally:
        for leftover in (tmp, *tmp.parent.glob(tmp.name + "*")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


# -- Excel workbooks (added for read_indicators; usable by any reader) ---------------------

#: First bytes of .xlsx (zip) and .xls (OLE2 compound document) files.
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def is_workbook(path: Path) -> bool:
    """Return whether ``path`` is an Excel workbook, by its content or its suffix."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    return magic.startswith((XLSX_MAGIC, XLS_MAGIC)) or path.suffix.lower() in {
        ".xlsx", ".xlsm", ".xls",
    }  # fmt: skip


def read_workbook(path: Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read one sheet of an .xlsx or .xls workbook with every cell as a string.

    Leading empty rows are skipped; the first non-empty row names the columns.
    Whole numbers stored as floats are written without ``.0`` (ids such as
    ``1104``); leading zeros Excel dropped cannot be recovered here. Fully
    empty rows are left out; the index keeps the data row position (0-based,
    counted from the row below the header).
    """
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(XLSX_MAGIC):
        return _read_xlsx(path, sheet)
    if magic.startswith(XLS_MAGIC):
        return _read_xls(path, sheet)
    raise InputError(
        "the file is not a valid Excel workbook.",
        source=path,
        hint="open it in a spreadsheet program and save it as .xlsx or CSV.",
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _frame_from_rows(rows: list[list[object]], src: Path) -> pd.DataFrame:
    """Build a string frame; leading empty rows skipped, then the header, then data."""
    cells = [[_cell_text(v) for v in row] for row in rows]
    start = next((i for i, row in enumerate(cells) if any(row)), None)
    if start is None:
        raise InputError("the sheet is empty.", source=src, hint="choose another sheet.")
    header = [h or f"column_{i + 1}" for i, h in enumerate(cells[start])]
    width = len(header)
    body = [(row + [""] * width)[:width] for row in cells[start + 1 :]]
    frame = pd.DataFrame(body, columns=header, dtype=str)
    # Fully empty rows (formatting left-overs) are not data; row numbers stay as in the sheet.
    return frame[(frame != "").any(axis=1)]


def _pick_sheet(names: list[str], sheet: str | int | None, src: Path) -> int:
    if sheet is None:
        return 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return sheet
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    raise SchemaError(
        f"no sheet {sheet!r}; the workbook has {', '.join(map(repr, names))}.",
        source=src,
        hint="choose one of these sheets, by name or 0-based index.",
    )


def _read_xlsx(src: Path, sheet: str | int | None) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(src, read_only=True, data_only=True)
    except Exception as err:  # zip or XML damage; openpyxl raises many kinds
        raise InputError(
            f"cannot read the workbook ({err}).", source=src, hint="save it again as .xlsx or CSV."
        ) from err
    try:
        ws = book.worksheets[_pick_sheet(book.sheetnames, sheet, src)]
        return _frame_from_rows([list(r) for r in ws.iter_rows(values_only=True)], src)
    finally:
        book.close()


def _read_xls(src: Path, sheet: str | int | None) -> pd.DataFrame:
    import xlrd

    try:
        book = xlrd.open_workbook(src, on_demand=True)
    except xlrd.XLRDError as err:
        raise InputError(
            f"cannot read the workbook ({err}).", source=src, hint="save it again as .xlsx or CSV."
        ) from err
    try:
        ws = book.sheet_by_index(_pick_sheet(book.sheet_names(), sheet, src))
        return _frame_from_rows([ws.row_values(i) for i in range(ws.nrows)], src)
    finally:
        book.release_resources()


@contextlib.contextmanager
def gdal_quiet_reads() -> Iterator[None]:
    """Keep GDAL from writing a ``.aux.xml`` beside a file it reads (``GDAL_PAM_ENABLED=NO``).

    GDAL's persistent auxiliary metadata (PAM) saves dataset metadata of a
    GeoPackage it opened read-only in ``<file>.aux.xml`` next to it, so reading
    an input changed the user's folder. The option is set for the block only.
    """
    import pyogrio

    before = pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED")
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": before})


def ogr_open_options(path: Path) -> dict[str, str]:
    """Open options that keep GDAL from writing beside an input file.

    GDAL's GML driver writes a ``.gfs`` schema file next to the GML it opens;
    ``WRITE_GFS=NO`` stops that, so reading never changes an input folder.
    """
    return {"WRITE_GFS": "NO"} if path.suffix.lower() == ".gml" else {}


def list_ogr_layers(path: Path) -> np.ndarray:
    """Return ``[[name, geometry type], ...]`` of a vector file's layers, writing nothing.

    pyogrio's ``list_layers`` takes no open options, so GML layers are listed one
    by one with :func:`ogr_open_options`.
    """
    import pyogrio
    from pyogrio.errors import DataLayerError

    options = ogr_open_options(path)
    if not options:
        return pyogrio.list_layers(path)
    layers: list[list[str]] = []
    while True:
        try:
            info = pyogrio.read_info(path, layer=len(layers), **options)
        except DataLayerError:
            break
        layers.append([info["layer_name"], info["geometry_type"]])
    return np.array(layers, dtype=object).reshape(-1, 2)
