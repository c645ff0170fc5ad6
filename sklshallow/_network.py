"""The network math, in NumPy, on explicit parameters.

This module is the only place that knows what a layer computes. A network is a
list of weight matrices ``coefs`` (``W``, shape ``(fan_in, fan_out)``) and a
list of bias vectors ``intercepts`` (``b``); the perceptron is the network with
no hidden layer and a ``"step"`` output.

Every activation is a pair: a forward map applied in place and its derivative,
written in terms of the activation's *output* so the backward pass needs no
pre-activations. Every output layer is a pair too: its activation and the loss
it is trained with, chosen so that the delta at the output is always
``output - target`` (the canonical link of the loss).

A *stack* of K networks of one shape (see ``_stacking``) runs through the same
functions: its weights carry a leading model axis, ``(K, fan_in, fan_out)``,
its biases are ``(K, 1, fan_out)`` and its batches ``(K, n, n_features)``
(or one ``(n, n_features)`` batch that every network sees). So every formula
here works on the last two axes, and a lone network is the stack's slice.
"""

import numpy as np
from scipy.special import expit, xlogy

# ---------------------------------------------------------------- activations


def _identity(Z):
    return Z


def _identity_derivative(A, delta):
    return delta


def _logistic(Z):
    return expit(Z, out=Z)


def _logistic_derivative(A, delta):
    delta *= A
    delta *= 1 - A
    return delta


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _tanh_derivative(A, delta):
    delta *= 1 - A**2
    return delta


def _relu(Z):
    return np.maximum(Z, 0, out=Z)


def _relu_derivative(A, delta):
    # A multiply by the 0/1 mask: ten times faster than masked assignment.
    return np.multiply(delta, A > 0, out=delta)


LEAKY_SLOPE = 0.01


def _leaky_relu(Z):
    # max(z, slope * z) is z for z >= 0 and slope * z below, since slope < 1.
    return np.maximum(Z, LEAKY_SLOPE * Z, out=Z)


def _leaky_relu_derivative(A, delta):
    return np.multiply(delta, np.where(A < 0, LEAKY_SLOPE, 1.0).astype(A.dtype), out=delta)


ACTIVATIONS = {
    "identity": (_identity, _identity_derivative),
    "logistic": (_logistic, _logistic_derivative),
    "tanh": (_tanh, _tanh_derivative),
    "relu": (_relu, _relu_derivative),
    "leaky_relu": (_leaky_relu, _leaky_relu_derivative),
}
# The lecture calls the logistic function "sigmoid".
ACTIVATION_ALIASES = {"sigmoid": "logistic"}


# ---------------------------------------------------------- output layers
# Each output layer maps the last pre-activation Z in place to the network's
# output and defines the per-sample loss of that output against targets Y.


def _softmax(Z):
    Z -= Z.max(axis=-1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=-1, keepdims=True)
    return Z


def _step(Z):
    # The threshold logic unit: 1 if w.x + b >= 0 else 0.
    return np.greater_equal(Z, 0, out=Z, casting="unsafe")


def _clipped(P):
    # As sklearn: clip probabilities so that the log stays finite.
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def _log_loss(P, Y, Z):
    return -(Y * np.log(_clipped(P))).sum(axis=-1)


def _binary_log_loss(P, Y, Z):
    P = _clipped(P)
    return -(Y * np.log(P) + (1 - Y) * np.log1p(-P)).sum(axis=-1)


def _squared_error(P, Y, Z):
    # Summed over outputs (as the log losses are), so that the gradient
    # ``(P - Y) / n_samples`` is exactly the gradient of this loss also for
    # several outputs. sklearn reports (and stops on) the mean over outputs
    # but steps along this gradient: ``penalized_loss(mean_outputs=True)``.
    return 0.5 * ((P - Y) ** 2).sum(axis=-1)


def _exp(Z):
    return np.exp(Z, out=Z)


def _poisson_deviance(P, Y, Z):
    # Half the Poisson deviance of the mean P = exp(z), summed over outputs.
    return (xlogy(Y, Y / P) - Y + P).sum(axis=-1)


def _perceptron_criterion(P, Y, Z):
    # Rosenblatt's criterion: |z| for every misclassified unit, 0 otherwise.
    # Its gradient with respect to z is (y_hat - y): the perceptron rule.
    return ((P - Y) * Z).sum(axis=-1)


