"""Transactional output: a run killed at any moment leaves the complete old or new output.

A run writes into a hidden folder beside the output folder and swaps it in at
the end. These tests kill real runs (a subprocess, SIGKILL) at several moments of
a run with ``--overwrite`` and check what is left, then that the next run removes
every temporary file or folder the killed one left.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoloft._io import OutputWriteError, atomic_path
from geoloft.config import load_project
from geoloft.demo import write_demo_project
from geoloft.pipeline import run
from geoloft.pipeline.outputs import remove_leftovers

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

OLD_TITLE = "Gammel kjøring"
NEW_TITLE = "Ny kjøring"

#: Runs the CLI with ``--overwrite`` and kills itself (SIGKILL) at the named moment.
KILLER = r"""
import os, signal, sys
from geoloft.cli import main
import geoloft.export.formats as formats
import geoloft.pipeline as pipeline
import geoloft.pipeline.hand_over as hand_over
import geoloft.pipeline.outputs as outputs

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def after(fn):
    def wrapped(*args, **kwargs):
        value = fn(*args, **kwargs)
        die()
        return value
    return wrapped

point = sys.argv[3]
if point == "maps":           # the web maps written, nothing else of the hand-over
    hand_over.write_maps = after(hand_over.write_maps)
elif point == "gpkg":         # export stage: inside the GeoPackage write (temp file open)
    formats.write_layer_styles = die
elif point == "run.json":     # the new output complete, not yet swapped in
    pipeline.write_provenance = after(pipeline.write_provenance)
elif point == "swapped":      # swapped in, the earlier output not yet removed
    outputs._exchange = after(outputs._exchange)
