"""Stacked searches: every fit of a stack is the fit it would be alone.

References: the same estimator fitted alone (``clone(est).fit``), and
scikit-learn's own GridSearchCV / RandomizedSearchCV over the same estimator,
which fits one model at a time.
"""

import functools
import importlib.util
import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn import model_selection as skms
from sklearn.base import clone, is_regressor
from sklearn.datasets import load_digits, load_linnerud, make_multilabel_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier, _stacking
from sklshallow.model_selection import GridSearchCV, RandomizedSearchCV

from .conftest import DEVICES, HAS_TF, interrupted_after, needs_tf

HAS_DASK = importlib.util.find_spec("distributed") is not None

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS, Y_DIGITS = X_DIGITS[:600], Y_DIGITS[:600]
X_SCALED = StandardScaler().fit_transform(X_DIGITS)


@pytest.fixture
def stack_sizes(monkeypatch):
    """The number of fits of each stack trained (NumPy and TensorFlow), as
    ``stacked().stack_sizes`` reports them, wherever the stack ran."""
    sizes = []
    original = _stacking.Stack.run

    def spy(self, tasks):
        outcomes, stacks = original(self, tasks)
        sizes.extend(stacks)
        return outcomes, stacks

    monkeypatch.setattr(_stacking.Stack, "run", spy)
    return sizes


def _fit_apart_and_together(estimators, data):
    """Each estimator fitted alone, and clones of them fitted as one stack."""
    alone = [clone(est).fit(*d) for est, d in zip(estimators, data)]
    together = [clone(est) for est in estimators]
    _, errors = _stacking.run_together(
        [lambda e=e, d=d: e.fit(*d) for e, d in zip(together, data)]
    )
    assert errors == [None] * len(estimators)
    return alone, together


def _assert_same_fit(a, b, rtol):
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=rtol)
    if a.validation_scores_ is not None:
        np.testing.assert_allclose(a.validation_scores_, b.validation_scores_, rtol=rtol)
        assert a.best_validation_score_ == pytest.approx(b.best_validation_score_, rel=rtol)
    else:
        assert a.best_loss_ == pytest.approx(b.best_loss_, rel=rtol)
    params = (lambda e: e.coefs_ + e.intercepts_) if hasattr(a, "coefs_") else (
        lambda e: [e.coef_, e.intercept_])
    for p, q in zip(params(a), params(b)):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * np.abs(p).max())


def _rtol(device, dtype=np.float64):
    if device == "cpu":
        # One compiled epoch steps a lone fit and a stack's member alike, on
        # the member's own rows (no padding), with its own products: the same
        # numbers (tests/test_stacked.py compares them to the bit).
        return 1e-12 if dtype == np.float64 else 1e-6
    return 1e-3  # TensorFlow's own products, as the device parity tests


# ------------------------------------------------- a stacked fit is the lone fit


