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

from .._optimizers import SGD, Adam, adam_rate
from ._group import Group, concatenated_data, flat_views_stacked, step_counts


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


def _clipped(P):
    eps = np.finfo(P.dtype.as_numpy_dtype).eps
    return tf.clip_by_value(P, eps, 1 - eps)


# Each output layer's activation and per-sample loss, as ``_network.OUTPUTS``
# defines them (probabilities clipped as sklearn clips them).
_OUTPUTS = {
    "softmax": (
        tf.nn.softmax,
        lambda P, Y, Z: -tf.reduce_sum(Y * tf.math.log(_clipped(P)), axis=-1),
    ),
    "logistic": (
        tf.sigmoid,
        lambda P, Y, Z: -tf.reduce_sum(
            Y * tf.math.log(_clipped(P)) + (1 - Y) * tf.math.log1p(-_clipped(P)), axis=-1
        ),
    ),
    "identity": (tf.identity, lambda P, Y, Z: 0.5 * tf.reduce_sum(tf.square(P - Y), axis=-1)),
    "exp": (tf.exp, lambda P, Y, Z: tf.reduce_sum(tf.math.xlogy(Y, Y / P) - Y + P, axis=-1)),
    "step": (
        lambda Z: tf.cast(Z >= 0, Z.dtype),
        lambda P, Y, Z: tf.reduce_sum((P - Y) * Z, axis=-1),
    ),
}


def _sample_losses(net, Z, Y):
    """Per-sample losses with the value of ``_network``'s (clipping and the
    mean over outputs included) and its gradient in Z, ``output - target``:
    written as the custom gradient, not left to autodiff, so that neither the
    clipping nor the mean over outputs changes the steps (as in NumPy)."""
    output, sample_loss = _OUTPUTS[net.out_activation]

    @tf.custom_gradient
    def losses(Z):
        P = output(Z)
        value = sample_loss(P, Y, Z)
        if net.mean_outputs:
            value /= tf.cast(tf.shape(Z)[-1], Z.dtype)
        return value, lambda upstream: upstream[..., None] * (P - Y)

    return losses(Z)


def _product(A, W):
    """``A @ W``. For a stack of tiny layers, XLA's batched product would be
    a loop of tiny calls (~0.5 us each, per network): written as a broadcast
    product and a sum instead, which XLA fuses with what surrounds it."""
    if W.shape.rank == 3 and W.shape[-2] * W.shape[-1] <= 64:
        return tf.reduce_sum(A[..., :, None] * W[:, None, :, :], axis=-2)
    return tf.matmul(A, W)


def _logits(W, b, X, activation):
    A = X
    for W_i, b_i in zip(W[:-1], b[:-1]):
        A = _HIDDEN[activation](_product(A, W_i) + b_i)
    return _product(A, W[-1]) + b[-1]


def _loss_and_grads(net, W, b, X, Y, weights, denom_weights, count, alpha=None):
    """Mean loss of a batch (``weights`` are 0 on padding rows), as
    the compiled epoch (``_epoch.pyx``) defines it, and its gradient. For a stack
    (weights ``(K, fan_in, fan_out)``, batches ``(K, n, .)``), ``count`` and
    ``alpha`` are ``(K,)`` and the loss is one per network."""
    stacked = alpha is not None
    # (a lone network's sums run over all axes, as they always have: XLA
    # orders another reduction differently, and float64 parity notices)
    sums = [-1] if stacked else None
    with tf.GradientTape() as tape:
        tape.watch(W + b)
        denom = tf.reduce_sum(denom_weights, axis=sums) if net.normalize_weights else count
        denom = tf.where(denom > 0, denom, tf.ones_like(denom))  # as _network
        Z = _logits(W, b, X, net.activation)
        data = tf.reduce_sum(weights * _sample_losses(net, Z, Y), axis=sums)
        if stacked:
            sq_norm = tf.add_n([tf.reduce_sum(W_i * W_i, axis=[-2, -1]) for W_i in W])
            penalty = tf.cast(0.5 * alpha, X.dtype) * sq_norm
        else:
            penalty = 0.5 * net.alpha * tf.add_n([tf.reduce_sum(W_i * W_i) for W_i in W])
            penalty = tf.cast(penalty, X.dtype)
        if net.normalize_weights:
            loss = (data + penalty) / denom
        else:  # the perceptron: the mean of per-sample updates, each with its decay
            loss = data / denom + penalty
        # (a stack's networks are independent: the sum's gradient is each one's)
        total = tf.reduce_sum(loss) if stacked else loss
    grads = tape.gradient(total, W + b)
    if not net.fit_intercept:
        grads = grads[: len(W)] + [tf.zeros_like(b_i) for b_i in b]
    return loss, grads