OUTPUTS = {
    "softmax": (_softmax, _log_loss),
    "logistic": (_logistic, _binary_log_loss),
    "identity": (_identity, _squared_error),
    "exp": (_exp, _poisson_deviance),
    "step": (_step, _perceptron_criterion),
}


# ------------------------------------------------------------ initialisation


def init_params(layer_units, activation, random_state, dtype):
    """Draw Glorot-uniform weights and biases, exactly as sklearn's MLP does.

    The weights of every layer are drawn from the given RandomState in layer
    order, the biases right after each layer's weights, in float64, and then
    cast to ``dtype``, so that a seed gives sklearn's initial network.
    """
    coefs, intercepts = [], []
    factor = 2.0 if activation == "logistic" else 6.0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = random_state.uniform(-bound, bound, fan_out)
        coefs.append(W.astype(dtype, copy=False))
        intercepts.append(b.astype(dtype, copy=False))
    return coefs, intercepts


def zero_params(layer_units, dtype):
    """All-zero weights and biases (the perceptron's textbook start)."""
    coefs = [np.zeros(shape, dtype) for shape in zip(layer_units[:-1], layer_units[1:])]
    intercepts = [np.zeros(n, dtype) for n in layer_units[1:]]
    return coefs, intercepts


# ------------------------------------------------------------ forward, backward


def _affine(A, W, b):
    Z = A @ W  # works for scipy.sparse A as well: the result is dense
    Z += b
    return np.asarray(Z)


def forward(coefs, intercepts, X, activation, out_activation):
    """Return the network's output for ``X``."""
    A = X
    hidden = ACTIVATIONS[activation][0]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = hidden(_affine(A, W, b))
    return OUTPUTS[out_activation][0](_affine(A, coefs[-1], intercepts[-1]))


def decision(coefs, intercepts, X, activation):
    """Return the last layer's pre-activation ``Z`` for ``X``."""
    A = X
    hidden = ACTIVATIONS[activation][0]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = hidden(_affine(A, W, b))
    return _affine(A, coefs[-1], intercepts[-1])


def truncate_l1(W, q, u):
    """sklearn's cumulative L1 penalty (Tsuruoka et al., 2009), in place.

    ``u`` is the total L1 step every weight could have received so far and
    ``q`` (shaped like ``W``) what each one did receive: a weight moves
    toward 0 by what it is owed but never crosses it, so the penalty leaves
    exact zeros, as sklearn's SGD estimators do.
    """
    old = W.copy()
    np.copyto(W, np.maximum(0, old - (u + q)), where=old > 0)
    np.copyto(W, np.minimum(0, old + (u - q)), where=old < 0)
    q += W - old


def squared_norm(coefs):
    """||coefs||^2: a float, or one per network of a stack."""
    if coefs[0].ndim == 3:
        return sum(np.einsum("kij,kij->k", W, W) for W in coefs)
    return float(sum(np.vdot(W, W) for W in coefs))


def penalized_loss(
    P, Y, Z, out_activation, sq_norm, alpha, sample_weight, denom,
    normalize_weights=True, mean_outputs=False,
):
    """The per-sample losses of outputs ``P`` (weighted), divided by
    ``denom``, plus the L2 penalty ``alpha / 2 * sq_norm``
    (``sq_norm = ||coefs||^2``), itself divided by ``denom`` when
    ``normalize_weights`` (sklearn's MLP; the perceptron's per-sample decay
    is not). ``mean_outputs`` averages the data term over outputs, as
    sklearn's squared error does. ``Z``, the last pre-activation, is needed
    by the 'step' output only."""
    sample_losses = OUTPUTS[out_activation][1](P, Y, Z)
    if sample_weight is None:
        data = sample_losses.sum(axis=-1)
    elif sample_weight.ndim == 1:
        data = sample_losses @ sample_weight
    else:  # a stack: one weighted sum per network
        data = (sample_losses * sample_weight).sum(axis=-1)
    if mean_outputs:
        data /= P.shape[-1]
    penalty = 0.5 * alpha * sq_norm
    if np.ndim(data):
        return (data + penalty) / denom if normalize_weights else data / denom + penalty
    if normalize_weights:
        return (float(data) + penalty) / float(denom)
    return float(data) / float(denom) + penalty


