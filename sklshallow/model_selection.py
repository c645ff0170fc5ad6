"""Hyperparameter searches that train their fits together, as stacks.

:class:`GridSearchCV` and :class:`RandomizedSearchCV` are scikit-learn's,
with one change: the candidate x split fits of an sklshallow network (alone
or at the end of a ``Pipeline``) that trains by stochastic steps are grouped
into stacks, and each stack trains as one program (``_stacking``). Every fit
of a stack is the fit sklearn's search would make, so ``cv_results_``,
``best_params_`` and the rest are sklearn's; only the time changes.

The seam is small on purpose: the search runs scikit-learn's own ``fit``,
whose only difference is the ``Parallel`` it calls. Ours receives the fits
sklearn would dispatch one by one (each a call of sklearn's
``_fit_and_score``) and dispatches stacks of them instead; inside a stack,
each fit still runs ``_fit_and_score`` (preprocessing, fit, scoring, error
handling), in a thread that meets the others once per epoch.

That seam is private to scikit-learn, so each search first checks what it
relies on (``_why_not_stacked``): where anything differs, it runs as
scikit-learn's own search, with a warning that says why.
"""

import functools
import inspect
import math
import numbers
import types
import warnings

import numpy as np
import sklearn
from joblib import effective_n_jobs
from sklearn.base import _fit_context, clone
from sklearn.model_selection import _search
from sklearn.model_selection import _search_successive_halving as _halving
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.parallel import Parallel, delayed

from ._base import BaseShallowNetwork
from ._stacking import run_together

__all__ = [
    "GridSearchCV",
    "HalvingGridSearchCV",
    "HalvingRandomSearchCV",
    "RandomizedSearchCV",
]

# Parameters a stack holds per fit. Any other parameter of the network (its
# shape, activation, solver, batch size, early stopping, device, ...) fixes
# how its steps are computed: fits that differ there go to different stacks.
PER_FIT = frozenset({
    "alpha", "learning_rate_init", "learning_rate", "momentum", "beta_1", "beta_2",
    "epsilon", "power_t", "tol", "n_iter_no_change", "max_iter", "random_state",
    "validation_fraction", "class_weight", "verbose", "warm_start", "eta0",
    "penalty", "l1_ratio",
})

# What "auto" lets one stack hold, in bytes: its fits' parameters, gradients,
# optimizer state and batches, and each fit's copies of its (preprocessed)
# training data, which live while the stack trains (scikit-learn's search
# holds one fit's at a time). Measured on W4: ~4 MiB more peak memory per
# fit of a stack; 48 MiB keeps that search within 1.5x of scikit-learn's peak.
STACK_MEMORY = 48 * 2**20
TF_STACK_MEMORY = 256 * 2**20  # for a TensorFlow device ("gpu", "/CPU:0", ...)
MAX_STACK = 256


def _network_of(estimator, parameters):
    """The sklshallow network that ``estimator`` with the candidate's
    ``parameters`` trains stochastically, or None."""
    estimator = clone(estimator).set_params(**clone(parameters, safe=False))
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    if isinstance(estimator, BaseShallowNetwork) and not estimator._uses_lbfgs():
        return estimator
    return None


def _stack_key(estimator, parameters):
    """Fits with equal keys can share a stack; None: the fit trains alone."""
    net = _network_of(estimator, parameters)
    if net is None:
        return None
    fixed = {k: v for k, v in net.get_params(deep=False).items() if k not in PER_FIT}
    return type(net), repr(sorted(fixed.items()))


def _fit_bytes(net, n_samples, n_features):
    """A generous estimate of one stacked fit's memory, for ``stack_size='auto'``."""
    hidden = list(getattr(net, "hidden_layer_sizes", ()) or ())
    units = [n_features] + [int(h) for h in np.atleast_1d(hidden)] + [10]
    n_params = sum((a + 1) * b for a, b in zip(units[:-1], units[1:]))
    batch = 200 if net.batch_size == "auto" else int(net.batch_size)
    # parameters, gradient, 2 work arrays, <= 2 optimizer slots, a snapshot;
    # activations of a batch (forward and backward); the copies of the data
    # a fit holds while it trains (measured: ~5 of the training split's size).
    return 8 * (7 * n_params + 3 * batch * sum(units) + 5 * n_samples * (n_features + 1))


