# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""The mini-batch epoch of K networks of one shape, as one compiled call.

At small batches a NumPy step is mostly not arithmetic: Python and NumPy
calls, and a pass over memory per elementwise operation. Here a whole epoch
(the batch gather, the layer products through BLAS, the activations, the loss
and the output delta, the L2 terms, the optimizer update and the truncated
L1 step) runs in one call with the GIL released. K = 1 is a lone fit; a
stack (``_stacking``) sends its K members, each with its own
hyperparameters, batch order and row count, and each member's step is the
lone step on its own rows: the same operations in the same order.

The order of operations is the one of the NumPy step it replaces (kept in
the tests as the reference, ``tests/reference.py``); no contraction into
fused multiply-adds (``setup.py``), so a * b + c rounds as NumPy's passes:

    forward:   Z = A W (gemm), Z += b, A = act(Z); the output layer's P
    loss:      sum_i sw_i loss(P_i, Y_i) [/ n_outputs]  then, with
               pen = alpha / 2 ||W||^2:  (data + pen) / denom  (sklearn's
               MLP) or  data / denom + pen  (the perceptron's mean of
               per-sample updates); denom is the batch's weight sum (or 1
               when that is 0), or its row count
    delta:     (P - Y) * sw / denom   (the canonical link of every loss)
    backward:  G = A^T delta (gemm) + W * scale, g_b = sum of delta's rows,
               delta <- act'(A) * (delta W^T)
    update:    SGD (momentum, Nesterov) or Adam with the L2 term, in one
               pass, then u += l1, truncate (Tsuruoka et al.)

