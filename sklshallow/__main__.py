"""The lecture, end to end: ``python -m sklshallow demo`` (or ``sklshallow``).

1. The threshold logic unit on iris: "setosa or not" from the petals.
2. XOR: a perceptron cannot learn it, an MLP with a few hidden units can.
3. The Keras workflow with an MLP on the digits: load, scale, split, build,
   fit with per-epoch progress, summary, history, evaluate, predict.

Everything is printed; with matplotlib (``pip install 'sklshallow[plot]'``)
the pictures are written as PNG files too, and their paths printed.
"""

import argparse
import threading
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklshallow import HistoryDisplay, MLPClassifierTF, PerceptronClassifier


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


class Pictures:
    """Saves figures into a folder and says where; a no-op without matplotlib."""

    def __init__(self, out):
        self.plt, self.out, self.paths = _pyplot(), Path(out), []

    def __bool__(self):
        return self.plt is not None

    def save(self, fig, name):
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        self.plt.close(fig)
        self.paths.append(path)
        print(f"   picture: {path}")


def _boundary(ax, est, X, y, title, labels):
    from sklearn.inspection import DecisionBoundaryDisplay

    DecisionBoundaryDisplay.from_estimator(
        est, X, response_method="predict", alpha=0.3, ax=ax, xlabel=labels[0], ylabel=labels[1]
    )
    scatter = ax.scatter(X[:, 0], X[:, 1], c=y, edgecolor="k", s=25)
    ax.legend(*scatter.legend_elements(), loc="lower right", title="class")
    ax.set_title(title)


def iris_perceptron(pictures, device):
    print("== 1. The perceptron: a threshold logic unit, y = step(w.x + b) ==")
    iris = load_iris()
    X = StandardScaler().fit_transform(iris.data[:, 2:4])  # petal length, width
    y = (iris.target == 0).astype(int)  # setosa or not
    clf = PerceptronClassifier(random_state=0, device=device).fit(X, y)
    (w0, w1), b = clf.coef_[0], clf.intercept_[0]
    print(f"   learned w = ({w0:.3f}, {w1:.3f}), b = {b:.3f} in {clf.n_iter_} epochs")
    print(f"   decision line: x2 = {-w0 / w1:.3f} x1 + {-b / w1:.3f}")
    print(f"   accuracy on 'setosa or not': {clf.score(X, y):.3f}")
    if pictures:
        fig, ax = pictures.plt.subplots(figsize=(5.5, 4.5))
        _boundary(ax, clf, X, y, "Perceptron: setosa (1) or not (0)",
                  ["petal length (scaled)", "petal width (scaled)"])
        ax.axline((0, -b / w1), slope=-w0 / w1, color="k", label="w.x + b = 0")
        pictures.save(fig, "iris_perceptron.png")


def xor(pictures, device):
    print("\n== 2. XOR: no line separates it; one hidden layer does ==")
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tlu = PerceptronClassifier(max_iter=50, random_state=0, device=device).fit(X, y)
        mlp = MLPClassifierTF(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                              max_iter=500, random_state=0, device=device).fit(X, y)
    print(f"   perceptron accuracy: {tlu.score(X, y):.3f} (a line gets at most ~0.75)")
    print(f"   MLP 2-4-1 (tanh) accuracy: {mlp.score(X, y):.3f}")
    if pictures:
        fig, axes = pictures.plt.subplots(1, 2, figsize=(10, 4.5))
        _boundary(axes[0], tlu, X, y, f"Perceptron: accuracy {tlu.score(X, y):.2f}", ["x1", "x2"])
        _boundary(axes[1], mlp, X, y, f"MLP 2-4-1: accuracy {mlp.score(X, y):.2f}", ["x1", "x2"])
        pictures.save(fig, "xor.png")


