"""scikit-learn's callbacks (sklearn.callback) and the history display."""

import warnings

import numpy as np
import pytest
from sklearn import callback
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklshallow import HistoryDisplay, MLPClassifierTF, MLPRegressor, PerceptronClassifier

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)


def _quiet(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


@pytest.mark.parametrize("make", [
    lambda k: MLPClassifierTF(hidden_layer_sizes=(5,), max_iter=k, random_state=0),
    lambda k: MLPClassifierTF(hidden_layer_sizes=(5,), max_iter=k, solver="sgd", random_state=0),
    lambda k: PerceptronClassifier(max_iter=k, tol=None, random_state=0),
])
def test_scoring_monitor_scores_every_epoch_with_that_epochs_weights(make):
    monitor = callback.ScoringMonitor(scoring="accuracy")
    _quiet(make(4).set_callbacks(monitor), X, y)
    log = monitor.get_logs()
    rows = [r for r in log.data if len(r["task_id_path"]) == 2]
    assert [r["task_id_path"][-1] for r in rows] == [0, 1, 2, 3]
    for k, row in enumerate(rows, start=1):
        # The estimator stopped after k epochs scores what the monitor saw.
        assert row["accuracy"] == pytest.approx(_quiet(make(k), X, y).score(X, y))


def test_scoring_monitor_on_lbfgs_iterations():
    monitor = callback.ScoringMonitor(scoring="r2")
    reg = _quiet(MLPRegressor(solver="lbfgs", max_iter=5, random_state=0).set_callbacks(monitor), X, y)
    rows = [r for r in monitor.get_logs().data if len(r["task_id_path"]) == 2]
    assert len(rows) == reg.n_iter_ + 1  # one per iteration, and the final point
    assert rows[-1]["r2"] == pytest.approx(reg.score(X, y))


def test_progress_bar_alone_and_nested_in_gridsearch(capsys):
    pytest.importorskip("rich")
    _quiet(MLPClassifierTF(max_iter=3).set_callbacks(callback.ProgressBar()), X, y)
    out = capsys.readouterr().out
    assert "MLPClassifierTF - fit" in out and "100%" in out
    grid = GridSearchCV(make_pipeline(StandardScaler(), PerceptronClassifier(max_iter=3)),
                        {"perceptronclassifier__eta0": [0.1, 1.0]}, cv=2)
    _quiet(grid.set_callbacks(callback.ProgressBar()), X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out and "Pipeline - fit" in out


def test_a_callback_can_stop_training():
    class StopAfterTwo:
        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            pass

        def on_fit_task_end(self, estimator, context, **kwargs):
            return context.task_name == "epoch" and context.task_id == 1

    clf = MLPClassifierTF(max_iter=50).set_callbacks(StopAfterTwo()).fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2


def test_history_display_draws_history():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clf = _quiet(MLPClassifierTF(max_iter=20, early_stopping=True, n_iter_no_change=50,
                                 random_state=0), X, y)
    fig, ax = plt.subplots()
    display = HistoryDisplay.from_estimator(clf, ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    loss, val_loss, val = display.lines_
    np.testing.assert_allclose(loss.get_ydata(), clf.history_["loss"])
    np.testing.assert_allclose(val_loss.get_ydata(), clf.history_["val_loss"])
    np.testing.assert_allclose(val.get_ydata(), clf.history_["val_score"])
    np.testing.assert_array_equal(loss.get_xdata(), np.arange(1, 21))
    no_val = HistoryDisplay.from_estimator(_quiet(PerceptronClassifier(max_iter=5), X, y))
    assert len(no_val.lines_) == 1 and no_val.val_ax_ is None
    plt.close("all")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        HistoryDisplay.from_estimator(MLPClassifierTF())
