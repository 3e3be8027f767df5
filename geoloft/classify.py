"""Class breaks, colour-blind-safe palettes and legend labels, shared by every output.

Web maps, report figures and the QGIS styles in the GeoPackage all classify
through :func:`classify`, so a reader sees the same classes and colours in each.
Pure: numpy, pandas and mapclassify only (no folium, no matplotlib).

Schemes
-------
``quantiles``
    Equal numbers of values per class (mapclassify ``Quantiles``).
``natural_breaks``
    Fisher-Jenks optimal breaks: the classes minimise the sum of squared
    deviations from the class means (Fisher 1958; Jenks 1977). Computed exactly
    on the distinct values, weighted by how often each occurs; above
    :data:`JENKS_MAX_DISTINCT` distinct values on that many evenly spaced
    quantiles of the data.
``equal_interval``
    Classes of equal width (mapclassify ``EqualInterval``).
``fixed``
    Upper bounds given by the method or the user (mapclassify ``UserDefined``).

Palettes
--------
Sequential palettes that stay ordered for readers with colour-vision
deficiencies: ColorBrewer ``YlOrRd``, ``OrRd``, ``YlGnBu``, ``Blues``,
``Purples`` (Brewer, colorbrewer2.org, "colorblind safe") and the perceptually
uniform ``viridis`` and ``cividis`` (cividis is optimised for deuteranomaly;
Nuñez et al. 2018). Darker always means more. Categories get the Okabe-Ito
palette (Okabe & Ito 2008).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoloft.errors import InputError
from geoloft.labels import format_number, format_range, text

#: Marker of each measure category, in the order categories are handed out: the glyph the
#: web maps draw, and the QGIS simple-marker shape and rotation (degrees) that match it, so
#: a category has one symbol in maps, figures and GIS styles.
CATEGORY_MARKERS: Final = (
    ("●", "circle", 0.0),
    ("▲", "triangle", 0.0),
    ("■", "square", 0.0),
    ("◆", "diamond", 0.0),
    ("★", "star", 0.0),
    ("✚", "cross_fill", 0.0),
    ("▼", "triangle", 180.0),
    ("⬟", "pentagon", 0.0),
)

__all__ = [
    "CATEGORY_COLOURS",
    "MISSING_COLOUR",
    "PALETTES",
    "SCHEMES",
    "SUPPRESSED_COLOUR",
    "Classes",
    "RunScheme",
    "category_colours",
    "choose_decimals",
    "classify",
    "palette_colours",
    "run_scheme",
    "scheme_label",
]

#: Classification schemes and the aliases accepted for them.
SCHEMES: dict[str, str] = {
    "quantiles": "quantiles",
    "quantile": "quantiles",
    "natural_breaks": "natural_breaks",
    "fisher_jenks": "natural_breaks",
    "jenks": "natural_breaks",
    "equal_interval": "equal_interval",
    "fixed": "fixed",
    "user_defined": "fixed",
}

#: Nine anchor colours per palette, light to dark (ColorBrewer 9-class values;
#: viridis and cividis sampled at nine even steps, reversed so darker is more).
PALETTES: dict[str, tuple[str, ...]] = {
    "YlOrRd": ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c",
               "#fc4e2a", "#e31a1c", "#bd0026", "#800026"),
    "OrRd": ("#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59",
             "#ef6548", "#d7301f", "#b30000", "#7f0000"),
    "YlGnBu": ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4",
               "#1d91c0", "#225ea8", "#253494", "#081d58"),
    "Blues": ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6",
              "#4292c6", "#2171b5", "#08519c", "#08306b"),
    "Purples": ("#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8",
                "#807dba", "#6a51a3", "#54278f", "#3f007d"),
    "viridis": ("#fde725", "#addc30", "#5ec962", "#28ae80", "#21918c",
                "#2c728e", "#3b528b", "#472d7b", "#440154"),
    "cividis": ("#fee838", "#dec958", "#bcae6c", "#9b9476", "#7d7c78",
                "#61656f", "#434e6c", "#1a386f", "#00224e"),
}  # fmt: skip

#: Where the first class starts on a ColorBrewer palette (0 = its lightest
#: colour): the lightest tints are hard to tell from an empty map.
_BREWER_START = 0.15

#: Okabe-Ito colours for categories (measures), in the order they are handed out.
CATEGORY_COLOURS: tuple[str, ...] = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000", "#f0e442",
)  # fmt: skip

#: Fill of areas or cells without a value.
MISSING_COLOUR = "#f0f0f0"
#: Fill of areas or cells whose value is withheld by disclosure control.
SUPPRESSED_COLOUR = "#a6a6a6"

#: Above this many distinct values, natural breaks run on this many quantiles.
JENKS_MAX_DISTINCT = 3000


@dataclass(frozen=True)
class Classes:
    """A classification of values: bounds, colours, labels and each value's class.

    Attributes
    ----------
    scheme
        Canonical scheme name (a value of :data:`SCHEMES`).
    bounds
        ``k + 1`` increasing numbers: the lowest value, then each class's upper
        bound (inclusive). Class ``i`` holds ``bounds[i] < v <= bounds[i + 1]``
        (the first class also holds ``bounds[0]``).
    colours
        One ``#rrggbb`` fill per class.
    labels
        One legend label per class, such as ``"1 000 – 2 500"``.
    bins
        Class index of every input value (``-1`` for missing values), aligned
        with the input.
    decimals
        Digits after the decimal mark used in the labels.
    """

    scheme: str
    bounds: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    bins: npt.NDArray[np.int64]
    decimals: int

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.colours)

    @property
    def breaks(self) -> tuple[float, ...]:
        """Upper bounds of the classes (``bounds[1:]``)."""
        return self.bounds[1:]

    def counts(self) -> npt.NDArray[np.int64]:
        """Return the number of values in each class."""
        return np.bincount(self.bins[self.bins >= 0], minlength=self.k).astype(np.int64)


def _hex_to_rgb(colours: Sequence[str]) -> npt.NDArray[np.float64]:
    return np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], dtype=float)


def palette_colours(name: str, k: int, *, reverse: bool = False) -> tuple[str, ...]:
    """Return ``k`` colours from a sequential palette, light to dark.

    Colours are interpolated linearly in RGB between the nine anchors of
    :data:`PALETTES`, as matplotlib does for ColorBrewer maps. ColorBrewer
    palettes start at 15 % of the ramp; viridis and cividis use all of it.

    Parameters
    ----------
    name
        A key of :data:`PALETTES`.
    k
        Number of colours (1 or more).
    reverse
        Dark to light instead (for indicators where a higher value is better,
        so darker still means worse).

    Returns
    -------
    tuple of str
        ``#rrggbb`` colours.

    Raises
    ------
    InputError
        For an unknown palette name.

    Examples
    --------
    >>> palette_colours("Blues", 2)
    ('#d9e8f5', '#08306b')
    """
    if name not in PALETTES:
        raise InputError(
            f"unknown palette {name!r}.", source="palette", hint=f"use one of {sorted(PALETTES)}."
        )
    anchors = _hex_to_rgb(PALETTES[name])
    start = 0.0 if name in ("viridis", "cividis") else _BREWER_START
    where = np.linspace(start, 1.0, k) if k > 1 else np.array([0.7])
    grid = np.linspace(0.0, 1.0, len(anchors))
    rgb = np.column_stack([np.interp(where, grid, anchors[:, j]) for j in range(3)])
    out = tuple("#{:02x}{:02x}{:02x}".format(*row) for row in np.rint(rgb).astype(int))
    return out[::-1] if reverse else out


def category_colours(categories: Sequence[str]) -> dict[str, str]:
    """Give each distinct category an Okabe-Ito colour, in order of first appearance.

    Parameters
    ----------
    categories
        Category values; repeats are fine. Beyond eight categories the colours
        repeat (the map also gives each category its own symbol).

    Returns
    -------
    dict
        Category -> ``#rrggbb``.

    Examples
    --------
    >>> category_colours(["bolig", "park", "bolig"])
    {'bolig': '#0072b2', 'park': '#e69f00'}
    """
    unique = list(dict.fromkeys(str(c) for c in categories))
    return {c: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, c in enumerate(unique)}


def choose_decimals(values: npt.ArrayLike) -> int:
    """Pick how many decimals to show for a set of values.

    Whole numbers get none; otherwise 0 when the largest magnitude is 100 or
    more, 1 from 1 up to 100, 2 from 0.1 up to 1, and below that as many as
    give two significant digits of the largest value (at most 6), so classes
    of small shares such as 0.001–0.004 do not all read "0,00".

    Parameters
    ----------
    values
        Numbers; NaN is ignored.

    Returns
    -------
    int
        0 to 6.

    Examples
    --------
    >>> choose_decimals([12.5, 40.25]), choose_decimals([1200, 5]), choose_decimals([0.25])
    (1, 0, 2)
    >>> choose_decimals([0.001, 0.004])
    4
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0 or np.all(arr == np.round(arr)):
        return 0
    top = float(np.max(np.abs(arr)))
    if top >= 0.1:
        return 0 if top >= 100 else 1 if top >= 1 else 2
    return min(6, 1 - int(np.floor(np.log10(top))))


