"""Layer names: Keras's snake case, and automatic ``dense``, ``dense_1``... per session.

Imports nothing of layerkit.
"""

import re

_name_counts = {}


def to_snake_case(name):
    """``"GlorotUniform"`` -> ``"glorot_uniform"`` (Keras's rule).

    Example
    -------
    >>> to_snake_case("GlorotUniform")
    'glorot_uniform'
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(prefix):
    """Return ``prefix`` the first time, then ``prefix_1``, ``prefix_2``... (per session).

    Example
    -------
    >>> clear_session(); unique_name("dense"), unique_name("dense")
    ('dense', 'dense_1')
    """
    count = _name_counts.get(prefix, 0)
    _name_counts[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def clear_session():
    """Reset automatic names (``dense``, ``dense_1``...) as Keras's ``clear_session`` does.

    Example
    -------
    >>> unique_name("block"); clear_session(); unique_name("block")
    'block'
    'block'
    """
    _name_counts.clear()
