"""Ctrl-C held back while something must happen whole: an optimizer step, a file being built.

A training step updates many weight arrays and the optimizer's state one after the
other; a ``KeyboardInterrupt`` raised between two of them would leave a model half at
step k and half at step k + 1, and a later save would mix the two. Inside
:func:`deferred_interrupts` a SIGINT is remembered instead, and raised as soon as the
block ends: the step is then applied whole, and the interrupt still arrives.

Installing a signal handler costs microseconds, too much for every step of a small
network, so ``fit`` installs the handler once (:func:`interrupt_handler`) and each step
only marks its critical section, which costs a counter.

This module imports nothing of layerkit.
"""

import contextlib
import signal
import threading

try:  # the C functions under `signal`: its wrappers convert every handler through enums,
    import _signal as _signals  # 2 µs a call, three calls for each fit or train_on_batch
except ImportError:  # a Python without them
    _signals = signal

_depth = 0          # how many deferred_interrupts blocks are open
_pending = None     # (signum, frame) of a SIGINT that arrived inside one
_previous = None    # the handler ours replaced, while ours is installed


def _handler(signum, frame):
    global _pending
    if _depth > 0:
        _pending = (signum, frame)
    else:
        _previous(signum, frame)


def _replaceable_handler():
    """The SIGINT handler ours would replace, or None where ours is not installed: outside
    the main thread, or when SIGINT is ignored or left to the system's default action."""
    if threading.current_thread() is not threading.main_thread():
        return None
    handler = _signals.getsignal(signal.SIGINT)
    return handler if callable(handler) else None


def _install(replaced):
    global _previous
    _previous = replaced
    _signals.signal(signal.SIGINT, _handler)


def _uninstall():
    global _previous
    _signals.signal(signal.SIGINT, _previous)
    _previous = None


@contextlib.contextmanager
def interrupt_handler():
    """Install the deferring SIGINT handler for the block (once; nested blocks reuse it).

    Outside a :func:`deferred_interrupts` block, Ctrl-C behaves as usual. Nothing is
    installed outside the main thread, or when SIGINT is ignored or left to the
    system's default action.
    """
    replaced = None if _previous is not None else _replaceable_handler()
    if replaced is None:
        yield
        return
    _install(replaced)
    try:
        yield
    finally:
        _uninstall()


def deferred_interrupts():
    """Hold Ctrl-C until the block ends, then raise it: the block runs whole.

    Cheap (a counter) where :func:`interrupt_handler` is already in place; otherwise
    the block installs the handler for itself (where it can: see :func:`interrupt_handler`).

    Example
    -------
    >>> weights = [1.0, 2.0]
    >>> with deferred_interrupts():
    ...     weights[0] -= 0.5
    ...     weights[1] -= 0.5
    >>> weights
    [0.5, 1.5]
    """
    if _previous is not None:
        return _HELD
    replaced = _replaceable_handler()
    return _HELD if replaced is None else _Installing(replaced)


class _Held:
    """A block of :func:`deferred_interrupts` (shared: the count is the module's)."""

    __slots__ = ()

    def __enter__(self):
        global _depth
        _depth += 1
        return self

    def __exit__(self, *exc_info):
        global _depth, _pending
        _depth -= 1
        if _depth == 0 and _pending is not None:
            signum, frame = _pending
            _pending = None
            _previous(signum, frame)
        return False


class _Installing(_Held):
    """A block of :func:`deferred_interrupts` that installs the handler for itself."""

    __slots__ = ("_replaced",)

    def __init__(self, replaced):
        self._replaced = replaced

    def __enter__(self):
        _install(self._replaced)
        return super().__enter__()

    def __exit__(self, *exc_info):
        try:
            return super().__exit__(*exc_info)
        finally:
            _uninstall()


_HELD = _Held()
