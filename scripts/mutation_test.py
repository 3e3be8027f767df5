"""Mutation testing of geoloft's core: do the tests notice small planted bugs.

For each core module the script lists every place where a small bug can be
planted (with :mod:`ast`, so only code, never docstrings, changes):

* ``op``: an arithmetic operator swapped (``+``/``-``, ``*``/``/``, ``//``/``*``,
  ``%``/``//``, ``**``/``*``, ``&``/``|``, ``and``/``or``);
* ``cmp``: a comparison swapped (``<``/``<=``, ``>``/``>=``, ``==``/``!=``,
  ``in``/``not in``, ``is``/``is not``);
* ``const``: an integer or float constant moved by one (``n`` -> ``n + 1``),
  ``True``/``False`` flipped;
* ``neg``: a ``not`` or unary minus removed;
* ``del``: a statement in a function body replaced by ``pass`` (assignments,
  augmented assignments, calls, returns of a value become ``return None``).

It samples up to ``--per-module`` of them per module (seeded), and for each
one writes the mutated module into a scratch COPY of the repository (never the
working tree: ``git archive HEAD`` by default, or the working tree's files
with ``--worktree``) and runs the module's own doctests and its test files
with the project's default pytest options (``-x``, stopping at the first
failure). A mutant is *killed* when pytest fails or times out (3 x the
unmutated run, at least 60 s), and *survives* when every test passes. The
scratch copy sees ``../shared/realdata`` through a symbolic link, so the
real-data tests run as in the default command.

Prints the kill rate per module and every survivor (file, line, mutation),
which is the list of tests to write.

Run: python scripts/mutation_test.py [--per-module 25] [--seed 1] [--only codec]
     [--worktree] [--keep]
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: module name -> (source files, test files); paths relative to the repository.
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "join coverage": (
        ["geoloft/join/_coverage.py"],
        ["tests/test_join.py", "tests/test_join_values.py", "tests/test_bite.py"],
    ),
    "score flags": (
        ["geoloft/score/methods.py"],
        ["tests/test_score_replicates.py", "tests/test_score.py"],
    ),
    "hot spots": (
        ["geoloft/delineation/hotspots.py"],
        ["tests/test_hotspots.py", "tests/test_delineate.py", "tests/test_bite_m1_hotspots.py"],
    ),
    "disclosure": (
        [
            "geoloft/disclosure.py",
            "geoloft/disclosure/rules.py",
            "geoloft/disclosure/secondary.py",
            "geoloft/disclosure/protect.py",
        ],
        [
            "tests/test_disclosure_bounds.py",
            "tests/test_disclosure.py",
            "tests/test_disclosure_cli.py",
            "tests/test_audit.py",
            "tests/test_bite_m2_disclosure.py",
            "tests/test_joint_publication.py",
            "tests/test_access_disclosure.py",
        ],
    ),
    "escaping": (
        ["geoloft/maps/escape.py"],
        ["tests/test_bite.py", "tests/test_maps.py", "tests/test_report_html.py"],
    ),
    "codec": (
        ["geoloft/grid/codec.py"],
        [
            "tests/test_grid_codec.py",
            "tests/test_grid.py",
            "tests/test_bite.py",
            "tests/test_bite_m2_codec.py",
        ],
    ),
    "delineation growth": (
        ["geoloft/delineation/regions.py"],
        [
            "tests/test_delineate.py",
            "tests/test_delineate_props.py",
            "tests/test_bite.py",
            "tests/test_bite_m1_growth.py",
        ],
    ),
}

#: Mutants that cannot change behaviour, by (file, original line, mutation), with the
#: reason; they are listed but left out of the kill rate. Keep the reasons checkable.
EQUIVALENT: dict[tuple[str, str, str], str] = {
    (
        "geoloft/join/_coverage.py",
        "ymax = max(float(y_ll.max()) + size, bounds[3])",
        "Add -> Sub",
    ): "nrows adds 2 spare rows, so one row less of extent still holds every cell and vertex",
    (
        "geoloft/join/_coverage.py",
        "xmax = max(float(x_ll.max()) + size, bounds[2])",
        "Add -> Sub",
    ): "ncols adds 2 spare columns, so one column less still holds every cell and vertex",
    (
        "geoloft/join/_coverage.py",
        "keep = (lattice.row_first[row] >= 0) & (va != vb)",
        "0:GtE -> Gt",
    ): "row_first is -1 or a column >= 1 (x0 leaves a spare column), never 0",
    (
        "geoloft/join/_coverage.py",
        "keep = lattice.row_first[row] >= 0",
        "0:GtE -> Gt",
    ): "row_first is -1 or a column >= 1 (x0 leaves a spare column), never 0",
    (
        "geoloft/join/_coverage.py",
        "sign = np.where(va[src] > vb[src], 1, -1)",
        "0:Gt -> GtE",
    ): "horizontal edges (va == vb) never cross a row's centre line, so never reach here",
    (
        "geoloft/join/_coverage.py",
        "order = np.argsort(cells * (int(polys.max(initial=0)) + 1) + polys)",
        "1 -> 2",
    ): "any multiplier above the largest polygon number gives the same (cell, polygon) order",
    (
        "geoloft/join/_coverage.py",
        "order = np.argsort(cells * (int(polys.max(initial=0)) + 1) + polys)",
        "initial=0 -> 1",
    ): "any multiplier above the largest polygon number gives the same (cell, polygon) order",
    (
        "geoloft/score/methods.py",
        "flag = _flag(std >= 0.9 - st.EPS, std)",
        "0:GtE -> Gt",
    ): "differs only when a percentile rank equals 0.9 - EPS exactly, which ranks k/n never do",
    (
        "geoloft/score/methods.py",
        "flag = _flag(st.position(std) > 0.9 + st.EPS, std)",
        "0:Gt -> GtE",
    ): "differs only when a position equals 0.9 + EPS exactly, which positions k/n never do",
    (
        "geoloft/score/methods.py",
        "qualifies = rank - 1.0 < s.top * n_scored - st.EPS",
        "0:Lt -> LtE",
    ): "rank - 1 is a whole number; top * n - EPS is never one",
    (
        "geoloft/score/methods.py",
        "w = np.ones(rates.shape[1:]) if s.ref_weight is None else s.ref_weight",
        "1 -> 2",
    ): "ones of shape (m,) broadcast like ones of shape (n, m) in the next line",
    (
        "geoloft/delineation/hotspots.py",
        "width = n - 1 if 4 * kmax * kmax > n - 1 else kmax",
        "*",
    ): "sets only the batch size (memory per batch), not the distribution of the draws",
    (
        "geoloft/delineation/hotspots.py",
        "width = n - 1 if 4 * k * k > n else k",
        "*",
    ): "sets only the batch size (memory per batch), not the distribution of the draws",
    (
        "geoloft/delineation/hotspots.py",
        "kmax = int(min(degree[tested].max(), n - 1))",
        "Sub -> Add",
    ): "a node has at most n - 1 neighbours, so the cap at n + 1 changes nothing either",
    (
        "geoloft/maps/escape.py",
        'text = json.dumps(_clean(value), ensure_ascii=False, separators=(",", ":"), '
        "allow_nan=False)",
        "allow_nan=False -> True",
    ): "_clean has already replaced every NaN and infinity by None",
    (
        "geoloft/delineation/regions.py",
        "first = np.full(int(labels.max()) + 1, labels.size, dtype=np.int64)",
        "1 -> 2",
    ): "one spare label slot that no member uses is never ranked",
    (
        "geoloft/delineation/regions.py",
        "if k <= max_areas:",
        "0:LtE -> Lt",
    ): "with exactly max_areas areas the selection keeps them all anyway",
    (
        "geoloft/delineation/hotspots.py",
        "batch = max(1, min(permutations, BATCH_DRAWS // width))",
        "1 -> 2",
    ): "a batch of at least 2 draws instead of 1: the same draws, grouped differently",
    (
        "geoloft/disclosure/protect.py",
        "if grid is not None and g.any():",
        "And -> Or",
    ): "a grid layer without count variables (g all False) runs the block on empty "
    "selections, which changes nothing; g.any() needs a grid layer",
    (
        "geoloft/disclosure/protect.py",
        "sel = g & (system.column == col)",
        "0:Eq -> NotEq",
    ): "each grid count still gets primary_counts(own value) | small_cell[own row], "
    "only from another turn of the loop over the three columns",
    (
        "geoloft/disclosure/protect.py",
        "hidden_areas = np.zeros(0 if areas is None else len(areas), dtype=bool)",
        "0 -> 1",
    ): "without areas the array is only summed (primary_areas): one False sums to 0 too",
    (
        "geoloft/disclosure/secondary.py",
        'if int(hit["var"]) < 0:',
        "0:Lt -> LtE",
    ): "var 0 is a variable, labelled by its key (grid250:id:col, area:id:col), which no "
    "figure's label equals: fig is empty and rows stay as they are",
    (
        "geoloft/disclosure/secondary.py",
        'if int(hit["var"]) < 0:',
        "0 -> 1",
    ): "var 0 is a variable, labelled by its key (grid250:id:col, area:id:col), which no "
    "figure's label equals: fig is empty and rows stay as they are",
    (
        "geoloft/disclosure/secondary.py",
        "pub = ~system.fig_hidden",
        "delete assign",
    ): "before break nothing reads pub; after the orphans' withholding a stale pub only "
    "makes those withheld rows bad again, and they bring no candidate (every count of "
    "theirs is hidden or unusable) and withholding them again changes nothing",
    (
        "geoloft/disclosure/secondary.py",
        'cand = cand.sort_values(["row", "enough", "cost"], ascending=[True, False, True])',
        "True -> False",
    ): "the first True (row order; the cost one is killed): the candidate drop_duplicates "
    "keeps per row depends only on enough and cost within the row (a stable sort)",
    (
        "geoloft/disclosure/secondary.py",
        "has_primary = (abs_a @ p) > 0",
        "0:Gt -> GtE",
    ): "a row without a hidden primary count needs 0 (a max over p = 0) and its slack "
    "(persons hidden plus twice the tolerance) is never negative: it is never bad",
    (
        "geoloft/grid/codec.py",
        "is_long = long[0].notna().to_numpy()",
        "0 -> 1",
    ): "every group of the long pattern is required: a match fills groups 0 and 1 alike, "
    "a miss leaves both missing",
    (
        "geoloft/grid/codec.py",
        "is_short = short[0].notna().to_numpy() & ~is_long",
        "0 -> 1",
    ): "every group of the short pattern is required ((k?m) matches at least 'm'): a "
    "match fills groups 0 and 1 alike, a miss leaves both missing",
    (
        "geoloft/delineation/hotspots.py",
        "BATCH_DRAWS = 4_000_000",
        "4000000 -> 4000001",
    ): "sets only how many draws go in one batch: the same distribution, grouped differently",
    (
        "geoloft/delineation/hotspots.py",
        "q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)",
        "1.0 -> 2.0",
    ): "the running minimum starts at the largest p (times m / m), so q <= max p <= 1 for "
    "p-values in [0, 1]: the cap never binds",
    (
        "geoloft/delineation/hotspots.py",
        "graph.sum_duplicates()",
        "delete expr",
    ): "csr_array((data, (row, col))) already sums duplicate entries when it is built",
    (
        "geoloft/delineation/hotspots.py",
        "spread = std * np.sqrt(np.maximum(n * window - window**2, 0.0) / (n - 1))",
        "0.0 -> 1.0",
    ): "n W - W^2 = W (n - W) >= n - 1 >= 2 for a tested node (1 <= W <= n - 1); the "
    "others get z = NaN two lines below",
    (
        "geoloft/delineation/hotspots.py",
        "p_kept = permutation_p(x, lag - x, np.where(tested, degree, 0), permutations, seed=seed)",
        "0 -> 1",
    ): "untested nodes' p is set to NaN after the call; degree 1 for them only changes "
    "which draws the others get in per-node draws, not their distribution",
    (
        "geoloft/delineation/hotspots.py",
        "p_kept[~tested] = np.nan",
        "delete assign",
    ): "untested nodes reach permutation_p with degree 0 (p NaN there) and have z NaN, "
    "so 2 sf(|z|) is NaN too",
    (
        "geoloft/delineation/hotspots.py",
        "if 4 * k * k > pool:  # small pool: clashes are common, take k of a random order instead",
        "0:Gt -> GtE",
    ): "both branches draw uniform k-subsets without repeats (test_hotspots checks each); "
    "the switch only picks the faster one",
    (
        "geoloft/delineation/hotspots.py",
        "if 4 * k * k > pool:  # small pool: clashes are common, take k of a random order instead",
        "4 -> 5",
    ): "both branches draw uniform k-subsets without repeats (test_hotspots checks each); "
    "the switch only picks the faster one",
    (
        "geoloft/delineation/hotspots.py",
        "if 4 * k * k > n:  # small region: clashes are common, take k of a random order instead",
        "0:Gt -> GtE",
    ): "both branches draw k distinct other nodes uniformly (test_hotspots checks each "
    "against enumeration); the switch only picks the faster one",
    (
        "geoloft/delineation/hotspots.py",
        "if 4 * k * k > n:  # small region: clashes are common, take k of a random order instead",
        "4 -> 5",
    ): "both branches draw k distinct other nodes uniformly (test_hotspots checks each "
    "against enumeration); the switch only picks the faster one",
    (
        "geoloft/delineation/hotspots.py",
        "k = min(int(k), n - 1)",
        "Sub -> Add",
    ): "a node has at most n - 1 neighbours, so k <= n - 1 < n + 1 already",
    (
        "geoloft/delineation/hotspots.py",
        "k = min(int(k), n - 1)",
        "delete assign",
    ): "a node has at most n - 1 neighbours: k keeps its value (a numpy integer)",
    (
        "geoloft/delineation/hotspots.py",
        "capped = np.minimum(degree, n - 1)",
        "Sub -> Add",
    ): "a node has at most n - 1 neighbours, so the cap at n + 1 changes no degree either",
    (
        "geoloft/delineation/hotspots.py",
        "batch = max(1, min(permutations, BATCH_DRAWS // (cells.size * width)))",
        "FloorDiv -> Mult",
    ): "all draws in one batch: the same distribution, grouped differently",
    (
        "geoloft/delineation/hotspots.py",
        "batch = max(1, min(permutations, BATCH_DRAWS // (cells.size * width)))",
        "1 -> 2",
    ): "a batch of at least 2 draws instead of 1: the same distribution, grouped differently",
    (
        "geoloft/delineation/hotspots.py",
        "batch = max(1, min(permutations, BATCH_DRAWS // width))",
        "FloorDiv -> Mult",
    ): "all draws in one batch: the same distribution, grouped differently",
    (
        "geoloft/delineation/hotspots.py",
        "k, cells = next(todo, (kmax + 1, cells))  # past the last: no more to do",
        "Add -> Sub",
    ): "the default comes back only after the last group (k = kmax), at the loop's last "
    "turn j = kmax - 1, so it is never compared",
    (
        "geoloft/delineation/hotspots.py",
        "k, cells = next(todo, (kmax + 1, cells))  # past the last: no more to do",
        "1 -> 2",
    ): "the default comes back only after the last group (k = kmax), at the loop's last "
    "turn j = kmax - 1, so it is never compared",
    (
        "geoloft/delineation/regions.py",
        "_, merged = connected_components(links, directed=False)",
        "directed=False -> True",
    ): "directed=True defaults to connection='weak', which ignores edge direction: the "
    "same components, renumbered by compact()",
    (
        "geoloft/delineation/regions.py",
        "_, found = connected_components(graph[chosen][:, chosen], directed=False)",
        "directed=False -> True",
    ): "directed=True defaults to connection='weak', which ignores edge direction: the "
    "same components, renumbered by compact()",
    (
        "geoloft/delineation/regions.py",
        "out[island] = -1",
        "1 -> 2",
    ): "compact() turns every negative label into -1",
    (
        "geoloft/delineation/regions.py",
        "owner = np.maximum.accumulate(np.where(lead, np.arange(lead.size), 0))",
        "0 -> 1",
    ): "a picked node neighbours a member of every area that picked it (all graphs are "
    "symmetric), so the contact merge (touching) joins the same areas with the same sums",
    (
        "geoloft/delineation/regions.py",
        "areas.merge(best_area[~lead], best_area[owner[~lead]])",
        "delete expr",
    ): "a picked node neighbours a member of every area that picked it (all graphs are "
    "symmetric), so the contact merge (touching) joins the same areas with the same sums",
    (
        "geoloft/delineation/regions.py",
        "free = ~touching & eligible[ndst]",
        "BitAnd -> BitOr",
    ): "the next round keeps only free, eligible candidates (keep = ...) anyway",
    (
        "geoloft/delineation/regions.py",
        "used = np.flatnonzero(first < labels.size)",
        "0:Lt -> LtE",
    ): "unused slots hold labels.size, the largest key: they rank after every used "
    "label, which keeps ranks 0..k-1, and no member looks them up",
    (
        "geoloft/delineation/regions.py",
        "labels = np.full(mask.size, -1, dtype=np.int64)",
        "1 -> 2",
    ): "compact() turns every negative label into -1",
    (
        "geoloft/delineation/regions.py",
        "for a, b in zip(left.tolist(), right.tolist(), strict=True):",
        "strict=True -> False",
    ): "both callers pass two arrays cut by one mask, always of one length",
    (
        "geoloft/delineation/regions.py",
        "self.pop[hi] = 0.0",
        "0.0 -> 1.0",
    ): "only roots' populations are read (areas.root[...] first), and hi is a root no more",
    (
        "geoloft/delineation/regions.py",
        "self.pop[hi] = 0.0",
        "delete assign",
    ): "only roots' populations are read (areas.root[...] first), and hi is a root no more",
    (
        "geoloft/delineation/regions.py",
        "small = np.flatnonzero((labels >= 0) & (areas.pop[np.maximum(labels, 0)] < floor))",
        "0:Lt -> LtE",
    ): "an area exactly at the floor is dropped again by keep (pop < floor) at the top of "
    "the first round",
    (
        "geoloft/delineation/regions.py",
        "inside = labels >= 0",
        "0:GtE -> Gt",
    ): "in grow_to_floor, merges keep the lower label as root, so area 0 is always its own "
    "root: mapping it changes nothing (the same line in compact and sizes is killed)",
    (
        "geoloft/delineation/regions.py",
        "inside = labels >= 0",
        "0 -> 1",
    ): "in grow_to_floor, merges keep the lower label as root, so area 0 is always its own "
    "root: mapping it changes nothing (the same line in compact and sizes is killed)",
    (
        "geoloft/delineation/regions.py",
        "out[(out >= 0) & doomed[np.maximum(out, 0)]] = -1",
        "1 -> 2",
    ): "compact() turns every negative label into -1",
    (
        "geoloft/delineation/regions.py",
        "out[(out >= 0) & ~keep[np.maximum(out, 0)]] = -1",
        "1 -> 2",
    ): "compact() turns every negative label into -1",
}

SWAP_OPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
}
SWAP_CMP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    """One planted bug: the file, the site number of its kind, and what it does."""

    path: str
    kind: str
    index: int
    line: int
    text: str
    source: str  # the original line, stripped


def _docstring_ids(tree: ast.AST) -> set[int]:
    """Return the ids of docstring nodes (never mutated)."""
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.add(id(body[0]))
    return out


def _annotation_ids(tree: ast.AST) -> set[int]:
    """Return the ids of nodes inside type annotations (never mutated)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST | None] = []
        if isinstance(node, ast.AnnAssign | ast.arg):
            parts.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parts.append(node.returns)
        for part in parts:
            if part is not None:
                out.update(id(n) for n in ast.walk(part))
    return out