def _truncate_l1(W, q, u):
    """The truncated L1 step (``_rules.truncate_l1``) on variables."""
    for W_i, q_i in zip(W, q):
        old, zero = tf.identity(W_i), tf.zeros_like(W_i)
        new = tf.where(
            old > 0,
            tf.maximum(zero, old - (u + q_i)),
            tf.where(old < 0, tf.minimum(zero, old + (u - q_i)), old),
        )
        W_i.assign(new)
        q_i.assign_add(new - old)


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

        def sklshallow_epoch(X, Y, sw, dw, W, b, slots, t, l1_state, batches, masks, lr):
            total = tf.zeros((), X.dtype)
            for k in tf.range(tf.shape(batches)[0]):
                idx, mask = batches[k], masks[k]
                count = tf.reduce_sum(mask)
                loss, grads = _loss_and_grads(
                    net, W, b, tf.gather(X, idx), tf.gather(Y, idx),
                    tf.gather(sw, idx) * mask, tf.gather(dw, idx) * mask, count,
                )
                _step(rule, W + b, grads, slots, t, lr)
                if net.l1:
                    u, q = l1_state
                    u.assign_add(net.l1 * lr)
                    _truncate_l1(W, q, u)
                total += loss * count
            return total

        # XLA compiles the whole epoch, loop included: on CPU it made W1's
        # epoch ~1.3x and W2's ~15x faster than the plain graph.
        _PROGRAMS[key] = tf.function(sklshallow_epoch, jit_compile=True)
    return _PROGRAMS[key]


def _full_batch_program(net):
    key = ("full", net)
    if key not in _PROGRAMS:

        def sklshallow_full_batch(X, Y, sw, dw, W, b):
            return _loss_and_grads(
                net, W, b, X, Y, sw, dw, tf.cast(tf.shape(X)[0], X.dtype)
            )

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

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        """As ``NumpyBackend.set_data``."""
        n = X.shape[0]
        self.n_samples = n
        self.X = self._place(X)
        self.Y = self._place(Y)
        self.sw = self._place(np.ones(n) if sample_weight is None else sample_weight)
        self.dw = self.sw if denom_weight is None else self._place(denom_weight)
        with tf.device(self.device):  # the L1 penalty's state, for one fit call
            self._l1_state = (
                tf.Variable(tf.zeros((), self.dtype)),
                [tf.Variable(tf.zeros_like(W)) for W in self.W],
            )

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
                self.X, self.Y, self.sw, self.dw, self.W, self.b, self._slots, self._t,
                self._l1_state,
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
            loss, grads = _full_batch_program(self.net)(
                self.X, self.Y, self.sw, self.dw, self.W, self.b
            )
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


# -------------------------------------------------------------- to Keras

_KERAS_ACTIVATIONS = {
    "identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu",
    "softmax": "softmax", "exp": "exponential",
}


def keras_model(coefs, intercepts, activation, out_activation, name):
    """An uncompiled ``keras.Sequential`` computing the network of these
    arrays: Dense layers with the weights set (``leaky_relu`` as a linear
    Dense followed by Keras' LeakyReLU layer with slope 0.01)."""
    keras = tf.keras
    dtype = coefs[0].dtype.name
    layers = [keras.Input(shape=(coefs[0].shape[0],), dtype=dtype)]
    for i, W in enumerate(coefs):
        last = i == len(coefs) - 1
        act = out_activation if last else activation
        layers.append(keras.layers.Dense(
            W.shape[1], activation=_KERAS_ACTIVATIONS.get(act, "linear"), dtype=dtype,
        ))
        if act == "leaky_relu":
            layers.append(keras.layers.LeakyReLU(negative_slope=0.01, dtype=dtype))
    model = keras.Sequential(layers, name=name)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer, W, b in zip(dense, coefs, intercepts):
        layer.set_weights([W, b])
    return model


# ------------------------------------------------------------- stacks


def _per_network(x, like):
    """A stack's ``(K,)`` values, shaped to broadcast over ``like``."""
    return tf.reshape(tf.cast(x, like.dtype), [-1] + [1] * (like.shape.rank - 1))


