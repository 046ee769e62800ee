"""``backend.standardize_dtype``: NumPy's canonical names, the same when asked again."""

import numpy as np
import pytest

from layerkit import backend


@pytest.mark.parametrize("dtype", ["float32", "f4", np.float32, np.dtype("float32"), "float64",
                                   float, np.float64, "int32", np.int64, "bool", "float16"])
def test_a_dtype_is_named_as_numpy_names_it_every_time(dtype):
    expected = np.dtype(dtype).name
    assert backend.standardize_dtype(dtype) == expected
    assert backend.standardize_dtype(dtype) == expected  # kept: the same answer


def test_none_is_floatx_whatever_it_is_now():
    old = backend.floatx()
    try:
        backend.set_floatx("float64")
        assert backend.standardize_dtype(None) == "float64"
        backend.set_floatx("float32")
        assert backend.standardize_dtype(None) == "float32"
    finally:
        backend.set_floatx(old)


@pytest.mark.parametrize("bad", ["no such dtype", object(), [1]])
def test_what_is_no_dtype_is_refused_every_time(bad):
    for _ in range(2):
        with pytest.raises(TypeError):
            backend.standardize_dtype(bad)
