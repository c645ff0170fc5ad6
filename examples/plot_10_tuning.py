"""
Tuning: a grid search that trains its fits together
===================================================

:class:`sklshallow.model_selection.GridSearchCV` is scikit-learn's grid
search, training the fits of a network as one stack. Here 6 candidates x 3
splits on the digits, in a ``Pipeline`` with ``StandardScaler``: the same
``cv_results_`` as scikit-learn's own search over the same estimator, in
less time.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import model_selection
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF
from sklshallow.model_selection import GridSearchCV

warnings.simplefilter("ignore", ConvergenceWarning)  # short fits, for the demo
X, y = load_digits(return_X_y=True)
pipe = Pipeline([("scale", StandardScaler()),
                 ("mlp", MLPClassifierTF((32,), max_iter=20, random_state=0))])
grid = {"mlp__alpha": [1e-4, 1e-2, 1e-1], "mlp__learning_rate_init": [1e-3, 1e-2]}

start = time.perf_counter()
stacked = GridSearchCV(pipe, grid, cv=3).fit(X, y)
stacked_time = time.perf_counter() - start
start = time.perf_counter()
one_by_one = model_selection.GridSearchCV(pipe, grid, cv=3).fit(X, y)
sklearn_time = time.perf_counter() - start

same = np.array_equal(stacked.cv_results_["mean_test_score"],
                      one_by_one.cv_results_["mean_test_score"])
print(f"best parameters: {stacked.best_params_}")
print(f"same cv_results_ as scikit-learn's search: {same}")
print(f"stacked search {stacked_time:.1f} s, scikit-learn's search {sklearn_time:.1f} s")

# %%
# The test scores of every candidate, from either search (they coincide).
scores = stacked.cv_results_["mean_test_score"].reshape(3, 2)
fig, ax = plt.subplots(figsize=(5, 3.5))
for j, lr in enumerate(grid["mlp__learning_rate_init"]):
    ax.plot(grid["mlp__alpha"], scores[:, j], "o-", label=f"learning_rate_init={lr}")
ax.set_xscale("log")
ax.set_xlabel("alpha")
ax.set_ylabel("mean test accuracy (3-fold)")
ax.legend()
fig.tight_layout()
plt.show()
