"""Multilayer perceptrons: MLPClassifierTF and MLPRegressor."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _network
from ._backends import Net
from ._base import BaseShallowClassifier, BaseShallowNetwork
from ._optimizers import SGD, Adam
from ._validation import (
    CLASS_WEIGHT_CONSTRAINT,
    MLP_CONSTRAINTS,
    StrOptions,
    _fit_context,
    canonical_activation,
    hidden_layer_sizes_list,
)

_COMMON_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', \
'leaky_relu'}, default='relu'
        Activation of the hidden layers. 'sigmoid' is another name for
        'logistic'; 'leaky_relu' is ``max(x, 0.01 x)``.

    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization.

    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the sample size (the weight
        sum with ``sample_weight``) when added to the loss.

    batch_size : int or 'auto', default='auto'
        Size of the mini-batches of the stochastic solvers;
        ``'auto'`` is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule. Only used when solver='sgd'.

    learning_rate_init : float, default=0.001
        Initial learning rate. Only used when solver='sgd' or 'adam'.

    power_t : float, default=0.5
        Exponent of 'invscaling'. Only used when solver='sgd'.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.

    random_state : int, RandomState instance or None, default=None
        Draws the initial weights, the batch order and the early-stopping
        split, on every device.

    tol : float, default=1e-4
        Tolerance for the optimization.

    verbose : bool, default=False
        Print one line per epoch (loss, validation score, time).

    warm_start : bool, default=False
        Reuse the previous solution as the starting point of ``fit``.

    momentum : float, default=0.9
        Momentum of the updates. Only used when solver='sgd'.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when solver='sgd'.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score
        stops improving, and keep the weights of the best epoch.

    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates. Only used when solver='adam'.

    epsilon : float, default=1e-8
        Adam's numerical-stability term. Only used when solver='adam'.

    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations. Only used when solver='lbfgs'.

    device : str, default='cpu'
        Where to train: 'cpu' (NumPy), 'gpu' (TensorFlow on the first GPU),
        'auto' (a GPU if TensorFlow sees one, else NumPy) or a TensorFlow device
        string such as '/CPU:0' or '/GPU:1' (a device TensorFlow does not see
        raises a RuntimeError at fit). The device changes the speed, not the
        model: both backends start from the same weights and follow the same
        steps.
"""

_ATTRIBUTES_DOC = """
    loss_ : float
        The loss of the last epoch (or the final lbfgs loss).

    best_loss_ : float or None
        The lowest training loss (None with early stopping or lbfgs).

    loss_curve_ : list of float
        The loss of each epoch (stochastic solvers).

    validation_scores_ : list of float or None
        The validation score of each epoch, with early stopping.

    best_validation_score_ : float or None
        The best validation score, with early stopping.

    history_ : dict of lists
        Per-epoch ``loss``, ``epoch_time`` and, with early stopping,
        ``val_score``: ``pandas.DataFrame(est.history_).plot()`` draws it.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray
        Weight matrix of each layer, ``(fan_in, fan_out)``.

    intercepts_ : list of ndarray
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    n_iter_ : int
        Number of epochs (or lbfgs iterations) run.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Output activation.
"""


