"""The standard normal CDF and density for gelu, vectorised, with no SciPy.

``normal_cdf`` is Cephes's ``ndtr`` (S. L. Moshier, public domain; the rational
approximations SciPy compiles): ``erf(z) = z T(z²) / U(z²)`` for |z| < 1 and
``erfc(z) = e^(-z²) P(z) / Q(z)`` (``R / S`` from z = 8) beyond, accurate to a few
units in the last place of float64. Far in the tails ``e^(-z²)`` underflows to 0
silently, so the CDF is exactly 0 or 1 there and never a NaN.
"""

import math

import numpy as np

_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)
_U = (1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)
_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)


def _polynomial(coefficients, x):
    """Horner's rule, highest power first."""
    result = np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        result = result * x + c
    return result


def normal_cdf(x):
    """Standard normal CDF, ``Φ(x) = (1 + erf(x / √2)) / 2``, in float64.

    Parameters
    ----------
    x : array_like

    Returns
    -------
    ndarray
        ``Φ(x)`` in float64, the shape of ``x``.

    Example
    -------
    >>> normal_cdf(np.array([-1000.0, 0.0, 1.0, 1000.0]))
    array([0.        , 0.5       , 0.84134475, 1.        ])
    """
    z = np.asarray(x, dtype=np.float64) / math.sqrt(2.0)
    a = np.abs(z)
    inner = np.minimum(a, 1.0)
    erf_inner = inner * _polynomial(_T, inner * inner) / _polynomial(_U, inner * inner)
    near = np.clip(a, 1.0, 8.0)
    far = np.maximum(a, 8.0)
    ratio = np.where(a < 8.0, _polynomial(_P, near) / _polynomial(_Q, near),
                     _polynomial(_R, far) / _polynomial(_S, far))
    tail = 0.5 * np.exp(-a * a) * ratio  # Φ(-|x|) for |z| >= 1
    outer = np.where(z < 0, tail, 1.0 - tail)
    return np.where(a < 1.0, 0.5 + 0.5 * np.copysign(erf_inner, z), outer)


def normal_pdf(x):
    """Standard normal density, ``φ(x) = e^(-x²/2) / √(2π)``, in float64.

    Example
    -------
    >>> float(normal_pdf(np.array(0.0)))
    0.3989422804014327
    """
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
