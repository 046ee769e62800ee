"""Data-parallel training over MPI, with Keras 3's distribution API.

The same script trains alone or on many processes, with no change but the launch line::

    layerkit.distribution.set_distribution(layerkit.distribution.DataParallel())
    model.fit(x, y, batch_size=128, epochs=3)      # python train.py
                                                   # mpiexec -n 8 python train.py

Under mpiexec each process computes the gradient of its share of every global batch;
one all-reduce per step averages them, and every process applies the same update
(:mod:`~layerkit.distribution.data_parallel`). Alone, or without a distribution set,
nothing changes and mpi4py is never imported. See ``docs/scaling.md``.
"""

from layerkit.distribution.data_parallel import DataParallel
from layerkit.distribution.devices import get_device_count, initialize, list_devices
from layerkit.distribution.distribution_lib import (
    Distribution,
    active,
    distribution,
    is_chief,
    set_distribution,
)

__all__ = ["DataParallel", "Distribution", "active", "distribution", "get_device_count",
           "initialize", "is_chief", "list_devices", "set_distribution"]
