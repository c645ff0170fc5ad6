"""MLPClassifierTF and MLPRegressor against scikit-learn's MLPs."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import (
    make_regression,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklshallow import MLPClassifierTF, MLPRegressor

X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits[:300] / 16
y_digits = y_digits[:300]
X_iris, y_iris = load_iris(return_X_y=True)
X_iris = StandardScaler().fit_transform(X_iris)
X_diab, y_diab = load_diabetes(return_X_y=True)
X_diab, y_diab = X_diab[:200], y_diab[:200] / 100


def _fit_quietly(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _assert_same_network(ours, theirs, rtol=1e-7):
    assert ours.n_iter_ == theirs.n_iter_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10)


def _fitted_names(est):
    return {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}


SOLVER_CONFIGS = [
    dict(solver="adam"),
    dict(solver="sgd", learning_rate="constant", momentum=0.9, nesterovs_momentum=True),
    dict(solver="sgd", learning_rate="invscaling", momentum=0.5, nesterovs_momentum=False),
    dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.05, tol=1e-2),
    dict(solver="lbfgs"),
    dict(solver="adam", early_stopping=True, n_iter_no_change=2),
]


@pytest.mark.parametrize("config", SOLVER_CONFIGS)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_classifier_trains_exactly_as_sklearn(config, activation):
    kw = dict(hidden_layer_sizes=(15,), activation=activation, max_iter=25,
              random_state=0, batch_size=50, **config)
    ours = _fit_quietly(MLPClassifierTF(**kw), X_digits, y_digits)
    theirs = _fit_quietly(SkMLPClassifier(**kw), X_digits, y_digits)
    _assert_same_network(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X_digits), theirs.predict(X_digits))
    np.testing.assert_allclose(ours.predict_proba(X_digits), theirs.predict_proba(X_digits), rtol=1e-7)
    assert (ours.n_iter_, ours.t_) == (theirs.n_iter_, theirs.t_)
    assert _fitted_names(ours) == _fitted_names(theirs) | {"history_"}
    if config["solver"] != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        assert ours.validation_scores_ == theirs.validation_scores_


# (sklearn's multi-output lbfgs follows an inconsistent gradient: not compared)
@pytest.mark.parametrize("config, n_outputs", [
    (config, n) for config in SOLVER_CONFIGS for n in (1, 3)
    if config["solver"] != "lbfgs" or n == 1
])
def test_regressor_trains_exactly_as_sklearn(config, n_outputs):
    y = y_diab if n_outputs == 1 else np.c_[y_diab, -y_diab, y_diab**2 / 10]
    kw = dict(hidden_layer_sizes=(10,), max_iter=20, random_state=0, batch_size=32,
              alpha=1e-3, **config)
    ours = _fit_quietly(MLPRegressor(**kw), X_diab, y)
    theirs = _fit_quietly(SkMLPRegressor(**kw), X_diab, y)
    _assert_same_network(ours, theirs)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    if config["solver"] != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)


def test_multi_output_regression_stops_where_sklearn_does():
    # The case: the loss summed over outputs stopped at epoch 172,
    # sklearn's mean over outputs at 104.
    X, Y = make_regression(n_samples=100, n_features=5, n_targets=4, noise=5, random_state=0)
    Y /= 100
    for solver in ("adam", "sgd"):
        kw = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, tol=1e-3,
                  n_iter_no_change=3, random_state=0, solver=solver)
        ours = _fit_quietly(MLPRegressor(**kw), X, Y)
        theirs = _fit_quietly(SkMLPRegressor(**kw), X, Y)
        assert ours.n_iter_ == theirs.n_iter_ < 300
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
        _assert_same_network(ours, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_poisson_regression_trains_exactly_as_sklearn(solver):
    y = np.random.RandomState(0).poisson(np.exp(X_diab[:, 2] * 5 + 1))
    sw = np.random.RandomState(1).uniform(0.5, 2, len(y))
    kw = dict(loss="poisson", hidden_layer_sizes=(6,), max_iter=20, random_state=0,
              learning_rate_init=1e-3, solver=solver)
    ours = _fit_quietly(MLPRegressor(**kw), X_diab, y, sample_weight=sw)
    theirs = _fit_quietly(SkMLPRegressor(**kw), X_diab, y, sample_weight=sw)
    _assert_same_network(ours, theirs)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    np.testing.assert_allclose(ours.predict(X_diab), theirs.predict(X_diab), rtol=1e-7)
    assert (ours.predict(X_diab) > 0).all()
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X_diab, y - 1.5)


def test_multilabel_and_sample_weight_train_as_sklearn():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    sw = np.random.RandomState(0).uniform(0.1, 3, size=len(X))
    kw = dict(hidden_layer_sizes=(8,), max_iter=15, random_state=1, batch_size=16)
    ours = _fit_quietly(MLPClassifierTF(**kw), X, Y, sample_weight=sw)
    theirs = _fit_quietly(SkMLPClassifier(**kw), X, Y, sample_weight=sw)
    _assert_same_network(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).shape == Y.shape


def test_float32_trains_and_predicts_in_float32():
    X = X_digits.astype(np.float32)
    for solver in ["sgd", "adam", "lbfgs"]:
        clf = _fit_quietly(MLPClassifierTF(hidden_layer_sizes=(10,), max_iter=5, solver=solver, random_state=0), X, y_digits)
        state = clf.coefs_ + clf.intercepts_
        if solver != "lbfgs":
            state = state + clf._optimizer.state
        assert all(a.dtype == np.float32 for a in state), solver
        assert clf.predict_proba(X).dtype == np.float32
        reg = _fit_quietly(MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, solver=solver), X_diab.astype(np.float32), y_diab)
        assert reg.predict(X_diab.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------- accuracy parity

CLASSIFICATION = {
    "digits": load_digits(return_X_y=True),
    "wine": load_wine(return_X_y=True),
    "breast_cancer": load_breast_cancer(return_X_y=True),
}


@pytest.mark.parametrize("dataset", sorted(CLASSIFICATION))
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_cv_accuracy_not_lower_than_sklearn(dataset, solver):
    X, y = CLASSIFICATION[dataset]
    kw = dict(hidden_layer_sizes=(30,), solver=solver, max_iter=150, random_state=0,
              learning_rate_init=0.01 if solver == "sgd" else 0.001)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cross_val_score(make_pipeline(StandardScaler(), MLPClassifierTF(**kw)), X, y, cv=5).mean()
        theirs = cross_val_score(make_pipeline(StandardScaler(), SkMLPClassifier(**kw)), X, y, cv=5).mean()
    print(f"{dataset} {solver}: ours {ours:.4f} sklearn {theirs:.4f}")
    assert ours >= theirs - 0.02
    assert ours > 0.85


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_cv_r2_not_lower_than_sklearn_on_diabetes(solver):
    X, y = load_diabetes(return_X_y=True)
    kw = dict(hidden_layer_sizes=(20,), solver=solver, max_iter=300, random_state=0,
              alpha=1.0, learning_rate_init=0.001 if solver == "sgd" else 0.01)
    yt = (y - y.mean()) / y.std()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cross_val_score(make_pipeline(StandardScaler(), MLPRegressor(**kw)), X, yt, cv=5).mean()
        theirs = cross_val_score(make_pipeline(StandardScaler(), SkMLPRegressor(**kw)), X, yt, cv=5).mean()
    print(f"diabetes {solver}: ours {ours:.4f} sklearn {theirs:.4f}")
    assert ours >= theirs - 0.03
    assert ours > 0.25


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_r2_not_lower_than_sklearn_on_linnerud(solver):
    # 20 samples with three outputs: too few for cross-validation (every model
    # scores below 0 there), so this compares the fit on the whole set.
    X, y = load_linnerud(return_X_y=True)
    kw = dict(hidden_layer_sizes=(10,), solver=solver, max_iter=500, random_state=0,
              learning_rate_init=0.001 if solver == "sgd" else 0.01)
    X = StandardScaler().fit_transform(X)
    yt = (y - y.mean(axis=0)) / y.std(axis=0)
    ours = _fit_quietly(MLPRegressor(**kw), X, yt).score(X, yt)
    theirs = _fit_quietly(SkMLPRegressor(**kw), X, yt).score(X, yt)
    print(f"linnerud {solver}: ours {ours:.4f} sklearn {theirs:.4f}")
    assert ours >= theirs - 0.03
    assert ours > 0.2


def test_lbfgs_multioutput_gradient_is_gradient_of_reported_loss(monkeypatch):
    X, Y = load_linnerud(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Y = StandardScaler().fit_transform(Y)
    seen = {}
    real_minimize = scipy.optimize.minimize

    def spy(fun, x0, **kwargs):
        seen["fun"], seen["x0"] = fun, x0.copy()
        return real_minimize(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", spy)
    reg = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(4,), alpha=0.1, max_iter=50, random_state=0).fit(X, Y)
    fun, x = seen["fun"], seen["x0"]
    flat = np.concatenate([a.ravel() for a in reg.coefs_ + reg.intercepts_])
    err = scipy.optimize.check_grad(lambda t: fun(t)[0], lambda t: fun(t)[1], x, epsilon=1e-7)
    assert err < 1e-5 * np.linalg.norm(fun(x)[1])
    # ... and the loss that lbfgs minimised is the one reported.
    assert fun(flat)[0] == pytest.approx(reg.loss_)


# ------------------------------------------------------------- behaviour


def test_same_random_state_same_weights_and_clone_pickle():
    kw = dict(hidden_layer_sizes=(7,), max_iter=10, random_state=3)
    a = _fit_quietly(MLPClassifierTF(**kw), X_iris, y_iris)
    b = _fit_quietly(clone(a), X_iris, y_iris)
    for p, q in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(p, q)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X_iris), a.predict_proba(X_iris))
    assert not hasattr(clone(a), "coefs_")


def test_pipeline_in_gridsearch_with_two_jobs():
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), MLPClassifierTF(learning_rate_init=0.01, random_state=0)),
        {"mlpclassifiertf__hidden_layer_sizes": [(5,), (20,)],
         "mlpclassifiertf__activation": ["relu", "sigmoid"]},
        cv=3,
        n_jobs=2,
    )
    _fit_quietly(grid, *load_iris(return_X_y=True))
    assert grid.best_score_ > 0.9
    assert len(grid.cv_results_["params"]) == 4


def test_summary_counts_the_lectures_parameters():
    clf = _fit_quietly(
        MLPClassifierTF(hidden_layer_sizes=(300, 100), max_iter=1, random_state=0),
        np.random.RandomState(0).rand(20, 784), np.arange(20) % 10,
    )
    text = clf.summary()
    assert "Total params: 266,610" in text
    assert "235,500" in text and "30,100" in text and "1,010" in text
    with pytest.raises(NotFittedError):
        MLPClassifierTF().summary()


def test_history_and_verbose(capsys):
    clf = MLPClassifierTF(hidden_layer_sizes=(10,), max_iter=6, early_stopping=True,
                          n_iter_no_change=100, random_state=0, verbose=1)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_digits, y_digits)
    h = clf.history_
    assert set(h) == {"loss", "val_loss", "val_score", "epoch_time"}
    assert len(h["loss"]) == len(h["val_loss"]) == len(h["val_score"]) == len(h["epoch_time"]) == 6
    assert h["val_loss"][-1] < h["val_loss"][0]
    assert h["loss"] == clf.loss_curve_ and h["val_score"] == clf.validation_scores_
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("Iteration")]
    assert len(lines) == 6 and "validation score" in lines[0] and "time" in lines[0]
    pd = pytest.importorskip("pandas")
    assert pd.DataFrame(h).shape == (6, 4)


def test_early_stopping_restores_best_weights():
    clf = MLPClassifierTF(hidden_layer_sizes=(20,), early_stopping=True, max_iter=100,
                          learning_rate_init=0.05, n_iter_no_change=5, random_state=0)
    _fit_quietly(clf, X_digits, y_digits)
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1  # it trained past the best epoch ...
    # ... and kept the best epoch's weights: refit for best + 1 epochs.
    ref = _fit_quietly(clone(clf).set_params(max_iter=best + 1, n_iter_no_change=1000), X_digits, y_digits)
    for p, q in zip(clf.coefs_, ref.coefs_):
        np.testing.assert_allclose(p, q)


def test_class_weight_changes_the_balance():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kw = dict(hidden_layer_sizes=(5,), max_iter=50, random_state=0)
    plain = _fit_quietly(MLPClassifierTF(**kw), X, y)
    heavy = _fit_quietly(MLPClassifierTF(class_weight={0: 20.0, 1: 1.0}, **kw), X, y)
    assert (heavy.predict(X) == 0).sum() > (plain.predict(X) == 0).sum()
    balanced = _fit_quietly(MLPClassifierTF(class_weight="balanced", **kw), X, y)
    assert balanced.score(X, y) > 0.9


def test_warm_start_and_partial_fit_continue_training():
    kw = dict(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    a = _fit_quietly(MLPClassifierTF(warm_start=True, **kw), X_iris, y_iris)
    first = a.coefs_[0].copy()
    _fit_quietly(a, X_iris, y_iris)
    b = _fit_quietly(MLPClassifierTF(**{**kw, "max_iter": 10}), X_iris, y_iris)
    assert not np.allclose(first, a.coefs_[0])
    assert a.n_iter_ == 5 and len(a.loss_curve_) == 10
    np.testing.assert_allclose(a.loss_curve_[:5], b.loss_curve_[:5])

    p = MLPClassifierTF(hidden_layer_sizes=(10,), learning_rate_init=0.05, random_state=0)
    for _ in range(30):
        p.partial_fit(X_iris, y_iris, classes=np.unique(y_iris))
    assert p.score(X_iris, y_iris) > 0.8 and p.t_ == 30 * len(X_iris)
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifierTF().partial_fit(X_iris, y_iris)
    assert not hasattr(MLPClassifierTF(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X_diab, y_diab)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_result(fmt):
    kw = dict(hidden_layer_sizes=(10,), max_iter=5, random_state=0)
    Xs = sp.csr_matrix(X_digits).asformat(fmt)
    a = _fit_quietly(MLPClassifierTF(**kw), Xs, y_digits)
    b = _fit_quietly(MLPClassifierTF(**kw), X_digits, y_digits)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)
    np.testing.assert_array_equal(a.predict(Xs), b.predict(X_digits))


def test_string_and_bool_labels_just_work():
    names = np.array(["setosa", "versicolor", "virginica"])[y_iris]
    clf = _fit_quietly(MLPClassifierTF(max_iter=200, random_state=0), X_iris, names)
    assert set(clf.predict(X_iris)) <= set(names) and clf.score(X_iris, names) > 0.9
    flags = y_iris == 0
    clf = _fit_quietly(MLPClassifierTF(max_iter=50, random_state=0), X_iris, flags)
    assert clf.predict(X_iris).dtype == bool and clf.score(X_iris, flags) > 0.95


def test_convergence_warning():
    with pytest.warns(ConvergenceWarning):
        MLPClassifierTF(max_iter=2).fit(X_iris, y_iris)
    with pytest.warns(ConvergenceWarning):
        MLPClassifierTF(solver="lbfgs", max_iter=2).fit(X_iris, y_iris)


# ------------------------------------------------------------- bad input

BAD_INPUTS = {
    "nan in X": (np.where(np.eye(150, 4) == 1, np.nan, X_iris), y_iris, "NaN"),
    "inf in X": (np.where(np.eye(150, 4) == 1, np.inf, X_iris), y_iris, "infinity"),
    "empty X": (np.empty((0, 4)), np.empty(0), "0 sample"),
    "1-D X": (X_iris[:, 0], y_iris, "2D array"),
    "one class": (X_iris, np.zeros(150), "class"),
    "length mismatch": (X_iris, y_iris[:-1], "inconsistent numbers of samples"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("Estimator", [MLPClassifierTF, MLPRegressor])
def test_bad_input_is_refused_clearly(case, Estimator):
    X, y, message = BAD_INPUTS[case]
    if case == "one class" and Estimator is MLPRegressor:
        pytest.skip("a constant target is a valid regression problem")
    est = Estimator(max_iter=5)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_regression_target(bad):
    y = y_diab.copy()
    y[3] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        MLPRegressor(max_iter=5).fit(X_diab, y)


def test_wrong_number_of_features_at_predict():
    clf = _fit_quietly(MLPClassifierTF(max_iter=5), X_iris, y_iris)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X_iris[:, :3])


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(activation="softsign"), "activation"),
        (dict(solver="rmsprop"), "solver"),
        (dict(learning_rate_init=-1.0), "learning_rate_init"),
        (dict(device="tpu-ish"), "device"),
    ],
)
def test_invalid_parameters(params, message):
    error = ValueError if "device" in params or "hidden_layer_sizes" in params else InvalidParameterError
    with pytest.raises(error, match=message):
        MLPClassifierTF(**params).fit(X_iris, y_iris)


def test_divergence_stops_with_a_clear_error_and_nothing_fitted():
    est = MLPRegressor(activation="identity", solver="sgd", learning_rate_init=1e6,
                       max_iter=50, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X_diab, y_diab)
    assert not hasattr(est, "coefs_") and not hasattr(est, "loss_curve_")
    with pytest.raises(NotFittedError):
        est.predict(X_diab)
    # Diverging after a good warm start keeps the model the warm start began
    # from (tests/test_edges.py checks every piece of its state).
    est.set_params(learning_rate_init=1e-3, warm_start=True, max_iter=3)
    _fit_quietly(est, X_diab, y_diab)
    before = est.predict(X_diab)
    with pytest.raises(ValueError, match="diverged"):
        est.set_params(learning_rate_init=1e6, max_iter=50).fit(X_diab, y_diab)
    np.testing.assert_array_equal(est.predict(X_diab), before)


@pytest.mark.parametrize("Estimator, X, y", [
    (MLPRegressor, X_diab, y_diab * 1e3),
    (MLPClassifierTF, X_iris * 1e3, y_iris),
])
def test_huge_learning_rate_never_gives_a_nan_model(Estimator, X, y):
    est = Estimator(learning_rate_init=1e6, max_iter=30, random_state=0)
    try:
        _fit_quietly(est, X, y)
    except ValueError as exc:
        assert "diverged" in str(exc) or "non-finite" in str(exc)
        with pytest.raises(NotFittedError):
            est.predict(X)
    else:  # a run whose loss stayed finite must predict finite values
        assert np.isfinite(est.predict(X).astype(float)).all()


def test_val_loss_is_the_penalized_loss_on_the_held_out_split():
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    from sklshallow import _network

    clf = _fit_quietly(
        MLPClassifierTF(hidden_layer_sizes=(8,), max_iter=1, early_stopping=True, alpha=0.5,
                        random_state=0),
        X_digits, y_digits,
    )
    # The split draws from the RandomState right after the initial weights.
    rng = np.random.RandomState(0)
    _network.init_params([64, 8, 10], "relu", rng, np.float64)
    _, X_val, _, y_val = train_test_split(X_digits, y_digits, random_state=rng, test_size=0.1)
    penalty = 0.5 * 0.5 * sum((W**2).sum() for W in clf.coefs_) / len(X_val)
    expected = log_loss(y_val, clf.predict_proba(X_val), labels=clf.classes_) + penalty
    assert clf.history_["val_loss"][0] == pytest.approx(expected, rel=1e-9)
    assert clf.history_["val_score"][0] == pytest.approx(clf.score(X_val, y_val))


@pytest.mark.parametrize("device", ["cpu"] + (["/CPU:0"] if __import__("importlib").util.find_spec("tensorflow") else []))
def test_batches_whose_weights_are_all_zero_do_not_break_training(device):
    sw = np.zeros(len(X_iris))
    sw[::10] = 1.0  # most mini-batches of 4 carry no weight at all
    clf = _fit_quietly(MLPClassifierTF(hidden_layer_sizes=(5,), batch_size=4, max_iter=5,
                                       random_state=0, device=device),
                       X_iris, y_iris, sample_weight=sw)
    assert all(np.isfinite(W).all() for W in clf.coefs_)
    assert np.isfinite(clf.loss_curve_).all()
