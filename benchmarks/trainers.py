"""The workloads written in layerkit, PyTorch and Keras 3, each as a user of that framework writes it.

- layerkit and Keras 3: ``Sequential``, ``compile``, then
  ``model.fit(x, y, batch_size=..., epochs=..., verbose=0, shuffle=...)``;
- PyTorch: ``nn.Sequential``, a loss module, ``torch.optim.SGD`` and the
  standard loop (``zero_grad``, forward, loss, ``backward``, ``step``,
  ``running_loss += loss.item()``), batching by hand with ``torch.randperm``
  when the data are shuffled (no ``DataLoader``). The sigmoid and softmax
  outputs are folded into ``BCEWithLogitsLoss`` and ``CrossEntropyLoss``, as
  PyTorch's documentation recommends.
- NumPy: the lean hand-written loop of ``benchmarks/lean.py``.

Each trainer imports its framework inside the function, so a run pays for
(and its peak RSS counts) only the framework it times. ``TRAINERS[framework]``
is ``trainer(workload, x, y, dtype) -> timing`` (see ``workloads.timed``).
"""

import math
import os

from benchmarks.lean import train_numpy
from benchmarks.workloads import SEED, allocated_mib, timed, warmup_epochs, warmup_rows


# ---------------------------------------------------------------- layerkit
def train_layerkit(workload, x, y, dtype, dense=None):
    """Train with ``layerkit``'s ``Sequential.fit``; returns the timing.

    ``dense``: the layer class of the network (``layers.Dense`` by default; the
    ``call()``-written one of :mod:`benchmarks.call_layers` for ``"layerkit-call"``).
    """
    import layerkit
    from layerkit import initializers, layers, optimizers

    layerkit.backend.set_floatx(dtype)
    layerkit.utils.set_random_seed(SEED)
    init = {"constant": dict(kernel_initializer=initializers.Constant(0.1),
                             bias_initializer=initializers.Constant(0.1)),
            "normal": dict(kernel_initializer=initializers.RandomNormal(0.0, 1.0)),
            "default": {}}[workload.initializer]
    model = layerkit.Sequential([layerkit.Input((workload.inputs,))]
                                + [(dense or layers.Dense)(units, activation=activation, **init)
                                   for units, activation in workload.layers])
    model.compile(optimizer=optimizers.SGD(learning_rate=workload.learning_rate,
                                           momentum=workload.momentum), loss=workload.loss)
    fit = dict(batch_size=workload.batch, verbose=0, shuffle=workload.shuffle)
    warm = warmup_rows(workload)
    model.fit(x[:warm], y[:warm], epochs=warmup_epochs(workload), **fit)

    def train(epochs):
        before = model.optimizer.iterations
        history = model.fit(x, y, epochs=epochs, **fit)
        return model.optimizer.iterations - before, history.history["loss"][-1]

    def growth(epochs):  # one fit of 1 + epochs epochs; what is allocated after each
        readings = []
        reader = layerkit.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: readings.append(
            (model.optimizer.iterations, allocated_mib())))
        model.fit(x, y, epochs=1 + epochs, callbacks=[reader], **fit)
        (first_step, first_mib), (last_step, last_mib) = readings[0], readings[-1]
        return last_step - first_step, first_mib, last_mib

    return timed(workload, train, model.trainable_weights[0], growth)


# ---------------------------------------------------------------- PyTorch
def train_torch(workload, x, y, dtype):
    """Train with PyTorch: ``nn.Sequential`` and the standard manual loop; returns the timing."""
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(SEED)
    torch.set_default_dtype(getattr(torch, dtype))
    activations = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "softmax": None, None: None}
    modules, fan_in = [], workload.inputs
    for i, (units, activation) in enumerate(workload.layers):
        modules.append(nn.Linear(fan_in, units))
        last = i == len(workload.layers) - 1
        if activations[activation] and not (last and workload.loss != "mse"):
            modules.append(activations[activation]())  # else the loss applies it (logits)
        fan_in = units
    model = nn.Sequential(*modules)
    if workload.initializer != "default":
        with torch.no_grad():
            for parameter in model.parameters():
                if workload.initializer == "constant":
                    parameter.fill_(0.1)
                elif parameter.dim() == 2:
                    parameter.normal_(0.0, 1.0)
                else:
                    parameter.zero_()
    loss_fn = {"binary_crossentropy": nn.BCEWithLogitsLoss(), "mse": nn.MSELoss(),
               "sparse_categorical_crossentropy": nn.CrossEntropyLoss()}[workload.loss]
    optimizer = torch.optim.SGD(model.parameters(), lr=workload.learning_rate,
                                momentum=workload.momentum)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def train(x, y, epochs):
        n, batch, steps, running_loss = len(x), workload.batch, 0, 0.0
        for _ in range(epochs):
            order = torch.randperm(n) if workload.shuffle else None
            running_loss = 0.0
            for start in range(0, n, batch):
                if order is None:
                    xb, yb = x[start:start + batch], y[start:start + batch]
                else:
                    index = order[start:start + batch]
                    xb, yb = x[index], y[index]
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                steps += 1
        return steps, running_loss / math.ceil(n / batch)

    warm = warmup_rows(workload)
    train(x[:warm], y[:warm], warmup_epochs(workload))
    return timed(workload, lambda epochs: train(x, y, epochs), model[0].weight)


# ---------------------------------------------------------------- Keras 3
def train_keras(workload, x, y, dtype):
    """Train with Keras 3 (``KERAS_BACKEND=torch``) and ``model.fit``; returns the timing."""
    os.environ["KERAS_BACKEND"] = "torch"  # before Keras is imported
    import keras
    import torch

    torch.set_num_threads(os.cpu_count())
    keras.backend.set_floatx(dtype)
    keras.utils.set_random_seed(SEED)
    init = {"constant": dict(kernel_initializer=keras.initializers.Constant(0.1),
                             bias_initializer=keras.initializers.Constant(0.1)),
            "normal": dict(kernel_initializer=keras.initializers.RandomNormal(0.0, 1.0)),
            "default": {}}[workload.initializer]
    model = keras.Sequential([keras.Input((workload.inputs,))]
                             + [keras.layers.Dense(units, activation=activation, **init)
                                for units, activation in workload.layers])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=workload.learning_rate,
                                                 momentum=workload.momentum), loss=workload.loss)
    fit = dict(batch_size=workload.batch, verbose=0, shuffle=workload.shuffle)
    warm = warmup_rows(workload)
    model.fit(x[:warm], y[:warm], epochs=warmup_epochs(workload), **fit)

    def iterations():
        return int(keras.ops.convert_to_numpy(model.optimizer.iterations))

    def train(epochs):
        before = iterations()
        history = model.fit(x, y, epochs=epochs, **fit)
        return iterations() - before, history.history["loss"][-1]

    return timed(workload, train, model.weights[0])


def train_layerkit_call(workload, x, y, dtype):
    """Train the same network with its Dense layers written with ``call()`` (Keras's guide)."""
    from benchmarks.call_layers import call_dense_class

    return train_layerkit(workload, x, y, dtype, dense=call_dense_class())


TRAINERS = {"layerkit": train_layerkit, "numpy": train_numpy, "torch": train_torch,
            "keras": train_keras, "layerkit-call": train_layerkit_call}
