"""What report.html says about a real run: inputs by name, years as years, each index named
by its method, no empty "– / –", credits from the project's sources."""

from __future__ import annotations

import re
import shutil

import pytest

from geoloft.labels import index_label
from geoloft.pipeline.report_data import zone_figures

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def moved_run(tmp_path_factory):
    """The demo project with its measures file outside the project folder (an absolute path)."""
    from geoloft.config import load_project
    from geoloft.demo import write_demo_project
    from geoloft.pipeline import run

    tmp = tmp_path_factory.mktemp("private_user_folder")
    project_file = write_demo_project(tmp / "prosjekt")
    elsewhere = tmp / "elsewhere" / "ola"
    elsewhere.mkdir(parents=True)
    moved = elsewhere / "tiltak_2024.csv"
    shutil.move(project_file.parent / "data" / "measures" / "demoby_tiltak.csv", moved)
    text = project_file.read_text(encoding="utf-8")
    text = text.replace('path = "data/measures/demoby_tiltak.csv"', f'path = "{moved.as_posix()}"')
    text = re.sub(r'(?m)^source = ".*"', 'source = "Demoby kommune (syntetiske data)"', text)
    project_file.write_text(text, encoding="utf-8")
    result = run(load_project(project_file), out=tmp / "out")
    return tmp, (result.out / "report.html").read_text(encoding="utf-8")


def test_the_report_names_inputs_without_local_paths(moved_run):
    tmp, page = moved_run
    assert str(tmp) not in page
    assert "private_user_folder" not in page
    assert "elsewhere" not in page
    assert "tiltak_2024.csv" in page  # named by its file name
    assert "data/boundaries/" in page  # inputs inside the project: relative to it


def test_sources_credit_the_project_and_its_inputs(moved_run):
    _, page = moved_run
    sources = re.search(r"<h3>Kilder</h3><ul>(.*?)</ul>", page).group(1)
    items = re.findall(r"<li>(.*?)</li>", sources)
    assert items[0] == "Demoby kommune (syntetiske data)"
    assert "tiltak_2024.csv" in items


def test_years_print_as_years(moved_run):
    _, page = moved_run
    tables = re.findall(r"<caption>Tiltak i området</caption>.*?</table>", page)
    assert tables
    for table in tables:
        for row in re.findall(r"<tr>(<td>.*?)</tr>", table):
            start, end = re.findall(r"<td[^>]*>(.*?)</td>", row)[-2:]
            assert re.fullmatch(r"(\d{4})?", start), start
            assert re.fullmatch(r"(\d{4})?", end), end
            assert NBSP not in start + end


def test_each_index_is_named_by_what_it_is(moved_run):
    _, page = moved_run
    members = re.search(r"<caption>Delområdene: indeks.*?</thead>", page).group(0)
    assert index_label("below-average") in members  # the demo's method
    assert "Sammensatt z-skår" not in members
    # the zones' index is recomputed from counts: a composite z-score
    zones = re.search(r"<caption>Innsatsområder</caption><thead>.*?</thead>", page).group(0)
    assert "Sammensatt z-skår" in zones
    assert "– / –" not in page


@pytest.mark.parametrize(
    ("met", "total", "shown"),
    [(2.0, 3.0, "2 / 3"), (float("nan"), float("nan"), None), (0.0, 0.0, None), (None, 3, None)],
)
def test_criteria_are_shown_only_when_known(met, total, shown):
    zone = {"pop": 5000.0, "index": 0.4, "criteria_met": met, "n_criteria": total}
    figures = zone_figures(zone, "nb", method="rules", from_counts=False)
    assert figures.get("Indikatorer verre enn byen") == shown
    assert "Andel kriterier oppfylt, befolkningsvektet snitt" in figures
    assert "– / –" not in figures.values()
