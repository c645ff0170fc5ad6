"""The training loops shared by every estimator and every backend.

A backend runs one epoch of mini-batch steps (or gives the full-batch loss and
gradient for L-BFGS); everything between epochs happens here, once, in NumPy:
the batch order, ``tol`` and ``n_iter_no_change``, learning-rate schedules,
early stopping with the best weights, ``history_``, verbose lines, and the
stop on a non-finite loss.
"""

import contextlib
import signal
import threading
import time
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ._backends._random import shuffle


class Tasks:
    """Reports a fit's epochs (or L-BFGS iterations) to scikit-learn's
    callbacks as subtasks of the fit task; does nothing without callbacks.

    ``attributes(coefs, intercepts)`` maps parameters to the fitted
    attributes, from which the callbacks rebuild a ready-to-predict copy.
    """

    def __init__(self, est, context, X, y, attributes):
        self.est, self.context, self.X, self.y = est, context, X, y
        self.attributes = attributes
        self.current = None
        # Without callbacks (the fit's own or a meta-estimator's, merged into
        # its context) nobody reads the subtasks: skip their ~20 us an epoch.
        self.per_epoch = context is not None and bool(getattr(context, "_callbacks", True))

    def begin(self, name):
        if self.per_epoch:
            self.current = self.context.subcontext(task_name=name)
            self.current.call_on_fit_task_begin(estimator=self.est, X=self.X, y=self.y)

    def end(self, params):
        """End the current subtask; True if a callback asks to stop."""
        if self.current is None:
            return False
        task, self.current = self.current, None
        return task.call_on_fit_task_end(
            estimator=self.est,
            X=self.X,
            y=self.y,
            reconstruction_attributes=lambda: self.attributes(*params()),
        )


NO_TASKS = Tasks(None, None, None, None, None)


class DivergenceError(ValueError):
    """The loss became NaN or infinite during fit."""


def _check_finite_loss(loss, epoch, lbfgs=False):
    if np.isfinite(loss):
        return
    if lbfgs:  # no learning rate to lower
        where, advice = "iteration", "Scale the input"
    else:
        where = "epoch"
        advice = "Lower the learning rate (learning_rate_init or eta0), scale the input"
    raise DivergenceError(
        f"The training loss became {loss} at {where} {epoch}: training diverged. "
        f"{advice} (e.g. with StandardScaler) or raise alpha."
    )


@contextlib.contextmanager
def deferred_interrupt():
    """Let Ctrl-C stop training between epochs (or L-BFGS iterations).

    While training, the first SIGINT only sets ``hit``; the loop ends after
    the epoch under way, so the estimator keeps the weights of a complete
    epoch and consistent curves, with sklearn's warning. A second Ctrl-C
    interrupts at once. Only the main thread receives KeyboardInterrupt, and
    a SIGINT handler the user installed is theirs: both are left alone.
    """
    state = {"hit": False}
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield state
        return

    def handler(signum, frame):
        if state["hit"]:
            raise KeyboardInterrupt
        state["hit"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def _warn_interrupted():
    warnings.warn("Training interrupted by user.", UserWarning, stacklevel=4)


def _record(est, **values):
    for key, value in values.items():
        est.history_.setdefault(key, []).append(value)


def _print_epoch(est, epoch_time):
    line = f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}"
    if est.validation_scores_:
        line += f", validation score = {est.validation_scores_[-1]:.6f}"
    print(f"{line}, time = {epoch_time:.3f}s")


def init_stochastic_state(est, early_stopping):
    """Fitted attributes the stochastic loop keeps, as sklearn initialises them."""
    est.n_iter_ = 0
    est.t_ = est._first_t
    est.loss_curve_ = []
    est.history_ = {}
    init_stopping_state(est, early_stopping)


def init_stopping_state(est, early_stopping):
    """The stopping rule's attributes, as sklearn initialises them."""
    est._no_improvement_count = 0
    est._best_monitored = -np.inf
    if early_stopping:
        est.validation_scores_ = []
        est.best_validation_score_ = -np.inf
        est.best_loss_ = None
    else:
        est.validation_scores_ = None
        est.best_validation_score_ = None
        est.best_loss_ = np.inf


