"""The lean NumPy loop: each workload trained by the best loop a NumPy user could write by hand.

It is the bar layerkit must reach: no framework, only the arithmetic of the
step, in preallocated buffers. For layer ``l`` with input ``A₀ = X``:

- forward ``Zₗ = Aₗ₋₁ Wₗ + bₗ`` and ``Aₗ = g(Zₗ)``, written in place into one
  buffer per layer (ReLU as ``Z ⊙ [Z > 0]``, keeping the mask for its
  derivative; sigmoid's derivative needs only ``Aₗ``);
- the output gradient fused with the loss: ``dZ = (A - Y) / N`` for sigmoid +
  BCE and softmax + sparse CE, ``2 (A - Y) / N`` for MSE (times ``σ'`` behind
  W6's sigmoid output); the loss value from the logits, as layerkit and Keras
  report it;
- backward ``dAₗ₋₁ = dZₗ Wₗᵀ`` (not for the first layer), ``dWₗ = Aₗ₋₁ᵀ dZₗ``,
  ``dbₗ = 1ᵀ dZₗ`` (a matrix-vector product, faster than ``sum(axis=0)``);
- SGD in place, Keras's and PyTorch's rule ``v = μ v - η g``, ``w += v``
  (``w -= η g`` without momentum), each layer updated as soon as its input
  gradient is computed. The factor ``-η`` is applied to ``dZ`` before the
  products when the batch is no larger than the layer's input (fewer
  multiplications), else to ``dW`` and ``db``.

Batches are slices when the data are not shuffled, else gathered with
``np.take(..., out=buffer)`` along a permutation drawn at each epoch from a
seeded ``numpy.random.Generator``. The weights are drawn from
``default_rng(SEED)`` as layerkit draws them after ``set_random_seed(SEED)``
(Glorot uniform kernels, zero biases), so the full-batch workloads follow
layerkit's trajectory to rounding.
"""

import math

import numpy as np

from benchmarks.workloads import SEED, allocated_mib, timed, warmup_epochs, warmup_rows


def initial_weights(workload, dtype, rng):
    """``[(kernel, bias), ...]`` drawn as Keras's (and layerkit's) initializers draw them.

    Glorot uniform kernels ``U(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``,
    and zero biases; N(0, 1) kernels for ``"normal"``; 0.1 everywhere for
    ``"constant"``. Values are drawn in float64, then cast to ``dtype``.
    """
    weights = []
    for fan_in, units in zip(workload.sizes[:-1], workload.sizes[1:]):
        if workload.initializer == "constant":
            weights.append((np.full((fan_in, units), 0.1, dtype), np.full(units, 0.1, dtype)))
            continue
        if workload.initializer == "normal":
            kernel = rng.normal(0.0, 1.0, (fan_in, units))
        else:
            limit = math.sqrt(6.0 / (fan_in + units))
            kernel = rng.uniform(-limit, limit, (fan_in, units))
        weights.append((kernel.astype(dtype), np.zeros(units, dtype)))
    return weights


def _sigmoid(z, out):
    """``out = σ(z) = (1 + tanh(z / 2)) / 2``: stable for any z, as layerkit computes it."""
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


