# cython: language_level=3, boundscheck=False, wraparound=False
"""Each epoch's permutation, the one ``RandomState.shuffle`` draws, faster.

NumPy's legacy shuffle serves any dtype and stride: it moves each item
through ``memcpy`` and branches on every rejected draw. On the perceptron's
sparse epochs it took a fifth of the epoch. Here the same Fisher-Yates walk
takes the same bounded draws (NumPy's legacy ``random_interval``: masked
rejection over the bit generator's 32-bit outputs) from the same bit
generator, through its documented C interface (``bitgen_t``), without
branches: the same permutation and the same generator state after it.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport uint32_t, uint64_t


# numpy/random/bitgen.h, NumPy's C interface to bit generators (stable since
# NumPy 1.17): declared here so that the build needs no NumPy headers.
ctypedef struct bitgen_t:
    void *state
    uint64_t (*next_uint64)(void *st) noexcept nogil
    uint32_t (*next_uint32)(void *st) noexcept nogil
    double (*next_double)(void *st) noexcept nogil
    uint64_t (*next_raw)(void *st) noexcept nogil


def shuffle(random_state, Py_ssize_t[::1] order):
    """Shuffle ``order`` in place exactly as ``random_state.shuffle(order)``.

    Parameters
    ----------
    random_state : numpy.random.RandomState
    order : ndarray of intp, 1-D, contiguous
    """
    cdef Py_ssize_t i = order.shape[0] - 1, j, a, b
    cdef uint32_t mask, draw
    cdef bint accepted
    bit_generator = getattr(random_state, "_bit_generator", None)
    if bit_generator is None or i > 0xFFFFFFFF:  # beyond 32-bit draws: NumPy's own
        random_state.shuffle(order)
        return
    cdef bitgen_t *rng = <bitgen_t *> PyCapsule_GetPointer(
        bit_generator.capsule, "BitGenerator")
    with bit_generator.lock, nogil:
        while i > 0:
            mask = <uint32_t> i  # the smallest all-ones mask >= i
            mask |= mask >> 1
            mask |= mask >> 2
            mask |= mask >> 4
            mask |= mask >> 8
            mask |= mask >> 16
            draw = rng.next_uint32(rng.state) & mask
            # A rejected draw (> i) swaps item i with itself and keeps i:
            # selects, not branches, since rejections come at random.
            accepted = draw <= i
            j = <Py_ssize_t> draw if accepted else i
            a, b = order[i], order[j]
            order[j] = a
            order[i] = b
            i -= accepted