def _fisher_jenks(values: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.float64]:
    """Exact Fisher-Jenks upper bounds of ``k`` classes (weighted by repeats)."""
    x, w = np.unique(values, return_counts=True)
    if x.size > JENKS_MAX_DISTINCT:
        x = np.unique(np.quantile(values, np.linspace(0, 1, JENKS_MAX_DISTINCT)))
        w = np.ones_like(x)
    n = x.size
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cs = np.concatenate([[0.0], np.cumsum(w * x)])
    cq = np.concatenate([[0.0], np.cumsum(w * x * x)])

    def ssd(a: npt.NDArray[np.int64], b: int) -> npt.NDArray[np.float64]:
        s = cs[b] - cs[a]
        return cq[b] - cq[a] - s * s / (cw[b] - cw[a])

    cost = np.zeros(n + 1)
    cost[1:] = cq[1:] - cs[1:] ** 2 / cw[1:]  # one class over the first b values
    back = np.zeros((k, n + 1), dtype=np.int64)
    for j in range(1, k):
        new = np.full(n + 1, np.inf)
        for b in range(j + 1, n + 1):
            a = np.arange(j, b)
            total = cost[a] + ssd(a, b)
            best = int(np.argmin(total))
            new[b], back[j, b] = total[best], a[best]
        cost = new
    ends, b = [], n
    for j in range(k - 1, 0, -1):
        ends.append(b)
        b = int(back[j, b])
    ends.append(b)
    return x[np.array(sorted(ends)) - 1]


