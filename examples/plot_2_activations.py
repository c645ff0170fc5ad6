"""
Activation functions and their derivatives
==========================================

The step function of the threshold unit has no useful derivative (0
everywhere but at 0), so gradient descent needs smooth activations: the
sigmoid, :math:`\\sigma(z) = 1 / (1 + e^{-z})` with
:math:`\\sigma' = \\sigma (1 - \\sigma)`; the hyperbolic tangent, with
:math:`\\tanh' = 1 - \\tanh^2`; the rectified linear unit
:math:`\\max(z, 0)`; and the leaky ReLU :math:`\\max(z, 0.01 z)`, whose
gradient never dies. These are the ``activation`` values of
:class:`~sklshallow.MLPClassifierTF` (``"logistic"`` is also ``"sigmoid"``).
"""

import matplotlib.pyplot as plt
import numpy as np

z = np.linspace(-4, 4, 401)
sigmoid = 1 / (1 + np.exp(-z))
activations = {
    "step": (np.where(z >= 0, 1.0, 0.0), np.zeros_like(z)),
    "sigmoid (logistic)": (sigmoid, sigmoid * (1 - sigmoid)),
    "tanh": (np.tanh(z), 1 - np.tanh(z) ** 2),
    "relu": (np.maximum(z, 0), (z > 0).astype(float)),
    "leaky_relu": (np.maximum(z, 0.01 * z), np.where(z > 0, 1.0, 0.01)),
}

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for name, (f, df) in activations.items():
    axes[0].plot(z, f, label=name)
    axes[1].plot(z, df, label=name)
axes[0].set(title="activation f(z)", xlabel="z", ylim=(-1.2, 2))
axes[1].set(title="derivative f'(z)", xlabel="z", ylim=(-0.1, 1.1))
axes[0].legend()
for ax in axes:
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()
