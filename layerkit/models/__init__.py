"""Models: ``Sequential`` (and the ``Model`` base it shares with graph models)."""

from layerkit.models.cloning import clone_model
from layerkit.models.functional import Functional  # Model(inputs, outputs) makes one
from layerkit.models.model import Model
from layerkit.models.sequential import Sequential
from layerkit.saving import load_model, model_from_json, save_model

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]
