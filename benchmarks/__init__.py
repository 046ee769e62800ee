"""layerkit's benchmark suite: W1-W6 timed in layerkit, a lean NumPy loop, PyTorch and Keras 3.

Run ``python -m benchmarks`` (or ``make bench``); ``--help`` lists the options
and ``docs/performance.md`` explains the workloads and the method. This package
imports no framework itself: each run imports its own, in a fresh subprocess.

Modules: ``workloads`` (the jobs and their data), ``lean`` (the hand-written
NumPy loop), ``trainers`` (layerkit, PyTorch, Keras), ``gemm`` (each step's
matrix products, timed), ``runner`` (the subprocesses), ``summary`` (medians,
ratios, targets), ``report`` (markdown); ``blas_threads`` (a separate tool:
where two BLAS threads start to beat one).
"""
