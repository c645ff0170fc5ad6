"""PerceptronClassifier: textbook-exact, the lecture's cases, sklearn behaviour."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF, PerceptronClassifier

from .conftest import DEVICES, needs_tf

X_iris, y_iris = load_iris(return_X_y=True)


def textbook_perceptron(X, Y, eta, epochs):
    """The lecture's rule, unit by unit and sample by sample (Y is 0/1)."""
    W, b, history = np.zeros((Y.shape[1], X.shape[1])), np.zeros(Y.shape[1]), []
    for _ in range(epochs):
        for x, y in zip(X, Y):
            for k in range(len(b)):
                y_hat = 1.0 if W[k] @ x + b[k] >= 0 else 0.0
                W[k] += eta * (y[k] - y_hat) * x
                b[k] += eta * (y[k] - y_hat)
        history.append((W.copy(), b.copy()))
    return history


def _quiet(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


@pytest.mark.parametrize("target", ["binary", "multiclass"])
@pytest.mark.parametrize("eta0", [1.0, 0.1])
def test_online_rule_is_textbook_exact_after_every_epoch(target, eta0):
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4,
                               n_classes=2 if target == "binary" else 3, random_state=0)
    Y = (y[:, None] == np.unique(y)).astype(float)
    if target == "binary":
        Y = Y[:, 1:]
    history = textbook_perceptron(X, Y, eta0, epochs=6)
    clf = PerceptronClassifier(eta0=eta0, shuffle=False, tol=None, max_iter=1, warm_start=True)
    for W, b in history:
        _quiet(clf, X, y)
        np.testing.assert_allclose(clf.coef_, W, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(clf.intercept_, b, rtol=1e-12, atol=1e-12)


def test_online_rule_with_shuffle_follows_the_shuffled_order():
    X, y = make_classification(n_samples=150, n_features=5, random_state=1)
    clf = _quiet(PerceptronClassifier(max_iter=3, tol=None, random_state=0), X, y)
    # The same permutations sklearn's MLP draws: compose a fresh shuffle per epoch.
    rng, order, Xs, Ys = np.random.RandomState(0), np.arange(150), [], []
    for _ in range(3):
        perm = np.arange(150)
        rng.shuffle(perm)
        order = order[perm]
        Xs.append(X[order])
        Ys.append(y[order, None].astype(float))
    W = b = None
    for Xe, Ye in zip(Xs, Ys):
        hist = textbook_perceptron(Xe, Ye, 1.0, 1) if W is None else None
        if W is None:
            W, b = hist[0]
        else:
            for x, t in zip(Xe, Ye):
                y_hat = float(W[0] @ x + b[0] >= 0)
                W[0] += (t[0] - y_hat) * x
                b[0] += t[0] - y_hat
    np.testing.assert_allclose(clf.coef_, W, atol=1e-10)
    np.testing.assert_allclose(clf.intercept_, b, atol=1e-10)


def test_minibatch_update_is_the_mean_of_per_sample_updates():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    clf = _quiet(PerceptronClassifier(batch_size=40, shuffle=False, max_iter=1, eta0=0.5), X, y)
    y_hat = np.ones(40)  # w = 0: every z is 0, so every unit says 1
    np.testing.assert_allclose(clf.coef_[0], 0.5 * ((y - y_hat)[:, None] * X).mean(axis=0))


@pytest.mark.parametrize("loss", ["squared", "log"])
def test_adaline_and_sigmoid_steps_follow_finite_difference_gradients(loss):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=30) > 0).astype(int)
    w0 = np.array([0.2, -0.1, 0.4, 0.05])  # coef, then intercept
    t = 2.0 * y - 1 if loss == "squared" else y.astype(float)

    def mean_loss(w):
        z = X @ w[:3] + w[3]
        if loss == "squared":
            return np.mean(0.5 * (z - t) ** 2)
        p = 1 / (1 + np.exp(-z))
        return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))

    eps = 1e-6
    grad = np.array([(mean_loss(w0 + eps * e) - mean_loss(w0 - eps * e)) / (2 * eps) for e in np.eye(4)])
    # One full-batch epoch from w0 (set through warm_start) is one gradient step.
    clf = PerceptronClassifier(loss=loss, eta0=0.1, batch_size=30, shuffle=False, max_iter=1,
                               warm_start=True)
    _quiet(clf, X, y)
    clf.coef_[:] = w0[:3]
    clf.intercept_[:] = w0[3]
    _quiet(clf, X, y)
    np.testing.assert_allclose(np.r_[clf.coef_[0], clf.intercept_], w0 - 0.1 * grad, rtol=1e-6)
    assert clf.loss_curve_[-1] == pytest.approx(mean_loss(w0), rel=1e-9)