def _train_stack(function, calls):
    """Run sklearn's ``_fit_and_score`` for each of ``calls`` (its arguments),
    as one stack (``_stacking.run_together``). ``fit_time`` becomes each
    fit's share of the stack's time."""
    if len(calls) == 1:
        args, kwargs = calls[0]
        return [function(*args, **kwargs)]
    results, errors = run_together(
        [functools.partial(function, *args, **kwargs) for args, kwargs in calls]
    )
    for exc in errors:
        if exc is not None:  # error_score="raise"
            raise exc
    for result in results:
        if isinstance(result, dict) and "fit_time" in result:
            result["fit_time"] /= len(calls)
    return results


# What a task of the search's Parallel must carry for its fit to be stacked.
_TASK_KEYWORDS = frozenset({"caller", "parameters", "split_progress", "train"})


class _StackingParallel(Parallel):
    """sklearn's ``Parallel``, which a stacking search's ``fit`` calls: it
    turns the search's fits into stacks and dispatches the stacks."""

    def __call__(self, iterable):
        tasks = list(iterable)
        if not tasks:
            return super().__call__(tasks)
        if not all(len(t) == 3 and len(t[1]) >= 3 and _TASK_KEYWORDS <= t[2].keys()
                   for t in tasks):
            _warn_not_stacked("its fits do not come as calls of _fit_and_score("
                              "estimator, X, y, caller=, parameters=, train=, ...)")
            return super().__call__(tasks)
        search = tasks[0][2]["caller"]
        if not isinstance(search, _StackedSearch):
            return super().__call__(tasks)
        stacks = search._plan_stacks(tasks, effective_n_jobs(self.n_jobs))
        function = getattr(tasks[0][0], "function", tasks[0][0])  # sklearn's _fit_and_score
        out = super().__call__(
            delayed(_train_stack)(function, [tasks[i][1:] for i in stack]) for stack in stacks
        )
        results = [None] * len(tasks)
        for stack, stack_results in zip(stacks, out):
            for i, result in zip(stack, stack_results):
                results[i] = result
        return results


def _warn_not_stacked(reason):
    warnings.warn(
        f"The fits of this search were not stacked: on scikit-learn "
        f"{sklearn.__version__}, {reason}. It ran as scikit-learn's own search "
        "(the same results, one fit at a time).",
        UserWarning,
        stacklevel=3,
    )


def _why_not_stacked():
    """None if scikit-learn's search is as this module relies on, else what
    differs: ``BaseSearchCV.fit`` is one ``_fit_context`` around code that
    calls ``sklearn.utils.parallel.Parallel`` on ``_fit_and_score(estimator,
    X, y, ..., caller=, parameters=, split_progress=, train=)`` calls."""
    fit, hops = _search.BaseSearchCV.fit, 0
    while hasattr(fit, "__wrapped__"):
        fit, hops = fit.__wrapped__, hops + 1
    if hops != 1 or not isinstance(fit, types.FunctionType):
        return "BaseSearchCV.fit is not the one decorated function this search rebuilds"
    if fit.__globals__.get("Parallel") is not Parallel:
        return "BaseSearchCV.fit does not call sklearn.utils.parallel.Parallel"
    fit_and_score = fit.__globals__.get("_fit_and_score")
    try:
        signature = inspect.signature(fit_and_score)
    except (TypeError, ValueError):
        return "its search does not fit through _fit_and_score"
    names = list(signature.parameters)
    missing = sorted(_TASK_KEYWORDS - set(names))
    if names[:3] != ["estimator", "X", "y"] or missing:
        return f"_fit_and_score takes {names}, without {missing or 'estimator, X, y first'}"
    return None


def _stacked_fit():
    """scikit-learn's ``BaseSearchCV.fit``, calling ``_StackingParallel``:
    the same code object (so the same search), other globals (taken now, so
    that they are scikit-learn's current ones)."""
    raw = inspect.unwrap(_search.BaseSearchCV.fit)
    namespace = dict(raw.__globals__, Parallel=_StackingParallel)
    stacked = types.FunctionType(
        raw.__code__, namespace, raw.__name__, raw.__defaults__, raw.__closure__
    )
    return _fit_context(prefer_skip_nested_validation=False)(stacked)


