"""Reusable input checks that collect every problem and raise once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike

import pandas as pd

from geoloft.errors import InputError, SchemaError, format_rows


@dataclass
class Problems:
    """Collect input problems during a validation pass, then raise them together.

    Parameters
    ----------
    source
        The file or argument being checked; named in the error.
    error
        The exception class raised when there is exactly one kind of problem.
    """

    source: str | PathLike[str] | None = None
    error: type[InputError] = InputError
    items: list[str] = field(default_factory=list)
    kinds: list[type[InputError]] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        column: str | None = None,
        rows: Sequence[object] | None = None,
        n_rows: int | None = None,
        hint: str | None = None,
        kind: type[InputError] | None = None,
    ) -> None:
        """Record one problem."""
        parts = []
        if column:
            parts.append(f"column '{column}'")
        if rows:
            parts.append(format_rows(rows, n_rows))
        text = f"{', '.join(parts)}: {message}" if parts else message
        if hint:
            text += f" Fix: {hint}"
        self.items.append(text)
        self.kinds.append(kind or self.error)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one error listing every recorded problem, if there are any."""
        if not self.items:
            return
        kind = self.kinds[0] if len(set(self.kinds)) == 1 else InputError
        if len(self.items) == 1:
            raise kind(self.items[0], source=self.source)
        listing = "\n".join(f"  - {item}" for item in self.items)
        raise kind(f"{len(self.items)} problems:\n{listing}", source=self.source)


def check_unique(values: pd.Series, *, source: str | PathLike[str] | None, column: str) -> None:
    """Raise :class:`SchemaError` listing duplicated values of ``values``.

    Examples
    --------
    >>> check_unique(pd.Series(["01", "02"]), source="t.csv", column="area_id")
    """
    dup = values[values.duplicated(keep=False)]
    if len(dup):
        ids = list(dict.fromkeys(dup.astype(str)))
        raise SchemaError(
            f"duplicate ids {format_rows(ids).split(': ', 1)[1]} "
            f"({len(ids)} ids occur more than once).",
            source=source,
            column=column,
            hint="each id must occur once; remove or merge the duplicated rows, "
            "or name another id column.",
        )


def require_columns(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    source: str | PathLike[str] | None,
    what: str = "",
) -> None:
    """Raise :class:`SchemaError` naming every column of ``columns`` not in ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, frame.columns))
        raise SchemaError(
            f"missing {what + ' ' if what else ''}column(s) {', '.join(missing)}; "
            f"the table has: {available}.",
            source=source,
            hint="rename the columns or name the right ones in the call or project file.",
        )
