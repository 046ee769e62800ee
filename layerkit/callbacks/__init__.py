"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict`` (Keras's names)."""

from layerkit.callbacks.callback import Callback
from layerkit.callbacks.callback_list import CallbackList
from layerkit.callbacks.early_stopping import EarlyStopping
from layerkit.callbacks.history import History
from layerkit.callbacks.model_checkpoint import ModelCheckpoint
from layerkit.callbacks.progbar_logger import ProgbarLogger
from layerkit.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "TerminateOnNaN",
           "EarlyStopping", "ModelCheckpoint"]
