"""STFT: the real or imaginary part of a windowed DFT, as a (T, 1, F // 2 + 1) conv kernel."""

import math

import numpy as np

from layerkit import backend
from layerkit.initializers.initializer import Initializer

_WINDOWS = {"hann": np.hanning, "hamming": np.hamming, "blackman": np.blackman,
            "bartlett": np.bartlett, "boxcar": np.ones}


def get_window(name, length, periodic=False):
    """SciPy's ``get_window(name, length, fftbins=periodic)`` for the windows NumPy has.

    A periodic window of length M is the symmetric one of length M + 1 without
    its last point (the form an FFT wants).

    Parameters
    ----------
    name : {"hann", "hamming", "blackman", "bartlett", "boxcar"}
    length : int
    periodic : bool

    Returns
    -------
    ndarray
        float64, of shape ``(length,)``.

    Raises
    ------
    ValueError
        For another name.

    Example
    -------
    >>> get_window("hann", 4, periodic=True)
    array([0. , 0.5, 1. , 0.5])
    """
    if name not in _WINDOWS:
        raise ValueError(f"Unknown `window`: {name!r}. Valid names are {sorted(_WINDOWS)}, "
                         "an array of window values, or None.")
    if length <= 1 or not periodic:
        return np.asarray(_WINDOWS[name](length), dtype=np.float64)
    return np.asarray(_WINDOWS[name](length + 1), dtype=np.float64)[:-1]


class STFT(Initializer):
    """Kernel of a short-time Fourier transform, Keras's ``STFT`` initializer.

    For shape ``(T, 1, F)`` (``F = n_fft // 2 + 1``), entry ``[t, 0, f]`` is
    ``cos(-2π t f / n_fft)`` (``side="real"``) or ``sin(-2π t f / n_fft)``
    (``"imag"``), with ``n_fft = 2 (F - 1)``, times the window ``w[t]``, divided by
    ``sqrt(Σ w²)`` (``scaling="density"``) or ``Σ |w|`` (``"spectrum"``).

    Parameters
    ----------
    side : {"real", "imag"}
    window : str, array_like or None
        A window name (``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``,
        ``"boxcar"``), the window's T values, or None for no window.
    scaling : {"density", "spectrum"} or None
    periodic : bool
        Periodic rather than symmetric window.

    Raises
    ------
    ValueError
        For an unknown side, window name or scaling; when called, for F < 2 or a
        window whose length is not T.

    Example
    -------
    >>> STFT(window=None, scaling=None)((4, 1, 3), "float64")[:, 0, 1].round(6)
    array([ 1.,  0., -1., -0.])
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"`side` must be 'real' or 'imag'. Received: side={side!r}")
        if isinstance(window, str):
            get_window(window, 1)  # an unknown name fails here, not when the layer builds
        elif window is not None:
            window = [float(v) for v in np.ravel(window)]
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                f"`scaling` must be None, 'density' or 'spectrum'. Received: scaling={scaling!r}"
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        frame_length, _, fft_bins = shape
        if fft_bins < 2:
            raise ValueError(f"STFT needs a shape (T, channels, F) with F >= 2. Received: shape={shape}")
        n_fft = (fft_bins - 1) * 2
        time = np.arange(frame_length).reshape(frame_length, 1, 1)
        freq = np.arange(fft_bins).reshape(1, 1, fft_bins) / n_fft
        angle = -2 * math.pi * time * freq
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            w = (get_window(self.window, frame_length, self.periodic) if isinstance(self.window, str)
                 else np.asarray(self.window, dtype=np.float64))
            if w.shape != (frame_length,):
                raise ValueError(f"The shape of `window` must be ({frame_length},), the kernel's "
                                 f"frame length. Received: window shape={w.shape}")
            scale = {"density": math.sqrt(np.sum(w * w)), "spectrum": np.sum(np.abs(w)),
                     None: 1.0}[self.scaling]
            kernel = kernel * w.reshape(frame_length, 1, 1) / scale
        return backend.convert_to_array(kernel, dtype)

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic,
                "scaling": self.scaling}
