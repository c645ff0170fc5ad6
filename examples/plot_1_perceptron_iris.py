"""
The threshold logic unit and its line
=====================================

The lecture's first network: one threshold logic unit,
:math:`\\hat y = \\operatorname{step}(w \\cdot x + b)`, trained by Rosenblatt's
rule on two features of iris (petal length and width) to tell setosa from the
other species. Setosa is linearly separable, so the rule stops making
mistakes, and the unit's weights draw the decision line
:math:`x_2 = -\\tfrac{w_1}{w_2} x_1 - \\tfrac{b}{w_2}`.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklshallow import PerceptronClassifier

iris = load_iris()
X = StandardScaler().fit_transform(iris.data[:, 2:4])  # petal length and width
y = (iris.target == 0).astype(int)  # setosa or not

clf = PerceptronClassifier(random_state=0).fit(X, y)
(w0, w1), b = clf.coef_[0], clf.intercept_[0]
print(f"w = ({w0:.3f}, {w1:.3f}), b = {b:.3f}, epochs = {clf.n_iter_}")
print(f"decision line: x2 = {-w0 / w1:.3f} x1 + {-b / w1:.3f}")
print(f"accuracy: {clf.score(X, y):.3f}")
assert clf.score(X, y) == 1.0

# %%
# The samples and the unit's line
fig, ax = plt.subplots(figsize=(6, 4.5))
for label, name, marker in [(1, "setosa", "o"), (0, "versicolor or virginica", "s")]:
    ax.scatter(*X[y == label].T, marker=marker, label=name, alpha=0.7)
x1 = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
ax.plot(x1, -w0 / w1 * x1 - b / w1, "k-", label="w.x + b = 0")
ax.set(xlabel="petal length (standardised)", ylabel="petal width (standardised)",
       title="A threshold logic unit separates setosa")
ax.legend()
plt.show()
