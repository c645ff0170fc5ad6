"""The playground's web app: its endpoints (without a browser), the command
that serves it, and the page in a real headless Chromium."""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np
import pytest

from sklshallow.playground import Session

flask = pytest.importorskip("flask", reason="the playground needs Flask "
                            "(pip install 'sklshallow[playground]')")
from sklshallow._playground_app import MAX_SESSIONS, create_app  # noqa: E402


@pytest.fixture
def client():
    return create_app().test_client()


def _start(client, **config):
    reply = client.post("/api/session", json={"config": {"resolution": 8, **config}})
    assert reply.status_code == 200, reply.json
    return reply.json


def test_the_page_and_a_session(client):
    page = client.get("/")
    assert page.status_code == 200 and b"sklshallow playground" in page.data
    start = _start(client, dataset="xor", hidden_layers=[3])
    assert start["state"]["epoch"] == 0 and "make_data('xor'" in start["code"]
    reply = client.post("/api/step", json={"id": start["id"], "epochs": 3})
    assert reply.status_code == 200
    state = reply.json["state"]
    assert state["epoch"] == 3 and len(state["history"]["test_loss"]) == 3
    assert np.array(state["output"]).shape == (8, 8)
    assert np.array(state["hidden"][0]).shape == (3, 8, 8)
    assert state["device"] == "cpu"


@pytest.mark.parametrize("url, payload, status, message", [
    ("/api/session", {"config": {"hidden_layers": [8] * 7}}, 400, "hidden_layers"),
    ("/api/session", {"config": {"hidden_layers": [100]}}, 400, "hidden_layers"),
    ("/api/session", {"config": {"resolution": 5000}}, 400, "resolution"),
    ("/api/session", {"config": {"n_samples": 10**8}}, 400, "n_samples"),
    ("/api/session", {"config": {"dataset": "/etc/passwd"}}, 400, "dataset"),
    ("/api/session", {"config": {"learning_rate": "fast"}}, 400, "learning_rate"),
    ("/api/session", {"config": ["a", "list"]}, 400, "JSON object"),
    ("/api/session", [1, 2], 400, "JSON object"),
    ("/api/step", {"id": "nope"}, 404, "No such session"),
    ("/api/step", {"epochs": 2}, 400, "id"),
])
def test_bad_requests_get_a_4xx_with_a_message(client, url, payload, status, message):
    reply = client.post(url, json=payload)
    assert reply.status_code == status
    assert message in reply.json["error"]


def test_bad_bodies_methods_and_step_counts(client):
    reply = client.post("/api/session", data="not json", content_type="application/json")
    assert reply.status_code == 400 and "JSON" in reply.json["error"]
    assert client.get("/api/step").status_code == 405
    assert client.get("/no/such/page").status_code == 404
    sid = _start(client)["id"]
    for epochs in (0, 10**6, "many", True):  # never a hung training loop
        reply = client.post("/api/step", json={"id": sid, "epochs": epochs})
        assert reply.status_code == 400 and "epochs" in reply.json["error"]


@pytest.mark.parametrize("payload", [
    {"config": {"dataset": []}},
    {"config": {"activation": ["relu"]}},
    {"config": {"model": {"a": 1}}},
    {"config": {"features": [["x1"]]}},
    {"config": {"features": [{"x1": 1}]}},
])
def test_unhashable_config_values_get_a_400(client, payload):
    reply = client.post("/api/session", json=payload)
    assert reply.status_code == 400 and reply.is_json
    assert next(iter(payload["config"])) in reply.json["error"]


def test_deeply_nested_json_gets_a_400(client):
    deep = "[" * 100000 + "]" * 100000
    for url in ("/api/session", "/api/step"):
        reply = client.post(url, data=deep, content_type="application/json")
        assert reply.status_code == 400 and "JSON object" in reply.json["error"]


def test_an_unexpected_error_answers_json(client, monkeypatch):
    sid = _start(client)["id"]
    monkeypatch.setattr(Session, "step", lambda *a, **k: 1 / 0)
    reply = client.post("/api/step", json={"id": sid})
    assert reply.status_code == 500 and reply.is_json
    assert "ZeroDivisionError" in reply.json["error"]


