"""The NumPy backend: mini-batch steps on the host, through ``_network``."""

import numpy as np

from .. import _network
from .._optimizers import SGD, scratch


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
        self.workspace = None
        self.penalty_scratch = [np.empty_like(W) for W in self.coefs]

    def set_data(self, X, Y, sample_weight, denom_weight=None):
        """``denom_weight``: the weights whose sum divides a batch's loss
        (default ``sample_weight``; class weights are left out of it)."""
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.denom_weight = sample_weight if denom_weight is None else denom_weight
        self._Xa = None
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
        if self._is_online_perceptron(optimizer, batch_size):
            return self._online_perceptron_epoch(optimizer.learning_rate, order)
        X, Y, sw, dw = self.X, self.Y, self.sample_weight, self.denom_weight
        if self.workspace is None:
            self.workspace = scratch([self.theta])
        l1 = self.net.l1 * optimizer.learning_rate
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss, _, _ = self._loss_grads(
                X[idx], Y[idx], None if sw is None else sw[idx],
                None if dw is None else dw[idx],
            )
            optimizer.step([self.theta], [self.grad], self.workspace)
            if l1:
                self.l1_u += l1
                for W, q in zip(self.coefs, self.l1_q):
                    _network.truncate_l1(W, q, self.l1_u)
            total += loss * len(idx)
        return total / len(order)

    def _is_online_perceptron(self, optimizer, batch_size):
        net = self.net
        return (
            batch_size == 1
            and not hasattr(self.X, "tocsr")  # the block trick works on dense rows
            and net.out_activation == "step"
            and len(self.coefs) == 1
            and not net.alpha
            and not net.l1
            and isinstance(optimizer, SGD)
            and not optimizer.momentum
        )

    def _augmented_X(self):
        """X with a last column of ones (zeros without intercept), built once:
        the bias becomes the weight of a constant input, and each unit's
        weights one contiguous row, so a mistake costs one matrix product and
        one row update per wrong unit."""
        if getattr(self, "_Xa", None) is None:
            X = self.X
            self._Xa = np.empty((X.shape[0], X.shape[1] + 1), dtype=X.dtype)
            self._Xa[:, :-1] = X
            self._Xa[:, -1] = 1.0 if self.net.fit_intercept else 0.0
        return self._Xa

    def _online_perceptron_epoch(self, eta, order, window=32):
        """Rosenblatt's rule sample by sample, exactly, in blocks of samples.

        Weights change only on mistakes, and an update ``-e x_r`` at sample r
        changes the outputs of the later samples j of the block by
        ``-G[j, r] e`` with ``G = X_block X_block^T``. So the loop goes from
        mistake to mistake on a block's small output matrix, and the weights
        take all the block's updates at once, in one matrix product.
        """
        W, b = self.coefs[0], self.intercepts[0]
        Xa, Y = self._augmented_X(), self.Y[order] > 0
        n_samples, n_units = Y.shape
        # A mistaken unit steps by eta * (y_hat - y) * weight = eta * (1 - 2y) * weight.
        steps = np.where(Y, -eta, eta).astype(Xa.dtype)
        if self.sample_weight is not None:
            steps *= self.sample_weight[order][:, None]
        Wa = np.hstack([W.T, b[:, None]])  # a row per unit, the bias last
        # The block's steps taken, and each mistaken sample's outputs (for the loss).
        E_all, Z_seen_all = np.empty((2, window, n_units), dtype=Xa.dtype)
        total = 0.0
        for start in range(0, n_samples, window):
            Xw = Xa[order[start : start + window]]
            Z = Xw @ Wa.T  # outputs of the block's samples, kept current below
            G = Xw @ Xw.T
            E, Z_seen = E_all[: len(Xw)], Z_seen_all[: len(Xw)]
            E[...] = 0
            Z_seen[...] = 0
            Yw, steps_w, r = Y[start : start + window], steps[start : start + window], 0
            while r < len(Yw):
                wrong = (Z[r:] >= 0) != Yw[r:]
                flat = int(wrong.argmax())  # the next mistake, in sample order
                if not wrong.flat[flat]:
                    break
                r += flat // n_units
                np.multiply(wrong[flat // n_units], steps_w[r], out=E[r])
                Z_seen[r] = Z[r]
                r += 1
                Z[r:] -= G[r:, r - 1 : r] * E[r - 1]
            total += float(np.vdot(E, Z_seen))  # eta * the perceptron criterion
            Wa -= E.T @ Xw
        W[...] = Wa[:, :-1].T
        b[...] = Wa[:, -1]
        return total / eta / n_samples

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