sys.exit(main(["-q", "run", sys.argv[1], "--out", sys.argv[2], "--overwrite"]))
"""


def _project(folder: Path, title: str) -> Path:
    toml = write_demo_project(folder)
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        'title = "Levekår og innsatsområder i Demoby (SYNTETISKE DATA)"', f'title = "{title}"', 1
    )
    assert f'title = "{title}"' in text
    # a lighter run: one web map layer, no basemap, no figures
    text = text.replace('basemap = "topograatone"', 'basemap = "none"', 1)
    text = text.replace("figures = true", "figures = false", 1)
    text = text.replace(
        'layers = ["areas", "grid", "intervention_areas", "measures"]',
        'layers = ["areas", "intervention_areas"]',
        1,
    )
    toml.write_text(text, encoding="utf-8")
    return toml


def _state(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def _is_complete(out: Path, title: str) -> bool:
    """run.json has ``title`` and lists exactly the files in ``out`` (besides itself)."""
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    return record["parameters"]["project"]["title"] == title and present == {
        *record["files"],
        "run.json",
    }


def _leftovers(out: Path) -> list[str]:
    beside = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    inside = [p.name for p in out.rglob(".*")]
    return beside + inside


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("tx")
    old = _project(base / "old", OLD_TITLE)
    new = _project(base / "new", NEW_TITLE)
    out = base / "out"
    run(load_project(old), out=out)
    assert _is_complete(out, OLD_TITLE)
    return old, new, out, _state(out)


@pytest.mark.parametrize("point", ["maps", "gpkg", "run.json", "swapped", "timer"])
def test_a_killed_run_leaves_the_old_or_the_new_output(projects, point, tmp_path):
    _, new_toml, _, old_state = projects
    out = tmp_path / "out"
    out.mkdir()
    for rel, data in old_state.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-c", KILLER, str(new_toml), str(out), point]
    if point == "timer":  # from outside, in the middle of the maps stage
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.geoloft-new-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        code = proc.returncode
    else:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
        code = done.returncode
        assert code == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert code == -signal.SIGKILL
    if point == "swapped":
        assert _is_complete(out, NEW_TITLE)
    else:
        assert _state(out) == old_state, "the earlier output changed"
    assert _leftovers(out), "the kill left nothing to clean up: the test did not bite"
    # the next run removes what the killed one left, and says so
    result = run(load_project(new_toml), out=out, overwrite=True, only=["ingest"])
    assert _leftovers(out) == []
    assert any("killed runs left" in note for note in result.notes)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert set(record["files"]) == set(old_state) - {"run.json"} or point == "swapped"


def test_complete_rerun_lists_exactly_what_is_there(projects, tmp_path):
    _, new_toml, _, old_state = projects
    out = tmp_path / "out"
    out.mkdir()
    for rel, data in old_state.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    (out / "maps" / "Z99.html").write_text("stale", encoding="utf-8")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    record["files"].append("maps/Z99.html")  # an area the new run no longer has
    (out / "run.json").write_text(json.dumps(record), encoding="utf-8")
    (out / "mine.txt").write_text("the user's own notes", encoding="utf-8")
    shp = new_toml.with_name("shp.toml")  # a Shapefile: its sidecars are listed too
    shp.write_text(
        new_toml.read_text(encoding="utf-8").replace(
            'formats = ["gpkg", "geojson"]', 'formats = ["gpkg", "geojson", "shp"]', 1
        ),
        encoding="utf-8",
    )
    result = run(load_project(shp), out=out, overwrite=True)
    assert (out / "intervention_areas.dbf").is_file()
    assert not (out / "maps" / "Z99.html").exists()
    assert (out / "mine.txt").read_text(encoding="utf-8") == "the user's own notes"
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert present - {"mine.txt", "run.json"} == set(record["files"])
    assert all(f.is_relative_to(out) and f.is_file() for f in result.files)
    assert _leftovers(out) == []


def test_a_failing_stage_leaves_the_old_output(projects, tmp_path, monkeypatch):
    _, new_toml, _, old_state = projects
    out = tmp_path / "out"
    out.mkdir()
    for rel, data in old_state.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    import geoloft.pipeline.hand_over as hand_over

    def broken(*args, **kwargs):
        raise RuntimeError("late stage broke")

    monkeypatch.setattr(hand_over, "write_report", broken)
    with pytest.raises(RuntimeError, match="late stage broke"):
        run(load_project(new_toml), out=out, overwrite=True)
    assert _state(out) == old_state
    assert _leftovers(out) == []


def test_leftover_temp_files_of_direct_writes_are_removed(tmp_path):
    out = tmp_path / "out"
    (out / "maps").mkdir(parents=True)
    (out / ".geoloft.k2j4h1xz.tmp.gpkg").write_bytes(b"x")
    (out / "maps" / ".overview.abcdefgh.tmp.html").write_bytes(b"x")
    (out / ".keep-me").write_bytes(b"x")  # not a temp file of geoloft's
    aside = tmp_path / f".out.geoloft-new-{2**22 + 7}-abc"  # no such process
    aside.mkdir()
    removed = remove_leftovers(out)
    assert sorted(removed) == sorted(
        [aside.name, ".geoloft.k2j4h1xz.tmp.gpkg", "maps/.overview.abcdefgh.tmp.html"]
    )
    assert (out / ".keep-me").exists()


def test_a_live_runs_folder_is_left_alone(tmp_path):
    out = tmp_path / "out"
    live = tmp_path / f".out.geoloft-new-{os.getpid()}-abc"
    live.mkdir()
    assert remove_leftovers(out) == []
    assert live.exists()


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (RuntimeError("Write error: No space left on device"), "disk is full"),  # GDAL's words
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    ],
)
def test_disk_full_and_permission_errors_name_the_path_and_the_fix(tmp_path, err, words):
    target = tmp_path / "out" / "geoloft.gpkg"

    def write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise err

    with pytest.raises(OutputWriteError) as caught:
        write()
    text = str(caught.value)
    assert str(target) in text
    assert words in text
    assert "Fix:" in text
    assert list(target.parent.iterdir()) == []


def test_an_unwritable_parent_is_named(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere")
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        from geoloft.pipeline.outputs import new_staging

        with pytest.raises(OutputWriteError, match="permission denied"):
            new_staging(parent / "out")
    finally:
        parent.chmod(0o700)


def test_a_full_disk_behind_a_gdal_error_is_named(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    from pyogrio.errors import DataSourceError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(1 << 30, (1 << 30) - 4096, 4096))
    target = tmp_path / "geoloft.gpkg"

    def write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise DataSourceError("Failed to commit transaction")  # what GDAL says

    with pytest.raises(OutputWriteError, match=r"geoloft.gpkg: the disk is full"):
        write()
    assert list(tmp_path.iterdir()) == []
