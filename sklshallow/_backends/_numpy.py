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
            and net.out_activation == "step"
            and len(self.coefs) == 1
            and not net.alpha
            and not net.l1
            and isinstance(optimizer, SGD)
            and not optimizer.momentum
        )

    def _augmented_X(self):
        """Dense X with a last column of ones (zeros without intercept), built
        once: the bias becomes the weight of a constant input, and each unit's
        weights one contiguous row, so a mistake costs one matrix product and
        one row update per wrong unit."""
        if getattr(self, "_Xa", None) is None:
            X = self.X
            self._Xa = np.empty((X.shape[0], X.shape[1] + 1), dtype=X.dtype)
            self._Xa[:, :-1] = X
            self._Xa[:, -1] = 1.0 if self.net.fit_intercept else 0.0
        return self._Xa

    def _dense_blocks(self, order, window):
        """The blocks of an epoch, dense: each block's first row, its outputs
        at the current weights and its Gram matrix; ``update(E)`` then applies
        the block's steps ``E`` (one row per sample) to the weights."""
        W, b = self.coefs[0], self.intercepts[0]
        Xa = self._augmented_X()
        Wa = np.hstack([W.T, b[:, None]])  # a row per unit, the bias last
        for start in range(0, len(order), window):
            Xw = Xa[order[start : start + window]]

            def update(E, Xw=Xw):
                Wa[...] -= E.T @ Xw

            yield start, Xw @ Wa.T, Xw @ Xw.T, update
        W[...] = Wa[:, :-1].T
        b[...] = Wa[:, -1]

    def _sparse_blocks(self, order, window):
        """As ``_dense_blocks``, for CSR input: products with the block's
        sparse rows touch only their nonzeros, and the bias is added apart."""
        W, b = self.coefs[0], self.intercepts[0]
        X = self.X[order]  # one permutation of the rows per epoch
        intercept = 1.0 if self.net.fit_intercept else 0.0
        for start in range(0, X.shape[0], window):
            Xw = X[start : start + window]

            def update(E, Xw=Xw):
                W[...] -= Xw.T @ E
                b[...] -= intercept * E.sum(axis=0)

            G = (Xw @ Xw.T).toarray()
            G += intercept
            yield start, Xw @ W + b, G, update

    def _online_perceptron_epoch(self, eta, order):
        """Rosenblatt's rule sample by sample, exactly, in blocks of samples.

        Weights change only on mistakes, and an update ``-e x_r`` at sample r
        changes the outputs of the later samples j of the block by
        ``-G[j, r] e`` with ``G = X_block X_block^T``. So the loop goes from
        mistake to mistake on a block's small output matrix, and the weights
        take all the block's updates at once, in one matrix product.
        """
        sparse = hasattr(self.X, "tocsr")
        # Sparse blocks are larger: each costs a few sparse products.
        window = WINDOW_SPARSE if sparse else 32
        Y = self.Y[order] > 0
        n_samples, n_units = Y.shape
        # A mistaken unit steps by eta * (y_hat - y) * weight = eta * (1 - 2y) * weight.
        steps = np.where(Y, -eta, eta).astype(self.X.dtype)
        if self.sample_weight is not None:
            steps *= self.sample_weight[order][:, None]
        # The block's steps taken, and each mistaken sample's outputs (for the loss).
        E_all, Z_seen_all = np.empty((2, window, n_units), dtype=self.X.dtype)
        blocks = (self._sparse_blocks if sparse else self._dense_blocks)(order, window)
        find_mistakes = _binary_mistakes if n_units == 1 else _mistakes
        total = 0.0
        for start, Z, G, update in blocks:
            n = min(window, n_samples - start)
            E, Z_seen = E_all[:n], Z_seen_all[:n]
            E[...] = 0
            Z_seen[...] = 0
            find_mistakes(Z, G, Y[start : start + n], steps[start : start + n], E, Z_seen)
            total += float(np.vdot(E, Z_seen))  # eta * the perceptron criterion
            update(E)
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


WINDOW_SPARSE = 128


def _mistakes(Z, G, Y, steps, E, Z_seen):
    """Go from mistake to mistake through a block of samples: ``Z`` their
    outputs at the block's start, ``G`` their Gram matrix, ``Y`` the 0/1
    targets and ``steps`` each sample's signed step. Writes the steps taken
    into ``E`` and each mistaken sample's outputs into ``Z_seen``."""
    n, n_units = Y.shape
    r = 0
    while r < n:
        wrong = (Z[r:] >= 0) != Y[r:]
        flat = int(wrong.argmax())  # the next mistake, in sample order
        if not wrong.flat[flat]:
            break
        r += flat // n_units
        np.multiply(wrong[flat // n_units], steps[r], out=E[r])
        Z_seen[r] = Z[r]
        r += 1
        Z[r:] -= G[r:, r - 1 : r] * E[r - 1]


def _binary_mistakes(Z, G, Y, steps, E, Z_seen):
    """``_mistakes`` for one unit, in as few operations per mistake as the
    rule allows: with ``s = 2y - 1``, sample j is wrong when ``s_j z_j`` is
    below 0 (y = 1) or not above 0 (y = 0: below the smallest positive
    float), and a mistake at r adds ``H[r, j] = s_j s_r G[j, r] |step_r|`` to
    the later ``s_j z_j``; the signs are exact, so the decisions are too."""
    sign = np.where(Y[:, 0], 1.0, -1.0).astype(Z.dtype)
    Zs = Z[:, 0] * sign
    below = np.where(Y[:, 0], 0.0, np.finfo(Z.dtype).smallest_subnormal).astype(Z.dtype)
    H = G * sign[:, None]
    H *= (sign * np.abs(steps[:, 0]))[None, :]
    H = np.ascontiguousarray(H.T)  # row r: what a mistake at r adds to the later samples
    n, r, mistakes = len(Zs), 0, []
    while r < n:
        r += int((Zs[r:] < below[r:]).argmax())
        if not Zs[r] < below[r]:
            break
        mistakes.append(r)
        r += 1
        Zs[r:] += H[r - 1, r:]
    E[mistakes, 0] = steps[mistakes, 0]
    Z_seen[mistakes, 0] = Zs[mistakes] * sign[mistakes]