def loss_and_grads(
    coefs,
    intercepts,
    X,
    Y,
    activation,
    out_activation,
    alpha,
    sample_weight=None,
    normalize_weights=True,
    fit_intercept=True,
    out=None,
    scratch=None,
    mean_outputs=False,
    denom_weight=None,
    denom=None,
):
    """Loss of the network on a batch and its gradient, by backpropagation.

    The loss is the weighted mean over samples of the per-sample loss of the
    output layer plus ``alpha / 2 * ||coefs||^2``, both divided by the batch's
    weight sum (sklearn's convention since 1.7), or, when
    ``normalize_weights`` is False, the per-sample losses divided by the
    number of samples plus the whole penalty (the mean of weighted per-sample
    updates, each with its weight decay: the perceptron's convention).
    ``denom_weight`` (default ``sample_weight``) gives the weight sum: class
    weights multiply the losses but not the denominator, so they count at
    every batch size. ``mean_outputs`` only changes the reported loss (see
    ``penalized_loss``), never the gradient.

    For a stack of K networks (see the module's docstring), ``alpha`` and
    ``denom`` (the divisors, given) have shape ``(K,)``, ``sample_weight``
    ``(K, n)`` (0 on padding rows), and the loss is one per network.

    ``out``, a pair of lists of arrays shaped like the params, receives the
    gradients instead of new arrays, and ``scratch``, a list shaped like
    ``coefs``, holds the penalty's gradient: the training loop reuses these
    buffers rather than allocating large arrays at every step.

    Returns
    -------
    loss : float
    coef_grads, intercept_grads : lists of ndarray, in the order of the params
    """
    if denom is None:
        if denom_weight is None:
            denom_weight = sample_weight
        if denom_weight is None or not normalize_weights:
            denom = X.shape[0]
        else:
            # A batch whose weights are all 0 adds no data term; dividing by 1
            # rather than 0 keeps its penalty step finite (sklearn would get NaN).
            denom = denom_weight.sum() or 1.0
    if np.ndim(denom) == 1:  # a stack: per-network numbers, shaped to broadcast
        per_layer = lambda v: np.reshape(v, (-1, 1, 1))  # noqa: E731
        transposed = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
        penalized = bool(np.any(alpha))
    else:  # (a lone network's steps are small: no NumPy call spent here)
        per_layer = transposed = None
        penalized = bool(alpha)
    hidden, derivative = ACTIVATIONS[activation]
    output = OUTPUTS[out_activation][0]

    activations = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        activations.append(hidden(_affine(activations[-1], W, b)))
    Z = _affine(activations[-1], coefs[-1], intercepts[-1])
    Z_last = Z.copy() if out_activation == "step" else None
    P = output(Z)

    sq_norm = squared_norm(coefs) if penalized else 0.0
    loss = penalized_loss(
        P, Y, Z_last, out_activation, sq_norm, alpha, sample_weight, denom,
        normalize_weights, mean_outputs,
    )

    # For each output layer the loss is the canonical one for its link
    # (softmax + cross-entropy, logistic + binary cross-entropy, identity +
    # squared error, exp + Poisson deviance, step + perceptron criterion),
    # so that the derivative of
    # the loss with respect to the last pre-activation is simply P - Y.
    delta = P - Y
    if sample_weight is not None:
        delta *= sample_weight[..., None]
    scale = alpha / denom if normalize_weights else alpha
    if per_layer is not None:
        denom, scale = per_layer(denom), per_layer(scale)
    delta /= denom
    n_layers = len(coefs)
    if out is None:
        out = [np.empty_like(W) for W in coefs], [np.empty_like(b) for b in intercepts]
    coef_grads, intercept_grads = out
    for i in range(n_layers - 1, -1, -1):
        A, G = activations[i], coef_grads[i]
        if hasattr(A, "tocsr"):
            G[...] = A.T @ delta
        else:
            np.matmul(A.T if transposed is None else transposed(A), delta, out=G)
        if penalized:
            G += (
                scale * coefs[i]
                if scratch is None
                else np.multiply(coefs[i], scale, out=scratch[i])
            )
        if fit_intercept:
            out_b = intercept_grads[i]
            if transposed is not None:  # a stack's biases are (K, 1, fan_out)
                out_b = out_b.reshape(delta.shape[:-2] + delta.shape[-1:])
            np.sum(delta, axis=-2, out=out_b)
        else:
            intercept_grads[i][...] = 0
        if i:
            W_t = coefs[i].T if transposed is None else transposed(coefs[i])
            delta = derivative(A, delta @ W_t)
    return loss, coef_grads, intercept_grads
