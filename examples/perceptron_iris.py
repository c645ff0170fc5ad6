"""The lecture's first network: a threshold logic unit separating setosa."""

from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklshallow import PerceptronClassifier

iris = load_iris()
X = StandardScaler().fit_transform(iris.data[:, 2:4])  # petal length and width
y = (iris.target == 0).astype(int)  # setosa or not

clf = PerceptronClassifier(random_state=0).fit(X, y)
(w0, w1), b = clf.coef_[0], clf.intercept_[0]
print(f"w = ({w0:.3f}, {w1:.3f}), b = {b:.3f}, epochs = {clf.n_iter_}")
print(f"decision line: x2 = {-w0 / w1:.3f} x1 + {-b / w1:.3f}")
print(f"accuracy: {clf.score(X, y):.3f}")
assert clf.score(X, y) == 1.0
