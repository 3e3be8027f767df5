"""Worked example: Groruddalen (Alna, Bjerke, Grorud, Stovner) against the rest of Oslo.

Groruddalssatsingen ran 2007–2016 in four bydeler. This script builds the long
tables `geoloft evaluate` reads from the real files in ../shared/realdata and
runs the command twice:

1. bydel level: population, share of children (0–17) and of people 67+ from
   the register (SSB table 10826, 2004–2020, the codes in use since 2004) and
   the grid population 2007 -> 2016 -> 2019 -> 2022 (250 m grid joined to the
   bydeler; the 2022 rule, 1–4 persons published as 5, applied to every vintage);
2. delbydel level: the share of households with children 2008–2018, with the
   2008–2016 figures on old delbydel codes moved to the 2017 delbydeler with
   convert_areas (through the 2016 grid).

    python scripts/groruddalen_example.py --out groruddalen-out [--lang en]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoloft.boundaries import read_boundaries
from geoloft.evaluation import common_areas, grid_panel, read_population_by_age
from geoloft.grid import cell_polygons, read_grid, ssbid_to_corners

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
TREATED = ("030109", "030110", "030111", "030112")  # Bjerke, Grorud, Stovner, Alna
EXCLUDE = ("030116", "030117")  # Sentrum and Marka: few residents
GROUPS_OF_BYDELER = ("09", "10", "11", "12")
#: Old delbydel codes (2008–2016) as unions of the 2017 delbydeler that replaced them.
#: Lodalen (0101) and Helsfyr (0107) are merged: which new units each became is not stated.
OLD_DELBYDELER = {
    "0101": ("0108", "0109", "0110", "0111"),
    "0207": ("0208", "0209"),
    "0903": ("0905", "0906"),
}
MERGED = {"0107": "0101"}


def bydeler(realdata: Path) -> gpd.GeoDataFrame:
    """Oslo's bydeler with names from the register."""
    areas = read_boundaries(
        realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg", id_column="bydelsnr"
    )
    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    names = pop[pop["valid"] == ""].drop_duplicates("area_id").set_index("area_id")["name"]
    return areas.assign(name=areas["area_id"].map(names).fillna(areas["area_id"]))