@pytest.mark.parametrize("device", DEVICES)
def test_stacked_mlps_equal_lone_fits(device, stack_sizes):
    # Two splits, solvers, schedules, early stopping and seeds in one stack:
    # fits stop at different epochs and see different rows and batches.
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(X_SCALED))
    splits = [(X_SCALED[idx[:450]], Y_DIGITS[idx[:450]]),
              (X_SCALED[idx[150:]], Y_DIGITS[idx[150:]])]
    estimators, data = [], []
    for solver, schedules in (("adam", ["constant"]), ("sgd", ["constant", "invscaling", "adaptive"])):
        for schedule in schedules:
            for alpha, lr, seed, early in ((1e-4, 1e-2, 0, False), (1e-1, 3e-3, 1, True),
                                           (1e-2, 1e-1, 0, True)):
                for split in splits:
                    estimators.append(MLPClassifierTF(
                        (12,), solver=solver, learning_rate=schedule, alpha=alpha,
                        learning_rate_init=lr, random_state=seed, early_stopping=early,
                        max_iter=25, n_iter_no_change=3, device=device,
                    ))
                    data.append(split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone, together = _fit_apart_and_together(estimators, data)
    assert len({a.n_iter_ for a in alone}) > 3  # fits really leave the stack
    for a, b in zip(alone, together):
        _assert_same_fit(a, b, _rtol(device))
    assert max(stack_sizes) >= 6


@pytest.mark.parametrize("device", DEVICES)
def test_stacked_regression_multilabel_weights_perceptron(device, stack_sizes):
    X, Y = load_linnerud(return_X_y=True)
    X = StandardScaler().fit_transform(np.repeat(X, 5, axis=0))
    Y = np.repeat(Y, 5, axis=0) / 100
    Xm, Ym = make_multilabel_classification(200, 8, n_classes=3, random_state=0)
    sw = np.random.RandomState(1).rand(len(X_SCALED))
    cases = [  # (estimators, data) groups, each stacked
        ([MLPRegressor(hidden_layer_sizes=(6,), solver=s, alpha=a, random_state=r,
                       max_iter=15, batch_size=16, device=device)
          for s in ("adam", "sgd") for a in (1e-4, 1.0) for r in (0, 1)], (X, Y)),
        ([MLPClassifierTF((5,), alpha=a, learning_rate_init=0.01, random_state=0,
                          max_iter=15, batch_size=32, device=device) for a in (1e-4, 1e-1)],
         (Xm.astype(float), Ym)),
        ([MLPClassifierTF((8,), alpha=a, random_state=0, max_iter=10, device=device,
                          class_weight=cw) for a in (1e-4, 1e-2) for cw in (None, "balanced")],
         (X_SCALED, Y_DIGITS, sw)),
        ([PerceptronClassifier(batch_size=16, eta0=e, penalty=p, alpha=1e-3, random_state=0,
                               max_iter=12, device=device)
          for e in (0.1, 1.0) for p in (None, "l2", "l1")], (X_SCALED, Y_DIGITS)),
        # batch_size=1 (the online rule) trains each fit's epochs as alone
        ([PerceptronClassifier(eta0=e, max_iter=5, device=device) for e in (0.5, 1.0)],
         (X_SCALED, Y_DIGITS)),
    ]
    for estimators, d in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alone, together = _fit_apart_and_together(estimators, [d] * len(estimators))
        for a, b in zip(alone, together):
            _assert_same_fit(a, b, _rtol(device))
            if is_regressor(a):
                np.testing.assert_allclose(a.predict(d[0]), b.predict(d[0]), rtol=_rtol(device))
            else:
                assert np.mean(a.predict(d[0]) == b.predict(d[0])) >= (
                    1 if device == "cpu" else 0.99)


def test_float32_stack_and_a_fit_that_diverges_alone():
    X = X_SCALED.astype(np.float32)
    ests = [MLPClassifierTF((8,), solver="sgd", learning_rate_init=lr, momentum=0.9,
                            random_state=0, max_iter=8) for lr in (0.01, 1e6)]
    together = [clone(e) for e in ests]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, errors = _stacking.run_together([lambda e=e: e.fit(X, Y_DIGITS) for e in together])
        alone = clone(ests[0]).fit(X, Y_DIGITS)
    assert errors[0] is None
    assert isinstance(errors[1], ValueError) and "diverged" in str(errors[1])
    assert not hasattr(together[1], "coefs_")  # nothing half-fitted
    _assert_same_fit(alone, together[0], _rtol("cpu", np.float32))


# ------------------------------------------- the search: sklearn's, with stacks


def _search_pair(cls, estimator, grid, fit_params=None, **kwargs):
    fit_params = fit_params or {}
    sk_cls = getattr(skms, cls.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cls(estimator, grid, **kwargs).fit(*fit_params.pop("Xy"), **fit_params)
    return ours, sk_cls


def _assert_same_results(ours, theirs, atol=1e-12):
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_index_ == theirs.best_index_
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    for key, value in theirs.cv_results_.items():
        if "_test_" in key or "_train_" in key:
            np.testing.assert_allclose(ours.cv_results_[key], value, atol=atol, err_msg=key)
    assert type(ours.best_estimator_) is type(theirs.best_estimator_)


def _both(cls, estimator, grid, X, y, fit_params=None, **kwargs):
    fit_params = fit_params or {}
    sk_cls = getattr(skms, cls.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = cls(estimator, grid, **kwargs).fit(X, y, **fit_params)
        theirs = sk_cls(estimator, grid, **kwargs).fit(X, y, **fit_params)
    return ours, theirs


def test_grid_search_pipeline_equals_sklearn_search(stack_sizes):
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPClassifierTF((16,), max_iter=15, random_state=0))])
    grid = {"mlp__alpha": [1e-4, 1e-2, 1e-1], "mlp__learning_rate_init": [1e-3, 1e-2]}
    ours, theirs = _both(GridSearchCV, pipe, grid, X_DIGITS, Y_DIGITS, cv=3,
                         return_train_score=True)
    _assert_same_results(ours, theirs)
    assert max(stack_sizes) == 18  # the 6 candidates x 3 splits as one stack
    np.testing.assert_array_equal(ours.predict(X_DIGITS), theirs.predict(X_DIGITS))
    assert ours.refit_time_ > 0 and np.all(ours.cv_results_["mean_fit_time"] > 0)


