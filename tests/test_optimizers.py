"""Optimizers: schedules and state (their updates run in the compiled epoch,
checked against sklearn's formulas in ``test_epoch.py``)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from sklshallow import MLPClassifierTF
from sklshallow._optimizers import SGD, adam_rate


def _params():
    rng = np.random.RandomState(0)
    return [rng.normal(size=(3, 2)), rng.normal(size=2)]


def test_sgd_schedules():
    opt = SGD(_params(), learning_rate_init=0.5, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(99)
    assert opt.learning_rate == pytest.approx(0.05)
    opt = SGD(_params(), learning_rate_init=0.5, lr_schedule="adaptive")
    assert not opt.trigger_stopping("", verbose=False)
    assert opt.learning_rate == pytest.approx(0.1)
    assert SGD(_params(), lr_schedule="constant").trigger_stopping("", False)


def test_adam_rate_is_sklearns_bias_correction():
    for t in (1, 2, 10):
        assert adam_rate(0.01, 0.9, 0.999, t) == pytest.approx(
            0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t), rel=1e-15)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_optimizer_state_keeps_float32(solver):
    X, y = load_iris(return_X_y=True)
    est = MLPClassifierTF(solver=solver, max_iter=2).fit(X.astype(np.float32), y)
    state = est._optimizer.state
    assert state and all(a.dtype == np.float32 and np.any(a) for a in state)
    assert est.coefs_[0].dtype == np.float32