_FIT_DOC = """Run fit with all sets of parameters, the fits of a network as stacks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : array-like of shape (n_samples, n_output) or (n_samples,), default=None
            Targets.
        **params : dict of str -> object
            Parameters passed to the ``fit`` method of the estimator, the
            scorer and the CV splitter, as scikit-learn's search passes them.

        Returns
        -------
        self : object
            Instance of fitted estimator.
        """


class _StackedSearch(_search.BaseSearchCV):
    """What the stacked searches add to scikit-learn's: a ``fit`` that is
    ``BaseSearchCV.fit`` run with ``_StackingParallel``. Each search class
    lists it after scikit-learn's class, so that it sits right above
    ``BaseSearchCV``: the successive-halving searches' own ``fit`` then runs
    first and calls it, as it calls ``BaseSearchCV.fit`` in scikit-learn."""

    def fit(self, X, y=None, **params):
        reason = _why_not_stacked()
        if reason is not None:
            _warn_not_stacked(reason)
            return super().fit(X, y, **params)
        return _stacked_fit()(self, X, y, **params)

    fit.__doc__ = _FIT_DOC

    def _plan_stacks(self, tasks, n_workers):
        """Lists of task indices: fits that can share a stack, in groups of at
        most ``stack_size`` (and at least as many groups as workers), a
        split's fits together; every other fit alone."""
        groups, alone = {}, []
        for i, (_, args, kwargs) in enumerate(tasks):
            key = _stack_key(args[0], kwargs["parameters"])
            if key is None:
                alone.append([i])
            else:
                groups.setdefault(key, []).append(i)
        stacks = []
        for members in groups.values():
            # By split: fits of one split see the same (preprocessed) rows.
            members.sort(key=lambda i: tasks[i][2]["split_progress"][0])
            size = min(self._stack_limit(tasks, members), math.ceil(len(members) / n_workers))
            n_stacks = math.ceil(len(members) / max(size, 1))
            stacks += [list(chunk) for chunk in np.array_split(members, n_stacks)]
        return stacks + alone

    def _stack_limit(self, tasks, members):
        if self.stack_size != "auto":
            return self.stack_size
        _, args, kwargs = tasks[members[0]]
        X = args[1]
        n_features = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else 1
        net = _network_of(args[0], kwargs["parameters"])
        per_fit = _fit_bytes(net, len(kwargs["train"]), n_features)
        # A TensorFlow device's stack pays by its size (one program steps all
        # of it) and by its shape staying put (each new shape compiles).
        budget = STACK_MEMORY if net.device.lower() in ("cpu", "auto") else TF_STACK_MEMORY
        return int(np.clip(budget // per_fit, 1, MAX_STACK))


_STACK_SIZE_DOC = """
    stack_size : int or 'auto', default='auto'
        The most fits one stack trains at once. ``'auto'`` fits as many as a
        budget of 48 MiB per stack allows (parameters, optimizer state,
        batches and each fit's copies of its training data, which live while
        the stack trains), 256 MiB on a TensorFlow device, and at most 256.
        Searches with ``n_jobs`` workers make at least as many stacks as
        workers. Stacking changes the speed, never the models.
"""

_CONSTRAINT = {
    "stack_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
}


def _doc(cls, what):
    return f"""{what}, training its fits together as stacks of networks.

    A drop-in for :class:`sklearn.model_selection.{cls.__name__}` (the same
    parameters, attributes and results) with one more keyword,
    ``stack_size``. When the estimator is an sklshallow network with a
    stochastic solver ('sgd', 'adam'; the perceptron), or a ``Pipeline``
    ending in one, the candidate x split fits that share a network shape and
    solver train as one stack: each is still exactly the fit
    ``clone(estimator).set_params(**params).fit(X[train], y[train])`` (same
    initial weights, batches, early stopping and result), but their
    mini-batch steps run together. Any other estimator (or lbfgs) is
    searched as scikit-learn searches it. ``mean_fit_time`` is each fit's
    share of its stack's time.

    See :class:`sklearn.model_selection.{cls.__name__}` for every other
    parameter and attribute, and the user guide's page on tuning.

    Parameters
    ----------
    *args, **kwargs
        As :class:`sklearn.model_selection.{cls.__name__}`.
{_STACK_SIZE_DOC}
    """


class GridSearchCV(_search.GridSearchCV, _StackedSearch):
    __doc__ = _doc(_search.GridSearchCV, "Exhaustive search over a parameter grid") + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklshallow import MLPClassifierTF
    >>> from sklshallow.model_selection import GridSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifierTF(
    ...     hidden_layer_sizes=(8,), max_iter=50, random_state=0))
    >>> grid = {"mlpclassifiertf__learning_rate_init": [1e-3, 1e-2]}
    >>> search = GridSearchCV(pipe, grid, cv=3).fit(X, y)  # doctest: +SKIP
    >>> search.best_params_  # doctest: +SKIP
    {'mlpclassifiertf__learning_rate_init': 0.01}
    """

    _parameter_constraints: dict = {**_search.GridSearchCV._parameter_constraints, **_CONSTRAINT}

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        stack_size="auto",
    ):
        super().__init__(
            estimator,
            param_grid,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.stack_size = stack_size


class RandomizedSearchCV(_search.RandomizedSearchCV, _StackedSearch):
    __doc__ = _doc(_search.RandomizedSearchCV, "Randomized search over parameters")

    _parameter_constraints: dict = {
        **_search.RandomizedSearchCV._parameter_constraints, **_CONSTRAINT
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        stack_size="auto",
    ):
        super().__init__(
            estimator,
            param_distributions,
            n_iter=n_iter,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.stack_size = stack_size


class HalvingGridSearchCV(_halving.HalvingGridSearchCV, _StackedSearch):
    __doc__ = _doc(_halving.HalvingGridSearchCV, "Search over a grid by successive halving") + """
    Each iteration's candidate x split fits train as stacks; with
    ``resource='max_iter'``, fits of different ``max_iter`` share stacks.
    scikit-learn's class is experimental: so is this one.
    """

    _parameter_constraints: dict = {
        **_halving.HalvingGridSearchCV._parameter_constraints, **_CONSTRAINT
    }

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        factor=3,
        resource="n_samples",
        max_resources="auto",
        min_resources="exhaust",
        aggressive_elimination=False,
        cv=5,
        scoring=None,
        refit=True,
        error_score=np.nan,
        return_train_score=True,
        random_state=None,
        n_jobs=None,
        verbose=0,
        stack_size="auto",
    ):
        super().__init__(
            estimator,
            param_grid,
            factor=factor,
            resource=resource,
            max_resources=max_resources,
            min_resources=min_resources,
            aggressive_elimination=aggressive_elimination,
            cv=cv,
            scoring=scoring,
            refit=refit,
            error_score=error_score,
            return_train_score=return_train_score,
            random_state=random_state,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.stack_size = stack_size


class HalvingRandomSearchCV(_halving.HalvingRandomSearchCV, _StackedSearch):
    __doc__ = _doc(
        _halving.HalvingRandomSearchCV, "Randomized search by successive halving"
    ) + """
    Each iteration's candidate x split fits train as stacks; with
    ``resource='max_iter'``, fits of different ``max_iter`` share stacks.
    scikit-learn's class is experimental: so is this one.
    """

    _parameter_constraints: dict = {
        **_halving.HalvingRandomSearchCV._parameter_constraints, **_CONSTRAINT
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_candidates="exhaust",
        factor=3,
        resource="n_samples",
        max_resources="auto",
        min_resources="smallest",
        aggressive_elimination=False,
        cv=5,
        scoring=None,
        refit=True,
        error_score=np.nan,
        return_train_score=True,
        random_state=None,
        n_jobs=None,
        verbose=0,
        stack_size="auto",
    ):
        super().__init__(
            estimator,
            param_distributions,
            n_candidates=n_candidates,
            factor=factor,
            resource=resource,
            max_resources=max_resources,
            min_resources=min_resources,
            aggressive_elimination=aggressive_elimination,
            cv=cv,
            scoring=scoring,
            refit=refit,
            error_score=error_score,
            return_train_score=return_train_score,
            random_state=random_state,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        self.stack_size = stack_size
