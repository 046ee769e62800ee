"""Utilities: seeding, gradient checks, label encoding, data splits, ``PyDataset``, model plots."""

from layerkit.backend import set_random_seed
from layerkit.utils.dataset_utils import split_dataset
from layerkit.utils.gradient_check import check_gradients, relative_error
from layerkit.utils.model_visualization import plot_model
from layerkit.utils.numerical_utils import normalize, to_categorical
from layerkit.utils.py_dataset import PyDataset
from layerkit.utils.trace import trace

Sequence = PyDataset  # Keras's other name for it

__all__ = ["PyDataset", "Sequence", "check_gradients", "normalize", "plot_model",
           "relative_error", "set_random_seed", "split_dataset", "to_categorical", "trace"]