def _expression_sites(node: ast.AST, keywords: dict[int, str]) -> Iterator[tuple[str, str]]:
    """Yield (kind, description) for the operator, comparison and constant mutations.

    ``keywords`` names the keyword argument a constant is the value of, so that
    two constants on one line (``ensure_ascii=False, allow_nan=False``) differ.
    """
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in SWAP_OPS:
        yield "op", f"{type(node.op).__name__} -> {SWAP_OPS[type(node.op)].__name__}"
    elif isinstance(node, ast.BoolOp):
        other = "Or" if isinstance(node.op, ast.And) else "And"
        yield "op", f"{type(node.op).__name__} -> {other}"
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in SWAP_CMP:
                yield "cmp", f"{i}:{type(op).__name__} -> {SWAP_CMP[type(op)].__name__}"
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        name = f"{keywords[id(node)]}=" if id(node) in keywords else ""
        yield "const", f"{name}{node.value!r} -> {_moved(node.value)!r}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield "neg", f"drop {type(node.op).__name__}"


def _function_statements(tree: ast.Module) -> set[int]:
    """Return the ids of statements inside function bodies (and their blocks)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                for block in ("body", "orelse", "finalbody"):
                    statements = getattr(inner, block, None)
                    if isinstance(statements, list):
                        out.update(id(n) for n in statements)
    return out


def sites(tree: ast.Module) -> Iterator[tuple[str, ast.AST, str]]:
    """Yield (kind, node, description) for every mutable place in ``tree``."""
    skip = _docstring_ids(tree) | _annotation_ids(tree)
    in_function = _function_statements(tree)
    keywords = {
        id(kw.value): kw.arg for kw in ast.walk(tree) if isinstance(kw, ast.keyword) and kw.arg
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        for kind, text in _expression_sites(node, keywords):
            yield kind, node, text
        deletable = isinstance(node, ast.Assign | ast.AugAssign | ast.Expr | ast.Return)
        value = getattr(node, "value", 1)
        no_op = value is None or (isinstance(value, ast.Constant) and value.value is None)
        if deletable and id(node) in in_function and not (isinstance(node, ast.Return) and no_op):
            yield "del", node, f"delete {type(node).__name__.lower()}"


def _moved(value: float | bool) -> float | bool:
    if isinstance(value, bool):
        return not value
    return value + 1


class _Apply(ast.NodeTransformer):
    """Apply one mutation: the ``target``-th site in :func:`sites` order."""

    def __init__(self, target: ast.AST, kind: str, description: str) -> None:
        self.target, self.kind, self.description = target, kind, description

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        if node is not self.target:
            return node
        if self.kind == "del":
            if isinstance(node, ast.Return):
                return ast.copy_location(ast.Return(value=ast.Constant(None)), node)
            return ast.copy_location(ast.Pass(), node)
        if self.kind == "op" and isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif self.kind == "op" and isinstance(node, ast.BinOp | ast.AugAssign):
            node.op = SWAP_OPS[type(node.op)]()
        elif self.kind == "cmp" and isinstance(node, ast.Compare):
            i = int(self.description.split(":")[0])
            node.ops[i] = SWAP_CMP[type(node.ops[i])]()
        elif self.kind == "const" and isinstance(node, ast.Constant):
            node.value = _moved(node.value)
        elif self.kind == "neg" and isinstance(node, ast.UnaryOp):
            return node.operand
        return node


def enumerate_mutants(root: Path, path: str) -> list[Mutant]:
    """Return every mutant of one source file."""
    code = (root / path).read_text(encoding="utf-8")
    lines = code.splitlines()
    counts: dict[str, int] = {}
    out = []
    for kind, node, text in sites(ast.parse(code)):
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        line = getattr(node, "lineno", 0)
        out.append(Mutant(path, kind, index, line, text, lines[line - 1].strip() if line else ""))
    return out


def mutated_source(root: Path, mutant: Mutant) -> str:
    """Return the file's source with ``mutant`` applied (unparsed from the AST)."""
    tree = ast.parse((root / mutant.path).read_text(encoding="utf-8"))
    found = [(node, text) for kind, node, text in sites(tree) if kind == mutant.kind]
    target, description = found[mutant.index]
    new = _Apply(target, mutant.kind, description).visit(tree)
    return ast.unparse(ast.fix_missing_locations(new))


