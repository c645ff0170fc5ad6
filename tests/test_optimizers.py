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


# The NumPy passes the compiled updates replaced: their reference, operation
# for operation (scikit-learn's order).
def numpy_sgd_update(p, g, v, lr, mu, nesterov):
    lr_g = g * lr
    v *= mu
    v -= lr_g
    p += (v * mu - lr_g) if nesterov else v


def numpy_adam_update(p, g, m, v, lr, beta_1, beta_2, epsilon):
    (b1, c1), (b2, c2) = beta_1, beta_2
    m *= b1
    m += g * c1
    v *= b2
    v += (g * g) * c2
    p -= (m * lr) / (np.sqrt(v) + epsilon)


def _hyper(value, K, dtype, stacked):
    """A number for a lone network, a (K, 1) array of different values for a
    stack (from 0.9 to 1 times the value)."""
    if not stacked:
        return value
    return (value * np.linspace(0.9, 1.0, K)[:, None]).astype(dtype)


@pytest.mark.parametrize("stacked", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule", ["sgd", "nesterov", "adam"])
def test_compiled_updates_are_the_numpy_passes_bit_for_bit(rule, dtype, stacked):
    from sklshallow._optimizers import adam_update, sgd_update

    rng = np.random.RandomState(0)
    shape = (5, 1001) if stacked else (1001,)
    p, g, m, v = (rng.normal(size=shape).astype(dtype) for _ in range(4))
    v = np.abs(v)
    ours, ref = [a.copy() for a in (p, m, v)], [a.copy() for a in (p, m, v)]
    K = shape[0]
    for step in range(4):
        g = rng.normal(size=shape).astype(dtype)
        if rule == "adam":
            b1, b2 = _hyper(0.9, K, dtype, stacked), _hyper(0.999, K, dtype, stacked)
            args = (_hyper(1e-3 * (step + 1), K, dtype, stacked), (b1, 1 - b1), (b2, 1 - b2),
                    _hyper(1e-8, K, dtype, stacked))
            adam_update(ours[0], g, ours[1], ours[2], *args)
            numpy_adam_update(ref[0], g, ref[1], ref[2], *args)
        else:
            args = (_hyper(0.1, K, dtype, stacked), _hyper(0.9, K, dtype, stacked),
                    rule == "nesterov")
            sgd_update(ours[0], g, ours[1], *args)
            numpy_sgd_update(ref[0], g, ref[1], *args)
    for a, b in zip(ours, ref):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)
