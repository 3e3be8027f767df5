"""Interactive web maps: safe, small, offline-capable, accessible, in Norwegian.

:func:`make_map` draws areas (one choropleth per indicator and the index), the
population grid, intervention areas and measures on Kartverket's grey
topographic map, with a legend per layer, area search, full screen, a metric
scale bar and a data table under the map. :func:`save_map` writes the page.

Every string on the page is escaped; figures withheld by disclosure control
never reach it; coordinates are rounded and shared boundaries simplified
together. ``offline=True`` inlines Leaflet so the page needs no network.
"""

from geoloft.maps.assemble import embed_snippet, make_map, save_map
from geoloft.maps.basemaps import BASEMAPS, Basemap
from geoloft.maps.elements import GeoloftMap

__all__ = ["BASEMAPS", "Basemap", "GeoloftMap", "embed_snippet", "make_map", "save_map"]
