"""Canonical column names, units and the working CRS, in one place.

Every stage reads and returns frames with these names; no other module spells a
canonical column as a string literal.
"""

from __future__ import annotations

from typing import Final

#: Working CRS of every stage: ETRS89 / UTM zone 33N, the CRS of SSB's grid.
WORKING_CRS: Final = "EPSG:25833"
#: CRS of GeoJSON output (RFC 7946).
GEOJSON_CRS: Final = "EPSG:4326"

# Areas (delbydeler, bydeler, grunnkretser, kommuner, intervention areas)
AREA_ID: Final = "area_id"
NAME: Final = "name"
LEVEL: Final = "level"
PARENT_ID: Final = "parent_id"
GEOMETRY: Final = "geometry"

# Grid cells
SSBID: Final = "ssbid"
CELL_SIZE: Final = "cell_size"  # metres

# Grid value columns (SSB "statistikk på rutenett")
POP_TOT: Final = "pop_tot"  # persons, extensive
POP_MAL: Final = "pop_mal"  # males, extensive
POP_FEM: Final = "pop_fem"  # females, extensive
POP_AVE: Final = "pop_ave"  # mean age in years, intensive (weight: pop_tot)

#: Value column spellings in SSB files of different vintages -> canonical name.
#: Keys are lower case; matching is case-insensitive.
GRID_VALUE_ALIASES: Final[dict[str, str]] = {
    "pop_tot": POP_TOT,
    "poptot": POP_TOT,
    "sum": POP_TOT,
    "befolkning": POP_TOT,
    "antall": POP_TOT,
    "pop_mal": POP_MAL,
    "popmal": POP_MAL,
    "pop_fem": POP_FEM,
    "popfem": POP_FEM,
    "pop_ave": POP_AVE,
    "popave": POP_AVE,
}

#: Mean-like grid columns and the count column that weights them.
INTENSIVE_WEIGHTS: Final[dict[str, str]] = {POP_AVE: POP_TOT}

# Measures (tiltak)
MEASURE_ID: Final = "measure_id"
CATEGORY: Final = "category"
STATUS: Final = "status"
START_YEAR: Final = "start_year"
END_YEAR: Final = "end_year"
BUDGET: Final = "budget"  # NOK
SOURCE: Final = "source"  # the file, or its label, a measure was read from

# Crosswalks and joins
SHARE: Final = "share"  # fraction of a cell's area inside an area, 0-1
N_CELLS: Final = "n_cells"  # grid cells that reached an area (in whole or part)

# Intervention areas
ZONE_ID: Final = "zone_id"
MEMBERS: Final = "members"
POP: Final = "pop"
AREA_KM2: Final = "area_km2"
N_MEMBERS: Final = "n_members"
CRITERIA_MET: Final = "criteria_met"  # indicators in which the area is worse than the input
N_CRITERIA: Final = "n_criteria"
COMPACTNESS: Final = "compactness"  # Polsby-Popper, 0-1
STABILITY: Final = "stability"  # 0-1: members' shares of replicates in which they qualify
MEMBER_STABILITY: Final = "member_stability"
LOCKED_IN: Final = "locked_in"
ADDED: Final = "added"
FLAGS: Final = "flags"
SETTLEMENT: Final = "settlement"  # second geometry column: where people live

# Scores
INDEX: Final = "index"
RANK: Final = "rank"
DECILE: Final = "decile"
QUALIFIES: Final = "qualifies"
N_INDICATORS: Final = "n_indicators"

# Disclosure control
#: Marks rows whose figures are withheld (bool); see :mod:`geoloft.disclosure`.
SUPPRESSED: Final = "suppressed"
#: In a published area that is not suppressed: the columns disclosure control withheld
#: (comma-separated), so readers and maps can tell "withheld" from "no data".
WITHHELD: Final = "withheld"

#: SSB's suppression markers in published tables and grids.
SSB_MISSING_MARKERS: Final = frozenset({".", ":", "..", "...", "-", "x"})
