"""
Many fits as one: a validation curve and a learning curve, stacked
===================================================================

:func:`sklshallow.stacked` makes scikit-learn's own ``validation_curve`` and
``learning_curve`` train their fits of a network together, as stacks. The
curves are the ones the plain calls draw, to the bit; only the time changes.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import learning_curve, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklshallow

warnings.simplefilter("ignore", ConvergenceWarning)  # short fits, for the demo
X, y = load_digits(return_X_y=True)
pipe = make_pipeline(StandardScaler(),
                     sklshallow.MLPClassifierTF((32,), max_iter=20, random_state=0))
alphas = np.logspace(-4, 1, 6)
sizes = np.linspace(0.2, 1.0, 4)


def curves():
    val = validation_curve(pipe, X, y, param_name="mlpclassifiertf__alpha",
                           param_range=alphas, cv=3)
    learn = learning_curve(pipe, X, y, train_sizes=sizes, cv=3)
    return val, learn


start = time.perf_counter()
plain = curves()
plain_time = time.perf_counter() - start
start = time.perf_counter()
with sklshallow.stacked() as s:
    stacked = curves()
stacked_time = time.perf_counter() - start

same = all(np.array_equal(a, b) for a, b in zip([*plain[0], *plain[1]],
                                                [*stacked[0], *stacked[1]]))
print(f"fits trained at once, round by round: {s.stack_sizes}")
print(f"the same curves as without the context: {same}")
print(f"stacked {stacked_time:.1f} s, one fit at a time {plain_time:.1f} s "
      f"({plain_time - stacked_time:.1f} s saved)")

# %%
# Both curves, from the stacked calls (the plain calls draw the same).
(train_v, test_v), (n_train, train_l, test_l) = stacked
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
left.semilogx(alphas, train_v.mean(axis=1), "o-", label="train")
left.semilogx(alphas, test_v.mean(axis=1), "o-", label="test (3-fold)")
left.set_xlabel("alpha")
left.set_ylabel("accuracy")
left.set_title("validation curve")
left.legend()
right.plot(n_train, train_l.mean(axis=1), "o-", label="train")
right.plot(n_train, test_l.mean(axis=1), "o-", label="test (3-fold)")
right.set_xlabel("training rows")
right.set_title("learning curve")
right.legend()
fig.tight_layout()
plt.show()
