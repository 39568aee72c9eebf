"""Side-by-side benchmarks of ember against PyTorch CPU: ``python -m benchmarks``.

Idle OpenMP threads must not spin while the other library runs, so the wait policy is
set before NumPy or PyTorch are imported.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
