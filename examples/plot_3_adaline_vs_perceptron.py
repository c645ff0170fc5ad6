"""
Adaline against the perceptron rule
===================================

Two ways to train the same threshold unit. Rosenblatt's rule
(``loss="perceptron"``) moves the weights only on mistakes,
:math:`w \\leftarrow w + \\eta (y - \\hat y) x`. Adaline, the delta rule
(``loss="squared"``), takes a gradient step on the squared error of the
linear output, :math:`w \\leftarrow w + \\eta (t - w \\cdot x - b) x` with
targets :math:`t = \\pm 1`, so every sample moves them, and the loss falls
smoothly. Here on versicolor against virginica, which no line separates
perfectly: the perceptron keeps making mistakes, Adaline settles.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklshallow import PerceptronClassifier

warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed number of epochs
iris = load_iris()
keep = iris.target > 0
X = StandardScaler().fit_transform(iris.data[keep][:, 2:4])
y = (iris.target[keep] == 2).astype(int)  # virginica or versicolor

rules = {
    "perceptron rule": PerceptronClassifier(eta0=0.1, max_iter=30, tol=None),
    "Adaline (delta rule)": PerceptronClassifier(loss="squared", eta0=0.01, max_iter=30,
                                                 tol=None),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].scatter(*X.T, c=y, cmap="coolwarm", alpha=0.7)
x1 = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
for (name, clf), style in zip(rules.items(), ["k-", "g--"]):
    clf.fit(X, y)
    (w0, w1), b = clf.coef_[0], clf.intercept_[0]
    axes[0].plot(x1, -w0 / w1 * x1 - b / w1, style, label=f"{name}: {clf.score(X, y):.2f}")
    curve = np.array(clf.loss_curve_)
    axes[1].plot(np.arange(1, len(curve) + 1), curve / curve[0], style, label=name)
    print(f"{name}: accuracy {clf.score(X, y):.3f}")
axes[0].set(title="decision lines (accuracy)", xlabel="petal length", ylabel="petal width",
            ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5))
axes[1].set(title="loss per epoch (relative to the first)", xlabel="epoch")
axes[0].legend()
axes[1].legend()
plt.tight_layout()
plt.show()
