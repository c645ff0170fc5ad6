"""A fit's backend when its thread trains in a stack (``_stacking``).

The stacking layer puts a stack on the threads that run its tasks
(``enter``); a fit started in such a thread trains through a
``StackMember``, whose epochs the stack runs together with its neighbours'.
Only the stack object crosses this seam, never an import of ``_stacking``:
a member needs its ``join``, ``submit`` and ``away``.
"""

import threading

from .._optimizers import SGD
from ._group import slot_lists
from ._numpy import NumpyBackend, _flat_views

_local = threading.local()


def enter(stack):
    """Make ``stack`` the one this thread's fits join (None: train alone)."""
    _local.stack = stack


def current_stack():
    return getattr(_local, "stack", None)


class StackMember(NumpyBackend):
    """A fit's backend when it trains in a stack.

    Its parameters and optimizer state live in the stack's arrays (views) once
    its first epoch has run; everything between epochs (validation, snapshots
    of the best weights, the fitted arrays) reads them as a NumPy fit would.
    ``device`` is the TensorFlow device the stack steps on (None: NumPy).
    """

    def __init__(self, stack, net, coefs, intercepts, device=None):
        super().__init__(net, coefs, intercepts)
        self.stack, self.device = stack, device
        self.seat = None  # its place in the stack's order, from its first epoch
        self._key = None
        self.shapes = [a.shape for a in coefs + intercepts]

    def bind(self, theta):
        """Make ``theta`` (a row of the stack's parameters) this fit's."""
        k = len(self.coefs)
        views = _flat_views(theta, self.shapes)
        self.theta, self.coefs, self.intercepts = theta, views[:k], views[k:]

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        # Once per fit: fits of one split then hold (and the stack steps) the
        # same arrays.
        if not hasattr(X, "tocsr"):
            X, Y, sample_weight, denom_weight = self.stack.join(
                self, (X, Y, sample_weight, denom_weight)
            )
        super().set_data(X, Y, sample_weight, denom_weight)

    def group_key(self, optimizer, batch_size):
        """Members with equal keys step as one stack of networks."""
        if self._key is None or self._key[0] != (id(optimizer), batch_size):
            self._key = (id(optimizer), batch_size), self._group_key(optimizer, batch_size)
        return self._key[1]

    def _group_key(self, optimizer, batch_size):
        if hasattr(self.X, "tocsr") or self._is_online_rule(optimizer, batch_size):
            return ("lone", self.seat)
        rule = ("sgd", optimizer.nesterov) if isinstance(optimizer, SGD) else ("adam",)
        net = self.net._replace(alpha=0.0, l1=bool(self.net.l1))
        return ("stack", self.device, net, rule, batch_size, self.X.dtype.str,
                tuple(self.shapes), self.Y.shape[1])

    def fit_bytes(self, data_shape, batch_size=200):
        """A generous estimate of this fit's memory in a stack: parameters,
        gradient, work arrays, optimizer slots and a snapshot; a batch's
        activations forward and backward; the copies of the data a fit holds
        while it trains (measured on W4: ~5 of the training split's size)."""
        n, d = data_shape
        units = int(self.units.sum())
        item = self.theta.itemsize
        return item * (7 * self.theta.size + 3 * min(batch_size, n) * units + 5 * n * (d + 1))

    def epoch_flops(self, n_samples):
        """About the flops of an epoch's products: forward, backward and
        the weights' gradient, each a multiply-add per sample and weight."""
        return 6 * n_samples * self.theta.size

    def run_epoch(self, optimizer, order, batch_size):
        return self.stack.submit(self, optimizer, order, batch_size)

    def finish(self, optimizer=None):
        # Own copies: the stack's arrays go when the stack does.
        self.bind(self.theta.copy())
        if optimizer is not None:
            for slots in slot_lists(optimizer):
                slots[0] = slots[0].copy()
        return self.snapshot()