def test_a_diverged_epoch_keeps_the_last_good_network(client):
    config = dict(dataset="circle", hidden_layers=[8, 8], activation="linear",
                  learning_rate=2.0, batch_size=30, resolution=8)
    sid, replies = _start(client, **config)["id"], []
    for _ in range(30):  # this network diverges within a few epochs
        replies.append(client.post("/api/step", json={"id": sid, "epochs": 1}))
        if replies[-1].status_code != 200:
            break
    bad, good = replies[-1], replies[-2].json
    assert bad.status_code == 400, "the network did not diverge"
    epoch = good["state"]["epoch"]
    assert f"Epoch {epoch + 1} diverged" in bad.json["error"]
    assert "lower learning rate" in bad.json["error"]
    # The reply shows the kept network: its epoch, surface and code.
    assert bad.json["state"]["epoch"] == epoch
    assert bad.json["state"]["output"] == good["state"]["output"]
    # That network is the one `epoch` epochs train, and the code trains it.
    alone = Session(config)
    assert alone.step(epoch)["output"] == good["state"]["output"]
    namespace = {}
    exec(bad.json["code"].replace("print(", "(lambda *a: None)("), namespace)  # noqa: S102
    for W, V in zip(namespace["model"].coefs_, alone.estimator.coefs_):
        np.testing.assert_array_equal(W, V)
    # A next step starts from it again (the same epoch diverges again).
    again = client.post("/api/step", json={"id": sid, "epochs": 1})
    assert again.status_code == 400 and f"Epoch {epoch + 1} diverged" in again.json["error"]


def test_replies_carry_the_losses_since_the_clients_epoch(client):
    config = dict(hidden_layers=[3], resolution=8)
    sid = _start(client, **config)["id"]
    first = client.post("/api/step", json={"id": sid, "epochs": 5}).json["state"]["history"]
    assert first["start"] == 0 and len(first["train_loss"]) == 5
    reply = client.post("/api/step", json={"id": sid, "epochs": 2, "since": 5})
    then = reply.json["state"]["history"]
    assert then["start"] == 5 and len(then["train_loss"]) == 2
    alone = Session(config).step(7)["history"]
    assert first["train_loss"] + then["train_loss"] == alone["train_loss"]
    assert first["test_loss"] + then["test_loss"] == alone["test_loss"]
    sizes = []
    for epoch in range(7, 47):  # Play mode: each reply as large as the one before
        reply = client.post("/api/step", json={"id": sid, "epochs": 1, "since": epoch})
        sizes.append(len(reply.data))
    assert max(sizes) - min(sizes) < 100
    for since in (-1, 48, "5", True):
        reply = client.post("/api/step", json={"id": sid, "since": since})
        assert reply.status_code == 400 and "since" in reply.json["error"]


