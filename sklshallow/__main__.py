"""The lecture's Keras workflow with sklshallow: ``python -m sklshallow``.

Load the digits, standardise, split, build an MLP, fit it with per-epoch
progress, show the layer table, evaluate, and predict one sample.
"""

import argparse
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def demo(device="cpu", epochs=30):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sklshallow import MLPClassifierTF

    print("1. Load: scikit-learn's 8x8 handwritten digits")
    X, y = load_digits(return_X_y=True)
    print(f"   {X.shape[0]} images of {X.shape[1]} pixels, classes {np.unique(y)}")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print("2. Preprocess: StandardScaler fitted on the training set")
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    print(f"3. Build and fit: MLP 64-100-50-10, relu, adam, on device={device!r}")
    model = MLPClassifierTF(
        hidden_layer_sizes=(100, 50),
        max_iter=epochs,
        early_stopping=True,
        n_iter_no_change=epochs,
        random_state=0,
        verbose=1,
        device=device,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs is the lecture's choice, not a problem.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    print("\n4. Summary")
    print(model.summary())
    best = int(np.argmax(model.history_["val_score"]))
    print(
        f"   kept the weights of epoch {best + 1} "
        f"(validation accuracy {model.best_validation_score_:.4f})"
    )
    accuracy = model.score(X_test, y_test)
    print(f"\n5. Evaluate: test accuracy = {accuracy:.4f}")
    proba = model.predict_proba(X_test[:1])[0]
    print(
        f"6. Predict one test image: class {model.predict(X_test[:1])[0]} "
        f"(p = {proba.max():.3f}), true class {y_test[0]}"
    )
    return accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="sklshallow", description="Shallow neural networks for scikit-learn."
    )
    parser.add_argument("command", nargs="?", default="demo", choices=["demo"])
    parser.add_argument("--device", default="cpu", help="cpu, gpu, auto or /CPU:0 ...")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    demo(device=args.device, epochs=args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
