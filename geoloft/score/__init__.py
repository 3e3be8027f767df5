"""Living-condition scores: composite indices, below-average counts and their uncertainty.

``score_areas`` scores areas by one of six doctrines (below-average counts,
SSB's decile index, CDC-SVI percentiles, the English IMD, Danish-style rules,
z-scores); ``compare_methods`` runs several side by side; the bootstrap and
weight-sensitivity functions say how sure each result is; ``explain`` says
why, in plain words.

The bootstrap's areas × replicates matrix of qualification, which the
delineation stage turns into stability, is ``bootstrap_scores(...).qualify``,
or ``score_areas(..., n_boot=N).attrs["bootstrap"].qualify`` (rows in the
order of the table).
"""

from geoloft.score._score import Comparison, compare_methods, score_areas
from geoloft.score.bootstrap import (
    BootstrapResult,
    bootstrap_scores,
    resample_rates,
    weight_sensitivity,
)
from geoloft.score.explain import explain, format_number
from geoloft.score.methods import METHODS
from geoloft.score.shrinkage import bayes_shrink, eb_shrink, tarone_z

#: Names of the scoring methods.
METHOD_NAMES = tuple(METHODS)

__all__ = [
    "METHOD_NAMES",
    "BootstrapResult",
    "Comparison",
    "bayes_shrink",
    "bootstrap_scores",
    "compare_methods",
    "eb_shrink",
    "explain",
    "format_number",
    "resample_rates",
    "score_areas",
    "tarone_z",
    "weight_sensitivity",
]
