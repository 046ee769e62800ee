"""How many threads NumPy's BLAS uses for a loop of steps, chosen by the size of their products.

A matrix product split over two threads pays to start and join them; for small
matrices that costs more than it saves, and one thread is faster. ``fit``,
``evaluate`` and ``predict`` estimate the multiply-adds of one step's products
(samples per batch x weights of the model, the products of a network of
``Dense`` layers) and, below :data:`ONE_THREAD_BELOW`, run the loop with one BLAS
thread, through ``threadpoolctl``; above it BLAS keeps its own default. Results
do not depend on the count beyond rounding (a product's sums may be split
differently).

The threshold is measured: ``python -m benchmarks.blas_threads`` times the three
products of a ``Dense`` step (forward, dW, dX) with one thread and with BLAS's
default over a grid of shapes. On a quiet two-core CI machine (OpenBLAS,
2026-12-02) two threads gain nothing below 262,144 multiply-adds per product
(ratio 1.00 for every shape, both dtypes) and win from 524,288 on (1.27-1.97x).
Since a step's sum of products bounds each product, a step below 500,000 has no
product that two threads would speed up, and one thread costs it nothing; it
spares it the cost of a second thread waiting for a busy core. That cost is
large: with the other core busy, the moons network (W1, float64, 4.6 million
multiply-adds a step, so above the threshold) takes 3.8 ms a step with two
threads and 1.05-1.24 ms with one. On a shared or busy machine, set
``LAYERKIT_BLAS_THREADS=1`` (or :func:`set_blas_threads`); ``auto`` is the best
choice for a machine of your own.
"""

import contextlib
import os

from threadpoolctl import ThreadpoolController

ONE_THREAD_BELOW = 500_000
"""Multiply-adds of a step's products (batch x weights) below which one thread is used."""

_controller = None  # threadpoolctl's controller of the BLAS libraries, made at the first loop
_setting = None  # None: from the environment; "auto"; or a count


def set_blas_threads(threads):
    """Fix the BLAS threads of training and inference loops, or choose them by shape again.

    Parameters
    ----------
    threads : int or "auto" or None
        A count of at least 1, used for every loop; ``"auto"`` to choose by the
        size of each loop's products; None (the default) to do what
        ``LAYERKIT_BLAS_THREADS`` says (``"auto"`` when it is not set).

    Raises
    ------
    ValueError
        For anything else.

    Example
    -------
    >>> set_blas_threads(1); blas_threads_for(10**9)
    1
    >>> set_blas_threads("auto"); blas_threads_for(10)
    1
    """
    global _setting
    _setting = None if threads is None else _checked(threads, "set_blas_threads")


def _checked(threads, where):
    if threads == "auto":
        return "auto"
    if isinstance(threads, str) and threads.strip().isdigit():
        threads = int(threads)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"{where}: the BLAS threads must be a count of at least 1 or 'auto'. "
                         f"Received: {threads!r}")
    return threads


def blas_threads_for(multiply_adds):
    """The threads for steps of ``multiply_adds`` (None: BLAS's own default).

    Example
    -------
    >>> set_blas_threads("auto")
    >>> blas_threads_for(1_000), blas_threads_for(10**10)
    (1, None)
    """
    setting = _setting
    if setting is None:
        setting = _checked(os.environ.get("LAYERKIT_BLAS_THREADS", "auto"),
                           "LAYERKIT_BLAS_THREADS")
    if setting != "auto":
        return setting
    return 1 if multiply_adds < ONE_THREAD_BELOW else None


def limited_threads(multiply_adds):
    """Context: BLAS uses :func:`blas_threads_for` threads inside it, its default after.

    Example
    -------
    >>> import numpy as np
    >>> with limited_threads(100):
    ...     product = np.ones((2, 2)) @ np.ones((2, 2))
    """
    threads = blas_threads_for(multiply_adds)
    if threads is None:
        return contextlib.nullcontext()
    return _Threads(threads)


class _Threads:
    """The BLAS libraries at ``threads`` threads inside the block, back to their counts after.

    ``threadpoolctl``'s ``limit()`` does the same after listing every library again,
    which costs a short ``predict`` or ``evaluate`` a tenth of its time or more; the
    libraries are listed once here (those loaded when the first loop runs, as before).
    """

    __slots__ = ("threads", "_before")

    def __init__(self, threads):
        self.threads, self._before = threads, []

    def __enter__(self):
        global _controller
        if _controller is None:
            _controller = ThreadpoolController().select(user_api="blas")
        self._before = [(library, library.num_threads)
                        for library in _controller.lib_controllers]
        for library, count in self._before:
            if count != self.threads:
                library.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc_info):
        for library, count in self._before:
            if count != self.threads:
                library.set_num_threads(count)
        return False
