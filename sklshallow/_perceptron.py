"""PerceptronClassifier: a layer of threshold logic units and its relatives."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit

from . import _network
from ._backends import Net
from ._base import BaseShallowClassifier
from ._optimizers import SGD
from ._validation import (
    CLASS_WEIGHT_CONSTRAINT,
    LOOP_CONSTRAINTS,
    Interval,
    StrOptions,
    _fit_context,
)

# Each loss is a network with no hidden layer and this output layer.
_OUTPUT_OF_LOSS = {"perceptron": "step", "squared": "identity", "log": "logistic"}


class _only_for_log_loss:
    """Expose a method only when ``loss='log'``, else raise an AttributeError
    that says why (``available_if`` would hide the reason)."""

    def __init__(self, method):
        self.method = method
        self.__doc__ = method.__doc__

    def __get__(self, est, owner=None):
        if est is not None and est.loss != "log":
            raise AttributeError(
                f"{self.method.__name__} is not available for loss={est.loss!r}: "
                "a threshold unit gives no probabilities; use loss='log'."
            )
        return self.method if est is None else self.method.__get__(est, owner)


class PerceptronClassifier(BaseShallowClassifier):
    """A layer of threshold logic units, trained by the perceptron rule.

    One unit per class (one-vs-rest; a single unit for binary targets) or per
    label of a multilabel indicator matrix. Each unit computes
    ``y_hat = 1 if w.x + b >= 0 else 0`` and, with ``loss='perceptron'``, learns
    by Rosenblatt's rule ``w <- w + eta0 (y - y_hat) x``, so only mistakes move
    the weights. The same unit can instead be trained by gradient descent on
    the squared error of its linear output (Adaline, ``loss='squared'``, targets
    coded -1/1) or be a sigmoid neuron trained on the cross-entropy
    (``loss='log'``).

    Parameters
    ----------
    loss : {'perceptron', 'squared', 'log'}, default='perceptron'
        The learning rule, as described above.

    penalty : {'l2', 'l1', 'elasticnet'} or None, default=None
        The penalty on the weights (not the biases), as in sklearn's
        Perceptron: 'l2' decays the weights by ``eta0 * alpha`` at every
        step, 'l1' pulls each toward zero by the cumulative truncated
        gradient of Tsuruoka et al. (2009), which leaves exact zeros, and
        'elasticnet' mixes the two by ``l1_ratio``.

    alpha : float, default=0.0001
        Strength of the penalty; unused when ``penalty`` is None.

    l1_ratio : float, default=0.15
        The share of L1 in 'elasticnet' (0 is 'l2', 1 is 'l1').

    eta0 : float, default=1.0
        The learning rate. With the 'perceptron' loss and no penalty the
        units learn ``w / eta0`` and take ``eta0`` at the end: the rule's
        decisions do not depend on ``eta0`` then, and on integer data they
        are exact on every device (a sample exactly on the boundary is
        classified as exact arithmetic would, never by round-off).

    fit_intercept : bool, default=True
        Whether to learn the bias ``b``; if False it stays 0.

    max_iter : int, default=1000
        Maximum number of epochs.

    tol : float or None, default=1e-3
        Stop when the epoch's loss has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs; None never stops early.

    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.

    batch_size : int, default=1
        1 is the classic online rule, sample by sample; larger values apply
        the mean of the per-sample updates of each mini-batch.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its accuracy
        stops improving, and keep the weights of the best epoch.

    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into each sample's update;
        'balanced' weighs classes inversely to their frequency in y. With
        early stopping, the class-weighted validation loss picks the best
        epoch.

    warm_start : bool, default=False
        Reuse the previous solution as the starting point of ``fit``.

    random_state : int, RandomState instance or None, default=0
        Draws the batch order and the early-stopping split (sklearn's
        Perceptron's default, so that fits repeat).

    n_jobs : int or None, default=None
        Accepted for drop-in use with sklearn's Perceptron, and unused: the
        units of all classes train together, in one pass over the data.

    verbose : int, default=0
        Print one line per epoch.

    device : str, default='cpu'
        'cpu' (NumPy), 'gpu', 'auto' or a TensorFlow device string such as
        '/CPU:0'; see :class:`MLPClassifierTF`.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_units, n_features)
        The weights of each unit.

    intercept_ : ndarray of shape (1,) or (n_units,)
        The bias of each unit.

    classes_ : ndarray
        The class labels.

    n_iter_ : int
        Number of epochs run.

    t_ : float
        Number of weight updates of this fit (one per sample seen, counted
        by partial_fit too) plus one: ``n_iter_ * n_samples + 1``, as
        sklearn's Perceptron.

    loss_curve_ : list of float
        The loss of each epoch (for 'perceptron', the perceptron criterion:
        the mean over samples of ``|w.x + b|`` over the misclassifying units).

    history_ : dict of lists
        Per-epoch ``loss``, ``epoch_time`` and, with early stopping,
        ``val_score``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.Perceptron : scikit-learn's perceptron (binary units,
        no multilabel targets, no 'squared' or 'log' rules).
    MLPClassifierTF : Add hidden layers to solve problems like XOR.

    Examples
    --------
    >>> import numpy as np
    >>> from sklshallow import PerceptronClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> clf = PerceptronClassifier(shuffle=False).fit(X, [0, 0, 0, 1])  # AND
    >>> clf.predict(X)
    array([0, 0, 0, 1])
    """

    _parameter_constraints: dict = {
        **LOOP_CONSTRAINTS,
        **CLASS_WEIGHT_CONSTRAINT,
        "loss": [StrOptions(set(_OUTPUT_OF_LOSS))],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        loss="perceptron",
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        eta0=1.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        shuffle=True,
        batch_size=1,
        early_stopping=False,
        validation_fraction=0.1,
        class_weight=None,
        warm_start=False,
        random_state=0,
        n_jobs=None,
        verbose=0,
        device="cpu",
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.n_jobs = n_jobs
        self.eta0 = eta0
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # hooks of BaseShallowNetwork

    _first_t = 1.0  # sklearn's SGD estimators count updates from 1

    def _layer_units(self, n_features, n_outputs):
        return [n_features, n_outputs]

    def _init_params(self, layer_units, dtype, init=None):
        if init is None:
            return _network.zero_params(layer_units, dtype)
        (n_features, n_units), (coef_init, intercept_init) = layer_units, init
        coefs, intercepts = _network.zero_params(layer_units, dtype)
        for name, given, target, shape in (
            ("coef_init", coef_init, coefs[0], (n_units, n_features)),
            ("intercept_init", intercept_init, intercepts[0], (n_units,)),
        ):
            if given is None:
                continue
            given = np.asarray(given, dtype=dtype)
            if given.size != np.prod(shape):
                raise ValueError(
                    f"{name} has shape {given.shape}; this data needs {shape} "
                    "(one row per unit: one unit for binary targets)."
                )
            target[...] = given.reshape(shape).T if name == "coef_init" else given.ravel()
        return coefs, intercepts

    def _penalties(self):
        """The L2 and L1 strengths the penalty asks for."""
        l1_share = {None: None, "l2": 0.0, "l1": 1.0, "elasticnet": self.l1_ratio}[
            self.penalty
        ]
        if l1_share is None:
            return 0.0, 0.0
        return self.alpha * (1 - l1_share), self.alpha * l1_share

    def _net(self):
        l2, l1 = self._penalties()
        return Net(
            "identity",
            _OUTPUT_OF_LOSS[self.loss],
            l2,
            normalize_weights=False,
            fit_intercept=self.fit_intercept,
            l1=l1,
        )

    def _training_scale(self):
        # With zero start, no penalty and the step output, Rosenblatt's rule
        # makes the same decisions for every eta0: the weights are eta0 times
        # those learnt with eta0 = 1. Learning those (integers, on integer
        # data) keeps every decision exact, on both devices, and scaling once
        # at the end costs one rounding instead of one per step.
        if self.loss == "perceptron" and self._penalties() == (0.0, 0.0):
            return float(self.eta0)
        return 1.0

    def _uses_lbfgs(self):
        return False

    def _make_optimizer(self, params):
        eta = self.eta0 / self._training_scale()
        return SGD(params, eta, "constant", momentum=0.0, nesterov=False)

    def _targets_from_indicator(self, Y):
        # Adaline learns the linear output toward -1/1, so that the threshold
        # stays at 0 for every rule.
        return 2.0 * Y - 1.0 if self.loss == "squared" else Y

    def _get_params(self):
        return [self.coef_.T], [self.intercept_]

    def _keras_output(self):
        # The sigmoid neuron is Keras' Dense(activation="sigmoid"); the step
        # unit and Adaline give their linear output, decision_function.
        return "logistic" if self.loss == "log" else "identity"

    def _fitted_attributes(self, coefs, intercepts):
        return {"coef_": np.ascontiguousarray(coefs[0].T), "intercept_": intercepts[0].copy()}

    # fitting and predicting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the units to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix of labels.
        coef_init : array-like of shape (n_units, n_features), default=None
            Initial weights, one row per unit (``(n_features,)`` for binary
            targets); zeros if None. Given, it starts a new fit even with
            ``warm_start=True``.
        intercept_init : array-like of shape (n_units,), default=None
            Initial biases.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: each sample's update is scaled by its
            weight.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.warm_start and hasattr(self, "t_"):
            self.t_ = self._first_t  # each fit counts its own updates, as sklearn
        given = coef_init is not None or intercept_init is not None
        init = (coef_init, intercept_init) if given else None
        return self._fit(X, y, sample_weight, init=init)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the learning rule over X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix of labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes, required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def decision_function(self, X):
        """The units' linear outputs ``w.x + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_units)
            One column per unit; a 1-d array for binary targets.
        """
        Z = self._decision(self._validate_X_predict(X))
        return Z.ravel() if Z.shape[1] == 1 else Z

    def predict(self, X):
        """Predict class labels: the units whose output is >= 0.

        For multiclass targets, the class of the unit with the largest
        ``w.x + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.
        """
        return self._labels_from_decision(self._decision(self._validate_X_predict(X)))

    @_only_for_log_loss
    def predict_proba(self, X):
        """Probability estimates of the sigmoid units (``loss='log'`` only).

        Multiclass probabilities are the one-vs-rest sigmoids normalised to
        sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        P = expit(self._decision(self._validate_X_predict(X)))
        if P.shape[1] == 1:
            return np.hstack([1 - P, P])
        if self._label_binarizer.y_type_ == "multiclass":
            sums = P.sum(axis=1, keepdims=True)
            P /= np.where(sums == 0, 1, sums)
        return P

    @_only_for_log_loss
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``loss='log'`` only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
