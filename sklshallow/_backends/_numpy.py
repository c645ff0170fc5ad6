"""The NumPy backend: mini-batch steps on the host, through ``_network``."""

import numpy as np

from .. import _network
from .._optimizers import SGD


class NumpyBackend:
    """Train a network in place on NumPy arrays.

    Parameters
    ----------
    net : Net
        What the network computes (activations, output layer, alpha).
    coefs, intercepts : lists of ndarray
        The parameters, updated in place.
    """

    name = "numpy"

    def __init__(self, net, coefs, intercepts):
        self.net = net
        self.coefs = coefs
        self.intercepts = intercepts

    def set_data(self, X, Y, sample_weight):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight

    def _loss_grads(self, X, Y, sample_weight):
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
        )

    def run_epoch(self, optimizer, order, batch_size):
        """Apply one optimizer step per mini-batch of ``order``; return the
        epoch's loss (the batch losses weighted by batch size, as sklearn)."""
        if self._is_online_perceptron(optimizer, batch_size):
            return self._online_perceptron_epoch(optimizer.learning_rate, order)
        X, Y, sw = self.X, self.Y, self.sample_weight
        params = self.coefs + self.intercepts
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss, coef_grads, intercept_grads = self._loss_grads(
                X[idx], Y[idx], None if sw is None else sw[idx]
            )
            optimizer.step(params, coef_grads + intercept_grads)
            total += loss * len(idx)
        return total / len(order)

    def _is_online_perceptron(self, optimizer, batch_size):
        net = self.net
        return (
            batch_size == 1
            and net.out_activation == "step"
            and len(self.coefs) == 1
            and not net.alpha
            and isinstance(optimizer, SGD)
            and not optimizer.momentum
        )

    def _online_perceptron_epoch(self, eta, order):
        """Rosenblatt's rule sample by sample, exactly, without a Python step
        per sample: weights change only on mistakes, so all the samples up to
        the next mistake are checked in one matrix product."""
        W, b = self.coefs[0], self.intercepts[0]
        X, Y, sw = self.X[order], self.Y[order], self.sample_weight
        sw = None if sw is None else sw[order]
        sparse = hasattr(X, "tocsr")
        n, pos, chunk, total = X.shape[0], 0, 64, 0.0
        while pos < n:
            Z = np.asarray(X[pos : pos + chunk] @ W)
            Z += b
            Y_hat = Z >= 0
            wrong = (Y_hat != Y[pos : pos + chunk]).any(axis=1)
            if not wrong.any():
                pos += Z.shape[0]
                chunk = min(2 * chunk, 4096)
                continue
            first = int(wrong.argmax())
            i = pos + first
            error = Y_hat[first] - Y[i]  # y_hat - y: -1, 0 or 1 per unit
            if sw is not None:
                error = error * sw[i]
            total += float(error @ Z[first])
            x = X[i].toarray().ravel() if sparse else X[i]
            W -= np.outer(x, eta * error)
            if self.net.fit_intercept:
                b -= eta * error
            pos = i + 1
            chunk = max(8, 2 * (first + 1))
        return total / n

    def loss_and_grads(self):
        """Full-batch loss and gradient at the current parameters (lbfgs)."""
        return self._loss_grads(self.X, self.Y, self.sample_weight)

    def decision(self, X):
        """The last layer's pre-activation for X, at the current parameters."""
        return _network.decision(self.coefs, self.intercepts, X, self.net.activation)

    def snapshot(self):
        return [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts]

    def finish(self, optimizer=None):
        """Parameters (and optimizer state) are already the NumPy arrays."""
        return self.coefs, self.intercepts
