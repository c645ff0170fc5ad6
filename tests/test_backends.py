"""Device resolution that needs no TensorFlow."""

import subprocess
import sys

import pytest

from sklshallow import MLPClassifierTF
from sklshallow._backends import check_device


@pytest.mark.parametrize(
    "device", ["cpu", "gpu", "auto", "CPU", "Cpu", "GPU", "Auto", "/CPU:0", "/GPU:1",
               "/device:GPU:0", "gpu:0"]
)
def test_known_device_strings(device):
    check_device(device)


@pytest.mark.parametrize("device", ["cuda", "CPUs", "/TPU:x", "", 0, None])
def test_unknown_device_strings(device):
    with pytest.raises(ValueError, match="device must be"):
        check_device(device)


def test_import_and_cpu_fit_never_load_tensorflow():
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "import sklshallow\n"
        "from sklearn.datasets import load_iris\n"
        "X, y = load_iris(return_X_y=True)\n"
        "for E in (sklshallow.MLPClassifierTF, sklshallow.PerceptronClassifier):\n"
        "    E(max_iter=3).fit(X, y).predict(X)\n"
        "sklshallow.MLPRegressor(max_iter=3, solver='lbfgs').fit(X, y)\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_missing_tensorflow_names_the_extra():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'tensorflow':\n"
        "            raise ImportError('No module named tensorflow')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sklshallow import MLPClassifierTF\n"
        "try:\n"
        "    MLPClassifierTF(device='/CPU:0').fit([[0.0], [1.0]], [0, 1])\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "sklshallow[tf]" in result.stdout, result.stderr
    # "auto" falls back to NumPy silently when TensorFlow is missing.
    code = code.replace("device='/CPU:0'", "device='auto'").replace("print(exc)", "print('no')")
    code += "else:\n    print('fell back')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "fell back", result.stderr


def test_tensorflow_device_is_a_plain_string_until_fit():
    est = MLPClassifierTF(device="/GPU:3")
    assert est.get_params()["device"] == "/GPU:3"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 256, 257, 3000])
@pytest.mark.parametrize("bit_generator", ["legacy", "PCG64"])
def test_compiled_shuffle_is_randomstates(n, bit_generator):
    # The epochs' orders: the permutation RandomState.shuffle makes, and the
    # generator left where RandomState.shuffle leaves it (the next draws agree).
    import numpy as np

    from sklshallow._backends._random import shuffle

    def rng(seed):
        if bit_generator == "legacy":
            return np.random.RandomState(seed)
        return np.random.RandomState(np.random.PCG64(seed))

    for seed in range(4):
        ours, numpys = rng(seed), rng(seed)
        a, b = np.arange(n), np.arange(n)
        for _ in range(3):
            shuffle(ours, a)
            numpys.shuffle(b)
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ours.randint(0, 2**31, 5), numpys.randint(0, 2**31, 5))
