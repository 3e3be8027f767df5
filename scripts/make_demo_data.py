"""Generate "Demoby", the SYNTHETIC demo city shipped in ``data/`` (SYNTETISKE DATA).

Run ``python scripts/make_demo_data.py [--out data] [--seed N]``. Everything is
invented: the place, its boundaries, population, indicators and measures (tiltak).
The files imitate the real schemas: Oslo kommune's delbydel GeoJSON (CRS84), SSB's
250 m and 1 km population grid CSVs (EPSG:25833 cell ids) and plain ``;`` tables.
The output is deterministic: the same seed gives byte-identical files.

Steps: a land outline with a fjord and a coast; delbydeler as a Voronoi
tessellation of hand-placed, jittered seeds whose edges are made to wiggle and
then polygonised (an exact coverage); bydeler as coverage unions of delbydeler; a
population surface (dense centre, high-rise clusters, villas, empty Marka and
water) drawn as Poisson counts per 250 m cell; indicator counts as binomial draws
from the delbydel population; measures placed in the most deprived delbydeler.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from geoloft.grid import cell_centres, corners_to_ssbid, parent_ssbid

SEED = 20250601
KILDE = "SYNTETISKE DATA – geoloft demoby"
KOMM = "9901"  # not a real kommunenummer
X0, Y0, WIDTH, HEIGHT = 290_000, 6_690_000, 24_000, 18_000  # frame, EPSG:25833 metres
TOTAL_POPULATION = 250_000
REFERENCE_YEAR = 2025  # status of measures (planlagt / pågår / fullført) is as of this year
# fmt: off
BYDELER = {"01": "Sentrum", "02": "Vestre Åsen", "03": "Nordbyen", "04": "Østdalen",
           "05": "Indre Øst", "06": "Søndre Strand", "07": "Marka"}
# code, name, seed (u, v) in metres from the frame's south-west corner, deprivation shift
DELBYDELER = [
    ("0101", "Torget", 12000, 7300, 0.0), ("0102", "Kaibyen", 11000, 6800, 0.2),
    ("0103", "Containerhavna", 13000, 6400, 0.0), ("0104", "Kirkebakken", 12300, 8300, -0.3),
    ("0105", "Elvebredden", 11200, 7900, -0.2), ("0201", "Solbakken", 9500, 7500, 0.0),
    ("0202", "Villaåsen", 7500, 9000, -0.3), ("0203", "Lindehøgda", 5000, 7500, 0.0),
    ("0204", "Strandvika", 8000, 4800, 0.1), ("0205", "Vestre Fjellby", 2500, 9500, 0.2),
    ("0206", "Eikelund", 3500, 4500, 0.0), ("0301", "Bakkehøgda", 10500, 10000, 0.0),
    ("0302", "Møllerløkka", 12200, 10200, 0.4), ("0303", "Kværnbekken", 8500, 11800, -0.2),
    ("0304", "Grønnåsen", 11500, 12300, 0.0), ("0305", "Skogkanten", 5500, 12000, -0.3),
    ("0401", "Østre Fjellby", 16500, 10000, 0.8), ("0402", "Høgbakken", 18200, 11000, 0.7),
    ("0403", "Steinrud", 14500, 11500, 0.0), ("0404", "Furulia", 20000, 12500, -0.2),
    ("0405", "Åsmyra", 21800, 10000, 0.5), ("0406", "Lerdalen", 17800, 8500, 0.0),
    ("0501", "Fabrikkløkka", 13700, 7700, 0.5), ("0502", "Jernbanebyen", 14200, 6500, 0.2),
    ("0503", "Østre Løkka", 15000, 8700, 0.3), ("0504", "Teglverket", 15600, 7200, 0.0),
    ("0505", "Bjørkelia", 13500, 9300, -0.2), ("0601", "Sjøvik", 14800, 4300, 0.0),
    ("0602", "Søndre Bråten", 17000, 5600, 0.6), ("0603", "Myrvoll", 18500, 3500, 0.8),
    ("0604", "Nesbukta", 16200, 2700, -0.2), ("0605", "Granlia", 20500, 6500, 0.2),
    ("0606", "Fjordlia", 21500, 3600, 0.0), ("0701", "Storskogen", 4000, 15500, 0.0),
    ("0702", "Tjernåsen", 12000, 15800, 0.0), ("0703", "Bjørnemyra", 20000, 15200, 0.0),
]
TINY = "0103"  # the harbour: fewer than 50 residents
DEPRIVATION_BY_BYDEL = {"01": 0.3, "02": -1.2, "03": -0.3, "04": 1.1, "05": 0.8, "06": 0.9}
CHILD_SHARE = {"01": 0.6, "02": 1.15, "03": 1.0, "04": 1.2, "05": 0.8, "06": 1.25}  # x national
# Dense spots (u, v, persons per 250 m cell at the peak, sigma in metres): the centre,
# inner east, west and north centres, and high-rise estates in the deprived delbydeler.
DENSE_SPOTS = [
    (12000, 7400, 2400, 900), (14300, 7800, 1300, 1300), (9300, 7600, 450, 900),
    (12000, 10300, 400, 1000), (16500, 10000, 2200, 450), (18200, 11000, 2000, 400),
    (21800, 10000, 1500, 350), (17000, 5600, 1700, 400), (18500, 3500, 2300, 450),
]
# id, column stem, domain, base rate, slope on deprivation, share of people in denominator
INDICATORS = [
    ("low_income", "lavinntekt", "income", 0.09, 0.55, 0.96),
    ("low_education", "lav_utdanning", "education", 0.15, 0.50, 0.42),
    ("not_employed", "ikke_sysselsatt", "work", 0.26, 0.35, 0.67),
    ("child_low_income", "barn_lavinntekt", "income", 0.11, 0.75, 0.20),
    ("school_dropout", "frafall", "education", 0.14, 0.40, 0.013),
    ("crowding", "trangbodd", "housing", 0.12, 0.60, 0.95),
]
LABELS = {  # id: label_nb, label_en, definition
    "low_income": ("Lavinntekt (EU60)", "Low income (EU60)",
        "Personer i husholdninger med inntekt under 60 % av nasjonal median (EU60), andel "
        "av personer i privathusholdninger."),
    "low_education": ("Lav utdanning", "Low education",
        "Personer 30–59 år med grunnskole som høyeste fullførte utdanning, andel av alle "
        "30–59 år."),
    "not_employed": ("Ikke sysselsatt", "Not employed",
        "Personer 20–66 år som ikke er sysselsatt, andel av alle 20–66 år."),
    "child_low_income": ("Barn i lavinntektshusholdninger", "Children in low-income households",
        "Barn 0–17 år i husholdninger med lavinntekt (EU60), andel av alle barn 0–17 år."),
    "school_dropout": ("Frafall i videregående", "Upper-secondary drop-out",
        "Elever som ikke har fullført og bestått videregående opplæring fem år etter start, "
        "andel av elevkullet."),
    "crowding": ("Trangbodd", "Crowded housing",
        "Personer i husholdninger med flere personer enn rom eller under 25 m² per person, "
        "andel av personer i privathusholdninger."),
}
TEMPLATES = {
    "fysisk": "Opprusting av {} torg|Ny gang- og sykkelvei i {}|Belysning langs turveien i {}|"
              "Aktivitetspark {}|Ny lekeplass i {}|Trygg skolevei {}|Oppgradering av "
              "uteområdet ved {} skole|Grønn gate i {}",
    "sosial": "Leksehjelp {}|Jobbsjansen {}|Ungdomslos {}|Familiesenter {}|Språkkafé {}|"
              "Møteplass for eldre i {}|Fritidsklubb {}|Nabolagsvert i {}",
    "kulturell": "Kulturhus {}|Bydelsfestival i {}|Sommerkino i {}|Musikkverksted {}|"
                 "Bibliotekfilial {}|Kunst i det offentlige rom, {}|Dansescene {}|Historielag {}",
}
MEASURE_FIELDS = ("kategori", "status", "startår", "sluttår", "budsjett")
BUDGET = {"fysisk": 8e6, "sosial": 1.5e6, "kulturell": 8e5}  # median NOK per category
PARK_NAMES = ["Nærmiljøpark {}", "Aktivitetsområde {}", "Grøntdrag {}", "Byrom {}"]
# fmt: on


def wave(n: int, rng: np.random.Generator, amp: float, scale: float) -> np.ndarray:
    """Smooth random noise of ``n`` samples: Gaussian-filtered white noise, std ``amp``.

    ``scale`` is the filter width in samples; a fifth of ``amp`` at a fifth of the
    scale is added for detail.
    """
    out = np.zeros(n)
    for a, w in ((amp, scale), (amp / 5, max(scale / 5, 1.0))):
        kernel = np.exp(-0.5 * (np.arange(-3 * w, 3 * w + 1) / w) ** 2)
        smooth = np.convolve(rng.normal(size=n + kernel.size - 1), kernel, "valid")
        out += a * smooth / np.sqrt((kernel**2).sum())
    return out


def land_outline(rng: np.random.Generator) -> shapely.Polygon:
    """Return the city's land: a wobbly rectangle minus a southern sea and a fjord."""
    u, v = np.arange(0.0, WIDTH + 1, 100), np.arange(0.0, HEIGHT + 1, 100)
    north = 17_300 + wave(u.size, rng, 500, 25)
    east = WIDTH + wave(v.size, rng, 450, 25)
    west = wave(v.size, rng, 450, 25)
    ve, vw = v * north[-1] / HEIGHT, v * north[0] / HEIGHT
    ring = np.r_[
        [[0, -1000], [WIDTH, -1000]], np.c_[east, ve], np.c_[u, north][::-1], np.c_[west, vw][::-1]
    ]
    frame = shapely.make_valid(shapely.Polygon(ring))
    ue = np.arange(-1000.0, WIDTH + 1001, 100)
    coast = 1_700 + wave(ue.size, rng, 450, 12)
    sea = shapely.Polygon(np.r_[np.c_[ue, coast], [[ue[-1], -2000], [ue[0], -2000]]])
    t = np.linspace(0, 1, 64)
    centre_u = 12_400 - 400 * t + wave(t.size, rng, 250, 10)
    half = 1_700 * (1 - t) ** 0.8 + 140 + np.abs(wave(t.size, rng, 100, 5))
    vv = -500 + t * 6_800
    fjord = shapely.Polygon(np.r_[np.c_[centre_u - half, vv], np.c_[centre_u + half, vv][::-1]])
    land = shapely.difference(frame, shapely.union(sea, shapely.make_valid(fjord)))
    parts = shapely.get_parts(land)
    land = parts[np.argmax(shapely.area(parts))]
    return shapely.transform(land, lambda xy: xy + np.array([X0, Y0]))


