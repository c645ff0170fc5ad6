"""XOR: a single layer of threshold units fails, one hidden layer succeeds."""

import numpy as np

from sklshallow import MLPClassifierTF, PerceptronClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 25, dtype=float)
y = np.array([0, 1, 1, 0] * 25)

perceptron = PerceptronClassifier(max_iter=50, tol=None, random_state=0).fit(X, y)
mlp = MLPClassifierTF(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                      random_state=0).fit(X, y)
print(f"perceptron accuracy: {perceptron.score(X, y):.2f}")
print(f"MLP 2-4-1 accuracy: {mlp.score(X, y):.2f}")
assert perceptron.score(X, y) <= 0.75 and mlp.score(X, y) == 1.0
