"""Measure disclosure protection before and after, on the cases of docs/disclosure.md.

Every case is a real ``geoloft run`` (stages up to ``export``: maps, figures and the
report only draw the layers protection already chose), audited with
:func:`geoloft.disclosure.audit.audit` on what the runs wrote:

1. ``demo``: the demo city (:func:`geoloft.demo.write_demo_project`);
2. ``oslo``: SSB's 2015 250 m grid of Oslo × Oslo kommune's 97 delbydeler, the eieform
   (tenure) indicators of 2017, intervention areas of at least 20 000 persons;
3. ``carved``: the same with one 5-person 250 m cell carved out of its delbydel as a
   delbydel of its own and locked into an intervention area (``lock_in``);
4. ``joint``: the same project on SSB's 2015 1 km grid cut to Oslo, audited alone and
   together with the 250 m run: each run protected alone, then each order with
   ``published_with`` the other;
5. ``levels``: the 250 m and the 1 km runs with a run over Oslo's 17 bydeler (no
   indicators), each alone and then with ``published_with``;
6. ``oslo-1km-ssb``: the 1 km run with ``published_with`` SSB's own 250 m file of Oslo
   (SSB publishes that grid anyway), then the 250 m run with ``published_with`` that
   1 km run, audited together; beside the 1 km run protected alone;
7. ``national``: SSB's 250 m grid of all Norway × 357 kommuner, without and with
   protection (protection and run time only: too many hidden counts to audit).

"Before" is what geoloft published before one disclosure model covered the whole run:
the run with ``disclosure = false``, then each table suppressed on its own (a grid
cell, area or intervention area under the threshold loses every figure; populations
unrounded), as ``_primary_only`` in tests/test_audit.py builds it. "After" is the run
with the default protection. The table counts hidden values (counts and figures the
audit checks), secondary counts and the persons they hold (from ``run.json``), hidden
values the audit pins narrower than the protection interval (exact ones: narrower than
half a person), published counts the primary rule should have hidden, and seconds:
protection (the run's ``disclosure`` timing), the audit, and the run's stages summed.

Run: python scripts/bench_disclosure.py [--realdata PATH] [--case demo oslo ...]
     [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geoloft import columns as C
from geoloft.config import load_project
from geoloft.demo import write_demo_project
from geoloft.disclosure import suppress
from geoloft.disclosure.audit import AuditResult, audit
from geoloft.disclosure.secondary import LP_LIMIT
from geoloft.grid import cell_polygons
from geoloft.pipeline import run

REPO = Path(__file__).resolve().parents[1]
#: ../shared/realdata beside the repository, as the tests find it.
REALDATA = REPO.parent / "shared" / "realdata"
#: The housing catalogue the real-data tests use (two eieform shares, 2017).
CATALOGUE = REPO / "tests" / "data" / "oslo_housing_catalogue.toml"
THRESHOLD = 10
CASES = ("demo", "oslo", "carved", "joint", "levels", "oslo-1km-ssb", "national")
#: Layers the audit reads, the population column each is suppressed by, and the
#: columns that stay in a suppressed row (ids, names, membership; geometry always).
TABLES = {
    "grid": (C.POP_TOT, {C.SSBID, C.CELL_SIZE}),
    "areas": (C.POP_TOT, {C.AREA_ID, C.NAME, C.LEVEL, C.PARENT_ID}),
    "intervention_areas": (C.POP, {C.ZONE_ID, C.NAME, C.MEMBERS, C.N_MEMBERS}),
}
#: Persons in the cell carved out as a delbydel of its own (case 3).
CARVED_POP = 5


@dataclass
class Run:
    """One run's output folder and its stage timings (seconds)."""

    out: Path
    timings: dict[str, float]

    @property
    def seconds(self) -> float:
        """The run's stage timings summed."""
        return sum(self.timings.values())

    @property
    def notes(self) -> dict[str, Any]:
        """The notes of the ``disclosure model`` stage in ``run.json`` (empty before)."""
        record = json.loads((self.out / "run.json").read_text(encoding="utf-8"))
        for stage in record["stages"]:
            if stage["stage"] == "disclosure model":
                notes: dict[str, Any] = stage["notes"]
                return notes
        return {}


