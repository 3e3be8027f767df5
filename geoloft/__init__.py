"""geoloft: maps and boundaries for Norwegian area-based programmes.

geoloft turns boundary files and SSB grid statistics into the scores, maps and
boundaries of *områdeløft* / *områdesatsing* programmes. The data flow is
ingest (``read_*``) -> join -> score -> delineate -> maps, figures and exports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("geoloft")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
