"""
Regression with an MLP, as scikit-learn's
=========================================

:class:`~sklshallow.MLPRegressor` is a drop-in for scikit-learn's: the same
parameters and, on NumPy, the same training steps, so for the same
``random_state`` both learn the same network. Here on the diabetes data, in a
pipeline with :class:`~sklearn.preprocessing.StandardScaler`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPRegressor

warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit, for the demo
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
params = dict(hidden_layer_sizes=(20,), learning_rate_init=0.01, max_iter=300, random_state=0)
ours = make_pipeline(StandardScaler(), MLPRegressor(**params)).fit(X_train, y_train)
theirs = make_pipeline(StandardScaler(), SklearnMLPRegressor(**params)).fit(X_train, y_train)
gap = np.abs(ours.predict(X_test) - theirs.predict(X_test)).max()
print(f"R^2 on held-out patients: {ours.score(X_test, y_test):.3f} "
      f"(scikit-learn's: {theirs.score(X_test, y_test):.3f}); largest difference {gap:.1e}")
assert gap < 1e-6

fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(y_test, ours.predict(X_test), alpha=0.7)
ax.plot([y.min(), y.max()], [y.min(), y.max()], "k--", label="perfect prediction")
ax.set(xlabel="measured disease progression", ylabel="predicted",
       title=f"MLPRegressor, R^2 = {ours.score(X_test, y_test):.2f}")
ax.legend()
plt.show()