@dataclass
class Row:
    """One line of the table: a set of runs audited together."""

    case: str
    runs: list[Run]
    before: bool
    found: AuditResult
    audit_seconds: float
    beyond_reach: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[dict[str, Any]]:
        """The runs' ``disclosure model`` notes."""
        return [r.notes for r in self.runs]

    @property
    def pinned(self) -> int:
        """Hidden values pinned narrower than the protection interval."""
        return len(self.found.pinned)

    @property
    def exact(self) -> int:
        """Pinned hidden values pinned to less than half a person."""
        return int(self.found.summary()["exact"])

    def cells(self) -> list[str]:
        """Return the row's Markdown cells."""
        summary = self.found.summary()
        if self.before:
            secondary, protect = "0", "–"
        else:
            count = sum(int(r.notes["secondary_hidden"]) for r in self.runs)
            persons = sum(float(r.notes["persons_hidden_secondary"]) for r in self.runs)
            secondary = f"{_int(count)} ({_int(persons)})"
            protect = " + ".join(f"{r.timings['disclosure']:.1f}" for r in self.runs) + " s"
        pinned = f"{self.pinned} ({self.exact})" if self.pinned else "0"
        if self.pinned and set(self.found.pinned["label"]) <= set(self.beyond_reach):
            pinned += ", reported beyond reach"
        run_s = " + ".join(f"{r.seconds:.1f}" for r in self.runs) + " s"
        return [
            self.case,
            _int(summary["hidden_values"]),
            secondary,
            pinned,
            _int(summary["published_small"]),
            f"{protect} / {self.audit_seconds:.1f} s",
            run_s,
        ]


def _int(value: float) -> str:
    """Whole number with a space between thousands, as the docs write them."""
    return f"{round(value):,}".replace(",", " ")


def _write_project(folder: Path, name: str, body: str, top: Sequence[str]) -> Path:
    """Write ``body`` with top-level keys ``top`` (before any table) as ``name.toml``."""
    path = folder / f"{name}.toml"
    path.write_text("".join(f"{line}\n" for line in top) + body, encoding="utf-8")
    return path


def run_project(folder: Path, name: str, body: str, *top: str) -> Run:
    """Run a project to ``folder/name`` (stages up to export); input warnings are silenced."""
    path = _write_project(folder, name, body, top)
    with warnings.catch_warnings():
        # the inputs' own notes (Marka's table row without a polygon, a repaired bydel)
        warnings.simplefilter("ignore", UserWarning)
        result = run(load_project(path), out=folder / name, only=["export"])
    return Run(folder / name, dict(result.timings))


def primary_only(source: Path, target: Path) -> Path:
    """Write ``source`` (a run without disclosure control) with each table suppressed alone."""
    target.mkdir(parents=True)
    names = {str(n) for n, _ in pyogrio.list_layers(source / "geoloft.gpkg")}
    for layer, (pop, keep) in TABLES.items():
        if layer not in names:
            continue
        frame = gpd.read_file(source / "geoloft.gpkg", layer=layer)
        withheld = [c for c in frame.columns if c not in keep and c != frame.geometry.name]
        hidden = suppress(frame, columns=withheld, pop=pop, threshold=THRESHOLD)
        hidden.to_file(target / "geoloft.gpkg", layer=layer, driver="GPKG")
    shutil.copy(source / "run.json", target / "run.json")
    return target


def before_and_after(folder: Path, name: str, body: str) -> tuple[Run, Run]:
    """Run a project without protection (then suppressed table by table) and with it."""
    folder.mkdir(parents=True, exist_ok=True)
    unprotected = run_project(folder, f"{name}_open", body, "disclosure = false")
    before = Run(primary_only(unprotected.out, folder / f"{name}_before"), unprotected.timings)
    return before, run_project(folder, name, body)