def _upper_bounds(
    values: npt.NDArray[np.float64], scheme: str, k: int, breaks: Sequence[float] | None
) -> npt.NDArray[np.float64]:
    """Class upper bounds for ``values`` (finite, non-empty)."""
    import mapclassify

    distinct = int(np.unique(values).size)
    if scheme == "fixed":
        if not breaks:
            raise InputError(
                "the 'fixed' scheme needs class bounds.",
                source="breaks",
                hint="pass breaks=[upper bound of each class, ...].",
            )
        bins = np.asarray(mapclassify.UserDefined(values, list(breaks)).bins, dtype=float)
        return np.unique(bins)
    k = max(1, min(int(k), distinct))
    if scheme == "natural_breaks":
        return np.unique(_fisher_jenks(values, k))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        if scheme == "quantiles":
            bins = mapclassify.Quantiles(values, k=k).bins
        else:
            bins = mapclassify.EqualInterval(values, k=k).bins
    return np.unique(np.asarray(bins, dtype=float))


def _readable(
    upper: npt.NDArray[np.float64], *, whole: bool, decimals: int
) -> npt.NDArray[np.float64]:
    """Upper bounds without the classes a reader could not tell apart.

    Bounds that print alike at the labels' precision (whole numbers: the whole
    number at or below; else rounded to ``decimals``) would give legends such
    as ``"37,5 – 37,5"`` or ``"0 / 0 / 1"``: those classes are merged into one,
    keeping the highest bound. Other bounds are kept as they are.
    """
    shown = np.floor(upper) if whole else np.round(upper, decimals)
    last = np.r_[shown[1:] != shown[:-1], True]  # the highest bound of each printed value
    return upper[last]


