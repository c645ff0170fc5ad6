"""The playground's core: its data sets and features as the TensorFlow
Playground defines them, checked settings, and a session that trains the
package's own estimators epoch by epoch."""

import numpy as np
import pytest

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier
from sklshallow._network import ACTIVATIONS
from sklshallow.playground import (
    CLASSIFICATION,
    FEATURES,
    REGRESSION,
    Session,
    add_features,
    check_config,
    make_data,
)

from .conftest import needs_tf


@pytest.mark.parametrize("name", sorted({**CLASSIFICATION, **REGRESSION}))
def test_data_sets_are_reproducible_and_shaped(name):
    X, y = make_data(name, n_samples=301, noise=0.2, random_state=3)
    X2, y2 = make_data(name, n_samples=301, noise=0.2, random_state=3)
    assert X.shape == (301, 2) and y.shape == (301,)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    if name in CLASSIFICATION:
        assert set(np.unique(y)) == {0, 1}
    else:  # (x1 + x2) / 10 for the plane, as the playground scales it
        assert -2.5 <= y.min() < y.max() <= 2.5


def test_noiseless_labels_follow_the_playgrounds_rules():
    X, y = make_data("circle", 400, random_state=0)
    np.testing.assert_array_equal(y, np.hypot(*X.T) < 2.5)
    assert y.mean() == 0.5
    X, y = make_data("xor", 400, random_state=0)
    np.testing.assert_array_equal(y, X[:, 0] * X[:, 1] >= 0)
    assert np.abs(X).min() >= 0.3  # kept off the axes
    X, y = make_data("gauss", 400, random_state=0)
    assert X[y == 1].mean(axis=0) == pytest.approx([2, 2], abs=0.2)
    assert X[y == 0].mean(axis=0) == pytest.approx([-2, -2], abs=0.2)
    X, y = make_data("spiral", 400, random_state=0)
    assert np.hypot(*X.T).max() < 5
    X, y = make_data("plane", 400, random_state=0)
    np.testing.assert_allclose(y, X.sum(axis=1) / 10)
    X, y = make_data("multi_gauss", 2000, random_state=0)
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:
        near = np.hypot(X[:, 0] - cx, X[:, 1] - cy)
        np.testing.assert_allclose(y[near < 0.3], sign * (1 - near[near < 0.3] / 2))
    assert (y[np.abs(X[:, 1]) < 0.4] == 0).all()  # more than 2 from every bump
    with pytest.raises(ValueError, match="Unknown data set"):
        make_data("moons")


