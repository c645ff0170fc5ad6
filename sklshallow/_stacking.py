"""Many fits trained as stacks of networks, through joblib.

Every scikit-learn tool that fits many estimators (searches,
``cross_validate``, ``validation_curve``, Bagging, one-vs-rest, ...) hands
its fits to ``sklearn.utils.parallel.Parallel``, that is to the active joblib
backend. ``StackingBackend`` is such a backend: it gathers the tasks into
stacks and hands each stack, as one task, to the backend that was active
around it (none, loky, threading, dask), so ``n_jobs`` and clusters keep
their meaning with stacks as their units.

A stack (``Stack``) runs its tasks, scikit-learn's own code, in threads of
its own. A fit by stochastic steps started in one of them trains through a
``StackMember`` (``_backends._member``), whose ``run_epoch`` hands the epoch
to the stack and waits. The stack's fits step in lanes: on NumPy one lane
per core the process may use (a fit keeps the lane it was given), on
TensorFlow one per device. When no thread of a lane is running Python code,
the lane's last fit to ask runs the waiting epochs at once (a ``Group`` per
network shape and rule, run by its backend: for NumPy one compiled epoch of
K networks, with the GIL released, so the lanes compute side by side), and
gives each fit its loss. Everything the lone fit decides, it still decides
for itself, in the same order and from its own RandomState: initial
weights, early-stopping split, each epoch's permutation, when to stop,
which weights to keep. Only the steps are shared, and a stacked step is the
lone step, so the results are the plain call's.

Design note, the CPU's side (measured on W6-W9, 2 cores):

- A fit whose epoch is busy with products (W4's: ~40 MFLOP, ~1 ms) gains
  nothing from sharing a compiled call: the stack's only gain is the cores.
  One lane holding all the fits computes while the others' Python waits,
  and every epoch's wake-ups fight the computing threads for the cores:
  thirty W4 fits took 1.25 s in one stack of 30, 1.04 s two at a time. So
  for such fits ``'auto'`` runs one fit per core, and a lane steps without
  waiting for fits that are still starting (``BUSY_EPOCH``).
- The lanes are the parallelism: a BLAS that threads its products too
  (OpenBLAS does above ~64^3) oversubscribes the cores and doubled each
  epoch's time. A stack with more than one lane runs its tasks with a
  single-threaded BLAS, as scikit-learn's KMeans does around its threads.
- Small fits (epochs of little work, where the Python between epochs is
  the cost) step together, K in one compiled call per lane.

Design note, joblib's side (``joblib.parallel``, ``_parallel_backends``):

- ``configure`` returns the number of workers joblib believes it has. With
  1, joblib runs the tasks itself, in order, and the backend never sees
  them: the backend reports a stack's room times the inner workers (at
  least 2), so that a tool's default ``n_jobs=None`` still reaches it.
- joblib dispatches only ``pre_dispatch`` tasks ahead (``2 * n_jobs``), in
  batches, and more as results come back. Tasks wait here until a stack is
  full, until joblib starts waiting for results (``retrieval_context``), or
  until a finished stack's callbacks have dispatched their successors; then
  the waiting tasks go out as stacks.
- Tools read ``effective_n_jobs()`` to split their work: Bagging makes that
  many chunks of estimators and passes that number back as ``n_jobs``. An
  ``n_jobs`` past what the inner backend can run at once (``n_jobs=-1``'s
  answer: the cores, or the cluster's) is such a count of tasks, not a
  request for workers: those stacks run in this process (whose NumPy stacks
  step their networks on every core).
- A stack's threads are as many as its room: ``stack_size``, or with
  ``'auto'`` what a memory budget allows for the first fit that joins (one
  thread until then), one per core for busy fits. However many tasks a call
  has, a
  stack holds at most ``MAX_STACK`` of them, and a process as many stacks
  as it has workers.
- Nested ``Parallel`` calls inside a task run sequentially in its thread
  (``get_nested_backend``): their fits join the same stack one after
  another.
- A task that runs Python code (preprocessing, scoring, a forest) holds
  its lane's next epoch until it asks for an epoch itself or ends, and a
  task that has not started its fit yet holds every lane's: so the fits of
  a stack start together and keep one shape (TensorFlow compiles per
  shape), at the price of waiting for neighbours that do other work. A fit
  the stack cannot take (lbfgs, ``partial_fit``) does not hold it, nor does
  a busy fit (above) one that is starting.
"""