# ------------------------------------------------------------ the lecture


def test_iris_setosa_is_separated_by_a_line():
    X = StandardScaler().fit_transform(X_iris[:, 2:4])  # petal length, width
    y = (y_iris == 0).astype(int)
    idx = np.random.RandomState(0).permutation(150)
    first, second = idx[:75], idx[75:]
    clf = PerceptronClassifier(random_state=0).fit(X[first], y[first])
    assert clf.score(X[first], y[first]) == 1.0
    assert clf.score(X[second], y[second]) == 1.0
    (w0, w1), b = clf.coef_[0], clf.intercept_[0]
    line = -w0 / w1 * X[:, 0] - b / w1  # the decision line x2 = -w0/w1 x1 - b/w1
    above = X[:, 1] > line
    assert (above == (y == 1)).all() or (above == (y == 0)).all()


def test_xor_needs_a_hidden_layer():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 25, dtype=float)
    y = np.array([0, 1, 1, 0] * 25)
    for loss in ["perceptron", "squared", "log"]:
        clf = _quiet(PerceptronClassifier(loss=loss, max_iter=50, random_state=0), X, y)
        assert clf.score(X, y) <= 0.75
    mlp = MLPClassifierTF(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                          random_state=0).fit(X, y)
    assert mlp.score(X, y) == 1.0


# ------------------------------------------------------------ estimator API


def test_multilabel_targets_one_unit_per_label():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = _quiet(PerceptronClassifier(max_iter=20, random_state=0), X, Y)
    assert clf.coef_.shape == (4, X.shape[1])
    assert clf.predict(X).shape == Y.shape
    assert clf.score(X, Y) > 0.2  # subset accuracy, better than chance (1/16)
    np.testing.assert_array_equal(clf.predict(X), (clf.decision_function(X) >= 0).astype(int))


def test_predict_proba_only_for_log_loss():
    with pytest.raises(AttributeError, match="loss='log'"):
        PerceptronClassifier().predict_proba
    assert not hasattr(PerceptronClassifier(loss="squared"), "predict_log_proba")
    clf = _quiet(PerceptronClassifier(loss="log", eta0=0.01, max_iter=30, random_state=0),
                 StandardScaler().fit_transform(X_iris), y_iris)
    P = clf.predict_proba(StandardScaler().fit_transform(X_iris))
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert (P.argmax(axis=1) == clf.predict(StandardScaler().fit_transform(X_iris))).mean() == 1


def test_partial_fit_class_weight_early_stopping():
    X = StandardScaler().fit_transform(X_iris)
    clf = PerceptronClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y_iris)
    for _ in range(5):
        clf.partial_fit(X, y_iris, classes=[0, 1, 2])
    assert clf.score(X, y_iris) > 0.7 and clf.t_ == 5 * 150 + 1
    names = np.array(["a", "b", "c"])[y_iris]
    es = _quiet(PerceptronClassifier(early_stopping=True, random_state=0, max_iter=50), X, names)
    assert len(es.history_["val_score"]) == es.n_iter_
    assert set(es.predict(X)) <= {"a", "b", "c"}
    y = (y_iris == 0).astype(int)
    base = _quiet(PerceptronClassifier(max_iter=5, random_state=0), X, y)
    cw = _quiet(PerceptronClassifier(max_iter=5, random_state=0, class_weight={0: 3.0, 1: 1.0}), X, y)
    sw = _quiet(PerceptronClassifier(max_iter=5, random_state=0), X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(cw.coef_, sw.coef_)
    assert not np.allclose(cw.coef_, base.coef_)


def test_iteration_counters_follow_sklearn_perceptron():
    # n_iter_ counts the epochs of the last call and t_ the updates of this
    # fit plus one, through fit, a warm-started fit and partial_fit.
    from sklearn.linear_model import Perceptron

    def counters(cls):
        clf, seen = cls(max_iter=7, tol=None, warm_start=True, random_state=0), []
        for call in ("fit", "fit", "partial_fit"):
            getattr(clf, call)(X_iris, y_iris)
            seen.append((clf.n_iter_, clf.t_))
        fresh = cls(random_state=0).partial_fit(X_iris, y_iris, classes=[0, 1, 2])
        return seen + [(fresh.n_iter_, fresh.t_)]

    assert counters(PerceptronClassifier) == counters(Perceptron)
    assert isinstance(PerceptronClassifier(max_iter=2).fit(X_iris, y_iris).t_, float)


def test_gridsearch_over_eta0_alpha_loss():
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), PerceptronClassifier(max_iter=30, random_state=0)),
        {"perceptronclassifier__eta0": [0.01, 0.1],
         "perceptronclassifier__penalty": [None, "l2"],
         "perceptronclassifier__loss": ["perceptron", "squared", "log"]},
        cv=3,
    )
    _quiet(grid, X_iris, y_iris)
    assert grid.best_score_ > 0.8 and len(grid.cv_results_["params"]) == 12


