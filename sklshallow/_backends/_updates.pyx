# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""The optimizers' updates, each one pass over the parameters.

Written with NumPy, Adam's update is a dozen passes over every parameter
(each with its temporaries): at small batches, more time than the layer
products. Here each update reads and writes every parameter once, with the
GIL released, in scikit-learn's order of operations (and no contraction into
fused multiply-adds, see ``setup.py``), so it rounds exactly as the NumPy
passes did. Row k of the ``(K, P)`` arrays is the k-th network of a stack
(K = 1 for a lone fit) and takes the k-th hyperparameters.
"""

from cython cimport floating
from libc.math cimport sqrt


def sgd_update(
    floating[:, ::1] p,
    const floating[:, ::1] g,
    floating[:, ::1] v,
    const floating[::1] lr,
    const floating[::1] mu,
    bint nesterov,
):
    """scikit-learn's momentum step, in place: ``v <- mu v - lr g``, then
    ``p <- p + v``, or with Nesterov ``p <- p + (mu v - lr g)``."""
    cdef Py_ssize_t k, j, K = p.shape[0], P = p.shape[1]
    cdef floating rate, momentum, step, velocity
    with nogil:
        for k in range(K):
            rate, momentum = lr[k], mu[k]
            for j in range(P):
                step = g[k, j] * rate
                velocity = v[k, j] * momentum - step
                v[k, j] = velocity
                if nesterov:
                    p[k, j] = p[k, j] + (velocity * momentum - step)
                else:
                    p[k, j] = p[k, j] + velocity


def adam_update(
    floating[:, ::1] p,
    const floating[:, ::1] g,
    floating[:, ::1] m,
    floating[:, ::1] v,
    const floating[::1] lr,
    const floating[::1] beta_1,
    const floating[::1] one_minus_beta_1,
    const floating[::1] beta_2,
    const floating[::1] one_minus_beta_2,
    const floating[::1] epsilon,
):
    """scikit-learn's Adam step, in place: ``m <- b1 m + (1 - b1) g``,
    ``v <- b2 v + (1 - b2) g^2``, ``p <- p - (lr m) / (sqrt(v) + eps)``, with
    ``lr`` the bias-corrected rate of this step."""
    cdef Py_ssize_t k, j, K = p.shape[0], P = p.shape[1]
    cdef floating rate, b1, c1, b2, c2, eps, grad, first, second
    with nogil:
        for k in range(K):
            rate, eps = lr[k], epsilon[k]
            b1, c1, b2, c2 = beta_1[k], one_minus_beta_1[k], beta_2[k], one_minus_beta_2[k]
            for j in range(P):
                grad = g[k, j]
                first = m[k, j] * b1 + grad * c1
                second = v[k, j] * b2 + (grad * grad) * c2
                m[k, j] = first
                v[k, j] = second
                p[k, j] = p[k, j] - (first * rate) / (<floating> sqrt(second) + eps)
