"""Ctrl-C during fit leaves the last complete epoch (or L-BFGS iteration),
with sklearn's warning: checked with real SIGINTs, in this process (raised
from inside an epoch) and sent to a training subprocess."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier
from sklshallow._backends import _numpy

from .conftest import DEVICES

X, y = load_digits(return_X_y=True)
X, y = X[:300] / 16, y[:300]

CONFIGS = [
    (MLPClassifierTF, dict(solver="adam")),
    (MLPClassifierTF, dict(solver="sgd", learning_rate="invscaling")),
    (MLPClassifierTF, dict(solver="adam", early_stopping=True, tol=0)),
    (MLPRegressor, dict(solver="sgd", learning_rate_init=1e-3)),
    (PerceptronClassifier, dict()),
    (PerceptronClassifier, dict(loss="log", batch_size=16, penalty="l1")),
]


def _params(Estimator, config, device, max_iter):
    params = dict(max_iter=max_iter, random_state=0, device=device, **config)
    if Estimator is not PerceptronClassifier:
        params.update(hidden_layer_sizes=(10,))
    return params


def _same_weights(a, b):
    pa = a.coef_ if hasattr(a, "coef_") else np.concatenate([c.ravel() for c in a.coefs_])
    pb = b.coef_ if hasattr(b, "coef_") else np.concatenate([c.ravel() for c in b.coefs_])
    return np.array_equal(pa, pb)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("Estimator, config", CONFIGS)
def test_sigint_in_an_epoch_keeps_the_last_complete_one(Estimator, config, device, monkeypatch):
    interrupted_epoch = 3
    Backend = _numpy.NumpyBackend
    if device != "cpu":
        from sklshallow._backends._tensorflow import TensorFlowBackend as Backend
    run_epoch, calls = Backend.run_epoch, []

    def run_epoch_with_ctrl_c(self, *args):
        calls.append(1)
        if len(calls) == interrupted_epoch:  # Ctrl-C in the middle of epoch 3
            signal.raise_signal(signal.SIGINT)
        return run_epoch(self, *args)

    monkeypatch.setattr(Backend, "run_epoch", run_epoch_with_ctrl_c)
    target = y if Estimator is not MLPRegressor else y / 10.0
    est = Estimator(**_params(Estimator, config, device, max_iter=50))
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        est.fit(X, target)
    monkeypatch.setattr(Backend, "run_epoch", run_epoch)

    # The epoch under way when Ctrl-C came is completed, then training ends.
    assert est.n_iter_ == interrupted_epoch
    assert len(est.loss_curve_) == len(est.history_["loss"]) == interrupted_epoch
    if config.get("early_stopping"):
        assert len(est.validation_scores_) == interrupted_epoch
    # Those are the weights of a fit that ran exactly that many epochs
    # (the best epoch's with early stopping).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = Estimator(**_params(Estimator, config, device, max_iter=interrupted_epoch))
        ref.fit(X, target)
    assert _same_weights(est, ref)
    assert est.loss_curve_ == ref.loss_curve_
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))
    # ... and the estimator goes on: a warm refit and a partial_fit work.
    est.set_params(warm_start=True, max_iter=2, early_stopping=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, target)
    est.partial_fit(X, target)
    assert np.isfinite(est.loss_)


def test_sigint_during_lbfgs_keeps_the_last_complete_iteration(monkeypatch):
    calls, real = [], _numpy.NumpyBackend.loss_and_grads

    def loss_and_grads_with_ctrl_c(self):
        calls.append(1)
        if len(calls) == 8:
            signal.raise_signal(signal.SIGINT)
        return real(self)

    monkeypatch.setattr(_numpy.NumpyBackend, "loss_and_grads", loss_and_grads_with_ctrl_c)
    est = MLPClassifierTF(solver="lbfgs", hidden_layer_sizes=(10,), max_iter=200, random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        est.fit(X, y)
    monkeypatch.setattr(_numpy.NumpyBackend, "loss_and_grads", real)
    assert 1 <= est.n_iter_ < 8
    assert len(est.history_["loss"]) == est.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifierTF(solver="lbfgs", hidden_layer_sizes=(10,), max_iter=est.n_iter_,
                              random_state=0).fit(X, y)
    assert _same_weights(est, ref)
    assert est.loss_ == ref.loss_


def test_without_the_default_handler_ctrl_c_is_not_swallowed(monkeypatch):
    """A user's own SIGINT handler is left in charge; a KeyboardInterrupt
    that escapes a first fit leaves nothing half-fitted."""
    Backend = _numpy.NumpyBackend
    real = Backend.run_epoch

    def raising(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(Backend, "run_epoch", raising)
    est = MLPClassifierTF(hidden_layer_sizes=(5,))
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    monkeypatch.setattr(Backend, "run_epoch", real)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


CHILD = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklshallow import MLPClassifierTF, PerceptronClassifier
    X, y = load_digits(return_X_y=True)
    X = X / 16
    Estimator = {"mlp": MLPClassifierTF, "perceptron": PerceptronClassifier}[sys.argv[1]]
    params = json.loads(sys.argv[2])
    est = Estimator(verbose=1, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    print("RESULT", json.dumps({
        "warnings": [str(w.message) for w in caught],
        "n_iter": est.n_iter_,
        "n_history": len(est.history_["loss"]),
        "n_curve": len(getattr(est, "loss_curve_", est.history_["loss"])),
        "accuracy": float(est.score(X, y)),
    }), flush=True)
    params["max_iter"] = est.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = Estimator(**params).fit(X, y)
    weights = lambda e: np.concatenate(
        [a.ravel() for a in getattr(e, "coefs_", None) or [e.coef_]])
    print("SAME", bool(np.array_equal(weights(est), weights(ref))), flush=True)
""")


SGD = dict(hidden_layer_sizes=(64,), max_iter=100000, tol=0.0, n_iter_no_change=100000,
           solver="sgd", learning_rate_init=0.05, random_state=0)
LBFGS = dict(hidden_layer_sizes=(64,), max_iter=100000, solver="lbfgs", tol=0.0,
             max_fun=10**7, random_state=0)
PERCEPTRON = dict(max_iter=100000, tol=None)


# lbfgs runs the same SciPy loop on every device: once is enough.
@pytest.mark.parametrize("kind, params, device", [
    ("mlp", SGD, device) for device in DEVICES] + [("mlp", LBFGS, "cpu")] + [
    ("perceptron", PERCEPTRON, device) for device in DEVICES])
def test_real_ctrl_c_sent_to_a_training_process(kind, params, device):
    params = dict(params, device=device)
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", CHILD, kind, json.dumps(params)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        for line in proc.stdout:
            if line.startswith("Iteration 5"):
                os.kill(proc.pid, signal.SIGINT)
                break
        out = proc.stdout.read()
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
    result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    assert "Training interrupted by user." in result["warnings"]
    assert 5 <= result["n_iter"] < 1000
    assert result["n_history"] == result["n_curve"] == result["n_iter"]
    assert result["accuracy"] > 0.5
    assert "SAME True" in out