def test_search_sgd_early_stopping_multimetric_and_sample_weight():
    est = MLPClassifierTF((10,), solver="sgd", early_stopping=True, max_iter=20,
                          n_iter_no_change=3, random_state=0)
    grid = {"momentum": [0.0, 0.9], "learning_rate": ["constant", "adaptive"],
            "learning_rate_init": [0.01, 0.1], "random_state": [0, 1]}
    sw = np.random.RandomState(0).rand(len(X_SCALED))
    ours, theirs = _both(GridSearchCV, est, grid, X_SCALED, Y_DIGITS,
                         fit_params={"sample_weight": sw}, cv=3,
                         scoring=["accuracy", "neg_log_loss"], refit="neg_log_loss",
                         return_train_score=True)
    _assert_same_results(ours, theirs)


def test_randomized_search_regressor_and_perceptron():
    X, Y = load_linnerud(return_X_y=True)
    X, Y = np.repeat(X, 4, axis=0), np.repeat(Y, 4, axis=0)
    pipe = make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(6,), max_iter=30, batch_size=8, random_state=0,
        learning_rate_init=0.01))
    dist = {"mlpregressor__alpha": loguniform(1e-5, 1), "mlpregressor__beta_1": [0.8, 0.9]}
    ours, theirs = _both(RandomizedSearchCV, pipe, dist, X, Y, n_iter=6, cv=3, random_state=0)
    _assert_same_results(ours, theirs)

    est = PerceptronClassifier(batch_size=8, max_iter=10)
    grid = {"penalty": [None, "l2", "l1"], "eta0": [0.1, 1.0], "alpha": [1e-4, 1e-2]}
    ours, theirs = _both(GridSearchCV, est, grid, X_SCALED, Y_DIGITS, cv=3)
    _assert_same_results(ours, theirs)


