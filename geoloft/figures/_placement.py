"""Labels that never overlap: a greedy placement with collision avoidance.

Labels are placed in order of priority (largest intervention area first). Each
tries its anchor, then a few shifts (above, below, right, left by its own
size); the first position that overlaps neither an earlier label nor the map
furniture (north arrow, scale bar, credits) and stays inside the map is kept.
A label with no free position is left out, and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["LABEL_GID", "declutter"]

#: gid of the labels this module places.
LABEL_GID = "zone-label"
#: Shifts tried, in label widths/heights: anchor, above, below, right, left.
_SHIFTS = ((0.0, 0.0), (0.0, 1.1), (0.0, -1.1), (0.6, 0.0), (-0.6, 0.0))


def _overlaps(box: np.ndarray, boxes: Sequence[np.ndarray]) -> bool:
    """Whether ``box`` (x0, y0, x1, y1) intersects any of ``boxes``."""
    if not boxes:
        return False
    b = np.asarray(boxes)
    return bool(
        np.any((box[0] < b[:, 2]) & (b[:, 0] < box[2]) & (box[1] < b[:, 3]) & (b[:, 1] < box[3]))
    )


def _box(artist: Any, renderer: Any) -> np.ndarray:
    ext = artist.get_window_extent(renderer)
    return np.array([ext.x0, ext.y0, ext.x1, ext.y1], dtype=float)


def declutter(fig: Any, ax: Any, *, pad: float = 2.0) -> int:
    """Place the labels of ``ax`` (gid :data:`LABEL_GID`) so that none overlap.

    Parameters
    ----------
    fig
        The figure (it is given an Agg canvas to measure text, if it has none).
    ax
        The map's axes; its other texts and annotations (north arrow, scale
        bar label, credits) are obstacles.
    pad
        Space kept around each label, pixels.

    Returns
    -------
    int
        Number of labels left out for lack of room.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_gid() == LABEL_GID]
    if not labels:
        return 0
    obstacles = [
        _box(a, renderer)
        for a in [*ax.texts, *ax.patches, *ax.artists]
        if a.get_gid() != LABEL_GID and a.get_visible()
    ]
    inside = _box(ax, renderer) if hasattr(ax, "get_window_extent") else None
    placed: list[np.ndarray] = []
    dropped = 0
    for label in labels:  # in the order drawn: by priority
        start = label.get_position()
        base = _box(label, renderer)
        w, h = base[2] - base[0], base[3] - base[1]
        for sx, sy in _SHIFTS:
            box = base + np.array([sx * w - pad, sy * h - pad, sx * w + pad, sy * h + pad])
            if inside is not None and (
                box[0] < inside[0] or box[1] < inside[1] or box[2] > inside[2] or box[3] > inside[3]
            ):
                continue
            if _overlaps(box, placed) or _overlaps(box, obstacles):
                continue
            label.set_position(start)
            label.xyann = (sx * w * 72 / fig.dpi, sy * h * 72 / fig.dpi)
            label.set_anncoords("offset points")
            placed.append(box)
            break
        else:
            label.set_visible(False)
            dropped += 1
    return dropped
