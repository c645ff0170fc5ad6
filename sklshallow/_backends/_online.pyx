# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""The perceptron's per-sample rules: one compiled loop per epoch.

A loop over samples is what NumPy cannot do fast (each sample would cost
several NumPy calls), so the online rule runs here, as scikit-learn's
``_plain_sgd`` does, with the GIL released. Python still decides everything
between epochs (the order of the samples, the learning rate, stopping).

Each step is the mini-batch step (``_epoch.pyx``) at batch size 1 with the
SGD update without momentum, then the truncated L1 step, in its order of
operations:

    z = W x + b                                    (one row of W per unit)
    delta = (out(z) - y) * sample_weight
    loss += sum_units(loss(out(z), y, z)) * sample_weight + l2 / 2 ||W||^2
    W <- W - (x delta + l2 W) * eta,  b <- b - delta * eta
    u <- u + l1 eta, then every weight is truncated toward 0 (Tsuruoka et al.)

Units whose output was right (``delta = 0``) and unpenalized rows are not
touched: the step would leave them as they are.
"""

from cython cimport floating

from ._rules cimport truncate_l1
from libc.math cimport exp, log, log1p
from scipy.linalg.cython_blas cimport ddot, dgemv, sdot, sgemv

cdef extern from *:
    """
    #if defined(__GNUC__)
    #define SKS_PREFETCH(p) __builtin_prefetch(p)
    #else
    #define SKS_PREFETCH(p) ((void) 0)
    #endif
    """
    void SKS_PREFETCH(const void *p) noexcept nogil

# Output layers of the perceptron's losses ('perceptron', 'squared', 'log').
cdef enum:
    STEP = 0
    IDENTITY = 1
    LOGISTIC = 2

OUTPUTS = {"step": STEP, "identity": IDENTITY, "logistic": LOGISTIC}


cdef inline floating _dot(int n, const floating *x, const floating *y) noexcept nogil:
    cdef int one = 1
    if floating is double:
        return ddot(&n, <double *> x, &one, <double *> y, &one)
    else:
        return sdot(&n, <float *> x, &one, <float *> y, &one)


cdef inline floating _sparse_dot(
    int nnz, const floating *x, const int *ind, const floating *w
) noexcept nogil:
    """x . w over the nonzeros of x, in four sums: each addition waits for the
    one before it, so four chains take a quarter of the time of one."""
    cdef int j, rest = nnz % 4
    cdef floating s0 = 0, s1 = 0, s2 = 0, s3 = 0
    for j in range(0, nnz - rest, 4):
        s0 = s0 + x[j] * w[ind[j]]
        s1 = s1 + x[j + 1] * w[ind[j + 1]]
        s2 = s2 + x[j + 2] * w[ind[j + 2]]
        s3 = s3 + x[j + 3] * w[ind[j + 3]]
    for j in range(nnz - rest, nnz):
        s0 = s0 + x[j] * w[ind[j]]
    return (s0 + s1) + (s2 + s3)


cdef inline void _outputs(
    int n_features, int n_units, const floating *W, const floating *x, floating *z
) noexcept nogil:
    """z = W x for the rows of W (BLAS gemv: the dot products NumPy makes)."""
    cdef int one = 1
    cdef char trans = b"T"
    cdef floating alpha = 1.0, beta = 0.0
    if floating is double:
        dgemv(&trans, &n_features, &n_units, &alpha, <double *> W, &n_features,
              <double *> x, &one, &beta, z, &one)
    else:
        sgemv(&trans, &n_features, &n_units, &alpha, <float *> W, &n_features,
              <float *> x, &one, &beta, z, &one)


def online_epoch(
    floating[:, ::1] W,
    floating[::1] b,
    floating[:, ::1] Q,
    const floating[::1] data,
    const int[::1] indices,
    const long long[::1] indptr,
    const floating[:, ::1] Y,
    const floating[::1] sample_weight,
    const Py_ssize_t[::1] order,
    int output,
    double eta,
    double l2,
    double l1_step,
    double u,
    bint fit_intercept,
    floating[::1] z,
    floating[::1] delta,
    floating[::1] dense_row,
):
    """One epoch of per-sample steps over the rows ``order``, in place.

    Parameters
    ----------
    W : ndarray of shape (n_units, n_features)
        The weights, one C-contiguous row per unit.
    b : ndarray of shape (n_units,)
        The biases.
    Q : ndarray of shape (n_units, n_features)
        The L1 step each weight received (used when ``l1_step > 0``).
    data, indices, indptr : ndarray
        The rows: a dense C-ordered ``X.ravel()`` with empty ``indices`` and
        ``indptr``, or a CSR matrix's arrays (int32 indices, int64 indptr).
    Y : ndarray of shape (n_samples, n_units)
        The targets of each unit.
    sample_weight : ndarray of shape (n_samples,)
        Each sample's weight, or empty for ones.
    order : ndarray of intp
        The rows to step through, in order.
    output : int
        The output layer, a value of ``OUTPUTS``.
    eta, l2 : float
        The learning rate and the L2 strength.
    l1_step, u : float
        The L1 step per sample (``l1 * eta``) and the cumulative L1 step so
        far (Tsuruoka et al.'s ``u``).
    fit_intercept : bool
        Whether the biases learn.
    z, delta : ndarray of shape (n_units,)
        Scratch.
    dense_row : ndarray of shape (n_features,)
        Zeros, for a sparse row's L2 step (left as zeros).

    Returns
    -------
    loss_sum : float
        The sum over the epoch of each sample's loss before its step.
    u : float
        The cumulative L1 step at the end of the epoch.
    """
    cdef Py_ssize_t n = order.shape[0], i, j, r, start
    cdef int n_units = W.shape[0], n_features = W.shape[1], size = n_units * n_features
    cdef int k, f, nnz
    cdef bint sparse = indptr.shape[0] > 0, weighted = sample_weight.shape[0] > 0
    cdef const floating *x
    cdef const int *ind = NULL
    cdef floating *w
    cdef floating *xd = &dense_row[0] if n_features else NULL
    cdef floating lr = <floating> eta, decay = <floating> l2, d, p, y, zk
    cdef floating sw = 1, eps = 2.220446049250313e-16 if floating is double else 1.1920929e-07
    cdef double total = 0.0, sample_loss, p_clipped, sq_norm = 0.0, half_l2 = 0.5 * l2

    with nogil:
        for i in range(n):
            r = order[i]
            if sparse and i + 1 < n:
                # The next row's nonzeros, fetched while this row computes:
                # rows come in random order, which hardware prefetch misses.
                start = indptr[order[i + 1]]
                SKS_PREFETCH(&data[start])
                SKS_PREFETCH(&indices[start])
            if sparse:
                start = indptr[r]
                nnz = <int> (indptr[r + 1] - start)
                x = &data[start] if nnz else NULL
                ind = &indices[start] if nnz else NULL
                for k in range(n_units):
                    z[k] = _sparse_dot(nnz, x, ind, &W[k, 0])
            else:
                x, nnz = &data[r * n_features], n_features
                _outputs(n_features, n_units, &W[0, 0], x, &z[0])
            if weighted:
                sw = sample_weight[r]

            sample_loss = 0.0
            for k in range(n_units):
                zk = z[k] + b[k]
                y = Y[r, k]
                if output == STEP:
                    p = 1 if zk >= 0 else 0
                    sample_loss += (p - y) * zk
                elif output == IDENTITY:
                    p = zk
                    sample_loss += 0.5 * (p - y) * (p - y)
                else:
                    p = 1 / (1 + exp(-zk))
                    p_clipped = min(max(p, eps), 1 - eps)
                    sample_loss -= y * log(p_clipped) + (1 - y) * log1p(-p_clipped)
                delta[k] = (p - y) * sw
            if decay:
                sq_norm = _dot(size, &W[0, 0], &W[0, 0])
            total += sample_loss * sw + half_l2 * sq_norm

            if decay:
                # Every weight decays: the step touches all of them.
                if sparse:
                    for j in range(nnz):
                        xd[ind[j]] = x[j]
                    x = xd
                for k in range(n_units):
                    w, d = &W[k, 0], delta[k]
                    for f in range(n_features):
                        w[f] = w[f] - (x[f] * d + decay * w[f]) * lr
                if sparse:
                    for j in range(nnz):
                        xd[ind[j]] = 0
            else:
                for k in range(n_units):
                    d = delta[k]
                    if d == 0:
                        continue
                    w = &W[k, 0]
                    if sparse:
                        for j in range(nnz):
                            w[ind[j]] = w[ind[j]] - (x[j] * d) * lr
                    else:
                        for f in range(n_features):
                            w[f] = w[f] - (x[f] * d) * lr
            if fit_intercept:
                for k in range(n_units):
                    b[k] = b[k] - delta[k] * lr

            if l1_step > 0:
                u += l1_step
                truncate_l1(size, &W[0, 0], &Q[0, 0], <floating> u)
    return total, u
