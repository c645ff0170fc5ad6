"""Many fits trained as one stack of networks, each exactly as it trains alone.

A search's fits are small networks whose time goes into their step loops.
Here K fits run their own, unchanged fit code (validation, the epoch loop of
``_training``, early stopping, schedules, warnings), each in a thread of its
own, and meet once per epoch: their backends are ``StackMember``s, whose
``run_epoch`` hands the epoch to the ``Stack`` and waits. When every fit
still training has asked, the stack runs the epoch for all of them at once,
one mini-batch step of K networks at a time (``_network`` and
``_optimizers`` take a leading model axis), and gives each fit its loss.

So everything the lone fit decides, it still decides for itself, in the same
order and from its own RandomState: initial weights, early-stopping split,
each epoch's permutation, when to stop, which weights to keep. A fit that
stops, or diverges, simply asks for no more epochs; its neighbours do not
notice. Only the steps are shared, and a stacked step is the lone step
(the same operations on each network's slice).
"""

import contextlib
import hashlib
import math
import threading

import numpy as np

from . import _network
from ._backends._numpy import NumpyBackend, _flat_views
from ._optimizers import SGD, adam_rate, adam_update, sgd_update

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
            for slots in _slot_lists(optimizer):
                slots[0] = slots[0].copy()
        self.stack.leave(self.token)
        return self.snapshot()


def _slot_lists(optimizer):
    """The optimizer's state, as the lists that hold its flat arrays."""
    return [optimizer.velocities] if isinstance(optimizer, SGD) else [optimizer.ms, optimizer.vs]


def make_group(key, requests):
    if key[1] is None:
        return NumpyGroup(key, requests)
    from ._backends._tensorflow import TensorFlowGroup  # a TensorFlow device

    return TensorFlowGroup(key, requests)


class Group:
    """K members of one network shape and optimizer rule, stepped together.

    Their parameters and optimizer state become rows of ``(K, P)`` arrays
    (the members' and optimizers' arrays are views of them), so a stacked
    NumPy step updates every fit in place and nothing is copied between
    epochs; subclasses say how an epoch runs (``run_epoch``) and whether a
    group survives members that stopped (``takes``).
    """

    def __init__(self, key, requests):
        self.key = key
        self.members = [member for member, *_ in requests]
        self.optimizers = optimizers = [optimizer for _, optimizer, *_ in requests]
        self.theta = np.stack([m.theta for m in self.members])
        for member, row in zip(self.members, self.theta):
            member.bind(row)
        self.state = []
        for i in range(len(_slot_lists(optimizers[0]))):
            stacked = np.stack([_slot_lists(o)[i][0] for o in optimizers])
            for o, row in zip(optimizers, stacked):
                _slot_lists(o)[i][0] = row
            self.state.append(stacked)
        m0 = self.members[0]
        self.net, self.dtype = m0.net, self.theta.dtype
        self.layers = flat_views_stacked(self.theta, m0.shapes)
        n_coefs = len(m0.coefs)
        self.n_coefs = n_coefs
        self.alpha = np.array([m.net.alpha for m in self.members], dtype=float)
        self.l1 = np.array([m.net.l1 for m in self.members], dtype=float)

    def takes(self, members):
        """Whether this group steps exactly these members (NumPy compacts:
        a group whose fits stopped is rebuilt without them)."""
        return self.members == members

    def batches(self, requests):
        """``(shared, batch_size, n_steps, orders)`` of an epoch: ``shared``
        when every member sees the same data in the same order (then one
        batch serves them all), ``n_steps`` the longest member's steps."""
        batch_size = requests[0][3]
        members = self.members
        orders = [order for _, _, order, _ in requests]
        first = members[0]
        shared = all(
            _data_id(m) == _data_id(first) and np.array_equal(o, orders[0])
            for m, o in zip(members, orders)
        )
        n_steps = max(math.ceil(len(o) / batch_size) for o in orders)
        return shared, batch_size, n_steps, orders

    def hyper(self, optimizers, rates):
        """Per-member hyperparameters as ``(K, 1)`` arrays of the parameters'
        dtype (each rounded as the lone step rounds a Python float)."""
        col = lambda v: np.array(v, dtype=float).astype(self.dtype)[:, None]  # noqa: E731
        if self.key[3][0] == "sgd":
            return {"lr": col(rates), "mu": col([o.momentum for o in optimizers])}
        b1 = [o.beta_1 for o in optimizers]
        b2 = [o.beta_2 for o in optimizers]
        return {
            "beta_1": (col(b1), col([1 - b for b in b1])),
            "beta_2": (col(b2), col([1 - b for b in b2])),
            "epsilon": col([o.epsilon for o in optimizers]),
        }