def row(case: str, runs: Sequence[Run], *, before: bool = False) -> Row:
    """Audit ``runs`` together and time it."""
    start = time.perf_counter()
    found = audit([r.out for r in runs])
    seconds = time.perf_counter() - start
    beyond = [
        label
        for r in runs
        for label in (r.notes.get("published_with") or {}).get("beyond_reach_examples", [])
    ]
    return Row(case, list(runs), before, found, seconds, beyond)


def demo_rows(work: Path) -> list[Row]:
    """Case 1: the demo city, before and after."""
    project = write_demo_project(work / "demo")
    before, after = before_and_after(work / "demo", "run", project.read_text(encoding="utf-8"))
    return [row("demo, before", [before], before=True), row("demo, after", [after])]


def oslo_body(realdata: Path, boundaries: Path, grid: str, *, lock_in: str = "") -> str:
    """Return a project over Oslo: SSB's 2015 grid (``250m``, ``1km``), eieform, zones."""
    ssb = realdata / "ssb-grid-norway-2015"
    path, size = {
        "250m": (ssb / "ru250m_2015_oslo0301.csv", 250),
        "1km": (ssb / "nor2015pop_1kmruter.csv", 1000),
    }[grid]
    tenure = realdata / "oslo-indicators" / "eieform_delbydel_2015-2017.csv"
    return (
        f'[inputs.boundaries]\npath = "{boundaries.as_posix()}"\nid_column = "DELBYDEL"\n'
        'name_column = "DELBYDELSN"\nlevel = "delbydel"\n'
        f'[inputs.grid]\npath = "{path.as_posix()}"\ncell_size = {size}\n'
        f'[inputs.indicators]\npath = "{tenure.as_posix()}"\nkey = "delbydel_id"\n'
        f'where = {{ aar = 2017 }}\ncatalogue = "{CATALOGUE.as_posix()}"\n'
        '[study_area]\nkommune = ["0301"]\n'
        '[score]\nmethod = "below-average"\nk = 2\nbootstrap = 50\n'
        f"[delineate]\nmin_pop = 20000\nlock_in = [{lock_in}]\n"
        "[maps]\nfigures = false\n"
    )


def bydel_body(realdata: Path, grid: str) -> str:
    """Oslo's 17 bydeler (Sentrum and Marka included) over the same grid, no indicators."""
    body = oslo_body(realdata, Path("unused"), grid)
    grid_part = body[body.index("[inputs.grid]") : body.index("[inputs.indicators]")]
    bydeler = realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg"
    return (
        f'[inputs.boundaries]\npath = "{bydeler.as_posix()}"\nid_column = "bydelsnr"\n'
        f'level = "bydel"\n{grid_part}[study_area]\nkommune = ["0301"]\n'
        "[maps]\nfigures = false\n"
    )


def carve(delbydeler: Path, grid: Path, zones: gpd.GeoDataFrame, target: Path) -> str:
    """Carve a 5-person 250 m cell out of a zone member: write the boundaries, return its id.

    The cell is the first (by SSB id) of those with :data:`CARVED_POP` persons that lie
    wholly inside one delbydel belonging to an intervention area; it becomes a delbydel
    of its own, ``<bydel>99``.
    """
    areas = gpd.read_file(delbydeler).to_crs("EPSG:25833")
    areas["geometry"] = areas.geometry.force_2d()
    cells = pd.read_csv(grid, sep=";").rename(columns={"ru250m": C.SSBID})
    cells = cells[cells[C.POP_TOT] == CARVED_POP].sort_values(C.SSBID)
    squares = gpd.GeoDataFrame(cells, geometry=cell_polygons(cells[C.SSBID], 250), crs="EPSG:25833")
    members = {m for text in zones[C.MEMBERS] for m in str(text).split(",")}
    inside = gpd.sjoin(squares, areas[["DELBYDEL", "geometry"]], predicate="within")
    inside = inside[inside["DELBYDEL"].isin(members)]
    if inside.empty:
        raise SystemExit(f"no {CARVED_POP}-person 250 m cell lies inside a zone's member")
    cell, parent = inside.iloc[0], str(inside["DELBYDEL"].iloc[0])
    new_id = f"{parent[:2]}99"
    at = areas.index[areas["DELBYDEL"] == parent][0]
    carved = areas.loc[[at]].assign(
        DELBYDEL=new_id,
        DELBYDELSN=f"Rute {cell[C.SSBID]} (utskilt fra {areas.at[at, 'DELBYDELSN']})",
        geometry=[cell.geometry],
    )
    areas.loc[at, "geometry"] = areas.geometry[at].difference(cell.geometry)
    out = pd.concat([areas, carved], ignore_index=True)
    out[["DELBYDEL", "DELBYDELSN", "KOMM", "geometry"]].to_file(target, driver="GPKG")
    return new_id


