"""layerkit's benchmark suite: W1-W6 timed in layerkit, PyTorch and Keras 3.

Run ``python -m benchmarks`` (or ``make bench``); ``--help`` lists the options
and ``docs/performance.md`` explains the workloads and the method. This package
imports no framework itself: each run imports its own, in a fresh subprocess.
"""
