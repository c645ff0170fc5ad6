"""Where a W1 step goes: the step, its products alone, and its update.

Times, per mini-batch step of W1's network (784-300-100-10, ReLU, Adam):
the whole step in a real fit (the compiled epoch), the eight matrix products
of a step alone (the same BLAS, ``scipy.linalg.blas``, the same shapes), and
the step with the cheapest update (SGD without momentum) to show what Adam's
pass costs. ``python benchmarks/step_parts.py`` prints a Markdown table.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.linalg import blas

sys.path.insert(0, str(Path(__file__).parent))
from run import mlp_params, w1_data  # noqa: E402

from sklshallow import MLPClassifierTF  # noqa: E402

UNITS = (784, 300, 100, 10)


def products_per_step(dtype, batch, repeats=200):
    """Seconds for a step's eight products: 3 forward, 3 weight gradients and
    2 backward through the hidden layers."""
    gemm = blas.sgemm if dtype == np.float32 else blas.dgemm
    rng = np.random.RandomState(0)
    acts = [rng.normal(size=(batch, u)).astype(dtype) for u in UNITS]
    weights = [rng.normal(size=(a, b)).astype(dtype) for a, b in zip(UNITS[:-1], UNITS[1:])]
    # Row-major products as BLAS (column-major) sees them, on transposed
    # views, so that no argument is copied: C = A B is C^T = B^T A^T.
    calls = []
    for i, W in enumerate(weights):
        A, D = acts[i], acts[i + 1]
        calls.append(lambda A=A, W=W: gemm(1.0, W.T, A.T))                # A W
        calls.append(lambda A=A, D=D: gemm(1.0, D.T, A.T, trans_b=True))  # A^T D
        if i:
            calls.append(lambda W=W, D=D: gemm(1.0, W.T, D.T, trans_a=True))  # D W^T
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for call in calls:
            call()
        best = min(best, time.perf_counter() - start)
    return best


def step_time(X, y, batch, **params):
    steps = 2 * len(X) // batch
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        MLPClassifierTF(**{**mlp_params(batch, 2), **params}).fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best / steps


def main():
    warnings.simplefilter("ignore")
    print("| step (batch) | whole step | products alone | share | SGD step (no momentum) |")
    print("|---|---|---|---|---|")
    for dtype in (np.float32, np.float64):
        X, y, _, _ = w1_data(10000, dtype)
        for batch in (32, 256):
            whole = step_time(X, y, batch)
            sgd = step_time(X, y, batch, solver="sgd", momentum=0.0)
            gemms = products_per_step(dtype, batch)
            print(f"| {np.dtype(dtype).name} ({batch}) | {whole * 1e3:.2f} ms | "
                  f"{gemms * 1e3:.2f} ms | {gemms / whole:.0%} | {sgd * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
