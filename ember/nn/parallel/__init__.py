"""``ember.nn.parallel``: PyTorch's ``torch.nn.parallel`` for code written for GPUs.

``DataParallel`` runs the wrapped module on its one device (ember computes on one CPU
or one GPU per process), so ``model = nn.DataParallel(model)`` scripts run unchanged and
their checkpoints keep PyTorch's ``module.`` key prefix. ``DistributedDataParallel``
averages gradients across the processes of ``ember.distributed`` (MPI). Each class
lives in its own small file and is re-exported here.
"""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