def step_counts(orders, batch_size, n_steps):
    """``(n_steps, K)``: how many real rows each member's step has."""
    counts = np.zeros((n_steps, len(orders)), dtype=int)
    for k, order in enumerate(orders):
        full, rest = divmod(len(order), batch_size)
        counts[:full, k] = batch_size
        if rest:
            counts[full, k] = rest
    return counts


def flat_views_stacked(theta, shapes):
    """Views ``(K, *shape)`` of consecutive column ranges of ``theta``; biases
    as ``(K, 1, fan_out)`` so that they broadcast over a batch."""
    views, offset = [], 0
    K = theta.shape[0]
    for shape in shapes:
        size = int(np.prod(shape))
        view = theta[:, offset : offset + size]
        views.append(view.reshape((K,) + (shape if len(shape) == 2 else (1,) + shape)))
        offset += size
    return views


class NumpyGroup(Group):
    """A group stepped with NumPy's batched products."""

    def __init__(self, key, requests):
        super().__init__(key, requests)
        self.grad = np.empty_like(self.theta)
        self.grads = flat_views_stacked(self.grad, self.members[0].shapes)
        self.scratch = [np.empty_like(W) for W in self.layers[: self.n_coefs]]

    def run_epoch(self, requests):
        optimizers = [optimizer for _, optimizer, *_ in requests]
        shared, batch_size, n_steps, orders = self.batches(requests)
        K, net, dtype = len(requests), self.net, self.dtype
        adam = self.key[3][0] == "adam"
        hyper = self.hyper(optimizers, [o.learning_rate for o in optimizers])
        members = self.members
        counts = step_counts(orders, batch_size, n_steps)
        if shared:
            m = members[0]
            X, Y, sw, dw = m.X, m.Y, m.sample_weight, m.denom_weight
        else:
            X, Y, sw, dw, rows = concatenated(members, orders, batch_size, n_steps)
        weighted = any(m.sample_weight is not None for m in members)
        l1 = self.l1 * np.array([o.learning_rate for o in optimizers])
        if l1.any():
            l1_u = np.array([m.l1_u for m in members])
            l1_q = [np.stack([m.l1_q[i] for m in members]) for i in range(self.n_coefs)]
        totals = np.zeros(K)
        coefs, intercepts = self.layers[: self.n_coefs], self.layers[self.n_coefs :]
        grads = self.grads[: self.n_coefs], self.grads[self.n_coefs :]
        for s in range(n_steps):
            count = counts[s]
            if shared:
                idx = orders[0][s * batch_size : (s + 1) * batch_size]
                Xb, Yb = X[idx], Y[idx]
                wb = None if sw is None else sw[idx]
                if not weighted or not net.normalize_weights:
                    denom = count.astype(float)
                else:
                    denom = np.full(K, (dw[idx].sum() or 1.0))
            else:
                idx = rows[s]
                Xb, Yb = X[idx], Y[idx]
                real = np.arange(batch_size) < count[:, None]
                wb = sw[idx] * real
                denom = (dw[idx] * real).sum(axis=-1) if weighted and net.normalize_weights \
                    else count.astype(float)
                denom[denom == 0] = 1.0
            loss, _, _ = _network.loss_and_grads(
                coefs, intercepts, Xb, Yb, net.activation, net.out_activation,
                self.alpha, wb, net.normalize_weights, net.fit_intercept,
                out=grads, scratch=self.scratch, mean_outputs=net.mean_outputs,
                denom=denom,
            )
            active = count > 0
            sel = slice(None) if active.all() else np.flatnonzero(active)
            if adam:
                rates = []
                for k, o in enumerate(optimizers):
                    if active[k]:
                        o.t += 1
                        o.learning_rate = adam_rate(o.learning_rate_init, o.beta_1, o.beta_2, o.t)
                    rates.append(o.learning_rate)
                hyper["lr"] = np.array(rates).astype(dtype)[:, None]
            self._step(sel, hyper)
            if l1.any():
                l1_u[sel] += l1[sel]
                for W, q in zip(coefs, l1_q):
                    _truncate_rows(W, q, l1_u, sel)
            totals += np.where(active, loss, 0.0) * count
        if l1.any():
            for k, m in enumerate(members):
                m.l1_u = float(l1_u[k])
                m.l1_q = [q[k] for q in l1_q]
        return [float(t) / len(o) for t, o in zip(totals, orders)]

    def _step(self, sel, hyper):
        theta, grad, state = self.theta, self.grad, self.state
        if not isinstance(sel, slice):  # some members have no rows this step
            theta, grad, state = theta[sel], grad[sel], [a[sel] for a in state]
            hyper = {k: (tuple(x[sel] for x in v) if isinstance(v, tuple) else v[sel])
                     for k, v in hyper.items()}
        if self.key[3][0] == "sgd":
            sgd_update(theta, grad, state[0], hyper["lr"], hyper["mu"], self.key[3][1])
        else:
            adam_update(theta, grad, state[0], state[1], hyper["lr"],
                        hyper["beta_1"], hyper["beta_2"], hyper["epsilon"])
        if not isinstance(sel, slice):
            self.theta[sel] = theta
            for a, b in zip(self.state, state):
                a[sel] = b


