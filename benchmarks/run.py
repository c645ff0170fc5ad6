"""Speed and memory of sklshallow against its references (BENCHMARKS.md).

Every figure is a ratio against a reference measured in the same run, the two
timed in turn (A, B, A, B, ...), median of the repeats. Run:

    python benchmarks/run.py            # the full workloads, ~10 minutes
    python benchmarks/run.py --quick    # small data, one repeat: a smoke run

It prints a table, writes ``benchmarks/results/<date>-<host>.json`` and, for a
full run, rewrites the table in ``benchmarks/README.md``.
"""

import argparse
import datetime
import importlib.util
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier
from sklearn.neural_network import MLPClassifier

from sklshallow import MLPClassifierTF, PerceptronClassifier

HERE = Path(__file__).resolve().parent
HAS_TF = importlib.util.find_spec("tensorflow") is not None
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6-W10", "Memory")
W1_FLOP_PER_SAMPLE = 6 * (784 * 300 + 300 * 100 + 100 * 10)
warnings.simplefilter("ignore", ConvergenceWarning)


def w1_data(n_samples, dtype):
    X, y = make_classification(
        n_samples=n_samples, n_features=784, n_informative=60, n_redundant=100,
        n_classes=10, n_clusters_per_class=2, class_sep=1.5, random_state=0,
    )
    X = X.astype(dtype)
    cut = int(0.8 * n_samples)
    return X[:cut], y[:cut], X[cut:], y[cut:]


def mlp_params(batch_size, epochs, hidden=(300, 100)):
    return dict(hidden_layer_sizes=hidden, activation="relu", solver="adam",
                batch_size=batch_size, max_iter=epochs, tol=0, n_iter_no_change=10**6,
                random_state=0)


def timed(fit):
    start = time.perf_counter()
    model = fit()
    return time.perf_counter() - start, model


def interleaved(runs, repeats):
    """Time each runner in turn, ``repeats`` rounds; median seconds per runner
    and the model of the last round."""
    times, models = {name: [] for name in runs}, {}
    for _ in range(repeats):
        for name, run in runs.items():
            seconds, models[name] = run()
            times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}, models


