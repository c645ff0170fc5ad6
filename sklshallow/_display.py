"""HistoryDisplay: the training curves of a fitted estimator, sklearn style."""

from sklearn.utils.validation import check_is_fitted


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "HistoryDisplay needs matplotlib; install the 'plot' extra: "
            "pip install 'sklshallow[plot]'."
        ) from exc
    return plt


class HistoryDisplay:
    """Training history visualization: the loss and validation score per epoch.

    Build it with :meth:`from_estimator`; the parameters store the curves to
    draw, as scikit-learn's displays do.

    Parameters
    ----------
    loss : list of float
        The training loss of each epoch.
    val_score : list of float or None, default=None
        The validation score of each epoch (with ``early_stopping=True``).
    val_loss : list of float or None, default=None
        The validation loss of each epoch (with ``early_stopping=True``).
    estimator_name : str or None, default=None
        Name used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes of the loss curve.
    val_ax_ : matplotlib Axes or None
        The twin axes of the validation curve.
    figure_ : matplotlib Figure
        The figure holding the axes.
    lines_ : list of matplotlib Line2D
        The drawn curves.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklshallow import HistoryDisplay, MLPClassifierTF
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifierTF(max_iter=300, early_stopping=True, random_state=0).fit(X, y)
    >>> display = HistoryDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_]
    ['training loss', 'validation loss', 'validation score']
    """

    def __init__(self, *, loss, val_score=None, val_loss=None, estimator_name=None):
        self.loss = loss
        self.val_score = val_score
        self.val_loss = val_loss
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        name : str, default=None
            Title; the estimator's name when None.

        Returns
        -------
        display : HistoryDisplay
            With ``ax_``, ``val_ax_``, ``figure_`` and ``lines_`` set.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots()
        epochs = range(1, len(self.loss) + 1)
        self.lines_ = ax.plot(epochs, self.loss, color="C0", label="training loss")
        if self.val_loss is not None:
            self.lines_ += ax.plot(
                epochs, self.val_loss, color="C0", linestyle="--", label="validation loss"
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        self.val_ax_ = None
        if self.val_score is not None:
            self.val_ax_ = ax.twinx()
            self.lines_ += self.val_ax_.plot(
                epochs, self.val_score, color="C1", label="validation score"
            )
            self.val_ax_.set_ylabel("validation score")
        ax.legend(handles=self.lines_, loc="center right")
        title = name or self.estimator_name
        if title:
            ax.set_title(title)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Draw the history of a fitted sklshallow estimator.

        Parameters
        ----------
        estimator : fitted estimator with ``history_``
            An MLP or perceptron of this package.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        name : str, default=None
            Title; the estimator's class name when None.

        Returns
        -------
        display : HistoryDisplay
        """
        check_is_fitted(estimator, "history_")
        history = estimator.history_
        return cls(
            loss=history["loss"],
            val_score=history.get("val_score"),
            val_loss=history.get("val_loss"),
            estimator_name=type(estimator).__name__,
        ).plot(ax=ax, name=name)