def _labels(
    bounds: tuple[float, ...],
    *,
    whole: bool,
    decimals: int,
    lang: str,
    lowest: npt.NDArray[np.float64] | None = None,
) -> tuple[str, ...]:
    """Legend labels; for whole numbers a class starts one above the last bound.

    Where the class before is one number (all its values print alike) and this class
    would start with that same number, it starts at its own smallest value
    (``lowest``) instead: shares 0, 1/6, … read "0,0", "0,2 – 0,6", not "0,0",
    "0,0 – 0,6". A class whose lowest and highest values print alike is labelled by
    one number.
    """
    out: list[str] = []
    for i in range(len(bounds) - 1):
        low, high = bounds[i], bounds[i + 1]
        if whole:  # whole numbers: say which whole numbers each class holds
            high = float(np.floor(high))
            low = float(np.floor(low) + 1) if i else float(np.ceil(low))
        shown_low = format_number(low, decimals=decimals, lang=lang)
        if i and lowest is not None and np.isfinite(lowest[i]) and out[-1] == shown_low:
            low = max(low, float(lowest[i]))  # the class before is that one number
        single = format_number(high, decimals=decimals, lang=lang)
        if low >= high or format_number(low, decimals=decimals, lang=lang) == single:
            out.append(single)
        else:
            out.append(format_range(low, high, decimals=decimals, lang=lang))
    return tuple(out)


def classify(
    values: npt.ArrayLike | pd.Series,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    palette: str = "YlOrRd",
    reverse: bool = False,
    lang: str = "nb",
    decimals: int | None = None,
) -> Classes:
    """Classify values into at most ``k`` classes with colours and legend labels.

    Parameters
    ----------
    values
        Numbers (any unit); NaN (missing or suppressed) gets class ``-1``.
    scheme
        ``"quantiles"``, ``"natural_breaks"``, ``"equal_interval"`` or
        ``"fixed"`` (see the module docstring; aliases in :data:`SCHEMES`).
    k
        Largest number of classes; fewer when the values have fewer distinct
        numbers, tied quantiles, or bounds that print alike at the labels'
        precision (those classes are merged, so no legend reads "37,5 – 37,5").
    breaks
        Upper bounds of the classes for the ``"fixed"`` scheme; a class is
        added up to the largest value if it lies above the last bound.
    palette
        A key of :data:`PALETTES`.
    reverse
        Darker for lower values (use for "higher is better" indicators).
    lang
        Language of the labels.
    decimals
        Decimals in the labels; ``None`` picks with :func:`choose_decimals`.

    Returns
    -------
    Classes
        Bounds, colours, labels and the class of every value.

    Raises
    ------
    InputError
        For an unknown scheme or palette, ``k < 1``, or ``"fixed"`` without breaks.

    Examples
    --------
    >>> c = classify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], k=5, palette="Blues")
    >>> [round(b, 2) for b in c.breaks]
    [2.8, 4.6, 6.4, 8.2, 10.0]
    >>> c.bins.tolist()
    [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    """
    if scheme not in SCHEMES:
        raise InputError(
            f"unknown classification scheme {scheme!r}.",
            source="scheme",
            hint=f"use one of {sorted(set(SCHEMES.values()))}.",
        )
    if int(k) < 1:
        raise InputError(f"k must be 1 or more, got {k}.", source="k", hint="use k=5.")
    canonical = SCHEMES[scheme]
    arr = np.asarray(
        pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce"), dtype=float
    )
    finite = np.isfinite(arr)
    bins = np.full(arr.size, -1, dtype=np.int64)
    dec = choose_decimals(arr) if decimals is None else int(decimals)
    if not finite.any():
        palette_colours(palette, 1)  # validate the name all the same
        return Classes(canonical, (), (), (), bins, dec)
    whole = bool(np.all(arr[finite] == np.round(arr[finite])))
    upper = _readable(_upper_bounds(arr[finite], canonical, k, breaks), whole=whole, decimals=dec)
    bins[finite] = np.minimum(np.searchsorted(upper, arr[finite], side="left"), upper.size - 1)
    low = float(min(arr[finite].min(), upper[0]))
    bounds = (low, *(float(b) for b in upper))
    present = np.full(upper.size, np.inf)
    np.minimum.at(present, bins[finite], arr[finite])
    labels = _labels(bounds, whole=whole, decimals=dec, lang=lang, lowest=present)
    colours = palette_colours(palette, upper.size, reverse=reverse)
    return Classes(canonical, bounds, colours, labels, bins, dec)