def _stack_step(rule, params, grads, slots, t, hyper, active):
    """``_step`` for a stack: per-network hyperparameters (``(K,)``), and a
    network without rows in this step (``active`` False) does not move."""

    def keep(new, old):
        return tf.where(tf.reshape(active, [-1] + [1] * (old.shape.rank - 1)), new, old)

    if rule[0] == "sgd":
        for p, g, v in zip(params, grads, slots):
            lr_g = g * _per_network(hyper["lr"], p)
            mu = _per_network(hyper["mu"], p)
            v_new = v * mu - lr_g
            p.assign(keep(p + (v_new * mu - lr_g if rule[1] else v_new), p))
            v.assign(keep(v_new, v))
        return
    t.assign_add(tf.cast(active, t.dtype))
    t64 = tf.cast(t, tf.float64)
    b1, b2 = hyper["beta_1"], hyper["beta_2"]
    rate = hyper["lr"] * tf.sqrt(1.0 - b2**t64) / (1.0 - b1**t64)
    k = len(params)
    for p, g, m, v in zip(params, grads, slots[:k], slots[k:]):
        m_new = m * _per_network(b1, p) + _per_network(1.0 - b1, p) * g
        v_new = v * _per_network(b2, p) + _per_network(1.0 - b2, p) * (g * g)
        eps = _per_network(hyper["epsilon"], p)
        p.assign(keep(p - _per_network(rate, p) * m_new / (tf.sqrt(v_new) + eps), p))
        m.assign(keep(m_new, m))
        v.assign(keep(v_new, v))


def _stack_epoch_program(net, rule, weighted):
    """The epoch of a stack. Without sample weights (``weighted``) the
    padding mask is the batch's weights. A network without rows in a step
    (fewer rows than another, or stopped) does not move: one program for
    both, since each variant would be compiled again (seconds)."""
    key = ("stack", net, rule, weighted)
    if key not in _PROGRAMS:

        def sklshallow_stack_epoch(
            X, Y, sw, dw, W, b, slots, t, hyper, alpha, l1_state, rows, counts
        ):
            # rows: (n_steps, K, batch) indices into the group's data; counts:
            # each network's real rows per step (padding rows have weight 0).
            n_steps, K, B = tf.unstack(tf.shape(rows))
            total = tf.zeros([K], X.dtype)
            for s in tf.range(n_steps):
                idx, count = rows[s], counts[s]
                real = tf.cast(tf.range(B)[None, :] < count[:, None], X.dtype)
                count_f = tf.cast(count, X.dtype)
                if weighted:
                    w, d = tf.gather(sw, idx) * real, tf.gather(dw, idx) * real
                else:
                    w = d = real
                loss, grads = _loss_and_grads(
                    net, W, b, tf.gather(X, idx), tf.gather(Y, idx), w, d, count_f, alpha,
                )
                active = count > 0
                _stack_step(rule, W + b, grads, slots, t, hyper, active)
                if net.l1:
                    u, q = l1_state
                    step = tf.cast(hyper["l1"] * hyper["lr"], u.dtype)
                    u.assign_add(tf.where(active, step, tf.zeros_like(u)))
                    _truncate_l1(W, q, tf.reshape(u, [-1, 1, 1]))
                total += tf.where(active, loss, tf.zeros_like(loss)) * count_f
            return total

        _PROGRAMS[key] = tf.function(sklshallow_stack_epoch, jit_compile=True)
    return _PROGRAMS[key]


def _stacked_rows(orders, offsets, batch_size, n_steps):
    """``(n_steps, K, batch_size)`` indices: member k's ``orders[k]``, shifted
    by ``offsets[k]``; padding rows point at row 0. (Step-major and 32-bit:
    a TensorFlow program takes them as they are.)"""
    rows = np.zeros((n_steps, len(orders), batch_size), dtype=np.int32)
    for k, (order, offset) in enumerate(zip(orders, offsets)):
        padded = np.zeros(n_steps * batch_size, dtype=np.int32)
        padded[: len(order)] = order + offset
        rows[:, k, :] = padded.reshape(n_steps, batch_size)
    return rows


