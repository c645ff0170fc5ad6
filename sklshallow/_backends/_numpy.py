"""The NumPy backend: the cpu solver's epochs, as compiled loops on NumPy arrays.

An epoch of mini-batch steps is one call of ``_epoch.epoch`` (one of
``_online.online_epoch`` for the perceptron's per-sample rules), lone or for
a group of stacked fits (``NumpyGroup``); L-BFGS takes its loss and gradient
from ``_epoch.loss_grad``. Python decides everything between epochs.
"""

import numpy as np

from .. import _network
from .._optimizers import SGD, Adam
from . import _epoch
from ._group import Group, concatenated_data, data_id, slot_lists, step_counts
from ._online import OUTPUTS as ONLINE_OUTPUTS
from ._online import online_epoch


def _flat_views(flat, shapes):
    """Views of consecutive pieces of ``flat`` with the given shapes."""
    views, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return views


def loop_arrays(X, Y, sample_weight, denom_weight, dtype):
    """The data as the compiled loops read it: C-ordered rows (or a CSR
    matrix's data, int32 indices and int64 indptr, duplicates summed),
    targets and weights in the parameters' dtype (empty arrays: no weights)."""
    if hasattr(X, "tocsr"):
        X = X.tocsr()
        if not X.has_canonical_format:  # duplicates would be scattered, not summed
            X = X.copy()
            X.sum_duplicates()
        rows = (
            np.ascontiguousarray(X.data, dtype),
            X.indices.astype(np.int32, copy=False),
            X.indptr.astype(np.int64, copy=False),
        )
    else:
        rows = (np.ascontiguousarray(X, dtype).ravel(), np.empty(0, np.int32),
                np.empty(0, np.int64))
    weights = [np.empty(0, dtype) if w is None else np.ascontiguousarray(w, dtype)
               for w in (sample_weight, denom_weight)]
    return (*rows, np.ascontiguousarray(Y, dtype), *weights)


