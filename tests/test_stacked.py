"""``sklshallow.stacked``: every scikit-learn tool that fits many networks
through joblib trains them as stacks, with the results of the plain call.

Reference: the same call without the context (each fit alone, one after
another), compared output by output: scores, predictions, and every fitted
network's weights, ``n_iter_`` and ``loss_curve_``, to the bit (a stacked
step is the lone step on the member's rows).
"""

import importlib.util
import threading
import time
import warnings

import joblib
import numpy as np
import pytest
import sklearn
from scipy.stats import loguniform
from sklearn import model_selection as skms
from sklearn.base import BaseEstimator
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_linnerud
from sklearn.ensemble import (
    BaggingClassifier,
    BaggingRegressor,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.feature_selection import RFECV, SequentialFeatureSelector
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier, MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklshallow
from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier, _stacking

from .conftest import interrupted_after, needs_tf

HAS_DASK = importlib.util.find_spec("distributed") is not None

X_DIGITS, Y_DIGITS = load_digits(return_X_y=True)
X_DIGITS, Y_DIGITS = X_DIGITS[:500], Y_DIGITS[:500]
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_DIAB, Y_DIAB = load_diabetes(return_X_y=True)
X_DIAB, Y_DIAB = X_DIAB[:300], Y_DIAB[:300] / 100


def _net(**kw):
    params = dict(hidden_layer_sizes=(8,), max_iter=8, random_state=0)
    params.update(kw)
    return MLPClassifierTF(**params)


def _pipe(**kw):
    return make_pipeline(StandardScaler(), _net(**kw))


def _fitted(est):
    """What a fitted estimator learned: arrays and numbers, by name."""
    out = {}
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, BaseEstimator):
            out[name] = _fitted(value)
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], BaseEstimator):
            out[name] = [_fitted(v) for v in value]
        elif isinstance(value, (np.ndarray, list, tuple, float, int, np.number)):
            out[name] = value
    for step in getattr(est, "steps", []):
        out[step[0]] = _fitted(step[1])
    return out


def _assert_same(a, b, path="out"):
    """Equal to the bit, through dicts, lists, tuples and estimators."""
    if isinstance(a, BaseEstimator):
        assert type(a) is type(b), path
        _assert_same(_fitted(a), _fitted(b), path)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            if "time" not in str(key):  # fit_time, score_time: clocks
                _assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)) and not all(np.isscalar(v) for v in a):
        assert len(a) == len(b), path
        for i, (p, q) in enumerate(zip(a, b)):
            _assert_same(p, q, f"{path}[{i}]")
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=path)


