import importlib.util

import pytest

HAS_TF = importlib.util.find_spec("tensorflow") is not None

# The NumPy backend always; the TensorFlow backend on TensorFlow's CPU device
# when TensorFlow is installed (CI installs it, so these run there).
DEVICES = ["cpu"] + (["/CPU:0"] if HAS_TF else [])

needs_tf = pytest.mark.skipif(
    not HAS_TF, reason="TensorFlow is not installed (pip install 'sklshallow[tf]')"
)
