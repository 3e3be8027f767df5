"""Stage reports: rows in, rows out, rows dropped with reasons.

Every stage attaches a :class:`StageReport` to what it returns (in
``frame.attrs["report"]``) and the pipeline collects them into its run report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["StageReport", "get_report"]

REPORT_KEY = "report"


@dataclass
class StageReport:
    """What one stage did to the rows that went through it.

    Parameters
    ----------
    stage
        Stage name, such as ``"read_grid"`` or ``"join_grid"``.
    source
        The file or argument the rows came from.
    rows_in
        Rows (features, cells, table rows) that came in.
    rows_out
        Rows that went out.
    dropped
        Rows dropped, by reason (reason -> count).
    notes
        Other counts and facts worth reporting (reason -> value), such as the
        number of suppressed values per column or repaired geometries.
    """

    stage: str
    source: str = ""
    rows_in: int = 0
    rows_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def drop(self, reason: str, count: int) -> None:
        """Record ``count`` rows dropped for ``reason`` (ignored when zero)."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    @property
    def n_dropped(self) -> int:
        """Total rows dropped, over all reasons."""
        return sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary; long lists are cut to a count and examples.

        A run record names what was dropped, not every row of a national file: a list
        longer than :data:`MAX_EXAMPLES` becomes ``{"count": n, "examples": [...]}``.

        Examples
        --------
        >>> r = StageReport("join_grid", notes={"cells_outside": list(range(100))})
        >>> r.to_dict()["notes"]["cells_outside"]
        {'count': 100, 'examples': [0, 1, 2, 3, 4]}
        """
        record = asdict(self)
        record["notes"] = {k: _shorten(v) for k, v in record["notes"].items()}
        return record

    def summary(self) -> str:
        """Return one line: stage, rows in and out, and what was dropped."""
        text = f"{self.stage}: {self.rows_in} in, {self.rows_out} out"
        if self.dropped:
            reasons = "; ".join(f"{n} {why}" for why, n in self.dropped.items())
            text += f" (dropped: {reasons})"
        return text


#: How many items of a long list a run record keeps.
MAX_EXAMPLES = 5


def _shorten(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) > MAX_EXAMPLES:
        return {"count": len(value), "examples": list(value[:MAX_EXAMPLES])}
    if isinstance(value, dict) and len(value) > 4 * MAX_EXAMPLES:
        return {"count": len(value), "examples": dict(list(value.items())[:MAX_EXAMPLES])}
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


def get_report(frame: pd.DataFrame) -> StageReport | None:
    """Return the stage report attached to ``frame``, if any.

    Examples
    --------
    >>> import pandas as pd
    >>> get_report(pd.DataFrame()) is None
    True
    """
    report = frame.attrs.get(REPORT_KEY)
    return report if isinstance(report, StageReport) else None


def source_of(frame: pd.DataFrame, default: str) -> str:
    """Return the file a reader read ``frame`` from (its report's source), or ``default``.

    Examples
    --------
    >>> import pandas as pd
    >>> source_of(pd.DataFrame(), "table")
    'table'
    """
    report = get_report(frame)
    return report.source if report is not None and report.source else default


def attach_report(frame: pd.DataFrame, report: StageReport) -> pd.DataFrame:
    """Attach ``report`` to ``frame`` (in place) and return the frame."""
    frame.attrs[REPORT_KEY] = report
    return frame