@pytest.mark.parametrize("X, y, error, message", [
    (np.where(np.eye(150, 4) == 1, np.nan, X_iris), y_iris, ValueError, "NaN"),
    (np.where(np.eye(150, 4) == 1, np.inf, X_iris), y_iris, ValueError, "infinity"),
    (X_iris, np.ones(150), ValueError, "class"),
])
def test_bad_input(X, y, error, message):
    clf = PerceptronClassifier()
    with pytest.raises(error, match=message):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X_iris)


def test_wrong_feature_count_and_invalid_params():
    clf = _quiet(PerceptronClassifier(max_iter=3), X_iris, y_iris)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X_iris[:, :2])
    from sklearn.utils._param_validation import InvalidParameterError

    for params in [dict(eta0=0), dict(loss="hinge"), dict(batch_size=0)]:
        with pytest.raises(InvalidParameterError):
            PerceptronClassifier(**params).fit(X_iris, y_iris)


def truncated(w, q, u):
    """Tsuruoka et al.'s cumulative L1 step, as sklearn's ``_plain_sgd``:
    each weight moves toward 0 by what it is owed (``u`` minus what it got,
    ``q``, updated in place) and never crosses 0."""
    new = np.where(w > 0, np.maximum(0, w - (u + q)),
                   np.where(w < 0, np.minimum(0, w + (u - q)), w))
    q += new - w
    return new


def epoch_orders(n_samples, epochs, seed):
    """The orders of a shuffled fit's epochs: sklearn's MLP composes a fresh
    shuffle of the previous order each epoch."""
    rng, order = np.random.RandomState(seed), np.arange(n_samples)
    for _ in range(epochs):
        perm = np.arange(n_samples)
        rng.shuffle(perm)
        order = order[perm]
        yield order


def plain_online_rule(X, Y, sw, orders, eta, loss, l2, l1, fit_intercept):
    """The per-sample rules as plain NumPy, one sample at a time (``np.dot``,
    the BLAS the loop uses): the reference for the compiled loop. W has a row
    per unit; Y holds each unit's targets; returns W, b and the epoch losses."""
    W, b = np.zeros((Y.shape[1], X.shape[1]), X.dtype), np.zeros(Y.shape[1], X.dtype)
    u, q, curve = 0.0, np.zeros_like(W), []
    for order in orders:
        total = 0.0
        for r in order:
            x = X[r]
            z = np.dot(W, x) + b
            if loss == "perceptron":
                p = (z >= 0).astype(X.dtype)
                sample_loss = ((p - Y[r]) * z).sum()
            elif loss == "squared":
                p = z
                sample_loss = (0.5 * (p - Y[r]) ** 2).sum()
            else:
                p = 1 / (1 + np.exp(-z))
                c = np.clip(p, np.finfo(X.dtype).eps, 1 - np.finfo(X.dtype).eps)
                sample_loss = -(Y[r] * np.log(c) + (1 - Y[r]) * np.log1p(-c)).sum()
            total += sample_loss * sw[r] + 0.5 * l2 * np.vdot(W, W)
            delta = (p - Y[r]) * sw[r]
            W = W - (np.outer(delta, x) + l2 * W) * eta
            if fit_intercept:
                b = b - delta * eta
            if l1:
                u += l1 * eta
                W = truncated(W, q, u)
        curve.append(total / len(order))
    return W, b, curve