def keras_fit(X, y, batch_size, epochs):
    import keras

    model = keras.Sequential([
        keras.Input((X.shape[1],), dtype=str(X.dtype)),
        keras.layers.Dense(300, activation="relu", dtype=str(X.dtype)),
        keras.layers.Dense(100, activation="relu", dtype=str(X.dtype)),
        keras.layers.Dense(10, activation="softmax", dtype=str(X.dtype)),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(X, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[Timer()])
    return times


def steady_epoch(times):
    """Seconds per epoch past the first (which traces and compiles)."""
    return statistics.median(times[1:]) if len(times) > 1 else times[0]


def gemm_rate(dtype, rows, repeats=20):
    """FLOP/s of the W1 layer products at ``rows`` rows (forward + backward)."""
    rng = np.random.RandomState(0)
    shapes = [(784, 300), (300, 100), (100, 10)]
    A = [rng.rand(rows, m).astype(dtype) for m, _ in shapes]
    W = [rng.rand(m, n).astype(dtype) for m, n in shapes]
    D = [rng.rand(rows, n).astype(dtype) for _, n in shapes]

    def once():
        for a, w, d in zip(A, W, D):
            a @ w
            a.T @ d
            d @ w.T

    once()
    start = time.perf_counter()
    for _ in range(repeats):
        once()
    seconds = (time.perf_counter() - start) / repeats
    return rows * W1_FLOP_PER_SAMPLE / seconds


def bench_w1(quick, repeats):
    n, epochs = (2000, 2) if quick else (20000, 3)
    rows = []
    for dtype in (np.float32, np.float64):
        X, y, Xt, yt = w1_data(n, dtype)
        for batch in (32, 256):
            params = mlp_params(batch, epochs)
            runs = {
                "ours": lambda: timed(lambda: MLPClassifierTF(**params).fit(X, y)),
                "sklearn": lambda: timed(lambda: MLPClassifier(**params).fit(X, y)),
            }
            t, models = interleaved(runs, repeats)
            floor = len(X) * W1_FLOP_PER_SAMPLE / gemm_rate(dtype, batch)
            rows.append(dict(
                workload="W1", what=f"NumPy solver, batch {batch}, {np.dtype(dtype).name}",
                ours_s_per_epoch=t["ours"] / epochs, ref_s_per_epoch=t["sklearn"] / epochs,
                reference="sklearn MLPClassifier", ratio=t["ours"] / t["sklearn"],
                gemm_floor_s_per_epoch=floor, ratio_to_floor=t["ours"] / epochs / floor,
                ours_accuracy=models["ours"].score(Xt, yt),
                ref_accuracy=models["sklearn"].score(Xt, yt),
            ))
            if dtype == np.float32 and batch == 256:
                rows.append(bench_w1_tf(X, y, Xt, yt, batch, epochs + 1, repeats))
    return rows


def bench_w1_tf(X, y, Xt, yt, batch, epochs, repeats):
    row = dict(workload="W1", what=f"TF solver on /CPU:0, batch {batch}, float32",
               reference="Keras Sequential.fit")
    if not HAS_TF:
        return dict(row, skipped="TensorFlow is not installed (pip install 'sklshallow[tf]')")
    params = mlp_params(batch, epochs)
    runs = {
        "ours": lambda: (0, MLPClassifierTF(device="/CPU:0", **params).fit(X, y)),
        "keras": lambda: (0, keras_fit(X, y, batch, epochs)),
    }
    ours, keras_times = [], []
    for _ in range(repeats):
        _, models = interleaved(runs, 1)
        ours.append(steady_epoch(models["ours"].history_["epoch_time"]))
        keras_times.append(steady_epoch(models["keras"]))
    o, k = statistics.median(ours), statistics.median(keras_times)
    return dict(row, ours_s_per_epoch=o, ref_s_per_epoch=k, ratio=o / k,
                ours_accuracy=models["ours"].score(Xt, yt))


def bench_w2(quick, repeats):
    n = 3200 if quick else 32000
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = dict(hidden_layer_sizes=(4,), batch_size=32, max_iter=2, tol=0,
                  n_iter_no_change=10**6, random_state=0)
    steps = 2 * int(np.ceil(n / 32))
    t, _ = interleaved({
        "ours": lambda: timed(lambda: MLPClassifierTF(**params).fit(X, y)),
        "sklearn": lambda: timed(lambda: MLPClassifier(**params).fit(X, y)),
    }, repeats)
    rows = [dict(workload="W2", what="NumPy solver, us per step", reference="sklearn MLPClassifier",
                 ours_us_per_step=1e6 * t["ours"] / steps, ref_us_per_step=1e6 * t["sklearn"] / steps,
                 ratio=t["ours"] / t["sklearn"])]
    row = dict(workload="W2", what="TF solver on /CPU:0, us per step", reference="Keras Sequential.fit")
    if not HAS_TF:
        rows.append(dict(row, skipped="TensorFlow is not installed"))
        return rows
    import keras

    def keras_w2():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        times = []
        cb = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda e, l: times.append(-time.perf_counter()),
            on_epoch_end=lambda e, l: times.__setitem__(-1, times[-1] + time.perf_counter()))
        model.fit(X, y, batch_size=32, epochs=3, verbose=0, callbacks=[cb])
        return times

    tf_params = dict(params, max_iter=3)
    ours, ref = [], []
    for _ in range(repeats):
        est = MLPClassifierTF(device="/CPU:0", **tf_params).fit(X, y)
        ours.append(steady_epoch(est.history_["epoch_time"]))
        ref.append(steady_epoch(keras_w2()))
    per_epoch = steps / 2
    o, k = statistics.median(ours), statistics.median(ref)
    rows.append(dict(row, ours_us_per_step=1e6 * o / per_epoch, ref_us_per_step=1e6 * k / per_epoch,
                     ratio=o / k))
    return rows


def bench_w3(quick, repeats):
    n, epochs = (2000, 2) if quick else (20000, 5)
    X, y, Xt, yt = w1_data(n, np.float64)
    common = dict(max_iter=epochs, tol=None, random_state=0)
    sgd_log = dict(loss="log_loss", learning_rate="constant", eta0=1.0, penalty=None)
    configs = [  # (what, our parameters, reference, its estimator)
        ("perceptron, batch 1 (online rule)", dict(batch_size=1),
         "sklearn Perceptron", lambda: Perceptron(**common)),
        ("perceptron, batch 32", dict(batch_size=32),
         "sklearn Perceptron", lambda: Perceptron(**common)),
        ("perceptron, batch 1, penalty='elasticnet'", dict(penalty="elasticnet"),
         "sklearn Perceptron(penalty='elasticnet')",
         lambda: Perceptron(penalty="elasticnet", **common)),
        ("perceptron, batch 1, loss='log'", dict(loss="log"),
         "sklearn SGDClassifier(log_loss, constant eta0=1)",
         lambda: SGDClassifier(**sgd_log, **common)),
    ]
    rows = []
    for what, params, reference, make_ref in configs:
        t, models = interleaved({
            "ours": lambda: timed(lambda: PerceptronClassifier(**params, **common).fit(X, y)),
            "sklearn": lambda: timed(lambda: make_ref().fit(X, y)),
        }, repeats)
        rows.append(dict(
            workload="W3", what=what, reference=reference,
            ours_s_per_epoch=t["ours"] / epochs, ref_s_per_epoch=t["sklearn"] / epochs,
            ratio=t["ours"] / t["sklearn"],
            ours_accuracy=models["ours"].score(Xt, yt), ref_accuracy=models["sklearn"].score(Xt, yt),
        ))
        print(fmt(rows[-1]), flush=True)
    rows.append(bench_w3_sparse(quick, repeats))
    return rows


def bench_w3_sparse(quick, repeats, epochs=5):
    """W3 sparse: the online rule on a CSR matrix, labels from a linear rule."""
    import scipy.sparse as sp

    X = sp.random(3000, 2000, density=0.01, random_state=0, format="csr")
    y = (X @ np.random.RandomState(0).randn(2000) > 0).astype(int)
    t, models = interleaved({
        "ours": lambda: timed(lambda: PerceptronClassifier(
            max_iter=epochs, tol=None, random_state=0).fit(X, y)),
        "sklearn": lambda: timed(lambda: Perceptron(max_iter=epochs, tol=None,
                                                    random_state=0).fit(X, y)),
    }, max(repeats, 40))  # milliseconds each: many repeats for a stable median
    return dict(
        workload="W3", what="perceptron, batch 1, sparse CSR 3000 x 2000 (1%)",
        reference="sklearn Perceptron", ours_s_per_epoch=t["ours"] / epochs,
        ref_s_per_epoch=t["sklearn"] / epochs, ratio=t["ours"] / t["sklearn"],
        ours_accuracy=models["ours"].score(X, y), ref_accuracy=models["sklearn"].score(X, y),
    )


MEMORY_CHILD = """
import resource, sys, warnings
sys.path.insert(0, {bench!r})
warnings.simplefilter("ignore")
import numpy as np
from run import mlp_params
# The data comes from a file, so that generating it does not set the peak.
data = np.load({path!r})
X, y = data["X"], data["y"]
if {which!r} == "ours":
    from sklshallow import MLPClassifierTF as E
else:
    from sklearn.neural_network import MLPClassifier as E
E(**mlp_params(256, 1)).fit(X, y)
# VmHWM is this process's own peak; ru_maxrss carries the parent's over exec.
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    print(int(status.split()[0]))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory(quick, repeats):
    import tempfile

    n = 2000 if quick else 20000
    X, y, _, _ = w1_data(n, np.float32)
    path = str(Path(tempfile.mkdtemp()) / "w1.npz")
    np.savez(path, X=X, y=y)
    peaks = {"ours": [], "sklearn": []}
    for _ in range(repeats):
        for which in peaks:
            code = MEMORY_CHILD.format(bench=str(HERE), path=path, which=which)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            peaks[which].append(int(out.stdout.split()[-1]) / 1024)
    o, s = statistics.median(peaks["ours"]), statistics.median(peaks["sklearn"])
    return [dict(workload="Memory", what="peak RSS, W1 fit, float32, batch 256",
                 reference="sklearn MLPClassifier", ours_MiB=o, ref_MiB=s, ratio=o / s)]


def w4_search(kind, n_jobs, device="cpu", quick=False):
    """W4: the search of BENCHMARKS.md, over sklearn's MLPClassifier with
    sklearn's GridSearchCV ("sklearn"), over ours with sklearn's search
    ("sklearn-ours"), or over ours with the stacked search ("stacked")."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV as SkGridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklshallow.model_selection import GridSearchCV

    X, y = load_digits(return_X_y=True)
    params = dict(hidden_layer_sizes=(64,), max_iter=10 if quick else 50, random_state=0)
    if kind == "sklearn":
        mlp = MLPClassifier(**params)
    else:
        mlp = MLPClassifierTF(device=device, **params)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    grid = {"mlp__alpha": [1e-4, 1e-3, 1e-2, 1e-1], "mlp__learning_rate_init": [1e-3, 3e-3, 1e-2]}
    search = (GridSearchCV if kind == "stacked" else SkGridSearchCV)(pipe, grid, cv=5, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(X, y)


def bench_w4(quick, repeats):
    runs = {
        f"{kind}{'' if device == 'cpu' else ' ' + device}, n_jobs={n}": (
            lambda kind=kind, n=n, device=device: timed(lambda: w4_search(kind, n, device, quick)))
        for kind, device in (("sklearn", "cpu"), ("sklearn-ours", "cpu"), ("stacked", "cpu"))
        for n in ((1,) if kind == "sklearn-ours" else (1, 2))
    }
    if HAS_TF:  # TensorFlow's compilation is part of the figure: a fresh process each
        for n in (1, 2):
            runs[f"stacked /CPU:0, n_jobs={n}"] = lambda n=n: _fresh_w4("/CPU:0", n, quick)
    t, models = interleaved(runs, repeats)
    ref_name = min(("sklearn, n_jobs=1", "sklearn, n_jobs=2"), key=t.get)
    ref = models[ref_name]
    rows = []
    for what, device in (("stacked search, cpu", "cpu"), ("stacked search, /CPU:0", "/CPU:0")):
        row = dict(workload="W4", what=what, reference=f"sklearn GridSearchCV + MLPClassifier ({ref_name})")
        names = [f"stacked{'' if device == 'cpu' else ' ' + device}, n_jobs={n}" for n in (1, 2)]
        if names[0] not in t:
            rows.append(dict(row, skipped="TensorFlow is not installed"))
            continue
        best = min(names, key=t.get)
        same = models[best].best_params_ == ref.best_params_ if not isinstance(models[best], dict) \
            else models[best]["best_params"] == ref.best_params_
        rows.append(dict(row, ours_s=t[best], ref_s=t[ref_name], ratio=t[best] / t[ref_name],
                         note=f"{best}; same best_params_: {same}; "
                              + ", ".join(f"{k} {v:.1f} s" for k, v in t.items())))
    return rows


# TensorFlow's import (about 4 s here) comes before the clock, as
# scikit-learn's does for the reference; its compilation is timed.
W4_CHILD = """
import json, sys, time
import tensorflow
sys.path.insert(0, {bench!r})
from run import w4_search
start = time.perf_counter()
search = w4_search("stacked", {n_jobs}, {device!r}, {quick})
print(json.dumps(dict(seconds=time.perf_counter() - start, best_params=search.best_params_)))
"""


def _fresh_w4(device, n_jobs, quick):
    code = W4_CHILD.format(bench=str(HERE), n_jobs=n_jobs, device=device, quick=quick)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result


# VmHWM, not ru_maxrss: Linux carries a parent's high-water mark across
# fork and exec, and this parent has grown by then.
W4_MEMORY_CHILD = """
import sys
sys.path.insert(0, {bench!r})
from run import w4_search
w4_search({kind!r}, 1, quick={quick})
print([line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0])
"""


def _xor_data(quick):
    n = 3200 if quick else 32000
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int), 2 * int(np.ceil(n / 32))


def _xor_fits(k, device):
    return [MLPClassifierTF((4,), batch_size=32, max_iter=3, tol=0, n_iter_no_change=10**6,
                            alpha=10.0 ** -(1 + i % 5), random_state=i, device=device)
            for i in range(k)]


def _stacked_step(group_cls, X, y, steps, k, device):
    """Seconds per step of a stack of k fits: the median of its epochs after
    the first (the first compiles a TensorFlow stack's shape)."""
    from sklshallow._stacking import run_together

    epoch_times, original = [], group_cls.run_epoch

    def spy(self, requests):
        start = time.perf_counter()
        out = original(self, requests)
        epoch_times.append(time.perf_counter() - start)
        return out

    group_cls.run_epoch = spy
    try:
        ests = _xor_fits(k, device)
        run_together([lambda e=e: e.fit(X, y) for e in ests])
    finally:
        group_cls.run_epoch = original
    return statistics.median(epoch_times[1:]) / (steps / 2)


def libm_floor_us():
    """Microseconds a W2/W5 step spends in the exp and log it cannot skip
    (``libm_floor.c``, built with the package's flags), or None without a C
    compiler."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "libm_floor"
        try:
            subprocess.run([os.environ.get("CC", "cc"), "-O3", "-fno-math-errno",
                            "-ffp-contract=off", str(HERE / "libm_floor.c"), "-o", str(exe), "-lm"],
                           check=True, capture_output=True)
            return float(subprocess.run([str(exe)], check=True, capture_output=True,
                                        text=True).stdout.split()[0])
        except (OSError, subprocess.CalledProcessError):
            return None


def xla_floor_us(n_models, dtype):
    """Microseconds per model and step that XLA on /CPU:0 spends on the same
    exp and log for a stack of ``n_models`` (a compiled loop of 1000 steps,
    the best of 5)."""
    import tensorflow as tf

    z0 = tf.constant(np.random.RandomState(0).uniform(-4, 4, (n_models, 32)), dtype)

    @tf.function(jit_compile=True)
    def steps(z0):
        def body(i, total):
            z = z0 + tf.cast(i, dtype) * 1e-12  # a new step: nothing to hoist
            return i + 1, total + tf.reduce_sum(tf.math.log(1 / (1 + tf.exp(-z))))
        return tf.while_loop(lambda i, _: i < 1000, body, (0, tf.constant(0, dtype)))[1]

    with tf.device("/CPU:0"):
        steps(z0)
        best = min(timed(lambda: steps(z0).numpy())[0] for _ in range(5))
    return 1e6 * best / 1000 / n_models


def bench_w5(quick, repeats):
    """W5: microseconds per model per step of stacked fits (W2's XOR data and
    network, batch 32). cpu: 256 stacked fits against sklearn's step on that
    network. /CPU:0: stacks of 1, 16 and 256 fits against a lone fit's
    steady epochs (a first, untimed run of each stack shape compiles it)."""
    from sklearn.neural_network import MLPClassifier

    from sklshallow._backends._numpy import NumpyGroup

    X, y, steps = _xor_data(quick)
    sk_params = dict(hidden_layer_sizes=(4,), batch_size=32, max_iter=2, tol=0,
                     n_iter_no_change=10**6, random_state=0)
    t, _ = interleaved({"sklearn": lambda: timed(lambda: MLPClassifier(**sk_params).fit(X, y))},
                       repeats)
    sk_step = t["sklearn"] / steps
    cpu = statistics.median(_stacked_step(NumpyGroup, X, y, steps, 256, "cpu")
                            for _ in range(repeats)) / 256
    rows = [dict(workload="W5", what="per-model step, 256 stacked fits, cpu",
                 reference="sklearn MLPClassifier's step", ours_us_per_step=1e6 * cpu,
                 ref_us_per_step=1e6 * sk_step, ratio=cpu / sk_step)]
    floor = libm_floor_us()
    if floor is not None:  # the target, set against this, cannot be met with libm
        rows[-1].update(floor_us_per_step=floor, note=(
            f"the step's 32 exp and 32 log alone: {floor:.2f} us, "
            f"{floor / (1e6 * sk_step):.4f}x"))
    print(fmt(rows[-1]), flush=True)
    row = dict(workload="W5", what="per-model step, 256 fits vs 1, /CPU:0",
               reference="one fit on /CPU:0")
    if not HAS_TF:
        return rows + [dict(row, skipped="TensorFlow is not installed")]
    from sklshallow._backends._tensorflow import TensorFlowGroup

    def steady_step(k):
        if k == 1:
            est = _xor_fits(1, "/CPU:0")[0].fit(X, y)
            return steady_epoch(est.history_["epoch_time"]) / (steps / 2)
        return _stacked_step(TensorFlowGroup, X, y, steps, k, "/CPU:0")

    per_model = {}
    for k in (1, 16, 256):
        steady_step(k)  # compiles this shape
        per_model[k] = statistics.median(steady_step(k) for _ in range(repeats)) / k
    floor = xla_floor_us(256, X.dtype)
    return rows + [dict(row, ours_us_per_step=1e6 * per_model[256],
                        ref_us_per_step=1e6 * per_model[1], ratio=per_model[256] / per_model[1],
                        floor_us_per_step=floor,
                        note=", ".join(f"{k} fits: {1e6 * v:.2f} us per model-step"
                                       for k, v in per_model.items())
                        + f"; XLA's {X.dtype} exp and log alone: {floor:.2f} us, "
                        f"{floor / (1e6 * per_model[1]):.3f}x")]


TOOL_ROWS = {
    "W6": "cross_validate, cv=5",
    "W7": "validation_curve, 10 alphas, cv=5",
    "W8": "learning_curve, 5 sizes, cv=5",
    "W9": "BaggingClassifier, 32 networks",
    "W10": "OneVsRestClassifier, 10 networks",
}


def tool_call(workload, kind, n_jobs, quick=False):
    """W6-W10: scikit-learn's tools on W4's digits data and network, over
    sklearn's MLPClassifier ("sklearn"), over ours ("ours"), or over ours
    under ``sklshallow.stacked()`` ("stacked"). Returns what the call
    scored: the numbers both estimators must agree on."""
    import contextlib

    from sklearn import model_selection as skms
    from sklearn.datasets import load_digits
    from sklearn.ensemble import BaggingClassifier
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    import sklshallow

    X, y = load_digits(return_X_y=True)
    params = dict(hidden_layer_sizes=(64,), max_iter=10 if quick else 50, random_state=0)
    mlp = MLPClassifier(**params) if kind == "sklearn" else MLPClassifierTF(**params)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    Xs = StandardScaler().fit_transform(X)
    context = sklshallow.stacked() if kind == "stacked" else contextlib.nullcontext()
    with warnings.catch_warnings(), context:
        warnings.simplefilter("ignore")
        if workload == "W6":
            return skms.cross_validate(pipe, X, y, cv=5, n_jobs=n_jobs)["test_score"]
        if workload == "W7":
            return skms.validation_curve(pipe, X, y, param_name="mlp__alpha",
                                         param_range=np.logspace(-5, 0, 10), cv=5,
                                         n_jobs=n_jobs)[1]
        if workload == "W8":
            return skms.learning_curve(pipe, X, y, train_sizes=np.linspace(0.2, 1.0, 5),
                                       cv=5, n_jobs=n_jobs)[2]
        if workload == "W9":
            bag = BaggingClassifier(mlp, n_estimators=32, random_state=0, n_jobs=n_jobs)
            return bag.fit(Xs, y).predict_proba(Xs)
        ovr = OneVsRestClassifier(mlp, n_jobs=n_jobs).fit(Xs, y)
        return ovr.predict_proba(Xs)


def bench_tools(quick, repeats):
    rows = []
    for workload, what in TOOL_ROWS.items():
        # Ours also at the tools' default n_jobs=None, which the context
        # stacks in this process (Bagging's n_jobs=1 makes one chunk: no
        # stack).
        runs = {f"{kind}, n_jobs={n}": (lambda kind=kind, n=n: timed(
                    lambda: tool_call(workload, kind, n, quick)))
                for kind in ("sklearn", "stacked", "ours") for n in (None, 1, 2)
                if (kind, n) not in {("sklearn", None), ("ours", None), ("ours", 2)}}
        t, out = interleaved(runs, repeats)
        ref = min(("sklearn, n_jobs=1", "sklearn, n_jobs=2"), key=t.get)
        best = min((name for name in t if name.startswith("stacked")), key=t.get)
        same = all(np.allclose(out[name], out[ref], rtol=1e-9, atol=1e-12) for name in out)
        rows.append(dict(
            workload=workload, what=what, reference=f"the same call on sklearn's MLPClassifier ({ref})",
            ours_s=t[best], ref_s=t[ref], ratio=t[best] / t[ref],
            without_context_s=t["ours, n_jobs=1"], same_results=bool(same),
            note=f"{best}; same results: {same}; ours without the context "
                 f"{t['ours, n_jobs=1'] / t[ref]:.2f}x; "
                 + ", ".join(f"{k} {v:.1f} s" for k, v in t.items())))
        print(fmt(rows[-1]), flush=True)
    return rows


def bench_w4_memory(quick, repeats):
    peaks = {"stacked": [], "sklearn": []}
    for _ in range(repeats):
        for kind in peaks:
            code = W4_MEMORY_CHILD.format(bench=str(HERE), kind=kind, quick=quick)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True)
            peaks[kind].append(int(out.stdout.split()[-1]) / 1024)
    o, s = statistics.median(peaks["stacked"]), statistics.median(peaks["sklearn"])
    return [dict(workload="Memory", what="peak RSS, W4 search, n_jobs=1",
                 reference="sklearn GridSearchCV + MLPClassifier", ours_MiB=o, ref_MiB=s,
                 ratio=o / s)]


TARGETS = {
    ("W1", "NumPy solver, batch 32, float32"): 0.4,
    ("W1", "NumPy solver, batch 32, float64"): 0.5,
    ("W1", "NumPy solver, batch 256, float32"): 0.6,
    ("W1", "TF solver on /CPU:0, batch 256, float32"): 0.7,
    ("W2", "TF solver on /CPU:0, us per step"): 0.1,
    ("W2", "NumPy solver, us per step"): 0.02,
    ("W3", "perceptron, batch 1 (online rule)"): 0.5,
    ("W3", "perceptron, batch 1, sparse CSR 3000 x 2000 (1%)"): 1.0,
    ("W3", "perceptron, batch 1, penalty='elasticnet'"): 1.0,
    ("W3", "perceptron, batch 1, loss='log'"): 1.0,
    ("Memory", "peak RSS, W1 fit, float32, batch 256"): 1.1,
    ("W4", "stacked search, cpu"): 0.35,
    # XLA's float64 products are slow on this CPU: the GPU is its place.
    ("W4", "stacked search, /CPU:0"): 1.0,
    ("W5", "per-model step, 256 stacked fits, cpu"): 0.002,
    ("W5", "per-model step, 256 fits vs 1, /CPU:0"): 0.1,
    ("Memory", "peak RSS, W4 search, n_jobs=1"): 1.5,
    ("W6", TOOL_ROWS["W6"]): 0.5,
    ("W7", TOOL_ROWS["W7"]): 0.35,
    ("W8", TOOL_ROWS["W8"]): 0.4,
    ("W9", TOOL_ROWS["W9"]): 0.35,
    ("W10", TOOL_ROWS["W10"]): 0.4,
}


def fmt(row):
    if "skipped" in row:
        return f"| {row['workload']} | {row['what']} | {row['reference']} | skipped: {row['skipped']} | | |"
    if "ours_us_per_step" in row:
        figures = f"{row['ours_us_per_step']:.1f} us vs {row['ref_us_per_step']:.1f} us"
    elif "ours_s" in row:
        figures = f"{row['ours_s']:.1f} s vs {row['ref_s']:.1f} s"
    elif "ours_MiB" in row:
        figures = f"{row['ours_MiB']:.0f} MiB vs {row['ref_MiB']:.0f} MiB"
    else:
        figures = f"{row['ours_s_per_epoch']:.3f} s vs {row['ref_s_per_epoch']:.3f} s per epoch"
    if "ours_accuracy" in row and "ref_accuracy" in row:
        figures += f"; accuracy {row['ours_accuracy']:.4f} vs {row['ref_accuracy']:.4f}"
    if "ratio_to_floor" in row:
        figures += f"; {row['ratio_to_floor']:.2f}x GEMM floor"
    if "note" in row:
        figures += f" ({row['note']})"
    target = TARGETS.get((row["workload"], row["what"]))
    verdict = "" if target is None else ("meets" if row["ratio"] <= target else "misses") + f" <= {target}x"
    return f"| {row['workload']} | {row['what']} | {row['reference']} | {figures} | {row['ratio']:.2f}x | {verdict} |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, one repeat")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--only", nargs="*", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    benches = {"W1": bench_w1, "W2": bench_w2, "W3": bench_w3, "W4": bench_w4, "W5": bench_w5,
               "W6-W10": bench_tools,
               "Memory": lambda q, r: bench_memory(q, r) + bench_w4_memory(q, r)}
    rates = {f"{np.dtype(d).name}_{r}_rows_GFLOPs": gemm_rate(d, r) / 1e9
             for d in (np.float32, np.float64) for r in (32, 256)}
    rows = []
    for name in args.only:
        rows += benches[name](args.quick, repeats)
        print(fmt(rows[-1]), flush=True)
    header = ["| workload | configuration | reference | ours vs reference | ratio | target |",
              "|---|---|---|---|---|---|"]
    table = "\n".join(header + [fmt(r) for r in rows])
    machine = (f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores; "
               "GEMM rate of the W1 layers: " + ", ".join(f"{k} {v:.0f}" for k, v in rates.items()))
    print("\n" + table + "\n\n" + machine)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d")
    path = args.out / f"{stamp}-{socket.gethostname()}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(dict(quick=args.quick, repeats=repeats, machine=machine,
                                    gemm_gflops=rates, rows=rows), indent=1))
    print(f"wrote {path}")
    # Only a run of every workload replaces the README's table.
    if not args.quick and args.out == HERE / "results" and set(args.only) == set(WORKLOADS):
        readme = HERE / "README.md"
        text = readme.read_text() if readme.exists() else ""
        begin, end = "<!-- results -->", "<!-- /results -->"
        block = f"{begin}\nLatest full run ({stamp}, {repeats} repeats, median):\n\n{table}\n\n{machine}\n{end}"
        if begin in text:
            text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text += "\n" + block + "\n"
        readme.write_text(text)
        print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
