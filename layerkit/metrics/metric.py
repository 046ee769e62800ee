"""The ``Metric`` base class: named state accumulated batch by batch, read by ``result()``.

A metric's state is a few named arrays (counts, sums) that ``update_state``
adds to and ``result`` reads; because only sums are kept, a metric updated
batch by batch ends exactly where one update with the whole data set would.
The state is accumulated in float64 whatever the inputs' dtype.
"""

import numpy as np

from layerkit import backend, initializers, ops


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank alignment: drop (or add) a last axis of 1 when the ranks differ by one.

    Targets of shape ``(N,)`` against predictions of shape ``(N, 1)`` are
    compared as ``(N, 1)``, never broadcast into ``(N, N)``.

    Parameters
    ----------
    x1, x2 : ndarray
    expand_rank_1 : bool
        When the lower-ranked array has rank 1, expand it rather than squeeze the other.

    Returns
    -------
    (ndarray, ndarray)

    Example
    -------
    >>> a, b = squeeze_or_expand_to_same_rank(np.zeros(3), np.zeros((3, 1)))
    >>> a.shape, b.shape
    ((3, 1), (3, 1))
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def as_float_pair(y_true, y_pred):
    """``(y_true, y_pred)`` as float64 arrays of the same rank (Keras's alignment)."""
    y_pred = np.asarray(y_pred, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.float64)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def divide_no_nan(numerator, denominator):
    """``numerator / denominator``, and 0 where the denominator is 0 (Keras's ``divide_no_nan``).

    Example
    -------
    >>> divide_no_nan(np.array([1.0, 1.0]), np.array([2.0, 0.0]))
    array([0.5, 0. ])
    """
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


class Metric:
    """Base class of metrics: ``update_state``, ``result``, ``reset_state``, ``get_config``.

    A subclass declares its state with :meth:`add_variable` in ``__init__``
    (or when the first batch shows its shape), adds to it in ``update_state``
    and reads it in ``result``; ``reset_state`` sets every variable back to zero.

    Parameters
    ----------
    dtype : str, optional
        A float dtype for the result; None gives float64.
    name : str, optional
        The metric's name (in the training logs); the snake-cased class name,
        made unique in the session (``precision``, ``precision_1``...), by default.

    Raises
    ------
    ValueError
        If ``dtype`` is not a dtype (a name given first, where Keras's order puts the dtype).

    Example
    -------
    >>> class Count(Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.declare_state("n")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.n += len(y_true)
    ...     def result(self):
    ...         return self.as_result(self.n)
    >>> m = Count(); m.update_state([1, 2], [1, 2]); float(m([3], [3]))
    3.0
    """

    def __init__(self, dtype=None, name=None):
        try:
            self.dtype = None if dtype is None else backend.standardize_dtype(dtype)
        except TypeError:
            raise ValueError(
                f"{type(self).__name__}: {dtype!r} is not a dtype. A metric takes "
                "`(dtype=None, name=None)` in Keras's order: pass a name by keyword "
                f"(`name={dtype!r}`). Received: dtype={dtype!r}") from None
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._state_shapes = {}
        self._keras_variables = []  # (Variable, initial value) made by add_variable

    def declare_state(self, name, shape=()):
        """Declare a state variable of ``shape``, set to zeros, as the attribute ``name``.

        A scalar variable is a Python float (adding to it costs nothing), others
        are float64 arrays. Returns the new value.
        """
        shape = tuple(int(d) for d in shape)
        self._state_shapes[name] = shape
        setattr(self, name, 0.0 if shape == () else np.zeros(shape))
        return getattr(self, name)

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Keras's way to declare state: a :class:`~layerkit.ops.Variable` to ``assign_add`` to.

        ``reset_state`` puts it back to its initial value.

        Example
        -------
        >>> class Total(Metric):
        ...     def __init__(self):
        ...         super().__init__(name="total")
        ...         self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.total.assign_add(np.sum(y_pred))
        ...     def result(self):
        ...         return self.total.value
        >>> m = Total(); m.update_state(None, np.array([1.0, 2.0])); float(m.result())
        3.0
        """
        if aggregation not in ("sum", "mean", "only_first_replica", "none", None):
            raise ValueError(f"Invalid `aggregation`: {aggregation!r}.")
        value = initializers.get(initializer)(tuple(shape), dtype or "float64")
        variable = ops.Variable(value, name=name)
        self._keras_variables.append((variable, value.copy()))
        return variable

    @property
    def variables(self):
        """The state variables, as float64 arrays, in the order they were declared."""
        return [np.asarray(getattr(self, name), dtype=np.float64) for name in self._state_shapes] + [
            np.asarray(variable.value, dtype=np.float64) for variable, _ in self._keras_variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The metric's value over everything accumulated since the last reset."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Set every state variable back to zero (those of ``add_variable`` to their start)."""
        for name, shape in self._state_shapes.items():
            setattr(self, name, 0.0 if shape == () else np.zeros(shape))
        for variable, initial in self._keras_variables:
            variable.assign(initial)

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)``, then the ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def as_result(self, value):
        """``value`` as an array of the result dtype (float64 unless a float ``dtype`` was given)."""
        dtype = self.dtype if self.dtype is not None and backend.is_float_dtype(self.dtype) else np.float64
        return np.asarray(value, dtype=dtype)

    def get_config(self):
        """The constructor arguments, as a dict (Keras's keys)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