def make_copy(worktree: bool) -> tuple[Path, Path]:
    """Return (scratch folder, repository copy inside it) with ../shared linked."""
    scratch = Path(tempfile.mkdtemp(prefix="geoloft-mutation-"))
    copy_root = scratch / "main"
    if worktree:
        skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info")

        def ignore(folder: str, names: list[str]) -> set[str]:
            # the output folder maps/ at the top only: geoloft/maps is source
            top = {"maps"} if Path(folder) == REPO else set()
            return set(skip(folder, names)) | (top & set(names))

        shutil.copytree(REPO, copy_root, ignore=ignore)
    else:
        copy_root.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(copy_root)], input=archive, check=True)
    shared = REPO.parent / "shared"
    if shared.exists():
        (scratch / "shared").symlink_to(shared)
    return scratch, copy_root


def run_tests(
    root: Path, targets: list[str], timeout: float, *, show: bool = False
) -> tuple[str, float]:
    """Run pytest on ``targets`` in ``root``; return ('pass'|'fail'|'timeout', seconds)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *targets],
            cwd=root,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start
    status = "pass" if done.returncode == 0 else "fail"
    if show and status == "fail":
        print(done.stdout.decode(errors="replace")[-3000:])
    if done.returncode not in (0, 1):  # 2+: collection error, usage error: the mutant broke it
        status = "fail"
    return status, time.perf_counter() - start


def check_copy(root: Path) -> None:
    """Stop unless the copy's geoloft is the one its tests import."""
    found = subprocess.run(
        [sys.executable, "-c", "import geoloft; print(geoloft.__file__)"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found.startswith(str(root)):
        raise SystemExit(f"the copy's geoloft is not the one imported ({found}); stopping")


@dataclass
class Result:
    """The mutants of one module: killed, survived, and survivors known to be equivalent."""

    name: str
    killed: int
    run: int
    survivors: list[Mutant]
    equivalent: list[Mutant]


def equivalent_reason(mutant: Mutant) -> str | None:
    """Return why ``mutant`` cannot change behaviour, if it is listed (``*``: any on the line)."""
    return EQUIVALENT.get((mutant.path, mutant.source, mutant.text)) or EQUIVALENT.get(
        (mutant.path, mutant.source, "*")
    )


def run_module(
    root: Path, name: str, chosen: list[Mutant], targets: list[str], timeout: float
) -> Result:
    """Run each mutant against ``targets`` in ``root`` (restoring the file after each)."""
    killed, survivors, equivalent = 0, [], []
    for mutant in chosen:
        original = (root / mutant.path).read_text(encoding="utf-8")
        try:
            (root / mutant.path).write_text(mutated_source(root, mutant), encoding="utf-8")
            status, spent = run_tests(root, targets, timeout)
        finally:
            (root / mutant.path).write_text(original, encoding="utf-8")
        reason = equivalent_reason(mutant)
        if status != "pass":
            killed += 1
        elif reason:
            equivalent.append(mutant)
        else:
            survivors.append(mutant)
        mark = status if status != "pass" else ("equivalent" if reason else "SURVIVED")
        print(
            f"  {mutant.path}:{mutant.line} {mutant.kind} {mutant.text}: {mark} ({spent:.0f} s)",
            flush=True,
        )
    return Result(name, killed, len(chosen), survivors, equivalent)


def print_summary(results: list[Result]) -> None:
    """Print the kill rate per module (equivalent mutants left out) and the survivors."""
    print("\nmodule                 killed / run (equivalent)   kill rate")
    total_k = total_n = 0
    for r in results:
        n = r.run - len(r.equivalent)
        total_k, total_n = total_k + r.killed, total_n + n
        rate = r.killed / n if n else 1.0
        print(f"{r.name:<22} {r.killed:>6} / {r.run:<4} ({len(r.equivalent)})   {rate:9.1%}")
        for m in r.survivors:
            print(f"    survived: {m.path}:{m.line} {m.kind} {m.text}   | {m.source}")
        for m in r.equivalent:
            reason = equivalent_reason(m)
            print(f"    equivalent: {m.path}:{m.line} {m.text}: {reason}")
    if total_n:
        print(f"{'all':<22} {total_k:>6} / {total_n:<4}       {total_k / total_n:9.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-module", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="module names (substring match)")
    parser.add_argument(
        "--at", nargs="*", help="only mutants at these places, e.g. geoloft/grid/codec.py:62"
    )
    parser.add_argument("--worktree", action="store_true", help="copy the working tree, not HEAD")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copy")
    args = parser.parse_args()
    scratch, root = make_copy(args.worktree)
    rng = random.Random(args.seed)
    results = []
    try:
        check_copy(root)
        print(f"scratch copy: {root} ({'working tree' if args.worktree else 'git HEAD'})")
        for name, (sources, tests) in MODULES.items():
            if args.only and not any(o in name for o in args.only):
                continue
            files = [s for s in sources if (root / s).exists()]
            tests = [t for t in tests if (root / t).exists()]
            everything = [m for f in files for m in enumerate_mutants(root, f)]
            if args.at:
                everything = [m for m in everything if f"{m.path}:{m.line}" in args.at]
            if not everything or not tests:
                print(f"\n{name}: no mutants or no tests in the copy, skipped")
                continue
            # tests first, as in the default command (testpaths = tests, geoloft): collecting
            # a module's doctests first can rebind a package attribute (hotspots) to it
            targets = [*tests, *files]
            status, base = run_tests(root, targets, timeout=3600, show=True)
            if status != "pass":
                print(f"\n{name}: the unmutated tests do not pass ({status}); skipped")
                continue
            chosen = sorted(
                rng.sample(everything, min(args.per_module, len(everything))),
                key=lambda m: (m.path, m.line),
            )
            print(
                f"\n{name}: {len(everything)} mutants in {', '.join(files)}; running "
                f"{len(chosen)} against {', '.join(tests)} (unmutated {base:.0f} s)"
            )
            timeout = max(60.0, 3.0 * base)
            results.append(run_module(root, name, chosen, targets, timeout))
    finally:
        if args.keep:
            print(f"scratch copy kept at {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print_summary(results)


if __name__ == "__main__":
    main()