ONLINE_CASES = [  # (loss, penalty, target, weights)
    ("perceptron", None, "binary", "sample"),
    ("perceptron", None, "multiclass", "class"),
    ("perceptron", None, "multilabel", None),
    ("perceptron", "l2", "multiclass", "sample"),
    ("perceptron", "l1", "binary", None),
    ("perceptron", "elasticnet", "multilabel", "sample"),
    ("squared", None, "multiclass", None),
    ("squared", "l2", "binary", "class"),
    ("squared", "elasticnet", "multiclass", "sample"),
    ("log", None, "binary", "sample"),
    ("log", "l1", "multiclass", "class"),
    ("log", "elasticnet", "multilabel", None),
]


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, penalty, target, weights", ONLINE_CASES)
def test_compiled_online_rules_equal_the_plain_per_sample_loop(loss, penalty, target, weights,
                                                               fit_intercept, sparse):
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 12))
    X[X < 0.2] = 0  # sparse-ish, as sparse input is
    if target == "multilabel":
        y = Y = (X[:, :3] + 0.5 * rng.normal(size=(150, 3)) > 0.3).astype(int)
    else:
        y = (X[:, :3] @ [1.0, -1.0, 0.5] + 0.3 * rng.normal(size=150) > 0.2).astype(int)
        if target == "multiclass":
            y = y + (X[:, 3] > 0.5)
        classes = np.unique(y)
        Y = (y[:, None] == classes).astype(int)[:, 1 if len(classes) == 2 else 0:]
    sw = rng.uniform(0.2, 3, size=150) if weights == "sample" else None
    class_weight = "balanced" if weights == "class" else None
    eta0, alpha, l1_ratio, epochs = 0.02, 0.05, 0.4, 4
    clf = _quiet(PerceptronClassifier(loss=loss, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                      eta0=eta0, fit_intercept=fit_intercept,
                                      class_weight=class_weight, max_iter=epochs, tol=None,
                                      random_state=1),
                 sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)

    per_sample = np.ones(150) if sw is None else sw
    if class_weight:
        from sklearn.utils.class_weight import compute_class_weight

        per_class = compute_class_weight("balanced", classes=np.unique(y), y=y)
        per_sample = per_sample * per_class[np.searchsorted(np.unique(y), y)]
    share = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    l2, l1 = (0.0, 0.0) if penalty is None else (alpha * (1 - share), alpha * share)
    # Rosenblatt's rule learns w / eta0 and scales once at the end (exact decisions).
    scale = eta0 if loss == "perceptron" and penalty is None else 1.0
    W, b, curve = plain_online_rule(X, 2.0 * Y - 1 if loss == "squared" else Y.astype(float),
                                    per_sample, epoch_orders(150, epochs, 1), eta0 / scale,
                                    loss, l2, l1, fit_intercept)
    np.testing.assert_allclose(clf.coef_, W * scale, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(clf.intercept_, b * scale, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(clf.loss_curve_, np.array(curve) * scale, rtol=1e-12)
    if l1:  # the truncated gradient's exact zeros
        np.testing.assert_array_equal(clf.coef_ == 0, W == 0)
        assert (W == 0).any()


@pytest.mark.parametrize("sparse", [False, True])
def test_compiled_online_rule_in_float32(sparse):
    import scipy.sparse as sp

    X, y = make_classification(n_samples=200, n_features=10, n_informative=5, n_classes=3,
                               random_state=0)
    X = X.astype(np.float32)
    Y = (y[:, None] == np.arange(3)).astype(np.float32)
    kw = dict(loss="log", penalty="elasticnet", alpha=0.01, eta0=0.1, max_iter=3, tol=None)
    clf = _quiet(PerceptronClassifier(**kw), sp.csr_matrix(X) if sparse else X, y)
    W, b, _ = plain_online_rule(X, Y, np.ones(200, np.float32), epoch_orders(200, 3, 0), 0.1,
                                "log", 0.01 * 0.85, 0.01 * 0.15, True)
    assert clf.coef_.dtype == np.float32
    np.testing.assert_allclose(clf.coef_, W, rtol=1e-4, atol=1e-6)


def test_compiled_loop_releases_the_gil():
    # While the loop runs in a thread, this thread keeps running Python: its
    # ticks cover the loop's whole run (with the GIL held, none fall inside).
    import threading
    import time

    from sklshallow._backends._online import OUTPUTS, online_epoch

    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(2000, 300)), (rng.uniform(size=(2000, 1)) > 0.5).astype(float)
    W, Q, b = np.zeros((1, 300)), np.zeros((1, 300)), np.zeros(1)
    args = (W, b, Q, X.ravel(), np.empty(0, np.int32), np.empty(0, np.int64), Y, np.empty(0),
            np.tile(np.arange(2000), 100), OUTPUTS["logistic"], 0.01, 0.01, 0.001, 0.0, True,
            np.empty(1), np.empty(1), np.zeros(300))  # a fraction of a second of steps
    span = []

    def run():
        start = time.perf_counter()
        online_epoch(*args)
        span.extend([start, time.perf_counter()])

    worker, ticks = threading.Thread(target=run), []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    start, end = span
    inside = [t for t in ticks if start < t < end]
    assert inside and inside[-1] - inside[0] > 0.5 * (end - start)


def test_sparse_online_rule_is_textbook_exact():
    import scipy.sparse as sp

    X = sp.random(400, 300, density=0.02, random_state=0, format="csr")
    X.data = np.round(X.data * 4)  # small integers: every decision exact
    y = (X @ np.random.RandomState(0).randn(300) > 0).astype(int)
    clf = _quiet(PerceptronClassifier(eta0=0.5, shuffle=False, tol=None, max_iter=3), X, y)
    (W, b), = textbook_perceptron(X.toarray(), y[:, None].astype(float), 0.5, 3)[-1:]
    np.testing.assert_array_equal(clf.coef_, W)
    np.testing.assert_array_equal(clf.intercept_, b)


# ------------------------------------------------- sklearn's penalties


def textbook_penalized(X, y, eta, penalty, alpha, l1_ratio, epochs, w=None, b=0.0):
    """sklearn's plain SGD for the perceptron (one binary unit, 0/1 targets,
    the lecture's tie rule): the L2 decay and the step from the old weights,
    then the cumulative truncated L1 step (Tsuruoka et al.) on every weight."""
    l1 = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty] * alpha
    l2 = 0.0 if penalty is None else alpha - l1
    w = np.zeros(X.shape[1]) if w is None else np.array(w, dtype=float)
    u, q = 0.0, np.zeros_like(w)
    for _ in range(epochs):
        for x, t in zip(X, y):
            err = t - float(w @ x + b >= 0)
            w = w * (1 - eta * l2) + eta * err * x
            b += eta * err
            if l1:
                u += eta * l1
                w = truncated(w, q, u)
    return w, b


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("penalty", [None, "l2", "l1", "elasticnet"])
def test_penalties_follow_sklearns_plain_sgd(penalty, device):
    X, y = make_classification(n_samples=60, n_features=8, n_informative=3, random_state=2)
    w, b = textbook_penalized(X, y, 0.5, penalty, 0.05, 0.4, epochs=4)
    clf = _quiet(PerceptronClassifier(penalty=penalty, alpha=0.05, l1_ratio=0.4, eta0=0.5,
                                      shuffle=False, tol=None, max_iter=4, device=device), X, y)
    np.testing.assert_allclose(clf.coef_[0], w, rtol=1e-9, atol=1e-12)
    assert clf.intercept_[0] == pytest.approx(b, rel=1e-9, abs=1e-12)
    if penalty in ("l1", "elasticnet"):
        np.testing.assert_array_equal(clf.coef_[0] == 0, w == 0)


