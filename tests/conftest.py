import importlib.util
import signal
import subprocess
import sys
import time

import pytest

HAS_TF = importlib.util.find_spec("tensorflow") is not None

# The NumPy backend always; the TensorFlow backend on TensorFlow's CPU device
# when TensorFlow is installed (CI installs it, so these run there).
DEVICES = ["cpu"] + (["/CPU:0"] if HAS_TF else [])

needs_tf = pytest.mark.skipif(
    not HAS_TF, reason="TensorFlow is not installed (pip install 'sklshallow[tf]')"
)


def interrupted_after(calls, seconds=3):
    """Run ``calls`` (a script's lines, after its imports) in a fresh Python,
    send it Ctrl-C after ``seconds`` of training, and return the seconds it
    took to exit; assert it exited by the KeyboardInterrupt it caught."""
    code = (
        "import sys, warnings\nwarnings.simplefilter('ignore')\n"
        "from sklearn.datasets import load_digits\nimport sklshallow\n"
        "X, y = load_digits(return_X_y=True)\nprint('training', flush=True)\n"
        "try:\n" + "".join(f"    {line}\n" for line in calls.strip().splitlines())
        + "except KeyboardInterrupt:\n    print('interrupted', flush=True)\n    sys.exit(3)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "training"
    time.sleep(seconds)
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "interrupted" in out
    return time.perf_counter() - start