import contextlib
import functools
import hashlib
import itertools
import math
import numbers
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
from joblib import register_parallel_backend
from joblib._parallel_backends import (
    FallbackToBackend,
    ParallelBackendBase,
    SequentialBackend,
)
from joblib.parallel import get_active_backend, parallel_config
from threadpoolctl import threadpool_limits

from ._backends import _member
from ._backends._numpy import NumpyBackend, NumpyGroup

# What "auto" lets one stack hold, in bytes (``StackMember.fit_bytes``):
# measured on W4, ~4 MiB more peak memory per fit of a stack; 48 MiB keeps
# that search within 1.5x of scikit-learn's peak. A TensorFlow device's
# stack pays by its size (one program steps all of it).
STACK_MEMORY = 48 * 2**20
TF_STACK_MEMORY = 256 * 2**20
MAX_STACK = 256
# A NumPy fit whose epoch has this many flops of products (~0.1 ms) is busy:
# "auto" runs such fits one per core (see the design note above).
BUSY_EPOCH = 4e6


def _cores():
    """The cores this process may use: joblib's count, or fewer where a
    parent set the usual limits (loky's workers get cores // n_jobs)."""
    limits = [joblib.cpu_count()] + [
        int(os.environ[var]) for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        if os.environ.get(var, "").isdigit() and int(os.environ[var]) > 0
    ]
    return min(limits)


def check_stack_size(stack_size):
    """Raise a clear error unless ``stack_size`` is a positive int or 'auto'."""
    if isinstance(stack_size, str):
        if stack_size != "auto":
            raise ValueError(f"stack_size must be a positive int or 'auto'; got {stack_size!r}.")
    elif not isinstance(stack_size, numbers.Integral) or isinstance(stack_size, bool):
        raise TypeError(
            f"stack_size must be a positive int or 'auto'; got {type(stack_size).__name__}."
        )
    elif stack_size < 1:
        raise ValueError(f"stack_size must be a positive int or 'auto'; got {stack_size}.")


class _Lane:
    """Members whose epochs run together: one compiled call per group on
    NumPy (a stack has a lane per core, so that one lane's Python runs
    while another's epoch computes), one per device on TensorFlow."""

    def __init__(self, key, lock):
        self.key = key
        self.cond = threading.Condition(lock)
        self.threads = 0  # threads whose fits train here
        self.running = 0  # of them, those running Python code: the epoch waits for them
        self.pending = {}  # member's seat -> (member, optimizer, order, batch_size)
        self.results = {}
        self.stepping = False


