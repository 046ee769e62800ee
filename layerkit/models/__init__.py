"""Models: ``Sequential`` (and the ``Model`` base it shares with graph models)."""

from layerkit.models.model import Model
from layerkit.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
