"""The documentation builds without warnings (the gallery included, every
example run), shows its pictures, and renders its formulas in a browser with
no network; every example also runs as a script."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
CLASSES = ["PerceptronClassifier", "MLPClassifierTF", "MLPRegressor", "HistoryDisplay"]
# One worker builds the docs once for all these tests (the gallery writes into doc/).
pytestmark = [
    pytest.mark.xdist_group("docs"),
    # The suite also runs on an installed wheel, outside the checkout.
    pytest.mark.skipif(not (ROOT / "doc" / "conf.py").exists(),
                       reason="needs the source checkout's doc/ and examples/"),
]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """The docs, built once for this module with warnings as errors."""
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("pydata_sphinx_theme")
    # A copy of the sources: sphinx-gallery writes its pages and pictures
    # beside them, so two builds of one tree (two test workers) would collide.
    tree = tmp_path_factory.mktemp("docs")
    generated = ("_build", "auto_examples", "gen_modules", "sg_execution_times.rst")
    shutil.copytree(ROOT / "doc", tree / "doc", ignore=shutil.ignore_patterns(*generated))
    shutil.copytree(ROOT / "examples", tree / "examples")
    out = tree / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(tree / "doc"), str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_api_reference_has_a_page_per_class_with_its_examples(html):
    index = (html / "api.html").read_text()
    for name in CLASSES:
        page = (html / "api" / f"{name}.html").read_text()
        assert f"api/{name}.html" in index
        assert "Examples using this" in page  # sphinx-gallery's backreferences
        assert "auto_examples/plot_" in page
    assert "partial_fit" in (html / "api" / "MLPClassifierTF.html").read_text()
    assert "to_keras" in (html / "api" / "MLPRegressor.html").read_text()


def test_the_gallery_runs_every_example_and_shows_its_figures(html):
    gallery = (html / "auto_examples" / "index.html").read_text()
    for example in EXAMPLES:
        page = html / "auto_examples" / f"{example.stem}.html"
        assert page.exists() and example.stem in gallery
    images = {p.name for p in (html / "_images").glob("sphx_glr_plot_*.png")}
    for stem in ["1_perceptron_iris", "2_activations", "3_adaline_vs_perceptron", "4_xor",
                 "5_digits_history", "6_devices", "8_regression", "9_playground"]:
        assert f"sphx_glr_plot_{stem}_001.png" in images
        assert f"sphx_glr_plot_{stem}_thumb.png" in images


@pytest.mark.parametrize("page", ["perceptron", "gradient_descent", "xor", "mlp", "keras", "gpu", "playground"])
def test_user_guide_pages_show_their_pictures(html, page):
    text = (html / "user_guide" / f"{page}.html").read_text()
    pictures = re.findall(r'<img[^>]+src="([^"]+sphx_glr_plot_[^"]+\.png)"', text)
    assert pictures, f"no gallery figure on {page}"
    for src in pictures:
        assert (html / "user_guide" / src).resolve().exists()


def test_theme_version_and_source_links(html):
    text = (html / "index.html").read_text()
    assert "pydata-sphinx-theme" in text or "pydata_sphinx_theme" in text
    import sklshallow

    assert f"sklshallow {sklshallow.__version__}" in text
    api = (html / "api" / "MLPClassifierTF.html").read_text()
    assert "_modules/sklshallow" in api  # [source] links


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None,
                    reason="headless Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("page", ["user_guide/perceptron.html", "user_guide/mlp.html"])
def test_formulas_render_without_a_network(html, page, tmp_path):
    # Every connection fails (a dead proxy, and no host resolves): the page
    # has only what the built docs bundle.
    result = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=http://127.0.0.1:9",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000",
         "--dump-dom", (html / page).as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    dom = re.sub(r"<script.*?</script>", "", result.stdout, flags=re.S)
    assert "<mjx-container" in dom, result.stderr[-2000:]  # MathJax typeset the formulas
    text = re.sub(r"<[^>]+>", " ", dom)
    for raw in ("\\(", "\\[", "\\leftarrow", "\\operatorname", "\\hat"):
        assert raw not in text, f"raw LaTeX {raw!r} left in {page}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example, tmp_path):
    result = subprocess.run([sys.executable, str(example)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=600, env={**__import__("os").environ,
                                                            "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stdout + result.stderr
