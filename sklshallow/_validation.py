"""Parameter constraints and input checks.

The only module that imports scikit-learn's private helpers, so that a change
in them is mended in one place.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context  # noqa: F401  (re-exported)
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call  # noqa: F401
from sklearn.utils.validation import _check_sample_weight  # noqa: F401

from ._network import ACTIVATION_ALIASES, ACTIVATIONS

# Shared by every estimator: the training loop's parameters.
LOOP_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "shuffle": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    # Device strings are checked in fit (custom constraints are not allowed).
    "device": [str],
}

CLASS_WEIGHT_CONSTRAINT = {"class_weight": [dict, StrOptions({"balanced"}), None]}

MLP_CONSTRAINTS = {
    **LOOP_CONSTRAINTS,
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS) | set(ACTIVATION_ALIASES))],
    "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
    "tol": [Interval(Real, 0, None, closed="left")],
    # As sklearn's MLP: 0 is accepted, and refused in fit with early stopping.
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
}


def hidden_layer_sizes_list(hidden_layer_sizes):
    """The hidden layer sizes as a list of positive ints, or a ValueError."""
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    sizes = list(hidden_layer_sizes)
    # bool is an Integral, but (True,) is a mistake, not one unit.
    if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in sizes):
        raise TypeError(
            f"hidden_layer_sizes must hold integers, got {hidden_layer_sizes!r}."
        )
    if not all(n > 0 for n in sizes):
        raise ValueError(
            f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes}."
        )
    return [int(n) for n in sizes]


def canonical_activation(name):
    return ACTIVATION_ALIASES.get(name, name)
