"""The network core: the compiled loss and gradient (what training runs)
against finite differences, sklearn's loss definitions, the textbook
perceptron rule and the NumPy reference."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklshallow import _network
from sklshallow._backends import Net, NumpyBackend

from . import reference


def loss_and_grads(coefs, intercepts, X, Y, activation, out_activation, alpha,
                   sample_weight=None, normalize_weights=True, fit_intercept=True):
    """The compiled loss and gradient (``_epoch.loss_grad``, as L-BFGS calls it)."""
    net = Net(activation, out_activation, alpha, normalize_weights, fit_intercept)
    backend = NumpyBackend(net, coefs, intercepts)
    backend.set_data(X, Y, sample_weight)
    loss, coef_grads, intercept_grads = backend.loss_and_grads()
    return loss, [g.copy() for g in coef_grads], [g.copy() for g in intercept_grads]

ACTIVATIONS = sorted(_network.ACTIVATIONS)
OUTPUTS = ["softmax", "logistic", "identity", "exp"]


def _problem(out_activation, n_outputs, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(7, 4)).astype(dtype)
    if out_activation == "softmax":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=7)]
    elif out_activation in ("logistic", "step"):
        Y = (rng.uniform(size=(7, n_outputs)) > 0.5).astype(float)
    elif out_activation == "exp":
        Y = rng.poisson(2.0, size=(7, n_outputs)).astype(float)
    else:
        Y = rng.normal(size=(7, n_outputs))
    return X, Y.astype(dtype)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("out_activation", OUTPUTS)
@pytest.mark.parametrize("hidden", [(), (5,), (5, 3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_match_finite_differences(activation, out_activation, hidden, weighted):
    n_outputs = 3
    X, Y = _problem(out_activation, n_outputs)
    rng = np.random.RandomState(1)
    units = [X.shape[1], *hidden, n_outputs]
    coefs, intercepts = _network.init_params(units, activation, rng, np.float64)
    sw = rng.uniform(0.5, 2, size=X.shape[0]) if weighted else None
    alpha = 0.3

    def loss_at(flat):
        cs, bs, k = [], [], 0
        for W in coefs:
            cs.append(flat[k : k + W.size].reshape(W.shape))
            k += W.size
        for b in intercepts:
            bs.append(flat[k : k + b.size])
            k += b.size
        return loss_and_grads(
            cs, bs, X, Y, activation, out_activation, alpha, sw
        )

    theta = np.concatenate([p.ravel() for p in coefs + intercepts])
    _, coef_grads, intercept_grads = loss_at(theta)
    grad = np.concatenate([g.ravel() for g in coef_grads + intercept_grads])
    eps = 1e-6
    numeric = np.array(
        [
            (loss_at(theta + eps * e)[0] - loss_at(theta - eps * e)[0]) / (2 * eps)
            for e in np.eye(theta.size)
        ]
    )
    # relu / leaky_relu have a kink at 0: no unit sits on it with this data.
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_loss_values_match_sklearn_definitions():
    from sklearn.neural_network._base import binary_log_loss, log_loss, squared_loss

    X, Y = _problem("softmax", 3)
    coefs, intercepts = _network.init_params([4, 3], "relu", np.random.RandomState(0), float)
    P = _network.forward(coefs, intercepts, X, "relu", "softmax")
    loss, *_ = loss_and_grads(coefs, intercepts, X, Y, "relu", "softmax", 0.0)
    assert loss == pytest.approx(log_loss(Y, P))

    X, Y = _problem("logistic", 2)
    coefs, intercepts = _network.init_params([4, 2], "relu", np.random.RandomState(0), float)
    P = _network.forward(coefs, intercepts, X, "relu", "logistic")
    loss, *_ = loss_and_grads(coefs, intercepts, X, Y, "relu", "logistic", 0.0)
    assert loss == pytest.approx(binary_log_loss(Y, P))

    # Squared error is summed over outputs: n_outputs times sklearn's mean.
    X, Y = _problem("identity", 3)
    coefs, intercepts = _network.init_params([4, 3], "relu", np.random.RandomState(0), float)
    P = _network.forward(coefs, intercepts, X, "relu", "identity")
    loss, *_ = loss_and_grads(coefs, intercepts, X, Y, "relu", "identity", 0.0)
    assert loss == pytest.approx(3 * squared_loss(Y, P))


def test_step_output_gradient_is_the_perceptron_rule():
    X, Y = _problem("step", 2)
    W = np.random.RandomState(0).normal(size=(4, 2))
    b = np.array([0.1, -0.2])
    loss, (G,), (g,) = loss_and_grads(
        [W], [b], X, Y, "identity", "step", 0.0, normalize_weights=False
    )
    Z = X @ W + b
    Y_hat = (Z >= 0).astype(float)
    # The textbook update is w += eta (y - y_hat) x: the negative gradient.
    np.testing.assert_allclose(-G, X.T @ (Y - Y_hat) / len(X))
    np.testing.assert_allclose(-g, (Y - Y_hat).sum(axis=0) / len(X))
    # The perceptron criterion: |z| summed over misclassifying units.
    assert loss == pytest.approx(np.abs(Z)[Y_hat != Y].sum() / len(X))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float32_stays_float32(activation):
    X, Y = _problem("softmax", 3, dtype=np.float32)
    coefs, intercepts = _network.init_params([4, 5, 3], activation, np.random.RandomState(0), np.float32)
    sw = np.ones(len(X), dtype=np.float32)
    _, cg, ig = loss_and_grads(coefs, intercepts, X, Y, activation, "softmax", 1e-4, sw)
    assert all(g.dtype == np.float32 for g in cg + ig)
    assert _network.forward(coefs, intercepts, X, activation, "softmax").dtype == np.float32


def test_init_matches_sklearn_glorot():
    rng = np.random.RandomState(3)
    coefs, intercepts = _network.init_params([4, 6, 2], "logistic", rng, np.float64)
    ref = np.random.RandomState(3)
    bound = np.sqrt(2.0 / (4 + 6))
    np.testing.assert_array_equal(coefs[0], ref.uniform(-bound, bound, (4, 6)))
    np.testing.assert_array_equal(intercepts[0], ref.uniform(-bound, bound, 6))


def test_leaky_relu_and_sigmoid_alias():
    Z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(_network.ACTIVATIONS["leaky_relu"](Z.copy()), [[-0.02, 0, 3]])
    assert _network.ACTIVATION_ALIASES["sigmoid"] == "logistic"


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("out_activation", OUTPUTS + ["step"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_compiled_loss_and_gradient_equal_the_numpy_reference(
    activation, out_activation, weighted, sparse
):
    X, Y = _problem(out_activation, 3)
    X[X < -0.5] = 0  # zeros for the CSR form
    rng = np.random.RandomState(2)
    coefs, intercepts = _network.init_params([4, 5, 3], activation, rng, np.float64)
    sw = rng.uniform(0.5, 2, size=X.shape[0]) if weighted else None
    normalize = out_activation != "step"
    data = sp.csr_matrix(X) if sparse else X
    loss, cg, ig = loss_and_grads(coefs, intercepts, data, Y, activation, out_activation, 0.3,
                                  sw, normalize)
    ref = reference.loss_and_grads(coefs, intercepts, data, Y, activation, out_activation, 0.3,
                                   sw, normalize)
    assert loss == pytest.approx(ref[0], rel=1e-13)
    for g, r in zip(cg + ig, ref[1] + ref[2]):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-15)