def fit_stochastic(
    est,
    backend,
    optimizer,
    n_samples,
    batch_size,
    *,
    max_iter,
    incremental=False,
    validation=None,
    tasks=NO_TASKS,
    loss_scale=1.0,
):
    """Run epochs of mini-batch steps until convergence or ``max_iter``.

    Parameters
    ----------
    est : estimator
        Holds the parameters (``shuffle``, ``tol``, ``n_iter_no_change``,
        ``verbose``, ``_random_state``) and receives the fitted attributes.
    backend : backend
        Runs one epoch; its data is already set.
    optimizer : SGD or Adam
        NumPy optimizer; owns the learning rate and its schedule.
    validation : callable or None
        With early stopping: returns the validation score and loss of the
        backend's current parameters.
    loss_scale : float
        Multiplies the backend's epoch loss: the perceptron trains unscaled
        weights (see ``PerceptronClassifier``) and reports the loss of the
        scaled ones.

    Returns
    -------
    coefs, intercepts : the trained (or, with early stopping, best) parameters.
    """
    order = np.arange(n_samples, dtype=np.intp)
    best = None
    est.n_iter_ = 0  # epochs of this call, as sklearn counts them
    tol = -np.inf if est.tol is None else est.tol  # tol=None: never converged
    with deferred_interrupt() as interrupt:
        for _ in range(max_iter):
            tasks.begin("epoch")
            start = time.perf_counter()
            if est.shuffle:
                # sklearn's shuffle(sample_idx) composes a shuffled arange with
                # the last order; shuffling the order itself makes the same
                # swaps from the same draws, so it is that order, without the
                # arange and the gather (and _random.shuffle makes them
                # faster than RandomState.shuffle).
                shuffle(est._random_state, order)
            loss = backend.run_epoch(optimizer, order, batch_size) * loss_scale
            diverged = not np.isfinite(loss)
            if diverged and best is None:
                _check_finite_loss(loss, est.n_iter_ + 1)
            est.n_iter_ += 1
            est.t_ += n_samples
            est.loss_ = loss
            est.loss_curve_.append(loss)

            if validation is not None:
                score, val_loss = validation() if not diverged else (np.nan, np.nan)
                est.validation_scores_.append(score)
                # Accuracy cannot see what class weights trade off: with
                # them, the (class-weighted) validation loss decides.
                monitored = -val_loss if est._monitors_val_loss() else score
                improved_by_tol = monitored >= est._best_monitored + tol
                if monitored > est._best_monitored:
                    est._best_monitored = monitored
                    est.best_validation_score_ = score
                    best = backend.snapshot()
            else:
                improved_by_tol = loss <= est.best_loss_ - tol
                est.best_loss_ = min(est.best_loss_, loss)
            est._no_improvement_count = (
                0 if improved_by_tol else est._no_improvement_count + 1
            )

            epoch_time = time.perf_counter() - start
            _record(est, loss=loss, epoch_time=epoch_time)
            if validation is not None:
                _record(est, val_loss=val_loss, val_score=score)
            if est.verbose:
                _print_epoch(est, epoch_time)
            if diverged:
                # As sklearn >= 1.6: early stopping keeps its best epoch.
                warnings.warn(
                    f"The training loss became {loss} at epoch {est.n_iter_}: "
                    "training diverged. Keeping the weights of the best epoch "
                    f"(validation score {est.best_validation_score_:.6f}).",
                    ConvergenceWarning,
                )
                break

            optimizer.iteration_ends(est.t_)
            if tasks.end(backend.snapshot):
                break
            if interrupt["hit"]:
                _warn_interrupted()
                break
            if est._no_improvement_count > est.n_iter_no_change:
                what = "Validation score" if validation is not None else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs."
                )
                if optimizer.trigger_stopping(msg, est.verbose):
                    break
                est._no_improvement_count = 0
            if incremental:
                break
            if est.n_iter_ == max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached "
                    "and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
    coefs, intercepts = backend.finish(optimizer)
    if best is not None:
        coefs, intercepts = best
    return coefs, intercepts


def _pack(arrays):
    return np.concatenate([a.ravel() for a in arrays]).astype(np.float64)


def fit_lbfgs(est, backend, coefs, intercepts, *, max_iter, max_fun, tol, tasks=NO_TASKS):
    """Minimise the full-batch loss with SciPy's L-BFGS-B.

    The backend computes the loss and its gradient at each point SciPy asks
    for; the loss recorded per iteration goes to ``history_``.
    """
    arrays = coefs + intercepts
    shapes = [a.shape for a in arrays]
    dtype = arrays[0].dtype
    splits = np.cumsum([a.size for a in arrays])[:-1]

    def unpack(x):
        for target, chunk, shape in zip(arrays, np.split(x, splits), shapes):
            target[...] = chunk.reshape(shape)

    def fun(x):
        unpack(x)
        loss, coef_grads, intercept_grads = backend.loss_and_grads()
        return loss, _pack(coef_grads + intercept_grads)

    est.history_ = {}
    est.t_ = 0  # as sklearn, whose t_ counts stochastic updates only
    last = [time.perf_counter()]
    tasks.begin("lbfgs-iter")

    def callback(intermediate_result):
        now = time.perf_counter()
        _record(est, loss=float(intermediate_result.fun), epoch_time=now - last[0])
        last[0] = now
        if est.verbose:
            print(
                f"Iteration {len(est.history_['loss'])}, "
                f"loss = {intermediate_result.fun:.8f}"
            )
        x = intermediate_result.x.astype(dtype)
        if tasks.end(lambda: (
            [c.reshape(a.shape) for c, a in zip(np.split(x, splits)[: len(coefs)], coefs)],
            [c for c in np.split(x, splits)[len(coefs):]],
        )):
            raise StopIteration
        if interrupt["hit"]:
            _warn_interrupted()
            raise StopIteration  # SciPy returns this iteration's point
        tasks.begin("lbfgs-iter")

    with deferred_interrupt() as interrupt:
        result = scipy.optimize.minimize(
            fun,
            _pack(arrays),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
    tasks.end(lambda: (coefs, intercepts))
    _check_finite_loss(result.fun, result.nit, lbfgs=True)
    if result.status not in (0, 99):  # 99: a callback asked to stop
        warnings.warn(
            "lbfgs failed to converge after {} iterations (status={}): {}. "
            "Increase max_iter or max_fun, or scale the data.".format(
                result.nit, result.status, result.message
            ),
            ConvergenceWarning,
        )
    unpack(result.x.astype(dtype, copy=False))
    est.n_iter_ = min(result.nit, max_iter)
    est.loss_ = float(result.fun)
    return coefs, intercepts
