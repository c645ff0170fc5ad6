"""The NumPy backend: mini-batch steps on the host, through ``_network``."""

import numpy as np

from .. import _network
from .._optimizers import SGD
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


class NumpyBackend:
    """Train a network in place on NumPy arrays.

    All the parameters live in one flat vector (``coefs`` and ``intercepts``
    are views of it), and so do their gradients: an optimizer step is then a
    few passes over one array, written into buffers made once per fit.

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
        views, grads = _flat_views(self.theta, shapes), _flat_views(self.grad, shapes)
        self.coefs, self.intercepts = views[:k], views[k:]
        self.grads = grads[:k], grads[k:]
        self.penalty_scratch = [np.empty_like(W) for W in self.coefs]

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        """``denom_weight``: the weights whose sum divides a batch's loss
        (default ``sample_weight``; class weights are left out of it)."""
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.denom_weight = sample_weight if denom_weight is None else denom_weight
        self._loop_data = None
        # The L1 penalty's state lives for one fit call, as in sklearn.
        self.l1_u, self.l1_q = 0.0, [np.zeros_like(W) for W in self.coefs]

    def _loss_grads(self, X, Y, sample_weight, denom_weight):
        """Loss and gradients (into ``self.grad``) at the current parameters."""
        net = self.net
        return _network.loss_and_grads(
            self.coefs,
            self.intercepts,
            X,
            Y,
            net.activation,
            net.out_activation,
            net.alpha,
            sample_weight,
            net.normalize_weights,
            net.fit_intercept,
            out=self.grads,
            scratch=self.penalty_scratch,
            mean_outputs=net.mean_outputs,
            denom_weight=denom_weight,
        )

    def run_epoch(self, optimizer, order, batch_size):
        """Apply one optimizer step per mini-batch of ``order``; return the
        epoch's loss (the batch losses weighted by batch size, as sklearn)."""
        if self._is_online_rule(optimizer, batch_size):
            return self._online_epoch(optimizer.learning_rate, order)
        X, Y, sw, dw = self.X, self.Y, self.sample_weight, self.denom_weight
        l1 = self.net.l1 * optimizer.learning_rate
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss, _, _ = self._loss_grads(
                X[idx], Y[idx], None if sw is None else sw[idx],
                None if dw is None else dw[idx],
            )
            optimizer.step([self.theta], [self.grad])
            if l1:
                self.l1_u += l1
                for W, q in zip(self.coefs, self.l1_q):
                    _network.truncate_l1(W, q, self.l1_u)
            total += loss * len(idx)
        return total / len(order)

    def _is_online_rule(self, optimizer, batch_size):
        """The perceptron's rules sample by sample (one layer, plain SGD, each
        sample's own update): the compiled loop's business."""
        return (
            batch_size == 1
            and len(self.coefs) == 1
            and not self.net.normalize_weights
            and isinstance(optimizer, SGD)
            and not optimizer.momentum
        )

    def _rows(self):
        """The data as the compiled loop reads it, made once per fit: C-ordered
        rows (or CSR arrays) and targets in the weights' dtype."""
        if self._loop_data is None:
            X, dtype = self.X, self.coefs[0].dtype
            no_index = np.empty(0, np.int32), np.empty(0, np.int64)
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
                rows = (np.ascontiguousarray(X, dtype).ravel(), *no_index)
            sw = self.sample_weight
            self._loop_data = (
                *rows,
                np.ascontiguousarray(self.Y, dtype),
                np.empty(0, dtype) if sw is None else np.ascontiguousarray(sw, dtype),
            )
        return self._loop_data

    def _online_epoch(self, eta, order):
        """One compiled loop over the samples (``_online.online_epoch``). Its
        weights are one row per unit: transposed in and out once per epoch."""
        net, W, b, q = self.net, self.coefs[0], self.intercepts[0], self.l1_q[0]
        Wt, Qt = np.ascontiguousarray(W.T), np.ascontiguousarray(q.T)
        n_units, n_features = Wt.shape
        loss_sum, self.l1_u = online_epoch(
            Wt, b, Qt, *self._rows(), np.asarray(order, dtype=np.intp),
            ONLINE_OUTPUTS[net.out_activation], float(eta), float(net.alpha),
            float(net.l1 * eta), float(self.l1_u), bool(net.fit_intercept),
            np.empty(n_units, W.dtype), np.empty(n_units, W.dtype),
            np.zeros(n_features, W.dtype),
        )
        W[...] = Wt.T
        q[...] = Qt.T
        return loss_sum / len(order)

    def loss_and_grads(self):
        """Full-batch loss and gradient at the current parameters (lbfgs)."""
        return self._loss_grads(self.X, self.Y, self.sample_weight, self.denom_weight)

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

