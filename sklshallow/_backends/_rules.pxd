# cython: language_level=3
"""Rules that both compiled loops apply (``_online.pyx``, ``_epoch.pyx``)."""

from cython cimport floating


cdef inline void truncate_l1(Py_ssize_t size, floating *w, floating *q, floating u) noexcept nogil:
    """sklearn's cumulative L1 penalty (Tsuruoka et al., 2009), in place: ``u``
    is the total L1 step every weight could have received so far and ``q``
    what each one did receive; a weight moves toward 0 by what it is owed but
    never crosses it (exact zeros, as sklearn's SGD estimators leave). Both
    candidates are computed and one selected, without branches: the signs of
    the weights come at random, and mispredicted branches cost more than the
    arithmetic."""
    cdef Py_ssize_t f
    cdef floating old, down, up, new
    for f in range(size):
        old = w[f]
        down = old - (u + q[f])
        down = down if down > 0 else 0
        up = old + (u - q[f])
        up = up if up < 0 else 0
        new = down if old > 0 else (up if old < 0 else old)
        w[f] = new
        q[f] = q[f] + (new - old)
