"""Indicator tables per area and the indicator catalogue."""

from geoloft.indicators.catalogue import Catalogue, Indicator, default_catalogue, load_catalogue
from geoloft.indicators.read import read_indicators

__all__ = ["read_indicators"]
__all__ += ["Catalogue", "Indicator", "default_catalogue", "load_catalogue"]
