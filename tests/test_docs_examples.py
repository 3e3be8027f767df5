"""The TOML examples in the README and the catalogue reference load as they are written."""

from __future__ import annotations

import re
import tomllib

from geoloft.config import parse_project
from geoloft.indicators._catalogue_toml import parse_catalogue


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def test_readme_project_example_is_a_valid_project(repo, tmp_path):
    blocks = [
        b for b in _toml_blocks((repo / "README.md").read_text("utf-8")) if "[study_area]" in b
    ]
    assert blocks, "the README shows a project file with a study area"
    for name in ("Kommuner-S.geojson", "NOR0250M_POP_2019.csv", "skoler.geojson", "tiltak.csv"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    project = parse_project(tomllib.loads(blocks[0]), root=tmp_path)
    assert project.study_area.kommune == ["0301"]
    assert [m.label for m in project.inputs.measures] == ["Skole", None]
    assert project.inputs.measures[1].columns == {"name": "navn", "category": "kategori"}


def test_catalogue_reference_examples_parse(repo):
    blocks = _toml_blocks((repo / "docs" / "catalogue.md").read_text("utf-8"))
    indicator_blocks = [b for b in blocks if "[[indicator]]" in b]
    assert len(indicator_blocks) >= 4
    ids = []
    for block in indicator_blocks:
        ids += [ind.id for ind in parse_catalogue(block, source="docs/catalogue.md")]
    assert {"lavinntekt", "ikke_sysselsatt", "vekst", "kvinner"} <= set(ids)
