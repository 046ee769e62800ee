"""Rescaling: an affine map with fixed numbers, ``Y = X · scale + offset``."""

import numpy as np

from layerkit.layers.layer import Layer


def _serialize(value):
    """A number as itself; an array in Keras's ``__numpy__`` form."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__",
                "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    return value.item() if isinstance(value, np.generic) else value


def _deserialize(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        return np.array(value["config"]["value"], dtype=value["config"]["dtype"])
    return value


def _check(name, value):
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or not np.isfinite(array).all():
        raise ValueError(f"`{name}` of Rescaling must be a finite number or an array of them. "
                         f"Received: {name}={value!r}")
    return value


class Rescaling(Layer):
    """``Y = X · scale + offset`` (e.g. ``scale=1/255`` for pixels); backward ``dX = dY · scale``.

    ``scale`` and ``offset`` may be arrays that broadcast against one sample (per
    channel, along the last axis); they are constants, not weights.

    Parameters
    ----------
    scale : float or array-like
    offset : float or array-like
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a scale or offset that is not a finite number (or array of them), or one
        that does not broadcast against the input (when called).

    Example
    -------
    >>> import numpy as np
    >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0.0, 255.0]]))
    array([[-1.,  1.]], dtype=float32)
    """

    cache_names = ()

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = _check("scale", scale), _check("offset", offset)

    def compute_output_shape(self, input_shape):
        sample = tuple(1 if d is None else d for d in input_shape[1:])
        for name in ("scale", "offset"):
            shape = np.shape(getattr(self, name))
            try:
                fits = np.broadcast_shapes(sample, shape) == sample
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"`{name}` of layer {self.name!r} has shape {shape}, which does "
                                 f"not broadcast against one sample of shape {sample} (inputs "
                                 f"{tuple(input_shape)}).")
        return tuple(input_shape)

    def forward(self, x, training=False):
        scale = np.asarray(self.scale, dtype=x.dtype)
        return x * scale + np.asarray(self.offset, dtype=x.dtype)

    def backward(self, grad_output, input_gradient=True):
        """``dX = dY · scale``."""
        return grad_output * np.asarray(self.scale, dtype=grad_output.dtype)

    def get_config(self):
        return {**super().get_config(), "scale": _serialize(self.scale),
                "offset": _serialize(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["scale"], config["offset"] = _deserialize(config["scale"]), _deserialize(config["offset"])
        return cls(**config)
