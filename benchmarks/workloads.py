"""The benchmark workloads, their synthetic data, and each one written in each framework.

A :class:`Workload` describes a network and how it is trained; ``make_data``
draws its data (NumPy only, from a fixed seed); ``TRAINERS[framework]`` trains
it and times the training. Each framework's code is written as a user of that
framework writes it:

- layerkit and Keras 3: ``Sequential``, ``compile``, then
  ``model.fit(x, y, batch_size=..., epochs=..., verbose=0, shuffle=...)``;
- PyTorch: ``nn.Sequential``, a loss module, ``torch.optim.SGD`` and the
  standard loop (``zero_grad``, forward, loss, ``backward``, ``step``,
  ``running_loss += loss.item()``), batching by hand with ``torch.randperm``
  when the data are shuffled (no ``DataLoader``). The sigmoid and softmax
  outputs are folded into ``BCEWithLogitsLoss`` and ``CrossEntropyLoss``, as
  PyTorch's documentation recommends.

Every trainer warms up first (the same ``fit`` or loop on a few batches), then
times the real training and returns ``{"seconds", "cpu_seconds", "steps", "samples",
"loss"}`` (CPU time counts every thread).
Only this module's functions import the frameworks, so a run pays for (and its
peak RSS counts) only the framework it times.
"""

import dataclasses
import math
import os
import time

import numpy as np

FRAMEWORKS = ("layerkit", "torch", "keras")
SEED = 1234
WARMUP_STEPS = 3


@dataclasses.dataclass(frozen=True)
class Workload:
    """One training job: the network, the loss, the optimizer and the data's size.

    ``layers`` lists ``(units, activation)``; ``batch_size`` None means the whole
    data set (full-batch gradient descent); ``scale`` says what ``--quick``
    divides: the number of ``"epochs"`` or of ``"rows"``.
    """

    name: str
    title: str
    inputs: int
    layers: tuple
    loss: str                      # "binary_crossentropy", "sparse_categorical_crossentropy", "mse"
    learning_rate: float
    rows: int
    epochs: int
    batch_size: int | None = None
    momentum: float = 0.0
    shuffle: bool = False
    metric: str = "ms/step"        # "ms/step", "us/step" or "samples/s"
    dtypes: tuple = ("float32",)
    initializer: str = "default"   # "default", "constant" (0.1) or "normal" (N(0, 1))
    scale: str = "epochs"

    @property
    def batch(self):
        """Samples per step."""
        return self.batch_size or self.rows

    @property
    def steps(self):
        """Training steps of one timed run."""
        return self.epochs * math.ceil(self.rows / self.batch)

    def scaled(self, divisor):
        """This workload with its epochs (or rows) divided by ``divisor`` (for ``--quick``)."""
        if divisor <= 1:
            return self
        if self.scale == "rows":
            return dataclasses.replace(self, rows=max(self.batch * 2, self.rows // divisor))
        return dataclasses.replace(self, epochs=max(2, self.epochs // divisor))


RELU4 = ((25, "relu"), (50, "relu"), (50, "relu"), (25, "relu"), (1, "sigmoid"))
WORKLOADS = {w.name: w for w in (
    Workload("W1", "moons 2-25-50-50-25-1, full batch", 2, RELU4, "binary_crossentropy",
             0.01, rows=900, epochs=10000),
    Workload("W2", "cat logistic regression 12288-1, full batch", 12288, ((1, "sigmoid"),),
             "binary_crossentropy", 0.005, rows=209, epochs=2000),
    Workload("W3", "cat deep 12288-20-7-5-1, full batch", 12288,
             ((20, "relu"), (7, "relu"), (5, "relu"), (1, "sigmoid")), "binary_crossentropy",
             0.0075, rows=209, epochs=2500),
    Workload("W4", "MLP 784-512-512-10, batch 128, momentum 0.9", 784,
             ((512, "relu"), (512, "relu"), (10, "softmax")), "sparse_categorical_crossentropy",
             0.01, rows=60000, epochs=1, batch_size=128, momentum=0.9, shuffle=True,
             metric="samples/s", dtypes=("float32", "float64"), scale="rows"),
    Workload("W5", "Boston 13-10(sigmoid)-1, MSE, batch 11", 13, ((10, "sigmoid"), (1, None)),
             "mse", 0.01, rows=404, epochs=100, batch_size=11, shuffle=True, metric="us/step",
             initializer="normal"),
    Workload("W6", "2-2-1 network, one sample a step", 2, ((2, "sigmoid"), (1, "sigmoid")),
             "mse", 0.1, rows=4, epochs=1000, batch_size=1, metric="us/step",
             initializer="constant"),
)}


# ---------------------------------------------------------------- data (NumPy only)
def make_data(workload, dtype, seed=SEED):
    """Synthetic ``(x, y)`` of the workload's shapes, in ``dtype``; the same for every framework.

    W1 two noisy moons; W2/W3 random 8-bit images / 255 and random labels; W4
    random features and labels 0..9; W5 standardized features and prices that
    depend on them; W6 the tutorial's four people. ``y`` is ``(N, 1)`` except
    for W4's integer labels ``(N,)``.
    """
    rng = np.random.default_rng(seed)
    n = workload.rows
    if workload.name == "W1":
        t = rng.uniform(0, np.pi, n)
        upper = rng.random(n) < 0.5
        x = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)],
                     np.c_[1 - np.cos(t), 0.5 - np.sin(t)]) + rng.normal(0, 0.2, (n, 2))
        y = (~upper).astype(dtype)[:, None]
    elif workload.name in ("W2", "W3"):
        x = rng.integers(0, 256, (n, workload.inputs), dtype=np.uint8).astype(dtype)
        x /= 255
        y = (rng.random((n, 1)) < 0.35).astype(dtype)
    elif workload.name == "W4":  # drawn in dtype: no temporary copy to inflate the peak RSS
        return rng.random((n, workload.inputs), dtype=dtype), rng.integers(0, 10, n)
    elif workload.name == "W5":
        x = rng.standard_normal((n, workload.inputs))
        y = 22.5 + x @ rng.normal(0, 3, workload.inputs)[:, None] + rng.normal(0, 2, (n, 1))
    else:  # W6: weight - 135 lb and height - 66 in of Alice, Bob, Charlie, Diana
        x = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]], dtype=float)
        y = np.array([[1], [0], [0], [1]], dtype=float)
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


