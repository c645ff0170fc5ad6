"""The NumPy forms of the network math that the compiled epoch replaced.

The package trains through ``sklshallow/_backends/_epoch.pyx``; these are
the NumPy step it replaced, operation for operation (scikit-learn's order),
kept here as the tests' reference: backpropagation, the truncated L1 step,
the optimizers' updates, and a lone epoch made of them.
"""

import numpy as np

from sklshallow._network import ACTIVATIONS, LEAKY_SLOPE, OUTPUTS, penalized_loss, squared_norm

# ------------------------------------------- activation derivatives (of the output A)


def _identity_derivative(A, delta):
    return delta


def _logistic_derivative(A, delta):
    delta *= A
    delta *= 1 - A
    return delta


def _tanh_derivative(A, delta):
    delta *= 1 - A**2
    return delta


def _relu_derivative(A, delta):
    # A multiply by the 0/1 mask: ten times faster than masked assignment.
    return np.multiply(delta, A > 0, out=delta)


def _leaky_relu_derivative(A, delta):
    return np.multiply(delta, np.where(A < 0, LEAKY_SLOPE, 1.0).astype(A.dtype), out=delta)


DERIVATIVES = {
    "identity": _identity_derivative,
    "logistic": _logistic_derivative,
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
    "leaky_relu": _leaky_relu_derivative,
}


def _affine(A, W, b):
    Z = A @ W  # works for scipy.sparse A as well: the result is dense
    Z += b
    return np.asarray(Z)


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


def loss_and_grads(coefs, intercepts, X, Y, activation, out_activation, alpha,
                   sample_weight=None, normalize_weights=True, fit_intercept=True,
                   mean_outputs=False, denom_weight=None):
    """Loss of the network on a batch and its gradient, by backpropagation.

    The loss is the weighted sum over samples of the output layer's
    per-sample loss plus ``alpha / 2 * ||coefs||^2``, both divided by the
    batch's weight sum (``denom_weight``, default ``sample_weight``; 1 when
    that is 0), or, when ``normalize_weights`` is False, the per-sample
    losses divided by the number of samples plus the whole penalty (the
    perceptron's mean of per-sample updates). ``mean_outputs`` only changes
    the reported loss, never the gradient.

    Returns
    -------
    loss : float
    coef_grads, intercept_grads : lists of ndarray
    """
    if denom_weight is None:
        denom_weight = sample_weight
    if denom_weight is None or not normalize_weights:
        denom = X.shape[0]
    else:
        denom = denom_weight.sum() or 1.0
    hidden, derivative = ACTIVATIONS[activation], DERIVATIVES[activation]
    activations = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        activations.append(hidden(_affine(activations[-1], W, b)))
    Z = _affine(activations[-1], coefs[-1], intercepts[-1])
    Z_last = Z.copy()
    P = OUTPUTS[out_activation][0](Z)
    sq_norm = squared_norm(coefs) if alpha else 0.0
    loss = penalized_loss(P, Y, Z_last, out_activation, sq_norm, alpha, sample_weight, denom,
                          normalize_weights, mean_outputs)
    # Every output layer's loss is the canonical one for its link: the
    # derivative of the loss with respect to the last pre-activation is P - Y.
    delta = P - Y
    if sample_weight is not None:
        delta *= sample_weight[:, None]
    delta /= denom
    scale = alpha / denom if normalize_weights else alpha
    coef_grads = [None] * len(coefs)
    intercept_grads = [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        A = activations[i]
        coef_grads[i] = np.asarray(A.T @ delta)
        if alpha:
            coef_grads[i] += coefs[i] * scale
        intercept_grads[i] = delta.sum(axis=0) if fit_intercept else np.zeros_like(intercepts[i])
        if i:
            delta = derivative(A, delta @ coefs[i].T)
    return loss, coef_grads, intercept_grads


# ------------------------------------------------------- the optimizers' passes


def sgd_update(p, g, v, lr, mu, nesterov):
    """scikit-learn's momentum step: ``v <- mu v - lr g``, ``p <- p + v``,
    or with Nesterov ``p <- p + (mu v - lr g)``."""
    lr_g = g * lr
    v *= mu
    v -= lr_g
    p += (v * mu - lr_g) if nesterov else v


def adam_update(p, g, m, v, lr, beta_1, beta_2, epsilon):
    """scikit-learn's Adam step (``lr``: this step's bias-corrected rate;
    ``beta_1`` and ``beta_2``: pairs ``(b, 1 - b)``)."""
    (b1, c1), (b2, c2) = beta_1, beta_2
    m *= b1
    m += g * c1
    v *= b2
    v += (g * g) * c2
    p -= (m * lr) / (np.sqrt(v) + epsilon)


def epoch(coefs, intercepts, state, X, Y, order, batch_size, *, activation, out_activation,
          alpha=0.0, sample_weight=None, denom_weight=None, normalize_weights=True,
          fit_intercept=True, rule="sgd", lr=0.1, momentum=0.9, beta_1=0.9, beta_2=0.999,
          epsilon=1e-8, t=0, l1=0.0, l1_state=None):
    """One epoch of mini-batch steps, in place: the NumPy loop the compiled
    epoch replaced. ``state`` holds the optimizer's arrays shaped like
    ``coefs + intercepts`` (SGD's velocities, or Adam's moments ``m + v``);
    ``l1_state`` is ``[u, q]`` (a float, arrays shaped like ``coefs``).
    Returns the summed batch losses times batch rows, and Adam's step count."""
    params = coefs + intercepts
    dtype = coefs[0].dtype
    total = 0.0
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        sw = None if sample_weight is None else sample_weight[idx]
        dw = None if denom_weight is None else denom_weight[idx]
        loss, cg, ig = loss_and_grads(coefs, intercepts, X[idx], Y[idx], activation,
                                      out_activation, alpha, sw, normalize_weights,
                                      fit_intercept, denom_weight=dw)
        grads = [g.astype(dtype, copy=False) for g in cg + ig]
        if rule == "adam":
            t += 1
            rate = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            n = len(params)
            for p, g, m, v in zip(params, grads, state[:n], state[n:]):
                adam_update(p, g, m, v, dtype.type(rate),
                            (dtype.type(beta_1), dtype.type(1 - beta_1)),
                            (dtype.type(beta_2), dtype.type(1 - beta_2)), dtype.type(epsilon))
        else:
            for p, g, v in zip(params, grads, state):
                sgd_update(p, g, v, dtype.type(lr), dtype.type(momentum), rule == "nesterov")
        if l1:
            l1_state[0] += l1 * lr
            for W, q in zip(coefs, l1_state[1]):
                truncate_l1(W, q, l1_state[0])
        total += loss * len(idx)
    return total, t
