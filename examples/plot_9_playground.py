"""
The playground
==============

``python -m sklshallow playground`` serves the lecture's playground on this
machine: pick a data set, input features and a network, press play, and watch
the package's own estimator learn, with the decision surface, the loss curve
and every hidden unit's activation map. Here the same session trains without a
browser; with headless Chromium at hand, the page itself is photographed.
"""

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sklshallow.playground import Session

session = Session({"dataset": "spiral", "features": ["x1", "x2", "sin(x1)", "sin(x2)"],
                   "hidden_layers": [8, 6], "learning_rate": 0.1, "noise": 0.05})
state = session.step(60)
print(f"epoch {state['epoch']}: test loss {state['test_loss']:.3f}")
print(session.code())

# %%
# What the page draws: the output over the square, the points, the hidden units
fig = plt.figure(figsize=(10, 4.5))
grid = fig.add_gridspec(3, 6)
ax = fig.add_subplot(grid[:, :3])
ax.imshow(state["output"], extent=(-6, 6, -6, 6), cmap="RdYlBu", vmin=-1, vmax=1)
train = np.array(state["train"])
ax.scatter(train[:, 0], train[:, 1], c=train[:, 2], cmap="RdYlBu", edgecolors="k", s=15)
ax.set_title("output and training points")
for j, unit in enumerate(state["hidden"][1][:6]):
    small = fig.add_subplot(grid[j // 3, 3 + j % 3])
    small.imshow(unit, cmap="RdYlBu")
    small.set(xticks=[], yticks=[], title=f"unit {j + 1}, layer 2")
plt.tight_layout()
plt.show()

# %%
# The page in a browser, where Chromium is installed
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if browser:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sklshallow", "playground",
                               "--no-browser", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        shot = Path(tempfile.mkdtemp()) / "playground.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", f"--user-data-dir={shot.parent / 'profile'}",
                        "--window-size=1300,760", "--virtual-time-budget=20000",
                        f"--screenshot={shot}", f"http://127.0.0.1:{port}/?play=60"],
                       capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        pass  # no picture: the curves below
    finally:
        server.terminate()
        server.wait()
fig, ax = plt.subplots(figsize=(13, 7.6))
if browser and shot.exists():
    ax.imshow(plt.imread(shot))
    ax.axis("off")
else:  # no browser, or no picture in time: the loss curves the page draws
    for key in ("train_loss", "test_loss"):
        ax.plot(state["history"][key], label=key)
    ax.set(xlabel="epoch", ylabel="log loss", title="(no screenshot: Chromium is not installed)")
    ax.legend()
plt.tight_layout()
plt.show()