class Oslo:
    """The Oslo runs, each made once and shared by the cases that need it."""

    def __init__(self, work: Path, realdata: Path) -> None:
        self.work = work
        self.realdata = realdata
        self.delbydeler = realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"

    def _body(self, grid: str) -> str:
        return oslo_body(self.realdata, self.delbydeler, grid)

    @cached_property
    def fine(self) -> tuple[Run, Run]:
        """250 m × delbydeler, before and after."""
        return before_and_after(self.work / "oslo", "delbydel_250m", self._body("250m"))

    @cached_property
    def coarse(self) -> tuple[Run, Run]:
        """1 km × delbydeler, before and after."""
        return before_and_after(self.work / "oslo", "delbydel_1km", self._body("1km"))

    def after(self, name: str, body: str, earlier: Run) -> Run:
        """Run a protected project with ``published_with`` the earlier run's folder."""
        key = f'published_with = ["{earlier.out.as_posix()}"]'
        return run_project(self.work / "oslo", name, body, key)

    @cached_property
    def carved(self) -> tuple[Run, Run, str]:
        """250 m × delbydeler with a 5-person delbydel locked into a zone."""
        zones = gpd.read_file(self.fine[1].out / "geoloft.gpkg", layer="intervention_areas")
        folder = self.work / "carved"
        folder.mkdir(parents=True)
        grid = self.realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv"
        target = folder / "delbydeler_carved.gpkg"
        new_id = carve(self.delbydeler, grid, zones, target)
        body = oslo_body(self.realdata, target, "250m", lock_in=f'"{new_id}"')
        return (*before_and_after(folder, "carved_250m", body), new_id)

    @cached_property
    def bydel_fine(self) -> tuple[Run, Run]:
        """250 m × bydeler, before and after."""
        body = bydel_body(self.realdata, "250m")
        return before_and_after(self.work / "oslo", "bydel_250m", body)

    @cached_property
    def bydel_coarse(self) -> tuple[Run, Run]:
        """1 km × bydeler, before and after."""
        body = bydel_body(self.realdata, "1km")
        return before_and_after(self.work / "oslo", "bydel_1km", body)

    def rows_oslo(self) -> list[Row]:
        """Case 2."""
        before, after = self.fine
        name = "Oslo 250 m × delbydeler"
        return [row(f"{name}, before", [before], before=True), row(f"{name}, after", [after])]

    def rows_carved(self) -> list[Row]:
        """Case 3."""
        before, after, _ = self.carved
        name = f"+ {CARVED_POP}-person delbydel locked into a zone"
        return [row(f"{name}, before", [before], before=True), row(f"{name}, after", [after])]

    def rows_joint(self) -> list[Row]:
        """Case 4: 1 km alone, then with the 250 m run in both orders."""
        (fine_before, fine), (coarse_before, coarse) = self.fine, self.coarse
        coarse_second = self.after("delbydel_1km_after_250m", self._body("1km"), fine)
        fine_second = self.after("delbydel_250m_after_1km", self._body("250m"), coarse)
        both = "Oslo 1 km + 250 m audited together"
        return [
            row("Oslo 1 km, before", [coarse_before], before=True),
            row("Oslo 1 km, after", [coarse]),
            row(f"{both}, before", [coarse_before, fine_before], before=True),
            row(f"{both}, each run protected alone", [coarse, fine]),
            row("Oslo 250 m, then 1 km with `published_with` the 250 m run", [fine, coarse_second]),
            row("Oslo 1 km, then 250 m with `published_with` the 1 km run", [coarse, fine_second]),
        ]

    def rows_ssb(self) -> list[Row]:
        """Case 6: the 1 km run protected against SSB's 250 m file, then the 250 m run."""
        ssb_250m = self.realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv"
        key = f'published_with = ["{ssb_250m.as_posix()}"]'
        alone = self.coarse[1]  # made first: it also makes the folder
        coarse = run_project(self.work / "oslo", "delbydel_1km_ssb", self._body("1km"), key)
        fine_second = self.after("delbydel_250m_after_1km_ssb", self._body("250m"), coarse)
        return [
            row("Oslo 1 km, after", [alone]),
            row("Oslo 1 km with `published_with` SSB's 250 m file", [coarse]),
            row(
                "Oslo 1 km with SSB's 250 m file, then 250 m with `published_with` the 1 km run",
                [coarse, fine_second],
            ),
        ]

    def rows_levels(self) -> list[Row]:
        """Case 5: delbydeler and bydeler over the same grid, each grid size."""
        (fine_before, fine), (by_before, by_fine) = self.fine, self.bydel_fine
        by_second = self.after("bydel_250m_after_delbydel", bydel_body(self.realdata, "250m"), fine)
        (coarse_before, _), (byc_before, by_coarse) = self.coarse, self.bydel_coarse
        coarse_second = self.after("delbydel_1km_after_bydel", self._body("1km"), by_coarse)
        fine_pair = "Oslo 250 m × delbydeler + 250 m × bydeler"
        coarse_pair = "Oslo 1 km × bydeler + 1 km × delbydeler"
        return [
            row(f"{fine_pair}, before", [fine_before, by_before], before=True),
            row(f"{fine_pair}, each alone", [fine, by_fine]),
            row("the bydeler run with `published_with` the delbydeler run", [fine, by_second]),
            row(f"{coarse_pair}, before", [byc_before, coarse_before], before=True),
            row(f"{coarse_pair}, each alone", [by_coarse, self.coarse[1]]),
            row(
                "the delbydeler run with `published_with` the bydeler run",
                [by_coarse, coarse_second],
            ),
        ]


