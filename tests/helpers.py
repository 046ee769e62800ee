"""Small data makers for tests (no files, no downloads)."""

import numpy as np


def two_moons(n_samples=1000, noise=0.2, seed=0):
    """Two interleaving half circles, labels 0/1 (as scikit-learn's make_moons)."""
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    x += rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(n_samples)
    return x[order], y[order]
