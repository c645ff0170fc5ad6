"""The TensorFlow backend trains the same model as the NumPy backend."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier

from .conftest import needs_tf

pytestmark = needs_tf

X_digits, y_digits = load_digits(return_X_y=True)
X_digits, y_digits = X_digits[:240] / 16, y_digits[:240]
X_diab, y_diab = load_diabetes(return_X_y=True)
X_diab, y_diab = X_diab[:150], y_diab[:150] / 100
X_ml, Y_ml = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
X_ml = X_ml / X_ml.max()


def _both(Estimator, X, y, dtype, **params):
    X = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu = Estimator(**params).fit(X, y)
        tf = Estimator(device="/CPU:0", **params).fit(X, y)
    return cpu, tf, X


def _assert_close(a, b, dtype, float32_tol=1e-3):
    for p, q in zip(a, b):
        assert p.dtype == q.dtype == dtype
        if dtype == np.float64:
            np.testing.assert_allclose(q, p, rtol=1e-6, atol=1e-12)
        else:
            assert np.linalg.norm(q - p) / max(np.linalg.norm(p), 1e-30) < float32_tol


SOLVERS = [
    dict(solver="adam"),
    dict(solver="sgd", learning_rate="constant"),
    dict(solver="sgd", learning_rate="invscaling", nesterovs_momentum=False),
    dict(solver="sgd", learning_rate="adaptive", tol=0.5, n_iter_no_change=1),
    dict(solver="lbfgs"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", SOLVERS)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "leaky_relu", "identity"])
def test_classifier_parity(dtype, config, activation):
    cpu, tf, X = _both(MLPClassifierTF, X_digits, y_digits, dtype, hidden_layer_sizes=(12,),
                       activation=activation, max_iter=5, batch_size=50, random_state=0,
                       **config)
    assert cpu.n_iter_ == tf.n_iter_
    _assert_close(cpu.coefs_ + cpu.intercepts_, tf.coefs_ + tf.intercepts_, dtype)
    np.testing.assert_array_equal(cpu.predict(X), tf.predict(X))
    if config["solver"] == "lbfgs":
        assert cpu.loss_ == pytest.approx(tf.loss_, rel=1e-6)
    else:
        np.testing.assert_allclose(cpu.loss_curve_, tf.loss_curve_,
                                   rtol=1e-4 if dtype == np.float32 else 1e-9)
        _assert_close(cpu._optimizer.state, tf._optimizer.state, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", SOLVERS)
def test_regressor_multilabel_and_binary_parity(dtype, config):
    Y = np.c_[y_diab, y_diab**2]
    cpu, tf, _ = _both(MLPRegressor, X_diab, Y, dtype, hidden_layer_sizes=(8,), max_iter=5,
                       batch_size=32, random_state=0, **config)
    _assert_close(cpu.coefs_ + cpu.intercepts_, tf.coefs_ + tf.intercepts_, dtype)
    for target in (Y_ml, np.array(["even", "odd"])[y_digits[:120] % 2]):  # multilabel, binary
        cpu, tf, X = _both(MLPClassifierTF, X_ml, target, dtype, hidden_layer_sizes=(8,),
                           max_iter=5, batch_size=32, random_state=0, **config)
        _assert_close(cpu.coefs_ + cpu.intercepts_, tf.coefs_ + tf.intercepts_, dtype)
        np.testing.assert_array_equal(cpu.predict(X), tf.predict(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_regression_parity(dtype, solver):
    y = np.random.RandomState(0).poisson(3.0, size=len(X_diab))
    cpu, tf, X = _both(MLPRegressor, X_diab, y, dtype, loss="poisson", hidden_layer_sizes=(6,),
                       max_iter=5, random_state=0, solver=solver)
    _assert_close(cpu.coefs_ + cpu.intercepts_, tf.coefs_ + tf.intercepts_, dtype)


def test_early_stopping_stops_at_the_same_epoch_with_sample_weight():
    sw = np.random.RandomState(0).uniform(0.5, 2, len(X_digits))
    params = dict(hidden_layer_sizes=(10,), early_stopping=True, n_iter_no_change=2,
                  learning_rate_init=0.02, max_iter=60, random_state=0)
    cpu = MLPClassifierTF(**params).fit(X_digits, y_digits, sample_weight=sw)
    tf = MLPClassifierTF(device="/CPU:0", **params).fit(X_digits, y_digits, sample_weight=sw)
    assert cpu.n_iter_ == tf.n_iter_ < 60
    assert cpu.validation_scores_ == tf.validation_scores_
    np.testing.assert_allclose(cpu.history_["val_loss"], tf.history_["val_loss"], rtol=1e-9)
    _assert_close(cpu.coefs_, tf.coefs_, np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["perceptron", "squared", "log"])
@pytest.mark.parametrize("batch_size", [1, 16])
def test_perceptron_parity(dtype, loss, batch_size):
    cpu, tf, X = _both(PerceptronClassifier, X_digits, y_digits, dtype, loss=loss, eta0=0.1,
                       max_iter=5, batch_size=batch_size, random_state=0)
    _assert_close([cpu.coef_, cpu.intercept_], [tf.coef_, tf.intercept_], dtype)
    np.testing.assert_array_equal(cpu.predict(X), tf.predict(X))


def test_partial_fit_keeps_optimizer_state_across_calls():
    a = MLPClassifierTF(hidden_layer_sizes=(10,), random_state=0)
    b = MLPClassifierTF(hidden_layer_sizes=(10,), random_state=0, device="/CPU:0")
    for _ in range(3):
        a.partial_fit(X_digits, y_digits, classes=np.arange(10))
        b.partial_fit(X_digits, y_digits, classes=np.arange(10))
    assert a._optimizer.t == b._optimizer.t
    _assert_close(a.coefs_, b.coefs_, np.float64)


def test_tensorflow_loss_and_gradient_equal_the_numpy_core():
    from sklshallow import _network
    from sklshallow._backends import Net
    from sklshallow._backends._tensorflow import TensorFlowBackend

    from . import reference

    rng = np.random.RandomState(0)
    X = rng.normal(size=(9, 4))
    for out in ["softmax", "logistic", "identity", "exp", "step"]:
        Y = np.eye(3)[rng.randint(3, size=9)] * (3 if out == "exp" else 1)
        sw = rng.uniform(0.5, 2, size=9)
        coefs, intercepts = _network.init_params([4, 5, 3], "tanh", rng, np.float64)
        net = Net("tanh", out, 0.3, out != "step", True)
        backend = TensorFlowBackend(net, coefs, intercepts, "/CPU:0")
        backend.set_data(X, Y, sw)
        loss, cg, ig = backend.loss_and_grads()
        ref = reference.loss_and_grads(coefs, intercepts, X, Y, "tanh", out, 0.3, sw, out != "step")
        assert loss == pytest.approx(ref[0], rel=1e-12)
        for g, r in zip(cg + ig, ref[1] + ref[2]):
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ devices


def test_device_errors():
    with pytest.raises(RuntimeError, match="'/GPU:7' is not available.*CPU:0"):
        MLPClassifierTF(device="/GPU:7", max_iter=1).fit(X_digits, y_digits)
    with pytest.raises(RuntimeError, match="'/CPU:5' is not available"):
        PerceptronClassifier(device="/CPU:5", max_iter=1).fit(X_digits, y_digits)
    with pytest.raises(ValueError, match="device must be"):
        MLPClassifierTF(device="cuda", max_iter=1).fit(X_digits, y_digits)
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        with pytest.raises(RuntimeError, match="sees no GPU.*CPU:0"):
            MLPClassifierTF(device="gpu", max_iter=1).fit(X_digits, y_digits)
        # "auto" without a GPU trains with NumPy: the very same model.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            auto = MLPClassifierTF(device="auto", max_iter=2, random_state=0).fit(X_digits, y_digits)
            cpu = MLPClassifierTF(max_iter=2, random_state=0).fit(X_digits, y_digits)
        np.testing.assert_array_equal(auto.coefs_[0], cpu.coefs_[0])


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_model_trained_on_tensorflow_predicts_without_tensorflow(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifierTF(max_iter=3, device="/CPU:0", random_state=0).fit(X_digits, y_digits)
    import pickle

    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X_digits)
    expected = clf.predict_proba(X_digits)
    np.save(tmp_path / "expected.npy", expected)
    result = _run(
        "import sys, pickle, numpy as np\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
        "            raise ImportError('tensorflow is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"clf = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"P = clf.predict_proba(np.load({str(tmp_path / 'X.npy')!r}))\n"
        f"np.testing.assert_array_equal(P, np.load({str(tmp_path / 'expected.npy')!r}))\n"
        "assert 'tensorflow' not in sys.modules\n"
        "print('ok')\n"
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_a_second_logical_device_trains_the_same_model():
    # Split the CPU into two logical devices (as a machine with two GPUs
    # would show two), train on the second, compare with NumPy.
    result = _run(
        "import warnings; warnings.simplefilter('ignore')\n"
        "import numpy as np, tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(\n"
        "    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        "from sklearn.datasets import load_iris\n"
        "from sklshallow import MLPClassifierTF\n"
        "X, y = load_iris(return_X_y=True)\n"
        "kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)\n"
        "a = MLPClassifierTF(device='/CPU:1', **kw).fit(X, y)\n"
        "b = MLPClassifierTF(**kw).fit(X, y)\n"
        "np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-6)\n"
        "try:\n"
        "    MLPClassifierTF(device='/CPU:2', **kw).fit(X, y)\n"
        "except RuntimeError as exc:\n"
        "    assert 'CPU:1' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('/CPU:2 does not exist and was accepted')\n"
        "print('ok')\n"
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_partial_fit_calls_reuse_one_compiled_epoch_program():
    from sklshallow._backends import _tensorflow

    def traces():
        return sum(p.experimental_get_tracing_count() for p in _tensorflow._PROGRAMS.values())

    clf = MLPClassifierTF(hidden_layer_sizes=(7,), random_state=0, device="/CPU:0")
    clf.partial_fit(X_digits, y_digits, classes=np.arange(10))
    before = traces()
    for _ in range(3):  # new backends, new variables: the same program
        clf.partial_fit(X_digits, y_digits)
    assert traces() == before and clf._optimizer.t == 4 * 2  # 4 epochs of 2 batches


def test_data_that_does_not_fit_the_device_gives_a_clear_memory_error(monkeypatch):
    import tensorflow as tf

    from sklshallow._backends import _tensorflow

    def out_of_memory(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(_tensorflow.tf, "constant", out_of_memory)
    clf = MLPClassifierTF(max_iter=2, device="/CPU:0")
    with pytest.raises(MemoryError, match="does not fit in the memory of /CPU:0"):
        clf.fit(X_digits, y_digits)
    assert not hasattr(clf, "coefs_")
