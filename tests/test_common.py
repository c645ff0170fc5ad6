"""scikit-learn's estimator checks, for every estimator on every backend."""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sklshallow import MLPClassifierTF, MLPRegressor, PerceptronClassifier

from .conftest import DEVICES

# sklearn's own expected failures for its Perceptron, and nothing more: an online
# rule is not the same as repeating samples (sklearn's meta-issue #16298).
PERCEPTRON_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "sample_weight is not equivalent to removing/repeating samples."
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "sample_weight is not equivalent to removing/repeating samples."
    ),
}


def _instances():
    for device in DEVICES:
        # Small max_iter as in sklearn's own test suite, to keep CI fast.
        yield MLPClassifierTF(max_iter=100, device=device)
        yield MLPRegressor(max_iter=100, device=device)
        yield PerceptronClassifier(max_iter=5, device=device)


def _expected_failed_checks(estimator):
    if isinstance(estimator, PerceptronClassifier):
        return PERCEPTRON_XFAIL
    return {}


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("Estimator", [MLPClassifierTF, MLPRegressor, PerceptronClassifier])
def test_param_validation(Estimator):
    check_param_validation(Estimator.__name__, Estimator())
