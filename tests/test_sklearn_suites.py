"""scikit-learn's own tests of MLPClassifier, MLPRegressor and Perceptron,
from the installed scikit-learn, run against sklshallow's estimators (the
imports swapped): a second opinion that we do not write ourselves.

What fails, and why, is listed below; anything else that fails is a bug.
"""

import re
import subprocess
import sys
from pathlib import Path

import sklearn

SKLEARN = Path(sklearn.__file__).parent

SUITES = {
    "neural_network/tests/test_mlp.py": (
        "from sklearn.neural_network import MLPClassifier, MLPRegressor",
        "from sklshallow import MLPClassifierTF as MLPClassifier, MLPRegressor",
    ),
    "linear_model/tests/test_perceptron.py": (
        "from sklearn.linear_model import Perceptron",
        "from sklshallow import PerceptronClassifier as Perceptron",
    ),
}

# Tests that fail by design, with the reason (the closing note's table).
KNOWN_FAILURES = {
    # Calls sklearn's private _loss_grad_lbfgs; tests/test_network.py checks
    # our gradients against finite differences instead.
    "test_gradient",
    # Expects sklearn's wording "Solver produced non-finite parameter
    # weights"; ours is a ValueError that names the epoch and the remedy.
    "test_nonfinite_params",
    # Fits a classifier on a single class; sklshallow refuses it with a
    # clear ValueError rather than train a network that predicts a constant.
    "test_preserve_feature_names[MLPClassifierTF]",
}

MUST_PASS = {"test_mlp_diverging_loss", "test_perceptron_l1_ratio"}

CONFTEST = '''
import pytest


@pytest.fixture
def global_random_seed():
    return 42
'''


def test_sklearns_own_tests_pass_against_sklshallow(tmp_path):
    for suite, (theirs, ours) in SUITES.items():
        source = (SKLEARN / suite).read_text()
        assert theirs in source, f"{suite} no longer imports as expected"
        (tmp_path / f"test_sk_{Path(suite).stem}.py").write_text(source.replace(theirs, ours))
    # sklearn's conftest provides global_random_seed; its default is 42.
    (tmp_path / "conftest.py").write_text(CONFTEST)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         "-W", "ignore::sklearn.exceptions.ConvergenceWarning", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=900,
    )
    outcomes = dict(
        (name, status)
        for status, name in re.findall(r"^(PASSED|FAILED|ERROR) \S+::(\S+)", run.stdout, re.M)
    )
    assert len(outcomes) > 40, run.stdout[-3000:]
    failed = {name for name, status in outcomes.items() if status != "PASSED"}
    assert failed <= KNOWN_FAILURES, run.stdout[-5000:]
    for name in MUST_PASS:
        assert outcomes.get(name) == "PASSED", name
