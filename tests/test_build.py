"""The compiled core's build: what a source tree, an sdist and a user meet."""

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import sklshallow

ROOT = Path(__file__).resolve().parents[1]
in_checkout = pytest.mark.skipif(
    not (ROOT / "setup.py").exists(), reason="needs the source checkout (setup.py)"
)


def test_unbuilt_core_says_how_to_build_it(tmp_path):
    # A source tree whose compiled core was never built (a fresh clone).
    source = Path(sklshallow.__file__).parent
    shutil.copytree(source, tmp_path / "sklshallow",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__"))
    out = subprocess.run([sys.executable, "-c", "import sklshallow"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "ImportError: sklshallow's compiled core" in out.stderr
    assert "pip install -e ." in out.stderr


@in_checkout
def test_sdist_carries_the_cython_sources_not_build_outputs(tmp_path):
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    with tarfile.open(tmp_path / out.stdout.split()[-1]) as sdist:
        names = sdist.getnames()
        info = sdist.extractfile(next(n for n in names if n.count("/") == 1
                                      and n.endswith("/PKG-INFO"))).read().decode()
    for core in ("_epoch.pyx", "_online.pyx", "_random.pyx", "_rules.pxd"):
        assert any(n.endswith(f"sklshallow/_backends/{core}") for n in names), core
    for needed in ("/setup.py", "/LICENSE", "/README.md", "sklshallow/_playground_page.html"):
        assert any(n.endswith(needed) for n in names), needed
    assert not [n for n in names if n.endswith((".c", ".so", ".pyd", ".pyc", ".json"))]
    assert not [n for n in names if any(f"/{d}/" in n for d in
                                        ("tests", "benchmarks", "doc", "examples", ".ci"))]
    # What a package index shows: version, license, classifiers, links.
    assert f"\nVersion: {sklshallow.__version__}\n" in info
    assert "\nLicense: BSD-3-Clause\n" in info or "\nLicense-Expression: BSD-3-Clause\n" in info
    classifiers = [line.split(": ", 1)[1] for line in info.splitlines()
                   if line.startswith("Classifier: ")]
    assert "License :: OSI Approved :: BSD License" in classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers
    assert "Programming Language :: Python :: 3.10" in classifiers  # python_requires' floor
    urls = [line for line in info.splitlines() if line.startswith("Project-URL: ")]
    for name in ("Documentation", "Source", "Changelog"):
        assert any(line.startswith(f"Project-URL: {name}, https://") for line in urls), name



def test_one_version_everywhere():
    # The package, its installed metadata (the wheel's), and the docs: the
    # changelog's newest entry and the version Sphinx shows, read from the
    # package by doc/conf.py.
    import importlib.metadata
    import re

    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+|\.dev\d+)?", sklshallow.__version__)
    assert importlib.metadata.version("sklshallow") == sklshallow.__version__
    if (ROOT / "doc").exists():
        news = (ROOT / "doc" / "whats_new.rst").read_text()
        assert re.findall(r"^Version (\S+)$", news, re.M)[0] == sklshallow.__version__
        conf = (ROOT / "doc" / "conf.py").read_text()
        assert "release = version = sklshallow.__version__" in conf
