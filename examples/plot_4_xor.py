"""
XOR: one layer fails, a hidden layer succeeds
=============================================

No line separates XOR's classes, so a single layer of threshold units gets at
most three of the four points right, whatever it learns. A hidden layer of a
few units bends the boundary: each hidden unit draws a line, and the output
unit combines them.
"""

import matplotlib.pyplot as plt
import numpy as np

from sklshallow import MLPClassifierTF, PerceptronClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 25, dtype=float)
y = np.array([0, 1, 1, 0] * 25)

perceptron = PerceptronClassifier(max_iter=50, tol=None, random_state=0).fit(X, y)
mlp = MLPClassifierTF(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                      random_state=0).fit(X, y)
print(f"perceptron accuracy: {perceptron.score(X, y):.2f}")
print(f"MLP 2-4-1 accuracy: {mlp.score(X, y):.2f}")
assert perceptron.score(X, y) <= 0.75 and mlp.score(X, y) == 1.0

# %%
# The decision regions of both
grid = np.linspace(-0.5, 1.5, 201)
G = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, (name, model) in zip(axes, [("perceptron", perceptron), ("MLP, 4 hidden units", mlp)]):
    ax.contourf(grid, grid, model.predict(G).reshape(201, 201), cmap="coolwarm", alpha=0.3)
    ax.scatter(*X[:4].T, c=y[:4], cmap="coolwarm", s=120, edgecolors="k")
    ax.set(title=f"{name}: accuracy {model.score(X, y):.2f}", xlabel="x1", ylabel="x2")
plt.tight_layout()
plt.show()