def compiled_epoch(nets, units, theta, grad, state, l1_q, l1_u, optimizers, data, orders,
                   origins, share, batch_size):
    """One epoch of K networks (rows of ``theta``, ``grad`` and the ``state``
    arrays, each ``(K, P)``) in ``_epoch.epoch``; return each one's sum of
    batch losses times batch rows.

    ``nets`` and ``optimizers`` give each network's hyperparameters; Adam's
    step counts and rates, and ``l1_u`` (an array, the cumulative L1 steps)
    and ``l1_q`` (per network, lists of arrays shaped like the weights) are
    updated. Network k steps on the batches of ``orders[share[k]]``, rows of
    ``data`` counted from ``origins[share[k]]``.
    """
    K, dtype, net = theta.shape[0], theta.dtype, nets[0]
    adam = isinstance(optimizers[0], Adam)
    if adam:
        rule, (m, v) = _epoch.RULES["adam"], state
    else:
        rule = _epoch.RULES["nesterov" if optimizers[0].nesterov else "sgd"]
        m, v = state[0], np.empty((K, 0), dtype)
    # Every fit's every epoch comes through here: one array of the
    # hyperparameters (rows as _epoch.HYPER names them), Python's own loops.
    hyper = np.array([
        [n.alpha for n in nets],
        [o.learning_rate for o in optimizers],
        *([getattr(o, name, 0.0) for o in optimizers]
          for name in ("learning_rate_init", "momentum", "beta_1", "beta_2", "epsilon")),
        [n.l1 * o.learning_rate for n, o in zip(nets, optimizers)],
    ], dtype=float)
    l1 = any(n.l1 for n in nets)
    q = np.empty((K, 0), dtype)
    if l1:  # the perceptron's L1 penalty, at batch sizes > 1
        n_coefs = sum(a.size for a in l1_q[0])
        q = np.zeros_like(theta)
        for k, layers in enumerate(l1_q):
            q[k, :n_coefs] = np.concatenate([a.ravel() for a in layers])
    t = np.array([getattr(o, "t", 0) for o in optimizers], np.int64)
    totals = np.zeros(K)
    n_steps = max(-(-len(order) // batch_size) for order in orders)
    _epoch.epoch(
        theta, grad, m, v, q, units, *data, _padded(orders), np.asarray(origins, np.intp),
        share, step_counts([orders[g] for g in share], batch_size, n_steps), batch_size,
        _epoch.ACTIVATIONS[net.activation], _epoch.OUTPUTS[net.out_activation],
        net.normalize_weights, net.fit_intercept, net.mean_outputs, rule, hyper, t, l1_u,
        totals,
    )
    if adam:
        for o, steps, rate in zip(optimizers, t.tolist(), hyper[1].tolist()):  # row 1: the rates
            o.t, o.learning_rate = steps, rate
    if l1:
        for k, layers in enumerate(l1_q):
            for a, piece in zip(layers, _flat_views(q[k], [a.shape for a in layers])):
                a[...] = piece
    return totals


def _padded(orders):
    """The orders as the rows of one intp array, shorter ones padded."""
    if len({len(order) for order in orders}) == 1:
        return np.stack(orders).astype(np.intp, copy=False)
    rows = np.zeros((len(orders), max(map(len, orders))), np.intp)
    for row, order in zip(rows, orders):
        row[: len(order)] = order
    return rows


class NumpyBackend:
    """Train a network in place on NumPy arrays.

    All the parameters live in one flat vector (``coefs`` and ``intercepts``
    are views of it), and so does their gradient; the compiled epoch updates
    them in place, with the optimizer's state arrays.

    Parameters
    ----------
    net : Net
        What the network computes (activations, output layer, alpha).
    coefs, intercepts : lists of ndarray
        The initial parameters (copied).
    """

    name = "numpy"

    def __init__(self, net, coefs, intercepts):
        self.net = net
        arrays = coefs + intercepts
        shapes, k = [a.shape for a in arrays], len(coefs)
        self.theta = np.concatenate([a.ravel() for a in arrays])
        self.grad = np.empty_like(self.theta)
        views = _flat_views(self.theta, shapes)
        self.coefs, self.intercepts = views[:k], views[k:]
        self.units = np.array([W.shape[0] for W in coefs] + [coefs[-1].shape[1]], np.intp)

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        """``denom_weight``: the weights whose sum divides a batch's loss
        (default ``sample_weight``; class weights are left out of it)."""
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.denom_weight = sample_weight if denom_weight is None else denom_weight
        self._data = None
        # The L1 penalty's state lives for one fit call, as in sklearn.
        self.l1_u, self.l1_q = 0.0, [np.zeros_like(W) for W in self.coefs]

    def data(self):
        """The data as the compiled loops read it (``loop_arrays``), made once."""
        if self._data is None:
            self._data = loop_arrays(self.X, self.Y, self.sample_weight, self.denom_weight,
                                     self.theta.dtype)
        return self._data

    def run_epoch(self, optimizer, order, batch_size):
        """Apply one optimizer step per mini-batch of ``order``; return the
        epoch's loss (the batch losses weighted by batch size, as sklearn)."""
        if self._is_online_rule(optimizer, batch_size):
            return self._online_epoch(optimizer.learning_rate, order)
        u = np.array([self.l1_u])
        totals = compiled_epoch(
            [self.net], self.units, self.theta[None], self.grad[None],
            [slots[0][None] for slots in slot_lists(optimizer)], [self.l1_q], u, [optimizer],
            self.data(), [order], [0], np.zeros(1, np.intp), batch_size,
        )
        self.l1_u = float(u[0])
        return float(totals[0]) / len(order)  # a Python float, as the curves hold

    def _is_online_rule(self, optimizer, batch_size):
        """The perceptron's rules sample by sample (one layer, plain SGD, each
        sample's own update): the compiled per-sample loop's business."""
        return (
            batch_size == 1
            and len(self.coefs) == 1
            and not self.net.normalize_weights
            and isinstance(optimizer, SGD)
            and not optimizer.momentum
        )

    def _online_epoch(self, eta, order):
        """One compiled loop over the samples (``_online.online_epoch``). Its
        weights are one row per unit: transposed in and out once per epoch."""
        net, W, b, q = self.net, self.coefs[0], self.intercepts[0], self.l1_q[0]
        Wt, Qt = np.ascontiguousarray(W.T), np.ascontiguousarray(q.T)
        n_units, n_features = Wt.shape
        data, indices, indptr, Y, sw, _ = self.data()
        loss_sum, self.l1_u = online_epoch(
            Wt, b, Qt, data, indices, indptr, Y, sw, np.asarray(order, dtype=np.intp),
            ONLINE_OUTPUTS[net.out_activation], float(eta), float(net.alpha),
            float(net.l1 * eta), float(self.l1_u), bool(net.fit_intercept),
            np.empty(n_units, W.dtype), np.empty(n_units, W.dtype),
            np.zeros(n_features, W.dtype),
        )
        W[...] = Wt.T
        q[...] = Qt.T
        return loss_sum / len(order)

    def loss_and_grads(self):
        """Full-batch loss and gradient at the current parameters (lbfgs):
        the loss, and the gradient as lists shaped like coefs and intercepts."""
        net = self.net
        loss = _epoch.loss_grad(
            self.theta, self.grad, self.units, *self.data(),
            _epoch.ACTIVATIONS[net.activation], _epoch.OUTPUTS[net.out_activation],
            net.normalize_weights, net.fit_intercept, net.mean_outputs, float(net.alpha),
        )
        views = _flat_views(self.grad, [a.shape for a in self.coefs + self.intercepts])
        k = len(self.coefs)
        return loss, views[:k], views[k:]

    def decision(self, X):
        """The last layer's pre-activation for X, at the current parameters."""
        return _network.decision(self.coefs, self.intercepts, X, self.net.activation)

    def squared_norm(self):
        """||coefs||^2, for the penalty in the validation loss."""
        return _network.squared_norm(self.coefs)

    def snapshot(self):
        return [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts]

    def finish(self, optimizer=None):
        """The trained parameters (the optimizer's state is already NumPy)."""
        return self.snapshot()


class NumpyGroup(Group):
    """A group whose epoch is one ``compiled_epoch`` of all its members."""

    def __init__(self, key, requests, previous=None):
        super().__init__(key, requests)
        self.grad = np.empty_like(self.theta)
        self.units = self.members[0].units
        self._data = None
        if previous is not None and {id(m) for m in self.members} <= {
                id(m) for m in previous.members}:
            # Fits left the previous group: their data is in one array already.
            self._data = previous._data

    def run_epoch(self, requests):
        optimizers = [optimizer for _, optimizer, *_ in requests]
        share, batch_size, _, orders = self.batches(requests)
        members = self.members
        if len(np.unique(share)) == 1:  # every member sees the same batches
            data, offsets = members[0].data(), [0] * len(members)
        else:
            if self._data is None:  # the members' data in one array, once per group
                X, Y, sw, dw, offsets = concatenated_data(members)
                weighted = any(m.sample_weight is not None for m in members)
                starts = {data_id(m): o for m, o in zip(members, offsets)}
                self._data = starts, loop_arrays(
                    X, Y, sw if weighted else None, dw if weighted else None, self.dtype)
            starts, data = self._data
            offsets = [starts[data_id(m)] for m in members]
        u = np.array([m.l1_u for m in members])
        firsts = np.unique(share, return_index=True)[1]  # a member of each order
        totals = compiled_epoch(
            [m.net for m in members], self.units, self.theta, self.grad, self.state,
            [m.l1_q for m in members], u, optimizers, data, [orders[k] for k in firsts],
            [offsets[k] for k in firsts], share, batch_size,
        )
        for m, u_k in zip(members, u):
            m.l1_u = float(u_k)
        return [float(t) / len(o) for t, o in zip(totals, orders)]
