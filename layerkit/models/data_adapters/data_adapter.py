"""``DataAdapter``: one kind of data (arrays, a generator, a PyDataset...) seen as batches.

An adapter knows how its data is read, not what the model needs: it yields each
batch as ``(batch, source)``, where ``batch`` is ``(x, y, sample_weight)`` as the
data holds it and ``source`` says where it came from (``"PyDataset[4]"``, ``"rows
64 to 95"``) for error messages. The :class:`~layerkit.models.epoch_iterator.EpochIterator`
checks each batch (unless the adapter says its batches are already checked), counts
the steps, and calls ``on_epoch_begin`` / ``on_epoch_end``.
"""


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A list is read as a tuple, as in Keras; anything else is ``x`` alone.

    Raises
    ------
    ValueError
        For a tuple of more than three items.

    Example
    -------
    >>> unpack_x_y_sample_weight(([1.0], [2.0]))
    ([1.0], [2.0], None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: a tuple of {len(data)} items.")


class DataAdapter:
    """Base class: the batches of one kind of data.

    Attributes
    ----------
    checked : bool
        Whether the batches are already checked sequences ``(xs, ys, sample_weight)``
        (``(xs,)`` for ``predict``) in the model's dtype, as the checks of
        :mod:`layerkit.models.data` return them.
    one_shot : bool
        Whether the data can be read only once (an iterator): its batches then go on
        from one epoch to the next, and it has an end.
    """

    checked = False
    one_shot = False

    @property
    def num_batches(self):
        """The batches of one pass over the data, or None when unknown."""
        return None

    @property
    def batch_size(self):
        """The samples per batch, or None when the data makes its own batches."""
        return None

    @property
    def num_samples(self):
        """The samples of one pass, or None when unknown."""
        return None

    def get_numpy_iterator(self, epoch=0, iterations=0):
        """An iterator over one pass: ``(batch, source)`` pairs.

        ``epoch`` and ``iterations`` (the optimizer's step count when the pass
        starts) seed a shuffled order, so that a resumed run reads the same order.
        """
        raise NotImplementedError

    def first_batch(self):
        """``(batch, source)`` of the first batch, without using it up."""
        raise NotImplementedError

    def has_more(self):
        """Whether a one-shot source still has a batch (others always do)."""
        return True

    def split(self, validation_split, validation_batch_size=None, validation_steps=None):
        """``(training, validation)`` adapters: the last share of the samples held out."""
        raise ValueError("Argument `validation_split` is only supported for NumPy arrays (memmaps "
                         "and h5py datasets included): pass `validation_data` instead. Received "
                         f"data of type {self.kind}.")

    @property
    def kind(self):
        """What the data is, for messages."""
        return type(self).__name__

    def on_epoch_begin(self):
        """Called by the epoch iterator when an epoch begins."""

    def on_epoch_end(self):
        """Called by the epoch iterator when an epoch ends (not after an error)."""

    def stop(self):
        """Release what a pass holds (reading threads); called after every epoch, errors included."""
