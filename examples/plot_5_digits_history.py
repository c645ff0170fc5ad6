"""
An MLP on the digits, with its history and a prediction
=======================================================

The lecture's Keras workflow with an sklshallow estimator: scale the data in a
pipeline, build and fit an MLP with early stopping, print its ``summary()``,
plot its per-epoch ``history_``, evaluate it on held-out digits and predict
one of them.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import HistoryDisplay, MLPClassifierTF

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
assert model.score(X_test, y_test) > 0.9

# %%
# The training history, as Keras' ``history.history``
HistoryDisplay.from_estimator(mlp)
plt.show()

# %%
# One test digit and the network's probabilities
proba = model.predict_proba(X_test[:1])[0]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].imshow(X_test[0].reshape(8, 8), cmap="gray_r")
axes[0].set(title=f"true {y_test[0]}, predicted {model.predict(X_test[:1])[0]}")
axes[0].axis("off")
axes[1].bar(range(10), proba)
axes[1].set(xticks=range(10), xlabel="digit", ylabel="probability", title="predict_proba")
plt.tight_layout()
plt.show()
