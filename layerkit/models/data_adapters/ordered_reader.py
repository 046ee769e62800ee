"""``OrderedReader``: read items ahead in threads, hand them out in their order.

A PyDataset with ``workers > 1`` is read by a pool of that many threads, at most
``max_queue_size`` batches ahead of the training loop. The batches come out in the
order of the indices whatever thread finishes first, so training sees exactly the
batches one worker would give. An error raised while reading a batch is raised
again when that batch's turn comes.
"""

import collections
from concurrent.futures import ThreadPoolExecutor


class OrderedReader:
    """An iterator over ``(read(index), index)`` for each index, read ahead in threads.

    Parameters
    ----------
    read : callable
        ``read(index)``: the item at ``index`` (called in worker threads).
    indices : iterable of int
        May be endless.
    workers : int
        Threads.
    max_queue_size : int
        Items read ahead at most.

    Example
    -------
    >>> reader = OrderedReader(lambda i: i * i, range(5), workers=3, max_queue_size=2)
    >>> [item for item, _ in reader]
    [0, 1, 4, 9, 16]
    """

    def __init__(self, read, indices, workers, max_queue_size):
        self._read = read
        self._indices = iter(indices)
        self._max_queue_size = max_queue_size
        self._pending = collections.deque()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="layerkit_reader")
        self._fill()

    def _fill(self):
        while self._pool is not None and len(self._pending) < self._max_queue_size:
            index = next(self._indices, None)
            if index is None:
                return
            self._pending.append((index, self._pool.submit(self._read, index)))

    def __iter__(self):
        return self

    def __next__(self):
        if not self._pending:
            self.close()
            raise StopIteration
        index, future = self._pending.popleft()
        try:
            item = future.result()
        except BaseException:
            self.close()
            raise
        self._fill()
        return item, index

    def close(self):
        """Cancel the reads not started, wait for those under way, and stop the threads."""
        if self._pool is None:
            return
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
