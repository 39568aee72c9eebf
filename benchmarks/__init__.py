"""Side-by-side benchmarks of ember against PyTorch CPU: ``python -m benchmarks``.

Idle threads must not spin while the other library runs, so both thread pools wait
passively: OpenMP's (PyTorch) through ``OMP_WAIT_POLICY`` and OpenBLAS's (NumPy) through
``OPENBLAS_THREAD_TIMEOUT``, set before NumPy or PyTorch are imported. (Measured: with
OpenBLAS's default spin, PyTorch's own CNN step ran 73 ms instead of 47 ms beside it.)
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
