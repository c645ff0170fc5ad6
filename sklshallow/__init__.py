"""Shallow neural networks for scikit-learn, trained with NumPy or TensorFlow.

The perceptron and the multilayer perceptron as scikit-learn estimators. The
``device`` parameter picks NumPy (``"cpu"``) or TensorFlow (``"gpu"``,
``"auto"``, ``"/CPU:0"``...) to train; it changes the speed, not the model.
TensorFlow is imported only when a TensorFlow device is used.
"""

from ._mlp import MLPClassifierTF, MLPRegressor
from ._display import HistoryDisplay
from ._perceptron import PerceptronClassifier
from ._stacking import stacked  # registers joblib's "sklshallow" backend
from . import model_selection  # noqa: E402 (sklshallow.model_selection.GridSearchCV)

__version__ = "0.1.0"

__all__ = [
    "HistoryDisplay",
    "MLPClassifierTF",
    "MLPRegressor",
    "PerceptronClassifier",
    "stacked",
    "__version__",
]
