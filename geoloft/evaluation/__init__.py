"""Evaluation over time: did the intervention areas change differently.

:func:`evaluate` takes indicators by area and year (long tables) and the
programme (intervention areas, first and last year) and returns each area's
level before, during and after, its change, and the change relative to a
comparison group, with difference-in-differences and event-study estimates
whose intervals treat areas as the units (wild cluster bootstrap, permutation
over placebo areas), a pre-trend test and placebo runs. :func:`grid_panel`
turns several SSB grid vintages into such a table on one publication rule;
:func:`read_long_table` reads one from a file; :func:`write_evaluation` writes
the tables, figures, change map and the "Utvikling" report section.
"""

from geoloft.evaluation.core import Evaluation, evaluate
from geoloft.evaluation.output import write_evaluation
from geoloft.evaluation.readers import read_long_table, read_population_by_age
from geoloft.evaluation.section import render_section
from geoloft.evaluation.sources import (
    areas_inside,
    common_areas,
    grid_panel,
    harmonise_small_cells,
)
from geoloft.evaluation.summary import closing_note, note_lines

__all__ = [
    "Evaluation",
    "areas_inside",
    "closing_note",
    "common_areas",
    "evaluate",
    "grid_panel",
    "harmonise_small_cells",
    "note_lines",
    "read_long_table",
    "read_population_by_age",
    "render_section",
    "write_evaluation",
]