def test_l1_drives_weights_to_exact_zeros():
    X, y = make_classification(n_samples=300, n_features=40, n_informative=4,
                               n_redundant=0, random_state=0)
    X = StandardScaler().fit_transform(X)
    from sklearn.linear_model import Perceptron

    kw = dict(alpha=0.003, max_iter=30, random_state=0)
    l1 = _quiet(PerceptronClassifier(penalty="l1", **kw), X, y)
    l2 = _quiet(PerceptronClassifier(penalty="l2", **kw), X, y)
    theirs = _quiet(Perceptron(penalty="l1", **kw), X, y)
    assert (l1.coef_ == 0).sum() >= 20 and (l2.coef_ == 0).sum() == 0
    # as many zeros and as good a fit as sklearn's truncated gradient
    assert abs((l1.coef_ == 0).sum() - (theirs.coef_ == 0).sum()) <= 4
    assert l1.score(X, y) >= theirs.score(X, y) - 0.05


def test_sklearn_l1_ratio_test_passes():
    """sklearn's test_perceptron_l1_ratio, on PerceptronClassifier."""
    clf1 = PerceptronClassifier(l1_ratio=0, penalty="elasticnet").fit(X_iris, y_iris)
    clf2 = PerceptronClassifier(l1_ratio=0.15, penalty="elasticnet").fit(X_iris, y_iris)
    assert clf1.score(X_iris, y_iris) != clf2.score(X_iris, y_iris)
    clf_l1 = PerceptronClassifier(penalty="l1").fit(X_iris, y_iris)
    clf_en = PerceptronClassifier(l1_ratio=1, penalty="elasticnet").fit(X_iris, y_iris)
    np.testing.assert_allclose(clf_l1.coef_, clf_en.coef_)
    clf_l2 = PerceptronClassifier(penalty="l2").fit(X_iris, y_iris)
    clf_en = PerceptronClassifier(l1_ratio=0, penalty="elasticnet").fit(X_iris, y_iris)
    np.testing.assert_allclose(clf_l2.coef_, clf_en.coef_)


