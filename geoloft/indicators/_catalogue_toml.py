"""TOML parsing of indicator catalogues, with line numbers in every error."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from geoloft._validate import Problems
from geoloft.errors import ConfigError
from geoloft.indicators.catalogue import Catalogue, Indicator

_TOP_KEYS = ("indicator", "title", "description")
_FIELDS = {f.name: f for f in fields(Indicator) if f.name != "_"}
_BOOL_KEYS = {"context_only", "sensitive"}
_REQUIRED = ("id", "label_nb", "label_en", "domain")


def parse_catalogue(text: str, source: str) -> Catalogue:
    """Parse catalogue TOML ``text``; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"not valid TOML: {err}.", source=source, hint="fix the TOML syntax at the line named."
        ) from err
    problems = Problems(source=source, error=ConfigError)
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(
                f"line {_line_of(text, key)}: unknown top-level key '{key}'"
                f"{_did_you_mean(key, _TOP_KEYS)}"
            )
    tables = data.get("indicator", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.add("'indicator' must be an array of tables, written [[indicator]]")
        tables = []
    items = []
    for n, table in enumerate(tables, start=1):
        ind = _indicator_from_table(table, n, text, problems)
        if ind is not None:
            items.append(ind)
    ids = [i.id for i in items]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.add(
            f"line {_line_of(text, 'id', value=dup)}: indicator id '{dup}' is used more than once",
            hint="give every indicator its own id.",
        )
    if not tables and not problems:
        problems.add("no [[indicator]] tables", hint="declare at least one [[indicator]].")
    problems.raise_if_any()
    return Catalogue(tuple(items), source=source)


def _indicator_from_table(
    table: dict[str, Any], n: int, text: str, problems: Problems
) -> Indicator | None:
    where = f"indicator {n}" + (f" ('{table['id']}')" if isinstance(table.get("id"), str) else "")
    ok = True
    for key, val in table.items():
        line = _line_of(text, key, nth_table=n)
        if key not in _FIELDS:
            problems.add(
                f"line {line}: unknown key '{key}' in {where}{_did_you_mean(key, list(_FIELDS))}"
            )
            ok = False
        elif not _type_ok(key, val):
            want = (
                "true or false"
                if key in _BOOL_KEYS
                else ("a number" if key == "weight" else "a text in quotes")
            )
            problems.add(f"line {line}: '{key}' in {where} must be {want}, not {val!r}")
            ok = False
    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        problems.add(f"line {_table_line(text, n)}: {where} lacks {', '.join(missing)}")
        ok = False
    if not ok:
        return None
    try:
        return Indicator(**table)
    except ConfigError as err:
        problems.add(f"line {_table_line(text, n)}: {where}: {err.message}")
        return None


def _type_ok(key: str, val: object) -> bool:
    if key in _BOOL_KEYS:
        return isinstance(val, bool)
    if key == "weight":
        return isinstance(val, int | float) and not isinstance(val, bool)
    return isinstance(val, str)


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else f" (known: {', '.join(known)})"


def _table_line(text: str, n: int) -> int:
    """Line number (1-based) of the ``n``-th ``[[indicator]]`` header (0 if absent)."""
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"\s*\[\[\s*indicator\s*\]\]", line):
            count += 1
            if count == n:
                return number
    return 0


def _line_of(text: str, key: str, *, nth_table: int = 0, value: str | None = None) -> int:
    """Line number of ``key = …`` (inside the ``nth_table``-th indicator, if given)."""
    lines = text.splitlines()
    start = _table_line(text, nth_table) if nth_table else 0
    k = re.escape(key)
    pattern = re.compile(rf"\s*(['\"]?{k}['\"]?\s*=|\[+\s*{k}\s*\]+)")
    for number in range(start + 1 if start else 1, len(lines) + 1):
        line = lines[number - 1]
        if nth_table and number > start and re.match(r"\s*\[", line):
            break
        if pattern.match(line) and (value is None or value in line):
            return number
    return start
