"""The TensorFlow backend: every step of an epoch in one compiled program.

The only module that imports TensorFlow. It trains the network that
``_network`` defines, with the optimizer formulas of ``_optimizers``; NumPy
decides everything random (initial weights, batch order, early-stopping
split) and receives the weights back at the end of fit.

What stays the same as NumPy, step by step: the batch order (the permutation
comes in as an index array), the per-batch loss (the padded last batch gives
its padding rows weight 0 and divides by the real rows' weight), the
optimizer formulas (sklearn's Adam, not Keras'), and float32 precision
(TensorFloat-32 is switched off while training).
"""

import contextlib
import logging
import math
import os

import numpy as np

# TensorFlow's C++ start-up chatter (CPU features, oneDNN) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402

from .._optimizers import SGD, Adam


class _ExpectedRetracing(logging.Filter):
    """A program is traced again for new data shapes or dtypes, by design;
    TensorFlow's warning about retracing is dropped for this module's
    programs (named ``sklshallow_...``) only."""

    def filter(self, record):
        message = record.getMessage()
        return not ("retracing" in message and "sklshallow_" in message)


tf.get_logger().addFilter(_ExpectedRetracing())


def visible_devices(kind=None):
    """Names of the logical devices TensorFlow sees, e.g. '/device:CPU:0'."""
    return [d.name for d in tf.config.list_logical_devices(kind)]


def _canonical(device):
    kind, index = device.upper().replace("/DEVICE:", "").lstrip("/").split(":")
    return f"/device:{kind}:{index}"


def check_device_exists(device):
    # A well-formed name of a device this machine lacks (a GPU on a laptop):
    # the environment is wrong, not the value, hence RuntimeError as for "gpu".
    if _canonical(device) not in visible_devices():
        raise RuntimeError(
            f"device={device!r} is not available: TensorFlow sees {visible_devices()}."
        )


@contextlib.contextmanager
def _exact_float32():
    # TF32 matrix products (Ampere and newer GPUs) keep ~3 decimal digits:
    # off while training, so that float32 follows the NumPy steps; restored after.
    previous = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(previous)


_HIDDEN = {
    "identity": tf.identity,
    "logistic": tf.sigmoid,
    "tanh": tf.tanh,
    "relu": tf.nn.relu,
    "leaky_relu": lambda Z: tf.maximum(Z, 0.01 * Z),
}


def _sample_losses(out_activation, Z, Y):
    """Per-sample losses whose gradient in Z is output - target, as in
    ``_network.OUTPUTS`` (written on logits, so autodiff gives exactly that)."""
    if out_activation == "softmax":
        return -tf.reduce_sum(Y * tf.nn.log_softmax(Z), axis=1)
    if out_activation == "logistic":
        return tf.reduce_sum(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=Z), axis=1
        )
    if out_activation == "identity":
        return 0.5 * tf.reduce_sum(tf.square(Z - Y), axis=1)
    if out_activation == "exp":  # half Poisson deviance of exp(z)
        return tf.reduce_sum(tf.exp(Z) - Y * Z + tf.math.xlogy(Y, Y) - Y, axis=1)
    # step: the perceptron criterion, y_hat held constant.
    Y_hat = tf.stop_gradient(tf.cast(Z >= 0, Z.dtype))
    return tf.reduce_sum((Y_hat - Y) * Z, axis=1)


def _logits(W, b, X, activation):
    A = X
    for W_i, b_i in zip(W[:-1], b[:-1]):
        A = _HIDDEN[activation](tf.matmul(A, W_i) + b_i)
    return tf.matmul(A, W[-1]) + b[-1]


def _loss_and_grads(net, W, b, X, Y, weights, count):
    """Mean loss of a batch (``weights`` are 0 on padding rows), as
    ``_network.loss_and_grads`` defines it, and its gradient."""
    with tf.GradientTape() as tape:
        tape.watch(W + b)
        denom = tf.reduce_sum(weights) if net.normalize_weights else count
        denom = tf.where(denom > 0, denom, tf.ones_like(denom))  # as _network
        data = tf.reduce_sum(weights * _sample_losses(net.out_activation, _logits(W, b, X, net.activation), Y))
        penalty = 0.5 * net.alpha * tf.add_n([tf.reduce_sum(W_i * W_i) for W_i in W])
        loss = (data + tf.cast(penalty, X.dtype)) / denom
    grads = tape.gradient(loss, W + b)
    if not net.fit_intercept:
        grads = grads[: len(W)] + [tf.zeros_like(b_i) for b_i in b]
    return loss, grads


