"""``ember.utils.tensorboard``: PyTorch's ``torch.utils.tensorboard`` (``SummaryWriter``).

Event files are written by ``tensorboardX`` (``pip install 'ember[train]'``), in the
format TensorBoard reads: ``tensorboard --logdir runs``.
"""
from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
