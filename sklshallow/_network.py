"""The network math that predictions need, in NumPy, on explicit parameters.

A network is a list of weight matrices ``coefs`` (``W``, shape
``(fan_in, fan_out)``) and a list of bias vectors ``intercepts`` (``b``); the
perceptron is the network with no hidden layer and a ``"step"`` output.

Here are the forward pass (``forward``, ``decision``), each output layer's
activation and the loss it is trained with (chosen so that the delta at the
output is always ``output - target``, the canonical link of the loss), the
penalized loss the validation set is scored with, and the initial weights.
Training runs in the compiled epoch (``_backends/_epoch.pyx``), which
follows these definitions; the tests check it against them.
"""

import numpy as np
from scipy.special import expit, xlogy

# ---------------------------------------------------------------- activations


def _identity(Z):
    return Z


def _logistic(Z):
    return expit(Z, out=Z)


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _relu(Z):
    return np.maximum(Z, 0, out=Z)


LEAKY_SLOPE = 0.01


def _leaky_relu(Z):
    # max(z, slope * z) is z for z >= 0 and slope * z below, since slope < 1.
    return np.maximum(Z, LEAKY_SLOPE * Z, out=Z)


ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
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
    hidden = ACTIVATIONS[activation]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = hidden(_affine(A, W, b))
    return OUTPUTS[out_activation][0](_affine(A, coefs[-1], intercepts[-1]))


def decision(coefs, intercepts, X, activation):
    """Return the last layer's pre-activation ``Z`` for ``X``."""
    A = X
    hidden = ACTIVATIONS[activation]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = hidden(_affine(A, W, b))
    return _affine(A, coefs[-1], intercepts[-1])


def squared_norm(coefs):
    """||coefs||^2."""
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
    data = sample_losses.sum() if sample_weight is None else sample_losses @ sample_weight
    if mean_outputs:
        data /= P.shape[-1]
    penalty = 0.5 * alpha * sq_norm
    if normalize_weights:
        return (float(data) + penalty) / float(denom)
    return float(data) / float(denom) + penalty