def _rule(optimizer):
    """The optimizer's formula and constants, as a hashable key."""
    if isinstance(optimizer, SGD):
        return ("sgd", optimizer.momentum, optimizer.nesterov)
    return ("adam", optimizer.beta_1, optimizer.beta_2, optimizer.epsilon)


def _step(rule, params, grads, slots, t, lr):
    """sklearn's update formulas (see ``_optimizers``), on variables."""
    c = lambda x: tf.constant(x, lr.dtype)  # noqa: E731
    if rule[0] == "sgd":
        mu, nesterov = c(rule[1]), rule[2]
        for p, g, v in zip(params, grads, slots):
            v.assign(mu * v - lr * g)
            p.assign_add(mu * v - lr * g if nesterov else v)
        return
    # sklearn's Adam: bias corrections scale the rate, epsilon outside.
    beta_1, beta_2, eps = rule[1:]
    t.assign_add(1)
    t64 = tf.cast(t, tf.float64)
    rate = lr * tf.cast(tf.sqrt(1.0 - beta_2**t64) / (1.0 - beta_1**t64), lr.dtype)
    k = len(params)
    for p, g, m, v in zip(params, grads, slots[:k], slots[k:]):
        m.assign(m * c(beta_1) + c(1 - beta_1) * g)
        v.assign(v * c(beta_2) + c(1 - beta_2) * (g * g))
        p.assign_sub(rate * m / (tf.sqrt(v) + c(eps)))


# Compiled programs, shared by every fit with the same network and optimizer
# formula: variables and data are arguments, so a new fit (a partial_fit call,
# a grid-search fold) reuses the trace, and XLA its compilation for the same
# shapes.
_PROGRAMS = {}


def _epoch_program(net, rule):
    key = ("epoch", net, rule)
    if key not in _PROGRAMS:

        def sklshallow_epoch(X, Y, sw, W, b, slots, t, batches, masks, lr):
            total = tf.zeros((), X.dtype)
            for k in tf.range(tf.shape(batches)[0]):
                idx, mask = batches[k], masks[k]
                count = tf.reduce_sum(mask)
                weights = tf.gather(sw, idx) * mask
                loss, grads = _loss_and_grads(
                    net, W, b, tf.gather(X, idx), tf.gather(Y, idx), weights, count
                )
                _step(rule, W + b, grads, slots, t, lr)
                total += loss * count
            return total

        # XLA compiles the whole epoch, loop included: on CPU it made W1's
        # epoch ~1.3x and W2's ~15x faster than the plain graph.
        _PROGRAMS[key] = tf.function(sklshallow_epoch, jit_compile=True)
    return _PROGRAMS[key]


def _full_batch_program(net):
    key = ("full", net)
    if key not in _PROGRAMS:

        def sklshallow_full_batch(X, Y, sw, W, b):
            return _loss_and_grads(net, W, b, X, Y, sw, tf.cast(tf.shape(X)[0], X.dtype))

        _PROGRAMS[key] = tf.function(sklshallow_full_batch)
    return _PROGRAMS[key]