@pytest.mark.parametrize("resource", ["n_samples", "max_iter"])
@pytest.mark.parametrize("kind", ["grid", "random"])
def test_halving_searches_stack_and_equal_sklearns(kind, resource, stack_sizes):
    from sklearn.model_selection import _search_successive_halving as sk_halving

    from sklshallow.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV

    pipe = make_pipeline(StandardScaler(), MLPClassifierTF((8,), max_iter=12, random_state=0))
    grid = {"mlpclassifiertf__alpha": [1e-4, 1e-2, 1e-1],
            "mlpclassifiertf__learning_rate_init": [1e-3, 1e-2]}
    kwargs = dict(cv=3, factor=2, random_state=0, resource=resource)
    if resource == "max_iter":
        kwargs.update(resource="mlpclassifiertf__max_iter", min_resources=3, max_resources=12)
    ours_cls, sk_cls = {
        "grid": (HalvingGridSearchCV, sk_halving.HalvingGridSearchCV),
        "random": (HalvingRandomSearchCV, sk_halving.HalvingRandomSearchCV),
    }[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ours_cls(pipe, grid, **kwargs).fit(X_DIGITS, Y_DIGITS)
        assert max(stack_sizes) >= 6  # an iteration's candidates x splits, as stacks
        theirs = sk_cls(pipe, grid, **kwargs).fit(X_DIGITS, Y_DIGITS)
    _assert_same_results(ours, theirs)
    for key in ("iter", "n_resources"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.n_iterations_ == theirs.n_iterations_ > 1


def test_diverging_candidate_gets_error_score(stack_sizes):
    est = MLPClassifierTF((8,), solver="sgd", max_iter=10, random_state=0)
    grid = {"learning_rate_init": [0.01, 1e6]}
    X = X_SCALED.astype(np.float32)  # (float32 weights overflow at this rate)
    with pytest.warns(FitFailedWarning, match="diverged"):
        ours = GridSearchCV(est, grid, cv=3).fit(X, Y_DIGITS)
    theirs = skms.GridSearchCV(est, grid, cv=3).fit(X, Y_DIGITS)
    assert np.isnan(ours.cv_results_["mean_test_score"][1])
    _assert_same_results(ours, theirs)
    assert max(stack_sizes) == 6
    with pytest.raises(ValueError, match="diverged"):
        GridSearchCV(est, grid, cv=3, error_score="raise").fit(X, Y_DIGITS)


def test_what_does_not_stack_is_searched_as_sklearn_does(stack_sizes):
    lbfgs = MLPClassifierTF((8,), solver="lbfgs", max_iter=20, random_state=0)
    ours, theirs = _both(GridSearchCV, lbfgs, {"alpha": [1e-4, 1e-1]}, X_SCALED, Y_DIGITS, cv=3)
    _assert_same_results(ours, theirs)
    logistic = LogisticRegression(max_iter=200)
    ours, theirs = _both(GridSearchCV, logistic, {"C": [0.1, 1.0]}, X_SCALED, Y_DIGITS, cv=3)
    _assert_same_results(ours, theirs)
    assert stack_sizes == [1] * 6  # the lbfgs fits, each alone; the others none


def test_stack_size_and_n_jobs_change_nothing(stack_sizes):
    pipe = make_pipeline(StandardScaler(), MLPClassifierTF((8,), max_iter=10, random_state=0))
    grid = {"mlpclassifiertf__alpha": [1e-4, 1e-1], "mlpclassifiertf__random_state": [0, 1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = GridSearchCV(pipe, grid, cv=3).fit(X_DIGITS, Y_DIGITS)
        assert max(stack_sizes) == 12
        del stack_sizes[:]
        small = GridSearchCV(pipe, grid, cv=3, stack_size=5).fit(X_DIGITS, Y_DIGITS)
        assert max(stack_sizes) == 5  # 12 fits in stacks of at most 5
        alone = GridSearchCV(pipe, grid, cv=3, stack_size=1).fit(X_DIGITS, Y_DIGITS)
        two_jobs = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X_DIGITS, Y_DIGITS)
    for other in (small, alone, two_jobs):
        _assert_same_results(other, reference, atol=0)
    with pytest.raises(InvalidParameterError, match="stack_size"):
        GridSearchCV(pipe, grid, stack_size=0).fit(X_DIGITS, Y_DIGITS)
    assert clone(GridSearchCV(pipe, grid, stack_size=7)).stack_size == 7


def test_the_searches_are_sklearns_run_under_the_stacking_backend():
    # No rebuilt code: the next fit in the method order is scikit-learn's own.
    for ours in (GridSearchCV, RandomizedSearchCV):
        mro = ours.__mro__
        assert mro[mro.index(ours) + 2] is getattr(skms, ours.__name__)


def _old_fit_and_score(real):
    """A _fit_and_score as scikit-learn's before 1.9: no caller."""
    def fit_and_score(estimator, X, y, **kwargs):
        kwargs.pop("caller", None)
        return real(estimator, X, y, **kwargs)
    return fit_and_score


def _decorated_fit(real):
    """BaseSearchCV.fit with one more decorator."""
    @functools.wraps(real)
    def fit(self, *args, **kwargs):
        return real(self, *args, **kwargs)
    return fit


class _OtherParallel(skms._search.Parallel):
    pass


@pytest.mark.parametrize("difference", [
    lambda mp: mp.setattr(skms._search, "_fit_and_score",
                          _old_fit_and_score(skms._search._fit_and_score)),
    lambda mp: mp.setattr(skms._search.BaseSearchCV, "fit",
                          _decorated_fit(skms._search.BaseSearchCV.fit)),
    lambda mp: mp.setattr(skms._search, "Parallel", _OtherParallel),
], ids=["without-caller", "decorated", "Parallel"])
def test_a_scikit_learn_that_differs_inside_still_stacks(difference, stack_sizes, monkeypatch):
    # The searches rely on joblib's backend API only, not on the layout of
    # scikit-learn's search code.
    difference(monkeypatch)
    est = MLPClassifierTF((8,), max_iter=5, random_state=0)
    grid = {"alpha": [1e-4, 1e-1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GridSearchCV(est, grid, cv=3).fit(X_SCALED, Y_DIGITS)
        theirs = skms.GridSearchCV(est, grid, cv=3).fit(X_SCALED, Y_DIGITS)
    assert max(stack_sizes) == 6
    _assert_same_results(ours, theirs)


@needs_tf
def test_tensorflow_search_matches_sklearn_search_on_numpy(stack_sizes):
    pipe = make_pipeline(StandardScaler(), MLPClassifierTF(
        (16,), max_iter=15, random_state=0, device="/CPU:0"))
    grid = {"mlpclassifiertf__alpha": [1e-4, 1e-1],
            "mlpclassifiertf__learning_rate_init": [1e-3, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GridSearchCV(pipe, grid, cv=3).fit(X_DIGITS, Y_DIGITS)
        theirs = skms.GridSearchCV(pipe.set_params(mlpclassifiertf__device="cpu"), grid,
                                   cv=3).fit(X_DIGITS, Y_DIGITS)
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], atol=0.01)
    assert max(stack_sizes) == 12


@needs_tf
def test_tensorflow_stacks_of_a_search_share_one_compiled_program(monkeypatch):
    # Two stacks over data of 797 and 798 rows (splits of 398 and 399),
    # whose fits stop at different epochs: one program for both stacks,
    # ragged or not (each new shape or variant would be compiled again:
    # seconds); the models are the NumPy search's.
    from sklshallow._backends import _tensorflow

    def traces():
        return sum(p.experimental_get_tracing_count()
                   for key, p in _tensorflow._PROGRAMS.items() if key[0] == "stack")

    epochs, original = [], _tensorflow.TensorFlowGroup.run_epoch

    def spy(self, requests):
        epochs.append((id(self), len(self.members), len(requests)))
        return original(self, requests)

    monkeypatch.setattr(_tensorflow.TensorFlowGroup, "run_epoch", spy)
    est = MLPClassifierTF((11,), max_iter=30, tol=1e-2, n_iter_no_change=2, random_state=0,
                          batch_size=64)
    grid = {"alpha": [1e-4, 1e-2, 1.0], "learning_rate_init": [1e-3, 3e-2]}
    X, y = X_SCALED[:598], Y_DIGITS[:598]
    kw = dict(cv=3, stack_size=9, return_train_score=True)
    before = traces()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GridSearchCV(clone(est).set_params(device="/CPU:0"), grid, **kw).fit(X, y)
        numpy = GridSearchCV(est, grid, **kw).fit(X, y)
    assert len({group for group, _, _ in epochs}) == 2
    assert {members for _, members, _ in epochs} == {9}
    assert min(steps for _, _, steps in epochs) < 9  # some fits stopped early
    assert traces() - before == 1
    for key in ("mean_test_score", "mean_train_score"):
        np.testing.assert_allclose(ours.cv_results_[key], numpy.cv_results_[key], atol=1e-12)


@pytest.mark.skipif(not HAS_DASK, reason="distributed is not installed (the dask extra)")
def test_search_on_a_dask_cluster_equals_one_process():
    import joblib
    from distributed import Client, LocalCluster

    pipe = make_pipeline(StandardScaler(), MLPClassifierTF((8,), max_iter=10, random_state=0))
    grid = {"mlpclassifiertf__alpha": [1e-4, 1e-1], "mlpclassifiertf__random_state": [0, 1]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = GridSearchCV(pipe, grid, cv=3).fit(X_DIGITS, Y_DIGITS)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster):
            with joblib.parallel_config(backend="dask"):
                on_cluster = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X_DIGITS, Y_DIGITS)
    _assert_same_results(on_cluster, reference, atol=0)


def test_ctrl_c_stops_a_stacked_search():
    interrupted_after("""
from sklshallow.model_selection import GridSearchCV
grid = {"alpha": [1e-4, 1e-3, 1e-2, 1e-1], "random_state": [0, 1, 2]}
net = sklshallow.MLPClassifierTF((32,), max_iter=10**4, tol=0, n_iter_no_change=10**6)
GridSearchCV(net, grid, cv=3).fit(X, y)
""")


def test_metadata_routing_reaches_the_stacked_fits():
    import sklearn

    sw = np.random.RandomState(0).rand(len(X_DIGITS))
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = MLPClassifierTF((8,), max_iter=10, random_state=0).set_fit_request(
            sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), mlp)
        grid = {"mlpclassifiertf__alpha": [1e-4, 1e-1]}
        ours, theirs = _both(GridSearchCV, pipe, grid, X_DIGITS, Y_DIGITS,
                             fit_params={"sample_weight": sw}, cv=3)
        unweighted, _ = _both(GridSearchCV, pipe, grid, X_DIGITS, Y_DIGITS, cv=3)
    _assert_same_results(ours, theirs)
    # (the weights did reach the stacked fits: they change their scores)
    splits = [f"split{i}_test_score" for i in range(3)]
    assert not np.array_equal([ours.cv_results_[k] for k in splits],
                              [unweighted.cv_results_[k] for k in splits])
