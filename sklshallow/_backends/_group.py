"""A stack's group: K networks of one shape and rule, stepped together.

``_stacking`` gathers the fits and decides which step as one group; how a
group's epoch runs is its backend's business (``NumpyGroup`` in ``_numpy``,
``TensorFlowGroup`` in ``_tensorflow``), on what this module shares.
"""

import math

import numpy as np

from .._optimizers import SGD


def slot_lists(optimizer):
    """The optimizer's state, as the lists that hold its flat arrays."""
    return [optimizer.velocities] if isinstance(optimizer, SGD) else [optimizer.ms, optimizer.vs]


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
        for i in range(len(slot_lists(optimizers[0]))):
            stacked = np.stack([slot_lists(o)[i][0] for o in optimizers])
            for o, row in zip(optimizers, stacked):
                slot_lists(o)[i][0] = row
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
        """``(share, batch_size, n_steps, orders)`` of an epoch: ``share[k]``
        numbers member k's batches, equal for members that see the same data
        in the same order (one batch serves them all), in order of first
        appearance; ``n_steps`` is the longest member's steps."""
        batch_size = requests[0][3]
        orders = [order for _, _, order, _ in requests]
        share, firsts = np.empty(len(orders), np.intp), {}
        for k, (member, order) in enumerate(zip(self.members, orders)):
            # The key finds the candidates cheaply; the whole order decides.
            key = (data_id(member), len(order), np.asarray(order[:16]).tobytes())
            candidates = firsts.setdefault(key, [])
            same = [g for g, j in candidates if np.array_equal(order, orders[j])]
            share[k] = same[0] if same else len(firsts) + k  # renumbered below
            if not same:
                candidates.append((share[k], k))
        share = np.unique(share, return_inverse=True)[1].reshape(-1)
        n_steps = max(math.ceil(len(o) / batch_size) for o in orders)
        return share, batch_size, n_steps, orders


def step_counts(orders, batch_size, n_steps):
    """``(n_steps, K)``: how many real rows each member's step has."""
    counts = np.zeros((n_steps, len(orders)), dtype=np.intp)
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


def data_id(member):
    return tuple(map(id, (member.X, member.Y, member.sample_weight, member.denom_weight)))


def concatenated_data(members):
    """``(X, Y, sw, dw, offsets)``: every member's data in one array per kind,
    each distinct array once, and where each member's rows start in them."""
    starts, pieces = {}, []
    total = 0
    for m in members:
        if data_id(m) not in starts:
            starts[data_id(m)] = total
            pieces.append(m)
            total += m.X.shape[0]
    X = np.concatenate([m.X for m in pieces])
    Y = np.concatenate([m.Y for m in pieces])
    ones = lambda m: np.ones(m.X.shape[0], X.dtype)  # noqa: E731
    sw = np.concatenate([ones(m) if m.sample_weight is None else m.sample_weight for m in pieces])
    dw = np.concatenate([ones(m) if m.denom_weight is None else m.denom_weight for m in pieces])
    return X, Y, sw, dw, [starts[data_id(m)] for m in members]
