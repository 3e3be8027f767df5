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
