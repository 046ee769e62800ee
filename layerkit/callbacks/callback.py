"""``Callback``: the hooks the training loop calls, with Keras's names."""


class Callback:
    """Base class of callbacks: override the hooks you need.

    The loop calls ``on_train_begin``, then for each epoch ``on_epoch_begin``,
    ``on_train_batch_begin``/``on_train_batch_end`` around each step and
    ``on_epoch_end`` (its ``logs`` hold ``loss``, the metrics and their
    ``val_`` versions), then ``on_train_end``. ``evaluate`` and ``predict``
    call the ``on_test_*`` and ``on_predict_*`` hooks. Setting
    ``self.model.stop_training = True`` ends training after the current step.

    Resuming: right after ``on_train_begin``, ``fit`` asks its callbacks for
    :meth:`resume_epoch` (through :meth:`CallbackList.resume_epoch`) and starts
    from the first answer that is not None; every callback is then told with
    :meth:`on_train_resume`. ``BackupAndRestore`` answers after restoring a backup.

    Attributes
    ----------
    model : Model
        The model being trained (set by the loop).
    params : dict
        ``{"verbose", "epochs", "steps"}``.

    ``get_config()`` returns the constructor arguments (``{}`` here: the base
    class takes none) and ``from_config(config)`` rebuilds an equal callback.

    Example
    -------
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: {logs['loss']:.3f}")
    """

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        """Receive the loop's parameters."""
        self.params = params

    def set_model(self, model):
        """Receive the model."""
        self._model = model

    @property
    def model(self):
        """The model the callback is attached to."""
        return self._model

    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts."""

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends, with the last epoch's logs."""

    def resume_epoch(self):
        """The epoch a restarted ``fit`` should start from, or None (the base: None).

        Called once by the training loop right after :meth:`on_train_begin`;
        a callback that restored a training state there answers with the first
        epoch not yet done.
        """
        return None

    def on_train_resume(self, epoch):
        """Called right after :meth:`resume_epoch` when ``fit`` resumes at ``epoch``.

        Lets a callback drop what it recorded of the epochs to be redone
        (``CSVLogger`` drops their rows). Not called when nothing is resumed.
        """

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its logs (training and validation)."""

    def on_batch_begin(self, batch, logs=None):
        """Alias of ``on_train_batch_begin``, kept for Keras compatibility."""

    def on_batch_end(self, batch, logs=None):
        """Alias of ``on_train_batch_end``, kept for Keras compatibility."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step with the running logs of the epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        """Called when evaluation starts."""

    def on_test_end(self, logs=None):
        """Called when evaluation ends, with its logs."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Called when prediction starts."""

    def on_predict_end(self, logs=None):
        """Called when prediction ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch."""

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild a callback from :meth:`get_config`'s output."""
        return cls(**config)
