"""The indicator catalogue: every living-condition indicator declared once.

An indicator names the columns it is computed from in an indicator table —
a numerator and a denominator (counts), or a value and the population it
refers to — with labels in bokmål and English, a domain (income, education,
work, …), a direction and a weight. Catalogues are TOML files with one
``[[indicator]]`` table per indicator (see ``default_catalogue.toml``) or
Python objects.

*Levekår* (living conditions) and *levekårsutsatt* (an area whose residents
score badly on many of them) are the Norwegian terms. Country of origin and
ethnicity are never a designation criterion by default: such indicators are
*sensitive* and may only be shown as context (``context_only = true``).
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from importlib import resources
from pathlib import Path

from geoloft._io import existing_file
from geoloft._validate import MAX_TEXT_LENGTH, UNSAFE_CHARACTERS
from geoloft.errors import ConfigError
from geoloft.sensitive import SENSITIVE_DOMAINS, sensitive_theme

__all__ = [
    "DIRECTIONS",
    "GRID_COLUMNS",
    "RATE_UNITS",
    "SENSITIVE_DOMAINS",
    "SOURCES",
    "Catalogue",
    "Indicator",
    "default_catalogue",
    "default_catalogue_path",
    "load_catalogue",
]

#: Where an indicator's columns come from.
SOURCES = ("table", "grid")
#: Columns geoloft computes per area from the grid, for indicators with ``source = "grid"``
#: (besides every count column of the grid itself, such as ``pop_tot``, ``pop_mal``).
GRID_COLUMNS: dict[str, str] = {
    "pop_tot": "residents (persons), from the grid by exact area shares",
    "pop_ave": "mean age of residents (years), where the grid has it",
    "settled_km2": "settled area: km² of populated grid cells within the area",
    "density_settled": "residents per km² of settled area",
    "pop_tot_baseline": "residents in the baseline grid ([inputs.grid] baseline)",
    "pop_change": "residents now minus residents in the baseline grid",
    "pop_change_pct": "population change since the baseline grid, per cent",
}
#: Allowed directions: which way is worse.
DIRECTIONS = ("higher_is_worse", "higher_is_better")
#: Units that are shares of a population, with the factor from a proportion.
RATE_UNITS: dict[str, float] = {"percent": 100.0, "per_1000": 1000.0, "proportion": 1.0}
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT_TOML = "default_catalogue.toml"


@dataclass(frozen=True)
class Indicator:
    """One living-condition indicator.

    Parameters
    ----------
    id
        Column-safe id (lower-case ASCII letters, digits, ``_``; starts with a
        letter). Output columns are ``<id>_rate``, ``<id>_std`` and ``<id>_flag``.
    label_nb, label_en
        Labels in bokmål and English, as shown in maps and explanations.
    numerator, denominator
        Count columns in the indicator table: persons with the condition and
        the population at risk. The rate is ``numerator / denominator``,
        computed after any aggregation (counts, then rates).
    value, population
        Instead of counts: a column holding the rate itself (in ``unit``) and,
        optionally, the column holding the persons it refers to. Without a
        population every area weighs the same in the reference mean and the
        value is taken as exact (no shrinkage, no resampling).
    unit
        ``"percent"``, ``"per_1000"`` or ``"proportion"`` for shares of a
        population; any other unit (``"NOK"``, ``"years"``) is a level.
    domain
        Theme the indicator belongs to (``income``, ``education``, ``work``,
        ``health``, ``housing``, ``family``, …); composite methods combine
        within domains first.
    direction
        ``"higher_is_worse"`` or ``"higher_is_better"``.
    weight
        Relative weight (> 0); only ratios between weights matter.
    definition
        One-line definition: who is counted, over which population.
    context_only
        Shown in the output but never part of an index or a designation rule.
    sensitive
        Country of origin, immigrant background, citizenship, refugee status,
        religion or ethnicity. Also recognised without the flag, from a domain in
        :data:`SENSITIVE_DOMAINS` or such wordings in bokmål, nynorsk or English
        in the id, labels, domain or column names (:mod:`geoloft.sensitive`).
    source
        ``"table"`` (default): the columns are in the indicator table.
        ``"grid"``: the columns are computed from the population grid for each
        area (:data:`GRID_COLUMNS`: counts such as ``pop_tot``, ``pop_fem``, the
        mean age ``pop_ave``, the settled area, population change against a
        baseline grid), so a project needs no indicator table.

    Examples
    --------
    >>> ind = Indicator("low_income", "Lavinntekt", "Low income",
    ...                 numerator="li_n", denominator="li_d", domain="income")
    >>> ind.columns
    ('li_n', 'li_d')
    """

    id: str
    label_nb: str
    label_en: str
    _: KW_ONLY
    numerator: str | None = None
    denominator: str | None = None
    value: str | None = None
    population: str | None = None
    unit: str = "percent"
    domain: str
    direction: str = "higher_is_worse"
    weight: float = 1.0
    definition: str = ""
    context_only: bool = False
    sensitive: bool = False
    source: str = "table"

    def __post_init__(self) -> None:
        problems = _indicator_problems(self)
        if problems:
            raise ConfigError(
                "; ".join(problems) + ".",
                source=f"indicator '{self.id}'",
                hint="see the [[indicator]] format in the geoloft documentation "
                "(geoloft/indicators/default_catalogue.toml is an example).",
            )

    @property
    def columns(self) -> tuple[str, ...]:
        """Table columns this indicator reads, in declaration order."""
        cols = (self.numerator, self.denominator, self.value, self.population)
        return tuple(c for c in cols if c)

    @property
    def from_counts(self) -> bool:
        """True when the rate is computed from a numerator and a denominator."""
        return self.numerator is not None

    @property
    def is_rate(self) -> bool:
        """True when the indicator is a share of a population (can be resampled)."""
        return self.from_counts or (self.unit in RATE_UNITS and self.population is not None)

    @property
    def scale(self) -> float:
        """Factor from the internal proportion to ``unit`` (1 for levels)."""
        return RATE_UNITS.get(self.unit, 1.0) if self.is_rate else 1.0

    @property
    def sign(self) -> int:
        """+1 when higher is worse, -1 when higher is better."""
        return 1 if self.direction == "higher_is_worse" else -1

    @property
    def is_sensitive(self) -> bool:
        """True for country of origin, ethnicity and similar indicators."""
        return self.sensitive_theme is not None

    @property
    def sensitive_theme(self) -> str | None:
        """Why the indicator is sensitive (``"marked sensitive"``, ``"citizenship"``, …), or None.

        See :mod:`geoloft.sensitive`: the flag, a sensitive domain, or a wording of
        origin, immigrant background, citizenship, refugee status, religion or
        ethnicity in the id, the labels, the domain or the column names.
        """
        if self.sensitive:
            return "marked sensitive"
        if self.domain.lower() in SENSITIVE_DOMAINS:
            return f"domain '{self.domain}'"
        return sensitive_theme(self.id, self.label_nb, self.label_en, self.domain, *self.columns)

    def label(self, lang: str = "nb") -> str:
        """Return the label in ``lang`` (``"nb"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_nb


def _indicator_problems(ind: Indicator) -> list[str]:
    out = []
    if not isinstance(ind.id, str) or not _ID_PATTERN.match(ind.id):
        out.append(
            f"id {ind.id!r} is not column-safe (use lower-case letters, digits and _, "
            "starting with a letter)"
        )
    for name in ("label_nb", "label_en", "unit", "domain"):
        if not isinstance(getattr(ind, name), str) or not getattr(ind, name).strip():
            out.append(f"{name} must be a non-empty text")
        elif len(getattr(ind, name)) > MAX_TEXT_LENGTH:
            out.append(f"{name} is {len(getattr(ind, name))} characters; at most {MAX_TEXT_LENGTH}")
        elif re.search(UNSAFE_CHARACTERS, getattr(ind, name)):
            out.append(f"{name} holds control or bidirectional characters (NUL, U+202E …)")
    if ind.direction not in DIRECTIONS:
        out.append(f"direction {ind.direction!r} must be one of {', '.join(DIRECTIONS)}")
    w = ind.weight
    if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w <= 0:
        out.append(f"weight {w!r} must be a number > 0")
    counts = ind.numerator is not None or ind.denominator is not None
    value = ind.value is not None or ind.population is not None
    if counts and value:
        out.append("give either numerator + denominator or value (+ population), not both")
    elif counts and (ind.numerator is None or ind.denominator is None):
        out.append("a numerator needs a denominator and the other way round")
    elif not counts and ind.value is None:
        out.append("give numerator + denominator columns, or a value column")
    if ind.source not in SOURCES:
        out.append(f"source {ind.source!r} must be one of {', '.join(SOURCES)}")
    return out


@dataclass(frozen=True)
class Catalogue:
    """An ordered, validated collection of :class:`Indicator` objects.

    Parameters
    ----------
    indicators
        The indicators; ids must be unique.
    source
        Where the catalogue came from (a file path, or ``"default"``).

    Examples
    --------
    >>> cat = Catalogue((Indicator("a", "A", "A", value="a", domain="x"),))
    >>> cat.ids, "a" in cat, cat["a"].value
    (('a',), True, 'a')
    """

    indicators: tuple[Indicator, ...]
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        items = tuple(self.indicators)
        object.__setattr__(self, "indicators", items)
        bad = [type(i).__name__ for i in items if not isinstance(i, Indicator)]
        if bad:
            raise TypeError(f"a Catalogue holds Indicator objects, not {', '.join(bad)}")
        ids = [i.id for i in items]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ConfigError(
                f"duplicate indicator ids: {', '.join(dup)}.",
                source=self.source,
                hint="give every indicator its own id.",
            )
        if not items:
            raise ConfigError(
                "the catalogue holds no indicators.",
                source=self.source,
                hint="declare at least one [[indicator]].",
            )

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __contains__(self, key: object) -> bool:
        return key in self.ids

    def __getitem__(self, key: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == key:
                return ind
        near = difflib.get_close_matches(str(key), self.ids, n=1)
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise KeyError(f"no indicator '{key}' in the catalogue.{hint}")

    @property
    def ids(self) -> tuple[str, ...]:
        """Indicator ids, in order."""
        return tuple(i.id for i in self.indicators)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every table column the catalogue reads, without repeats."""
        return tuple(dict.fromkeys(c for i in self.indicators for c in i.columns))

    def select(self, ids: Sequence[str]) -> Catalogue:
        """Return a catalogue with only the indicators ``ids``, in that order."""
        return Catalogue(tuple(self[i] for i in ids), source=self.source)

    def with_weights(self, weights: Mapping[str, float]) -> Catalogue:
        """Return a catalogue with the weights of the named indicators replaced."""
        unknown = [k for k in weights if k not in self]
        if unknown:
            raise ConfigError(
                f"weights name unknown indicators: {', '.join(unknown)}.",
                source="weights",
                hint=f"use ids of the catalogue: {', '.join(self.ids)}.",
            )
        items = tuple(
            replace(i, weight=float(weights[i.id])) if i.id in weights else i for i in self
        )
        return Catalogue(items, source=self.source)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    r"""Load an indicator catalogue from a TOML file.

    Parameters
    ----------
    path
        A TOML file with one ``[[indicator]]`` table per indicator (keys as
        the fields of :class:`Indicator`; optional top-level ``title`` and
        ``description``). ``None`` loads the default Norwegian catalogue.

    Returns
    -------
    Catalogue

    Raises
    ------
    ConfigError
        TOML syntax errors (with line and column), unknown keys (with the
        closest known key), wrong types, invalid values or duplicate ids; every
        problem is listed with its line number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = 'id = "x"\nlabel_nb = "X"\nlabel_en = "X"\nvalue = "x"\ndomain = "d"\n'
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "c.toml"
    ...     _ = p.write_text("[[indicator]]\n" + text, encoding="utf-8")
    ...     load_catalogue(p).ids
    ('x',)
    """
    from geoloft.indicators._catalogue_toml import parse_catalogue

    if path is None:
        text = resources.files("geoloft.indicators").joinpath(_DEFAULT_TOML).read_text("utf-8")
        return parse_catalogue(text, "default")
    p = existing_file(path, what="indicator catalogue")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            "the catalogue is not UTF-8 text.", source=p, hint="save the TOML file as UTF-8."
        ) from err
    return parse_catalogue(text, str(p))


def default_catalogue() -> Catalogue:
    """Return the default Norwegian levekår catalogue.

    Ten indicators, as definitions: persistent low income (EU60), children in
    low-income households, only compulsory schooling, not employed, social
    assistance, disability benefit, school drop-out, crowding, single parents
    and moves. Country of origin is deliberately absent. The column names
    (``lavinntekt_n`` / ``lavinntekt_d`` …) are those of the demo data.

    Examples
    --------
    >>> cat = default_catalogue()
    >>> len(cat), cat["lavinntekt"].numerator
    (10, 'lavinntekt_n')
    """
    return load_catalogue(None)


def default_catalogue_path() -> Path:
    """Path of the shipped default catalogue (a template for your own)."""
    return Path(str(resources.files("geoloft.indicators").joinpath(_DEFAULT_TOML)))
