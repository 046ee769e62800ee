"""ActivityRegularization: the identity, with a penalty on what passes through it."""

from layerkit import regularizers
from layerkit.layers.layer import Layer


class ActivityRegularization(Layer):
    """``Y = X``, and ``(l1·Σ|Y| + l2·Σ Y²) / N`` added to the loss (as Keras does).

    The layer only sets its ``activity_regularizer`` (an ``L1L2``); the engine adds the
    penalty, divided by the batch size, to the loss, and its gradient
    ``(l1·sign(Y) + 2·l2·Y) / N`` to the gradient arriving at this layer. Its own
    backward is the identity.

    Parameters
    ----------
    l1, l2 : float
        Non-negative factors.
    **kwargs
        ``name``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        For a negative, NaN or infinite factor.

    Example
    -------
    >>> import numpy as np
    >>> layer = ActivityRegularization(l2=0.5)
    >>> layer(np.array([[1.0, -2.0]])), layer.activity_regularizer(np.array([[1.0, -2.0]]))
    (array([[ 1., -2.]], dtype=float32), 2.5)
    """

    cache_names = ()

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = self.activity_regularizer.l1, self.activity_regularizer.l2

    def forward(self, x, training=False):
        return x

    def backward(self, grad_output, input_gradient=True):
        """The identity: the penalty's gradient is added by the engine before this runs."""
        return grad_output

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
