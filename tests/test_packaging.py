"""The package list in pyproject.toml matches the source tree; the demo data ships."""

from __future__ import annotations

import fnmatch
import tomllib


def _pyproject(repo):
    return tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))


def test_listed_packages_match_the_source_tree(repo):
    listed = set(_pyproject(repo)["tool"]["setuptools"]["packages"])
    found = {
        ".".join(d.relative_to(repo).parts)
        for d in [repo / "geoloft", *(repo / "geoloft").rglob("*")]
        if d.is_dir() and (d / "__init__.py").is_file()
    }
    assert listed - {"geoloft._demo"} == found


def test_every_demo_file_is_packaged(repo):
    config = _pyproject(repo)["tool"]["setuptools"]
    assert config["package-dir"]["geoloft._demo"] == "data"
    patterns = config["package-data"]["geoloft._demo"]
    files = [
        p.relative_to(repo / "data").as_posix() for p in (repo / "data").rglob("*") if p.is_file()
    ]
    assert files
    unpackaged = [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert unpackaged == []


# --- licence, dependencies and their lower bounds -----------------------------------------

#: Runtime dependencies geoloft uses without an import statement, with how it uses them.
USED_AS_DATA = {
    "django-js-lib-leaflet": "js_lib_leaflet",  # Leaflet files for offline maps
    "xstatic-leaflet-markercluster": "xstatic.pkg.leaflet_markercluster",  # its plugin
}


def _source_text(repo) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (repo / "geoloft").rglob("*.py"))


def test_licence_is_an_spdx_string_with_its_file(repo):
    project = _pyproject(repo)["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (repo / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "geoloft contributors" in text
    # setuptools reads the SPDX string (PEP 639) from version 77 on
    requires = _pyproject(repo)["build-system"]["requires"]
    assert any(r.replace(" ", "").startswith("setuptools>=77") for r in requires)


def test_every_runtime_dependency_is_used_by_geoloft(repo):
    import re

    from packaging.requirements import Requirement

    source = _source_text(repo)
    imported = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, flags=re.MULTILINE))
    distributions = __import__("importlib.metadata").metadata.packages_distributions()
    unused = []
    for text in _pyproject(repo)["project"]["dependencies"]:
        name = Requirement(text).name
        if name in USED_AS_DATA:
            assert f'"{USED_AS_DATA[name]}"' in source
            continue
        modules = {m for m, dists in distributions.items() if name in dists}
        if not modules & imported:
            unused.append(name)
    assert unused == [], "move these to an extra: geoloft never imports them"


def test_every_dependency_has_one_lower_bound(repo):
    from packaging.requirements import Requirement

    project = _pyproject(repo)["project"]
    extras = project["optional-dependencies"]
    for text in [*project["dependencies"], *(r for reqs in extras.values() for r in reqs)]:
        bounds = [s for s in Requirement(text).specifier if s.operator == ">="]
        assert len(bounds) == 1, f"{text}: give one '>=' lower bound"


def test_every_extra_an_error_names_exists(repo):
    import re

    named = set(re.findall(r"geoloft\[(\w+)\]", _source_text(repo)))
    assert "parquet" in named  # GeoParquet's message
    assert named <= set(_pyproject(repo)["project"]["optional-dependencies"])
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "[parquet]" in readme  # the README says how to get GeoParquet


def test_ci_checks_the_lower_bounds_and_ends_with_the_readme_test_command(repo):
    import re

    lines = [
        line.strip()
        for line in (repo / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    test_command = re.search(r"```bash\n(pip install -e .*pytest)\n```", readme).group(1)
    assert lines[-1] == test_command
    assert any("scripts/lower_bounds.py" in line for line in lines)
    assert any("pip install" in line and " -c " in line for line in lines)


def test_lower_bounds_script_pins_each_bound(repo, tmp_path):
    import subprocess
    import sys

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["numpy>=1.26.4", "typer >= 0.15.4, <1"]\n'
        '[project.optional-dependencies]\nparquet = ["pyarrow>=15"]\n',
        encoding="utf-8",
    )
    script = repo / "scripts" / "lower_bounds.py"
    done = subprocess.run(
        [sys.executable, str(script), "--pyproject", str(pyproject), "--extra", "parquet"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == ["numpy==1.26.4", "pyarrow==15", "typer==0.15.4"]
    pyproject.write_text('[project]\ndependencies = ["numpy"]\n', encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, str(script), "--pyproject", str(pyproject)], capture_output=True, text=True
    )
    assert failed.returncode != 0
    assert "'numpy' needs exactly one '>=' lower bound" in failed.stderr