def _truncate_rows(W, q, u, sel):
    """``_network.truncate_l1`` for the selected members of a stack."""
    if isinstance(sel, slice):
        _network.truncate_l1(W, q, u[:, None, None])
        return
    W_sel, q_sel = W[sel], q[sel]
    _network.truncate_l1(W_sel, q_sel, u[sel][:, None, None])
    W[sel], q[sel] = W_sel, q_sel


def _data_id(member):
    return tuple(map(id, (member.X, member.Y, member.sample_weight, member.denom_weight)))


def concatenated(members, orders, batch_size, n_steps):
    """Every member's data in one array per kind (each distinct array once)
    and ``rows``, ``(n_steps, K, batch_size)`` indices into them: padding rows
    point at row 0, and the steps give them weight 0."""
    offsets, pieces = {}, []
    total = 0
    for m in members:
        if _data_id(m) not in offsets:
            offsets[_data_id(m)] = total
            pieces.append(m)
            total += m.X.shape[0]
    X = np.concatenate([m.X for m in pieces])
    Y = np.concatenate([m.Y for m in pieces])
    ones = lambda m: np.ones(m.X.shape[0], X.dtype)  # noqa: E731
    sw = np.concatenate([ones(m) if m.sample_weight is None else m.sample_weight for m in pieces])
    dw = np.concatenate([ones(m) if m.denom_weight is None else m.denom_weight for m in pieces])
    # Step-major and 32-bit: a TensorFlow program takes it as it is.
    rows = np.zeros((n_steps, len(members), batch_size), dtype=np.int32)
    for k, (m, order) in enumerate(zip(members, orders)):
        padded = np.zeros(n_steps * batch_size, dtype=np.int32)
        padded[: len(order)] = order + offsets[_data_id(m)]
        rows[:, k, :] = padded.reshape(n_steps, batch_size)
    return X, Y, sw, dw, rows