class LeanMLP:
    """The network of a workload, its SGD state and every buffer of a step, allocated once.

    Buffers hold ``batch`` rows; a smaller (last) batch uses views of their
    first rows, made once per batch size.

    Parameters
    ----------
    workload : Workload
        The network, loss and optimizer.
    weights : list of (kernel, bias)
        The initial weights (trained in place).
    batch : int
        The largest batch.
    """

    def __init__(self, workload, weights, batch):
        self.activations = [activation for _, activation in workload.layers]
        self.loss = workload.loss
        self.learning_rate, self.momentum = workload.learning_rate, workload.momentum
        self.kernels = [kernel for kernel, _ in weights]
        self.biases = [bias for _, bias in weights]
        dtype = self.kernels[0].dtype
        self.velocities = [(np.zeros_like(k), np.zeros_like(b)) for k, b in weights] \
            if self.momentum else None
        self.grad_kernels = [np.empty_like(k) for k in self.kernels]
        self.grad_biases = [np.empty_like(b) for b in self.biases]
        self.scale_dz = [batch <= k.shape[0] for k in self.kernels]
        widths = [k.shape[1] for k in self.kernels]
        self.buffers = {
            "a": [np.empty((batch, units), dtype) for units in widths],  # Z, then A in place
            "dz": [np.empty((batch, units), dtype) for units in widths],
            "scratch": [np.empty((batch, units), bool if act == "relu" else dtype)  # g'(Z)
                        for units, act in zip(widths, self.activations[:-1])],
            "ones": np.ones(batch, dtype), "rows": np.arange(batch)}
        self.views = {}

    def _views(self, m):
        """The buffers' first ``m`` rows (cached: a run has at most two batch sizes)."""
        views = self.views.get(m)
        if views is None:
            views = self.views[m] = {key: [b[:m] for b in value] if isinstance(value, list)
                                     else value[:m] for key, value in self.buffers.items()}
        return views

    def step(self, x, y):
        """One SGD step on the batch ``(x, y)``; returns the batch's loss (a float)."""
        views = self._views(len(x))
        a_in = x
        for a, scratch, kernel, bias, activation in zip(views["a"], views["scratch"], self.kernels,
                                                        self.biases, self.activations):
            np.matmul(a_in, kernel, out=a)
            a += bias
            if activation == "relu":  # A = Z ⊙ [Z > 0], the mask kept for the backward pass
                np.greater(a, 0, out=scratch)
                a *= scratch
            else:
                _sigmoid(a, a)
            a_in = a
        z = views["a"][-1]
        np.matmul(a_in, self.kernels[-1], out=z)
        z += self.biases[-1]
        loss = self._output_gradient(z, y, views["dz"][-1], views["rows"])
        self._backward(x, views)
        return loss

    def _output_gradient(self, z, y, dz, rows):
        """The batch loss from the logits ``z``; ``dz`` receives dLoss/dZ."""
        m = len(z)
        if self.loss == "sparse_categorical_crossentropy":  # softmax + CE
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=dz)
            total = dz.sum(axis=1)
            loss = float(np.log(total).sum() - z[rows, y].sum()) / m
            dz /= total[:, None]
            dz[rows, y] -= 1
            dz *= 1 / m
            return loss
        if self.loss == "binary_crossentropy":  # sigmoid + BCE: log(1 + e^z) - z y
            loss = float((np.logaddexp(0, z) - z * y).mean())
            _sigmoid(z, dz)
            dz -= y
            dz *= 1 / z.size
            return loss
        if self.activations[-1] == "sigmoid":  # W6: MSE behind a sigmoid
            _sigmoid(z, z)
        np.subtract(z, y, out=dz)
        loss = float(np.vdot(dz, dz)) / dz.size
        dz *= 2 / dz.size
        if self.activations[-1] == "sigmoid":
            dz *= z
            dz *= 1 - z
        return loss

    def _backward(self, x, views):
        """Gradients from the last layer to the first, each layer updated once its dX is out."""
        a, dzs, ones = views["a"], views["dz"], views["ones"]
        for layer in reversed(range(len(self.kernels))):
            kernel, bias, dz = self.kernels[layer], self.biases[layer], dzs[layer]
            grad_kernel, grad_bias = self.grad_kernels[layer], self.grad_biases[layer]
            if layer:
                np.matmul(dz, kernel.T, out=dzs[layer - 1])  # dX, with the old W
            if self.scale_dz[layer]:
                dz *= -self.learning_rate
            np.matmul((a[layer - 1] if layer else x).T, dz, out=grad_kernel)
            np.matmul(ones, dz, out=grad_bias)
            if not self.scale_dz[layer]:
                grad_kernel *= -self.learning_rate
                grad_bias *= -self.learning_rate
            if self.velocities:
                for variable, velocity, grad in zip((kernel, bias), self.velocities[layer],
                                                    (grad_kernel, grad_bias)):
                    velocity *= self.momentum
                    velocity += grad
                    variable += velocity
            else:
                kernel += grad_kernel
                bias += grad_bias
            if layer:
                self._activation_backward(layer - 1, views)

    def _activation_backward(self, layer, views):
        """``dZ = dA ⊙ g'(Z)`` in place: the ReLU mask of the forward pass, or ``A (1 - A)``."""
        a, da, scratch = views["a"][layer], views["dz"][layer], views["scratch"][layer]
        if self.activations[layer] != "relu":
            np.subtract(1, a, out=scratch)
            scratch *= a
        da *= scratch


def train_numpy(workload, x, y, dtype):
    """Train with the lean NumPy loop; returns the timing (see ``workloads.timed``)."""
    rng = np.random.default_rng(SEED)
    net = LeanMLP(workload, initial_weights(workload, dtype, rng), workload.batch)
    x_buffer = np.empty((workload.batch,) + x.shape[1:], x.dtype)
    y_buffer = np.empty((workload.batch,) + y.shape[1:], y.dtype)

    def train(x, y, epochs):
        n, batch, steps, loss = len(x), workload.batch, 0, math.nan
        for _ in range(epochs):
            order = rng.permutation(n) if workload.shuffle else None
            total = 0.0
            for start in range(0, n, batch):
                if order is None:
                    xb, yb = x[start:start + batch], y[start:start + batch]
                else:
                    index = order[start:start + batch]
                    xb = np.take(x, index, axis=0, out=x_buffer[:len(index)], mode="clip")
                    yb = np.take(y, index, axis=0, out=y_buffer[:len(index)], mode="clip")
                total += net.step(xb, yb) * len(xb)
                steps += 1
            loss = total / n
        return steps, loss

    warm = warmup_rows(workload)
    train(x[:warm], y[:warm], warmup_epochs(workload))

    def growth(epochs):  # an epoch, then what is allocated before and after ``epochs`` more
        train(x, y, 1)
        before = allocated_mib()
        steps, _ = train(x, y, epochs)
        return steps, before, allocated_mib()

    return timed(workload, lambda epochs: train(x, y, epochs), net.kernels[0], growth)
