"""The compiled epoch (``_backends/_epoch.pyx``) against the NumPy epoch it
replaced (``tests/reference.py``): every activation, output, update rule,
weights, penalties, dtypes, dense and CSR rows, a short last batch."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklshallow import _network
from sklshallow._backends import Net, NumpyBackend
from sklshallow._optimizers import SGD, Adam

from . import reference

N, BATCH = 37, 8  # a short last batch of 5


def _data(out_activation, dtype, rng):
    X = rng.normal(size=(N, 6))
    X[X < -0.6] = 0  # zeros for the CSR form
    if out_activation == "softmax":
        Y = np.eye(3)[rng.randint(3, size=N)]
    elif out_activation in ("logistic", "step"):
        Y = (rng.uniform(size=(N, 3)) > 0.5).astype(float)
    elif out_activation == "exp":
        Y = rng.poisson(1.5, size=(N, 3)).astype(float)
    else:
        Y = rng.normal(size=(N, 3))
    return X.astype(dtype), Y.astype(dtype)


def _both(activation, out_activation, rule, *, dtype=np.float64, weighted=False,
          sparse=False, fit_intercept=True, alpha=1e-2, l1=0.0, hidden=(5, 4), epochs=3,
          features=6, outputs=3, batch=BATCH):
    """Train one network for a few epochs both ways; return both."""
    rng = np.random.RandomState(0)
    X, Y = _data(out_activation, dtype, rng)
    X, Y = X[:, :features], Y[:, :outputs]
    sw = rng.uniform(0.2, 2, size=N).astype(dtype) if weighted else None
    dw = sw if sw is None else (sw * 0.7).astype(dtype)  # class weights leave the denominator
    normalize = out_activation != "step"
    coefs, intercepts = _network.init_params([features, *hidden, outputs], activation, rng,
                                             dtype)
    lr = 1e-2 if rule == "adam" else 0.05

    net = Net(activation, out_activation, alpha, normalize, fit_intercept, False, l1)
    backend = NumpyBackend(net, coefs, intercepts)
    backend.set_data(sp.csr_matrix(X) if sparse else X, Y, sw, dw)
    if rule == "adam":
        optimizer = Adam([backend.theta], lr, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    else:
        optimizer = SGD([backend.theta], lr, momentum=0.7, nesterov=rule == "nesterov")

    ref_coefs, ref_intercepts = [W.copy() for W in coefs], [b.copy() for b in intercepts]
    n_state = 2 if rule == "adam" else 1
    state = [np.zeros_like(p) for _ in range(n_state) for p in ref_coefs + ref_intercepts]
    l1_state = [0.0, [np.zeros_like(W) for W in ref_coefs]]
    t, ours, theirs = 0, [], []
    order = np.arange(N)
    for _ in range(epochs):
        rng.shuffle(order)
        ours.append(backend.run_epoch(optimizer, order.copy(), batch))
        total, t = reference.epoch(
            ref_coefs, ref_intercepts, state, sp.csr_matrix(X) if sparse else X, Y, order,
            batch, activation=activation, out_activation=out_activation, alpha=alpha,
            sample_weight=sw, denom_weight=dw, normalize_weights=normalize,
            fit_intercept=fit_intercept, rule=rule, lr=lr, momentum=0.7, beta_1=0.8,
            beta_2=0.99, epsilon=1e-7, t=t, l1=l1, l1_state=l1_state)
        theirs.append(total / N)
    if rule == "adam":
        assert optimizer.t == t == epochs * -(-N // batch)
    return (backend.coefs + backend.intercepts, ours), (ref_coefs + ref_intercepts, theirs)


def _assert_close(ours, theirs, rtol):
    (params, curve), (ref_params, ref_curve) = ours, theirs
    np.testing.assert_allclose(curve, ref_curve, rtol=rtol)
    for p, r in zip(params, ref_params):
        assert p.dtype == r.dtype
        np.testing.assert_allclose(p, r, rtol=rtol, atol=rtol * np.abs(r).max())


@pytest.mark.parametrize("rule", ["sgd", "nesterov", "adam"])
@pytest.mark.parametrize("out_activation", ["softmax", "logistic", "identity", "exp"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "leaky_relu"])
def test_compiled_epoch_equals_the_numpy_epoch(activation, out_activation, rule):
    _assert_close(*_both(activation, out_activation, rule), rtol=1e-11)


@pytest.mark.parametrize("hidden", [(7, 8), (12, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layers_on_both_sides_of_the_narrow_width(hidden, dtype):
    # Biases of layers under _epoch.NARROW units are added, and their
    # gradients summed, column by column; of wider ones row by row.
    _assert_close(*_both("tanh", "softmax", "adam", hidden=hidden, dtype=dtype),
                  rtol=1e-11 if dtype == np.float64 else 2e-5)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_weights_and_csr_rows(rule, weighted, sparse):
    _assert_close(*_both("tanh", "softmax", rule, weighted=weighted, sparse=sparse), rtol=1e-11)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("alpha, l1", [(0.0, 0.0), (1e-2, 0.0), (0.0, 1.0), (5e-3, 0.5)])
def test_perceptron_rules_at_mini_batches(alpha, l1, sparse):
    # One layer, step output, the mean of per-sample updates, L2 and the
    # truncated L1 step: the perceptron's batch_size > 1.
    ours, theirs = _both("identity", "step", "sgd", alpha=alpha, l1=l1, sparse=sparse,
                         hidden=(), weighted=True)
    _assert_close(ours, theirs, rtol=1e-11)
    if l1:  # the truncated gradient's exact zeros
        np.testing.assert_array_equal(ours[0][0] == 0, theirs[0][0] == 0)
        assert (ours[0][0] == 0).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("features, hidden, outputs", [
    (1, (4,), 3),   # one input: the first layer's products are outer products
    (6, (1,), 3),   # a one-unit hidden layer: matrix-vector products
    (6, (4,), 1),   # one output (binary, regression): the same on the way out
    (1, (1,), 1),   # every layer one unit wide
    (6, (), 1),     # one layer, one unit
])
def test_single_unit_layers_and_single_row_batches(features, hidden, outputs, sparse, dtype):
    # Batches of 4 over 37 rows: the last has one row, so its products have
    # one row too.
    rtol = 1e-11 if dtype == np.float64 else 2e-5
    out = "logistic" if outputs == 1 else "softmax"
    _assert_close(*_both("tanh", out, "adam", features=features, hidden=hidden, outputs=outputs,
                         batch=4, sparse=sparse, weighted=True, dtype=dtype), rtol=rtol)


def test_without_intercepts_the_biases_stay():
    ours, theirs = _both("relu", "identity", "nesterov", fit_intercept=False)
    _assert_close(ours, theirs, rtol=1e-11)
    rng = np.random.RandomState(0)
    _data("identity", np.float64, rng)
    initial = _network.init_params([6, 5, 4, 3], "relu", rng, np.float64)[1]
    for b, b0 in zip(ours[0][3:], initial):
        np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("rule", ["sgd", "adam"])
@pytest.mark.parametrize("out_activation", ["softmax", "logistic"])
def test_float32_epoch(out_activation, rule):
    _assert_close(*_both("logistic", out_activation, rule, dtype=np.float32, weighted=True),
                  rtol=2e-5)


# ------------------------------------------- members that share their batches


def _shared_stack(dtype, sparse, rule, hidden, out_activation="softmax", l1=0.0):
    """Six networks (own initial weights and hyperparameters) on one dataset:
    members 0, 2, 3 and 5 see the batches in one order, 1 and 4 in another.
    Return each one's parameters after 3 epochs stacked, and after 3 lone
    epochs, and the stacked epochs' first-layer product counts."""
    from sklshallow._backends import _epoch, _numpy

    rng = np.random.RandomState(1)
    X, Y = _data(out_activation, dtype, rng)
    sw = rng.uniform(0.2, 2, size=N).astype(dtype)
    X = sp.csr_matrix(X) if sparse else X
    units = [6, *hidden, 3]
    share = np.array([0, 1, 0, 0, 1, 0], np.intp)
    K = len(share)

    def members():
        out = []
        for k in range(K):
            coefs, intercepts = _network.init_params(units, "tanh", np.random.RandomState(k), dtype)
            net = Net("tanh", out_activation, 10.0 ** -(k % 3 + 1), out_activation != "step",
                      True, False, l1 * (k % 2))
            backend = NumpyBackend(net, coefs, intercepts)
            backend.set_data(X, Y, sw)
            lr = 10.0 ** -(k % 3 + 1)
            opt = (Adam([backend.theta], lr) if rule == "adam"
                   else SGD([backend.theta], lr, momentum=0.1 * k))
            out.append((backend, opt))
        return out

    order_rng = np.random.RandomState(2)
    orders = [[order_rng.permutation(N) for _ in range(2)] for _ in range(3)]
    lone = members()
    for backend, opt in lone:
        for epoch_orders in orders:
            backend.run_epoch(opt, epoch_orders[share[lone.index((backend, opt))]], BATCH)

    stacked = members()
    backends, optimizers = zip(*stacked)
    theta = np.stack([b.theta for b in backends])
    state = [np.stack([slots[0] for slots in
                       [_numpy.slot_lists(o)[i] for o in optimizers]])
             for i in range(len(_numpy.slot_lists(optimizers[0])))]
    n_steps = -(-N // BATCH)
    products, u = [], np.zeros(K)  # the cumulative L1 steps, as each lone fit's
    for epoch_orders in orders:
        original = _epoch.epoch
        try:
            _epoch.epoch = lambda *a: products.append(original(*a))
            _numpy.compiled_epoch(
                [b.net for b in backends], backends[0].units, theta, np.empty_like(theta),
                state, [b.l1_q for b in backends], u, optimizers, backends[0].data(),
                epoch_orders, [0, 0], share, BATCH)
        finally:
            _epoch.epoch = original
    return theta, np.stack([b.theta for b, _ in lone]), products, n_steps


@pytest.mark.parametrize("rule", ["sgd", "adam"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_members_sharing_batches_are_their_lone_fits_to_the_bit(dtype, sparse, rule):
    # A member's epoch is its lone epoch, bit for bit: one first-layer
    # product per member and step, one gather per order.
    stacked, lone, products, n_steps = _shared_stack(dtype, sparse, rule, (5, 4))
    assert products == [6 * n_steps] * 3
    np.testing.assert_array_equal(stacked, lone)


@pytest.mark.parametrize("sparse", [False, True])
def test_the_perceptron_with_l1_shares_its_batches(sparse):
    stacked, lone, products, n_steps = _shared_stack(np.float64, sparse, "sgd", (),
                                                     out_activation="step", l1=0.5)
    assert products == [6 * n_steps] * 3
    np.testing.assert_array_equal(stacked, lone)  # the truncation's zeros included
    assert (lone == 0).any()
