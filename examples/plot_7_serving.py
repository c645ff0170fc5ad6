"""
Saving and serving
==================

Ship a tuned model three ways: a skops file (which asks you to trust only
sklshallow's estimator class), an ONNX graph served by onnxruntime, and a
Keras model with the fitted weights; each predicts what the estimator
predicts.
"""

import importlib.util
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import MLPClassifierTF

warnings.simplefilter("ignore")  # (30 epochs do not converge: a short demo)
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
model = make_pipeline(StandardScaler(), MLPClassifierTF(hidden_layer_sizes=(64,), max_iter=30,
                                                        random_state=0))
model.fit(X, y)
folder = Path(tempfile.mkdtemp())

# 1. A skops file: loading runs no code from the file, and names what it needs.
if importlib.util.find_spec("skops"):
    import skops.io as sio

    sio.dump(model, folder / "digits.skops")
    untrusted = sio.get_untrusted_types(file=folder / "digits.skops")
    print("untrusted types:", untrusted)  # only sklshallow's estimator class
    loaded = sio.load(folder / "digits.skops", trusted=untrusted)
    assert (loaded.predict(X) == model.predict(X)).all()

# 2. ONNX, served by onnxruntime (pip install "sklshallow[onnx]").
if importlib.util.find_spec("skl2onnx") and importlib.util.find_spec("onnxruntime"):
    import onnxruntime as rt
    from skl2onnx import to_onnx

    import sklshallow.onnx  # noqa: F401  (registers the converters)

    onx = to_onnx(model, X[:1], options={"zipmap": False})
    (folder / "digits.onnx").write_bytes(onx.SerializeToString())
    session = rt.InferenceSession(str(folder / "digits.onnx"), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, {session.get_inputs()[0].name: X})
    assert (labels == model.predict(X)).all()
    print("ONNX largest probability difference:",
          np.abs(probabilities - model.predict_proba(X)).max())

# 3. On to Keras (pip install "sklshallow[tf]"): the network, weights set.
if importlib.util.find_spec("tensorflow"):
    keras_model = model[-1].to_keras()
    keras_model.summary()
    P = keras_model.predict(model[0].transform(X), verbose=0)
    print("Keras largest probability difference:", np.abs(P - model.predict_proba(X)).max())
    assert (P.argmax(axis=1) == model.predict(X)).mean() > 0.999