A member's parameters are one row of ``theta``: every layer's weights
(fan_in x fan_out, C order), then every layer's biases, as ``NumpyBackend``
lays them out.
"""

import numpy as np

from cython cimport floating

from ._rules cimport truncate_l1
from libc.math cimport exp, expf, log, log1p, log1pf, logf, pow, sqrt, sqrtf, tanh, tanhf
from libc.string cimport memcpy, memset
from scipy.linalg.cython_blas cimport ddot, dgemm, dgemv, sdot, sgemm, sgemv

# Hidden activations and output layers, as ``_network.ACTIVATIONS`` and
# ``_network.OUTPUTS`` name them.
cdef enum:
    IDENTITY = 0
    LOGISTIC = 1
    TANH = 2
    RELU = 3
    LEAKY_RELU = 4
    SOFTMAX = 5
    EXP = 6
    STEP = 7

ACTIVATIONS = {"identity": IDENTITY, "logistic": LOGISTIC, "tanh": TANH, "relu": RELU,
               "leaky_relu": LEAKY_RELU}
OUTPUTS = {"identity": IDENTITY, "logistic": LOGISTIC, "softmax": SOFTMAX, "exp": EXP,
           "step": STEP}

# Update rules.
cdef enum:
    SGD = 0
    NESTEROV = 1
    ADAM = 2

RULES = {"sgd": SGD, "nesterov": NESTEROV, "adam": ADAM}

cdef double LEAKY_SLOPE = 0.01  # _network.LEAKY_SLOPE



cdef inline void _gemv(
    bint trans, int rows, int cols, const floating *M, int ld, const floating *x, int inc_x,
    floating *y, int inc_y,
) noexcept nogil:
    """Column-major ``y = op(M) x``, ``M`` rows x cols (BLAS's gemv, beta 0:
    y's old values are cleared first, since gemv may keep a NaN of them)."""
    cdef char t = b"T" if trans else b"N"
    cdef floating one = 1.0, zero = 0.0
    cdef Py_ssize_t i
    for i in range(cols if trans else rows):
        y[i * inc_y] = 0
    if floating is double:
        dgemv(&t, &rows, &cols, &one, <double *> M, &ld, <double *> x, &inc_x, &zero, y, &inc_y)
    else:
        sgemv(&t, &rows, &cols, &one, <float *> M, &ld, <float *> x, &inc_x, &zero, y, &inc_y)


cdef inline void _gemm(
    bint trans_a, bint trans_b, int m, int n, int k, const floating *A, int lda,
    const floating *B, int ldb, floating *C, int ldc,
) noexcept nogil:
    """Row-major ``C (m x n) = op(A) op(B)``: BLAS is column-major, so it
    computes ``C^T = op(B)^T op(A)^T``."""
    cdef char ta = b"T" if trans_a else b"N", tb = b"T" if trans_b else b"N"
    cdef floating one = 1.0, zero = 0.0
    cdef int inc_a, inc_b
    cdef Py_ssize_t i, j
    cdef floating a
    if m == 0 or n == 0:
        return
    if k == 0:
        memset(C, 0, m * n * sizeof(floating))  # an empty sum (BLAS may skip C)
        return
    # A single-unit layer's products are outer products and matrix-vector
    # ones: no sums, or gemv, which skips gemm's packing and buffers.
    if k == 1:
        inc_a, inc_b = lda if not trans_a else 1, 1 if not trans_b else ldb
        for i in range(m):
            a = A[i * inc_a]
            for j in range(n):
                C[i * ldc + j] = a * B[j * inc_b]
        return
    if n == 1:  # C[:, 0] = op(A) b, where row-major A is BLAS's A^T
        _gemv(not trans_a, k if not trans_a else m, m if not trans_a else k, A, lda,
              B, ldb if not trans_b else 1, C, ldc)
        return
    if m == 1:  # C[0, :] = op(B)^T a
        _gemv(trans_b, n if not trans_b else k, k if not trans_b else n, B, ldb,
              A, 1 if not trans_a else lda, C, 1)
        return
    # BLAS is column-major: it computes C^T = op(B)^T op(A)^T.
    if floating is double:
        dgemm(&tb, &ta, &n, &m, &k, &one, <double *> B, &ldb, <double *> A, &lda,
              &zero, C, &ldc)
    else:
        sgemm(&tb, &ta, &n, &m, &k, &one, <float *> B, &ldb, <float *> A, &lda,
              &zero, C, &ldc)


# Each function in the parameters' precision (float32 rounds at every step,
# as NumPy's and SciPy's float32 loops do: near saturation it matters).
cdef inline floating _exp(floating x) noexcept nogil:
    return exp(x) if floating is double else expf(x)


cdef inline floating _tanh(floating x) noexcept nogil:
    return tanh(x) if floating is double else tanhf(x)


cdef inline floating _log(floating x) noexcept nogil:
    return log(x) if floating is double else logf(x)


cdef inline floating _log1p(floating x) noexcept nogil:
    return log1p(x) if floating is double else log1pf(x)


cdef inline floating _sqrt(floating x) noexcept nogil:
    return sqrt(x) if floating is double else sqrtf(x)


cdef inline floating _dot(int n, const floating *x, const floating *y) noexcept nogil:
    cdef int one = 1
    if floating is double:
        return ddot(&n, <double *> x, &one, <double *> y, &one)
    else:
        return sdot(&n, <float *> x, &one, <float *> y, &one)


# Below this many units a row, elementwise work over a batch runs column by
# column: an inner loop over a few units costs more than its arithmetic.
cdef Py_ssize_t NARROW = 8


cdef void _add_bias(floating *Z, const floating *b, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """``Z += b`` on each row of ``Z`` (rows x cols)."""
    cdef Py_ssize_t i, j
    cdef floating bj
    if cols < NARROW:
        for j in range(cols):
            bj = b[j]
            for i in range(rows):
                Z[i * cols + j] = Z[i * cols + j] + bj
        return
    for i in range(rows):
        for j in range(cols):
            Z[i * cols + j] = Z[i * cols + j] + b[j]


cdef void _column_sums(const floating *D, floating *G, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    """``G`` = the column sums of ``D`` (rows x cols, rows >= 1), each summed
    in row order, as NumPy sums a C-ordered array over its first axis."""
    cdef Py_ssize_t i, j
    cdef floating total
    if cols < NARROW:
        for j in range(cols):
            total = D[j]
            for i in range(1, rows):
                total = total + D[i * cols + j]
            G[j] = total
        return
    for j in range(cols):
        G[j] = D[j]
    for i in range(1, rows):
        for j in range(cols):
            G[j] = G[j] + D[i * cols + j]


cdef void _activate(int kind, floating *Z, Py_ssize_t size) noexcept nogil:
    """A hidden activation (or a non-softmax output), in place."""
    cdef Py_ssize_t j
    cdef floating z, s, slope = <floating> LEAKY_SLOPE
    if kind == LOGISTIC:
        for j in range(size):
            Z[j] = 1 / (1 + _exp(-Z[j]))
    elif kind == TANH:
        for j in range(size):
            Z[j] = _tanh(Z[j])
    elif kind == RELU:  # np.maximum(z, 0): NaN stays NaN, -0.0 stays -0.0
        for j in range(size):
            z = Z[j]
            Z[j] = z if (z >= 0 or z != z) else 0
    elif kind == LEAKY_RELU:  # np.maximum(z, slope z)
        for j in range(size):
            z = Z[j]
            s = slope * z
            Z[j] = z if (z >= s or z != z) else s
    elif kind == EXP:
        for j in range(size):
            Z[j] = _exp(Z[j])


cdef void _derivative(int kind, const floating *A, floating *D, Py_ssize_t size) noexcept nogil:
    """``D <- act'(A) D``, the derivative written in terms of the output A."""
    cdef Py_ssize_t j
    cdef floating a, slope = <floating> LEAKY_SLOPE
    if kind == LOGISTIC:
        for j in range(size):
            a = A[j]
            D[j] = D[j] * a
            D[j] = D[j] * (1 - a)
    elif kind == TANH:
        for j in range(size):
            a = A[j]
            D[j] = D[j] * (1 - a * a)
    elif kind == RELU:  # a multiply by 0/1, so that 0 * inf is NaN as in NumPy
        for j in range(size):
            D[j] = D[j] * (1 if A[j] > 0 else 0)
    elif kind == LEAKY_RELU:
        for j in range(size):
            D[j] = D[j] * (slope if A[j] < 0 else 1)


cdef void _softmax(floating *Z, Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef floating top, total
    cdef floating *z
    for i in range(rows):
        z = Z + i * cols
        top = z[0]
        for j in range(1, cols):
            top = z[j] if z[j] > top else top
        total = 0
        for j in range(cols):
            z[j] = _exp(z[j] - top)
            total = total + z[j]
        for j in range(cols):
            z[j] = z[j] / total


cdef floating _sample_loss(
    int output, const floating *p, const floating *y, const floating *z, Py_ssize_t n,
) noexcept nogil:
    """One sample's loss, summed over its outputs (``_network.OUTPUTS``)."""
    cdef Py_ssize_t j
    cdef floating total = 0, q, eps
    eps = <floating> (2.220446049250313e-16 if floating is double else 1.1920928955078125e-07)
    # A term whose target factor is 0 adds 0 (its log is finite, clipped):
    # skipping its log changes no bit and saves most of them (one-hot Y).
    if output == SOFTMAX:
        for j in range(n):
            if y[j] != 0:
                q = min(max(p[j], eps), 1 - eps)
                total = total + y[j] * _log(q)
        return -total
    if output == LOGISTIC:
        for j in range(n):
            q = min(max(p[j], eps), 1 - eps)
            if y[j] == 1:
                total = total + _log(q)
            elif y[j] == 0:
                total = total + _log1p(-q)
            else:
                total = total + (y[j] * _log(q) + (1 - y[j]) * _log1p(-q))
        return -total
    if output == IDENTITY:
        for j in range(n):
            total = total + <floating> 0.5 * ((p[j] - y[j]) * (p[j] - y[j]))
        return total
    if output == EXP:  # half the Poisson deviance: xlogy(y, y / p) - y + p
        for j in range(n):
            q = y[j] * _log(y[j] / p[j]) if y[j] != 0 else 0
            total = total + ((q - y[j]) + p[j])
        return total
    for j in range(n):  # STEP: Rosenblatt's criterion
        total = total + (p[j] - y[j]) * z[j]
    return total


cdef struct Net:
    int n_layers
    int activation
    int output
    bint normalize_weights
    bint fit_intercept
    bint mean_outputs
    bint sparse
    Py_ssize_t n_features


cdef void _first_product(
    Net *net, const floating *X0, const floating *data, const int *indices,
    const long long *indptr, const Py_ssize_t *rows, Py_ssize_t count,
    const floating *W, Py_ssize_t fan_out, floating *Z,
) noexcept nogil:
    """``Z = X_batch W``, the first layer's product (``W``: n_features x
    fan_out): BLAS on the dense batch ``X0``, or a loop over the CSR rows'
    nonzeros."""
    cdef Py_ssize_t i, j, jj, F = net.n_features
    cdef const floating *x
    cdef floating v
    if not net.sparse:
        _gemm(False, False, count, fan_out, F, X0, F, W, fan_out, Z, fan_out)
        return
    memset(Z, 0, count * fan_out * sizeof(floating))
    for i in range(count):
        for jj in range(indptr[rows[i]], indptr[rows[i] + 1]):
            v = data[jj]
            x = W + indices[jj] * fan_out
            for j in range(fan_out):
                Z[i * fan_out + j] = Z[i * fan_out + j] + v * x[j]


cdef void _first_gradient(
    Net *net, const floating *X0, const floating *data, const int *indices,
    const long long *indptr, const Py_ssize_t *rows, Py_ssize_t count,
    const floating *D, Py_ssize_t fan_out, floating *G,
) noexcept nogil:
    """``G = X_batch^T D``, the first layer's weight gradient."""
    cdef Py_ssize_t i, j, jj, F = net.n_features
    cdef const floating *x
    cdef floating v
    if not net.sparse:
        _gemm(True, False, F, fan_out, count, X0, F, D, fan_out, G, fan_out)
        return
    memset(G, 0, F * fan_out * sizeof(floating))
    for i in range(count):
        x = D + i * fan_out
        for jj in range(indptr[rows[i]], indptr[rows[i] + 1]):
            v = data[jj]
            for j in range(fan_out):
                G[indices[jj] * fan_out + j] = G[indices[jj] * fan_out + j] + v * x[j]


cdef const floating *_batch(
    Net *net, const floating *data, const Py_ssize_t *rows, Py_ssize_t count,
    floating *Xb,
) noexcept nogil:
    """The dense batch, gathered into ``Xb`` (NULL: the rows are 0, 1, ...,
    so the data itself); CSR rows are read in place (NULL)."""
    cdef Py_ssize_t i, F = net.n_features
    if net.sparse:
        return NULL
    if Xb == NULL:
        return data
    for i in range(count):
        memcpy(Xb + i * F, data + rows[i] * F, F * sizeof(floating))
    return Xb


cdef double _member_step(
    Net *net,
    const Py_ssize_t *units,       # n_layers + 1 layer widths
    const Py_ssize_t *offsets,     # where each layer's W, then each b, starts
    floating *theta,               # the member's parameters
    floating *grad,                # receives the member's gradient
    const floating *X0,            # the dense batch (count x n_features), or NULL
    const floating *data, const int *indices, const long long *indptr,
    const floating *Y, const floating *sw, const floating *dw,
    const Py_ssize_t *rows, Py_ssize_t count,
    double alpha,
    floating *acts,                # count x sum(units[1:]), activations
    floating *D0, floating *D1,    # count x max(units[1:]), deltas
    floating *losses,              # count
    floating *decay,               # receives the L2 term's factor, or NULL
) noexcept nogil:
    """The loss of one member on the rows ``rows[:count]`` at ``theta``, and its
    gradient (into ``grad``). With ``decay``, the weights' gradient leaves out
    the L2 term ``W * decay[0]``: the update adds it in its own pass."""
    cdef Py_ssize_t i, j, l, r, fan_in, fan_out
    cdef Py_ssize_t n_layers = net.n_layers, n_out = units[n_layers]
    cdef floating *A
    cdef floating *Z
    cdef floating *W
    cdef floating *G
    cdef floating *D = D0
    cdef floating *other = D1
    cdef const floating *x
    cdef floating denom_f, scale_f, sq_f
    cdef double data_term, denom, penalty, loss, weight_sum
    cdef bint penalized = alpha != 0

    # Forward.
    Z = acts
    for l in range(n_layers):
        fan_in, fan_out = units[l], units[l + 1]
        W = theta + offsets[l]
        if l == 0:
            _first_product(net, X0, data, indices, indptr, rows, count, W, fan_out, Z)
        else:
            A = Z - count * fan_in
            _gemm(False, False, count, fan_out, fan_in, A, fan_in, W, fan_out, Z, fan_out)
        _add_bias(Z, theta + offsets[n_layers + l], count, fan_out)
        if l < n_layers - 1:
            _activate(net.activation, Z, count * fan_out)
            Z = Z + count * fan_out
    # Z: the last pre-activation; its output P goes to D (kept apart: the
    # perceptron's criterion needs Z).
    if net.output == SOFTMAX:
        memcpy(D, Z, count * n_out * sizeof(floating))
        _softmax(D, count, n_out)
    elif net.output == STEP:
        for j in range(count * n_out):
            D[j] = 1 if Z[j] >= 0 else 0
    else:
        memcpy(D, Z, count * n_out * sizeof(floating))
        _activate(net.output, D, count * n_out)

    # Loss.
    for i in range(count):
        r = rows[i]
        losses[i] = _sample_loss(net.output, D + i * n_out, Y + r * n_out, Z + i * n_out, n_out)
    # Sums over the batch in double: float32 sums of a few hundred terms
    # would lose digits that NumPy's pairwise sums keep.
    data_term = 0
    if sw != NULL:
        for i in range(count):
            data_term += <double> (losses[i] * sw[rows[i]])
    else:
        for i in range(count):
            data_term += losses[i]
    if net.mean_outputs:
        data_term = data_term / n_out
    if dw != NULL and net.normalize_weights:
        weight_sum = 0
        for i in range(count):
            weight_sum += dw[rows[i]]
        # No data term: a finite penalty step, not NaN.
        denom_f = <floating> weight_sum if weight_sum != 0 else 1
    else:
        denom_f = <floating> count
    denom = denom_f
    sq_f = 0
    if penalized:
        for l in range(n_layers):
            sq_f = sq_f + _dot(<int> (units[l] * units[l + 1]), theta + offsets[l],
                               theta + offsets[l])
    penalty = 0.5 * alpha * <double> sq_f
    if net.normalize_weights:
        loss = (data_term + penalty) / denom
        scale_f = <floating> (alpha / denom)
    else:
        loss = data_term / denom + penalty
        scale_f = <floating> alpha
    if decay != NULL:
        decay[0] = scale_f if penalized else 0

    # Output delta: (P - Y) * sw / denom.
    for i in range(count):
        r = rows[i]
        for j in range(n_out):
            D[i * n_out + j] = D[i * n_out + j] - Y[r * n_out + j]
            if sw != NULL:
                D[i * n_out + j] = D[i * n_out + j] * sw[r]
            D[i * n_out + j] = D[i * n_out + j] / denom_f

    # Backward.
    for l in range(n_layers - 1, -1, -1):
        fan_in, fan_out = units[l], units[l + 1]
        W, G = theta + offsets[l], grad + offsets[l]
        A = Z - count * fan_in if l else NULL  # the layer's input (l > 0)
        if l == 0:
            _first_gradient(net, X0, data, indices, indptr, rows, count, D, fan_out, G)
        else:
            _gemm(True, False, fan_in, fan_out, count, A, fan_in, D, fan_out, G, fan_out)
        if penalized and decay == NULL:
            for j in range(fan_in * fan_out):
                G[j] = G[j] + W[j] * scale_f
        G = grad + offsets[n_layers + l]
        if net.fit_intercept:
            _column_sums(D, G, count, fan_out)
        else:
            memset(G, 0, fan_out * sizeof(floating))
        if l:
            _gemm(False, True, count, fan_in, fan_out, D, fan_out, W, fan_out, other, fan_in)
            _derivative(net.activation, A, other, count * fan_in)
            D, other = other, D
            Z = A
    return loss


cdef void _update(
    int rule, floating *p, const floating *g, floating *m, floating *v, Py_ssize_t start,
    Py_ssize_t end, bint decayed, floating decay, floating lr, floating mu, floating b1,
    floating c1, floating b2, floating c2, floating eps,
) noexcept nogil:
    """SGD (momentum, Nesterov) or Adam on ``p[start:end]``, in sklearn's order
    of operations; ``decayed``: the gradient is ``g + p * decay`` (the L2
    term, added here rather than in a pass of its own)."""
    cdef Py_ssize_t j
    cdef floating step, velocity, grad, first, second
    if rule == ADAM:
        for j in range(start, end):
            grad = g[j] + p[j] * decay if decayed else g[j]
            first = m[j] * b1 + grad * c1
            second = v[j] * b2 + (grad * grad) * c2
            m[j] = first
            v[j] = second
            p[j] = p[j] - (first * lr) / (_sqrt(second) + eps)
    else:
        for j in range(start, end):
            grad = g[j] + p[j] * decay if decayed else g[j]
            step = grad * lr
            velocity = m[j] * mu - step
            m[j] = velocity
            if rule == NESTEROV:
                p[j] = p[j] + (velocity * mu - step)
            else:
                p[j] = p[j] + velocity


cdef Net _net(Py_ssize_t[::1] units, int activation, int output, bint normalize_weights,
              bint fit_intercept, bint mean_outputs, bint sparse):
    cdef Net net
    net.n_layers = <int> units.shape[0] - 1
    net.activation, net.output = activation, output
    net.normalize_weights, net.fit_intercept = normalize_weights, fit_intercept
    net.mean_outputs, net.sparse, net.n_features = mean_outputs, sparse, units[0]
    return net


# Per-member hyperparameters: the rows of ``epoch``'s ``hyper``, in this order.
HYPER = ("alpha", "learning_rate", "learning_rate_init", "momentum", "beta_1", "beta_2",
         "epsilon", "l1")
cdef enum:
    ALPHA = 0
    LR = 1
    LR_INIT = 2
    MOMENTUM = 3
    BETA_1 = 4
    BETA_2 = 5
    EPSILON = 6
    L1 = 7


# The helpers below run once per epoch call, for every fit's every epoch:
# loops and one allocation each, not NumPy calls (a tiny network's epoch is
# tens of microseconds).
cdef Py_ssize_t[::1] _offsets(const Py_ssize_t[::1] units):
    """Where each layer's weights, then each layer's biases, start in a row."""
    cdef Py_ssize_t l, n_layers = units.shape[0] - 1
    cdef Py_ssize_t[::1] offsets = np.empty(2 * n_layers + 1, np.intp)
    offsets[0] = 0
    for l in range(n_layers):
        offsets[l + 1] = offsets[l] + units[l] * units[l + 1]
    for l in range(n_layers):
        offsets[n_layers + l + 1] = offsets[n_layers + l] + units[l + 1]
    return offsets


cdef Py_ssize_t _scratch_size(const Py_ssize_t[::1] units, Py_ssize_t batch):
    """The size of a step's buffers for ``batch`` rows (``_scratch``)."""
    cdef Py_ssize_t l, total = 0, widest = 0
    for l in range(1, units.shape[0]):
        total += units[l]
        widest = max(widest, units[l])
    return batch * (total + 2 * widest + 1)


cdef void _scratch(const Py_ssize_t[::1] units, Py_ssize_t batch, floating *buffer,
                   floating **acts, floating **D0, floating **D1, floating **losses) noexcept:
    """A step's buffers, consecutive in ``buffer`` (``_scratch_size``): the
    activations of every layer, two deltas of the widest layer, the
    per-sample losses."""
    cdef Py_ssize_t l, total = 0, widest = 0
    for l in range(1, units.shape[0]):
        total += units[l]
        widest = max(widest, units[l])
    acts[0] = buffer
    D0[0] = acts[0] + batch * total
    D1[0] = D0[0] + batch * widest
    losses[0] = D1[0] + batch * widest


def epoch(
    floating[:, ::1] theta,
    floating[:, ::1] grad,
    floating[:, ::1] m,
    floating[:, ::1] v,
    floating[:, ::1] q,
    Py_ssize_t[::1] units,
    const floating[::1] data,
    const int[::1] indices,
    const long long[::1] indptr,
    const floating[:, ::1] Y,
    const floating[::1] sample_weight,
    const floating[::1] denom_weight,
    const Py_ssize_t[:, ::1] rows,
    const Py_ssize_t[::1] origin,
    const Py_ssize_t[::1] share,
    const Py_ssize_t[:, ::1] counts,
    Py_ssize_t batch,
    int activation,
    int output,
    bint normalize_weights,
    bint fit_intercept,
    bint mean_outputs,
    int rule,
    double[:, ::1] hyper,
    long long[::1] t,
    double[::1] u,
    double[::1] totals,
):
    """One epoch of mini-batch steps for K members, in place.

    Members that share their batches (``share``) gather each batch once.
    Each takes its own products, the lone fit's: a wide product over them
    (``X_b [W_1 | ... | W_n]``) rounds some columns' sums apart from the
    narrow one in OpenBLAS's dgemm, and a stacked fit is the lone fit to the
    bit.

    Parameters
    ----------
    theta, grad : ndarray of shape (K, P)
        Each member's parameters (updated), and scratch for its gradient.
    m, v : ndarray of shape (K, P)
        The optimizer's state: SGD's velocities in ``m`` (``v`` unused), or
        Adam's moments.
    q : ndarray of shape (K, P) or (0, 0)
        The L1 step each weight received (used where ``l1 > 0``).
    units : ndarray of intp
        The layer widths, inputs first.
    data, indices, indptr : ndarray
        The rows: a dense C-ordered ``X.ravel()`` with empty ``indices`` and
        ``indptr``, or a CSR matrix's arrays (int32 indices, int64 indptr).
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight, denom_weight : ndarray of shape (n_samples,) or (0,)
        The weights of the loss, and those whose sum divides it (empty: none).
    rows : ndarray of shape (G, n_rows)
        G orders of rows: step s of order g is
        ``rows[g, s * batch:][:counts[s, k]]`` for each member k of that order.
    origin : ndarray of intp, shape (G,)
        Where order g's data starts: its rows count from there (a stack
        concatenates its members' data).
    share : ndarray of intp, shape (K,)
        Member k's order, in ``range(G)``.
    counts : ndarray of shape (n_steps, K)
        Each member's rows per step (equal for members of one order).
    batch : int
        The batch size.
    activation, output, rule : int
        Values of ``ACTIVATIONS``, ``OUTPUTS`` and ``RULES``.
    normalize_weights, fit_intercept, mean_outputs : bool
        As in ``Net``.
    hyper : ndarray of shape (len(HYPER), K)
        Per-member hyperparameters, a row each as ``HYPER`` names them.
        SGD steps at the learning rate; Adam's rate is computed at each step
        from ``learning_rate_init`` and the step count, and its last value
        written to the ``learning_rate`` row. ``l1`` is the L1 step of each
        update (the L1 penalty times the learning rate).
    t : ndarray of int64, shape (K,)
        Adam's step counts (updated).
    u : ndarray of shape (K,)
        The cumulative L1 step (updated).
    totals : ndarray of shape (K,)
        Receives the sum over the epoch's steps of each step's loss times
        its row count.

    Returns
    -------
    products : int
        How many first-layer forward products the epoch made (one per step
        and member with rows in it).
    """
    cdef Py_ssize_t K = theta.shape[0], P = theta.shape[1], G = rows.shape[0]
    cdef Py_ssize_t n_steps = counts.shape[0]
    cdef Py_ssize_t n_layers = units.shape[0] - 1, F = units[0]
    cdef Py_ssize_t n_coefs, s, g, k, i, j, lo, hi, count, o, products = 0
    cdef Net net = _net(units, activation, output, normalize_weights, fit_intercept,
                        mean_outputs, indptr.shape[0] > 0)
    cdef Py_ssize_t[::1] offsets = _offsets(units)
    n_coefs = offsets[n_layers]
    # The members of each order, together, in member order (a counting sort):
    # by_order[starts[g]:starts[g + 1]].
    cdef Py_ssize_t[::1] index = np.zeros(K + 2 * G + 1, np.intp)
    cdef Py_ssize_t[::1] by_order = index[:K]
    cdef Py_ssize_t[::1] starts = index[K:K + G + 1]
    cdef Py_ssize_t[::1] placed = index[K + G + 1:]
    for k in range(K):
        starts[share[k] + 1] += 1
    for g in range(G):
        starts[g + 1] += starts[g]
    for k in range(K):
        by_order[starts[share[k]] + placed[share[k]]] = k
        placed[share[k]] += 1
    # One buffer: the step's scratch, the gathered batch, each member's L2 factor.
    cdef Py_ssize_t size = _scratch_size(units, batch)
    cdef floating[::1] buffer = np.empty(
        size + (batch * F if not net.sparse else 0) + K + 1,
        np.float64 if floating is double else np.float32)
    cdef floating *acts, *D0, *D1, *losses
    _scratch(units, batch, &buffer[0], &acts, &D0, &D1, &losses)
    cdef floating *Xb = &buffer[0] + size
    cdef floating *decay = Xb + (batch * F if not net.sparse else 0)
    cdef const floating *sw = &sample_weight[0] if sample_weight.shape[0] else NULL
    cdef const floating *dw = &denom_weight[0] if denom_weight.shape[0] else NULL
    cdef const int *ind = &indices[0] if indices.shape[0] else NULL
    cdef const long long *ptr = &indptr[0] if indptr.shape[0] else NULL
    cdef const Py_ssize_t *r
    cdef const floating *X0
    cdef const floating *x
    cdef const floating *yg
    cdef const floating *swg
    cdef const floating *dwg
    cdef const long long *ptrg
    cdef floating *vv
    cdef double rate, loss

    with nogil:
        for s in range(n_steps):
            for g in range(G):
                lo, hi = starts[g], starts[g + 1]
                if lo == hi or counts[s, by_order[lo]] == 0:
                    continue
                count = counts[s, by_order[lo]]
                r = &rows[g, s * batch]
                # The order's data: its rows count from its origin.
                o = origin[g]
                x = &data[0] if net.sparse else &data[0] + o * F
                ptrg = ptr + o if net.sparse else NULL
                yg = &Y[0, 0] + o * Y.shape[1]
                swg = sw + o if sw != NULL else NULL
                dwg = dw + o if dw != NULL else NULL
                X0 = _batch(&net, x, r, count, Xb)
                for i in range(lo, hi):
                    k = by_order[i]
                    products += 1
                    loss = _member_step(
                        &net, &units[0], &offsets[0], &theta[k, 0], &grad[k, 0], X0,
                        x, ind, ptrg, yg, swg, dwg, r, count, hyper[ALPHA, k],
                        acts, D0, D1, losses, &decay[k],
                    )
                    totals[k] += loss * count
                    if rule == ADAM:
                        t[k] += 1
                        rate = hyper[LR_INIT, k] * sqrt(
                            1 - pow(hyper[BETA_2, k], <double> t[k])) / (
                            1 - pow(hyper[BETA_1, k], <double> t[k]))
                        hyper[LR, k] = rate
                    else:
                        rate = hyper[LR, k]
                    vv = &v[k, 0] if rule == ADAM else NULL
                    # The weights, with their L2 term; then the biases, without.
                    for j in range(2):
                        _update(rule, &theta[k, 0], &grad[k, 0], &m[k, 0], vv,
                                0 if j == 0 else n_coefs, n_coefs if j == 0 else P,
                                j == 0 and decay[k] != 0, decay[k], <floating> rate,
                                <floating> hyper[MOMENTUM, k], <floating> hyper[BETA_1, k],
                                <floating> (1.0 - hyper[BETA_1, k]), <floating> hyper[BETA_2, k],
                                <floating> (1.0 - hyper[BETA_2, k]),
                                <floating> hyper[EPSILON, k])
                    if hyper[L1, k] > 0:
                        u[k] += hyper[L1, k]
                        truncate_l1(n_coefs, &theta[k, 0], &q[k, 0], <floating> u[k])
    return products


def loss_grad(
    floating[::1] theta,
    floating[::1] grad,
    Py_ssize_t[::1] units,
    const floating[::1] data,
    const int[::1] indices,
    const long long[::1] indptr,
    const floating[:, ::1] Y,
    const floating[::1] sample_weight,
    const floating[::1] denom_weight,
    int activation,
    int output,
    bint normalize_weights,
    bint fit_intercept,
    bint mean_outputs,
    double alpha,
):
    """The loss over all the rows at ``theta`` and its gradient (into
    ``grad``): the epoch's step on one batch of every row, without the
    update (L-BFGS)."""
    cdef Py_ssize_t n = Y.shape[0]
    cdef Net net = _net(units, activation, output, normalize_weights, fit_intercept,
                        mean_outputs, indptr.shape[0] > 0)
    cdef Py_ssize_t[::1] offsets = _offsets(units)
    cdef Py_ssize_t[::1] rows = np.arange(max(n, 1), dtype=np.intp)
    cdef floating[::1] buffer = np.empty(_scratch_size(units, n) + 1,
                                         np.float64 if floating is double else np.float32)
    cdef floating *acts, *D0, *D1, *losses
    _scratch(units, n, &buffer[0], &acts, &D0, &D1, &losses)
    cdef const floating *sw = &sample_weight[0] if sample_weight.shape[0] else NULL
    cdef const floating *dw = &denom_weight[0] if denom_weight.shape[0] else NULL
    cdef const int *ind = &indices[0] if indices.shape[0] else NULL
    cdef const long long *ptr = &indptr[0] if indptr.shape[0] else NULL
    cdef double loss
    with nogil:
        loss = _member_step(
            &net, &units[0], &offsets[0], &theta[0], &grad[0],
            _batch(&net, &data[0], &rows[0], n, NULL), &data[0], ind, ptr, &Y[0, 0],
            sw, dw, &rows[0], n, alpha, acts, D0, D1, losses, NULL,
        )
    return loss
