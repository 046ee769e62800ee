"""``GradientTape``: record operations on watched values, then run them backward.

``watch`` turns values into Tensors whose operations are recorded while the tape's
``with`` block is open; ``gradient`` runs the reverse pass of
:mod:`layerkit.ops.backprop` from the targets and returns one gradient per source.
"""

import contextlib

import numpy as np

from layerkit import backend
from layerkit.ops import nest
from layerkit.ops.backprop import backpropagate, fresh_results
from layerkit.ops.operation import Leaf
from layerkit.ops.tensor import Tensor, value_of

_UNCONNECTED = ("none", "zero")


class GradientTape:
    """Records the operations on the values it watches, to compute their gradients.

    TensorFlow's API: ``watch`` a value inside the ``with`` block, compute with the
    Tensor it returns, then ask ``gradient(target, sources)``.

    Parameters
    ----------
    persistent : bool
        False (the default): ``gradient`` may be called once. True: any number of times.

    Example
    -------
    >>> from layerkit import ops
    >>> with ops.GradientTape() as tape:
    ...     w = tape.watch(np.array([1.0, 2.0]))
    ...     loss = ops.sum(w ** 2)
    >>> tape.gradient(loss, w)
    array([2., 4.])
    """

    def __init__(self, persistent=False):
        self.persistent = bool(persistent)
        self.recording = False  # read by Tensors and operations: record only while True
        self.operations = []    # what it recorded, in the order it ran (see record)
        self._used = False

    def __repr__(self):
        state = "recording" if self.recording else "not recording"
        return f"<GradientTape persistent={self.persistent}, {state}>"

    def __enter__(self):
        if self.recording:
            raise RuntimeError("This GradientTape is already recording (its `with` block is open).")
        self.recording = True
        return self

    def __exit__(self, *exc_info):
        self.recording = False

    def record(self, operation):
        """Add ``operation`` (just applied to this tape's Tensors) to :attr:`operations`.

        The operations call it. Their order is a topological one: each runs after the
        operations that made its inputs, so :meth:`gradient` walks it backward.
        """
        self.operations.append(operation)

    @contextlib.contextmanager
    def stop_recording(self):
        """A block in which this tape records nothing (its Tensors act as constants).

        Example
        -------
        >>> from layerkit import ops
        >>> with ops.GradientTape() as tape:
        ...     x = tape.watch(np.array([3.0]))
        ...     with tape.stop_recording():
        ...         print(type(x * 2).__name__)
        ndarray
        """
        if not self.recording:
            raise RuntimeError("stop_recording() is used inside the tape's `with` block.")
        self.recording = False
        try:
            yield
        finally:
            self.recording = True

    def watch(self, tensor):
        """Start recording ``tensor``; compute with the Tensor(s) returned.

        Parameters
        ----------
        tensor : array-like, Tensor, or a list, tuple or dict of them
            Floating-point values. Python numbers and lists become ``floatx()`` arrays.

        Returns
        -------
        Tensor, or the same structure of Tensors
            Recorded by this tape (a Tensor of this tape is returned as it is).

        Raises
        ------
        RuntimeError
            Outside the ``with`` block.
        ValueError
            For an integer or boolean value (no gradient), or a Tensor that another
            recording tape watches (nested tapes are not supported).
        """
        if not self.recording:
            raise RuntimeError("GradientTape.watch() must be called inside the "
                               "`with GradientTape() as tape:` block.")
        if type(tensor) is np.ndarray:  # one array: nothing to flatten
            return self._watch_one(tensor)
        return nest.pack_like(tensor, [self._watch_one(x) for x in nest.flatten(tensor)])

    def _watch_one(self, x):
        if isinstance(x, Tensor):
            if x.tape is self:
                return x
            if x.tape is not None and x.tape.recording:
                raise ValueError("This Tensor is recorded by another GradientTape that is still "
                                 "recording; nested tapes (higher-order gradients) are not supported. "
                                 "Watch `ops.stop_gradient(x)` to start from its value.")
            x = x.value
        if not isinstance(x, (np.ndarray, np.generic)):
            x = np.asarray(x, dtype=backend.floatx())
        value = np.asarray(x)
        if value.dtype.kind != "f":
            raise ValueError(f"Only floating-point values can be watched (integers have no gradient). "
                             f"Received dtype {value.dtype}; cast it first, e.g. "
                             f"`ops.cast(x, \"{backend.floatx()}\")`.")
        return Tensor(value, Leaf(), self)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """The gradient of ``target`` with respect to each source.

        ``d(Σ target · output_gradients)/d(source)``: with the default ``output_gradients``
        (ones) that is the gradient of ``target``'s sum.

        Parameters
        ----------
        target : Tensor or list of Tensors
            The value(s) to differentiate; several targets add up.
        sources : Tensor, or a list, tuple or dict of Tensors
            Watched values, or any Tensor computed on this tape.
        output_gradients : array-like or list, optional
            One per target, of its shape: dL/d(target). Ones by default.
        unconnected_gradients : {"none", "zero"}
            What a source the target does not depend on gets: None, or zeros.

        Returns
        -------
        ndarray (or None), or the structure of ``sources`` filled with them
            Each of its source's shape and dtype; fresh arrays, safe to modify.

        Raises
        ------
        RuntimeError
            On a second call to a non-persistent tape.
        TypeError
            If a source is not a Tensor.
        ValueError
            For an unknown ``unconnected_gradients`` or an output gradient of the wrong shape.
        """
        if unconnected_gradients not in _UNCONNECTED:
            raise ValueError(f"Unknown `unconnected_gradients`: {unconnected_gradients!r}. Expected "
                             f"one of {list(_UNCONNECTED)}.")
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only compute one set of gradients. "
                               "Use GradientTape(persistent=True) to call gradient() several times.")
        source_list = nest.flatten(sources)
        for position, source in enumerate(source_list):
            if not isinstance(source, Tensor):
                raise TypeError(
                    f"Sources must be Tensors (returned by tape.watch or computed with ops); source "
                    f"{position} is a {type(source).__name__}, a constant. Watch it and compute with "
                    "the Tensor returned: `w = tape.watch(w)`.")
        seeds = self._seeds(nest.flatten(target), output_gradients)
        self._used = True
        connected = [s.node for s in source_list if s.tape is self]
        found = backpropagate(self.operations[::-1], seeds, connected)
        return nest.pack_like(sources, fresh_results(source_list, found, seeds, unconnected_gradients))

    def _seeds(self, targets, output_gradients):
        """``{id(node): (node, dL/d(output))}`` for the targets recorded on this tape."""
        given = [None] * len(targets) if output_gradients is None else nest.flatten(output_gradients)
        if len(given) != len(targets):
            raise ValueError(f"`output_gradients` must hold one gradient per target: {len(targets)} "
                             f"targets, received {len(given)}.")
        seeds = {}
        for target, grad in zip(targets, given):
            if not isinstance(target, Tensor) or target.tape is not self:
                continue  # not computed on this tape: nothing flows from it
            if grad is None:
                grad = np.ones_like(target.value)
            else:
                grad = np.asarray(value_of(grad), dtype=target.dtype)
                if grad.shape != target.shape:
                    raise ValueError(f"An output gradient must have its target's shape "
                                     f"{target.shape}; received {grad.shape}.")
            node = target.node
            previous = seeds.get(id(node))
            seeds[id(node)] = (node, grad if previous is None else previous[1] + grad)
        return seeds
