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
    for core in ("_epoch.pyx", "_online.pyx", "_random.pyx", "_rules.pxd"):
        assert any(n.endswith(f"sklshallow/_backends/{core}") for n in names), core
    assert any(n.endswith("/setup.py") for n in names)
    assert not [n for n in names if n.endswith((".c", ".so", ".pyd"))]