class BaseMLP(BaseShallowNetwork):
    """Shared parts of the two MLPs. Do not use directly."""

    _parameter_constraints: dict = dict(MLP_CONSTRAINTS)

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="cpu",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device

    # hooks of BaseShallowNetwork

    def _layer_units(self, n_features, n_outputs):
        return [n_features] + hidden_layer_sizes_list(self.hidden_layer_sizes) + [
            n_outputs
        ]

    def _init_params(self, layer_units, dtype, init=None):
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._out_activation()
        return _network.init_params(
            layer_units, canonical_activation(self.activation), self._random_state, dtype
        )

    def _net(self):
        return Net(
            canonical_activation(self.activation),
            self.out_activation_,
            self.alpha,
            normalize_weights=True,
            fit_intercept=True,
            # sklearn's MLPRegressor reports (and stops on) the squared error
            # averaged over outputs; lbfgs minimises the sum, whose gradient
            # it follows, so that its objective and gradient agree.
            mean_outputs=self.out_activation_ == "identity" and self.solver != "lbfgs",
        )

    def _uses_lbfgs(self):
        return self.solver == "lbfgs"

    def _make_optimizer(self, params):
        if self.solver == "sgd":
            return SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return Adam(params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)

    def _get_params(self):
        return self.coefs_, self.intercepts_

    def _fitted_attributes(self, coefs, intercepts):
        return {"coefs_": list(coefs), "intercepts_": list(intercepts)}

    def _check_stochastic(self):
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; "
                f"solver={self.solver!r} is not stochastic."
            )
        return True

    def _forward(self, X):
        X = self._validate_X_predict(X)
        return self._output_from_decision(self._decision(X))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets (class labels in classification, real numbers in
            regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    def summary(self):
        """The layer table the lecture shows for Keras' ``model.summary()``.

        Returns
        -------
        table : str
            One row per dense layer (name, output shape, parameter count) and
            the totals.
        """
        check_is_fitted(self)
        rows = [("Layer (type)", "Output Shape", "Param #")]
        activation = canonical_activation(self.activation)
        total = 0
        for i, W in enumerate(self.coefs_):
            last = i == len(self.coefs_) - 1
            n_params = W.size + W.shape[1]
            total += n_params
            act = self.out_activation_ if last else activation
            name = f"dense_{i} (Dense, {act})" if i else f"dense (Dense, {act})"
            rows.append((name, f"(None, {W.shape[1]})", f"{n_params:,}"))
        widths = [max(len(r[c]) for r in rows) + 2 for c in range(3)]
        rule = "=" * sum(widths)

        def fmt(row):
            return "".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()

        lines = [f'Model: "{type(self).__name__}"', rule, fmt(rows[0]), rule]
        lines += [fmt(r) for r in rows[1:]]
        lines += [
            rule,
            f"Total params: {total:,}",
            f"Trainable params: {total:,}",
            "Non-trainable params: 0",
            f"Input shape: (None, {self.n_features_in_})",
        ]
        return "\n".join(lines)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class MLPClassifierTF(BaseShallowClassifier, BaseMLP):
    __doc__ = (
        """Multi-layer perceptron classifier, on NumPy or TensorFlow.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: the same
    parameters, defaults, fitted attributes and, on the NumPy backend, the
    same training steps, plus ``device``, ``class_weight``, the 'sigmoid' and
    'leaky_relu' activations, ``history_`` and :meth:`summary`.

    Parameters
    ----------"""
        + _COMMON_PARAMS_DOC
        + """
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; 'balanced' weighs
        classes inversely to their frequency in y. They multiply each
        sample's loss but not the batch's weight sum that divides it, so they
        count at every batch size; with early stopping, the class-weighted
        validation loss picks the best epoch.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels of each output.
"""
        + _ATTRIBUTES_DOC
        + """
    See Also
    --------
    MLPRegressor : The regressor of this package.
    PerceptronClassifier : Single-layer threshold logic units.

    Notes
    -----
    The output layer is a softmax for multiclass targets and logistic units
    for binary and multilabel targets, trained on the cross-entropy.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklshallow import MLPClassifierTF
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MLPClassifierTF(
    ...     hidden_layer_sizes=(10,), learning_rate_init=0.01, max_iter=500,
    ...     random_state=0)).fit(X, y)
    >>> round(clf.score(X, y), 2) >= 0.95
    True
    """
    )

    _parameter_constraints: dict = {**MLP_CONSTRAINTS, **CLASS_WEIGHT_CONSTRAINT}

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            device=device,
        )
        self.class_weight = class_weight

    def _out_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _labels_from_decision(self, Z):
        # As sklearn: thresholds the probabilities (p > 0.5), argmax for softmax.
        output = self._output_from_decision(Z)
        return self._label_binarizer.inverse_transform(
            output.ravel() if output.shape[1] == 1 else output
        )

    @available_if(lambda est: est._check_stochastic())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            All the classes, required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.
        """
        X = self._validate_X_predict(X)
        return self._labels_from_decision(self._decision(X))

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        P = self._forward(X)
        if P.shape[1] == 1:
            return np.hstack([1 - P, P])
        return P

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        P = self.predict_proba(X)
        return np.log(P, out=P)


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = (
        """Multi-layer perceptron regressor, on NumPy or TensorFlow.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` with the same
    parameters, defaults and fitted attributes, plus ``device``, the 'sigmoid'
    and 'leaky_relu' activations, ``history_`` and :meth:`summary`.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half the squared error, or half the Poisson deviance with an
        exponential output (for counts and rates; needs ``y >= 0``), summed
        over outputs and averaged over samples.
"""
        + _COMMON_PARAMS_DOC
        + """
    Attributes
    ----------"""
        + _ATTRIBUTES_DOC
        + """
    See Also
    --------
    MLPClassifierTF : The classifier of this package.

    Notes
    -----
    For several outputs the loss is summed over the outputs, so that its
    gradient is the one every solver follows; sklearn reports the mean over
    outputs but descends the sum (its issue #8349), so ``loss_`` here is
    ``n_outputs`` times sklearn's while the trained weights agree.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklshallow import MLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), MLPRegressor(
    ...     hidden_layer_sizes=(20,), learning_rate_init=0.1, max_iter=500,
    ...     random_state=0))
    >>> reg.fit(X, y).score(X, y) > 0.6
    True
    """
    )

    _parameter_constraints: dict = {
        **MLP_CONSTRAINTS,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="cpu",
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            device=device,
        )
        self.loss = loss

    def _out_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _encode_targets(self, X, y, first_pass, incremental, classes):
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' needs non-negative targets y; y has negative values.")
        return super()._encode_targets(X, y, first_pass, incremental, classes)

    @available_if(lambda est: est._check_stochastic())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict with the multi-layer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        Y = self._forward(X)
        return Y.ravel() if Y.shape[1] == 1 else Y