class Stack:
    """Tasks run in threads whose fits step together, one epoch at a time.

    Parameters
    ----------
    stack_size : int or 'auto'
        How many tasks run at once; ``'auto'``: as many as the memory budget
        allows for the first fit that joins (one until then).
    """

    def __init__(self, stack_size="auto"):
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._room = None if stack_size == "auto" else int(stack_size)
        self._cores = _cores()
        self._lanes = {}
        self._local = threading.local()  # .lane: the calling thread's lane, if any
        self._starting = 0  # threads in a task whose fit has not stepped yet: lanes wait
        self._together = True  # whether they wait
        self._threads = 0
        self._seats = itertools.count()
        self._groups = {}  # stacked arrays of a group of members, by lane and group key
        self._data = {}  # weak references to the data fits share, by content
        self._sizes = {}  # (group key, round) -> its number of fits
        self._alone = 0  # fits that trained alone in this stack's threads
        self._aborted = None
        self._tasks = []

    # ------------------------------------------------------------- threads

    def run(self, tasks):
        """Call each of ``tasks`` (functions of no argument) in this stack's
        threads. Returns their outcomes in order (``("ok", result)`` or
        ``("error", exception)``) and the number of fits of each stack of
        networks trained here (1: trained alone)."""
        self._tasks = list(enumerate(tasks))
        self._outcomes = [("error", RuntimeError("not run"))] * len(tasks)
        # The lanes use the cores: a BLAS that threads each product as well
        # would fight them for the cores (scikit-learn's KMeans limits its
        # BLAS around its threads for the same reason).
        limits = threadpool_limits(1, user_api="blas") if self._cores > 1 else None
        with limits or contextlib.nullcontext(), self._lock:
            self._spawn()
            while self._threads:
                self._done.wait()
        return self._outcomes, list(self._sizes.values()) + [1] * self._alone

    def _spawn(self):
        # With the lock held: a new thread's task holds the lanes' next
        # epochs until its fit steps (``_ready``).
        room = 1 if self._room is None else self._room
        while self._threads < room and self._tasks and self._aborted is None:
            self._threads += 1
            self._starting += 1
            threading.Thread(target=self._work, args=(self._tasks.pop(0),), daemon=True).start()

    def _work(self, task):
        _member.enter(self)
        self._local.lane = None
        self._local.rounds = {}  # group key -> fits of that key this thread started
        try:
            while True:
                index, call = task
                try:
                    self._outcomes[index] = ("ok", call())
                except BaseException as exc:  # each task fails as it would alone
                    self._outcomes[index] = ("error", exc)
                with self._lock:
                    self._stop_running(leave=True)
                    if self._tasks and self._aborted is None:
                        task = self._tasks.pop(0)
                        self._starting += 1
                    else:
                        task = None
                        self._threads -= 1
                        self._done.notify_all()
                    self._wake()
                if task is None:
                    return
        finally:
            _member.enter(None)

    def _stop_running(self, leave=False):
        # With the lock held: the calling thread stops running Python code
        # in its lane (or as a task that has not stepped yet); ``leave``:
        # and leaves the lane.
        lane = self._local.lane
        if lane is None:
            self._starting -= 1
            return
        lane.running -= 1
        if leave:
            lane.threads -= 1
            self._local.lane = None

    @contextlib.contextmanager
    def away(self):
        """The calling thread trains a fit alone: the stack goes on without it."""
        with self._lock:
            self._alone += 1
            self._stop_running()
            self._wake()
        try:
            yield
        finally:
            with self._lock:
                if self._local.lane is None:
                    self._starting += 1
                else:
                    self._local.lane.running += 1

    def join(self, member, arrays):
        """A fit starts training here: its data (one tuple of arrays per
        content, ``shared``). With ``stack_size='auto'``, the first fit
        decides how many tasks run at once; they start now, so that the
        stack's first epoch waits for their fits."""
        arrays = self.shared(arrays)
        with self._lock:
            if self._room is None:
                budget = STACK_MEMORY if member.device is None else TF_STACK_MEMORY
                room = budget // member.fit_bytes(arrays[0].shape)
                if member.device is None and member.epoch_flops(len(arrays[0])) >= BUSY_EPOCH:
                    room, self._together = min(room, self._cores), False
                self._room = int(np.clip(room, 1, MAX_STACK))
                self._spawn()
        return arrays

    def abort(self, exc):
        """Fail every epoch from now on with ``exc``, and start no more tasks."""
        with self._lock:
            self._aborted = exc
            self._wake()

    # -------------------------------------------------------------- epochs

    def submit(self, member, optimizer, order, batch_size):
        """Wait for this epoch of every fit of the member's lane; return
        this one's loss. The lane's last fit to ask runs the epoch."""
        with self._lock:
            if member.seat is None:  # in order of arrival, kept: groups rely on it
                member.seat = next(self._seats)
                self._count(member.group_key(optimizer, batch_size))
            lane = self._lane_for(member)
            lane.pending[member.seat] = (member, optimizer, order, batch_size)
            self._wake()
            while member.seat not in lane.results:
                if self._ready(lane):
                    self._step(lane)
                else:
                    lane.cond.wait()
            result = lane.results.pop(member.seat)
        if isinstance(result, BaseException):
            raise result
        return result

    def _count(self, key):
        # A stack of networks (``stack_sizes``) is the fits of one key that
        # the threads start as their first, their second, ... such fit:
        # those train at once (a thread's fits train one after another).
        rounds = self._local.rounds
        entry = key, rounds.get(key, 0)
        rounds[key] = entry[1] + 1
        self._sizes[entry] = self._sizes.get(entry, 0) + 1

    def _lane_for(self, member):
        # With the lock held. NumPy fits go to the core with the fewest
        # threads and stay there; a TensorFlow device steps all its fits.
        lane = self._local.lane
        key = ("device", member.device) if member.device is not None else None
        if lane is not None and (lane.key == key or (key is None and lane.key[0] == "core")):
            lane.running -= 1
            return lane
        self._stop_running(leave=True)
        if key is None:
            cores = [self._lanes.get(("core", i)) for i in range(self._cores)]
            i = min(range(self._cores), key=lambda i: cores[i].threads if cores[i] else 0)
            key = ("core", i)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key, self._lock)
        lane.threads += 1
        self._local.lane = lane
        return lane

    def _ready(self, lane):
        # A lane waits for the fits starting too, so that they start
        # together (and a device's programs keep one shape); one fit per
        # core needs no company.
        return lane.pending and not lane.stepping and (
            self._aborted is not None
            or (lane.running == 0 and (self._starting == 0 or not self._together)))

    def _wake(self):
        # With the lock held: a thread waiting in each lane that can step
        # now runs its epoch.
        for lane in self._lanes.values():
            if self._ready(lane):
                lane.cond.notify()

    def _step(self, lane):
        # With the lock held; released while the epoch runs, so that other
        # lanes step meanwhile.
        pending, lane.pending, lane.stepping = lane.pending, {}, True
        requests = [pending[seat] for seat in sorted(pending)]
        groups = {}
        for request in requests:
            member, optimizer, _, batch_size = request
            groups.setdefault(member.group_key(optimizer, batch_size), []).append(request)
        aborted = self._aborted
        self._lock.release()
        try:
            results = {}
            for key, group in groups.items():
                try:
                    if aborted is not None:
                        raise aborted
                    losses = self._run_group(lane.key, key, group)
                except BaseException as exc:  # each fit fails as it would alone
                    losses = [exc] * len(group)
                results.update((member.seat, loss) for (member, *_), loss in zip(group, losses))
        finally:
            self._lock.acquire()
        lane.results.update(results)
        lane.stepping = False
        lane.running += len(requests)  # they run again from now on
        lane.cond.notify_all()

    def _run_group(self, lane, key, requests):
        if key[0] == "lone" or (len(requests) == 1 and key[1] is None):
            # What a stack cannot step, and a NumPy member alone in its
            # lane: each as a lone fit (on its row of a group it was in).
            return [
                NumpyBackend.run_epoch(member, optimizer, order, batch_size)
                for member, optimizer, order, batch_size in requests
            ]
        members = [member for member, *_ in requests]
        group = self._groups.get((lane, key))
        if group is None or not group.takes(members):
            group = self._groups[lane, key] = _make_group(key, requests, group)
        return group.run_epoch(requests)

    # ---------------------------------------------------------------- data

    def shared(self, arrays):
        """One tuple of arrays per content: fits of one split (and of one
        early-stopping split) then hold the same arrays, for as long as any
        of them lives."""
        digest = hashlib.blake2b(digest_size=16)
        for a in arrays:
            if a is not None:
                digest.update(repr((a.shape, a.dtype.str)).encode())
                digest.update(np.ascontiguousarray(a).data)
            else:
                digest.update(b"None")
        key = digest.digest()
        with self._lock:
            refs = self._data.get(key)
            held = refs and [None if r is None else r() for r in refs]
            if held and all(h is not None or r is None for h, r in zip(held, refs)):
                return tuple(held)
            self._data[key] = [None if a is None else weakref.ref(a) for a in arrays]
            return arrays


