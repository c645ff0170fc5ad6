"""An MLP on the digits in a pipeline, with its training history."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklshallow import HistoryDisplay, MLPClassifierTF  # noqa: E402

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    StandardScaler(),
    MLPClassifierTF(hidden_layer_sizes=(100,), early_stopping=True, random_state=0),
)
model.fit(X_train, y_train)
mlp = model[-1]
print(mlp.summary())
print(pd.DataFrame(mlp.history_).tail())
print(f"test accuracy: {model.score(X_test, y_test):.4f}")
HistoryDisplay.from_estimator(mlp)
plt.savefig("digits_history.png")
assert model.score(X_test, y_test) > 0.9
