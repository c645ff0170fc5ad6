"""Optimizers against updates computed by hand from sklearn's formulas."""

import numpy as np
import pytest

from sklshallow._optimizers import SGD, Adam


def _params():
    rng = np.random.RandomState(0)
    return [rng.normal(size=(3, 2)), rng.normal(size=2)]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(nesterov):
    params, grads = _params(), _params()[::-1]
    grads = [g[::-1].copy().reshape(p.shape) if g.size == p.size else np.ones_like(p) for g, p in zip(grads, params)]
    expected = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    opt = SGD(params, learning_rate_init=0.1, momentum=0.9, nesterov=nesterov)
    for _ in range(3):
        opt.step(params, grads)
        for p, g, v in zip(expected, grads, velocities):
            v[...] = 0.9 * v - 0.1 * g
            p += 0.9 * v - 0.1 * g if nesterov else v
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-14)


def test_sgd_schedules():
    opt = SGD(_params(), learning_rate_init=0.5, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(99)
    assert opt.learning_rate == pytest.approx(0.05)
    opt = SGD(_params(), learning_rate_init=0.5, lr_schedule="adaptive")
    assert not opt.trigger_stopping("", verbose=False)
    assert opt.learning_rate == pytest.approx(0.1)
    assert SGD(_params(), lr_schedule="constant").trigger_stopping("", False)


def test_adam_matches_sklearn_formula():
    params = _params()
    grads = [np.full_like(p, 0.5) for p in params]
    expected = [p.copy() for p in params]
    opt = Adam(params, learning_rate_init=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, 4):
        opt.step(params, grads)
        lr = 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g**2
            expected[i] = expected[i] - lr * m[i] / (np.sqrt(v[i]) + 1e-8)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-14)


def test_optimizer_state_keeps_float32():
    params = [p.astype(np.float32) for p in _params()]
    grads = [np.ones_like(p) for p in params]
    for opt in (SGD(params), Adam(params)):
        opt.step(params, grads)
        assert all(a.dtype == np.float32 for a in params + opt.state)
