"""Callbacks: hooks into ``fit``, ``evaluate`` and ``predict`` (Keras's names)."""

from layerkit.callbacks.backup_and_restore import BackupAndRestore
from layerkit.callbacks.callback import Callback
from layerkit.callbacks.callback_list import CallbackList
from layerkit.callbacks.csv_logger import CSVLogger
from layerkit.callbacks.early_stopping import EarlyStopping
from layerkit.callbacks.history import History
from layerkit.callbacks.lambda_callback import LambdaCallback
from layerkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from layerkit.callbacks.model_checkpoint import ModelCheckpoint
from layerkit.callbacks.progbar_logger import ProgbarLogger
from layerkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from layerkit.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "TerminateOnNaN",
           "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "LambdaCallback", "BackupAndRestore"]
