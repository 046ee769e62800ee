"""Data-parallel training: the same script alone or on many processes, changed only at launch.

::

    python examples/distributed_training.py                         # one process
    mpiexec -n 2 python examples/distributed_training.py            # two, same result
    mpiexec -n 32 --hostfile hosts python examples/distributed_training.py   # a cluster

A 784-512-512-10 network (the benchmarks' W4 shape, on synthetic data made here: no
files, no downloads) is trained with SGD and momentum. Under ``mpiexec`` every
process computes the gradient of its share of each global batch of 128, one
all-reduce averages them, and every process applies the same update: the final loss
printed is the same as alone. It trains in float64 so that it is the same to the
last digit printed: the processes add up a batch's gradient in another order than
one process does, and in float32 those 1e-7 differences grow over the steps into
the fourth digit of this loss (a difference float32 training shows alone too, e.g.
between BLAS thread counts). Only process 0 prints and writes the checkpoint (in
``examples/output/distributed_training/``). Install the MPI extra first:
``pip install 'layerkit[mpi]'``.
"""

import time

import numpy as np
from _common import output_dir, parse_args

import layerkit
from layerkit import Input, Sequential, distribution
from layerkit.callbacks import ModelCheckpoint
from layerkit.layers import Dense
from layerkit.optimizers import SGD

SEED = 7
ROWS, FEATURES, CLASSES = 4096, 784, 10


def make_data(rng):
    """Features in [0, 1) and labels from a fixed random linear rule (so there is something to learn)."""
    x = rng.random((ROWS, FEATURES))
    return x, ((x - 0.5) @ rng.normal(size=(FEATURES, CLASSES))).argmax(axis=1)


def main():
    parse_args(__doc__.splitlines()[0])
    started = time.perf_counter()
    strategy = distribution.DataParallel()  # alone: one process; under mpiexec: all of them
    distribution.set_distribution(strategy)
    layerkit.utils.set_random_seed(SEED)    # process 0's weights and order are used everywhere
    layerkit.backend.set_floatx("float64")

    x, y = make_data(np.random.default_rng(SEED))
    model = Sequential([Input((FEATURES,)), Dense(512, activation="relu"),
                        Dense(512, activation="relu"), Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=SGD(learning_rate=0.01, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    checkpoint = output_dir("distributed_training") / "last.weights.h5"
    history = model.fit(x, y, batch_size=128, epochs=3, validation_split=0.1, verbose=2,
                        callbacks=[ModelCheckpoint(checkpoint, save_weights_only=True,
                                                   monitor="loss")])
    if distribution.is_chief():
        print(f"processes: {strategy.num_processes}, all-reduce "
              f"{1e3 * strategy.all_reduce_seconds / max(strategy.all_reduce_steps, 1):.2f} ms/step, "
              f"{time.perf_counter() - started:.1f}s in all; checkpoint: {checkpoint}")
        print(f"final loss: {history.history['loss'][-1]:.4f}")


if __name__ == "__main__":
    main()
