"""
The same model on both devices
==============================

The device is a speed knob: with the same data, parameters and
``random_state``, NumPy (``device="cpu"``) and TensorFlow (here on its CPU,
``device="/CPU:0"``; ``"gpu"`` on a GPU) start from the same weights, visit
the mini-batches in the same order and apply the same updates, so their loss
curves lie on top of each other.
"""

import importlib.util

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF

X, y = load_wine(return_X_y=True)
X = StandardScaler().fit_transform(X)
params = dict(hidden_layer_sizes=(20,), max_iter=50, random_state=0)
cpu = MLPClassifierTF(**params).fit(X, y)
print(f"NumPy accuracy: {cpu.score(X, y):.4f}")
curves = {"NumPy (cpu)": cpu.loss_curve_}
if importlib.util.find_spec("tensorflow") is None:
    print("TensorFlow is not installed: pip install 'sklshallow[tf]'")
else:
    tf = MLPClassifierTF(device="/CPU:0", **params).fit(X, y)
    gap = max(np.abs(a - b).max() for a, b in zip(cpu.coefs_, tf.coefs_))
    print(f"TensorFlow accuracy: {tf.score(X, y):.4f}; largest weight difference {gap:.1e}")
    assert gap < 1e-8
    curves["TensorFlow (/CPU:0)"] = tf.loss_curve_

fig, ax = plt.subplots(figsize=(6, 4))
for (name, curve), style in zip(curves.items(), ["-", "--"]):
    ax.plot(np.arange(1, len(curve) + 1), curve, style, label=name, linewidth=2)
ax.set(xlabel="epoch", ylabel="training loss", yscale="log", title="One model, two devices")
ax.legend()
plt.show()
