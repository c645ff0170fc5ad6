"""Stochastic optimizers with sklearn's formulas: their state and schedules.

An optimizer holds its hyperparameters, its learning rate (the rate of the
coming epoch, changed between epochs by the schedules, as sklearn's
``SGDOptimizer`` does) and its state (velocities, moments): NumPy arrays
shaped like the flat vector of all the weights. The compiled epoch
(``_backends/_epoch.pyx``) applies the updates to them in place, in sklearn's
order of operations; the TensorFlow backend copies the state in at the start
of fit and back at the end, and applies the same formulas in its graph. The
state pickles with the estimator.
"""

import math

import numpy as np


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