def national(work: Path, realdata: Path) -> str:
    """SSB's national 250 m grid × 357 kommuner, without and with protection (not audited)."""
    kommuner = realdata / "kommuner-2024" / "Kommuner-S.geojson"
    grid = realdata / "ssb-grid-norway-2015" / "ru250m_2015.csv"
    body = (
        f'[inputs.boundaries]\npath = "{kommuner.as_posix()}"\n'
        'id_column = "kommunenummer"\nname_column = "kommunenavn"\nlevel = "kommune"\n'
        f'[inputs.grid]\npath = "{grid.as_posix()}"\n'
        "cell_size = 250\n[maps]\nfigures = false\n"
    )
    folder = work / "national"
    folder.mkdir(parents=True)
    unprotected = run_project(folder, "open", body, "disclosure = false")
    after = run_project(folder, "protected", body)
    notes = after.notes
    record = json.loads((after.out / "run.json").read_text(encoding="utf-8"))
    rows = {stage["stage"]: stage for stage in record["stages"]}
    areas = rows["read_boundaries"]["rows_out"]
    cells = rows["read_grid"]["rows_out"]
    inside = rows["cut grid cells"]["rows_out"] if "cut grid cells" in rows else cells
    how = (
        "with the audit pass"
        if notes["audited_in_protection"]
        else f"row pass only: the audit pass is skipped above {_int(LP_LIMIT)} hidden counts"
    )
    return (
        f"National 250 m × {areas} kommuner ({_int(inside)} of SSB's {_int(cells)} cells lie "
        f"in the kommuner; {_int(notes['primary_hidden'])} counts hidden under {THRESHOLD} "
        "persons): protection takes "
        f"{after.timings['disclosure']:.1f} s ({how}; {_int(notes['secondary_hidden'])} "
        f"secondary cells, {_int(notes['persons_hidden_secondary'])} persons); the run took "
        f"{after.seconds:.1f} s against {unprotected.seconds:.1f} s without disclosure control."
    )


