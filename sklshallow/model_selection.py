"""Hyperparameter searches that train their fits together, as stacks.

:class:`GridSearchCV` and the others are scikit-learn's searches, run under
:func:`sklshallow.stacked`: the candidate x split fits of an sklshallow
network (alone or at the end of a ``Pipeline``) that trains by stochastic
steps are grouped into stacks by the joblib backend, and each stack trains
as one program. Every fit of a stack is the fit sklearn's search would
make, so ``cv_results_``, ``best_params_`` and the rest are sklearn's; only
the time changes. Nothing private to scikit-learn is used.
"""

import numbers

import numpy as np
from sklearn import model_selection as _search
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn import model_selection as _halving
from sklearn.utils._param_validation import Interval, StrOptions

from ._stacking import stacked

__all__ = [
    "GridSearchCV",
    "HalvingGridSearchCV",
    "HalvingRandomSearchCV",
    "RandomizedSearchCV",
]

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


class _StackedSearch:
    """What the stacked searches add to scikit-learn's: their ``fit`` runs
    under :func:`sklshallow.stacked`. Each search class lists it before
    scikit-learn's class, so that the successive-halving searches' own
    ``fit`` (their iterations) runs inside the context too."""

    def fit(self, X, y=None, **params):
        # stack_size is checked by the search's parameter validation first.
        self._validate_params()
        with stacked(stack_size=self.stack_size):
            return super().fit(X, y, **params)

    fit.__doc__ = _FIT_DOC


_STACK_SIZE_DOC = """
    stack_size : int or 'auto', default='auto'
        The most fits one stack trains at once. ``'auto'`` fits as many as a
        budget of 48 MiB per stack allows (parameters, optimizer state,
        batches and each fit's copies of its training data, which live while
        the stack trains), 256 MiB on a TensorFlow device, and at most 256;
        on the CPU, fits whose epochs are busy with products (W4's network
        and larger) one per core. Searches with ``n_jobs`` workers make at
        least as many stacks as workers. Stacking changes the speed, never
        the models.
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
    wall time in its stack, from its start to its end, while the stack
    stepped its neighbours too: fits of a stack overlap in time, so their
    times add up to more than the search took.

    See :class:`sklearn.model_selection.{cls.__name__}` for every other
    parameter and attribute, and the user guide's page on tuning.

    Parameters
    ----------
    *args, **kwargs
        As :class:`sklearn.model_selection.{cls.__name__}`.
{_STACK_SIZE_DOC}
    """


class GridSearchCV(_StackedSearch, _search.GridSearchCV):
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


class RandomizedSearchCV(_StackedSearch, _search.RandomizedSearchCV):
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


class HalvingGridSearchCV(_StackedSearch, _halving.HalvingGridSearchCV):
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


class HalvingRandomSearchCV(_StackedSearch, _halving.HalvingRandomSearchCV):
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