def _timed(workload, train, weight):
    """Time ``train()``, which returns the steps done and the last loss.

    ``weight`` (a kernel of the model) is there to record the dtype the model
    really trained in.
    """
    started, cpu = time.perf_counter(), time.process_time()
    steps, loss = train()
    return {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
            "steps": steps, "samples": workload.epochs * workload.rows, "loss": float(loss),
            "weights_dtype": str(weight.dtype).replace("torch.", "")}


def _warmup_rows(workload):
    return min(workload.rows, workload.batch * WARMUP_STEPS)


# ---------------------------------------------------------------- layerkit
def train_layerkit(workload, x, y, dtype):
    """Train with ``layerkit``'s ``Sequential.fit``; returns the timing."""
    import layerkit
    from layerkit import initializers, layers, optimizers

    layerkit.backend.set_floatx(dtype)
    layerkit.utils.set_random_seed(SEED)
    init = {"constant": dict(kernel_initializer=initializers.Constant(0.1),
                             bias_initializer=initializers.Constant(0.1)),
            "normal": dict(kernel_initializer=initializers.RandomNormal(0.0, 1.0)),
            "default": {}}[workload.initializer]
    model = layerkit.Sequential([layerkit.Input((workload.inputs,))]
                                + [layers.Dense(units, activation=activation, **init)
                                   for units, activation in workload.layers])
    model.compile(optimizer=optimizers.SGD(learning_rate=workload.learning_rate,
                                           momentum=workload.momentum), loss=workload.loss)
    fit = dict(batch_size=workload.batch, verbose=0, shuffle=workload.shuffle)
    warm = _warmup_rows(workload)
    model.fit(x[:warm], y[:warm], epochs=1 if workload.batch_size else WARMUP_STEPS, **fit)

    def train():
        before = model.optimizer.iterations
        history = model.fit(x, y, epochs=workload.epochs, **fit)
        return model.optimizer.iterations - before, history.history["loss"][-1]

    return _timed(workload, train, model.trainable_weights[0])


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

    warm = _warmup_rows(workload)
    train(x[:warm], y[:warm], 1 if workload.batch_size else WARMUP_STEPS)
    return _timed(workload, lambda: train(x, y, workload.epochs), model[0].weight)


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
    warm = _warmup_rows(workload)
    model.fit(x[:warm], y[:warm], epochs=1 if workload.batch_size else WARMUP_STEPS, **fit)

    def iterations():
        return int(keras.ops.convert_to_numpy(model.optimizer.iterations))

    def train():
        before = iterations()
        history = model.fit(x, y, epochs=workload.epochs, **fit)
        return iterations() - before, history.history["loss"][-1]

    return _timed(workload, train, model.weights[0])


TRAINERS = {"layerkit": train_layerkit, "torch": train_torch, "keras": train_keras}
