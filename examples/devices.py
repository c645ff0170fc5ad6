"""The device is a speed knob: NumPy and TensorFlow train the same model."""

import importlib.util

import numpy as np
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF

X, y = load_wine(return_X_y=True)
X = StandardScaler().fit_transform(X)
params = dict(hidden_layer_sizes=(20,), max_iter=50, random_state=0)
cpu = MLPClassifierTF(**params).fit(X, y)
print(f"NumPy accuracy: {cpu.score(X, y):.4f}")
if importlib.util.find_spec("tensorflow") is None:
    print("TensorFlow is not installed: pip install 'sklshallow[tf]'")
else:
    tf = MLPClassifierTF(device="/CPU:0", **params).fit(X, y)
    gap = max(np.abs(a - b).max() for a, b in zip(cpu.coefs_, tf.coefs_))
    print(f"TensorFlow accuracy: {tf.score(X, y):.4f}; largest weight difference {gap:.1e}")
    assert gap < 1e-8
