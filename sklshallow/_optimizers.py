"""Stochastic optimizers on lists of NumPy arrays, with sklearn's formulas.

Their state is NumPy arrays, so a fitted estimator pickles as it is; the
TensorFlow backend copies the state in at the start of an epoch and back at
the end, and applies the same formulas (``step`` below) in its graph.
"""

import math

import numpy as np


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
        lr, mu = self.learning_rate, self.momentum
        for p, g, v in zip(params, grads, self.velocities):
            # v <- mu v - lr g; p <- p + v, or with Nesterov p <- p + mu v - lr g
            v *= mu
            v -= lr * g
            if self.nesterov:
                p += mu * v - lr * g
            else:
                p += v

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
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        # A Python float: a NumPy float64 scalar would up-cast float32 params.
        lr = float(self.learning_rate_init) * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.learning_rate = lr
        for p, g, m, v in zip(params, grads, self.ms, self.vs):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom += self.epsilon
            p -= lr * m / denom

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True
