"""What every sklshallow estimator shares: fitting a network through a backend.

Subclasses say which network to build (``_layer_units``, ``_net``,
``_init_params``), how to train it (``_make_optimizer``, ``_uses_lbfgs``) and
where its parameters live as fitted attributes (``_get_params`` /
``_fitted_attributes``); the classifier base adds label handling.

Fitting reports to scikit-learn's callbacks (``sklearn.callback``): the
fit is a task with one subtask per epoch (or L-BFGS iteration), so that
``ProgressBar`` and ``ScoringMonitor`` work, also inside meta-estimators.
"""

import copy

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, is_classifier

from sklearn.callback import CallbackSupportMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _network, _optimizers
from ._backends import check_device, import_tensorflow_backend, training
from ._training import (
    DivergenceError,
    Tasks,
    fit_lbfgs,
    fit_stochastic,
    init_stochastic_state,
    init_stopping_state,
)
from ._validation import _check_partial_fit_first_call, _check_sample_weight


class BaseShallowNetwork(CallbackSupportMixin, BaseEstimator):
    """Fit machinery shared by the perceptron and the MLPs."""

    _first_t = 0  # the value of t_ before any sample (sklearn's MLP: 0)

    # ------------------------------------------------------------ fitting

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None, init=None):
        """``init``: initial ``(coefs, intercepts)`` given by the user (the
        perceptron's ``coef_init``), which start a new fit."""
        first_pass = init is not None or not hasattr(self, "n_outputs_") or (
            not self.warm_start and not incremental
        )
        # A call that goes on from a trained model and fails (a diverged
        # partial_fit or warm start, a second Ctrl-C) leaves that model as it
        # was; a new fit that fails leaves nothing half-fitted behind.
        before = None if first_pass else self._training_state()
        try:
            return self._fit_checked(
                X, y, sample_weight, incremental, classes, first_pass, init
            )
        except BaseException:
            if before is None:
                self._forget_fit()
            else:
                vars(self).clear()
                vars(self).update(before)
            raise

    def _training_state(self):
        """A copy of the estimator's state: the attributes, with their own
        copies of what training changes in place (the optimizer's state, the
        curves and the history)."""
        state = dict(vars(self))
        for key in ("_optimizer", "loss_curve_", "history_", "validation_scores_"):
            if key in state:
                state[key] = copy.deepcopy(state[key])
        return state

    def _fit_checked(self, X, y, sample_weight, incremental, classes, first_pass, init):
        check_device(self.device)
        self._more_validate_params(incremental)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not is_classifier(self),
            dtype=(np.float64, np.float32),
            reset=first_pass,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if hasattr(X, "tocsr"):
            X = X.tocsr()  # row slicing for mini-batches
        Y, stratify = self._encode_targets(X, y, first_pass, incremental, classes)
        sample_weight, denom_weight = self._sample_weight(X, y, sample_weight, incremental)
        n_outputs = Y.shape[1]

        self._random_state = check_random_state(self.random_state)
        layer_units = self._layer_units(X.shape[1], n_outputs)
        if first_pass:
            coefs, intercepts = self._init_params(layer_units, X.dtype, init)
            self.n_outputs_ = n_outputs
        else:
            coefs, intercepts = self._get_params()
            self._check_same_network(coefs, layer_units, incremental)
            # Fresh C-ordered copies: backends update them in place.
            coefs = [np.array(W, dtype=X.dtype, order="C") for W in coefs]
            intercepts = [np.array(b, dtype=X.dtype) for b in intercepts]
        # The perceptron learns unscaled weights (see _training_scale).
        scale = self._training_scale()
        if scale != 1:
            coefs = [W / scale for W in coefs]
            intercepts = [b / scale for b in intercepts]

        dtype = X.dtype
        tasks = self._start_tasks(X, y, sample_weight, incremental, scale)
        if self._uses_lbfgs():
            # SciPy's L-BFGS-B works in float64, and so do its loss and gradient
            # here (as in sklearn, whose float32 lbfgs fits end in float64): its
            # line searches then do not branch on float32 round-off, which would
            # make backends part ways. The weights keep the input's dtype.
            X, Y = X.astype(np.float64), Y.astype(np.float64)
            sample_weight, denom_weight = (
                None if w is None else w.astype(float) for w in (sample_weight, denom_weight)
            )
            coefs = [W.astype(np.float64) for W in coefs]
            intercepts = [b.astype(np.float64) for b in intercepts]
        with training(
            self.device, self._net(), coefs, intercepts,
            stochastic=not (incremental or self._uses_lbfgs()),
        ) as backend, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # Overflow is caught below as a non-finite loss, with a clearer message.
            if self._uses_lbfgs():
                backend.set_data(X, Y, sample_weight, denom_weight)
                coefs, intercepts = fit_lbfgs(
                    self, backend, backend.coefs, backend.intercepts,
                    max_iter=self.max_iter, max_fun=self.max_fun, tol=self.tol, tasks=tasks,
                )
                coefs = [W.astype(dtype, copy=False) for W in coefs]
                intercepts = [b.astype(dtype, copy=False) for b in intercepts]
            else:
                coefs, intercepts = self._fit_stochastic(
                    backend, X, Y, (sample_weight, denom_weight), stratify, incremental,
                    first_pass, tasks, scale,
                )
        if not all(np.isfinite(p).all() for p in coefs + intercepts):
            raise DivergenceError(
                "Training produced non-finite weights. "
                + ("" if self._uses_lbfgs() else "Lower the learning rate or ")
                + "scale the input (e.g. with StandardScaler)."
            )
        if scale != 1:
            coefs = [W * scale for W in coefs]
            intercepts = [b * scale for b in intercepts]
        for name, value in self._fitted_attributes(coefs, intercepts).items():
            setattr(self, name, value)
        if tasks.context is not None:
            tasks.context.call_on_fit_task_end(
                estimator=self, X=X, y=y, reconstruction_attributes={}
            )
        return self

    def _start_tasks(self, X, y, sample_weight, incremental, scale):
        """Open the fit task for scikit-learn's callbacks."""
        n_tasks = 1 if incremental else self.max_iter + self._uses_lbfgs()
        context = self._init_callback_context(max_subtasks=n_tasks)
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)

        def attributes(coefs, intercepts):
            return self._fitted_attributes(
                [W * scale for W in coefs], [b * scale for b in intercepts]
            )

        return Tasks(self, context, X, y, attributes)

    def _monitors_val_loss(self):
        """Whether early stopping follows the validation loss, not the score."""
        return getattr(self, "class_weight", None) is not None

    def _training_scale(self):
        """Training runs on the weights divided by this (see the perceptron)."""
        return 1.0

    def _check_same_network(self, coefs, layer_units, incremental):
        """A warm or partial fit continues the fitted network: refuse one
        whose parameters now ask for another shape."""
        fitted = [coefs[0].shape[0]] + [W.shape[1] for W in coefs]
        if fitted[1:-1] != layer_units[1:-1]:
            problem = (f"The fitted network has hidden layers {fitted[1:-1]}, but "
                       f"hidden_layer_sizes asks for {layer_units[1:-1]}")
        elif fitted[-1] != layer_units[-1]:
            problem = (f"y has {layer_units[-1]} outputs here but the fitted network "
                       f"has {fitted[-1]}")
        else:
            return
        how = "partial_fit" if incremental else "warm_start=True"
        raise ValueError(
            f"{problem}: {how} continues the fitted network. Fit with "
            "warm_start=False to start a new one."
        )

    def _forget_fit(self):
        """Leave nothing fitted behind, so that nothing predicts with NaN."""
        for key in list(vars(self)):
            if key.endswith("_") and not key.startswith("__"):
                delattr(self, key)
        for key in ("_optimizer", "_label_binarizer", "_best_monitored"):
            self.__dict__.pop(key, None)

    def _fit_stochastic(
        self, backend, X, Y, weights, stratify, incremental, first_pass, tasks, scale
    ):
        if first_pass or not hasattr(self, "loss_curve_"):
            init_stochastic_state(self, self.early_stopping)
        else:
            if not hasattr(self, "history_"):
                self.history_ = {}
            if self.early_stopping != (getattr(self, "validation_scores_", None) is not None):
                # early_stopping changed between warm fits: the epochs and
                # curves go on, the stopping rule starts afresh.
                init_stopping_state(self, self.early_stopping)
        if not incremental or not hasattr(self, "_optimizer"):
            # The optimizer's state is shaped like one flat vector of all the
            # parameters, coefs first (the NumPy backend's layout).
            n_params = sum(a.size for a in backend.coefs + backend.intercepts)
            self._optimizer = self._make_optimizer([np.zeros(n_params, X.dtype)])

        sample_weight, denom_weight = weights
        validation = None
        if self.early_stopping:
            present = [w for w in weights if w is not None]
            split = train_test_split(
                X, Y, *present,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            X, X_val, Y, Y_val = split[:4]
            pieces = iter(split[4:])
            (sample_weight, sw_val), (denom_weight, dw_val) = (
                (None, None) if w is None else (next(pieces), next(pieces)) for w in weights
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase "
                    "'validation_fraction' or the size of your dataset."
                )

            net = backend.net
            if dw_val is None:
                dw_val = sw_val

            def validation():
                """The validation score and loss of the current parameters."""
                Z = backend.decision(X_val)
                P = _network.OUTPUTS[net.out_activation][0](Z.copy())
                normalize = net.normalize_weights and dw_val is not None
                denom = dw_val.sum() if normalize else len(Z)
                loss = _network.penalized_loss(
                    P, Y_val, Z, net.out_activation, backend.squared_norm(), net.alpha,
                    sw_val, denom, net.normalize_weights, net.mean_outputs,
                )
                # (scoring may map Z to outputs in place: last). Its weights
                # are the samples', without class weights, as in sklearn's
                # SGD estimators.
                score = self._score_decision(Z, Y_val, dw_val)
                return score, loss * scale

        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        backend.set_data(X, Y, sample_weight, denom_weight)
        return fit_stochastic(
            self,
            backend,
            self._optimizer,
            n_samples,
            batch_size,
            max_iter=self.max_iter,
            incremental=incremental,
            validation=validation,
            tasks=tasks,
            loss_scale=scale,
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            import warnings

            warnings.warn(
                f"Got `batch_size`={self.batch_size} larger than the number of "
                f"samples ({n_samples}): it is clipped to {n_samples}."
            )
        return max(1, min(int(self.batch_size), n_samples))

    def _more_validate_params(self, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                "early_stopping=True needs a validation set: set validation_fraction "
                "above 0 (it is 0.0)."
            )

    # ------------------------------------------------------------- files

    def __getstate__(self):
        # Pickle and skops files hold the optimizer as plain data, and no
        # fit-time random state: skops then trusts all but the estimator class.
        state = dict(super().__getstate__())  # (may be the instance's own dict)
        state.pop("_random_state", None)
        if "_optimizer" in state:
            state["_optimizer"] = _optimizers.to_state(state["_optimizer"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("_optimizer"), dict):
            state = dict(state, _optimizer=_optimizers.from_state(state["_optimizer"]))
        super().__setstate__(state)

    # ------------------------------------------------------------ Keras

    def to_keras(self):
        """The fitted network as an uncompiled Keras model.

        A ``keras.Sequential`` of Dense layers with this estimator's weights
        and activations (the dtype of its weights), ready to be compiled and
        trained further, saved or served with Keras. Its ``predict`` is this
        estimator's ``predict_proba`` for multiclass MLPs, the probability of
        the positive class (shape ``(n, 1)``) for binary ones and of each
        label for multilabel ones, as Keras' sigmoid outputs are; ``predict``
        for the regressor; for the perceptron, ``decision_function`` of its
        step (or Adaline) units, and the sigmoids of its ``loss='log'`` units
        (``predict_proba`` for binary and multilabel targets; for multiclass,
        ``predict_proba`` divides them by their sum). With ``leaky_relu`` in
        float64, Keras keeps the slope in float32, so outputs differ from
        ``predict_proba`` by about 1e-10. Needs TensorFlow (the ``tf`` extra).

        Returns
        -------
        model : keras.Sequential
            The network, not compiled.
        """
        check_is_fitted(self)
        tf_module = import_tensorflow_backend()
        coefs, intercepts = self._get_params()
        net = self._net()
        return tf_module.keras_model(
            [np.asarray(W) for W in coefs], [np.asarray(b) for b in intercepts],
            net.activation, self._keras_output(), name=type(self).__name__,
        )

    def _keras_output(self):
        """The output layer ``to_keras`` ends with."""
        return self.out_activation_

    # --------------------------------------------------------- predicting

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )

    def _decision(self, X):
        """The last layer's pre-activation for validated X (NumPy only)."""
        coefs, intercepts = self._get_params()
        return _network.decision(coefs, intercepts, X, self._net().activation)

    def _output_from_decision(self, Z):
        return _network.OUTPUTS[self._net().out_activation][0](Z)

    # ------------------------------------------------- regression targets

    def _encode_targets(self, X, y, first_pass, incremental, classes):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return Y.astype(X.dtype, copy=False), None

    def _sample_weight(self, X, y, sample_weight, incremental):
        """The weights of the samples' losses, and those whose sum divides a
        batch's loss (None: the same)."""
        if sample_weight is None:
            return None, None
        return _check_sample_weight(sample_weight, X, dtype=X.dtype), None

    def _score_decision(self, Z, Y, sample_weight):
        output = self._output_from_decision(Z)
        if not np.isfinite(output).all():
            return np.nan
        return r2_score(Y, output, sample_weight=sample_weight)


class BaseShallowClassifier(ClassifierMixin, BaseShallowNetwork):
    """Label handling for the classifiers: one output unit per class
    (one for binary targets) or per label, trained on 0/1 targets."""

    def _encode_targets(self, X, y, first_pass, incremental, classes):
        if incremental and (classes is not None or not hasattr(self, "classes_")):
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(self.classes_)
                self.classes_ = self._label_binarizer.classes_
        elif first_pass:
            self._label_binarizer = _fit_label_binarizer(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            present = unique_labels(y)
            if self.warm_start and not incremental:
                if set(present) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        f"classes as in the previous call to fit. Previously got "
                        f"{self.classes_}, `y` has {present}"
                    )
            elif len(np.setdiff1d(present, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {present}."
                )
        if len(self.classes_) < 2:
            raise ValueError(
                "The target y has only one class "
                f"({_plain(self.classes_[0]) if len(self.classes_) else None!r}); a "
                "classifier needs samples of at least 2 classes."
            )
        if self._label_binarizer.y_type_.startswith("multilabel"):
            Y = self._label_binarizer.transform(y).astype(bool)
        else:
            # LabelBinarizer.transform's indicator, without its sparse detour
            # (milliseconds: more than a perceptron's epochs on small data);
            # compared class by class along y (a broadcast whose inner loop
            # runs over the few classes is 3-25x slower).
            y = np.asarray(y)
            classes = self.classes_
            Y = (y == classes[1])[:, None] if len(classes) == 2 else (classes[:, None] == y).T
        # As sklearn: the early-stopping split is stratified for binary targets.
        stratify = Y if Y.shape[1] == 1 else None
        return self._targets_from_indicator(Y).astype(X.dtype, order="C"), stratify

    def _targets_from_indicator(self, Y):
        return Y

    def _sample_weight(self, X, y, sample_weight, incremental):
        """Class weights multiply each sample's loss but stay out of the
        batch's weight sum, which divides it: so they weigh classes against
        each other at every batch size (at batch size 1, a normalised weight
        would cancel out)."""
        sample_weight, _ = super()._sample_weight(X, y, sample_weight, incremental)
        if self.class_weight is None:
            return sample_weight, None
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: "
                "it needs all the data. Compute weights with "
                "sklearn.utils.compute_class_weight and pass them as a dict."
            )
        if self._label_binarizer.y_type_.startswith("multilabel"):
            weights = compute_sample_weight(self.class_weight, y)
        else:
            # Over all of classes_, as sklearn's Perceptron: a partial_fit
            # batch may lack classes that class_weight names.
            per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            weights = per_class[np.searchsorted(self.classes_, y)]
        weights = weights.astype(X.dtype)
        if sample_weight is None:
            return weights, np.ones_like(weights)
        return weights * sample_weight, sample_weight

    def _labels_from_decision(self, Z):
        """Class labels: the unit with the largest decision value for
        multiclass targets, else every unit whose decision is >= 0."""
        if self._label_binarizer.y_type_ == "multiclass":
            indicator = np.zeros(Z.shape, dtype=int)
            indicator[np.arange(Z.shape[0]), Z.argmax(axis=1)] = 1
        else:
            indicator = (Z >= 0).astype(int)
        if indicator.shape[1] == 1:
            indicator = indicator.ravel()
        return self._label_binarizer.inverse_transform(indicator)

    def _score_decision(self, Z, Y, sample_weight):
        if not np.isfinite(Z).all():
            return np.nan
        Y = (Y > 0).astype(int)  # targets are coded 0/1 or -1/1
        return accuracy_score(
            self._label_binarizer.inverse_transform(Y[:, 0] if Y.shape[1] == 1 else Y),
            self._labels_from_decision(Z),
            sample_weight=sample_weight,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _plain(value):
    """A NumPy scalar as the Python value it holds, for messages (its repr
    would be ``np.int64(0)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _fit_label_binarizer(y):
    """``LabelBinarizer().fit(y)``, with one look at the target's type where
    it fits three, and one set of labels: milliseconds, most of a small
    network's fit."""
    classes = None
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iu" and y.size:
        # Labels 0..n: counted, not sorted. sklearn's type_of_target reads
        # the labels from the dtype's metadata, as its own unique_labels
        # passes them (elsewhere it finds them itself: the same answer).
        lo, hi = y.min(), y.max()
        if lo >= 0 and hi <= 4 * y.size:
            classes = np.flatnonzero(np.bincount(y)).astype(y.dtype)
            y = y.view(np.dtype(y.dtype, metadata={"unique": classes}))
    y_type = type_of_target(y, input_name="y")
    if y_type not in ("binary", "multiclass") or y.dtype == object:
        return LabelBinarizer().fit(y)  # its checks and messages (mixed labels, ...)
    binarizer = LabelBinarizer()
    binarizer.y_type_, binarizer.sparse_input_ = y_type, False
    binarizer.classes_ = np.unique(y) if classes is None else classes
    return binarizer
