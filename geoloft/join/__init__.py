"""Grid to areas: exact area shares, centroid assignment, crosswalks and conversions.

Grid cells (SSB's *statistikk på rutenett*) reach areas (delbydeler, bydeler,
grunnkretser, intervention areas) by the exact share of each cell's area inside
each area, or whole by the cell centre. Counts are summed, means averaged with a
count as weight, rates divided after aggregation; what falls outside every area
is reported, never dropped silently.
"""

from geoloft.join._grid_join import join_grid
from geoloft.join.convert import convert_areas
from geoloft.join.crosswalk import crosswalk
from geoloft.join.grid_indicators import grid_indicators

__all__ = ["convert_areas", "crosswalk", "grid_indicators", "join_grid"]
