"""Edge cases a demanding user meets: class weights at every batch size,
divergence after a good epoch, clear errors for silent surprises, and the
device that never changes the model at the edges (saturated probabilities,
ties of the threshold unit)."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_class_weight_classifiers

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier

from .conftest import DEVICES, needs_tf

X_iris, y_iris = load_iris(return_X_y=True)


def _quiet(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# ------------------------------------------------------------ class weights


@pytest.mark.parametrize("device", DEVICES)
def test_class_weight_counts_at_batch_size_one(device):
    """The issue's case: at batch size 1 a weight normalised by the batch's
    weight sum cancelled out, and the fit equalled the unweighted one."""
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    kw = dict(hidden_layer_sizes=(), batch_size=1, solver="sgd", momentum=0.0,
              learning_rate_init=0.01, max_iter=3, shuffle=False, random_state=0,
              alpha=0.0, device=device)
    weights = {0: 3.0, 1: 0.5}
    clf = _quiet(MLPClassifierTF(class_weight=weights, **kw), X, y)

    # Textbook: a logistic unit, each sample's step scaled by its class weight.
    rng = np.random.RandomState(0)
    bound = np.sqrt(6.0 / (X.shape[1] + 1))
    w, b = rng.uniform(-bound, bound, X.shape[1]), rng.uniform(-bound, bound, 1)[0]
    for _ in range(3):
        for x, t in zip(X, y):
            p = 1 / (1 + np.exp(-(x @ w + b)))
            w -= 0.01 * weights[t] * (p - t) * x
            b -= 0.01 * weights[t] * (p - t)
    np.testing.assert_allclose(clf.coefs_[0].ravel(), w, rtol=1e-6)
    np.testing.assert_allclose(clf.intercepts_[0], [b], rtol=1e-6)

    extreme = _quiet(MLPClassifierTF(class_weight={0: 1000, 1: 1e-4}, **kw), X, y)
    plain = _quiet(MLPClassifierTF(**kw), X, y)
    assert np.abs(extreme.coefs_[0] - plain.coefs_[0]).max() > 0.1
    assert (extreme.predict(X) == 0).sum() > (plain.predict(X) == 0).sum()


def test_sample_weight_without_class_weight_still_trains_as_sklearn():
    sw = np.random.RandomState(0).uniform(0.1, 3, len(y_iris))
    kw = dict(hidden_layer_sizes=(5,), batch_size=1, max_iter=3, random_state=0)
    ours = _quiet(MLPRegressor(**kw), X_iris, y_iris, sample_weight=sw)
    theirs = _quiet(SkMLPRegressor(**kw), X_iris, y_iris, sample_weight=sw)
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7)


@pytest.mark.parametrize("Estimator, params", [
    (MLPClassifierTF, dict(batch_size=1, hidden_layer_sizes=[], early_stopping=True)),
    (MLPClassifierTF, dict(batch_size=1, hidden_layer_sizes=[])),
    (PerceptronClassifier, dict()),
])
def test_sklearn_class_weight_check_passes(Estimator, params):
    check_class_weight_classifiers(Estimator.__name__, Estimator(**params))


@pytest.mark.parametrize("Estimator", [PerceptronClassifier, MLPClassifierTF])
def test_partial_fit_class_weight_naming_a_class_absent_from_the_batch(Estimator):
    weights = {0: 1.0, 1: 2.0, 2: 5.0}
    est = Estimator(class_weight=weights)
    est.partial_fit(X_iris[:100], y_iris[:100], classes=[0, 1, 2])  # no class 2 here
    est.partial_fit(X_iris[50:], y_iris[50:])
    assert list(est.classes_) == [0, 1, 2]
    with pytest.raises(ValueError, match="class_weight"):
        Estimator(class_weight={0: 1.0, 7: 2.0}).partial_fit(X_iris, y_iris, classes=[0, 1, 2])


# -------------------------------------------------------------- divergence


def test_divergence_after_a_best_epoch_keeps_the_best_weights():
    """sklearn's test_mlp_diverging_loss, and the weights it keeps."""
    mlp = MLPRegressor(hidden_layer_sizes=100, activation="identity", solver="sgd",
                       alpha=0.0001, learning_rate="constant", learning_rate_init=1,
                       max_iter=20, early_stopping=True, n_iter_no_change=10, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged. Keeping the weights of the best"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mlp.fit(X_iris, y_iris)
    assert str(mlp.validation_scores_[-1]) == "nan"
    assert isinstance(mlp.validation_scores_[-1], float)
    assert np.isfinite(mlp.best_validation_score_)
    best = int(np.nanargmax(mlp.validation_scores_)) + 1
    assert all(np.isfinite(W).all() for W in mlp.coefs_)
    # The weights are those of the best epoch: a fit that stops there has them.
    ref = _quiet(clone(mlp).set_params(max_iter=best), X_iris, y_iris)
    for a, b in zip(mlp.coefs_, ref.coefs_):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(mlp.predict(X_iris)).all()


def test_divergence_without_early_stopping_is_still_an_error():
    mlp = MLPRegressor(activation="identity", solver="sgd", learning_rate_init=1, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="Lower the learning rate"):
            mlp.fit(X_iris, y_iris)
    assert not hasattr(mlp, "coefs_")


def _state(est):
    """Everything a fitted estimator carries beyond its parameters, as bytes."""
    import pickle

    params = est.get_params()
    return pickle.dumps({k: v for k, v in vars(est).items()
                         if k not in params and k != "_random_state"})


def _diverging_calls():
    """(estimator, X, a training call, a call that diverges after it, a call
    that goes on training after that)."""
    from sklshallow.playground import make_data

    Xc, yc = make_data("circle", n_samples=250, random_state=0)
    # The issue's snippet: the second partial_fit diverges. partial_fit keeps
    # its optimizer (as sklearn's); its first epoch already left huge weights,
    # from which a warm start with Adam's bounded steps goes on.
    issue = MLPClassifierTF((8, 8), activation="identity", solver="sgd", momentum=0.0,
                            learning_rate_init=2.0, batch_size=30, random_state=0)
    first = lambda e: e.partial_fit(Xc, yc, classes=[0, 1])  # noqa: E731
    yield issue, Xc, first, lambda e: e.partial_fit(Xc, yc), lambda e: e.set_params(
        warm_start=True, solver="adam", learning_rate_init=1e-4, max_iter=2).fit(Xc, yc)
    warm = MLPRegressor(activation="identity", solver="sgd", learning_rate_init=1e-4,
                        max_iter=3, warm_start=True, random_state=0)
    yield (warm, X_iris, lambda e: e.fit(X_iris, y_iris),
           lambda e: e.set_params(learning_rate_init=1e6, max_iter=50).fit(X_iris, y_iris),
           lambda e: e.set_params(learning_rate_init=1e-4, max_iter=3).fit(X_iris, y_iris))
    perceptron = PerceptronClassifier(loss="squared", eta0=1e-3, random_state=0)
    yield (perceptron, X_iris, lambda e: e.partial_fit(X_iris, y_iris, classes=[0, 1, 2]),
           lambda e: e.partial_fit(X_iris * 1e6, y_iris),
           lambda e: e.partial_fit(X_iris, y_iris))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", range(3))
def test_a_failed_training_keeps_the_trained_model(case, device):
    est, X, train, diverge, go_on = list(_diverging_calls())[case]
    est.set_params(device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(est)
        before, predictions, t = _state(est), est.predict(X), est.t_
        with pytest.raises(ValueError, match="diverged|non-finite"):
            diverge(est)
    # Exactly as before the call: weights, optimizer state, counters, curves.
    assert _state(est) == before
    np.testing.assert_array_equal(est.predict(X), predictions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        go_on(est)
    assert est.t_ > t or est.n_iter_ > 0
    assert np.isfinite(est.loss_curve_).all()


@pytest.mark.parametrize("Estimator", [MLPClassifierTF, PerceptronClassifier])
@pytest.mark.parametrize("label, shown", [(0, "(0)"), ("cat", "('cat')"), (2.0, "(2.0)")])
def test_one_class_error_shows_the_plain_label(Estimator, label, shown):
    with pytest.raises(ValueError, match="only one class") as info:
        Estimator().fit(X_iris, np.array([label] * 150))
    assert shown in str(info.value) and "np." not in str(info.value)


@pytest.mark.parametrize("y", [
    np.array([0, 1, 1, 0] * 10),
    np.array([3, 5, 5, 7] * 10, dtype=np.uint8),
    np.array([2, 9] * 20, dtype=np.int16),
    np.arange(40) % 30,                     # many classes: sklearn's warning too
    np.array([0, 100000] * 20),             # far apart: sorted, not counted
    np.array([-1, 1] * 20),
    np.array([1.0, 0.0] * 20),
    np.array(["b", "a"] * 20),
])
def test_classes_and_target_type_are_label_binarizers(y):
    from sklearn.preprocessing import LabelBinarizer

    from sklshallow._base import _fit_label_binarizer

    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        binarizer = _fit_label_binarizer(y)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        reference = LabelBinarizer().fit(y)
    np.testing.assert_array_equal(binarizer.classes_, reference.classes_)
    assert binarizer.classes_.dtype == reference.classes_.dtype
    assert binarizer.y_type_ == reference.y_type_
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    X = np.random.RandomState(0).normal(size=(len(y), 3))
    np.testing.assert_array_equal(PerceptronClassifier(max_iter=2).fit(X, y).classes_,
                                  reference.classes_)
    # The targets trained on: LabelBinarizer's 0/1 indicator, C-ordered.
    for dtype in (np.float64, np.float32):
        Y, _ = MLPClassifierTF()._encode_targets(X.astype(dtype), y, True, False, None)
        assert Y.dtype == dtype and Y.flags.c_contiguous
        np.testing.assert_array_equal(Y, reference.transform(y))


def test_lbfgs_divergence_gives_no_learning_rate_advice():
    X = X_iris * 1e200
    mlp = MLPRegressor(solver="lbfgs", activation="identity", max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="diverged|non-finite") as info:
            mlp.fit(X, y_iris)
    assert "learning rate" not in str(info.value)
    assert "scale the input" in str(info.value).lower()


# ---------------------------------------------------------- clear errors


def test_warm_start_with_another_architecture_is_refused():
    mlp = _quiet(MLPClassifierTF(hidden_layer_sizes=(5,), max_iter=5, warm_start=True),
                 X_iris, y_iris)
    mlp.set_params(hidden_layer_sizes=(7,))
    with pytest.raises(ValueError, match=r"hidden layers \[5\].*\[7\].*warm_start=False"):
        mlp.fit(X_iris, y_iris)
    mlp.set_params(warm_start=False)
    assert [W.shape[1] for W in _quiet(mlp, X_iris, y_iris).coefs_] == [7, 3]


def test_warm_refit_with_another_number_of_targets_is_refused():
    reg = _quiet(MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, warm_start=True),
                 X_iris, np.c_[y_iris, y_iris])
    with pytest.raises(ValueError, match="3 outputs here but the fitted network has 2"):
        reg.fit(X_iris, np.c_[y_iris, y_iris, y_iris])
    with pytest.raises(ValueError, match="1 outputs here"):
        reg.partial_fit(X_iris, y_iris)


@pytest.mark.parametrize("sizes", [(True,), (3, False), (2.5,), ("4",)])
def test_hidden_layer_sizes_of_other_types_are_a_type_error(sizes):
    with pytest.raises(TypeError, match="hidden_layer_sizes"):
        MLPClassifierTF(hidden_layer_sizes=sizes).fit(X_iris, y_iris)


def test_validation_fraction_zero_is_fine_without_early_stopping():
    _quiet(MLPClassifierTF(validation_fraction=0.0, max_iter=5), X_iris, y_iris)
    with pytest.raises(ValueError, match="validation_fraction"):
        MLPClassifierTF(validation_fraction=0.0, early_stopping=True).fit(X_iris, y_iris)


@pytest.mark.parametrize("Estimator", [MLPClassifierTF, PerceptronClassifier])
def test_early_stopping_can_change_between_warm_fits(Estimator):
    X = StandardScaler().fit_transform(X_iris)
    kw = dict(max_iter=5, warm_start=True, early_stopping=True, random_state=0)
    if Estimator is MLPClassifierTF:
        kw.update(learning_rate_init=0.01)
    est = _quiet(Estimator(**kw), X, y_iris)
    n = len(est.loss_curve_)
    _quiet(est.set_params(early_stopping=False), X, y_iris)
    assert est.validation_scores_ is None and np.isfinite(est.best_loss_)
    _quiet(est.set_params(early_stopping=True), X, y_iris)
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.loss_curve_) > n
    assert est.score(X, y_iris) > 0.7


@pytest.mark.parametrize("device", ["CPU", "Cpu", "cPU"])
def test_device_names_in_any_case(device):
    a = _quiet(MLPClassifierTF(max_iter=3, random_state=0, device=device), X_iris, y_iris)
    b = _quiet(MLPClassifierTF(max_iter=3, random_state=0), X_iris, y_iris)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


# ------------------------------------------- the device at the edges (TF)


@needs_tf
def test_saturated_probabilities_give_the_same_model_on_both_devices():
    """The issue's case: n_iter_ was 11 vs 21 and 17 of 150 predictions differed."""
    X, y = make_classification(n_samples=150, n_features=6, flip_y=0.2, class_sep=2,
                               random_state=4)
    X = (30 * X).astype(np.float32)
    for est in (
        MLPClassifierTF(hidden_layer_sizes=(), learning_rate_init=0.1, max_iter=60,
                        random_state=4, tol=0.05, n_iter_no_change=2),
        PerceptronClassifier(loss="log", eta0=0.1, max_iter=60, random_state=4, tol=0.05,
                             n_iter_no_change=2),
    ):
        cpu = _quiet(clone(est), X, y)
        tf = _quiet(clone(est).set_params(device="/CPU:0"), X, y)
        assert cpu.n_iter_ == tf.n_iter_
        # Saturated float32 outputs round 1 - p to a few ulps of 1: a one-ulp
        # difference in a product (two BLAS libraries) moves one sample's
        # clipped loss by up to log(2), hence the curves' 1e-3.
        np.testing.assert_allclose(tf.loss_curve_, cpu.loss_curve_, rtol=2e-3)
        np.testing.assert_array_equal(cpu.predict(X), tf.predict(X))


def _exact_perceptron(X, y, eta0, epochs):
    """Rosenblatt's rule in exact rational arithmetic (0/1 targets)."""
    eta = Fraction(eta0)  # the float's exact value
    w, b = [Fraction(0)] * X.shape[1], Fraction(0)
    for _ in range(epochs):
        for x, t in zip(X.tolist(), y.tolist()):
            y_hat = int(sum(wi * Fraction(xi) for wi, xi in zip(w, x)) + b >= 0)
            if y_hat != t:
                w = [wi + eta * (t - y_hat) * Fraction(xi) for wi, xi in zip(w, x)]
                b += eta * (t - y_hat)
    return w, b


GATES = {
    "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
}


def _check_exact(X, y, eta0, epochs, device):
    clf = _quiet(PerceptronClassifier(eta0=eta0, shuffle=False, tol=None, max_iter=epochs,
                                      device=device), X, y)
    w, b = _exact_perceptron(X, y, eta0, epochs)
    assert clf.coef_.ravel().tolist() == [float(v) for v in w]
    assert clf.intercept_.tolist() == [float(b)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("eta0", [0.1, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("gate", list(GATES))
def test_logic_gates_decide_as_exact_arithmetic(gate, eta0, device):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    _check_exact(X, np.array(GATES[gate]), eta0, 12, device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("eta0", [0.1, 0.3, 0.7])
def test_small_integer_data_decides_as_exact_arithmetic(eta0, device):
    rng = np.random.RandomState(0)
    for _ in range(10):
        X = rng.randint(-3, 4, size=(12, 3)).astype(float)
        y = rng.randint(0, 2, size=12)
        if len(set(y)) == 2:
            _check_exact(X, y, eta0, 6, device)


@needs_tf
def test_the_lectures_and_gate_is_the_same_on_both_devices():
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), [0, 0, 0, 1]
    cpu = PerceptronClassifier(eta0=0.1, shuffle=False).fit(X, y)
    tf = PerceptronClassifier(eta0=0.1, shuffle=False, device="/CPU:0").fit(X, y)
    assert (cpu.n_iter_, cpu.intercept_.tolist()) == (tf.n_iter_, tf.intercept_.tolist())
    np.testing.assert_array_equal(cpu.coef_, tf.coef_)
