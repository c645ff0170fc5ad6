"""Many fits trained as one stack of networks, each exactly as it trains alone.

A search's fits are small networks whose time goes into their step loops.
Here K fits run their own, unchanged fit code (validation, the epoch loop of
``_training``, early stopping, schedules, warnings), each in a thread of its
own, and meet once per epoch: their backends are ``StackMember``s, whose
``run_epoch`` hands the epoch to the ``Stack`` and waits. When every fit
still training has asked, the stack runs the epoch for all of them at once
(a ``Group`` per network shape and rule, run by its backend: for NumPy one
compiled epoch of K networks, ``_backends._epoch``), and gives each fit its
loss.

So everything the lone fit decides, it still decides for itself, in the same
order and from its own RandomState: initial weights, early-stopping split,
each epoch's permutation, when to stop, which weights to keep. A fit that
stops, or diverges, simply asks for no more epochs; its neighbours do not
notice. Only the steps are shared, and a stacked step is the lone step
(the same operations on each network's slice).
"""

import contextlib
import hashlib
import threading

import numpy as np

from ._backends._group import slot_lists
from ._backends._numpy import NumpyBackend, NumpyGroup, _flat_views
from ._optimizers import SGD

_local = threading.local()


class Stack:
    """The meeting point of the fits of one stack, one epoch at a time.

    Parameters
    ----------
    n_members : int
        How many fits (threads) take part; each either trains through a
        ``StackMember`` or leaves (``leave``) without training here.
    """

    def __init__(self, n_members):
        self._cond = threading.Condition()
        self._live = set(range(n_members))
        self._pending = {}  # token -> (member, optimizer, order, batch_size)
        self._results = {}
        self._groups = {}  # stacked arrays of a group of members, by group key
        self._data = {}  # one array per content, for data that fits share
        self._aborted = None

    def abort(self, exc):
        """Fail every epoch from now on with ``exc`` (the search was interrupted)."""
        with self._cond:
            self._aborted = exc

    # ------------------------------------------------------------- threads

    @contextlib.contextmanager
    def slot(self, token):
        """Let the calling thread's next fit train as member ``token``."""
        _local.slot = (self, token)
        try:
            yield
        finally:
            _local.slot = None
            self.leave(token)

    def leave(self, token):
        """Member ``token`` trains no more epochs here."""
        with self._cond:
            if token in self._live:
                self._live.discard(token)
                self._run_if_ready()

    def submit(self, token, member, optimizer, order, batch_size):
        """Wait for this epoch of every live member; return this one's loss."""
        with self._cond:
            self._pending[token] = (member, optimizer, order, batch_size)
            self._run_if_ready()
            while token not in self._results:
                self._cond.wait()
            result = self._results.pop(token)
        if isinstance(result, BaseException):
            raise result
        return result

    def _run_if_ready(self):
        # Called with the lock held, by the last member to arrive (or leave):
        # that thread runs everybody's epoch while the others wait.
        if not self._pending or len(self._pending) < len(self._live):
            return
        pending, self._pending = self._pending, {}
        groups = {}
        for token, request in sorted(pending.items()):
            member, optimizer, order, batch_size = request
            groups.setdefault(member.group_key(optimizer, batch_size), []).append(
                (token, request)
            )
        for key, requests in groups.items():
            tokens = [token for token, _ in requests]
            try:
                if self._aborted:
                    raise self._aborted
                losses = self._run_group(key, [request for _, request in requests])
            except BaseException as exc:  # each fit fails as it would alone
                losses = [exc] * len(tokens)
            self._results.update(zip(tokens, losses))
        self._cond.notify_all()

    def _run_group(self, key, requests):
        members = [member for member, *_ in requests]
        if key[0] == "lone":  # what a stack cannot step: each member as alone
            return [
                NumpyBackend.run_epoch(member, optimizer, order, batch_size)
                for member, optimizer, order, batch_size in requests
            ]
        group = self._groups.get(key)
        if group is None or not group.takes(members):
            group = self._groups[key] = make_group(key, requests)
        return group.run_epoch(requests)

    # ---------------------------------------------------------------- data

    def shared(self, arrays):
        """One tuple of arrays per content: fits of one split (and of one
        early-stopping split) then hold the same arrays."""
        digest = hashlib.blake2b(digest_size=16)
        for a in arrays:
            if a is not None:
                digest.update(repr((a.shape, a.dtype.str)).encode())
                digest.update(np.ascontiguousarray(a).data)
            else:
                digest.update(b"None")
        with self._cond:
            return self._data.setdefault(digest.digest(), arrays)


def run_together(calls):
    """Call each of ``calls`` (functions of no argument that fit) in a thread
    of its own, their fits meeting in one ``Stack``, with this thread's
    scikit-learn configuration. Returns their results and the exceptions
    they raised (None where they did not), in order; Ctrl-C here makes the
    fits fail at their next epoch and is raised."""
    from sklearn import config_context, get_config

    stack, config = Stack(len(calls)), get_config()
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(k):
        with config_context(**config), stack.slot(k):
            try:
                results[k] = calls[k]()
            except BaseException as exc:
                errors[k] = exc

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as exc:
        stack.abort(exc)
        raise
    return results, errors


def take_slot():
    """The (stack, token) this thread's fit is to join, once, or None."""
    slot = getattr(_local, "slot", None)
    _local.slot = None
    return slot


class StackMember(NumpyBackend):
    """A fit's backend when it trains in a stack.

    Its parameters and optimizer state live in the stack's arrays (views) once
    its first epoch has run; everything between epochs (validation, snapshots
    of the best weights, the fitted arrays) reads them as a NumPy fit would.
    ``device`` is the TensorFlow device the stack steps on (None: NumPy).
    """

    def __init__(self, stack, token, net, coefs, intercepts, device=None):
        super().__init__(net, coefs, intercepts)
        self.stack, self.token, self.device = stack, token, device
        self.shapes = [a.shape for a in coefs + intercepts]

    def bind(self, theta):
        """Make ``theta`` (a row of the stack's parameters) this fit's."""
        k = len(self.coefs)
        views = _flat_views(theta, self.shapes)
        self.theta, self.coefs, self.intercepts = theta, views[:k], views[k:]

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        if not hasattr(X, "tocsr"):
            X, Y, sample_weight, denom_weight = self.stack.shared(
                (X, Y, sample_weight, denom_weight)
            )
        super().set_data(X, Y, sample_weight, denom_weight)

    def group_key(self, optimizer, batch_size):
        """Members with equal keys step as one stack of networks."""
        if hasattr(self.X, "tocsr") or self._is_online_rule(optimizer, batch_size):
            return ("lone", self.token)
        rule = ("sgd", optimizer.nesterov) if isinstance(optimizer, SGD) else ("adam",)
        net = self.net._replace(alpha=0.0, l1=bool(self.net.l1))
        return ("stack", self.device, net, rule, batch_size, self.X.dtype.str,
                tuple(self.shapes), self.Y.shape[1])

    def run_epoch(self, optimizer, order, batch_size):
        return self.stack.submit(self.token, self, optimizer, order, batch_size)

    def finish(self, optimizer=None):
        # Own copies: the stack's arrays go when the stack does.
        self.bind(self.theta.copy())
        if optimizer is not None:
            for slots in slot_lists(optimizer):
                slots[0] = slots[0].copy()
        self.stack.leave(self.token)
        return self.snapshot()


def make_group(key, requests):
    if key[1] is None:
        return NumpyGroup(key, requests)
    from ._backends._tensorflow import TensorFlowGroup  # a TensorFlow device

    return TensorFlowGroup(key, requests)
