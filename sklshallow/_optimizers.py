"""Stochastic optimizers with sklearn's formulas, updating arrays in place.

An optimizer's state (velocities, moments) is a list of NumPy arrays with the
shapes of the ``params`` it was made for; the estimators make it for one flat
vector of all the weights, so that a step is one pass over one array. The
state pickles with the estimator; the TensorFlow backend copies it in at the
start of fit and back at the end, and applies the same formulas in its graph.

At small batches these elementwise updates, not the matrix products, set the
pace: each one is a single compiled pass over the parameters
(``_backends/_updates.pyx``), in sklearn's order of operations, so that the
NumPy backend follows sklearn's steps exactly.
"""

import math

import numpy as np

from ._backends import _updates


def _per_row(value, n_rows, dtype):
    """A hyperparameter, one per row: a number (the lone network's, one row),
    or a stack's ``(K, 1)`` array."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value.reshape(-1), dtype)
    return np.array([value] * n_rows, dtype)


def _rows(a):
    return a.reshape(1, -1) if a.ndim == 1 else a


def sgd_update(p, g, v, lr, mu, nesterov):
    """scikit-learn's momentum step, in place: ``v <- mu v - lr g``, then
    ``p <- p + v``, or with Nesterov ``p <- p + (mu v - lr g)``. ``p``, ``g``
    and ``v`` are one flat array, or a stack's ``(K, P)`` (``_stacking``);
    the hyperparameters numbers or ``(K, 1)`` arrays. One compiled pass
    (``_backends._updates``)."""
    p, g, v = _rows(p), _rows(g), _rows(v)
    K, dtype = p.shape[0], p.dtype
    _updates.sgd_update(p, g, v, _per_row(lr, K, dtype), _per_row(mu, K, dtype), nesterov)


def adam_update(p, g, m, v, lr, beta_1, beta_2, epsilon):
    """scikit-learn's Adam step, in place and in its order of operations:
    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - (lr_t m) / (sqrt(v) + eps)``. ``beta_1`` and ``beta_2`` are
    pairs ``(b, 1 - b)``; shapes as in ``sgd_update``."""
    p, g, m, v = _rows(p), _rows(g), _rows(m), _rows(v)
    K, dtype = p.shape[0], p.dtype
    (b1, c1), (b2, c2) = beta_1, beta_2
    _updates.adam_update(p, g, m, v, *(_per_row(x, K, dtype) for x in (lr, b1, c1, b2, c2, epsilon)))


def adam_rate(learning_rate_init, beta_1, beta_2, t):
    """The step size of Adam's step ``t``, with sklearn's bias corrections
    (a Python float: a NumPy float64 would up-cast float32 parameters)."""
    return float(learning_rate_init) * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)


class SGD:
    """Stochastic gradient descent with momentum and learning-rate schedules.

    ``learning_rate`` is the rate used for the steps of the coming epoch;
    ``iteration_ends`` and ``trigger_stopping`` change it between epochs, as
    sklearn's ``SGDOptimizer`` does.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocities = [np.zeros_like(p) for p in params]

    @property
    def state(self):
        return self.velocities

    def step(self, params, grads):
        """One update of ``params`` in place, given their gradients."""
        for p, g, v in zip(params, grads, self.velocities):
            sgd_update(p, g, v, self.learning_rate, self.momentum, self.nesterov)

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam:
    """Adam with sklearn's placement of the bias correction and epsilon.

    The bias corrections scale the step size,
    ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, and epsilon is added
    to the uncorrected ``sqrt(v)``; Keras' Adam differs on both counts.
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    @property
    def state(self):
        return self.ms + self.vs

    def step(self, params, grads):
        """One update of ``params`` in place, given their gradients."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr = self.learning_rate = adam_rate(self.learning_rate_init, b1, b2, self.t)
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            adam_update(p, g, m, v, lr, (b1, 1 - b1), (b2, 1 - b2), self.epsilon)

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


def to_state(optimizer):
    """The optimizer as plain data (a dict of numbers, strings and arrays),
    for files: skops trusts those, and loading runs no optimizer code."""
    return {"kind": type(optimizer).__name__, **vars(optimizer)}


def from_state(state):
    """The optimizer that ``to_state`` described."""
    state = dict(state)
    cls = {"SGD": SGD, "Adam": Adam}[state.pop("kind")]
    optimizer = cls.__new__(cls)
    vars(optimizer).update(state)
    return optimizer
