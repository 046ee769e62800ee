"""``TerminateOnNaN``: stop training when the loss stops being a finite number."""

import math

from layerkit.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite.

    (``fit`` itself already refuses to apply a non-finite step; this callback
    is Keras's, for scripts that use it.)

    Example
    -------
    >>> callback = TerminateOnNaN()
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