def digits_mlp(pictures, device, epochs):
    print("\n== 3. An MLP on the digits, the Keras workflow ==")
    print("1. Load: scikit-learn's 8x8 handwritten digits")
    digits = load_digits()
    X, y = digits.data, digits.target
    print(f"   {X.shape[0]} images of {X.shape[1]} pixels, classes {np.unique(y)}")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print("2. Preprocess: StandardScaler fitted on the training set")
    scaler = StandardScaler().fit(X_train)
    X_train_s, X_test_s = scaler.transform(X_train), scaler.transform(X_test)

    print(f"3. Build and fit: MLP 64-100-50-10, relu, adam, device={device!r}")
    model = MLPClassifierTF(
        hidden_layer_sizes=(100, 50), max_iter=epochs, early_stopping=True,
        n_iter_no_change=epochs, random_state=0, verbose=1, device=device,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs is the lecture's choice, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train_s, y_train)
    print("\n4. Summary")
    print(model.summary())
    best = int(np.argmax(model.history_["val_score"]))
    print(f"   kept the weights of epoch {best + 1} "
          f"(validation accuracy {model.best_validation_score_:.4f})")
    accuracy = model.score(X_test_s, y_test)
    print(f"\n5. Evaluate: test accuracy = {accuracy:.4f}")
    proba = model.predict_proba(X_test_s[:1])[0]
    predicted = model.predict(X_test_s[:1])[0]
    print(f"6. Predict one test image: class {predicted} (p = {proba.max():.3f}), "
          f"true class {y_test[0]}")
    if pictures:
        fig, ax = pictures.plt.subplots(figsize=(6, 4))
        HistoryDisplay.from_estimator(model, ax=ax, name="MLP on the digits: history")
        pictures.save(fig, "digits_history.png")
        fig, (left, right) = pictures.plt.subplots(1, 2, figsize=(8, 3.5))
        left.imshow(X_test[0].reshape(8, 8), cmap="gray_r")
        left.set_title(f"test image (true class {y_test[0]})")
        left.axis("off")
        right.bar(model.classes_, proba)
        right.set_xticks(model.classes_)
        right.set_xlabel("class")
        right.set_ylabel("probability")
        right.set_title(f"predicted: {predicted}")
        pictures.save(fig, "digits_prediction.png")
    return accuracy


def demo(device="cpu", out="sklshallow-demo", epochs=30):
    """Run the lecture's three parts; return the digits test accuracy."""
    pictures = Pictures(out)
    iris_perceptron(pictures, device)
    xor(pictures, device)
    accuracy = digits_mlp(pictures, device, epochs)
    if pictures:
        print(f"\n{len(pictures.paths)} pictures written to {pictures.out.resolve()}")
    else:
        print("\nNo pictures: matplotlib is not installed. "
              "Get them with: pip install 'sklshallow[plot]'")
    return accuracy


def playground(host="127.0.0.1", port=8050, open_browser=True, device="cpu"):
    """Serve the playground until Ctrl-C."""
    try:
        from ._playground_app import create_app
    except ImportError as exc:
        raise SystemExit(
            f"The playground needs Flask ({exc}). Install the 'playground' extra: "
            "pip install 'sklshallow[playground]'"
        ) from None
    from ._backends import resolve_device

    try:  # refuse to start rather than fail on every step
        resolve_device(device)
    except (ValueError, ImportError, RuntimeError) as exc:
        print(f"sklshallow playground: --device {device} cannot train: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app = create_app(device=device)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Serving on {host}: other machines can reach this playground.")
    print(f"sklshallow playground on {url} (device {device}); Ctrl-C stops it.", flush=True)
    if open_browser:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        app.run(host=host, port=port, threaded=True)
    except KeyboardInterrupt:
        pass
    print("Playground stopped.")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="sklshallow", description="Shallow neural networks for scikit-learn: "
        "the lecture's perceptron, XOR and MLP, end to end (demo), or the playground."
    )
    parser.add_argument("command", nargs="?", default="demo", choices=["demo", "playground"])
    parser.add_argument("--device", default="cpu",
                        help="cpu (NumPy), gpu, auto or a TensorFlow device such as /CPU:0")
    parser.add_argument("--out", default="sklshallow-demo", help="demo: folder for the pictures")
    parser.add_argument("--epochs", type=int, default=30, help="demo: epochs of the digits MLP")
    parser.add_argument("--host", default="127.0.0.1",
                        help="playground: address to serve on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8050, help="playground: port")
    parser.add_argument("--no-browser", action="store_true",
                        help="playground: do not open a browser")
    args = parser.parse_args(argv)
    if args.command == "playground":
        playground(args.host, args.port, not args.no_browser, args.device)
    else:
        demo(device=args.device, out=args.out, epochs=args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