def scheme_label(scheme: str, k: int, *, lang: str = "nb") -> str:
    """Describe a classification for a legend, such as ``"5 klasser, kvantiler"``.

    Parameters
    ----------
    scheme
        A scheme name or alias.
    k
        Number of classes.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        Plain text.

    Examples
    --------
    >>> scheme_label("jenks", 4, lang="en")
    '4 classes, natural breaks (Fisher-Jenks)'
    """
    name = text(f"scheme_{SCHEMES.get(scheme, scheme)}", lang)
    return text("classes_note", lang, n=k, scheme=name)


@dataclass(frozen=True)
class RunScheme:
    """The classes and symbols of one run, decided once and used by every output.

    Attributes
    ----------
    breaks
        Column -> class upper bounds, from the whole study area; draw a subset
        (one intervention area) with ``scheme="fixed"`` and these bounds, so a
        colour means the same value on every map, figure and QGIS style.
    categories
        Measure categories in the order that fixes their colour and symbol.
    scheme, k
        How the bounds were found.
    """

    breaks: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    scheme: str = "quantiles"
    k: int = 5

    def classes(self, column: str, values: npt.ArrayLike | pd.Series, **kwargs: Any) -> Classes:
        """Classify ``values`` of ``column`` with the run's bounds.

        Parameters
        ----------
        column
            A key of :attr:`breaks`.
        values
            The values to classify (all of the run's, or a subset).
        **kwargs
            Passed to :func:`classify` (``palette``, ``reverse``, ``lang`` ...).

        Returns
        -------
        Classes
            Classes with the run's bounds; ``scheme`` names how the run found them
            (``quantiles`` …), which is what a legend should say.
        """
        found = classify(values, scheme="fixed", breaks=self.breaks[column], **kwargs)
        return replace(found, scheme=SCHEMES.get(self.scheme, found.scheme))


def run_scheme(
    frames: Mapping[str, pd.DataFrame | None],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    category: str = "category",
    missing_category: str = "",
) -> RunScheme:
    """Decide a run's classes (per numeric column) and measure categories once.

    Parameters
    ----------
    frames
        Column name -> values: a mapping ``{column: frame}`` whose frame holds
        that column (areas for each indicator and ``index``, the grid for
        ``pop_tot``), plus ``"measures"`` -> the measures (for the categories).
    scheme, k
        Classification of every column (see :func:`classify`).
    category
        Column of the measures that holds the category.
    missing_category
        Name given to measures without a category.

    Returns
    -------
    RunScheme
        Bounds per column with at least one value, and the categories in order
        of first appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"index": [1.0, 2.0, 3.0, 4.0]})
    >>> run = run_scheme({"index": areas}, k=2)
    >>> run.breaks["index"], run.classes("index", [1.0, 4.0]).bins.tolist()
    ((2.5, 4.0), [0, 1])
    """
    breaks: dict[str, tuple[float, ...]] = {}
    categories: tuple[str, ...] = ()
    for column, frame in frames.items():
        if frame is None:
            continue
        if column == "measures":
            if category in frame:
                values = frame[category].astype(object).where(frame[category].notna(), None)
                cats = [missing_category if v is None or v == "" else str(v) for v in values]
            else:
                cats = [missing_category] * len(frame)
            categories = tuple(dict.fromkeys(cats))
            continue
        if column not in frame:
            continue
        classes = classify(frame[column], scheme=scheme, k=k)
        if classes.k:
            breaks[column] = tuple(classes.breaks)
    return RunScheme(breaks, categories, SCHEMES[scheme], k)
