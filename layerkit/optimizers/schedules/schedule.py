"""The learning-rate schedule protocol: ``schedule(step) -> learning rate``, with a config."""


class LearningRateSchedule:
    """Base class: a callable from the optimizer's step count to a learning rate.

    Subclasses implement ``__call__(step)``, returning a Python float for a
    Python int step, and ``get_config()``; ``from_config(config)`` rebuilds them.

    Example
    -------
    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 / 2 ** step
    ...     def get_config(self):
    ...         return {}
    >>> Halving()(2)
    0.025
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self):
        """The constructor arguments, as a dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config):
        """Rebuild a schedule from :meth:`get_config`'s output."""
        return cls(**config)
