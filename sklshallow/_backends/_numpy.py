"""The NumPy backend: mini-batch steps on the host, through ``_network``."""

from .. import _network


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
        )

    def run_epoch(self, optimizer, order, batch_size):
        """Apply one optimizer step per mini-batch of ``order``; return the
        epoch's loss (the batch losses weighted by batch size, as sklearn)."""
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

    def loss_and_grads(self):
        """Full-batch loss and gradient at the current parameters (lbfgs)."""
        return self._loss_grads(self.X, self.Y, self.sample_weight)

    def output(self, X):
        net = self.net
        return _network.forward(
            self.coefs, self.intercepts, X, net.activation, net.out_activation
        )

    def snapshot(self):
        return [W.copy() for W in self.coefs], [b.copy() for b in self.intercepts]

    def finish(self, optimizer=None):
        """Parameters (and optimizer state) are already the NumPy arrays."""
        return self.coefs, self.intercepts
