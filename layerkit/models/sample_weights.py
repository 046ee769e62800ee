"""Sample weights given per output (Keras's ``sample_weight={output name: weights}`` or a list).

``fit`` takes one array of weights for every output, or one per output: a dict by
output name or a list in the order of the outputs (None, or a missing name, leaves an
output unweighted). The per-output arrays travel through batching, shuffling and
``validation_split`` as one object, :class:`OutputSampleWeights`, cut by rows the way
an array is: ``len(weights)`` is the number of samples and ``weights[rows]`` takes the
same rows of every array. The compiled loss and metrics then give each output its own
array (:func:`weights_for_output`).
"""


class OutputSampleWeights:
    """One array of sample weights (or None) per output, sliced by rows together.

    Parameters
    ----------
    arrays : list
        One entry per output, in the model's output order: an array whose first axis is
        the samples, or None for an output weighed as unweighted.

    Raises
    ------
    ValueError
        If no entry is an array, or the arrays have different numbers of rows.

    Example
    -------
    >>> import numpy as np
    >>> weights = OutputSampleWeights([np.array([1.0, 2.0, 3.0]), None])
    >>> len(weights), weights[1:].arrays[0].tolist(), weights[1:].arrays[1] is None
    (3, [2.0, 3.0], True)
    """

    def __init__(self, arrays):
        self.arrays = list(arrays)
        lengths = {len(a) for a in self.arrays if a is not None}
        if len(lengths) != 1:
            raise ValueError("OutputSampleWeights needs at least one array, all with the same "
                             f"number of rows. Received row counts {sorted(lengths)}.")
        self.num_samples = lengths.pop()

    def __len__(self):
        return self.num_samples

    def __getitem__(self, rows):
        """The same ``rows`` (a slice or an index array) of every output's weights."""
        return OutputSampleWeights([None if a is None else a[rows] for a in self.arrays])

    def for_output(self, index):
        """The weights of output ``index`` (None when that output is unweighted)."""
        return self.arrays[index]

    def __repr__(self):
        shapes = [None if a is None else a.shape for a in self.arrays]
        return f"OutputSampleWeights({shapes})"


def weights_for_output(sample_weight, index):
    """The sample weights output ``index`` is weighed by: its own when given per output,
    else the one array every output shares (or None).

    Example
    -------
    >>> import numpy as np
    >>> shared = np.ones(2)
    >>> weights_for_output(shared, 1) is shared
    True
    >>> weights_for_output(OutputSampleWeights([None, shared]), 1) is shared
    True
    """
    if isinstance(sample_weight, OutputSampleWeights):
        return sample_weight.for_output(index)
    return sample_weight


def shaped_for_output(label, weights, output_shape, caller):
    """Numeric sample weights checked against the output they weigh, in the shape the loss takes.

    Keras lines weights up with the loss values (the output's shape without its last
    axis): ``(N,)`` or ``(N, 1)`` give one weight per sample (returned as ``(N,)``); for a
    sequence output ``(N, T, D)``, ``(N, T)`` or ``(N, T, 1)`` give one per timestep
    (returned as ``(N, T)``).

    Raises
    ------
    ValueError
        Naming ``label`` and ``caller``, for a shape that does not line up or a negative weight.

    Example
    -------
    >>> import numpy as np
    >>> shaped_for_output("w", np.ones((4, 3, 1)), (None, 3, 2), "fit").shape
    (4, 3)
    """
    values = tuple(output_shape[1:-1])
    given = weights.shape[1:]
    if len(given) == len(values) + 1 and given[-1] == 1:
        given = given[:-1]  # (N, 1) or (N, T, 1): Keras drops the trailing axis of size 1
    fits = not given or (len(given) == len(values) and all(
        v is None or v == g for v, g in zip(values, given)))
    if not fits:
        per_value = "" if not values else (
            f", or one per timestep: shape (N, {', '.join(str(v) for v in values)})")
        raise ValueError(f"`{label}` of {caller}() must hold one non-negative weight per sample: "
                         f"shape (N,) or (N, 1){per_value}, for an output of shape "
                         f"{tuple(output_shape)}. Received shape {weights.shape}.")
    if (weights < 0).any():
        raise ValueError(f"`{label}` of {caller}() must hold non-negative weights. Received "
                         f"shape {weights.shape} with negative weights.")
    return weights.reshape(weights.shape[:1] + given)
