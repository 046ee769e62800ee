"""Nested lists, tuples and dicts of values, flattened and rebuilt (``tape.watch`` and ``gradient``)."""

_NESTS = (dict, list, tuple)


def flatten(structure):
    """The leaves of a nest of lists, tuples and dicts, in order (a dict in its insertion order).

    Example
    -------
    >>> flatten({"w": [1, 2], "b": 3})
    [1, 2, 3]
    """
    if isinstance(structure, dict):
        structure = list(structure.values())
    elif not isinstance(structure, (list, tuple)):
        return [structure]
    leaves = []
    for value in structure:  # the leaves of a flat list without a call each
        if isinstance(value, _NESTS):
            leaves.extend(flatten(value))
        else:
            leaves.append(value)
    return leaves


def pack_like(structure, leaves):
    """``structure`` rebuilt with ``leaves`` (as many as :func:`flatten` gives) in place of its own.

    Example
    -------
    >>> pack_like({"w": [1, 2], "b": 3}, ["a", "b", "c"])
    {'w': ['a', 'b'], 'b': 'c'}
    """
    remaining = iter(leaves)
    return _pack(structure, remaining)


def _pack(structure, remaining):
    if isinstance(structure, dict):
        return {key: _pack(value, remaining) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_pack(value, remaining) if isinstance(value, _NESTS) else next(remaining)
                 for value in structure]
        if isinstance(structure, list):
            return items
        return structure._make(items) if hasattr(structure, "_fields") else tuple(items)
    return next(remaining)