def register_tables(realdata: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return population (count) and the shares of children and 67+ per bydel, 2004–2020."""
    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    # codes in use since 2004 only: the 1988–2003 bydeler have no boundaries here
    pop = pop[(pop["valid"] == "") & pop["area_id"].str.match(r"^0301(0[1-9]|1[0-7])$")]
    keep = ["area_id", "year"]
    nb = {
        "population": "Folketall (register)",
        "children": "Andel barn 0–17 år",
        "elderly": "Andel 67 år og over",
    }
    tables = [
        pop[keep].assign(indicator="population", value=pop["pop_tot"]),
        pop[keep].assign(
            indicator="children", numerator=pop["pop_0_17"], denominator=pop["pop_tot"]
        ),
        pop[keep].assign(
            indicator="elderly", numerator=pop["pop_67_plus"], denominator=pop["pop_tot"]
        ),
    ]
    population = pop[[*keep, "pop_tot", "pop_0_17", "pop_67_plus"]]
    table = pd.concat(tables, ignore_index=True)
    return table.assign(label=table["indicator"].map(nb)), population


def grid_table(realdata: Path, areas: gpd.GeoDataFrame, years: tuple[int, ...]) -> pd.DataFrame:
    """Grid population per bydel for each vintage, on the 2022 publication rule."""
    x0, y0, x1, y1 = areas.total_bounds
    grids = {}
    for year in years:
        grid = read_grid(
            realdata / "ssb-grid-norway-250m-series" / f"NOR0250M_POP_{year}.csv",
            cell_size=250,
            geometry=False,
        )
        x, y = ssbid_to_corners(grid["ssbid"].to_numpy())
        near = (x >= x0 - 250) & (x <= x1) & (y >= y0 - 250) & (y <= y1)
        grids[year] = grid_cells(grid[near])
    return grid_panel(grids, areas).assign(label="Folketall (250 m-rutenett)")


def grid_cells(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Cell squares for a grid table read without geometry."""
    cells = gpd.GeoDataFrame(
        frame, geometry=cell_polygons(frame["ssbid"].to_numpy(), 250), crs="EPSG:25833"
    )
    cells.attrs["cell_size"] = 250
    return cells


def households(realdata: Path, grid: gpd.GeoDataFrame) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Share of households with children per 2017 delbydel, 2008–2018."""
    raw = pd.read_csv(
        realdata / "oslo-indicators" / "husholdninger_med_barn_delbydel_2008-2018.csv",
        sep=";",
        dtype={"delbydelid": str},
    )
    raw = raw[raw["delbydelid"].notna()]
    raw["area_id"] = raw["delbydelid"].str[-4:].replace(MERGED)
    raw["with_children"] = raw["Barn i husholdningen"].ne("Ingen barn i HH")
    counts = (
        raw.groupby(["area_id", "År"])
        .apply(
            lambda g: pd.Series(
                {
                    "numerator": g.loc[g["with_children"], "Antall husholdninger"].sum(),
                    "denominator": g["Antall husholdninger"].sum(),
                }
            ),
            include_groups=False,
        )
        .reset_index()
        .rename(columns={"År": "year"})
    )
    target = read_boundaries(
        realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson",
        id_column="DELBYDEL",
        name_column="DELBYDELSN",
    )
    old = [
        {"area_id": code, "geometry": target[target["area_id"].isin(new)].union_all()}
        for code, new in OLD_DELBYDELER.items()
    ]
    source = pd.concat(
        [target[["area_id", "geometry"]], gpd.GeoDataFrame(old, crs=target.crs)], ignore_index=True
    )
    moved = common_areas(
        counts,
        source_areas=gpd.GeoDataFrame(source, crs=target.crs),
        target_areas=target,
        grid=grid,
    )
    moved["indicator"] = "households_with_children"
    moved["label"] = "Andel husholdninger med barn"
    return moved, target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lang", default="nb")
    parser.add_argument("--realdata", type=Path, default=REALDATA)
    parser.add_argument("--n-boot", type=int, default=999)
    args = parser.parse_args()
    inputs = args.out / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    areas = bydeler(args.realdata)
    areas.to_file(inputs / "bydeler.gpkg", driver="GPKG")
    register, population = register_tables(args.realdata)
    grid = grid_table(args.realdata, areas, (2007, 2016, 2019, 2022))
    for year, info in grid.attrs["vintages"].items():
        print(
            f"grid {year}: published rule {info['published_rule']}, "
            f"rule applied {grid.attrs['rule']}: {info}"
        )
    pd.concat([register, grid], ignore_index=True).to_csv(
        inputs / "bydel_indicators.csv", index=False
    )
    population.to_csv(inputs / "population.csv", index=False)
    common = ["--lang", args.lang, "--overwrite", "--n-boot", str(args.n_boot)]
    nb = args.lang == "nb"
    grid_note = (
        "Rutenettet 2007, 2016, 2019 og 2022 er satt på samme regel: ruter med 1–4 personer "
        "telles som 5 i alle år (SSBs regel for 2022)."
        if nb
        else "The 2007, 2016, 2019 and 2022 grids are put on one rule: cells of 1–4 persons "
        "count as 5 in every year (SSB's rule for 2022)."
    )
    register_note = (
        "Registertallene bruker bydelskodene fra 2004; bydelene 1988–2003 har ingen grenser i "
        "dataene og er utelatt. Sentrum og Marka er utelatt (få beboere)."
        if nb
        else "Register figures use the bydel codes in use since 2004; the 1988–2003 bydeler "
        "have no boundaries in the data and are left out. Sentrum and Marka are left out "
        "(few residents)."
    )
    run = [
        sys.executable,
        "-c",
        "import sys; from geoloft.cli import main; sys.exit(main())",
        "evaluate",
    ]
    by_bydel = [  # the four bydeler against the rest of Oslo, 2007-2016
        *run,
        str(inputs / "bydel_indicators.csv"),
        "--areas",
        str(inputs / "bydeler.gpkg"),
        "--treated",
        ",".join(TREATED),
        "--period",
        "2007-2016",
        "--exclude",
        ",".join(EXCLUDE),
        "--counts",
        "population,grid_pop",
    ]
    subprocess.run(
        [
            *by_bydel,
            "--population",
            str(inputs / "population.csv"),
            "-o",
            str(args.out / "bydeler"),
            "--note",
            grid_note,
            "--note",
            register_note,
            *common,
        ],
        check=True,
    )
    # the same, against the bydeler most alike before 2007 (3 nearest on level and trend)
    subprocess.run(
        [
            *by_bydel,
            "--comparison",
            "matched",
            "-o",
            str(args.out / "bydeler-matched"),
            *common,
        ],
        check=True,
    )
    cells_2016 = grid_cells(
        read_grid(
            args.realdata / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2016.csv",
            cell_size=250,
            geometry=False,
        )
    )
    hh, delbydeler = households(
        args.realdata,
        cells_2016.cx[
            areas.total_bounds[0] : areas.total_bounds[2],
            areas.total_bounds[1] : areas.total_bounds[3],
        ],
    )
    share = min(
        n["total_out"]["denominator"] / n["total_in"]["denominator"]
        for n in hh.attrs["conversions"].values()
    )
    pct = f"{100 * share:.1f}"
    hh_note = (
        "Delbydelstallene 2008–2016 med gamle koder (Lodalen og Helsfyr slått sammen, "
        "Hasle-Løren, Økern) er fordelt på delbydelene fra 2017 etter befolkningen i "
        f"rutenettet 2016 (convert_areas); minst {pct.replace('.', ',')} % av husholdningene "
        "havnet i en delbydel (resten: Marka og uten adresse)."
        if nb
        else "Delbydel figures 2008–2016 on old codes (Lodalen and Helsfyr merged, "
        "Hasle-Løren, Økern) are split among the 2017 delbydeler by the 2016 grid "
        f"population (convert_areas); at least {pct} % of households were "
        "placed in a delbydel (the rest: Marka and no address)."
    )
    for year, notes in hh.attrs["conversions"].items():
        print(
            f"households {year}: in {notes['total_in']}, out {notes['total_out']}, "
            f"unplaced {notes['unplaced']}, conserved {notes['conserved']}"
        )
    hh.to_csv(inputs / "households_delbydel.csv", index=False)
    delbydeler.to_file(inputs / "delbydeler.gpkg", driver="GPKG")
    treated = [a for a in delbydeler["area_id"] if a[:2] in GROUPS_OF_BYDELER]
    subprocess.run(
        [
            *run,
            str(inputs / "households_delbydel.csv"),
            "--areas",
            str(inputs / "delbydeler.gpkg"),
            "--treated",
            ",".join(treated),
            "--period",
            "2007-2016",
            "--exclude",
            "1601",
            "-o",
            str(args.out / "delbydeler"),
            "--note",
            hh_note,
            *common,
        ],
        check=True,
    )
    # sensitivity: without the units whose 2008-2016 figures were split from an old code
    # (convert_areas gives both parts the old unit's rate, so their 2017 values jump)
    split = sorted({new for parts in OLD_DELBYDELER.values() for new in parts})
    subprocess.run(
        [
            *run,
            str(inputs / "households_delbydel.csv"),
            "--areas",
            str(inputs / "delbydeler.gpkg"),
            "--treated",
            ",".join(t for t in treated if t not in split),
            "--period",
            "2007-2016",
            "--exclude",
            ",".join(["1601", *split]),
            "-o",
            str(args.out / "delbydeler-stable"),
            *common,
        ],
        check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
