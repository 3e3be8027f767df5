"""Writers for GIS staff: GeoPackage, GeoJSON, Shapefile, FlatGeobuf, GeoParquet, CSV.

Every write is atomic (a temporary file in the target folder, renamed into
place), refuses to replace an existing file unless ``overwrite=True`` and never
writes over one of the run's inputs.
"""

from geoloft.export.formats import FORMATS, polygonal_layer, write, write_layers
from geoloft.export.styles import LayerStyle

__all__ = ["FORMATS", "LayerStyle", "polygonal_layer", "write", "write_layers"]
