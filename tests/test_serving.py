"""Shipping a fitted model: skops files, ONNX graphs and Keras models that
predict what the estimator predicts."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier

from .conftest import DEVICES, needs_tf

X_iris, y_iris = load_iris(return_X_y=True)
X_diab, y_diab = load_diabetes(return_X_y=True)
X_ml, Y_ml = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
PUBLIC = {"sklshallow._mlp.MLPClassifierTF", "sklshallow._mlp.MLPRegressor",
          "sklshallow._perceptron.PerceptronClassifier"}


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _cases():
    """(name, estimator, X, y): every kind of fitted model users ship."""
    strings = np.array(["setosa", "versicolor", "virginica"])[y_iris]
    cases = []
    for device in DEVICES:
        cases += [
            (f"adam-{device}", MLPClassifierTF(max_iter=5, device=device), X_iris, y_iris),
            (f"sgd-es-{device}", MLPClassifierTF(solver="sgd", early_stopping=True, max_iter=5,
                                                 device=device), X_iris, strings),
            (f"lbfgs-{device}", MLPClassifierTF(solver="lbfgs", max_iter=5, device=device),
             X_iris, y_iris),
            (f"multilabel-{device}", MLPClassifierTF(max_iter=5, device=device), X_ml, Y_ml),
            (f"regression-{device}", MLPRegressor(max_iter=5, device=device), X_diab,
             np.c_[y_diab, y_diab] / 100),
            (f"poisson-{device}", MLPRegressor(loss="poisson", max_iter=5, device=device),
             X_diab, y_diab / 100),
            (f"perceptron-{device}", PerceptronClassifier(max_iter=5, device=device),
             X_iris, y_iris),
            (f"perceptron-log-l1-{device}", PerceptronClassifier(
                loss="log", penalty="l1", max_iter=5, device=device), X_iris, y_iris == 0),
        ]
    cases.append(("pipeline", make_pipeline(StandardScaler(), MLPClassifierTF(max_iter=5)),
                  X_iris, y_iris))
    for _, est, _, _ in cases:  # the same batches when a fit goes on
        (est[-1] if isinstance(est, Pipeline) else est).set_params(random_state=0)
    return cases


CASES = _cases()


# ------------------------------------------------------------------- skops


@pytest.mark.parametrize("name, est, X, y", CASES, ids=[c[0] for c in CASES])
def test_skops_round_trip_trusts_only_the_estimator_classes(name, est, X, y, tmp_path):
    sio = pytest.importorskip("skops.io")
    _fit(est, X, y)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= PUBLIC and untrusted  # no optimizer, no helper, no callable
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # The loaded model trains on: its optimizer state came back whole.
    last = loaded[-1] if isinstance(loaded, Pipeline) else loaded
    original = est[-1] if isinstance(est, Pipeline) else est
    if hasattr(last, "partial_fit") and not last.early_stopping:
        Xt = loaded[:-1].transform(X) if isinstance(loaded, Pipeline) else X
        again = _fit(last.set_params(warm_start=True, max_iter=1), Xt, y)
        ref = _fit(original.set_params(warm_start=True, max_iter=1), Xt, y)
        np.testing.assert_array_equal(again.predict(Xt), ref.predict(Xt))


@needs_tf
def test_a_skops_file_loads_without_tensorflow(tmp_path):
    sio = pytest.importorskip("skops.io")
    est = _fit(MLPClassifierTF(max_iter=5, device="/CPU:0"), X_iris, y_iris)
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    np.save(tmp_path / "expected.npy", est.predict_proba(X_iris))
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None  # any import of TensorFlow fails\n"
        "import numpy as np, skops.io as sio\n"
        "from sklearn.datasets import load_iris\n"
        f"path = {str(path)!r}\n"
        "est = sio.load(path, trusted=sio.get_untrusted_types(file=path))\n"
        "X, _ = load_iris(return_X_y=True)\n"
        f"assert (est.predict_proba(X) == np.load({str(tmp_path / 'expected.npy')!r})).all()\n"
        "print('loaded', type(est).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "loaded MLPClassifierTF" in out.stdout


def test_pickle_holds_the_optimizer_as_plain_data():
    import pickle

    est = _fit(MLPClassifierTF(max_iter=3, random_state=0), X_iris, y_iris)
    state = est.__getstate__()
    assert isinstance(state["_optimizer"], dict) and state["_optimizer"]["kind"] == "Adam"
    assert type(est._optimizer).__name__ == "Adam"  # the estimator itself is untouched
    loaded = pickle.loads(pickle.dumps(est))
    for a, b in zip(loaded._optimizer.state, est._optimizer.state):
        np.testing.assert_array_equal(a, b)
    assert loaded._optimizer.t == est._optimizer.t


# -------------------------------------------------------------------- ONNX


def _onnx_run(est, X, options=None):
    rt = pytest.importorskip("onnxruntime")
    import sklshallow.onnx  # noqa: F401
    from skl2onnx import to_onnx

    onx = to_onnx(est, X[:1], options=options)
    session = rt.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _scores(est, X):
    last = est[-1] if isinstance(est, Pipeline) else est
    if isinstance(last, PerceptronClassifier) and last.loss != "log":
        d = est.decision_function(X)
        return np.c_[-d, d] if d.ndim == 1 else d
    return est.predict_proba(X)


TOL = {np.float32: dict(atol=1e-5, rtol=0), np.float64: dict(atol=1e-10, rtol=0)}
CLASSIFIERS = [
    MLPClassifierTF(hidden_layer_sizes=(8, 5), activation=a, max_iter=30, random_state=0)
    for a in ("identity", "logistic", "sigmoid", "tanh", "relu", "leaky_relu")
] + [PerceptronClassifier(loss=loss, eta0=0.01, max_iter=20) for loss in ("perceptron", "squared", "log")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", ["binary", "multiclass", "strings", "multilabel"])
@pytest.mark.parametrize("clf", CLASSIFIERS, ids=lambda c: f"{type(c).__name__}-{c.get_params().get('activation', c.get_params().get('loss'))}")
def test_onnx_classifiers_predict_as_the_estimator(clf, target, dtype):
    X, y = {
        "binary": (X_iris, (y_iris == 1).astype(int)),
        "multiclass": (X_iris, y_iris),
        "strings": (X_iris, np.array(["setosa", "versicolor", "virginica"])[y_iris]),
        "multilabel": (X_ml, Y_ml),
    }[target]
    X = X.astype(dtype)
    pipe = _fit(make_pipeline(StandardScaler(), clf), X, y)
    labels, scores = _onnx_run(pipe, X, options={id(clf): {"zipmap": False}})
    np.testing.assert_array_equal(labels, pipe.predict(X))
    tol = dict(TOL[dtype])
    if isinstance(clf, PerceptronClassifier) and clf.loss != "log":  # raw scores, not in [0, 1]
        tol["rtol"] = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(scores, _scores(pipe, X), **tol)


def test_onnx_perceptron_keeps_its_tie_rule():
    # The AND gate ends with samples exactly on the boundary: w.x + b = 0 is positive.
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    clf = PerceptronClassifier(shuffle=False, max_iter=3, tol=None)
    _fit(clf, X, [0, 0, 0, 1])
    clf.coef_[:] = [[1.0, 1.0]]
    clf.intercept_[:] = [-1.0]  # samples 2 and 3 lie on the line
    labels, scores = _onnx_run(clf, X, options={id(clf): {"zipmap": False}})
    np.testing.assert_array_equal(labels, clf.predict(X))
    assert labels.tolist() == [0, 1, 1, 1]
    np.testing.assert_array_equal(scores[:, 1], clf.decision_function(X))


@pytest.mark.parametrize("kind", ["grid", "randomized"])
def test_onnx_of_a_fitted_search_is_its_best_estimator(kind):
    from sklshallow.model_selection import GridSearchCV, RandomizedSearchCV

    X = X_iris.astype(np.float32)
    if kind == "grid":
        search = GridSearchCV(MLPClassifierTF(max_iter=20, random_state=0),
                              {"alpha": [1e-4, 1e-1]}, cv=2)
        Xs = StandardScaler().fit_transform(X).astype(np.float32)
    else:
        pipe = make_pipeline(StandardScaler(), PerceptronClassifier(loss="log", max_iter=10))
        search = RandomizedSearchCV(pipe, {"perceptronclassifier__eta0": [0.01, 0.1, 1.0]},
                                    n_iter=2, cv=2, random_state=0)
        Xs = X
    _fit(search, Xs, y_iris)
    labels, proba = _onnx_run(search, Xs, options={id(search): {"zipmap": False}})
    np.testing.assert_array_equal(labels, search.predict(Xs))
    np.testing.assert_allclose(proba, search.predict_proba(Xs), atol=1e-5)


def test_onnx_classifier_options():
    clf = _fit(MLPClassifierTF(max_iter=30, random_state=0),
               StandardScaler().fit_transform(X_iris), y_iris)
    X = StandardScaler().fit_transform(X_iris).astype(np.float32)
    labels, probabilities = _onnx_run(clf, X)  # zipmap by default, as skl2onnx
    assert probabilities[0].keys() == {0, 1, 2}
    np.testing.assert_allclose([p[1] for p in probabilities], clf.predict_proba(X)[:, 1], atol=1e-5)
    labels, _ = _onnx_run(clf, X, options={id(clf): {"zipmap": False, "nocl": True}})
    np.testing.assert_array_equal(labels, clf.predict(X))  # class indices (here the same)
    names = np.array(["a", "b", "c"])[y_iris]
    clf = _fit(MLPClassifierTF(max_iter=30, random_state=0), X, names)
    out = _onnx_run(clf, X, options={id(clf): {"zipmap": False, "output_class_labels": True}})
    assert out[0].tolist() == clf.predict(X).tolist()
    assert out[-1].tolist() == ["a", "b", "c"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["single", "multi", "poisson"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh"])
def test_onnx_regressors_predict_as_the_estimator(kind, activation, dtype):
    y = {"single": y_diab / 100, "multi": np.c_[y_diab, -y_diab, y_diab ** 2 / 100] / 100,
         "poisson": y_diab / 100}[kind]
    reg = MLPRegressor(hidden_layer_sizes=(10,), activation=activation, max_iter=30,
                       random_state=0, loss="poisson" if kind == "poisson" else "squared_error")
    X = X_diab.astype(dtype)
    pipe = _fit(make_pipeline(StandardScaler(), reg), X, y)
    (out,) = _onnx_run(pipe, X)
    expected = pipe.predict(X).reshape(len(X), -1)
    assert out.shape == expected.shape == (len(X), reg.n_outputs_)
    np.testing.assert_allclose(out, expected, **TOL[dtype])


def test_sklshallow_onnx_without_skl2onnx_names_the_extra():
    code = (
        "import sys\n"
        "sys.modules['skl2onnx'] = None\n"
        "try:\n"
        "    import sklshallow.onnx\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ImportError:" in out.stdout and "sklshallow[onnx]" in out.stdout, out.stderr


# ------------------------------------------------------------------- Keras


@needs_tf
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity", "leaky_relu"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel", "regression",
                                    "multi-regression", "poisson", "perceptron"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_keras_predicts_as_the_estimator(target, activation, dtype):
    X = StandardScaler().fit_transform(X_ml if target == "multilabel" else X_iris).astype(dtype)
    kw = dict(hidden_layer_sizes=(7, 4), activation=activation, max_iter=20, random_state=0)
    est, expected = {
        "binary": (MLPClassifierTF(**kw), lambda e: e.predict_proba(X)[:, 1:]),
        "multiclass": (MLPClassifierTF(**kw), lambda e: e.predict_proba(X)),
        "multilabel": (MLPClassifierTF(**kw), lambda e: e.predict_proba(X)),
        "regression": (MLPRegressor(**kw), lambda e: e.predict(X)[:, None]),
        "multi-regression": (MLPRegressor(**kw), lambda e: e.predict(X)),
        "poisson": (MLPRegressor(loss="poisson", **kw), lambda e: e.predict(X)[:, None]),
        "perceptron": (PerceptronClassifier(max_iter=5), lambda e: e.decision_function(X)),
    }[target]
    y = {"binary": y_iris == 1, "multilabel": Y_ml, "regression": X_iris[:, 0],
         "multi-regression": X_iris[:, :2], "poisson": X_iris[:, 0]}.get(target, y_iris)
    _fit(est, X, y)
    model = est.to_keras()
    assert not model.compiled
    assert model.layers[0].dtype == np.dtype(dtype).name
    if dtype == np.float32:
        got, tol = model.predict(X, verbose=0), dict(atol=1e-5, rtol=1e-6)
    else:  # Keras' predict casts its input to floatx (float32); a call does not
        got, tol = model(X).numpy(), dict(atol=1e-12, rtol=1e-12)
        if activation == "leaky_relu":  # TensorFlow keeps LeakyReLU's slope in float32
            tol = dict(atol=1e-9, rtol=1e-9)
    np.testing.assert_allclose(got, expected(est), **tol)


@needs_tf
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_sigmoid_neuron_to_keras_predicts_its_probabilities(target):
    # The lecture's sigmoid neuron is Dense(activation="sigmoid"): Keras'
    # predict gives the probabilities, not the logits.
    X = StandardScaler().fit_transform(X_ml if target == "multilabel" else X_iris)
    y = {"binary": y_iris == 1, "multilabel": Y_ml}.get(target, y_iris)
    est = _fit(PerceptronClassifier(loss="log", max_iter=5), X, y)
    got, proba = est.to_keras()(X).numpy(), est.predict_proba(X)
    assert ((got >= 0) & (got <= 1)).all()  # probabilities, not logits
    if target == "binary":
        np.testing.assert_allclose(got, proba[:, 1:], rtol=1e-12, atol=1e-12)
    elif target == "multiclass":  # one-vs-rest sigmoids, normalised by predict_proba
        np.testing.assert_allclose(got / got.sum(axis=1, keepdims=True), proba, rtol=1e-12)
    else:
        np.testing.assert_allclose(got, proba, rtol=1e-12, atol=1e-12)


def test_to_keras_without_tensorflow_names_the_extra_in_a_subprocess():
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "sys.modules['tensorflow'] = None\n"
        "from sklearn.datasets import load_iris\n"
        "from sklshallow import MLPClassifierTF\n"
        "est = MLPClassifierTF(max_iter=2).fit(*load_iris(return_X_y=True))\n"
        "try:\n"
        "    est.to_keras()\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ImportError:" in out.stdout and "sklshallow[tf]" in out.stdout, out.stderr
