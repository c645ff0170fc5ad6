"""The demo, run as a user runs it: in a subprocess, into a fresh folder."""

import re
import subprocess
import sys

import numpy as np
import pytest


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sklshallow", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def test_demo_prints_the_lecture_and_writes_real_pictures(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    result = _run("demo", "--out", str(tmp_path / "pics"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "accuracy on 'setosa or not': 1.000" in out
    assert re.search(r"MLP 2-4-1 \(tanh\) accuracy: 1\.000", out)
    assert "Total params: 12,060" in out
    assert len(re.findall(r"^Iteration \d+, loss", out, re.M)) == 30
    accuracy = float(re.search(r"test accuracy = ([0-9.]+)", out).group(1))
    assert accuracy > 0.9
    paths = re.findall(r"picture: (\S+\.png)", out)
    assert {p.rsplit("/", 1)[-1] for p in paths} == {
        "iris_perceptron.png", "xor.png", "digits_history.png", "digits_prediction.png"}
    for path in paths:
        pixels = image.imread(path)
        height, width = pixels.shape[:2]
        assert 200 <= height <= 2000 and 200 <= width <= 2000, path
        assert pixels[..., :3].std() > 0.05, f"{path} looks blank"


def test_demo_without_matplotlib_says_how_to_get_pictures(tmp_path):
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'matplotlib':\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sklshallow.__main__ import main\n"
        "main(['demo', '--epochs', '3', '--out', 'pics'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "pip install 'sklshallow[plot]'" in result.stdout
    assert "test accuracy" in result.stdout and not (tmp_path / "pics").exists()


@pytest.mark.skipif(not __import__("importlib").util.find_spec("tensorflow"),
                    reason="TensorFlow is not installed")
def test_demo_on_the_tensorflow_device_learns_the_same(tmp_path):
    cpu = _run("demo", "--epochs", "5", "--out", "a", cwd=tmp_path)
    tf = _run("demo", "--epochs", "5", "--out", "b", "--device", "/CPU:0", cwd=tmp_path)
    assert tf.returncode == 0, tf.stderr
    pick = lambda s: re.search(r"test accuracy = ([0-9.]+)", s).group(1)  # noqa: E731
    assert pick(cpu.stdout) == pick(tf.stdout)
    assert np.isfinite(float(pick(tf.stdout)))


def test_console_script_is_installed():
    from pathlib import Path

    script = Path(sys.executable).parent / "sklshallow"
    if not script.exists():
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--device" in result.stdout and "--out" in result.stdout