def test_alpha_only_counts_with_a_penalty():
    a = PerceptronClassifier(alpha=0.5).fit(X_iris, y_iris)
    b = PerceptronClassifier(alpha=1e-9).fit(X_iris, y_iris)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize("device", DEVICES)
def test_coef_init_and_intercept_init_start_the_fit(device):
    X, y = make_classification(n_samples=50, n_features=4, random_state=3)
    w0, b0 = np.array([0.3, -0.2, 0.1, 0.5]), 0.25
    w, b = textbook_penalized(X, y, 0.7, "l2", 0.01, 0.15, epochs=3, w=w0, b=b0)
    for coef_init in (w0, w0[None, :]):  # sklearn's binary shape, or one row per unit
        clf = _quiet(PerceptronClassifier(penalty="l2", alpha=0.01, eta0=0.7, shuffle=False,
                                          tol=None, max_iter=3, device=device),
                     X, y, coef_init=coef_init, intercept_init=[b0])
        np.testing.assert_allclose(clf.coef_[0], w, rtol=1e-9)
        assert clf.intercept_[0] == pytest.approx(b, rel=1e-9)
    # Given, coef_init starts anew even with warm_start.
    clf = _quiet(PerceptronClassifier(warm_start=True, max_iter=3, tol=None, shuffle=False),
                 X, y)
    again = _quiet(clf, X, y, coef_init=np.zeros(4))
    fresh = _quiet(PerceptronClassifier(max_iter=3, tol=None, shuffle=False), X, y)
    np.testing.assert_array_equal(again.coef_, fresh.coef_)
    with pytest.raises(ValueError, match=r"coef_init has shape \(3,\).*\(3, 4\)"):
        PerceptronClassifier().fit(X_iris, y_iris, coef_init=np.zeros(3))
    with pytest.raises(ValueError, match="intercept_init"):
        PerceptronClassifier().fit(X_iris, y_iris, intercept_init=np.zeros(2))


def test_sklearn_perceptron_parameters_and_defaults():
    from sklearn.linear_model import Perceptron

    ours, theirs = PerceptronClassifier().get_params(), Perceptron().get_params()
    for name in ("penalty", "alpha", "l1_ratio", "fit_intercept", "max_iter", "tol",
                 "shuffle", "verbose", "eta0", "n_jobs", "random_state", "early_stopping",
                 "validation_fraction", "n_iter_no_change", "class_weight", "warm_start"):
        assert ours[name] == theirs[name], name
    # random_state=0 by default: two shuffled fits are the same; n_jobs is accepted.
    a = PerceptronClassifier(n_jobs=2).fit(X_iris, y_iris)
    b = PerceptronClassifier().fit(X_iris, y_iris)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@needs_tf
@pytest.mark.parametrize("batch_size", [1, 16])
@pytest.mark.parametrize("loss", ["perceptron", "squared", "log"])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_penalties_are_the_same_on_both_devices(penalty, loss, batch_size):
    X = StandardScaler().fit_transform(X_iris)
    kw = dict(penalty=penalty, loss=loss, batch_size=batch_size, alpha=0.01, eta0=0.05,
              max_iter=5, random_state=0)
    cpu = _quiet(PerceptronClassifier(**kw), X, y_iris)
    tf = _quiet(PerceptronClassifier(device="/CPU:0", **kw), X, y_iris)
    assert cpu.n_iter_ == tf.n_iter_
    np.testing.assert_allclose(tf.coef_, cpu.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(tf.coef_ == 0, cpu.coef_ == 0)
    np.testing.assert_allclose(tf.loss_curve_, cpu.loss_curve_, rtol=1e-7)
