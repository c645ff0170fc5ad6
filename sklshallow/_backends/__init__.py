"""Turn the ``device`` parameter into a backend, at fit time.

TensorFlow is imported here, lazily, and nowhere else but in
``_tensorflow.py``: importing sklshallow or fitting on ``"cpu"`` never loads it.
"""

import contextlib
import re
from collections import namedtuple

try:  # the compiled core (Cython, beside the backend that calls it)
    from . import _epoch, _online, _random  # noqa: F401
except ImportError as exc:  # a source tree whose core was never built
    raise ImportError(
        "sklshallow's compiled core (sklshallow/_backends/*.pyx) is not built. "
        "Build it from the source tree with a C compiler: pip install -e .  "
        f"(original error: {exc})"
    ) from exc

from . import _member  # noqa: E402
from ._numpy import NumpyBackend  # noqa: E402

# What a network computes, beyond its parameters. ``normalize_weights``: divide
# by the batch's weight sum (sklearn's MLP) or its size (the perceptron's mean
# of per-sample updates); ``fit_intercept``: whether biases are trained;
# ``mean_outputs``: report the squared error averaged over outputs (sklearn's
# MLPRegressor with a stochastic solver); ``l1``: strength of the perceptron's
# truncated-gradient L1 penalty, applied after each step.
Net = namedtuple(
    "Net",
    "activation out_activation alpha normalize_weights fit_intercept mean_outputs l1",
    defaults=(False, 0.0),
)

_TF_DEVICE = re.compile(r"^(/device:|/)?(cpu|gpu):\d+$", re.IGNORECASE)


def check_device(device):
    """Raise a ValueError unless ``device`` is a value the contract knows."""
    if not isinstance(device, str) or not (
        device.lower() in ("cpu", "gpu", "auto") or _TF_DEVICE.match(device)
    ):
        raise ValueError(
            "device must be 'cpu', 'gpu', 'auto' or a TensorFlow device string "
            f"such as '/CPU:0' or '/GPU:1'; got {device!r}."
        )


def import_tensorflow_backend():
    try:
        from . import _tensorflow
    except ImportError as exc:
        raise ImportError(
            "This device needs TensorFlow, which is not installed. Install the "
            "'tf' extra: pip install 'sklshallow[tf]'."
        ) from exc
    return _tensorflow


def resolve_device(device):
    """Return None for the NumPy backend, else the TensorFlow device string."""
    check_device(device)
    if device.lower() in ("cpu", "gpu", "auto"):
        device = device.lower()  # named devices in any case, as TensorFlow's
    if device == "cpu":
        return None
    if device == "auto":
        try:
            tf_module = import_tensorflow_backend()
        except ImportError:
            return None
        gpus = tf_module.visible_devices("GPU")
        return gpus[0] if gpus else None
    tf_module = import_tensorflow_backend()
    if device == "gpu":
        gpus = tf_module.visible_devices("GPU")
        if not gpus:
            raise RuntimeError(
                "device='gpu' but TensorFlow sees no GPU; visible devices: "
                f"{tf_module.visible_devices()}. Use device='cpu' or 'auto'."
            )
        return gpus[0]
    tf_module.check_device_exists(device)
    return device


@contextlib.contextmanager
def training(device, net, coefs, intercepts, stochastic=False):
    """The backend that trains ``coefs``/``intercepts`` on ``device``, for
    the duration of one fit. In a thread that trains in a stack
    (``_member.enter``), a fit by stochastic steps (``stochastic``) joins
    the stack as a member; any other fit trains alone, and the stack does
    not wait for it meanwhile."""
    tf_device = resolve_device(device)
    stack = _member.current_stack()
    if stack is not None and stochastic:
        yield _member.StackMember(stack, net, coefs, intercepts, tf_device)
        return
    if tf_device is None:
        backend = NumpyBackend(net, coefs, intercepts)
    else:
        from ._tensorflow import TensorFlowBackend

        backend = TensorFlowBackend(net, coefs, intercepts, tf_device)
    if stack is None:
        yield backend
        return
    with stack.away():
        yield backend
