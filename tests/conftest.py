"""Shared fixtures: the real-data folder and small hand-made geometry."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Path to ``../shared/realdata``; tests using it skip when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder not found at {REALDATA}")
    return REALDATA


@pytest.fixture(scope="session")
def repo() -> Path:
    """Path to the repository root."""
    return REPO


def _load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` as a module (registered, so dataclasses find it)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """Return the loader of a script in ``scripts/`` by name (``"calibrate_uncertainty"``)."""
    return _load_script


CHROMIUM = Path("/usr/bin/chromium")
#: Chromium as this machine's closed network needs it (no background connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium through Playwright, shared by the browser tests; skips without it."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium not at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: The [access] section the demo project gets for the access pipeline tests.
ACCESS_SECTION = """
[access]
category = ["fysisk"]        # the project's physical measures
what = "fysisk tiltak"
thresholds = [300, 1000]
new_sites = 2
distance = 300
"""


@pytest.fixture(scope="session")
def access_run(tmp_path_factory):
    """The demo project run with an [access] section: (project folder, output folder).

    Shared read-only by the access pipeline and access disclosure tests (one run).
    """
    from geoloft.cli import main

    folder = tmp_path_factory.mktemp("access") / "project"
    assert main(["init", str(folder)]) == 0
    project = folder / "project.toml"
    project.write_text(project.read_text(encoding="utf-8") + ACCESS_SECTION, encoding="utf-8")
    out = folder / "output"
    assert main(["run", str(project), "--out", str(out)]) == 0
    return folder, out
