"""pytest's doctest collection imports every module of the package: without
TensorFlow (an optional extra), its one module is left out."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("tensorflow") is None:
    collect_ignore.append("sklshallow/_backends/_tensorflow.py")