def test_features_are_the_playgrounds():
    X = np.random.RandomState(0).uniform(-6, 6, (50, 2))
    F = add_features(X, list(FEATURES))
    x1, x2 = X.T
    np.testing.assert_allclose(F, np.c_[x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    for bad in ([], ["x3"], "x1"):
        with pytest.raises(ValueError, match="Features"):
            add_features(X, bad)


@pytest.mark.parametrize("bad, field", [
    ({"hidden_layers": [4] * 7}, "hidden_layers"),
    ({"hidden_layers": [9]}, "hidden_layers"),
    ({"hidden_layers": [0]}, "hidden_layers"),
    ({"hidden_layers": [True]}, "hidden_layers"),
    ({"hidden_layers": "4,2"}, "hidden_layers"),
    ({"noise": -0.1}, "noise"),
    ({"noise": "a lot"}, "noise"),
    ({"learning_rate": 100}, "learning_rate"),
    ({"batch_size": True}, "batch_size"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"n_samples": 10**7}, "n_samples"),
    ({"resolution": 10**4}, "resolution"),
    ({"dataset": "../../etc/passwd"}, "dataset"),
    ({"features": ["x1", "x1"]}, "features"),
    ({"activation": "softmax"}, "activation"),
    ({"model": "svm"}, "model"),
    ({"model": "perceptron", "dataset": "plane"}, "classif"),
    ({"path": "/tmp/x"}, "Unknown settings"),
])
def test_bad_settings_are_refused_with_the_field_named(bad, field):
    with pytest.raises(ValueError, match=field):
        check_config(bad)
    with pytest.raises(ValueError, match="JSON object"):
        check_config(["not", "a", "dict"])


def test_a_session_trains_epoch_by_epoch_and_reports_what_to_draw():
    session = Session({"dataset": "circle", "features": ["x1^2", "x2^2"], "hidden_layers": [3],
                       "learning_rate": 0.1, "resolution": 20})
    start = session.state()
    assert start["epoch"] == 0 and start["train_loss"] is None and start["hidden"] == []
    state = session.step(30)
    assert state["epoch"] == 30 == len(state["history"]["train_loss"])
    losses = state["history"]["test_loss"]
    assert losses[-1] < losses[0] and losses[-1] < 0.3  # circles are easy with squares
    assert np.array(state["output"]).shape == (20, 20)
    assert len(state["hidden"]) == 1 and np.array(state["hidden"][0]).shape == (3, 20, 20)
    assert len(state["train"]) + len(state["test"]) == 500
    # The hidden maps are the hidden units' activations over the grid.
    est = session.estimator
    assert isinstance(est, MLPClassifierTF) and est.n_iter_ == 1
    G, _ = session._grid()
    A = ACTIVATIONS["tanh"](add_features(G, ["x1^2", "x2^2"]) @ est.coefs_[0]
                               + est.intercepts_[0])
    np.testing.assert_allclose(np.array(state["hidden"][0]).reshape(3, -1), A.T.round(4),
                               atol=1e-4)
    # The output is the probability of class 1, from -1 to 1 (rows from the top).
    top_left = 2 * est.predict_proba(add_features([[-6.0, 6.0]], ["x1^2", "x2^2"]))[0, 1] - 1
    assert state["output"][0][0] == pytest.approx(top_left, abs=1e-4)


def test_xor_fails_for_the_perceptron_and_not_for_the_mlp():
    kw = {"dataset": "xor", "learning_rate": 0.03, "resolution": 10}
    perceptron = Session({**kw, "model": "perceptron"})
    mlp = Session({**kw, "hidden_layers": [4, 4], "learning_rate": 0.1})
    assert isinstance(perceptron.estimator, PerceptronClassifier)
    assert perceptron.step(30)["test_loss"] > 0.3  # the error rate of a line on XOR
    mlp.step(60)
    assert mlp.estimator.score(mlp._inputs(mlp.X_test), mlp.y_test) > 0.9


def test_regression_sessions():
    session = Session({"dataset": "plane", "hidden_layers": [], "activation": "linear",
                       "learning_rate": 0.01, "resolution": 8})
    assert isinstance(session.estimator, MLPRegressor)
    state = session.step(20)
    assert state["regression"] and state["test_loss"] < 0.01
    assert np.array(state["output"]).shape == (8, 8)


def test_sessions_do_not_share_their_models():
    a, b = Session({"seed": 1}), Session({"seed": 1})
    a.step(5)
    assert b.epoch == 0 and not hasattr(b.estimator, "coefs_")
    b.step(5)
    for p, q in zip(a.estimator.coefs_, b.estimator.coefs_):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("config", [
    {}, {"model": "perceptron", "alpha": 0.01}, {"dataset": "multi_gauss", "alpha": 0.001},
])
def test_the_code_panel_trains_the_same_network(config):
    session = Session(config)
    session.step(7)
    namespace = {}
    exec(session.code(), namespace)  # runnable as is
    def weights(est):
        return est.coefs_ if hasattr(est, "coefs_") else [est.coef_]

    for p, q in zip(weights(namespace["model"]), weights(session.estimator)):
        np.testing.assert_array_equal(p, q)


def test_step_counts_are_bounded():
    session = Session({"resolution": 5})
    for bad in (0, 101, True, 2.0, "3"):
        with pytest.raises(ValueError, match="epochs"):
            session.step(bad)


@needs_tf
def test_a_session_on_the_tensorflow_device_trains_the_same_network():
    cpu, tf = Session({"resolution": 5}), Session({"resolution": 5}, device="/CPU:0")
    cpu.step(3)
    state = tf.step(3)
    assert state["device"] == "/CPU:0"
    for p, q in zip(cpu.estimator.coefs_, tf.estimator.coefs_):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-12)