def _make_group(key, requests, previous):
    if key[1] is None:
        return NumpyGroup(key, requests, previous)
    from ._backends._tensorflow import TensorFlowGroup  # a TensorFlow device

    return TensorFlowGroup(key, requests, previous)


def run_together(calls, stack_size=None):
    """Call each of ``calls`` (functions of no argument that fit) in one
    ``Stack``, all at once by default. Returns their results and the
    exceptions they raised (None where they did not), in order."""
    stack = Stack(len(calls) if stack_size is None else stack_size)
    outcomes, _ = stack.run(calls)
    results = [value if kind == "ok" else None for kind, value in outcomes]
    errors = [value if kind == "error" else None for kind, value in outcomes]
    return results, errors


class _StackTask:
    """One stack of joblib tasks, as one task of the inner backend.

    Called, it returns ``[(outcomes, sizes)]``: a list of one result, as a
    joblib batch of one call does (``items``, which dask reads, is that
    call), so that every backend hands it back the same way."""

    def __init__(self, tasks, stack_size):
        self.tasks, self.stack_size = tasks, stack_size
        self.stack = None  # set where it runs in this process: to abort it

    @property
    def items(self):
        return [(_run_stack, (self.tasks, self.stack_size), {})]

    def __call__(self):
        self.stack = Stack(self.stack_size)
        return [self.stack.run(self.tasks)]

    def __len__(self):
        return 1

    def __getstate__(self):
        return {"tasks": self.tasks, "stack_size": self.stack_size, "stack": None}


def _run_stack(tasks, stack_size):
    return Stack(stack_size).run(tasks)