class TensorFlowGroup(Group):
    """A group of stack members stepped by one compiled program per epoch.

    The members' NumPy arrays stay the truth between epochs (the loop between
    epochs reads them): an epoch copies the stack in, runs every step on the
    device, and copies it back, for shallow networks a few MiB against
    thousands of steps. The data is placed once per group. Batches have the
    group's shape, so a search compiles once per group shape, not per fit.
    """

    def __init__(self, key, requests, previous=None):
        super().__init__(key, requests)
        self.device = key[1]
        with tf.device(self.device):
            self.W = [tf.Variable(L) for L in self.layers[: self.n_coefs]]
            self.b = [tf.Variable(L) for L in self.layers[self.n_coefs :]]
            self.slots = [tf.Variable(v) for v in self._slot_views()]
            self.t = tf.Variable(np.zeros(len(self.members), np.int64))
            self.l1_u = tf.Variable(np.zeros(len(self.members), self.dtype))
            self.l1_q = [tf.Variable(tf.zeros_like(W)) for W in self.W]
        self._data = None

    def _slot_views(self):
        shapes = self.members[0].shapes
        return [v for stacked in self.state for v in flat_views_stacked(stacked, shapes)]

    def _place_data(self):
        if self._data is None:
            X, Y, sw, dw, self._offsets = concatenated_data(self.members)
            # Rows padded to a size class (at most 1/16 more; rows past the
            # data are never gathered): a search's stacks, whose splits
            # differ by a row or two, then share one compiled program.
            n = len(X)
            unit = 1 << max(n.bit_length() - 4, 0)
            pad = -(-n // unit) * unit - n
            with tf.device(self.device):
                self._data = [
                    tf.constant(np.concatenate([np.asarray(a, self.dtype),
                                                np.zeros((pad,) + a.shape[1:], self.dtype)]))
                    for a in (X, Y, sw, dw)
                ]
        return self._data

    def takes(self, members):
        # A stopped fit stays in the group, frozen (no rows, so no step):
        # a smaller group would be another shape, compiled again (seconds).
        return set(members) <= set(self.members)

    def run_epoch(self, requests):
        # Each member's epoch, the stopped ones' empty, in the group's order.
        by_member = {id(r[0]): r for r in requests}
        requests = [
            by_member.get(id(m), (m, self.optimizers[k], np.zeros(0, int), requests[0][3]))
            for k, m in enumerate(self.members)
        ]
        optimizers = [optimizer for _, optimizer, *_ in requests]
        _, batch_size, n_steps, orders = self.batches(requests)
        X, Y, sw, dw = self._place_data()
        rows = _stacked_rows(orders, self._offsets, batch_size, n_steps)
        counts = step_counts(orders, batch_size, n_steps).astype(np.int32)
        adam = self.key[3][0] == "adam"
        f64 = lambda v: tf.constant(np.array(v, dtype=np.float64))  # noqa: E731
        hyper = {"l1": f64(self.l1)}
        if adam:
            hyper.update(
                lr=f64([o.learning_rate_init for o in optimizers]),
                beta_1=f64([o.beta_1 for o in optimizers]),
                beta_2=f64([o.beta_2 for o in optimizers]),
                epsilon=f64([o.epsilon for o in optimizers]),
            )
        else:
            hyper.update(
                lr=f64([o.learning_rate for o in optimizers]),
                mu=f64([o.momentum for o in optimizers]),
            )
        with tf.device(self.device):
            for var, value in zip(self.W + self.b + self.slots, self.layers + self._slot_views()):
                var.assign(value)
            if adam:
                self.t.assign(np.array([o.t for o in optimizers], np.int64))
            if self.l1.any():
                self.l1_u.assign(np.array([m.l1_u for m in self.members], self.dtype))
                for i, q in enumerate(self.l1_q):
                    q.assign(np.stack([m.l1_q[i] for m in self.members]))
            with _exact_float32():
                weighted = any(m.sample_weight is not None for m in self.members)
                totals = _stack_epoch_program(self.key[2], self.key[3], weighted)(
                    X, Y, sw, dw, self.W, self.b, self.slots, self.t, hyper,
                    f64(self.alpha), (self.l1_u, self.l1_q),
                    tf.constant(rows),
                    tf.constant(counts),
                ).numpy()
        for var, value in zip(self.W + self.b + self.slots, self.layers + self._slot_views()):
            value[...] = var.numpy()
        if adam:
            for o, t in zip(optimizers, self.t.numpy()):
                o.t = int(t)
                o.learning_rate = adam_rate(o.learning_rate_init, o.beta_1, o.beta_2, o.t)
        if self.l1.any():
            for k, m in enumerate(self.members):
                m.l1_u = float(self.l1_u[k].numpy())
                m.l1_q = [q[k].numpy() for q in self.l1_q]
        return [float(t) / len(o) for t, o in zip(totals, orders) if len(o)]