def wiggle(edge: shapely.LineString, seed: int) -> shapely.LineString:
    """Bend a straight Voronoi edge like a road or stream; ends stay put.

    The bend depends only on the edge's end points, not on the order edges come in.
    """
    a, b = sorted(map(tuple, np.round(shapely.get_coordinates(edge))))
    length = math.dist(a, b)
    if length < 300:
        return shapely.LineString([a, b])
    r = np.random.default_rng([seed, *(int(c) for c in (*a, *b))])
    t = np.linspace(0, 1, max(3, int(length // 120)))
    bend = np.sin(np.pi * t) * min(80.0, 0.04 * length) * wave(t.size, r, 1.0, 3)
    bend[[0, -1]] = 0.0  # sin(pi) is not exactly 0
    normal = np.array([a[1] - b[1], b[0] - a[0]]) / length
    return shapely.LineString(np.outer(1 - t, a) + np.outer(t, b) + np.outer(bend, normal))


def on_land(land: shapely.Polygon, seeds: np.ndarray) -> np.ndarray:
    """Move seeds that fell in the water 250 m inland."""
    wet = ~shapely.contains(land, shapely.points(seeds))
    lines = shapely.shortest_line(land.buffer(-250), shapely.points(seeds[wet]))
    out = seeds.copy()
    out[wet] = shapely.get_coordinates(lines)[::2].round()
    return out


def delbydel_polygons(land: shapely.Polygon, seeds: np.ndarray, seed: int) -> list:
    """Tessellate ``land`` around ``seeds``: one polygon per seed, an exact coverage."""
    frame = shapely.box(X0 - 5000, Y0 - 5000, X0 + WIDTH + 5000, Y0 + HEIGHT + 5000)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=frame))
    edges = shapely.get_parts(shapely.union_all(shapely.boundary(cells)))
    lines = shapely.union_all([*(wiggle(e, seed) for e in edges), shapely.boundary(land)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.contains(land, shapely.point_on_surface(faces))]
    owner = np.full(len(faces), -1)
    face_idx, seed_idx = shapely.STRtree(shapely.points(seeds)).query(faces, "contains")
    owner[face_idx] = seed_idx
    if len(set(seed_idx)) != len(seeds) or len(face_idx) != len(set(face_idx)):
        raise RuntimeError("a seed lies in no face or shares one; move the seeds apart")
    for _ in range(len(faces)):  # give pieces cut off by the coast to a neighbour
        for i in np.flatnonzero(owner < 0):
            shared = shapely.length(shapely.intersection(faces[i].boundary, faces))
            shared[owner < 0] = 0
            if shared.max() > 0:
                owner[i] = owner[np.argmax(shared)]
    polys = [shapely.coverage_union_all(faces[owner == k]) for k in range(len(seeds))]
    if (owner < 0).any() or not all(p.geom_type == "Polygon" for p in polys):
        raise RuntimeError("a delbydel came out in pieces or a face has no owner; move the seeds")
    return [shapely.normalize(p) for p in polys]


def population(rng: np.random.Generator, polys: list) -> tuple:
    """Return populated 250 m cells (ssbid, persons, delbydel index), sorted by id."""
    xs, ys = np.meshgrid(np.arange(X0, X0 + WIDTH, 250), np.arange(Y0, Y0 + HEIGHT, 250))
    ids = corners_to_ssbid(xs.ravel(), ys.ravel())
    cx, cy = cell_centres(ids, 250)
    codes = np.array([d[0] for d in DELBYDELER])
    cell_idx, owner = shapely.STRtree(polys).query(shapely.points(cx, cy), "within")
    ids, cx, cy = ids[cell_idx], cx[cell_idx], cy[cell_idx]
    u, v = cx - X0, cy - Y0
    lam = 110 - 45 / (1 + np.exp((u - 9000) / 800))  # suburbs; villas in the west
    for su, sv, amp, sigma in DENSE_SPOTS:
        lam += amp * np.exp(-((u - su) ** 2 + (v - sv) ** 2) / (2 * sigma**2))
    edge = shapely.distance(shapely.points(cx, cy), shapely.union_all(polys).boundary)
    lam *= np.clip(edge / 1500, 0.08, 1)  # farms and forest at the city limit
    lam *= rng.gamma(2.0, 0.5, lam.size) * (rng.random(lam.size) > 0.12 + 0.3 * (lam < 60))
    marka = np.array([c.startswith("07") for c in codes[owner]])
    lam[marka | (codes[owner] == TINY)] = 0  # nobody lives in Marka; the harbour is set below
    pop = rng.poisson(lam * TOTAL_POPULATION / lam.sum())
    tiny = np.flatnonzero(codes[owner] == TINY)
    pop[rng.choice(tiny, 3, replace=False)] = rng.integers(3, 12, 3)
    keep = np.flatnonzero(pop > 0)
    keep = keep[np.argsort(ids[keep])]
    return ids[keep], pop[keep], owner[keep]


def grid_1km(rng: np.random.Generator, ids: np.ndarray, pop: np.ndarray) -> list[str]:
    """Aggregate 250 m cells to SSB's 2015 1 km schema (sex split, mean age)."""
    parents, inverse = np.unique(parent_ssbid(ids, 250, 1000), return_inverse=True)
    total = np.bincount(inverse, weights=pop).astype(np.int64)
    male = rng.binomial(total, 0.497)
    cx, cy = cell_centres(parents, 1000)
    u, r2 = cx - X0, (cx - X0 - 12000) ** 2 + (cy - Y0 - 7400) ** 2
    age = 40.5 - 7 * np.exp(-r2 / (2 * 2000**2)) + 3 / (1 + np.exp((u - 9000) / 1500))
    age = np.clip(age + rng.normal(0, 1.0 + 8 / np.sqrt(total)), 18, 75).round(1)
    ave = [
        f"{a:.1f}".removesuffix(".0").replace(".", ",") if t > 4 else "0"
        for a, t in zip(age, total, strict=True)
    ]
    return ["ssbid_1000m;pop_tot;pop_mal;pop_fem;pop_ave"] + [
        f"{i};{t};{m};{t - m};{a}" for i, t, m, a in zip(parents, total, male, ave, strict=True)
    ]


def deprivation(rng: np.random.Generator) -> np.ndarray:
    """Latent deprivation per delbydel: high in the east and high-rise estates."""
    base = np.array([DEPRIVATION_BY_BYDEL.get(c[:2], 0.0) + s for c, _, _, _, s in DELBYDELER])
    return base + rng.normal(0, 0.25, len(base))


def indicator_table(rng: np.random.Generator, people: np.ndarray, z: np.ndarray) -> list[str]:
    """Draw counts per populated delbydel: binomial denominators and numerators."""
    cols = [f"{stem}_{k}" for _, stem, *_ in INDICATORS for k in "nd"]
    head = ["delbydel_id", "delbydel_navn", "bydel_id", "bydel_navn", "aar", *cols, "kilde"]
    lines = [";".join(head)]
    for k, (code, name, *_) in enumerate(DELBYDELER):
        if people[k] == 0:
            continue  # Marka: nobody lives there, so no row
        values = []
        for _, stem, _, rate, slope, share in INDICATORS:
            young = CHILD_SHARE[code[:2]] if stem in ("barn_lavinntekt", "frafall") else 1.0
            d = max(1, rng.binomial(people[k], share * young))
            logit = math.log(rate / (1 - rate)) + slope * z[k] + rng.normal(0, 0.1)
            values += [str(rng.binomial(d, 1 / (1 + math.exp(-logit)))), str(d)]
        if code == TINY:
            values[6] = "."  # barn_lavinntekt_n suppressed (SSB's symbol)
        row = [code, name, code[:2], f"Bydel {BYDELER[code[:2]]}", str(REFERENCE_YEAR - 1)]
        lines.append(";".join([*row, *values, KILDE]))
    return lines


def catalogue() -> str:
    """Declare the six demo indicators in the catalogue TOML format of DESIGN.md."""
    out = [f"# Indicator catalogue for the demo city Demoby. {KILDE}.",
           "# Made by scripts/make_demo_data.py; the numbers are invented.", ""]  # fmt: skip
    for ident, stem, domain, *_ in INDICATORS:
        nb, en, definition = LABELS[ident]
        fields = {"id": ident, "label_nb": nb, "label_en": en, "numerator": f"{stem}_n",
                  "denominator": f"{stem}_d", "domain": domain, "direction": "higher_is_worse",
                  "weight": 1.0, "unit": "percent", "definition": definition}  # fmt: skip
        out += ["[[indicator]]"]
        out += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
        out += [""]
    return "\n".join(out)


def measure_fields(rng: np.random.Generator, category: str) -> dict:
    """Draw the category, status, years and budget (NOK) of one measure."""
    start = int(rng.integers(2020, 2027))
    end = min(start + int(rng.integers(0, 4)), 2028)
    past, future = end < REFERENCE_YEAR, start > REFERENCE_YEAR
    status = "fullført" if past else "planlagt" if future else "pågår"
    budget = int(round(BUDGET[category] * rng.lognormal(0, 0.6), -4))
    return dict(zip(MEASURE_FIELDS, (category, status, start, end, budget), strict=True))


def measures(rng: np.random.Generator, polys: list, z: np.ndarray, cells: tuple) -> tuple:
    """Return point measures, their points, and polygon measures, in the deprived areas."""
    cx, cy, owner = cells
    live = np.array([c[0] != TINY and c[0][:2] != "07" for c in DELBYDELER])
    weight = np.where(live, np.clip(z, 0, None), 0)
    where = rng.choice(len(DELBYDELER), 36, p=weight / weight.sum())
    categories = rng.choice(list(TEMPLATES), 36, p=[0.4, 0.35, 0.25])
    points, xy = [], []
    for k, category in zip(where, categories, strict=True):
        names = [t.format(DELBYDELER[k][1]) for t in TEMPLATES[category].split("|")]
        name = next(n for n in rng.permutation(names) if n not in {p["navn"] for p in points})
        c = rng.choice(np.flatnonzero(owner == k))
        x, y = cx[c] + rng.uniform(-100, 100), cy[c] + rng.uniform(-100, 100)
        inside = polys[k].contains(shapely.Point(x, y))
        xy.append((x, y) if inside else (cx[c], cy[c]))
        points.append(
            {"id": f"T{len(points) + 1:02d}", "navn": name, **measure_fields(rng, category)}
        )
    parks, shapes = [], []
    for j, k in enumerate(np.argsort(-weight)[: len(PARK_NAMES)]):
        c = rng.choice(np.flatnonzero(owner == k))
        angle = np.linspace(0, 2 * np.pi, 13)[:-1]
        radius = rng.uniform(150, 280) * (1 + 0.2 * rng.uniform(-1, 1, 12))
        ring = np.c_[cx[c] + radius * np.cos(angle), cy[c] + radius * np.sin(angle)]
        shapes.append(shapely.normalize(shapely.Polygon(ring).intersection(polys[k])))
        name = PARK_NAMES[j].format(DELBYDELER[k][1])
        parks.append({"id": f"T{37 + j:02d}", "navn": name, **measure_fields(rng, "fysisk")})
    return points, np.array(xy), parks, shapes


TO_4326 = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
TO_25833 = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)


def to_lonlat(geoms: list) -> list:
    """Reproject EPSG:25833 -> CRS84, rounded to 7 decimals (~1 cm), rings CCW."""
    out = shapely.transform(geoms, lambda xy: np.round(np.c_[TO_4326.transform(*xy.T)], 7))
    return list(shapely.orient_polygons(out))


def check_coverage(lonlat: list) -> None:
    """Raise unless the written (rounded) polygons still form a valid coverage."""
    back = shapely.transform(lonlat, lambda xy: np.c_[TO_25833.transform(*xy.T)])
    if not (all(shapely.is_valid(back)) and shapely.coverage_is_valid(back)):
        raise RuntimeError("rounded polygons are not a valid coverage")


def geojson(name: str, props: list[dict], geoms: list) -> str:
    """Format a CRS84 FeatureCollection like GDAL does (one feature per line)."""
    lines = []
    for prop, geom in zip(props, geoms, strict=True):
        geometry = json.dumps(shapely.geometry.mapping(geom), separators=(", ", ": "))
        prop = json.dumps(prop, ensure_ascii=False)
        lines.append(f'{{ "type": "Feature", "properties": {prop}, "geometry": {geometry} }}')
    crs = '{ "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } }'
    head = f'{{\n"type": "FeatureCollection",\n"name": "{name}",\n"crs": {crs},\n"features": [\n'
    return head + ",\n".join(lines) + "\n]\n}\n"


def write(path: Path, text: str | list[str]) -> None:
    """Write UTF-8 text with LF line endings (a list is written one item per line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((text if isinstance(text, str) else "\n".join(text) + "\n").encode())


def write_boundaries(out: Path, polys: list) -> None:
    """Write delbydeler (Oslo kommune's schema) and bydeler as CRS84 GeoJSON."""
    codes = [d[0] for d in DELBYDELER]
    bydeler = [shapely.coverage_union_all([p for c, p in zip(codes, polys, strict=True)
                                           if c[:2] == b]) for b in BYDELER]  # fmt: skip
    ll, bydel_ll = to_lonlat(polys), to_lonlat([shapely.normalize(b) for b in bydeler])
    check_coverage(ll)
    check_coverage(bydel_ll)
    props = [{"OBJECTID": k + 1, "OBJTYPE": "Delbydel", "KOMM": KOMM, "DELBYDEL": d[0],
              "DELBYDELSN": d[1], "DATAFANGST": 0, "Shape_Leng": round(polys[k].length, 2),
              "Shape_Area": round(polys[k].area, 2), "kilde": KILDE}
             for k, d in enumerate(DELBYDELER)]  # fmt: skip
    write(out / "boundaries/demoby_delbydeler.geojson", geojson("demoby_delbydeler", props, ll))
    props = [{"bydelsnr": KOMM + b, "bydelsnavn": n, "kilde": KILDE} for b, n in BYDELER.items()]
    write(out / "boundaries/demoby_bydeler.geojson", geojson("demoby_bydeler", props, bydel_ll))


def write_measures(out: Path, points: list, xy: np.ndarray, parks: list, shapes: list) -> None:
    """Write point measures as a lon/lat CSV and polygon measures as CRS84 GeoJSON."""
    lon, lat = TO_4326.transform(xy[:, 0], xy[:, 1])
    rows = [";".join([*map(str, p.values()), f"{x:.6f}", f"{y:.6f}", KILDE])
            for p, x, y in zip(points, lon, lat, strict=True)]  # fmt: skip
    head = ";".join([*points[0], "lon", "lat", "kilde"])
    write(out / "measures/demoby_tiltak.csv", [head, *rows])
    props = [{**p, "kilde": KILDE} for p in parks]
    text = geojson("demoby_tiltak_omrader", props, to_lonlat(shapes))
    write(out / "measures/demoby_tiltak_omrader.geojson", text)


def generate(out: Path, *, seed: int = SEED) -> dict[str, int]:
    """Write every demo file under ``out`` and return headline counts."""
    rng = np.random.default_rng(seed)
    land = land_outline(rng)
    seeds = np.array([(X0 + u, Y0 + v) for _, _, u, v, _ in DELBYDELER], dtype=float)
    seeds = on_land(land, seeds + rng.normal(0, 150, seeds.shape).round())
    polys = delbydel_polygons(land, seeds, seed)
    write_boundaries(out, polys)
    ids, pop, owner = population(rng, polys)
    grid = ["ru250m;pop_tot"] + [f"{i};{p}" for i, p in zip(ids, pop, strict=True)]
    write(out / "grid/demoby_ru250m_syntetisk.csv", grid)
    write(out / "grid/demoby_1km_syntetisk.csv", grid_1km(rng, ids, pop))
    people = np.bincount(owner, weights=pop, minlength=len(polys)).astype(np.int64)
    z = deprivation(rng)
    write(out / "indicators/demoby_levekar_delbydel.csv", indicator_table(rng, people, z))
    write(out / "indicators/catalogue.toml", catalogue())
    points, xy, parks, shapes = measures(rng, polys, z, (*cell_centres(ids, 250), owner))
    write_measures(out, points, xy, parks, shapes)
    return {"delbydeler": len(polys), "bydeler": len(BYDELER), "cells_250m": len(ids),
            "population": int(pop.sum()), "measures": len(points) + len(parks)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "data"
    parser.add_argument("--out", type=Path, default=default, help="output folder (repo's data/)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    for key, value in generate(args.out, seed=args.seed).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
