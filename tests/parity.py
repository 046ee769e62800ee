"""What the PyTorch parity modules share: the error measure, the bound, the worst-error report."""

import numpy as np
import pytest

RTOL = 1e-9  # relative agreement required with PyTorch, in float64


def rel_err(a, b):
    """``||a - b|| / max(||a||, ||b||, tiny)``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b)), "non-finite values"
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b)) / scale


class WorstErrors(dict):
    """The worst relative error seen per kind of quantity; ``check`` asserts the bound."""

    def check(self, kind, actual, expected, what):
        err = rel_err(actual, expected)
        self[kind] = max(self.get(kind, 0.0), err)
        assert err <= RTOL, (f"{what}: relative error {err:.3e} > {RTOL:.0e}\n"
                             f"layerkit: {np.asarray(actual)!r}\ntorch:    {np.asarray(expected)!r}")


def single_torch_thread(torch):
    """A module fixture: the tensors are tiny, so threads only cost time (a lot when busy)."""

    @pytest.fixture(scope="module", autouse=True)
    def fixture():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        yield
        torch.set_num_threads(threads)

    return fixture


def report_worst_errors(title, worst, bound=RTOL):
    """A module fixture that prints ``worst`` at the end, with or without ``-s``."""

    @pytest.fixture(scope="module", autouse=True)
    def fixture(request):
        yield
        lines = [f"{title}: worst relative errors measured (bound {bound:.0e})"]
        lines += [f"  {kind:<28}{err:.3e}" for kind, err in worst.items()]
        plugins = request.config.pluginmanager
        reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
        if reporter is None or capture is None:  # pragma: no cover
            print("\n".join(lines))
            return
        with capture.global_and_fixture_disabled():
            reporter.write("\n")
            for line in lines:
                reporter.write_line(line)

    return fixture
