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


class _OneTracePerFit(logging.Filter):
    """Each fit traces its own epoch program once, by design; TensorFlow's
    warning about functions retraced across fits is not for that. Only the
    warnings about this module's functions are dropped."""

    def filter(self, record):
        message = record.getMessage()
        return not ("retracing" in message and "TensorFlowBackend" in message)


tf.get_logger().addFilter(_OneTracePerFit())


def visible_devices(kind=None):
    """Names of the logical devices TensorFlow sees, e.g. '/device:CPU:0'."""
    return [d.name for d in tf.config.list_logical_devices(kind)]


def _canonical(device):
    kind, index = device.upper().replace("/DEVICE:", "").lstrip("/").split(":")
    return f"/device:{kind}:{index}"


def check_device_exists(device):
    if _canonical(device) not in visible_devices():
        raise ValueError(
            f"TensorFlow has no device {device!r}; it sees {visible_devices()}."
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
        self._epoch_fn = None
        self._cache = {}

    # ------------------------------------------------------------- data

    def _place(self, array):
        if hasattr(array, "toarray"):
            array = array.toarray()
        with tf.device(self.device):
            return tf.constant(np.asarray(array, dtype=self.dtype.as_numpy_dtype))

    def set_data(self, X, Y, sample_weight):
        n = X.shape[0]
        self.n_samples = n
        self.X = self._place(X)
        self.Y = self._place(Y)
        self.sw = self._place(np.ones(n) if sample_weight is None else sample_weight)
        self._epoch_fn = None

    # ------------------------------------------------------------- math

    def _logits(self, X):
        A = X
        hidden = _HIDDEN[self.net.activation]
        for W, b in zip(self.W[:-1], self.b[:-1]):
            A = hidden(tf.matmul(A, W) + b)
        return tf.matmul(A, self.W[-1]) + self.b[-1]

    def _loss(self, X, Y, weights, count):
        """Mean loss of a batch; ``weights`` are 0 on padding rows."""
        net = self.net
        denom = tf.reduce_sum(weights) if net.normalize_weights else count
        denom = tf.where(denom > 0, denom, tf.ones_like(denom))  # as _network
        data = tf.reduce_sum(weights * _sample_losses(net.out_activation, self._logits(X), Y))
        penalty = 0.5 * net.alpha * tf.add_n([tf.reduce_sum(W * W) for W in self.W])
        return (data + tf.cast(penalty, self.dtype)) / denom

    def _loss_and_grads(self, X, Y, weights, count):
        params = self.W + self.b
        with tf.GradientTape() as tape:
            loss = self._loss(X, Y, weights, count)
        grads = tape.gradient(loss, params)
        if not self.net.fit_intercept:
            grads = grads[: len(self.W)] + [tf.zeros_like(b) for b in self.b]
        return loss, grads

    # ---------------------------------------------------- optimizer steps

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

    def _step(self, optimizer, grads, lr):
        params = self.W + self.b
        c = lambda x: tf.constant(x, self.dtype)  # noqa: E731
        if isinstance(optimizer, SGD):
            mu = c(optimizer.momentum)
            for p, g, v in zip(params, grads, self._slots):
                v.assign(mu * v - lr * g)
                p.assign_add(mu * v - lr * g if optimizer.nesterov else v)
            return
        # sklearn's Adam: bias corrections scale the rate, epsilon outside.
        self._t.assign_add(1)
        t = tf.cast(self._t, tf.float64)
        rate = lr * tf.cast(
            tf.sqrt(1.0 - optimizer.beta_2**t) / (1.0 - optimizer.beta_1**t), self.dtype
        )
        k = len(params)
        b1, b2, eps = c(optimizer.beta_1), c(optimizer.beta_2), c(optimizer.epsilon)
        for p, g, m, v in zip(params, grads, self._slots[:k], self._slots[k:]):
            m.assign(m * b1 + c(1 - optimizer.beta_1) * g)
            v.assign(v * b2 + c(1 - optimizer.beta_2) * (g * g))
            p.assign_sub(rate * m / (tf.sqrt(v) + eps))

    def _compile_epoch(self, optimizer):
        def epoch(batches, masks, lr):
            total = tf.constant(0.0, self.dtype)
            for k in tf.range(tf.shape(batches)[0]):
                idx, mask = batches[k], masks[k]
                count = tf.reduce_sum(mask)
                weights = tf.gather(self.sw, idx) * mask
                loss, grads = self._loss_and_grads(
                    tf.gather(self.X, idx), tf.gather(self.Y, idx), weights, count
                )
                self._step(optimizer, grads, lr)
                total += loss * count
            return total

        # XLA compiles the whole epoch, loop included: on CPU it made W1's
        # epoch ~1.3x and W2's ~15x faster than the plain graph, for a second
        # or so of compilation per fit.
        return tf.function(epoch, jit_compile=True)

    def run_epoch(self, optimizer, order, batch_size):
        """All the mini-batch steps of one epoch, as one TensorFlow program."""
        if self._slots is None:
            self._load_optimizer(optimizer)
        if self._epoch_fn is None:
            self._epoch_fn = self._compile_epoch(optimizer)
        n = len(order)
        n_batches = math.ceil(n / batch_size)
        padded = np.zeros(n_batches * batch_size, dtype=np.int64)
        padded[:n] = order
        mask = np.zeros(padded.shape, dtype=self.dtype.as_numpy_dtype)
        mask[:n] = 1
        shape = (n_batches, batch_size)
        lr = optimizer.learning_rate_init if isinstance(optimizer, Adam) else optimizer.learning_rate
        with _exact_float32(), tf.device(self.device):
            total = self._epoch_fn(
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
        if "full" not in self._cache:
            self._cache["full"] = tf.function(
                lambda: self._loss_and_grads(
                    self.X, self.Y, self.sw, tf.constant(self.n_samples, self.dtype)
                )
            )
        with _exact_float32(), tf.device(self.device):
            loss, grads = self._cache["full"]()
        k = len(self.W)
        grads = [g.numpy() for g in grads]
        return float(loss), grads[:k], grads[k:]

    # ------------------------------------------------ results back to NumPy

    def decision(self, X):
        key = id(X)
        if self._cache.get("val_key") != key:
            self._cache["val_key"], self._cache["val_X"] = key, self._place(X)
        with tf.device(self.device):
            return self._logits(self._cache["val_X"]).numpy()

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