class StackingBackend(ParallelBackendBase):
    """A joblib backend that trains the fits of its tasks as stacks.

    A layer over the backend active around it: it groups tasks into stacks
    and hands each stack, as one task, to that backend (its workers, its
    cluster), or runs them one after another where that backend would run
    the tasks sequentially.

    Parameters
    ----------
    stack_size : int or 'auto', default='auto'
        The most tasks (and so fits) one stack runs at once.
    backend : joblib backend, default=None
        The backend the stacks run on; None: the one active now.
    n_jobs : int, default=None
        Its number of workers when a tool passes ``n_jobs=None``; None: the
        active configuration's.
    stack_sizes : list, default=None
        Where each stack appends the number of fits of each group of
        networks it trained (1: a fit trained alone).
    verbose : int, default=0
        Print a line for each stack trained.
    """

    supports_retrieve_callback = True
    supports_inner_max_num_threads = False

    def __init__(self, stack_size="auto", backend=None, n_jobs=None, stack_sizes=None,
                 verbose=0, nesting_level=None, **kwargs):
        check_stack_size(stack_size)
        super().__init__(nesting_level=nesting_level, **kwargs)
        if backend is None:
            backend, n_jobs = get_active_backend()
        if isinstance(backend, StackingBackend):  # stacks do not stack again
            backend, n_jobs = backend.inner, backend.default_n_jobs
        self.inner = backend
        self.default_n_jobs = backend.default_n_jobs if n_jobs is None else n_jobs
        self.stack_size, self.verbose = stack_size, verbose
        self.stack_sizes = [] if stack_sizes is None else stack_sizes
        self._lock = threading.RLock()
        self._pending, self._running, self._runner = [], set(), None
        self._aborting = False

    @property
    def uses_threads(self):
        return getattr(self.inner, "uses_threads", False)

    @property
    def supports_sharedmem(self):
        return getattr(self.inner, "supports_sharedmem", False)

    def _room(self):
        return MAX_STACK if self.stack_size == "auto" else self.stack_size

    def _workers(self, n_jobs):
        if n_jobs is None:
            n_jobs = self.default_n_jobs
        workers = self.inner.effective_n_jobs(n_jobs)
        if workers > self.inner.effective_n_jobs(-1):
            # More than the inner backend can run at once: a count of tasks
            # (Bagging passes back its chunks), not of workers. The stacks
            # run here, where a stack steps its networks on every core.
            return 1
        return max(1, workers)

    def effective_n_jobs(self, n_jobs):
        if n_jobs == 0:
            raise ValueError("n_jobs == 0 in Parallel has no meaning")
        return max(2, self._room() * self._workers(n_jobs))

    def configure(self, n_jobs=1, parallel=None, prefer=None, require=None, **kwargs):
        self.parallel = parallel
        workers = self._workers(n_jobs)
        self._sequential = workers == 1
        if not self._sequential:
            try:
                workers = self.inner.configure(
                    n_jobs=workers, parallel=parallel, prefer=prefer, require=require, **kwargs
                )
            except FallbackToBackend:
                self._sequential, workers = True, 1
        if self._sequential and self._runner is None:
            # Where the inner backend would run tasks in order: one thread
            # runs the stacks in order.
            self._runner = ThreadPoolExecutor(1, thread_name_prefix="sklshallow-stack")
        self._n_workers = workers
        self._pending, self._aborting = [], False
        return max(2, self._room() * workers)

    def get_nested_backend(self):
        return SequentialBackend(nesting_level=(self.nesting_level or 0) + 1), None

    def start_call(self):
        if not self._sequential:
            self.inner.start_call()

    def stop_call(self):
        if not self._sequential:
            self.inner.stop_call()

    def terminate(self):
        if self._runner is not None:
            self._runner.shutdown(wait=False, cancel_futures=True)
            self._runner = None
        if not getattr(self, "_sequential", True):
            self.inner.terminate()

    def abort_everything(self, ensure_ready=True):
        with self._lock:
            self._aborting = True
            self._pending = []
            for task in self._running:
                if task.stack is not None:
                    task.stack.abort(RuntimeError("the parallel call was aborted"))
        if not self._sequential:
            self.inner.abort_everything(ensure_ready=ensure_ready)

    @contextlib.contextmanager
    def retrieval_context(self):
        self._flush()  # joblib has dispatched what it will for now
        with contextlib.ExitStack() as inner:
            if not self._sequential:
                inner.enter_context(self.inner.retrieval_context())
            yield

    # ------------------------------------------------------------- stacks

    def submit(self, func, callback=None):
        with self._lock:
            self._pending.append((func, callback))
            full = len(self._pending) >= self._room()
        if full:
            self._flush()

    def retrieve_result_callback(self, out):
        kind, value = out
        if kind == "error":
            raise value
        return value

    def _flush(self):
        """Send the tasks waiting here as stacks, spread over the workers."""
        with self._lock:
            pending, self._pending = self._pending, []
            if not pending or self._aborting:
                return
            n_stacks = max(math.ceil(len(pending) / self._room()),
                           1 if self._sequential else min(self._n_workers, len(pending)))
            bounds = np.linspace(0, len(pending), n_stacks + 1).round().astype(int)
            chunks = [pending[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
            tasks = [_StackTask([f for f, _ in chunk], self.stack_size) for chunk in chunks]
            self._running.update(tasks)
        for task, chunk in zip(tasks, chunks):
            start = time.perf_counter()
            done = functools.partial(self._done, task, chunk, start)
            if self._sequential:
                self._runner.submit(task).add_done_callback(done)
            else:
                self.inner.submit(task, callback=done)

    def _done(self, task, chunk, start, out):
        try:
            if self._sequential:
                result = out.result()
            else:
                result = self.inner.retrieve_result_callback(out)
            outcomes, sizes = result[0]
        except BaseException as exc:  # a worker died: each task of the stack fails
            outcomes, sizes = [("error", exc)] * len(chunk), []
        with self._lock:
            self._running.discard(task)
            self.stack_sizes.extend(sizes)
        if self.verbose and sizes:
            print(f"[sklshallow] a stack of {len(chunk)} tasks trained fits in stacks of "
                  f"{sizes} in {time.perf_counter() - start:.2f}s", flush=True)
        for (_, callback), outcome in zip(chunk, outcomes):
            callback(outcome)  # joblib records it and may dispatch more tasks
        self._flush()


class stacked:
    """Train the fits of sklshallow networks as stacks, in every joblib call.

    Inside the context, every scikit-learn tool that fits many estimators
    through joblib (``cross_validate``, ``validation_curve``,
    ``learning_curve``, searches, Bagging, one-vs-rest, ...) trains the fits
    of sklshallow networks with a stochastic solver ('sgd', 'adam', the
    perceptron), alone or at the end of a ``Pipeline``, as stacks: their
    mini-batch steps run together, each still exactly the fit it would be
    alone. Results equal the same call without the context; only the time
    changes. Other estimators and lbfgs fits run as they run today.

    The stacks run on the joblib backend active when the context is
    entered (its workers for an explicit ``n_jobs``, or a dask cluster).
    The same backend is registered with joblib as ``"sklshallow"``:
    ``joblib.parallel_config(backend="sklshallow", stack_size=...)``.

    Parameters
    ----------
    stack_size : int or 'auto', default='auto'
        The most fits one stack trains at once. ``'auto'`` fits as many as a
        budget of 48 MiB per stack allows (256 MiB on a TensorFlow device),
        and at most 256; on the CPU, fits whose epochs are busy with products
        (W4's digits network and larger) one per core, which is where their
        time goes.
    verbose : int, default=0
        Print a line for each stack trained.

    Attributes
    ----------
    stack_sizes : list of int
        One entry per group of networks trained as one stack while the
        context was open: its number of fits (1: trained alone). A stack's
        threads train their first fits together, then their second ones,
        ...: each round is an entry. Kept after the context closes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_validate
    >>> import sklshallow
    >>> X, y = load_iris(return_X_y=True)
    >>> net = sklshallow.MLPClassifierTF((8,), max_iter=20, random_state=0)
    >>> with sklshallow.stacked() as s:  # doctest: +SKIP
    ...     scores = cross_validate(net, X, y, cv=5)
    >>> s.stack_sizes  # doctest: +SKIP
    [5]
    """

    def __init__(self, stack_size="auto", *, verbose=0):
        self.stack_size, self.verbose = stack_size, verbose
        self.stack_sizes = []

    def __enter__(self):
        check_stack_size(self.stack_size)
        backend = StackingBackend(self.stack_size, stack_sizes=self.stack_sizes,
                                  verbose=self.verbose)
        self._config = parallel_config(backend=backend)
        self._config.__enter__()
        return self

    def __exit__(self, *exc_info):
        self._config.__exit__(*exc_info)


register_parallel_backend("sklshallow", StackingBackend)
