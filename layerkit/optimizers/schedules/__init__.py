"""Learning-rate schedules: ``schedule(step) -> learning rate``, with Keras's names and configs.

A schedule is passed as an optimizer's ``learning_rate``; the optimizer calls it
with its step count (``optimizer.iterations``) and gets a Python float back.
:mod:`.exponential` holds ExponentialDecay and InverseTimeDecay,
:mod:`.piecewise` PiecewiseConstantDecay and PolynomialDecay, :mod:`.cosine`
CosineDecay and CosineDecayRestarts.
"""

from layerkit import registry
from layerkit.optimizers.schedules.cosine import CosineDecay, CosineDecayRestarts
from layerkit.optimizers.schedules.exponential import ExponentialDecay, InverseTimeDecay
from layerkit.optimizers.schedules.piecewise import PiecewiseConstantDecay, PolynomialDecay
from layerkit.optimizers.schedules.schedule import LearningRateSchedule

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize"]

_SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                            PolynomialDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """``{"class_name": ..., "config": ...}`` for a schedule.

    Parameters
    ----------
    learning_rate_schedule : LearningRateSchedule

    Returns
    -------
    dict

    Example
    -------
    >>> serialize(PiecewiseConstantDecay([10], [0.1, 0.01]))
    {'class_name': 'PiecewiseConstantDecay', 'config': {'boundaries': [10], 'values': [0.1, 0.01], \
'name': 'PiecewiseConstant'}}
    """
    return registry.serialize(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (built-in or registered schedules).

    Parameters
    ----------
    config : dict
    custom_objects : dict, optional
        ``{name: class}`` for custom schedules.

    Returns
    -------
    LearningRateSchedule

    Raises
    ------
    ValueError
        For an unknown class name; the message lists the valid names.

    Example
    -------
    >>> deserialize({"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1,
    ...                                                       "decay_steps": 100}})(100)
    0.0
    """
    return registry.deserialize(config, _SCHEDULES, "learning rate schedule", custom_objects)