def _both(call, **context):
    """``call()`` plain and under ``stacked``: (plain, stacked, stack sizes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = call()
        with sklshallow.stacked(**context) as s:
            stacked = call()
    return plain, stacked, s.stack_sizes


def _check(call, min_stack=2, **context):
    plain, stacked, sizes = _both(call, **context)
    _assert_same(plain, stacked)
    assert sizes and max(sizes) >= min_stack, sizes
    return plain, stacked, sizes


# ------------------------------------------------------------ one tool each


def test_cross_validate_stacks_its_splits():
    _, _, sizes = _check(lambda: skms.cross_validate(
        _pipe(), X_DIGITS, Y_DIGITS, cv=5, return_estimator=True, return_train_score=True))
    assert sizes == [5]


def test_cross_val_score_and_cross_val_predict():
    _check(lambda: skms.cross_val_score(_net(solver="sgd"), X_IRIS, Y_IRIS, cv=4))
    _check(lambda: skms.cross_val_predict(_pipe(), X_DIGITS, Y_DIGITS, cv=3,
                                          method="predict_proba"))


def test_validation_curve_stacks_its_values_and_splits():
    # Fits of one split and seed see the same batches; each still takes its
    # own first-layer product, the lone fit's to the bit.
    _, _, sizes = _check(lambda: skms.validation_curve(
        _pipe(hidden_layer_sizes=(10,)), X_DIGITS, Y_DIGITS, param_name="mlpclassifiertf__alpha",
        param_range=np.logspace(-4, 1, 6), cv=3))
    assert sum(sizes) == 18


def test_learning_curve_stacks_fits_of_unequal_rows():
    _check(lambda: skms.learning_curve(
        _pipe(), X_DIGITS, Y_DIGITS, train_sizes=[0.2, 0.5, 1.0], cv=3,
        return_times=False))


def test_permutation_test_score():
    _check(lambda: skms.permutation_test_score(
        _net(), X_IRIS, Y_IRIS, cv=3, n_permutations=4, random_state=0))


def test_scikit_learns_own_searches():
    grid = {"mlpclassifiertf__alpha": [1e-4, 1e-1],
            "mlpclassifiertf__learning_rate_init": [1e-3, 1e-2]}
    _check(lambda: skms.GridSearchCV(_pipe(), grid, cv=3).fit(X_DIGITS, Y_DIGITS).cv_results_)
    dist = {"alpha": loguniform(1e-5, 1e-1), "random_state": [0, 1, 2]}
    _check(lambda: skms.RandomizedSearchCV(
        MLPRegressor(hidden_layer_sizes=(6,), max_iter=10), dist, n_iter=4, cv=3, random_state=0
    ).fit(X_DIAB, Y_DIAB).cv_results_)


def test_bagging_makes_as_many_chunks_as_a_stack_takes():
    # Bagging splits its estimators into effective_n_jobs() chunks: under the
    # context, one per estimator, so that they stack instead of running one
    # after another in one task.
    def bag():
        return BaggingClassifier(_net(), n_estimators=6, random_state=0).fit(X_IRIS, Y_IRIS)

    plain, stacked, sizes = _check(bag)
    # (Bagging passes its chunk count back as n_jobs: more than the cores, so
    # a count of tasks, not of workers: one stack, in this process.)
    assert sizes == [6]
    np.testing.assert_array_equal(plain.predict_proba(X_IRIS), stacked.predict_proba(X_IRIS))
    _check(lambda: BaggingRegressor(MLPRegressor(hidden_layer_sizes=(6,), max_iter=10, random_state=0),
                                    n_estimators=4, random_state=0).fit(X_DIAB, Y_DIAB))


def test_one_vs_rest_and_one_vs_one():
    plain, stacked, sizes = _check(
        lambda: OneVsRestClassifier(_pipe()).fit(X_DIGITS, Y_DIGITS))
    assert sizes == [10]
    np.testing.assert_array_equal(plain.predict_proba(X_DIGITS), stacked.predict_proba(X_DIGITS))
    _check(lambda: OneVsOneClassifier(PerceptronClassifier(max_iter=20, batch_size=8)).fit(X_IRIS, Y_IRIS))


def test_multi_output_estimators():
    X, Y = load_linnerud(return_X_y=True)
    _check(lambda: MultiOutputRegressor(MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0)).fit(X, Y))
    Yc = np.stack([Y_IRIS, Y_IRIS == 1, Y_IRIS == 2], axis=1).astype(int)
    _check(lambda: MultiOutputClassifier(_net()).fit(X_IRIS, Yc))


def test_voting_and_stacking_with_other_estimators_in_the_call():
    # Networks of two shapes (two stacks), lbfgs (alone) and a forest (not a
    # network): each runs as it runs without the context.
    estimators = [("a", _pipe()), ("b", _pipe(alpha=1.0)), ("c", _pipe(hidden_layer_sizes=(5,))),
                  ("lbfgs", _pipe(solver="lbfgs", max_iter=20)),
                  ("forest", RandomForestClassifier(n_estimators=5, random_state=0))]
    _, _, sizes = _check(lambda: VotingClassifier(estimators, voting="soft").fit(
        X_DIGITS, Y_DIGITS))
    assert sorted(sizes) == [1, 1, 2]  # lbfgs alone; (5,) alone; the (8,) pair
    _check(lambda: StackingClassifier(
        estimators[:2], final_estimator=LogisticRegression(max_iter=200), cv=3
    ).fit(X_DIGITS, Y_DIGITS))


def test_feature_selection_searches():
    _check(lambda: SequentialFeatureSelector(
        _net(), n_features_to_select=2, cv=3).fit(X_IRIS, Y_IRIS).get_support())
    _check(lambda: RFECV(PerceptronClassifier(max_iter=20, batch_size=8), cv=3).fit(
        X_DIGITS[:, 20:40], Y_DIGITS).cv_results_)


def test_stochastic_perceptron_and_regressor_in_pipelines():
    _check(lambda: skms.cross_validate(
        make_pipeline(StandardScaler(), PerceptronClassifier(max_iter=15, batch_size=16)),
        X_DIGITS, Y_DIGITS, cv=4, return_estimator=True))
    _check(lambda: skms.cross_validate(
        make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(6,), solver="sgd", max_iter=15,
                                                     random_state=0)),
        X_DIAB, Y_DIAB, cv=4, return_estimator=True))


@needs_tf
def test_a_tensorflow_device_stacks_too():
    plain, stacked, sizes = _both(lambda: skms.cross_validate(
        _pipe(device="/CPU:0"), X_DIGITS, Y_DIGITS, cv=3, return_estimator=True))
    assert sizes == [3]
    np.testing.assert_allclose(plain["test_score"], stacked["test_score"], atol=1e-2)
    for a, b in zip(plain["estimator"], stacked["estimator"]):
        assert a[-1].n_iter_ == b[-1].n_iter_
        for p, q in zip(a[-1].coefs_, b[-1].coefs_):
            np.testing.assert_allclose(p, q, rtol=1e-3, atol=1e-3 * np.abs(p).max())


# ---------------------------------------------------- errors and metadata


class _Diverges(MLPClassifierTF):
    """Diverges where its training rows start with a 9: a fit that raises."""

    def fit(self, X, y, sample_weight=None):
        if y[0] == 9:
            self.set_params(learning_rate_init=1e6)
        return super().fit(X, y, sample_weight)


def test_a_fit_that_raises_fails_alone_or_raises():
    est = make_pipeline(StandardScaler(), _Diverges((8,), solver="sgd", max_iter=8,
                                                    random_state=0))
    X = X_DIGITS.astype(np.float32)  # (float32 weights overflow at that rate)
    y = Y_DIGITS.copy()
    y[0], y[300] = 9, 1
    cv = [(np.arange(300, 500), np.arange(300)), (np.arange(300), np.arange(300, 500))]
    with pytest.warns(sklearn.exceptions.FitFailedWarning, match="diverged"):
        plain = skms.cross_val_score(est, X, y, cv=cv)
    with sklshallow.stacked() as s:
        with pytest.warns(sklearn.exceptions.FitFailedWarning, match="diverged"):
            stacked = skms.cross_val_score(est, X, y, cv=cv)
    np.testing.assert_array_equal(plain, stacked)
    assert np.isnan(stacked).sum() == 1 and s.stack_sizes == [2]
    with sklshallow.stacked(), pytest.raises(ValueError, match="diverged"):
        skms.cross_val_score(est, X, y, cv=cv, error_score="raise")


def test_routed_sample_weight_reaches_every_stacked_fit():
    sw = np.random.RandomState(0).rand(len(X_DIGITS))
    with sklearn.config_context(enable_metadata_routing=True):
        net = _net().set_fit_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), net)

        def call(params):
            return skms.cross_validate(pipe, X_DIGITS, Y_DIGITS, cv=3, params=params,
                                       return_estimator=True)

        _, weighted, _ = _check(lambda: call({"sample_weight": sw}))
        unweighted = call(None)
    assert not np.array_equal(weighted["test_score"], unweighted["test_score"])


def test_ctrl_c_stops_every_fit_of_the_call():
    seconds = interrupted_after("""