def test_tabs_training_at_once_keep_their_own_models(client):
    configs = [dict(seed=1, hidden_layers=[4]), dict(seed=2, dataset="spiral", hidden_layers=[5])]
    sids = [_start(client, **c)["id"] for c in configs]
    app = client.application

    def train(sid):
        with app.test_client() as own:
            for _ in range(6):
                assert own.post("/api/step", json={"id": sid, "epochs": 1}).status_code == 200

    threads = [threading.Thread(target=train, args=(sid,)) for sid in sids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sid, config in zip(sids, configs):
        state = client.post("/api/step", json={"id": sid, "epochs": 1}).json["state"]
        alone = Session({"resolution": 8, **config})
        expected = alone.step(7)
        assert state["epoch"] == 7
        np.testing.assert_allclose(state["output"], expected["output"])


def test_sessions_are_bounded(client):
    first = _start(client)["id"]
    for _ in range(MAX_SESSIONS):
        _start(client)
    assert client.post("/api/step", json={"id": first}).status_code == 404


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_serves_on_localhost_and_stops_on_ctrl_c():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sklshallow", "playground", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        for _ in range(100):  # until the server answers
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        assert b"sklshallow playground" in page
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "Playground stopped." in proc.stdout.read()
    finally:
        proc.kill()


def test_another_host_is_announced():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sklshallow", "playground", "--no-browser", "--host", "0.0.0.0",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert "other machines can reach this playground" in proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait()


def test_a_gpu_device_without_a_gpu_refuses_to_start():
    proc = subprocess.run(
        [sys.executable, "-m", "sklshallow", "playground", "--no-browser", "--device", "gpu",
         "--port", str(_free_port())], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "gpu" in proc.stderr and ("GPU" in proc.stderr or "TensorFlow" in proc.stderr)


def test_without_flask_the_command_names_the_extra():
    code = ("import sys\nsys.modules['flask'] = None\n"
            "from sklshallow.__main__ import main\nmain(['playground', '--no-browser'])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "sklshallow[playground]" in result.stderr


# ------------------------------------------------------------ a real browser


def _chrome():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("Chromium and its driver are not installed "
                    "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.binary_location = browser
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


def test_the_page_trains_in_a_real_browser(tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = _chrome()
    try:
        browser.get(f"http://127.0.0.1:{server.server_port}/")
        wait = WebDriverWait(browser, 60, ignored_exceptions=[StaleElementReferenceException])
        epoch = lambda: int(browser.find_element(By.ID, "epoch").text)  # noqa: E731
        wait.until(lambda b: b.find_element(By.ID, "test-loss").text == "-")
        browser.find_element(By.ID, "play").click()
        wait.until(lambda b: epoch() >= 3)
        first = float(browser.find_element(By.ID, "test-loss").text)
        wait.until(lambda b: epoch() >= 40)
        assert float(browser.find_element(By.ID, "test-loss").text) < first
        browser.find_element(By.ID, "play").click()  # pause
        # Another data set and one more unit: a new network, trained from epoch 0.
        options = [o.get_attribute("value")
                   for o in browser.find_elements(By.CSS_SELECTOR, "#dataset option")]
        assert options == ["circle", "xor", "gauss", "spiral"]
        Select(browser.find_element(By.ID, "dataset")).select_by_value("xor")
        # (the network's panel is redrawn after every epoch: click in the page)
        browser.execute_script(
            "document.querySelector('#hidden button[data-l=\"0\"][data-d=\"1\"]').click()")
        wait.until(lambda b: b.execute_script(
            "return document.querySelector('#hidden .layer').querySelectorAll('canvas').length"
        ) == 5)
        assert epoch() == 0
        for _ in range(5):
            browser.find_element(By.ID, "step").click()
            time.sleep(0.3)
        wait.until(lambda b: epoch() >= 1)
        assert browser.find_element(By.ID, "error").text == ""
        shot = tmp_path / "surface.png"
        browser.find_element(By.ID, "surface").screenshot(str(shot))
        browser.save_screenshot(str(tmp_path / "page.png"))
        # Regression: its data sets, and no threshold unit to choose.
        Select(browser.find_element(By.ID, "problem")).select_by_value("regression")
        wait.until(lambda b: b.execute_script(
            "return [...document.querySelectorAll('#dataset option')].map(o => o.value).join()"
        ) == "plane,multi_gauss")
        assert browser.execute_script(
            "return document.querySelector('#model [value=perceptron]').disabled")
        wait.until(lambda b: epoch() == 0)  # the new network is there
        browser.find_element(By.ID, "step").click()
        wait.until(lambda b: epoch() == 1)
        assert browser.find_element(By.ID, "error").text == ""
    finally:
        browser.quit()
        server.shutdown()
    image = pytest.importorskip("matplotlib.image").imread(shot)[..., :3]
    assert image.std() > 0.05  # not blank: both colours of the decision surface
    blue = (image[..., 2] > image[..., 0] + 0.2).mean()
    orange = (image[..., 0] > image[..., 2] + 0.2).mean()
    assert blue > 0.05 and orange > 0.05
