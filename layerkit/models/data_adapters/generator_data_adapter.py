"""``GeneratorDataAdapter``: a Python generator (or any iterator) yielding whole batches.

Each item is ``(x, y)`` or ``(x, y, sample_weight)`` (``x`` or ``(x,)`` to
predict). An iterator can be read only once: its batches go on from one epoch to
the next (``steps_per_epoch`` batches each), and when it runs out the epoch ends
there, with Keras's warning, and training stops.
"""

import collections

from layerkit.models.data_adapters.data_adapter import DataAdapter


class GeneratorDataAdapter(DataAdapter):
    """The batches an iterator yields, in its order.

    Parameters
    ----------
    generator : iterator
    require_tuple : bool
        Whether each batch must be a tuple (``fit`` and ``evaluate``, which need
        targets), as Keras requires.

    Raises
    ------
    ValueError
        For an iterator that yields nothing, or (with ``require_tuple``) whose first
        batch is not a tuple.

    Example
    -------
    >>> import numpy as np
    >>> batches = ((np.ones((2, 1)) * k, np.zeros(2)) for k in range(3))
    >>> adapter = GeneratorDataAdapter(batches)
    >>> [batch[0][0, 0] for batch, _ in adapter.get_numpy_iterator()]
    [np.float64(0.0), np.float64(1.0), np.float64(2.0)]
    """

    one_shot = True

    def __init__(self, generator, require_tuple=True):
        self.generator = generator
        self.require_tuple = require_tuple
        self._pending = collections.deque()
        self._yielded = 0
        if not self.has_more():
            raise ValueError("When passing a Python generator to a Keras model, the generator "
                             "must yield at least one batch. Received an empty generator.")
        self._check_tuple(self._pending[0], 0)

    @property
    def kind(self):
        return type(self.generator).__name__

    def _check_tuple(self, batch, count):
        if self.require_tuple and not isinstance(batch, tuple):
            raise ValueError(
                f"Batch {count} of the generator: when passing a Python generator to a Keras model, "
                "the generator must return a tuple, either (input,) or (inputs, targets) or "
                f"(inputs, targets, sample_weights). Received: an object of type "
                f"{type(batch).__name__}")

    def has_more(self):
        """Whether the iterator still has a batch (one is read ahead and kept if so)."""
        if self._pending:
            return True
        try:
            self._pending.append(next(self.generator))
        except StopIteration:
            return False
        return True

    def _next(self):
        if not self.has_more():
            raise StopIteration
        batch = self._pending.popleft()
        count = self._yielded
        self._yielded += 1
        self._check_tuple(batch, count)
        return batch, f"the generator's batch {count}"

    def get_numpy_iterator(self, epoch=0, iterations=0):
        while True:
            try:
                batch = self._next()
            except StopIteration:
                return
            yield batch

    def first_batch(self):
        self.has_more()
        return self._pending[0], f"the generator's batch {self._yielded}"
