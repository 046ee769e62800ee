"""``TerminateOnNaN``: stop training when the loss stops being a finite number."""

import math

from layerkit import distribution
from layerkit.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    (``fit`` itself already refuses to apply a non-finite step; this callback
    is Keras's, for scripts that use it.)

    Parameters
    ----------
    raise_error : bool
        False: print ``Batch k: Invalid loss, terminating training`` and set
        ``model.stop_training`` (``on_train_end`` still runs). True: raise a
        RuntimeError at once, so that no other callback's ``on_train_end`` runs
        (a backup is kept, for example).

    Raises
    ------
    RuntimeError
        With ``raise_error=True``, at a NaN or infinite loss.

    Example
    -------
    >>> callback = TerminateOnNaN(raise_error=True)
    >>> callback.on_train_batch_end(3, {"loss": float("nan")})
    Traceback (most recent call last):
    ...
    RuntimeError: NaN or Inf loss encountered at batch 3. Loss value: nan. Terminating training immediately.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        if distribution.is_chief():
            print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    def get_config(self):
        return {"raise_error": self.raise_error}
