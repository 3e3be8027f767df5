"""Every key the commented project template shows (``geoloft init``) is a real setting."""

from __future__ import annotations

import dataclasses
import re

from geoloft import config
from geoloft.demo import demo_project_text

_SECTION = re.compile(r"^#?\s*\[\[?([a-z_.]+)\]\]?")
_KEY = re.compile(r"^(?:#\s+)?([a-z_]+) = ")
#: Settings that are lists of tables: the class of one item.
_ITEMS = {(config.Inputs, "measures"): config.MeasuresInput}


def _settings(section: str) -> set[str] | None:
    """Setting names of a section ("" = the top), or None for a free table (``where``)."""
    cls: type = config.Project
    for part in filter(None, section.split(".")):
        field = {f.name: f for f in dataclasses.fields(cls)}[part]
        if (cls, part) in _ITEMS:
            cls = _ITEMS[cls, part]
            continue
        default = field.default_factory() if callable(field.default_factory) else field.default
        if not dataclasses.is_dataclass(default):
            return None  # a table of the user's own keys (where = { aar = 2017 })
        cls = type(default)
    return {f.name for f in dataclasses.fields(cls)}


def _shown() -> list[tuple[str, str]]:
    section, seen = "", []
    for line in demo_project_text().splitlines():
        if m := _SECTION.match(line):
            section = m[1]
        elif m := _KEY.match(line):
            seen.append((section, m[1]))
    return seen


def test_every_shown_key_exists():
    shown = _shown()
    assert len(shown) > 40
    for section, key in shown:
        names = _settings(section)
        assert names is None or key in names, f"[{section}] {key} is not a setting"


def test_the_newer_settings_are_shown():
    """Users learn settings from this file; the newer ones were missing from it."""
    shown = set(_shown())
    for wanted in [("", "published_with"), ("score", "missing"), ("score", "allow_sensitive"),
                   ("maps", "csp"), ("access", "thresholds"), ("evaluate", "comparison"),
                   ("inputs.grid", "baseline"), ("delineate", "max_areas")]:  # fmt: skip
        assert wanted in shown, wanted
