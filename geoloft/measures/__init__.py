"""Read measures (*tiltak*) of an area-based programme.

A measure is something the programme does or funds: a new park (physical,
*fysisk*), a homework club (social, *sosial*), a culture festival (cultural,
*kulturell*). Measures come as CSV tables or workbooks with coordinates, or as
vector files with points, lines or polygons, with Norwegian or English column
names. Only a location is required: name, category, status, years and budget
are each optional. Several files (schools, projects, a programme's own list)
read into one frame with :func:`read_measures_many`.
"""

from geoloft.measures._geometry import MissingCoordinatesWarning
from geoloft.measures._many import MeasureFile, read_measures_many
from geoloft.measures._read import read_measures

__all__ = ["MeasureFile", "MissingCoordinatesWarning", "read_measures", "read_measures_many"]
