"""pytest's doctest collection imports every module of the package: without
TensorFlow or skl2onnx (optional extras), the module that needs it is left out."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("tensorflow") is None:
    collect_ignore.append("sklshallow/_backends/_tensorflow.py")
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklshallow/onnx.py")
