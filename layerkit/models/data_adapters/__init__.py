"""Data adapters: each kind of data ``fit``, ``evaluate`` and ``predict`` accept, seen as batches.

=======================  ==========================================================
data                     adapter
=======================  ==========================================================
arrays in memory         :class:`ArrayDataAdapter` (checked once, sliced per batch)
memmaps, h5py datasets   :class:`SlicedDataAdapter` (read and checked per batch)
a generator / iterator   :class:`GeneratorDataAdapter` (read once, checked per batch)
a ``PyDataset``          :class:`PyDatasetAdapter` (by index, threads optional)
=======================  ==========================================================

:func:`get_data_adapter` picks one, and refuses what does not go with the data
(``y`` beside a generator...) with Keras's messages.
"""

import collections.abc
import warnings

from layerkit.models.data_adapters.array_data_adapter import ArrayDataAdapter
from layerkit.models.data_adapters.data_adapter import DataAdapter, unpack_x_y_sample_weight
from layerkit.models.data_adapters.generator_data_adapter import GeneratorDataAdapter
from layerkit.models.data_adapters.py_dataset_adapter import PyDatasetAdapter
from layerkit.models.data_adapters.sliced_data_adapter import SlicedDataAdapter, contains_lazy_arrays
from layerkit.utils.py_dataset import PyDataset

__all__ = ["ArrayDataAdapter", "DataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
           "SlicedDataAdapter", "get_data_adapter", "is_data_stream", "unpack_x_y_sample_weight"]


def is_data_stream(x):
    """Whether ``x`` makes its own batches: a PyDataset, an iterator, or an adapter.

    Example
    -------
    >>> is_data_stream(iter([])), is_data_stream([1.0, 2.0])
    (True, False)
    """
    return isinstance(x, (PyDataset, DataAdapter, collections.abc.Iterator))


def _refuse(arg_name, description, kind):
    raise ValueError(f"When providing `x` as a {kind}, `{arg_name}` should not be passed. "
                     f"Instead, {description} should be included as part of the {kind}.")


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                     class_weight=None, seed=None, caller="fit", check_arrays=None):
    """The adapter for ``x`` (and ``y``, ``sample_weight``), as Keras chooses it.

    Parameters
    ----------
    x, y, sample_weight
        What ``fit``/``evaluate``/``predict`` were given.
    batch_size : int, optional
        For arrays (data that makes its own batches ignores it); when not given,
        ``ceil(samples / steps)`` with ``steps``, else 32, as in Keras.
    steps : int, optional
        The steps per epoch asked for.
    shuffle : bool or "batch"
    class_weight : dict, optional
        Only checked here (the batches' checks apply it).
    seed : int, optional
        The shuffling seed.
    caller : str
    check_arrays : callable
        ``check_arrays(x, y, sample_weight)``: arrays in memory, checked whole.

    Raises
    ------
    ValueError
        For ``y`` or ``sample_weight`` beside a PyDataset or a generator, or
        ``class_weight`` beside a generator (Keras's rules).

    Example
    -------
    >>> type(get_data_adapter(iter([(1.0, 2.0)]))).__name__
    'GeneratorDataAdapter'
    """
    if isinstance(x, DataAdapter):
        return x
    if isinstance(x, PyDataset):
        if y is not None:
            _refuse("y", "the targets", "PyDataset")
        if sample_weight is not None:
            _refuse("sample_weights", "the sample weights", "PyDataset")
        return PyDatasetAdapter(x, shuffle=shuffle, seed=seed)
    if isinstance(x, collections.abc.Iterator):
        if y is not None:
            _refuse("y", "the targets", "generator")
        if sample_weight is not None:
            _refuse("sample_weights", "the sample weights", "generator")
        if class_weight is not None:
            raise ValueError("Argument `class_weight` is not supported for Python generator "
                             f"inputs. Received: class_weight={class_weight}")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` was "
                          "provided as a generator. The generator is expected to yield "
                          "already-shuffled data.", stacklevel=4)
        return GeneratorDataAdapter(x, require_tuple=caller != "predict")
    if contains_lazy_arrays(x, y, sample_weight):
        return SlicedDataAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                                 seed=seed, caller=caller, steps=steps)
    return ArrayDataAdapter(check_arrays(x, y, sample_weight), batch_size, shuffle=shuffle,
                            seed=seed, steps=steps, reuse_buffers=caller == "fit")
