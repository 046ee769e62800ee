"""The array back end: float precision, array creation, randomness and names.

Every array layerkit makes is made here, in the dtype ``floatx()`` names, so that
the rest of the code can stay plain NumPy math (``x @ w + b``) while another
array library could later be plugged in behind these few helpers. One idea a module:

- :mod:`~layerkit.backend.config`: ``floatx``, ``epsilon`` and dtype names;
- :mod:`~layerkit.backend.arrays`: arrays made in ``floatx()``, ``sum_rows`` and ``positive_part``;
- :mod:`~layerkit.backend.generator`: the one seeded random generator;
- :mod:`~layerkit.backend.names`: automatic layer names, ``clear_session``.

The backend imports nothing else of layerkit; everything else may import it.
"""

from layerkit.backend.arrays import (
    convert_to_array,
    copy,
    empty,
    full,
    ones,
    positive_part,
    sum_rows,
    zeros,
    zeros_like,
)
from layerkit.backend.config import (
    FLOAT_DTYPES,
    epsilon,
    floatx,
    is_float_dtype,
    set_epsilon,
    set_floatx,
    standardize_dtype,
)
from layerkit.backend.generator import make_generator, random_generator, set_random_seed
from layerkit.backend.names import clear_session, to_snake_case, unique_name

__all__ = ["FLOAT_DTYPES", "floatx", "set_floatx", "epsilon", "set_epsilon", "standardize_dtype",
           "is_float_dtype", "convert_to_array", "zeros", "ones", "full", "empty", "zeros_like",
           "copy", "sum_rows", "positive_part", "set_random_seed", "random_generator",
           "make_generator", "to_snake_case", "unique_name", "clear_session"]
