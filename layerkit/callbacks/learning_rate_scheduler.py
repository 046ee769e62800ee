"""``LearningRateScheduler``: set the learning rate at the start of each epoch."""

import inspect

import numpy as np

from layerkit import distribution
from layerkit.callbacks.callback import Callback
from layerkit.callbacks.function_config import function_from_config, function_to_config
from layerkit.callbacks.learning_rate import get_learning_rate


def _takes_learning_rate(schedule):
    """Whether ``schedule`` accepts ``(epoch, lr)`` (else it is called with ``epoch`` alone)."""
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # no signature to read: try the newer API
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class LearningRateScheduler(Callback):
    """At each epoch's start, ``optimizer.learning_rate = schedule(epoch, lr)``.

    ``schedule(epoch, lr)`` gets the 0-based epoch and the current rate; a
    function of the epoch alone, ``schedule(epoch)``, works too (Keras's older
    API). The epoch logs get ``learning_rate``.

    Parameters
    ----------
    schedule : callable
        ``(epoch, lr) -> float`` or ``epoch -> float``.
    verbose : int
        1 prints the rate set at each epoch.

    Raises
    ------
    TypeError
        If ``schedule`` is not callable; at an epoch, if the optimizer follows a schedule.
    ValueError
        At an epoch, if ``schedule`` returns something other than a float (Keras's
        check), or a negative or non-finite rate.

    Example
    -------
    >>> from layerkit.optimizers import SGD
    >>> class Model:
    ...     optimizer = SGD(learning_rate=0.1)
    >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr / 2)
    >>> scheduler.set_model(Model())
    >>> for epoch in range(3):
    ...     scheduler.on_epoch_begin(epoch)
    >>> Model.optimizer.learning_rate
    0.025
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        schedule = function_from_config(schedule, "LearningRateScheduler", "schedule")
        if schedule is None:
            raise TypeError("`schedule` of LearningRateScheduler must be a function. "
                            "Received: schedule=None")
        self.schedule, self.verbose = schedule, verbose
        self._two_arguments = _takes_learning_rate(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        current = get_learning_rate(optimizer, "LearningRateScheduler")
        learning_rate = self.schedule(epoch, current) if self._two_arguments else self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        if not np.isfinite(learning_rate) or learning_rate < 0:
            raise ValueError(f"The output of the `schedule` function should be a finite, "
                             f"non-negative float. Got: {learning_rate} at epoch {epoch}")
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0 and distribution.is_chief():
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.current_learning_rate())

    def get_config(self):
        """``{"schedule", "verbose"}``; the schedule by registered name (see ``function_config``)."""
        return {"schedule": function_to_config(self.schedule), "verbose": self.verbose}
