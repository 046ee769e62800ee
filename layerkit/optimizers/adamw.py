"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from layerkit.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose weight decay is decoupled from the gradient, on by default (0.004).

    Each update, ``w -= w · weight_decay · lr`` first, then Adam's step
    (``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²``,
    ``w -= lr · sqrt(1 - b2^t) / (1 - b1^t) · m / (sqrt(v) + epsilon)``).

    Parameters
    ----------
    learning_rate : float or callable
        0.001 by default.
    weight_decay : float
        The decoupled decay rate, >= 0 (0.004); None is refused.
    beta_1, beta_2, epsilon, amsgrad
        As for :class:`~layerkit.optimizers.Adam`.
    **kwargs
        The other arguments of :class:`~layerkit.optimizers.Optimizer`.

    Raises
    ------
    ValueError
        If ``weight_decay`` is None, or an argument is out of its range.

    Example
    -------
    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> AdamW(learning_rate=0.1, weight_decay=0.5, epsilon=0.0).apply([np.array([2.0])], [w])
    >>> w     # 1 - 1 · 0.5 · 0.1, then Adam's first step of lr
    array([0.85])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