def markdown(rows: Sequence[Row]) -> str:
    """Return the table in Markdown."""
    head = [
        "case",
        "hidden values",
        "secondary counts (persons)",
        "pinned (exact)",
        "published small",
        "protect / audit",
        "run",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def pinned_after(rows: Sequence[Row]) -> str:
    """Every hidden value pinned in a row with protection, and what runs found beyond reach."""
    lines = []
    for r in rows:
        if r.before or not (r.pinned or r.beyond_reach):
            continue
        lines.append(f"* {r.case}:")
        for _, hit in r.found.pinned.iterrows():
            said = " (reported beyond reach)" if hit["label"] in r.beyond_reach else ""
            lines.append(f"  * pinned `{hit['label']}`: {hit['low']:.2f} … {hit['high']:.2f}{said}")
        unseen = sorted(set(r.beyond_reach) - set(r.found.pinned["label"]))
        if unseen:
            total = sum(int(n.get("published_with", {}).get("beyond_reach", 0)) for n in r.notes)
            listed = ", ".join(f"`{label}`" for label in unseen)
            lines.append(
                f"  * {total} beyond reach in the run's own model (listed up to 5 a run), "
                f"not pinned by the audit: {listed}"
            )
    return "\n".join(["After protection:", *lines]) if lines else ""


def warm_up(work: Path) -> None:
    """Run the demo once, untimed: the first run in a process also pays for imports."""
    project = write_demo_project(work / "warm_up")
    body = project.read_text(encoding="utf-8")
    audit([run_project(work / "warm_up", "run", body, "disclosure = false").out])


def measure(cases: Sequence[str], work: Path, realdata: Path) -> list[Row]:
    """Run the chosen cases in order; return their rows."""
    oslo = Oslo(work, realdata)
    makers: dict[str, Callable[[], list[Row]]] = {
        "demo": lambda: demo_rows(work),
        "oslo": oslo.rows_oslo,
        "carved": oslo.rows_carved,
        "joint": oslo.rows_joint,
        "levels": oslo.rows_levels,
        "oslo-1km-ssb": oslo.rows_ssb,
    }
    rows: list[Row] = []
    for case in cases:
        if case in makers:
            start = time.perf_counter()
            rows += makers[case]()
            print(f"{case}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--realdata",
        type=Path,
        default=REALDATA,
        help="real data folder (default: ../shared/realdata beside the repository)",
    )
    parser.add_argument(
        "--case", nargs="+", choices=CASES, default=list(CASES), help="cases to run (all)"
    )
    parser.add_argument("--work", type=Path, help="keep the runs here (default: a temp folder)")
    args = parser.parse_args(argv)
    needs_data = set(args.case) - {"demo"}
    if needs_data and not args.realdata.is_dir():
        parser.error(f"--realdata {args.realdata}: no such folder (needed by {needs_data})")
    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        parser.error(f"--work {args.work}: not empty")
    with tempfile.TemporaryDirectory(prefix="bench_disclosure_") as tmp:
        work = args.work or Path(tmp)
        start = time.perf_counter()
        warm_up(work)
        rows = measure(args.case, work, args.realdata)
        if rows:
            print(markdown(rows))
        details = pinned_after(rows)
        if details:
            print(f"\n{details}")
        if "national" in args.case:
            print(f"\n{national(work, args.realdata)}")
        print(f"\nall cases: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
