"""The lecture's playground, on sklshallow's own estimators: its data, its
input features, and a session that trains a network epoch by epoch and says
what to draw.

The data sets and features are the TensorFlow Playground's (circle, XOR,
two Gaussians and a spiral to classify; a plane and several Gaussians to
regress; inputs x1, x2, their squares, product and sines), written for NumPy
with a ``random_state``, so that the code a session shows reproduces it::

    >>> from sklshallow.playground import make_data, add_features
    >>> X, y = make_data("xor", n_samples=200, noise=0.1, random_state=0)
    >>> add_features(X, ["x1", "x2", "x1*x2"]).shape
    (200, 3)

:class:`Session` holds one network: it checks a configuration (types,
ranges, sizes), trains with ``partial_fit`` (the path users get), and
reports the epoch, the losses, the output over a grid and every hidden unit's
activation over it. It touches no file and no network; a web front end only
draws what it returns.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.metrics import log_loss, mean_squared_error, zero_one_loss
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from . import _network
from ._training import DivergenceError
from ._mlp import MLPClassifierTF, MLPRegressor
from ._perceptron import PerceptronClassifier

RADIUS = 6.0  # the playground's square: [-6, 6] x [-6, 6]


def _circle(n, noise, rng):
    half = n // 2
    r = np.r_[rng.uniform(0, 2.5, half), rng.uniform(3.5, 5, n - half)]
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[r * np.sin(angle), r * np.cos(angle)]
    shifted = X + rng.uniform(-5, 5, (n, 2)) * noise  # noise moves the label, not the point
    return X, (np.hypot(*shifted.T) < 2.5).astype(int)


def _xor(n, noise, rng):
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)  # keep the points off the axes
    shifted = X + rng.uniform(-5, 5, (n, 2)) * noise
    return X, (shifted[:, 0] * shifted[:, 1] >= 0).astype(int)


def _gauss(n, noise, rng):
    variance = 0.5 + 7 * noise  # 0.5 to 4 as noise goes from 0 to 0.5
    half = n // 2
    centers = np.r_[np.full((half, 2), 2.0), np.full((n - half, 2), -2.0)]
    X = centers + rng.normal(0, np.sqrt(variance), (n, 2))
    return X, (np.arange(n) < half).astype(int)


def _spiral(n, noise, rng):
    half = n // 2
    X, y = [], []
    for label, phase, m in ((1, 0.0, half), (0, np.pi, n - half)):
        i = np.arange(m) / m
        r, t = 5 * i, 1.75 * 2 * np.pi * i + phase
        X.append(np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1, 1, (m, 2)) * noise)
        y.append(np.full(m, label))
    return np.vstack(X), np.concatenate(y)


def _plane(n, noise, rng):
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    shifted = X + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return X, shifted.sum(axis=1) / 10


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def _multi_gauss(n, noise, rng):
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    shifted = X + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    distance = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    bumps = _BUMPS[:, 2] * np.clip(1 - distance / 2, 0, 1)  # each bump's signed height
    strongest = np.abs(bumps).argmax(axis=1)
    return X, bumps[np.arange(n), strongest]


CLASSIFICATION = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral}
REGRESSION = {"plane": _plane, "multi_gauss": _multi_gauss}

FEATURES = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}


def make_data(name, n_samples=500, noise=0.0, random_state=None):
    """One of the playground's data sets.

    Parameters
    ----------
    name : {'circle', 'xor', 'gauss', 'spiral', 'plane', 'multi_gauss'}
        The first four are classification data (labels 0 and 1), the last
        two regression data (targets in [-1, 1]).
    n_samples : int, default=500
        Number of points.
    noise : float, default=0.0
        From 0 (none) to 0.5: how far labels are blurred (points for the
        spiral, the spread of the two Gaussians).
    random_state : int, RandomState instance or None, default=None
        Draws the points.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points, in [-6, 6] x [-6, 6] for the most part.
    y : ndarray of shape (n_samples,)
        Their labels or targets.
    """
    generators = {**CLASSIFICATION, **REGRESSION}
    if name not in generators:
        raise ValueError(f"Unknown data set {name!r}; choose from {sorted(generators)}.")
    return generators[name](int(n_samples), float(noise), check_random_state(random_state))


def add_features(X, names):
    """The playground's input features of 2-d points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
        Points (x1, x2).
    names : list of str
        Features among 'x1', 'x2', 'x1^2', 'x2^2', 'x1*x2', 'sin(x1)',
        'sin(x2)', in the order wanted.

    Returns
    -------
    features : ndarray of shape (n_samples, len(names))
    """
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(f"Features must be a non-empty list from {list(FEATURES)}; got {names!r}.")
    return np.column_stack([FEATURES[n](np.asarray(X, dtype=float)) for n in names])


# What a session accepts: the playground's controls, bounded so that no
# request can ask for a large network, data set or grid.
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "linear": "identity",
               "leaky_relu": "leaky_relu"}
DEFAULTS = dict(dataset="circle", noise=0.0, train_ratio=0.5, batch_size=10,
                features=["x1", "x2"], hidden_layers=[4, 2], activation="tanh",
                learning_rate=0.03, alpha=0.0, model="mlp", n_samples=500, seed=0,
                resolution=50)
_LIMITS = dict(noise=(0.0, 0.5), train_ratio=(0.1, 0.9), batch_size=(1, 30),
               learning_rate=(1e-5, 10.0), alpha=(0.0, 10.0), n_samples=(10, 2000),
               seed=(0, 2**31 - 1), resolution=(5, 100))
MAX_LAYERS, MAX_UNITS = 6, 8


def check_config(config):
    """A complete, checked configuration from a partial one.

    Every value is checked for its type and range; anything unknown or out of
    bounds is a ValueError whose message names the field (a web front end
    answers it with a 400).

    Parameters
    ----------
    config : dict
        Any of the keys of ``DEFAULTS``; the others take their defaults.

    Returns
    -------
    config : dict
        All the keys, checked.
    """
    if not isinstance(config, dict):
        raise ValueError("The configuration must be a JSON object.")
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}.")
    checked = {**DEFAULTS, **config}
    for key, (low, high) in _LIMITS.items():
        value, integral = checked[key], isinstance(DEFAULTS[key], int)
        kind = Integral if integral else Real
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            raise ValueError(f"{key} must be {'an integer' if integral else 'a number'} "
                             f"from {low} to {high}; got {value!r}.")
    # (a JSON list or object is no name: it is refused before any lookup)
    for key, names in (("dataset", {**CLASSIFICATION, **REGRESSION}),
                       ("activation", ACTIVATIONS), ("model", ("mlp", "perceptron"))):
        if not isinstance(checked[key], str) or checked[key] not in names:
            raise ValueError(f"{key} must be one of {sorted(names)}; got {checked[key]!r}.")
    if checked["model"] == "perceptron" and checked["dataset"] in REGRESSION:
        raise ValueError("The perceptron classifies: choose a classification data set.")
    features = checked["features"]
    if not isinstance(features, list) or not features \
            or not all(isinstance(f, str) and f in FEATURES for f in features) \
            or len(set(features)) != len(features):
        raise ValueError(f"features must be a non-empty list of distinct names from "
                         f"{list(FEATURES)}.")
    layers = checked["hidden_layers"]
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS or not all(
            isinstance(u, Integral) and not isinstance(u, bool) and 1 <= u <= MAX_UNITS
            for u in layers):
        raise ValueError(f"hidden_layers must be a list of at most {MAX_LAYERS} layers of "
                         f"1 to {MAX_UNITS} units.")
    return checked


class Diverged(ValueError):
    """An epoch's loss became NaN or infinite; the session kept its last good
    network."""


class Session:
    """One playground network: its data, its estimator, its epochs.

    Parameters
    ----------
    config : dict
        Settings (see ``check_config`` and ``DEFAULTS``).
    device : str, default='cpu'
        The estimator's ``device``.

    Attributes
    ----------
    config : dict
        The checked settings.
    estimator : estimator
        The sklshallow estimator that trains, one ``partial_fit`` an epoch.
    epoch : int
        Epochs trained so far.
    history : dict of lists
        ``train_loss`` and ``test_loss`` after each epoch.
    """

    def __init__(self, config=None, device="cpu"):
        self.config = c = check_config(config or {})
        self.device = device
        self.regression = c["dataset"] in REGRESSION
        X, y = make_data(c["dataset"], c["n_samples"], c["noise"], c["seed"])
        self.points, self.labels = X, y
        split = train_test_split(X, y, train_size=c["train_ratio"], random_state=c["seed"])
        self.X_train, self.X_test, self.y_train, self.y_test = split
        self.estimator = self._estimator()
        self.epoch = 0
        self.history = {"train_loss": [], "test_loss": []}

    def _estimator(self):
        c = self.config
        if c["model"] == "perceptron":  # the lecture's single threshold unit
            penalty = dict(penalty="l2", alpha=c["alpha"]) if c["alpha"] else {}
            return PerceptronClassifier(eta0=c["learning_rate"], batch_size=c["batch_size"],
                                        random_state=c["seed"], device=self.device, **penalty)
        Estimator = MLPRegressor if self.regression else MLPClassifierTF
        return Estimator(hidden_layer_sizes=tuple(c["hidden_layers"]),
                         activation=ACTIVATIONS[c["activation"]], solver="sgd", momentum=0.0,
                         learning_rate_init=c["learning_rate"], alpha=c["alpha"],
                         batch_size=c["batch_size"], random_state=c["seed"],
                         device=self.device)

    def _inputs(self, X):
        return add_features(X, self.config["features"])

    def step(self, epochs=1, since=0):
        """Train ``epochs`` more epochs (at most 100 per call); return
        ``state(since)``. An epoch that diverges raises ``Diverged`` (a
        ValueError) and leaves the session at its last good epoch."""
        if isinstance(epochs, bool) or not isinstance(epochs, Integral) or not 1 <= epochs <= 100:
            raise ValueError(f"epochs must be an integer from 1 to 100; got {epochs!r}.")
        self._check_since(since)
        kwargs = {} if self.regression else {"classes": [0, 1]}
        X = self._inputs(self.X_train)
        for _ in range(epochs):
            try:
                self.estimator.partial_fit(X, self.y_train, **kwargs)
            except DivergenceError as exc:
                # The estimator is as it was before the call: the session
                # keeps its last good network and its epoch count.
                raise Diverged(
                    f"Epoch {self.epoch + 1} diverged (the training loss became NaN or "
                    f"infinite), so the network of epoch {self.epoch} is kept. Try a "
                    f"lower learning rate than {self.config['learning_rate']}."
                ) from exc
            self.epoch += 1
            self.history["train_loss"].append(self._loss(self.X_train, self.y_train))
            self.history["test_loss"].append(self._loss(self.X_test, self.y_test))
        return self.state(since)

    def _check_since(self, since):
        if isinstance(since, bool) or not isinstance(since, Integral) \
                or not 0 <= since <= self.epoch:
            raise ValueError(f"since must be an integer from 0 to the session's epoch "
                             f"({self.epoch}); got {since!r}.")

    def _loss(self, X, y):
        """Squared error for regression, log loss for the MLP's probabilities,
        the error rate for the threshold unit."""
        est, X = self.estimator, self._inputs(X)
        if self.regression:
            return float(mean_squared_error(y, est.predict(X)))
        if isinstance(est, PerceptronClassifier):
            return float(zero_one_loss(y, est.predict(X)))
        return float(log_loss(y, est.predict_proba(X), labels=[0, 1]))

    def _grid(self):
        n = self.config["resolution"]
        axis = np.linspace(-RADIUS, RADIUS, n)
        x1, x2 = np.meshgrid(axis, axis[::-1])  # first row at the top of a picture
        return np.c_[x1.ravel(), x2.ravel()], n

    def state(self, since=0):
        """What to draw: epoch, losses, the output and each hidden unit's
        activation over a ``resolution`` x ``resolution`` grid of the square
        (rows from top to bottom), and the train and test points.

        Parameters
        ----------
        since : int, default=0
            The epochs whose losses the client already has: ``history``
            holds the epochs after them (``history["start"]`` is ``since``),
            so that replies do not grow with the epochs.

        Returns
        -------
        state : dict of plain lists and numbers (JSON-ready)
        """
        self._check_since(since)
        G, n = self._grid()
        est, inputs = self.estimator, self._inputs(G)
        fitted = self.epoch > 0
        if not fitted:
            output, maps = np.zeros(len(G)), []
        elif self.regression:
            output, maps = est.predict(inputs), self._hidden_maps(inputs)
        elif isinstance(est, PerceptronClassifier):
            output, maps = np.where(est.decision_function(inputs) >= 0, 1.0, -1.0), []
        else:  # probability of class 1, from -1 to 1 as the playground colours it
            output, maps = 2 * est.predict_proba(inputs)[:, 1] - 1, self._hidden_maps(inputs)
        return {
            "epoch": self.epoch,
            "train_loss": self.history["train_loss"][-1] if fitted else None,
            "test_loss": self.history["test_loss"][-1] if fitted else None,
            "history": {"start": since,
                        **{key: values[since:] for key, values in self.history.items()}},
            "resolution": n,
            "output": np.round(output, 4).reshape(n, n).tolist(),
            "hidden": [[np.round(m, 4).reshape(n, n).tolist() for m in layer] for layer in maps],
            "train": np.c_[self.X_train, self.y_train].round(4).tolist(),
            "test": np.c_[self.X_test, self.y_test].round(4).tolist(),
            "regression": self.regression,
            "device": self.device,
        }

    def _hidden_maps(self, inputs):
        """Each hidden unit's activation over the grid, layer by layer."""
        est = self.estimator
        forward = _network.ACTIVATIONS[est._net().activation]
        A, maps = inputs, []
        for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
            A = forward(A @ W + b)
            maps.append([A[:, j] for j in range(A.shape[1])])
        return maps

    def code(self):
        """Python that trains the same network on the same data, epoch by
        epoch as the session did: runnable as is.

        Returns
        -------
        code : str
        """
        c, est = self.config, self.estimator
        name = type(est).__name__
        defaults = type(est)().get_params()
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(est.get_params().items())
                         if k != "device" and v != defaults[k])
        classes = "" if self.regression else ", classes=[0, 1]"
        return "\n".join([
            "from sklearn.model_selection import train_test_split",
            f"from sklshallow import {name}",
            "from sklshallow.playground import add_features, make_data",
            "",
            f"X, y = make_data({c['dataset']!r}, n_samples={c['n_samples']}, "
            f"noise={c['noise']!r}, random_state={c['seed']})",
            "X_train, X_test, y_train, y_test = train_test_split(",
            f"    X, y, train_size={c['train_ratio']!r}, random_state={c['seed']})",
            f"X_train, X_test = (add_features(X, {c['features']!r}) for X in (X_train, X_test))",
            f"model = {name}({args})",
            f"for epoch in range({self.epoch}):  # one epoch per partial_fit, as the playground",
            f"    model.partial_fit(X_train, y_train{classes})",
            "print('test score:', model.score(X_test, y_test))",
        ])