class TensorFlowBackend:
    """Train a network with TensorFlow on one device.

    Parameters
    ----------
    net : Net
        What the network computes.
    coefs, intercepts : lists of ndarray
        Initial parameters; written back by ``finish``.
    device : str
        A TensorFlow device string.
    """

    name = "tensorflow"

    def __init__(self, net, coefs, intercepts, device):
        self.net, self.coefs, self.intercepts, self.device = net, coefs, intercepts, device
        self.dtype = tf.as_dtype(coefs[0].dtype)
        with tf.device(device):
            self.W = [tf.Variable(W) for W in coefs]
            self.b = [tf.Variable(b) for b in intercepts]
        self._slots = None  # optimizer state, created at the first epoch
        self._val = (None, None)

    # ------------------------------------------------------------- data

    def _place(self, array):
        if hasattr(array, "toarray"):
            array = array.toarray()
        array = np.asarray(array, dtype=self.dtype.as_numpy_dtype)
        try:
            with tf.device(self.device):
                return tf.constant(array)
        except tf.errors.ResourceExhaustedError as exc:
            # A GPU's memory is not the host's: say so rather than crash later.
            raise MemoryError(
                f"The training data ({array.nbytes / 2**20:.0f} MiB) does not fit in "
                f"the memory of {self.device}. Train on device='cpu', or on fewer "
                "samples or features."
            ) from exc

    def set_data(self, X, Y, sample_weight):
        n = X.shape[0]
        self.n_samples = n
        self.X = self._place(X)
        self.Y = self._place(Y)
        self.sw = self._place(np.ones(n) if sample_weight is None else sample_weight)

    # ---------------------------------------------------- optimizer state

    def _load_optimizer(self, optimizer):
        # The NumPy state is one flat vector per kind (velocity, m, v): here
        # each becomes one variable per parameter array.
        shapes = [a.shape for a in self.coefs + self.intercepts]
        splits = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
        with tf.device(self.device):
            self._slots = [
                tf.Variable(piece.reshape(shape))
                for flat in optimizer.state
                for piece, shape in zip(np.split(flat, splits), shapes)
            ]
            self._t = tf.Variable(getattr(optimizer, "t", 0), dtype=tf.int64)

    def run_epoch(self, optimizer, order, batch_size):
        """All the mini-batch steps of one epoch, as one TensorFlow program."""
        if self._slots is None:
            self._load_optimizer(optimizer)
        program = _epoch_program(self.net, _rule(optimizer))
        n = len(order)
        n_batches = math.ceil(n / batch_size)
        padded = np.zeros(n_batches * batch_size, dtype=np.int64)
        padded[:n] = order
        mask = np.zeros(padded.shape, dtype=self.dtype.as_numpy_dtype)
        mask[:n] = 1
        shape = (n_batches, batch_size)
        lr = optimizer.learning_rate_init if isinstance(optimizer, Adam) else optimizer.learning_rate
        with _exact_float32(), tf.device(self.device):
            total = program(
                self.X, self.Y, self.sw, self.W, self.b, self._slots, self._t,
                tf.constant(padded.reshape(shape)),
                tf.constant(mask.reshape(shape)),
                tf.constant(lr, self.dtype),
            )
        return float(total) / n

    # ------------------------------------------------------------- lbfgs

    def loss_and_grads(self):
        """Full-batch loss and gradient at the NumPy parameters (lbfgs)."""
        for var, value in zip(self.W + self.b, self.coefs + self.intercepts):
            var.assign(value)
        with _exact_float32(), tf.device(self.device):
            loss, grads = _full_batch_program(self.net)(self.X, self.Y, self.sw, self.W, self.b)
        k = len(self.W)
        grads = [g.numpy() for g in grads]
        return float(loss), grads[:k], grads[k:]

    # ------------------------------------------------ results back to NumPy

    def decision(self, X):
        """The last pre-activation for X (the validation set: placed once)."""
        if self._val[0] is not X:
            self._val = (X, self._place(X))
        with tf.device(self.device):
            return _logits(self.W, self.b, self._val[1], self.net.activation).numpy()

    def squared_norm(self):
        """||coefs||^2, computed on the device."""
        with tf.device(self.device):
            return float(tf.add_n([tf.reduce_sum(W * W) for W in self.W]))

    def snapshot(self):
        return [W.numpy() for W in self.W], [b.numpy() for b in self.b]

    def finish(self, optimizer=None):
        """Copy the weights (and optimizer state) back into the NumPy arrays."""
        coefs, intercepts = self.snapshot()
        for target, value in zip(self.coefs + self.intercepts, coefs + intercepts):
            target[...] = value
        if optimizer is not None and self._slots is not None:
            k = len(self.W) + len(self.b)
            for i, target in enumerate(optimizer.state):
                target[...] = np.concatenate(
                    [slot.numpy().ravel() for slot in self._slots[i * k : (i + 1) * k]]
                )
            if isinstance(optimizer, Adam):
                optimizer.t = int(self._t.numpy())
                optimizer.learning_rate = (
                    optimizer.learning_rate_init
                    * math.sqrt(1 - optimizer.beta_2**optimizer.t)
                    / (1 - optimizer.beta_1**optimizer.t)
                )
        return self.coefs, self.intercepts