from sklearn.model_selection import cross_validate
net = sklshallow.MLPClassifierTF((32,), max_iter=10**4, tol=0, n_iter_no_change=10**6)
with sklshallow.stacked():
    cross_validate(net, X, y, cv=3)
""")
    assert seconds < 20


# ------------------------------------------------ the context and joblib


def test_stack_size_is_checked_when_the_context_is_entered():
    for bad, error in [(0, ValueError), (-3, ValueError), ("big", ValueError),
                       (2.5, TypeError), (None, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="stack_size"):
            with sklshallow.stacked(stack_size=bad):
                pass
    with pytest.raises(ValueError, match="stack_size"):
        with joblib.parallel_config(backend="sklshallow", stack_size=0):
            pass


def test_stack_size_bounds_each_stack_and_changes_nothing():
    call = lambda: skms.cross_validate(_pipe(), X_DIGITS, Y_DIGITS, cv=5,  # noqa: E731
                                       return_estimator=True)
    plain, stacked, sizes = _both(call, stack_size=2)
    _assert_same(plain, stacked)
    assert max(sizes) == 2 and sum(sizes) == 5
    _, alone, sizes = _both(call, stack_size=1)
    _assert_same(plain, alone)
    assert sizes == [1] * 5


def test_the_backend_is_joblibs_sklshallow_and_sizes_outlive_the_context(capsys):
    call = lambda: skms.cross_val_score(_pipe(), X_DIGITS, Y_DIGITS, cv=3)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = call()
        with joblib.parallel_config(backend="sklshallow", stack_size=3):
            backend, _ = joblib.parallel.get_active_backend()
            assert isinstance(backend, _stacking.StackingBackend)
            np.testing.assert_array_equal(call(), plain)
        assert backend.stack_sizes == [3]
        with sklshallow.stacked(verbose=1) as s:
            call()
    assert s.stack_sizes == [3]  # read after the context closed
    assert "stacks of [3]" in capsys.readouterr().out


def test_explicit_n_jobs_spreads_the_stacks_over_workers():
    # Two loky workers: the six fits go out as two stacks of three.
    call = lambda: skms.cross_validate(_pipe(), X_DIGITS, Y_DIGITS, cv=6,  # noqa: E731
                                       n_jobs=2, return_estimator=True)
    plain, stacked, sizes = _both(call)
    _assert_same(plain, stacked)
    assert sizes == [3, 3]


def test_over_threads_the_stacking_backend_is_a_layer():
    call = lambda: skms.cross_validate(_pipe(), X_DIGITS, Y_DIGITS, cv=4,  # noqa: E731
                                       return_estimator=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = call()
        with joblib.parallel_config(backend="threading", n_jobs=2):
            with sklshallow.stacked() as s:
                backend, _ = joblib.parallel.get_active_backend()
                assert isinstance(backend.inner, joblib.parallel.ThreadingBackend)
                stacked = call()
    _assert_same(plain, stacked)
    assert s.stack_sizes == [2, 2]


@pytest.mark.skipif(not HAS_DASK, reason="distributed is not installed (the dask extra)")
def test_on_a_dask_cluster_a_stack_is_one_task():
    from distributed import Client, LocalCluster, get_task_stream

    call = lambda: skms.cross_validate(_pipe(), X_DIGITS, Y_DIGITS, cv=4,  # noqa: E731
                                       return_estimator=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = call()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            with joblib.parallel_config(backend="dask"), sklshallow.stacked() as s, \
                    get_task_stream(client) as stream:
                stacked = call()
    _assert_same(plain, stacked)
    assert s.stack_sizes == [2, 2]
    # Two tasks of the cluster, each a stack of two fits (joblib names a
    # task after its calls: here one call of _run_stack).
    keys = [str(task["key"]) for task in stream.data]
    assert len(keys) == 2 and all("_run_stack" in key for key in keys), keys


def test_busy_fits_train_one_per_core_in_parallel(monkeypatch):
    # W4's fits spend their epochs in products: "auto" gives each core one
    # fit at a time, which steps without waiting for the others, the BLAS
    # single-threaded under it (two would fight for the cores).
    from threadpoolctl import threadpool_info

    from sklshallow._backends._numpy import NumpyBackend

    monkeypatch.setattr(_stacking, "_cores", lambda: 2)
    main, epochs, blas = threading.get_ident(), [], set()
    original = NumpyBackend.run_epoch

    def spy(self, *args):
        start = time.perf_counter()
        loss = original(self, *args)
        if threading.get_ident() != main:  # in the stack's threads
            epochs.append((threading.get_ident(), start, time.perf_counter()))
            if len(epochs) == 1:
                blas.update(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return loss

    monkeypatch.setattr(NumpyBackend, "run_epoch", spy)
    X, y = load_digits(return_X_y=True)
    call = lambda: skms.cross_validate(  # noqa: E731
        MLPClassifierTF((64,), max_iter=10, random_state=0), StandardScaler().fit_transform(X),
        y, cv=4, return_estimator=True)
    plain, stacked, sizes = _both(call)
    _assert_same(plain, stacked)
    assert sum(sizes) == 4 and max(sizes) == 2  # two at a time, as many rounds as it took
    assert blas == {1}
    threads = {thread for thread, *_ in epochs}
    assert len(threads) == 2 and len(epochs) == 40
    overlapping = [(a, b) for a in epochs for b in epochs
                   if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]]
    assert overlapping  # the two cores' epochs ran at the same time


def test_threads_and_memory_stay_bounded_by_the_stack_budget():
    # A 2,000-fit search of tiny networks: at most MAX_STACK threads of fits
    # at a time, and at most stack_size with an explicit one.
    peak = [0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], threading.active_count())
            stop.wait(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    before = threading.active_count()
    watcher.start()
    search = skms.RandomizedSearchCV(
        MLPClassifierTF((2,), max_iter=2, batch_size=50), {"alpha": loguniform(1e-5, 1)},
        n_iter=500, cv=4, random_state=0)
    try:
        with warnings.catch_warnings(), sklshallow.stacked(stack_size=16) as s:
            warnings.simplefilter("ignore")
            search.fit(X_IRIS, Y_IRIS)
    finally:
        stop.set()
        watcher.join()
    assert sum(s.stack_sizes) == 2000 and max(s.stack_sizes) <= 16
    assert peak[0] - before <= 16 + 3  # a stack's threads, its runner, the watcher


def test_backends_never_import_the_stacking_layer():
    # The layering: _stacking gathers fits and imports the backends (a
    # member is a backend); no import runs back up.
    import ast
    from pathlib import Path

    folder = Path(sklshallow.__file__).parent / "_backends"
    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any("_stacking" in n for n in names), (source.name, names)
